import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import artifact_lab as al
from artifact_lab.cli import main
from artifact_lab.models.audit import audit, fix
from artifact_lab.models.loading import load_model
from artifact_lab.models.severity import band_rank
from artifact_lab.models.zoo import ZOO, build, input_shape
from tests._oracles import harmonic_fraction_fft
from tests._strategies import examples


class Nested(nn.Module):
    """Upsampling hidden in nested containers and a functional call."""

    def __init__(self, nd: int) -> None:
        super().__init__()
        conv_t = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}[nd]
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[nd]
        self.nd = nd
        self.stem = nn.Sequential(nn.Sequential(conv_t(2, 3, 3, 2, 1, 1), nn.ReLU()))
        self.blocks = nn.ModuleList(
            [nn.Upsample(scale_factor=2, mode="nearest"), conv(3, 3, 3, padding=1)]
        )
        self.last = conv_t(3, 1, 4, 2, 1)

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        x = F.interpolate(x, scale_factor=3, mode="nearest")
        return self.last(x)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_audit_finds_exactly_the_upsampling_layers_with_their_shapes(nd):
    n = (5, 4, 3)[:nd]
    result = audit(Nested(nd), (1, 2, *n), measure=nd < 3)
    kinds = [(f.name, f.kind) for f in result.layers]
    assert kinds == [
        ("stem.0.0", "transposed"),
        ("blocks.0", "interpolate"),
        ("F.interpolate#0", "interpolate"),
        ("last", "transposed"),
    ]
    shapes = [(f.input_shape[2:], f.output_shape[2:]) for f in result.layers]
    a = tuple(2 * m for m in n)
    b = tuple(2 * m for m in a)
    c = tuple(3 * m for m in b)
    assert shapes == [(n, a), (a, b), (b, c), (c, tuple(2 * m for m in c))]
    assert result.flagged[0] == "stem.0.0" and "blocks.0" not in result.flagged
    assert len(result.to_frame()) == 4 and "FLAG stem.0.0" in result.summary()


def test_layer_scores_are_the_weight_scores_and_match_torch_on_a_constant():
    conv_t = nn.ConvTranspose2d(3, 2, 4, 2, 1).double()
    with torch.no_grad():
        conv_t.bias.zero_()
    finding = audit(conv_t, (1, 3, 12, 12), measure=False).layers[0]
    ws = al.weight_scores(conv_t.weight.detach(), 2)
    assert finding.checkerboard_score == pytest.approx(ws.checkerboard_score)
    y = conv_t(torch.ones(1, 3, 12, 12, dtype=torch.float64))[0].detach()
    crop = al.interior_crop(y, (12, 12), 4, 2, 1)
    fraction = harmonic_fraction_fft(crop, 2)
    assert finding.checkerboard_score == pytest.approx(fraction, abs=1e-9)


def test_pixel_shuffle_is_scored_through_the_convolution_that_feeds_it():
    model = nn.Sequential(nn.Conv2d(2, 12, 3, padding=1), nn.PixelShuffle(2)).double()
    with torch.no_grad():
        model[0].bias.zero_()
    finding = audit(model, (1, 2, 10, 10), measure=False).layers[0]
    assert finding.kind == "pixel_shuffle" and finding.geometry["conv"] == "0"
    y = model(torch.ones(1, 2, 16, 16, dtype=torch.float64))[0].detach().numpy()[:, 4:-4, 4:-4]
    measured = al.spectral.harmonic_stats(y, (2, 2))[0]
    assert finding.checkerboard_score == pytest.approx(measured, abs=1e-9)


@pytest.mark.parametrize("strategy", ["transposed", "resize", "subpixel"])
@pytest.mark.parametrize("nd", [1, 2])
def test_fix_keeps_shapes_and_zeroes_the_replaced_scores(strategy, nd):
    conv_t = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}[nd]
    model = nn.Sequential(conv_t(4, 4, 3, 2, 1, 1), nn.ReLU(), nn.Sequential(conv_t(4, 2, 4, 2, 1)))
    shape = (1, 4, *(6,) * nd)
    before = audit(model, shape, measure=False)
    fixed = fix(model, shape, strategy=strategy)
    after = audit(fixed, shape, measure=False)
    assert after.output_shape == before.output_shape
    assert fixed(torch.randn(shape)).shape == model(torch.randn(shape)).shape
    assert after.flagged == []
    assert all(f.checkerboard_score < 1e-9 for f in after.layers)
    assert isinstance(model[0], conv_t)  # the original is untouched


def test_fix_refuses_a_size_it_cannot_keep():
    model = nn.Sequential(nn.ConvTranspose2d(2, 2, 3, 2, 0))  # n -> 2n + 1
    with pytest.raises(ValueError, match="n\\*2"):
        fix(model, (1, 2, 5, 5), strategy="resize")
    fixed = fix(model, (1, 2, 5, 5), strategy="transposed")
    assert fixed(torch.zeros(1, 2, 5, 5)).shape == (1, 2, 11, 11)


def test_failing_model_and_model_without_upsampling_get_clear_messages():
    with pytest.raises(ValueError, match="failed on input_shape"):
        audit(nn.Conv2d(3, 3, 3), (1, 4, 8, 8))
    result = audit(nn.Sequential(nn.Conv2d(3, 3, 3)), (1, 3, 8, 8))
    assert result.layers == () and "No upsampling operation found" in result.summary()
    with pytest.raises(ValueError, match="input_shape"):
        audit(nn.Conv2d(3, 3, 3), (8, 8))
    with pytest.raises(TypeError, match=r"torch\.nn\.Module"):
        audit("model", (1, 3, 8, 8))


def test_load_model_from_file_and_checkpoint(tmp_path):
    src = tmp_path / "my_net.py"
    src.write_text(
        "import torch.nn as nn\n"
        "def make(ch=4):\n"
        "    return nn.Sequential(nn.ConvTranspose2d(ch, 2, 4, 2, 1))\n"
    )
    model = load_model(f"{src}:make")
    good = tmp_path / "good.pt"
    torch.save({"state_dict": model.state_dict()}, good)
    loaded = load_model(f"{src}:make", checkpoint=good)
    assert torch.equal(loaded[0].weight, model[0].weight)
    bad = tmp_path / "bad.pt"
    torch.save(nn.Sequential(nn.ConvTranspose2d(3, 2, 4, 2, 1)).state_dict(), bad)
    with pytest.raises(ValueError, match=r"shape mismatch: 0\.weight"):
        load_model(f"{src}:make", checkpoint=bad)
    other = tmp_path / "other.pt"
    torch.save({"head.weight": torch.zeros(1)}, other)
    with pytest.raises(ValueError, match=r"missing keys: 0\.bias, 0\.weight; unexpected keys"):
        load_model(f"{src}:make", checkpoint=other)
    assert isinstance(load_model("artifact_lab.models.zoo:UNet"), nn.Module)
    for target, match in [
        ("no_colon", "package.module:factory"),
        ("nope.py:f", "does not exist"),
        ("artifact_lab.models.zoo:Missing", "no attribute"),
        ("not_a_module_xyz:f", "cannot import"),
    ]:
        with pytest.raises(ValueError, match=match):
            load_model(target)


@pytest.mark.parametrize("name", sorted(ZOO))
def test_every_zoo_model_builds_and_audits(name):
    model = build(name, width=1 / 16)
    direction = ZOO[name].direction
    result = audit(model, input_shape(name, width=1 / 16), name=name, direction=direction)
    assert result.layers, name
    closed = audit(model, input_shape(name, width=1 / 16), direction=direction, measure=False)
    for measured, alone in zip(result.layers, closed.layers, strict=True):
        # the measured severity is the closed form's, capped by what the whole model carries
        assert band_rank(measured.severity) <= max(band_rank(alone.severity), 0), measured.name
        if band_rank(measured.severity) > 0:
            rows = result.periods[result.periods.period == measured.period]
            assert rows.present.any() and measured.severity in set(rows.band), measured.name
    if direction == "backward":
        assert name == "stylegan2-d" or closed.flagged, name
        return
    if name in ("pix2pixhd", "dcgan", "hifigan-v1", "melgan", "codec", "espcn", "srgan"):
        assert result.flagged, name
    if name == "fcn8s":
        assert result.flagged == []  # bilinear initialisation
    if name == "pix2pixhd":
        assert all(f.geometry["kernel_size"] == (3, 3) for f in result.layers)


def test_cli_audit_on_a_users_file_and_zoo(tmp_path, capsys):
    src = tmp_path / "net.py"
    src.write_text(
        "import torch.nn as nn\n"
        "def build():\n    return nn.Sequential(nn.ConvTranspose2d(2, 1, 3, 2, 1, 1))\n"
    )
    html, png = tmp_path / "a.html", tmp_path / "a.png"
    code = main(
        [
            "audit",
            f"{src}:build",
            "--input-shape",
            "1,2,8,8",
            "--html",
            str(html),
            "--png",
            str(png),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and "FLAG 0" in out and err == ""
    assert "data:image/png;base64," in html.read_text() and png.stat().st_size > 1000
    assert main(["zoo"]) == 0 and "pix2pixhd" in capsys.readouterr().out
    assert main(["audit", f"{src}:build", "--input-shape", "1,3,8,8"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "failed on input_shape" in err


@st.composite
def grouped_config(draw):
    nd = draw(st.integers(1, 2))
    groups = draw(st.integers(1, 3))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    k = draw(st.integers(1, 5))
    s = draw(st.integers(2, 3))
    d = draw(st.integers(1, 2))
    return nd, groups, cin, cout, k, s, d, draw(st.integers(0, 2**16))


@settings(max_examples=examples(40))
@given(grouped_config())
def test_grouped_transposed_layers_are_scored_per_group_against_torch(cfg):
    nd, groups, cin, cout, k, s, d, seed = cfg
    conv_t = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d}[nd]
    torch.manual_seed(seed)
    layer = conv_t(cin, cout, k, s, groups=groups, dilation=d, bias=False).double()
    n = (12,) * nd
    finding = audit(layer, (1, cin, *n), measure=False).layers[0]
    y = layer(torch.ones(1, cin, *n, dtype=torch.float64))[0].detach()
    crop = al.interior_crop(y, n, k, s, 0, 0, d)
    measured = al.spectral.harmonic_stats(crop.reshape(cout, *crop.shape[1:]), (s,) * nd)[0]
    assert finding.checkerboard_score == pytest.approx(measured, abs=1e-9)
    assert finding.geometry["groups"] == groups


def test_the_issues_depthwise_examples():
    # two groups whose taps sit in different phases: pooled gains are flat, the output is not
    layer = nn.ConvTranspose1d(2, 2, 2, 2, groups=2, bias=False).double()
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]))
    finding = audit(layer, (1, 2, 16), measure=False).layers[0]
    assert finding.flagged and finding.checkerboard_score == pytest.approx(0.5)
    y = layer(torch.ones(1, 2, 16, dtype=torch.float64))[0, :, 2:-2].detach()
    assert al.spectral.harmonic_stats(y.numpy(), 2, ndim=1)[0] == pytest.approx(0.5)
    assert al.weight_scores(layer.weight, 2).checkerboard_score == 0.0  # the old, pooled answer
    ws = al.weight_scores(layer.weight, 2, groups=2)
    assert list(ws.pairs.out_channel) == [0, 1]
    with pytest.raises(ValueError, match="groups must divide"):
        al.weight_scores(layer.weight, 2, groups=3)
    # a random depthwise k4/s2 layer: the per-group score is what torch's output shows
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(8, 8, 4, 2, 1, groups=8, bias=False).double()
    finding = audit(layer, (1, 8, 16, 16), measure=False).layers[0]
    y = layer(torch.ones(1, 8, 16, 16, dtype=torch.float64))[0, :, 4:-4, 4:-4].detach()
    measured = al.spectral.harmonic_stats(y.numpy(), (2, 2))[0]
    assert finding.checkerboard_score == pytest.approx(measured, abs=1e-9)
    pooled = al.weight_scores(layer.weight, 2).checkerboard_score
    assert abs(pooled - measured) > 0.01


def test_forward_model_scores_separate_fixed_pattern_and_responses():
    torch.manual_seed(0)
    layer = nn.ConvTranspose1d(1, 1, 3, 2, bias=False).double()
    scores = audit(layer, (1, 1, 64)).model_scores.set_index("input")
    assert list(scores.measured) == ["y(0)", "y(1) - y(0)", "y(noise) - y(0)"]
    assert scores.loc["zero", "power"] == 0.0  # no bias: no fixed pattern
    score = al.checkerboard_score(layer.weight[0, 0].detach(), 2)
    assert scores.loc["constant", "harmonic_fraction"] == pytest.approx(score, abs=1e-9)
    assert scores.loc["constant", "chance"] == scores.loc["zero", "chance"] == 0.0
    crop = 64 * 2 + 1 - 2 * ((64 * 2 + 1) // 8)
    assert scores.loc["noise", "chance"] == pytest.approx(1 / (crop // 2 * 2))
    # biases before the layer paint a fixed pattern that the noise row no longer contains
    model = nn.Sequential(nn.Conv1d(1, 2, 1), nn.ConvTranspose1d(2, 1, 3, 2, bias=False)).double()
    with torch.no_grad():
        model[0].bias.fill_(5.0)
    scores = audit(model, (1, 1, 64)).model_scores.set_index("input")
    assert scores.loc["zero", "harmonic_fraction"] > 0.001
    assert scores.loc["zero", "power"] > 5 * scores.loc["noise", "power"]
    text = audit(model, (1, 1, 64)).summary()
    assert "y(0) at zero input: harmonic fraction" in text and "(chance 0.000)" in text
