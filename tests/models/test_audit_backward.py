"""audit(direction="backward"): every downsampling op found, scored through its adjoint,
the whole model's input gradient measured, and fix(direction="backward")."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from artifact_lab.core.adjoint import adjoint_interior, measured_gains
from artifact_lab.core.spectral import harmonic_stats
from artifact_lab.models.audit import audit, fix
from artifact_lab.models.measure import crop_periods, input_gradient
from artifact_lab.models.strategies import STRATEGIES, BlurPool
from artifact_lab.models.zoo import build
from tests._oracles import AVG_MODULE as AVG
from tests._oracles import CONV_MODULE as CONV
from tests._oracles import LP_MODULE as LP
from tests._oracles import MAX_MODULE as MAX


class Encoder(nn.Module):
    """Downsampling in a nested block, a ModuleList and functional calls."""

    def __init__(self, nd: int) -> None:
        super().__init__()
        self.nd = nd
        self.stem = nn.Sequential(nn.Sequential(CONV[nd](2, 3, 3, 2, 1), nn.ReLU()))
        self.blocks = nn.ModuleList(
            [AVG[nd](3, 2, 1), CONV[nd](3, 3, 3, padding=1), MAX[nd](2), LP[nd](2.0, 2)]
        )
        self.head = CONV[nd](3, 2, 1, stride=2)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = getattr(F, f"avg_pool{self.nd}d")(x.abs(), 2)  # looked up at call time, as usual
        x = F.interpolate(x, scale_factor=0.5, mode="nearest")
        return self.head(x)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_backward_audit_finds_every_downsampling_op(nd):
    n = 128
    result = audit(Encoder(nd), (1, 2, *(n,) * nd), direction="backward", measure=False)
    found = [(f.name, f.kind) for f in result.layers]
    assert found == [
        ("stem.0.0", "conv"),
        ("blocks.0", "avg_pool"),
        ("blocks.2", "max_pool"),
        ("blocks.3", "lp_pool"),
        (f"F.avg_pool{nd}d#0", "avg_pool"),
        ("F.interpolate#1", "interpolate"),
        ("head", "conv"),
    ]
    sizes = [f.output_shape[2] for f in result.layers]
    assert sizes == [64, 32, 16, 8, 4, 2, 1]
    by = {f.name: f for f in result.layers}
    assert by["blocks.0"].flagged and by["blocks.0"].checkerboard_score > 0.1  # k3/s2
    assert by["F.interpolate#1"].holes and by["head"].holes  # nearest /2 and 1x1/s2
    assert by["blocks.2"].method == "measured"
    relu_then_pool = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    finding = audit(relu_then_pool, (1, 1, 32, 32), direction="backward").layers[0]
    assert "first position" in finding.note and finding.name == "2"
    assert by[f"F.avg_pool{nd}d#0"].checkerboard_score == 0.0  # k = s
    assert by[f"F.avg_pool{nd}d#0"].functional and "called in" in by[f"F.avg_pool{nd}d#0"].note
    text = result.summary()
    assert "7 downsampling operation(s)" in text and "FLAG head" in text
    rec = result.recommendations.set_index("layer")
    assert not rec.loc["F.interpolate#1", "replaceable"]
    assert "functional call" in rec.loc["F.interpolate#1", "option"]


@pytest.mark.parametrize("nd", [1, 2])
def test_conv_score_is_the_harmonic_fraction_of_the_measured_gradient(nd):
    torch.manual_seed(nd)
    conv = CONV[nd](3, 4, 5, stride=3, padding=2, dilation=2, groups=1).double()
    n = (60,) * nd
    finding = audit(conv, (1, 3, *n), direction="backward", measure=False).layers[0]
    x = torch.zeros(1, 3, *n, dtype=torch.float64)
    grad = input_gradient(conv, x)[0].numpy()
    mask = adjoint_interior(n, 5, 3, 2, 2)
    lo = [
        np.flatnonzero(mask.any(axis=tuple(b for b in range(nd) if b != a)))[0] for a in range(nd)
    ]
    lo = [v + (-v) % 3 for v in lo]
    crop = grad[(slice(None), *(slice(v, v + 36) for v in lo))]
    measured, _ = harmonic_stats(crop, (3,) * nd, ndim=nd)
    assert finding.checkerboard_score == pytest.approx(measured, abs=1e-9)


def test_grouped_depthwise_conv_adjoint_scores_per_group():
    conv = nn.Conv1d(2, 2, 2, stride=2, groups=2, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]))
    finding = audit(conv, (1, 2, 32), direction="backward", measure=False).layers[0]
    assert finding.checkerboard_score == pytest.approx(0.5) and finding.flagged
    grad = input_gradient(conv, torch.zeros(1, 2, 32, dtype=torch.float64))
    assert harmonic_stats(grad[0].numpy(), 2, ndim=1)[0] == pytest.approx(0.5)


def test_resnet_shortcuts_have_holes_and_the_zoo_is_audited_backward():
    model = build("resnet18", width=1 / 8)
    result = audit(model, (1, 3, 64, 64), direction="backward")
    alone = {
        f.name: f for f in audit(model, (1, 3, 64, 64), direction="backward", measure=False).layers
    }
    by = {f.name: f for f in result.layers}
    for stage in (2, 3, 4):
        shortcut = by[f"layer{stage}.0.downsample.0"]
        assert shortcut.holes and shortcut.geometry["kernel_size"] == (1, 1)
        # its own closed form is strong; untrained, the whole model's gradient does not show it
        assert alone[shortcut.name].severity == "strong" and alone[shortcut.name].flagged
        assert shortcut.period == (2 ** (stage + 1),) * 2  # stem conv, max pool, stages
    assert by["maxpool"].kind == "max_pool" and alone["maxpool"].flagged
    assert "global pooling" in by["avgpool"].note and not by["avgpool"].flagged
    text = result.summary()
    for name in by:
        assert name in text
    for name in result.flagged:
        assert f"fix {name}:" in text
    assert set(result.model_scores.input) == {"noise", "images"}


def test_avg_pool_k3_s2_is_flagged_and_k_equal_s_is_not():
    uneven = audit(nn.AvgPool2d(3, 2), (1, 1, 32, 32), direction="backward", measure=False)
    even = audit(nn.AvgPool2d(2, 2), (1, 1, 32, 32), direction="backward", measure=False)
    x = torch.randn(1, 1, 32, 32, dtype=torch.float64)
    m = measured_gains(
        lambda t: F.avg_pool2d(t, 3, 2), x, 2, adjoint_interior((32, 32), 3, 2, whole_windows=True)
    )
    assert uneven.layers[0].flagged and uneven.layers[0].overlap_contrast > 0
    assert uneven.layers[0].checkerboard_score == pytest.approx(m.score)
    assert not even.layers[0].flagged and even.layers[0].overlap_contrast == 0
    assert even.layers[0].checkerboard_score == 0.0


def test_stylegan2_blur_is_credited_through_the_composite_kernel():
    result = audit(build("stylegan2-d", width=1 / 16), (1, 3, 64, 64), direction="backward")
    convs = [f for f in result.layers if f.name.endswith("conv1")]
    assert convs and all(f.geometry["blur"].endswith("blur.conv") for f in convs)
    assert result.flagged == []
    # the composite score equals the pair's measured adjoint
    blur = build("stylegan2-d", width=1 / 16).blocks[0]
    pair = nn.Sequential(blur.blur, blur.conv1).double()
    x = torch.randn(1, pair[0].conv.in_channels, 32, 32, dtype=torch.float64)
    m = measured_gains(pair, x, 2, adjoint_interior((32, 32), 6, 2, 2, whole_windows=True))
    assert m.score == pytest.approx(0.0, abs=1e-12)
    unblurred = audit(blur.conv1, (1, blur.conv1.in_channels, 32, 32), direction="backward")
    assert unblurred.flagged == [""]  # the model is the layer: its name is empty
    assert "FLAG (model) [conv k3/s2/p0]" in unblurred.summary()
    fixed = fix(blur.conv1, (1, blur.conv1.in_channels, 32, 32), direction="backward")
    assert isinstance(fixed[1], BlurPool)


def _one_strided_conv():
    torch.manual_seed(3)
    return nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))


def test_whole_model_gradient_falls_to_chance_after_fix():
    model = _one_strided_conv()
    shape = (1, 1, 64, 64)
    before = audit(model, shape, direction="backward", images=False)
    row = before.model_scores.iloc[0]
    assert row.harmonic_fraction > 5 * row.chance
    fixed = fix(model, shape, direction="backward")
    after = audit(fixed, shape, direction="backward", images=False)
    row = after.model_scores.iloc[0]
    assert after.flagged == [] and row.harmonic_fraction <= row.chance
    assert isinstance(fixed[0][1], BlurPool) and isinstance(model[0], nn.Conv2d)


POOLS = [
    nn.Conv2d(2, 3, 3, 2, 1),
    nn.Conv2d(2, 3, 4, 3, 0, dilation=2),
    nn.Conv1d(2, 3, 5, 2, 2, groups=1),
    nn.MaxPool2d(3, 2, 1),
    nn.MaxPool2d(3, 2, 1, ceil_mode=True),
    nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
    nn.AvgPool1d(3, 2, 0, ceil_mode=True),
    nn.LPPool2d(2.0, 3, 2, ceil_mode=True),
    nn.Upsample(scale_factor=0.5, mode="nearest"),
]


@pytest.mark.parametrize("n", [17, 24])
@pytest.mark.parametrize("layer", POOLS, ids=lambda m: type(m).__name__)
def test_blur_fix_keeps_shapes_and_clears_every_layer(layer, n):
    nd = 1 if isinstance(layer, (nn.Conv1d, nn.AvgPool1d)) else 2
    shape = (2, 2, *(n,) * nd)
    model = nn.Sequential(layer)
    before = audit(model, shape, direction="backward", measure=False)
    assert before.flagged == ["0"]
    fixed = fix(model, shape, direction="backward")
    x = torch.randn(shape)
    assert fixed(x).shape == model(x).shape
    after = audit(fixed, shape, direction="backward", measure=False)
    assert after.flagged == [], after.summary()


@pytest.mark.parametrize("strategy", ["even", "pool"])
@pytest.mark.parametrize("nd", [1, 2])
def test_conv_strategies_keep_shapes_and_zero_the_scores(strategy, nd):
    model = nn.Sequential(CONV[nd](3, 4, 7, 2, 3), nn.ReLU(), CONV[nd](4, 2, 1, 2))
    shape = (1, 3, *(33,) * nd)
    fixed = fix(model, shape, direction="backward", strategy=strategy)
    x = torch.randn(shape)
    assert fixed(x).shape == model(x).shape
    after = audit(fixed, shape, direction="backward", measure=False)
    assert after.flagged == [] and all(f.checkerboard_score < 1e-9 for f in after.layers)


def test_fix_validates_every_argument_first_even_when_nothing_is_flagged():
    clean = nn.Sequential(nn.AvgPool2d(2))
    shape = (1, 1, 8, 8)
    for kwargs, error, match in [
        ({"strategy": "bogus", "seed": -5}, ValueError, "strategy must be one of"),
        ({"seed": -5}, ValueError, "seed must be >= 0"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"strategy": "transposed", "direction": "backward"}, ValueError, "forward pass"),
        ({"direction": "sideways"}, ValueError, "direction must be"),
        ({"layers": "0"}, TypeError, "layers must be a sequence"),
        ({"layers": [0]}, TypeError, r"layers\[0\]"),
    ]:
        with pytest.raises(error, match=match):
            fix(clean, shape, direction=kwargs.pop("direction", "backward"), **kwargs)
    with pytest.raises(ValueError, match="strategy must be one of"):
        fix(nn.Sequential(nn.Conv2d(1, 1, 3)), shape, strategy="bogus", seed=-5)  # forward
    with pytest.raises(TypeError, match="input_shape"):
        fix(clean, None, direction="backward")
    assert fix(clean, shape, direction="backward")(torch.zeros(shape)).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match="can replace"):
        fix(nn.Sequential(nn.MaxPool2d(3, 2)), (1, 1, 9, 9), direction="backward",
            strategy="even", layers=["0"])  # fmt: skip
    assert {"blur", "even", "pool"} <= {
        k for k, v in STRATEGIES.items() if v.direction == "backward"
    }


@pytest.mark.parametrize(
    "shape, error",
    [
        (None, TypeError),
        (8, TypeError),
        ("1,3,8,8", TypeError),
        ((1, True, 8, 8), TypeError),
        ((1, 3, 8.0, 8), TypeError),
        ((1, 3, 0, 8), ValueError),
        ((1, 3), ValueError),
        ((1, 1, 2, 2, 2, 2), ValueError),
        ((1, 3, 10**6, 10**6), ValueError),
    ],
)
def test_input_shape_is_checked_consistently(shape, error):
    with pytest.raises(error, match="input_shape"):
        audit(nn.Conv2d(3, 3, 3, 2), shape, direction="backward")


def test_numpy_ints_and_arrays_are_accepted_as_input_shape():
    conv = nn.Conv2d(3, 3, 3, 2)
    a = audit(conv, (np.int64(1), np.int32(3), np.int64(16), 16), measure=False,
              direction="backward")  # fmt: skip
    b = audit(conv, np.array([1, 3, 16, 16]), measure=False, direction="backward")
    c = audit(conv, torch.Size([1, 3, 16, 16]), measure=False, direction="backward")
    assert a.input_shape == b.input_shape == c.input_shape == (1, 3, 16, 16)
    assert all(type(v) is int for v in a.input_shape)
    for kwargs, match in [
        ({"direction": "up"}, "direction"),
        ({"projection": "max"}, "projection"),
        ({"measure": 1}, "measure"),
        ({"seed": -1}, "seed"),
        ({"name": 3}, "name"),
    ]:
        with pytest.raises((TypeError, ValueError), match=match):
            audit(conv, (1, 3, 16, 16), **kwargs)


def test_model_scores_columns_chance_and_projection():
    model = _one_strided_conv()
    res = audit(model, (1, 1, 32, 32), direction="backward", projection="random")
    scores = res.model_scores
    assert list(scores.columns) == [
        "input",
        "measured",
        "factor",
        "harmonic_fraction",
        "chance",
        "peak_db",
        "power",
    ]
    assert list(scores.measured) == ["grad <r, y>"] * 2
    assert (scores.chance == (4 - 1) / (24 * 24)).all()
    grad = input_gradient(model, torch.ones(2, 1, 32, 32), projection="random")
    crop = crop_periods(grad, (2, 2))
    assert crop.shape == (2, 24, 24)


def test_cli_audit_direction_backward(tmp_path, capsys):
    from artifact_lab.cli import main

    src = tmp_path / "enc.py"
    src.write_text(
        "import torch.nn as nn\n"
        "def build():\n"
        "    return nn.Sequential(nn.Conv2d(1, 4, 3, 2, 1), nn.ReLU(), nn.MaxPool2d(2))\n"
    )
    code = main(["audit", f"{src}:build", "--input-shape", "1,1,32,32", "--direction", "backward"])
    out = capsys.readouterr().out
    assert code == 0 and "FLAG 0 [conv k3/s2/p1]" in out and "fix 0: Conv k3/s1 + BlurPool" in out
    assert "2 downsampling operation(s)" in out
