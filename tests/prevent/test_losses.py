"""The checkerboard penalty: equal to the closed-form score (checked three ways), zero on
clean layers, differentiable (gradcheck), and the layers it finds."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import artifact_lab as al
from artifact_lab import kernels
from artifact_lab.layers.shuffle import PixelShuffleND
from artifact_lab.layers.upsamplers import ResizeConv, SubPixelConv, TransposedUpsampler
from artifact_lab.models.strategies import _hold_smoothed
from artifact_lab.prevent.losses import checkerboard_penalty, find_layers, layer_scores
from artifact_lab.prevent.nn import CheckerboardFreeConvTranspose2d
from tests._oracles import CONV_MODULE as CONV
from tests._oracles import CONV_T
from tests._strategies import examples


def _value(t: torch.Tensor) -> float:
    return t.detach().item()


CONVT = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def grouped_reference(w: np.ndarray, s, d, groups: int, channels: str) -> tuple[float, float]:
    """Brute force with the numpy closed forms: phase gains per (input, output) pair; for
    "sum", summed over each group's inputs per output channel; pooled over the rows."""
    cin, per = w.shape[:2]
    step = cin // groups
    G = []
    for q in range(groups):
        for c in range(per):
            pairs = [al.phase_gains(w[i, c], s, d) for i in range(q * step, (q + 1) * step)]
            G.extend(pairs if channels == "pairs" else [sum(pairs)])
    G = np.array(G).reshape(len(G), -1)
    power = (G**2).mean(1).sum()
    harmonic = power - (G.mean(1) ** 2).sum()
    return (harmonic / power if power > 0 else 0.0), harmonic


def measured_score(w: torch.Tensor, s, d, groups: int, channels: str) -> float:
    """Independent of the closed forms: torch's conv_transpose of a constant 1 in every
    input channel ("sum") or in one input channel at a time ("pairs"), interior crop of
    whole periods, power at the non-zero harmonics pooled over the output channels."""
    nd = w.ndim - 2
    k = w.shape[2:]
    cin = w.shape[0]
    n = tuple(2 * (ka * da // sa + 2) + 4 for ka, da, sa in zip(k, d, s, strict=True))
    if channels == "sum":
        x = torch.ones((1, cin, *n), dtype=torch.float64)
    else:  # batch item i: a constant 1 in input channel i only
        x = torch.eye(cin, dtype=torch.float64).reshape(cin, cin, *(1,) * nd).expand(cin, cin, *n)
    y = CONV_T[nd](x, w, stride=s, dilation=d, groups=groups)
    y = y.reshape(-1, *y.shape[2:])  # every (batch item, output channel) is one row
    index, shape = [slice(None)], [y.shape[0]]
    for ka, da, sa, na in zip(k, d, s, n, strict=True):
        start = -(-(ka - 1) * da // sa) * sa  # first phase-0 output of the interior
        length = ((na - 1) * sa - start + 1) // sa * sa
        index.append(slice(start, start + length))
        shape += [length // sa, sa]
    crop = y[tuple(index)].reshape(shape)
    phases = crop.mean(tuple(1 + 2 * a for a in range(nd))).reshape(y.shape[0], -1)
    power = phases.square().mean(1).sum()
    return float((power - phases.mean(1).square().sum()) / power) if power > 0 else 0.0


@st.composite
def layer(draw, nd=None, max_groups=3):
    nd = draw(st.integers(1, 3)) if nd is None else nd
    groups = draw(st.integers(1, max_groups))
    cin = groups * draw(st.integers(1, 2))
    per = draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    seed = draw(st.integers(0, 2**16))
    w = torch.randn(
        (cin, per, *k), dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )
    return w, s, d, groups


@settings(max_examples=examples(200))
@given(layer(max_groups=1))
def test_sum_penalty_equals_weight_scores_without_groups(args):
    w, s, d, _ = args
    ws = al.weight_scores(w, s, d)
    scores = layer_scores(w, s, d)
    value = _value(checkerboard_penalty(w, stride=s, dilation=d, channels="sum"))
    assert value == pytest.approx(ws.checkerboard_score, abs=1e-12)
    assert float(scores[0]) == pytest.approx(ws.checkerboard_score, abs=1e-12)
    assert float(scores[2]) == pytest.approx(ws.noise_checkerboard, abs=1e-12)
    assert bool(scores[3] == 0) == ws.zero_gain
    # pairs: 0 exactly when every pair scores 0 in weight_scores' per-pair table
    pairs = _value(checkerboard_penalty(w, stride=s, dilation=d))
    assert (pairs < 1e-12) == bool((ws.pairs.checkerboard_score < 1e-12).all())


@settings(max_examples=examples(200))
@given(layer(), st.sampled_from(["pairs", "sum"]))
def test_grouped_penalty_equals_the_brute_force_reference(args, channels):
    w, s, d, groups = args
    score, harmonic = grouped_reference(w.numpy(), s, d, groups, channels)
    kw = dict(stride=s, dilation=d, groups=groups, channels=channels)
    assert _value(checkerboard_penalty(w, **kw)) == pytest.approx(score, abs=1e-12)
    raw = _value(checkerboard_penalty(w, normalized=False, **kw))
    assert raw == pytest.approx(harmonic, abs=1e-9 * max(1.0, abs(harmonic)))
    assert float(layer_scores(w, s, d, groups=groups, channels=channels)[0]) == pytest.approx(
        score, abs=1e-12
    )
    if channels == "sum":  # and the library's own grouped weight_scores
        ws = al.weight_scores(w, s, d, groups=groups)
        assert score == pytest.approx(ws.checkerboard_score, abs=1e-12)


@settings(max_examples=examples(60))
@given(layer(), st.sampled_from(["pairs", "sum"]), st.data())
def test_grouped_penalty_equals_the_harmonic_fraction_of_torchs_output(args, channels, data):
    w, s, d, groups = args
    # gcd(d, s) = 1 and k >= s keep every phase reached, so the interior holds whole periods
    s = tuple(
        data.draw(st.sampled_from([x for x in (1, 2, 3) if math.gcd(x, da) == 1])) for da in d
    )
    score = _value(checkerboard_penalty(w, stride=s, dilation=d, groups=groups, channels=channels))
    assert measured_score(w, s, d, groups, channels) == pytest.approx(score, abs=1e-9)


def test_sum_can_be_zero_by_cancellation_while_pairs_is_not():
    # two input channels whose checkerboards cancel for equal levels only:
    # gains (2, 1) and (1, 2) at s=2 sum to (3, 3)
    w = torch.tensor([[[1.0, 1.0, 1.0]], [[0.5, 2.0, 0.5]]], dtype=torch.float64)
    assert _value(checkerboard_penalty(w, stride=2, channels="sum")) < 1e-12
    assert _value(checkerboard_penalty(w, stride=2, channels="pairs")) == pytest.approx(0.1)
    # with the input channels at levels 1 and 2, the output has a checkerboard
    x = torch.ones(1, 2, 12, dtype=torch.float64)
    x[:, 1] = 2.0
    y = F.conv_transpose1d(x, w, stride=2)[0, 0, 4:20]
    assert y[0::2].mean() != pytest.approx(y[1::2].mean())


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize(
    "normalized, channels", [(True, "pairs"), (False, "pairs"), (True, "sum"), (False, "sum")]
)
def test_gradcheck_in_float64(nd, groups, normalized, channels):
    gen = torch.Generator().manual_seed(nd + 10 * groups)
    k, s, d = (4, 3, 2)[:nd], (2, 3, 2)[:nd], (1, 1, 3)[:nd]
    w = torch.randn((2 * groups, 3, *k), dtype=torch.float64, generator=gen, requires_grad=True)

    def penalty(weight):
        return checkerboard_penalty(
            weight, stride=s, dilation=d, groups=groups, normalized=normalized, channels=channels
        )

    assert torch.autograd.gradcheck(penalty, (w,))


class _Penalty(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self):
        return checkerboard_penalty(self.model, direction="both", reduction="sum")


@pytest.mark.parametrize("nd", [1, 2])
def test_gradcheck_through_a_model_with_subpixel_and_strided_layers(nd):
    torch.manual_seed(nd)
    model = nn.Sequential(
        CONV[nd](2, 4, 3, stride=2, groups=2),
        CONVT[nd](4, 4, 4, stride=2, groups=2),
        CONV[nd](4, 2 * 2**nd, 3, padding=1, groups=2),
        PixelShuffleND(2, nd),
    ).double()
    wrapper = _Penalty(model)
    names = ("model.0.weight", "model.1.weight", "model.2.weight")
    inputs = tuple(
        p.detach().clone().requires_grad_(True)
        for p in (model[0].weight, model[1].weight, model[2].weight)
    )

    def penalty(*weights):  # the layers read these weights in place of their own
        return torch.func.functional_call(wrapper, dict(zip(names, weights, strict=True)), ())

    assert len(find_layers(model, direction="both")) == 3
    assert torch.autograd.gradcheck(penalty, inputs)


def test_penalty_is_zero_on_clean_layers():
    torch.manual_seed(0)
    bilinear = TransposedUpsampler(4, 2, 4, init="bilinear")
    hold = TransposedUpsampler(4, 3, 3, init="hold")
    smoothed = nn.ConvTranspose2d(4, 4, 5, stride=2)
    with torch.no_grad():
        smoothed.weight.copy_(_hold_smoothed(4, 4, (5, 5), (2, 2), seed=1))
    constrained = CheckerboardFreeConvTranspose2d(4, 6, (5, 4), stride=(2, 3), groups=2)
    icnr = SubPixelConv(4, 2, icnr=True)
    icnr3 = SubPixelConv(2, 3, icnr=True, ndim=1)
    seq = nn.Sequential(nn.Conv2d(3, 12, 3, padding=1), nn.PixelShuffle(2))
    with torch.no_grad():
        seq[0].weight.copy_(kernels.icnr(3, 3, 3, 2))
    for model in (bilinear, hold, smoothed, constrained, icnr, icnr3, seq):
        values = checkerboard_penalty(model, reduction="none")
        assert values.shape == (1,) and values.max().item() < 1e-6, type(model).__name__
    # and on all of them together in float64 to 1e-12
    for model in (bilinear, smoothed, constrained, icnr, seq):
        assert _value(checkerboard_penalty(model.double())) < 1e-12
    # while the default-initialised versions are not clean
    for model in (TransposedUpsampler(4, 2, 4), SubPixelConv(4, 2), nn.ConvTranspose2d(2, 2, 3, 2)):
        assert _value(checkerboard_penalty(model)) > 0.05


def test_subpixel_penalty_is_the_score_of_the_equivalent_transposed_conv():
    torch.manual_seed(1)
    for groups in (1, 2):
        conv = nn.Conv2d(4, 2 * 2 * 9, 3, padding=1, groups=groups).double()
        model = nn.Sequential(conv, nn.PixelShuffle(3))
        dense = conv.weight.detach()
        if groups == 2:  # zero taps between channels of different groups
            full = torch.zeros(conv.out_channels, 4, 3, 3, dtype=torch.float64)
            half = conv.out_channels // 2
            full[:half, :2], full[half:, 2:] = dense[:half], dense[half:]
            dense = full
        wt, _ = kernels.subpixel_as_transposed(dense, 3)
        expected = al.weight_scores(wt, 3).checkerboard_score
        value = _value(checkerboard_penalty(model, channels="sum"))
        assert value == pytest.approx(expected, abs=1e-12)
        # and the measured output of the real conv + pixel shuffle on a constant input
        with torch.no_grad():
            conv.bias.zero_()
            y = model(torch.ones(1, 4, 12, 12, dtype=torch.float64))[0, :, 6:30, 6:30]
        phases = y.reshape(y.shape[0], 8, 3, 8, 3).mean((1, 3)).reshape(y.shape[0], 9)
        power = phases.square().mean(1).sum()
        measured = float((power - phases.mean(1).square().sum()) / power)
        assert measured == pytest.approx(expected, abs=1e-9)


def test_backward_direction_scores_the_input_gradient_of_strided_convs():
    torch.manual_seed(2)
    conv = nn.Conv2d(4, 6, 3, stride=2, groups=2).double()
    value = _value(checkerboard_penalty(conv, direction="backward", channels="sum"))
    # autograd: a constant upstream gradient, the gradient reaching a large input's interior
    x = torch.zeros(1, 4, 30, 30, dtype=torch.float64, requires_grad=True)
    conv(x).sum().backward()
    g = x.grad[0, :, 4:28, 4:28]  # whole periods of 2, away from the borders
    phases = g.reshape(4, 12, 2, 12, 2).mean((1, 3)).reshape(4, 4)
    power = phases.square().mean(1).sum()
    measured = float((power - phases.mean(1).square().sum()) / power)
    assert value == pytest.approx(measured, abs=1e-12)
    with pytest.raises(ValueError, match="no layer to score"):
        checkerboard_penalty(conv)  # forward: a strided conv does not upsample


def test_directions_and_reductions():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Conv2d(1, 4, 4, stride=2),
        nn.ConvTranspose2d(4, 4, 3, stride=2),
        nn.ConvTranspose2d(4, 4, 3, stride=1),  # stride 1: no checkerboard, not scored
        nn.Conv2d(4, 4, 3, stride=1),
        nn.Conv2d(4, 1, 3, stride=(1, 2)),
    )
    kw = dict(channels="sum")
    fwd = checkerboard_penalty(model, reduction="none", **kw)
    bwd = checkerboard_penalty(model, reduction="none", direction="backward", **kw)
    both = checkerboard_penalty(model, reduction="none", direction="both", **kw)
    assert fwd.shape == (1,) and bwd.shape == (2,)
    torch.testing.assert_close(both, torch.cat([fwd, bwd]))
    torch.testing.assert_close(checkerboard_penalty(model, direction="both", **kw), both.mean())
    torch.testing.assert_close(
        checkerboard_penalty(model, direction="both", reduction="sum", **kw), both.sum()
    )
    expected = [
        al.weight_scores(model[1].weight, 2).checkerboard_score,
        al.weight_scores(model[0].weight, 2).checkerboard_score,
        al.weight_scores(model[4].weight, (1, 2)).checkerboard_score,
    ]
    np.testing.assert_allclose(both.detach().numpy(), expected, atol=1e-6)
    layers = find_layers(model, direction="both")
    assert [(x.name, x.direction) for x in layers] == [
        ("1", "forward"),
        ("0", "backward"),
        ("4", "backward"),
    ]
    # a found list skips the search and follows the live weights
    with torch.no_grad():
        model[1].weight.fill_(1.0)  # k=3, s=2: gains (2, 1) per axis, not clean
    assert _value(checkerboard_penalty(layers[:1])) == pytest.approx(
        al.checkerboard_score(np.ones((3, 3)), 2), abs=1e-6
    )


def test_penalty_gradient_lowers_the_score_and_follows_dtype():
    torch.manual_seed(4)
    model = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    start = _value(checkerboard_penalty(model))
    for _ in range(50):
        loss = checkerboard_penalty(model)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert _value(checkerboard_penalty(model)) < 0.1 * start
    assert checkerboard_penalty(model).dtype == torch.float32
    zero = nn.ConvTranspose1d(1, 1, 4, stride=2, bias=False)
    with torch.no_grad():
        zero.weight.zero_()
    p = checkerboard_penalty(zero)
    p.backward()
    assert p.item() == 0.0 and torch.isfinite(zero.weight.grad).all()


def test_find_layers_sees_subpixel_convs_from_structure_or_by_name():
    class Hidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Conv1d(2, 6, 3, padding=1), nn.ReLU())
            self.up = SubPixelConv(2, 2, ndim=1)
            self.resize = ResizeConv(2, 2, ndim=1)
            self.nd = nn.Sequential(nn.Conv1d(2, 4, 3, padding=1), PixelShuffleND(2, 1))

        def forward(self, x):  # the first conv's pixel shuffle happens here, unseen
            y = self.body[0](x)
            y = al.layers.shuffle.pixel_shuffle(y, 3, ndim=1)
            return self.resize(self.up(y)) + self.nd(y)

    model = Hidden()
    found = [(x.name, x.kind, x.stride) for x in find_layers(model)]
    assert found == [("up.conv", "subpixel", (2,)), ("nd.0", "subpixel", (2,))]
    found = find_layers(model, subpixel={"body.0": 3})
    assert (found[0].name, found[0].stride) == ("body.0", (3,))
    with pytest.raises(ValueError, match="not a Conv1d/2d/3d"):
        find_layers(model, subpixel={"up": 2})


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda m, w: checkerboard_penalty(m, reduction="max"), ValueError, "reduction"),
        (lambda m, w: checkerboard_penalty(m, direction="up"), ValueError, "direction"),
        (lambda m, w: checkerboard_penalty(m, channels="mean"), ValueError, "channels"),
        (lambda m, w: checkerboard_penalty(m, normalized=1), TypeError, "normalized"),
        (lambda m, w: checkerboard_penalty(w), ValueError, "needs its stride"),
        (lambda m, w: checkerboard_penalty(w, stride=(2, 2, 2)), ValueError, "one entry"),
        (lambda m, w: checkerboard_penalty(w, stride=0), ValueError, "stride must be >= 1"),
        (lambda m, w: checkerboard_penalty(w, stride=2, groups=3), ValueError, "groups=3"),
        (lambda m, w: checkerboard_penalty(w[0, 0], stride=2), ValueError, "1 to 3 spatial"),
        (lambda m, w: checkerboard_penalty(w.long(), stride=2), TypeError, "floating"),
        (lambda m, w: checkerboard_penalty(w.numpy(), stride=2), TypeError, "ndarray"),
        (lambda m, w: checkerboard_penalty(nn.ReLU()), ValueError, "no layer to score"),
        (lambda m, w: checkerboard_penalty([]), ValueError, "empty"),
        (lambda m, w: find_layers("model"), TypeError, "torch.nn.Module"),
        (lambda m, w: layer_scores(w, 2, groups=0), ValueError, "groups must be >= 1"),
    ],
)
def test_bad_input(call, error, match):
    model = nn.ConvTranspose2d(2, 2, 4, 2)
    w = torch.randn(2, 2, 4, 4)
    with pytest.raises(error, match=match):
        call(model, w)
