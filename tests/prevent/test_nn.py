"""Constrained transposed convolutions: shapes as torch's, equal phase gains by construction,
least-squares round trip, and what the constraint costs."""

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import convolve
from torch import nn

import artifact_lab as al
from artifact_lab import kernels
from artifact_lab.models.audit import audit, fix
from artifact_lab.models.strategies import _hold_smoothed
from artifact_lab.prevent.nn import (
    CheckerboardFreeConvTranspose1d,
    CheckerboardFreeConvTranspose2d,
    CheckerboardFreeConvTranspose3d,
    check_geometry,
    from_module,
    hold_compose,
    hold_fit,
    hold_response,
)
from tests._strategies import examples

CLEAN = {
    1: CheckerboardFreeConvTranspose1d,
    2: CheckerboardFreeConvTranspose2d,
    3: CheckerboardFreeConvTranspose3d,
}
TORCH = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


@st.composite
def clean_geometry(draw, ndim=None, max_k=6, max_s=4, max_d=3):
    """Per-axis (n, k, s, p, op, d) that torch accepts and the rule allows, over the whole
    range: padding up to the largest that leaves an output, output padding below max(s, d)."""
    nd = draw(st.integers(1, 3)) if ndim is None else ndim
    axes = []
    for _ in range(nd):
        s = draw(st.integers(1, max_s))
        d = draw(st.sampled_from([x for x in range(1, max_d + 1) if math.gcd(x, s) == 1]))
        k = draw(st.integers(s, max(s, max_k)))
        n = draw(st.integers(1, 5))
        op = draw(st.integers(0, max(s, d) - 1))
        full = (n - 1) * s + d * (k - 1) + op + 1
        p = draw(st.integers(0, (full - 1) // 2))
        axes.append((n, k, s, p, op, d))
    return nd, *zip(*axes, strict=True)


@st.composite
def channels(draw):
    groups = draw(st.integers(1, 3))
    return groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2)), groups


def _outcome(call):
    try:
        return tuple(call().shape)
    except (RuntimeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=examples(150))
@given(clean_geometry(), channels(), st.booleans(), st.integers(0, 2**16))
def test_output_shapes_equal_torchs_including_output_size(g, ch, bias, seed):
    nd, n, k, s, p, op, d = g
    cin, cout, groups = ch
    kw = dict(stride=s, padding=p, output_padding=op, groups=groups, bias=bias, dilation=d)
    ref = TORCH[nd](cin, cout, k, **kw)
    layer = CLEAN[nd](cin, cout, k, **kw)
    x = torch.randn((2, cin, *n), generator=torch.Generator().manual_seed(seed))
    out = layer(x)
    assert out.shape == ref(x).shape
    # output_size= anywhere in the range torch allows (min_size to min_size + stride - 1,
    # positive), and where torch refuses a size, the constrained layer refuses it too
    size = []
    for na, ka, sa, pa, da in zip(n, k, s, p, d, strict=True):
        low = (na - 1) * sa - 2 * pa + da * (ka - 1) + 1
        size.append(low + min(max(seed % sa, 1 - low), sa - 1))
    assert _outcome(lambda: layer(x, output_size=size)) == _outcome(
        lambda: ref(x, output_size=size)
    )
    # and unbatched input, as torch accepts it
    assert layer(x[0]).shape == ref(x[0]).shape


@settings(max_examples=examples(100))
@given(clean_geometry(), channels(), st.integers(0, 2**16))
def test_phase_gains_are_equal_by_construction(g, ch, seed):
    nd, _, k, s, _, _, d = g
    cin, cout, groups = ch
    torch.manual_seed(seed)
    layer = CLEAN[nd](cin, cout, k, stride=s, dilation=d, groups=groups).double()
    w = layer.weight.detach()
    gains = al.phase_gains(w, s, d, ndim=nd)  # (in, out/groups, *s)
    h0_sum = layer.h0.detach().sum(tuple(range(2, 2 + nd))).numpy()
    # every phase of every channel pair gains sum(h0), whatever h0 is
    np.testing.assert_allclose(
        gains, np.broadcast_to(h0_sum[(...,) + (None,) * nd], gains.shape), atol=1e-12
    )
    assert al.weight_scores(w, s, d).checkerboard_score < 1e-12


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_weight_is_h0_convolved_with_the_hold_per_axis(nd):
    rng = np.random.default_rng(nd)
    s = (2, 3, 1)[:nd]
    h0 = rng.standard_normal((2, 3, *(3, 2, 4)[:nd]))
    w = hold_compose(torch.from_numpy(h0), s, ndim=nd).numpy()
    box = np.ones(s)
    for i in range(2):
        for j in range(3):
            np.testing.assert_allclose(w[i, j], convolve(h0[i, j], box, mode="full"), atol=1e-12)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_stays_clean_after_100_steps_pushed_towards_a_checkerboard(nd):
    torch.manual_seed(0)
    n = (6, 5, 3)[:nd]
    x = torch.ones((4, 2, *n)) + 0.1 * torch.randn((4, 2, *n))
    clean = CLEAN[nd](2, 3, 4, stride=2, padding=1)
    plain = TORCH[nd](2, 3, 4, stride=2, padding=1)
    out_shape = clean(x).shape[2:]
    # target: a checkerboard of period 2 on every axis, the pattern the layer must not paint
    grids = torch.meshgrid(*[torch.arange(m) for m in out_shape], indexing="ij")
    target = (1 + sum(grids) % 2 * 2.0).expand(4, 3, *out_shape)
    for layer in (clean, plain):
        opt = torch.optim.Adam(layer.parameters(), lr=0.05)
        for _ in range(100):
            loss = F.mse_loss(layer(x), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
    clean_score = al.weight_scores(clean.weight.detach().double(), 2).checkerboard_score
    plain_score = al.weight_scores(plain.weight.detach().double(), 2).checkerboard_score
    assert clean_score < 1e-12
    assert plain_score > 0.1  # the loss does push towards a checkerboard


def _explicit_fit(w: np.ndarray, s: tuple[int, ...]) -> np.ndarray:
    """Brute-force least squares: the matrix of h0 -> h0 ∗ hold built column by column."""
    k = w.shape
    k0 = tuple(a - b + 1 for a, b in zip(k, s, strict=True))
    cols = []
    for i in range(math.prod(k0)):
        e = np.zeros(math.prod(k0))
        e[i] = 1
        cols.append(convolve(e.reshape(k0), np.ones(s), mode="full").ravel())
    a = np.stack(cols, axis=1)
    return np.linalg.lstsq(a, w.ravel(), rcond=None)[0].reshape(k0)


@settings(max_examples=examples(60))
@given(st.integers(1, 3), st.data())
def test_hold_fit_is_the_least_squares_solution(nd, data):
    s = tuple(data.draw(st.integers(1, 3)) for _ in range(nd))
    k = tuple(data.draw(st.integers(sa, sa + 3)) for sa in s)
    seed = data.draw(st.integers(0, 2**16))
    w = np.random.default_rng(seed).standard_normal(k)
    np.testing.assert_allclose(hold_fit(w, s, ndim=nd), _explicit_fit(w, s), atol=1e-10)


def _clean_layer(name: str, nd: int) -> nn.Module:
    """A float64 layer already of the form h0 ∗ hold."""
    if name == "bilinear":
        up, w = (
            TORCH[nd](3, 2, 4, stride=2, padding=1),
            torch.from_numpy(kernels.bilinear(2, ndim=nd)),
        )
    elif name == "bilinear odd":  # k = 2s - 1 for odd s
        up, w = (
            TORCH[nd](3, 2, 5, stride=3, padding=1),
            torch.from_numpy(kernels.bilinear(3, ndim=nd)),
        )
    elif name == "hold-smoothed":
        up, w = (
            TORCH[nd](2, 3, 5, stride=2, padding=2),
            _hold_smoothed(2, 3, (5,) * nd, (2,) * nd, seed=nd),
        )
    else:  # ICNR sub-pixel conv as the transposed conv it equals (stride r, kernel 3r)
        w, pad = kernels.subpixel_as_transposed(kernels.icnr(2, 3, 3, 2, ndim=nd), 2)
        up = TORCH[nd](3, 2, 6, stride=2, padding=pad)
    up = up.double()
    w = torch.as_tensor(w)
    with torch.no_grad():
        up.weight.copy_(w.expand(up.weight.shape) if w.ndim == nd else w)
    return up


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("name", ["bilinear", "bilinear odd", "hold-smoothed", "ICNR"])
def test_from_module_of_a_clean_layer_returns_it_unchanged(name, nd):
    layer = _clean_layer(name, nd)
    assert al.weight_scores(layer.weight.detach(), layer.stride).checkerboard_score < 1e-12
    new = from_module(layer)
    tol = 1e-6 if name == "hold-smoothed" else 1e-12  # float32 rounding of audit's weights
    torch.testing.assert_close(new.weight, layer.weight, atol=tol, rtol=0)
    assert new.fit.relative_distance < tol
    x = torch.randn((1, layer.in_channels, *(4,) * nd), dtype=torch.float64)
    torch.testing.assert_close(new(x), layer(x), atol=10 * tol, rtol=0)


def test_from_module_of_a_float32_clean_layer_is_unchanged_to_rounding():
    up = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1)
    with torch.no_grad():
        up.weight.copy_(_hold_smoothed(4, 4, (4, 4), (2, 2), seed=3))
    new = from_module(up)
    assert new.weight.dtype == torch.float32
    torch.testing.assert_close(new.weight, up.weight, atol=1e-6, rtol=0)


@settings(max_examples=examples(60))
@given(clean_geometry(max_k=5, max_s=3), channels(), st.booleans(), st.integers(0, 2**16))
def test_from_module_keeps_the_geometry_and_reports_the_distance(g, ch, training, seed):
    nd, _, k, s, p, op, d = g
    cin, cout, groups = ch
    torch.manual_seed(seed)
    layer = TORCH[nd](cin, cout, k, s, p, op, groups, True, d).double().train(training)
    new = from_module(layer)
    assert isinstance(new, CLEAN[nd]) and isinstance(new, TORCH[nd])
    for attr in ("in_channels", "out_channels", "kernel_size", "stride", "padding"):
        assert getattr(new, attr) == getattr(layer, attr), attr
    assert (new.output_padding, new.dilation, new.groups) == (op, d, groups)
    assert new.training == training and new.weight.dtype == torch.float64
    torch.testing.assert_close(new.bias, layer.bias)
    w, c = layer.weight.detach(), new.weight.detach()
    dist = float(torch.linalg.vector_norm(w - c))
    assert new.fit.distance == pytest.approx(dist, abs=1e-12)
    assert new.fit.relative_distance == pytest.approx(dist / float(torch.linalg.vector_norm(w)))
    before = al.weight_scores(w, s, d).checkerboard_score if groups == 1 else None
    if before is not None:
        assert new.fit.checkerboard_score_before == pytest.approx(before, abs=1e-12)
    # least squares: the residual is orthogonal to every direction of the family
    direction = hold_compose(torch.randn(new.h0.shape, dtype=torch.float64), s, ndim=nd)
    assert float((w - c).mul(direction).sum()) == pytest.approx(0, abs=1e-9)
    # a constrained layer round-trips exactly
    again = from_module(new)
    torch.testing.assert_close(again.h0, new.h0, atol=0, rtol=0)


def test_in_1d_the_family_is_every_clean_kernel_but_in_2d_a_subset():
    rng = np.random.default_rng(0)
    # 1-D: project a random kernel onto equal phase gains (any clean kernel): kept exactly
    w = rng.standard_normal(7)
    g = al.phase_gains(w, 3)
    counts = np.bincount(np.arange(7) % 3)
    w_clean = w - ((g - g.mean()) / counts)[np.arange(7) % 3]
    assert al.checkerboard_score(w_clean, 3) < 1e-12
    fitted = hold_compose(torch.from_numpy(hold_fit(w_clean, 3, ndim=1)), 3, ndim=1).numpy()
    np.testing.assert_allclose(fitted, w_clean, atol=1e-12)
    # 2-D: equal phase gains (1, 1, 1, 1) at k=3, s=2, but row 0 alone has gains (1, 0):
    # not clean along each axis separately, so outside the family and changed by the fit
    w2 = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 1.0, 0.0]])
    np.testing.assert_allclose(al.phase_gains(w2, 2), np.ones((2, 2)))
    fitted = hold_compose(torch.from_numpy(hold_fit(w2, 2, ndim=2)), 2, ndim=2).numpy()
    assert np.abs(fitted - w2).max() > 0.1


def test_init_matches_torchs_output_variance_on_white_noise():
    k, s, c = 4, 2, 8
    default, clean = [], []
    for seed in range(200):
        torch.manual_seed(seed)
        default.append(al.noise_gains(nn.ConvTranspose2d(c, c, k, s).weight, s, ndim=2).mean())
        torch.manual_seed(seed)
        w = CheckerboardFreeConvTranspose2d(c, c, k, s).weight
        clean.append(al.noise_gains(w, s, ndim=2).mean())
    assert np.mean(clean) == pytest.approx(np.mean(default), rel=0.05)


def test_state_dict_copy_pickle_and_device_dtype():
    layer = CheckerboardFreeConvTranspose2d(2, 4, (4, 3), stride=(2, 3), padding=1, groups=2)
    assert set(layer.state_dict()) == {"h0", "bias"}
    assert [n for n, _ in layer.named_parameters()] == ["bias", "h0"]
    other = CheckerboardFreeConvTranspose2d(2, 4, (4, 3), stride=(2, 3), padding=1, groups=2)
    other.load_state_dict(layer.state_dict())
    torch.testing.assert_close(other.weight, layer.weight)
    torch.testing.assert_close(copy.deepcopy(layer).weight, layer.weight)
    torch.save(layer, buf := __import__("io").BytesIO())
    buf.seek(0)
    torch.testing.assert_close(torch.load(buf, weights_only=False).weight, layer.weight)
    dbl = CheckerboardFreeConvTranspose1d(1, 1, 3, 2, dtype=torch.float64)
    assert dbl.weight.dtype == dbl.h0.dtype == torch.float64
    assert "h0 taps=(3, 1)" in repr(layer)


def test_fix_with_the_constrained_strategy_keeps_shapes_and_the_weights_closest():
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.ConvTranspose2d(4, 4, 3, 2, 1, 1), nn.ReLU(), nn.ConvTranspose2d(4, 2, 4, 2, 1)
    )
    shape = (1, 4, 6, 6)
    before = audit(model, shape, measure=False)
    fixed = fix(model, shape, strategy="constrained")
    after = audit(fixed, shape, measure=False)
    assert before.flagged == ["0", "2"] and after.flagged == []
    assert after.output_shape == before.output_shape
    for i in (0, 2):
        assert isinstance(fixed[i], CheckerboardFreeConvTranspose2d)
        expected = hold_fit(model[i].weight.detach(), 2, ndim=2)
        np.testing.assert_allclose(fixed[i].h0.detach().double().numpy(), expected, atol=1e-6)


def test_fix_with_the_constrained_strategy_refuses_holes():
    model = nn.Sequential(nn.ConvTranspose1d(1, 1, 3, stride=2, dilation=2))
    with pytest.raises(ValueError, match=r"gcd\(dilation, stride\) == 1"):
        fix(model, (1, 1, 8), strategy="constrained")


def test_hold_response_is_the_spectrum_of_the_dilated_hold():
    for s, d in [(2, 1), (3, 1), (4, 3), (3, 2)]:
        taps = np.zeros(256)
        taps[: d * s : d] = 1
        spectrum = np.abs(np.fft.fft(taps)) / s
        f = np.arange(256) / 256
        np.testing.assert_allclose(hold_response(f, s, d), spectrum, atol=1e-12)
        harmonics = np.arange(1, s) / s
        assert np.abs(hold_response(harmonics, s, d)).max() < 1e-12
    # the band edge 1/(2s) passes 1 / (s sin(pi / 2s)): 0.707, 0.667, 0.653
    for s in (2, 3, 4):
        edge = float(hold_response(1 / (2 * s), s))
        assert edge == pytest.approx(1 / (s * np.sin(np.pi / (2 * s))), abs=1e-12)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(kernel_size=1, stride=2), ValueError, "kernel_size >= stride"),
        (dict(kernel_size=4, stride=2, dilation=2), ValueError, r"gcd\(dilation, stride\)"),
        (dict(kernel_size=(4, 2), stride=(2, 3)), ValueError, "axis 1"),
        (dict(kernel_size=0, stride=1), ValueError, "kernel_size must be >= 1"),
        (dict(kernel_size=3, stride=0), ValueError, "stride must be >= 1"),
        (dict(kernel_size=3.0, stride=2), TypeError, "kernel_size must be an integer"),
        (dict(kernel_size=(3, 3, 3), stride=2), ValueError, "one entry per spatial axis"),
        (dict(kernel_size=4, stride=2, groups=3), ValueError, "groups=3 must divide in_channels=4"),
        (dict(kernel_size=4, stride=2, padding_mode="reflect"), ValueError, "zeros"),
    ],
)
def test_bad_geometry_is_refused_with_the_rule(kwargs, error, match):
    with pytest.raises(error, match=match):
        CheckerboardFreeConvTranspose2d(4, 4, **kwargs)


def test_bad_use_is_refused():
    layer = CheckerboardFreeConvTranspose2d(2, 2, 4, 2)
    with pytest.raises(AttributeError, match="h0 ∗ hold"):
        layer.weight = nn.Parameter(torch.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match=r"weight must have shape \(2, 2, 4, 4\)"):
        layer.fit_(torch.zeros(2, 2, 3, 3))
    with pytest.raises(TypeError, match="ConvTranspose1d, 2d or 3d, got Conv2d"):
        from_module(nn.Conv2d(2, 2, 3))
    with pytest.raises(ValueError, match="kernel_size >= stride"):
        from_module(nn.ConvTranspose2d(2, 2, 2, stride=3))
    with pytest.raises(ValueError, match="kernel_size >= stride"):
        check_geometry(3, 4, ndim=1)
    with pytest.raises(ValueError, match="frequency contains NaN or infinite"):
        hold_response([np.nan], 2)


def test_exported_lazily():
    assert al.nn.CheckerboardFreeConvTranspose2d is CheckerboardFreeConvTranspose2d


@pytest.mark.parametrize("nd", [1, 2])
def test_constraint_cost_counts_are_the_dimensions_brute_force(nd):
    table = al.nn.constraint_cost((2, 3, 4, 5), (1, 2, 3), ndim=nd)
    assert len(table) == sum(k >= s for s in (1, 2, 3) for k in (2, 3, 4, 5))
    for _, row in table.iterrows():
        k, s = (int(row.kernel_size),) * nd, (int(row.stride),) * nd
        k0 = tuple(a - b + 1 for a, b in zip(k, s, strict=True))
        # the family: rank of the map h0 -> h0 ∗ hold
        basis = np.eye(math.prod(k0)).reshape(-1, *k0)
        family = hold_compose(torch.from_numpy(basis), s, ndim=nd).reshape(len(basis), -1)
        assert np.linalg.matrix_rank(family.numpy()) == row["free taps"]
        # all clean kernels: the null space of "phase gains minus their mean"
        taps = np.eye(math.prod(k)).reshape(-1, *k)
        gains = al.phase_gains(taps, s, ndim=nd).reshape(len(taps), -1)
        centred = gains - gains.mean(axis=1, keepdims=True)
        assert math.prod(k) - np.linalg.matrix_rank(centred) == row["clean taps"]
        assert nd > 1 or row["free taps"] == row["clean taps"]  # 1-D: every clean kernel
        edge = float(hold_response(1 / (2 * s[0]), s[0]))
        assert row["band-edge gain"] == pytest.approx(edge)


@settings(max_examples=examples(40))
@given(st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 6))
def test_the_constrained_layer_is_nearest_upsampling_then_a_convolution_with_h0(nd, s, extra, n):
    torch.manual_seed(s + 10 * extra)
    layer = CLEAN[nd](2, 3, s + extra - 1, stride=s, bias=False).double()
    x = torch.randn((1, 2, *(n,) * nd), dtype=torch.float64)
    nearest = x
    for a in range(nd):
        nearest = nearest.repeat_interleave(s, dim=2 + a)
    conv_t = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    torch.testing.assert_close(layer(x), conv_t(nearest, layer.h0), atol=1e-12, rtol=0)
