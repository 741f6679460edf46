"""The gradients study (notebook 7) against independent computations: autograd called here,
phase gains summed here, the harmonic fraction from numpy's FFT, brute-force patch search."""

import importlib

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.lib.stride_tricks import sliding_window_view

from artifact_lab.studies.gradients import (
    SmallClassifier,
    adjoint_check,
    fix_study,
    gradient_scores,
    texture_patches,
    train_classifier,
)

images = importlib.import_module("artifact_lab.core.images")


# --- independent oracles ----------------------------------------------------------------------


def _score(gains):
    """The checkerboard score by its definition, 1 - mean(g)^2 / mean(g^2)."""
    g = np.asarray(gains, dtype=float).ravel()
    return 0.0 if not (g**2).mean() else 1 - g.mean() ** 2 / (g**2).mean()


def _phase_gains_2d(kernel, s, p):
    """Sum of the taps landing on each phase, tap j on phase (j - p) mod s per axis."""
    kernel = np.asarray(kernel, dtype=float)
    g = np.zeros((s, s))
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            g[(i - p) % s, (j - p) % s] += kernel[i, j]
    return g


def _harmonic_fraction(maps, period):
    """Power at the non-zero harmonics m/P over the total power (DC kept), pooled over maps,
    on the crop the study measures: an eighth of each side dropped, then whole periods."""
    maps = np.asarray(maps, dtype=float)
    n = maps.shape[-1]
    m = n // 8
    length = (n - 2 * m) // period * period
    crop = maps[..., m : m + length, m : m + length].reshape(-1, length, length)
    power = (np.abs(np.fft.fft2(crop)) ** 2).sum(axis=0)
    harmonics = power[:: length // period, :: length // period].copy()
    harmonics[0, 0] = 0.0  # DC is in the total, not among the harmonics
    chance = (period**2 - 1) / length**2
    return harmonics.sum() / power.sum(), chance


def _saliency(model, x, labels):
    x = x.clone().requires_grad_(True)
    logits = model(x)
    (grad,) = torch.autograd.grad(logits.gather(1, labels[:, None]).sum(), x)
    return grad.detach().numpy()


# --- texture patches --------------------------------------------------------------------------


@pytest.fixture
def small_pictures(monkeypatch):
    """Three random 64 x 64 'pictures': every standardised 8 x 8 window is unique."""
    rng = np.random.default_rng(1)
    fakes = {n: rng.random((64, 64)) for n in ("brick", "grass", "gravel")}
    monkeypatch.setattr(images, "load_image", lambda name, size=None: torch.tensor(fakes[name]))
    return fakes


def _standardised_windows(picture, side):
    w = sliding_window_view(picture, (side, side))
    mean = w.mean(axis=(-2, -1), keepdims=True)
    std = np.maximum(w.std(axis=(-2, -1), keepdims=True), 1e-6)
    return (w - mean) / std


def test_patches_come_from_their_side_of_the_split_standardised(small_pictures):
    data = texture_patches(size=8, per_class=6, test_size=8, test_per_class=4, seed=3)
    for part, count in (("train", 6), ("test", 4)):
        x, y = data[f"{part}_x"], data[f"{part}_y"]
        assert x.shape == (3 * count, 1, 8, 8) and y.tolist() == sorted(y.tolist())
        for patch, label in zip(x[:, 0].double().numpy(), y.tolist(), strict=True):
            picture = small_pictures[("brick", "grass", "gravel")[label]]
            windows = _standardised_windows(picture, 8)
            hit = np.argwhere(np.abs(windows - patch).max(axis=(-2, -1)) < 1e-5)
            assert len(hit) == 1, "each patch is one window of its own class's picture"
            col = hit[0][1]
            if part == "train":  # left three quarters (48 columns) for training
                assert col + 8 <= 48
            else:
                assert col >= 48
            assert abs(patch.mean()) < 1e-5 and abs(patch.std() - 1) < 1e-3


def test_patches_depend_on_the_seed_only(small_pictures):
    a = texture_patches(size=8, per_class=3, test_per_class=2, seed=5)
    b = texture_patches(size=8, per_class=3, test_per_class=2, seed=5)
    c = texture_patches(size=8, per_class=3, test_per_class=2, seed=6)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["train_x"], c["train_x"])


# --- the classifier and its gradients ---------------------------------------------------------


@pytest.fixture(scope="module")
def data():
    return texture_patches(size=16, per_class=12, test_size=32, test_per_class=6, seed=0)


def test_training_returns_a_trained_copy_whose_accuracy_is_recomputable(data):
    torch.manual_seed(0)
    model = SmallClassifier(width=4)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    trained = train_classifier(model, data, steps=6, batch=8, seed=2, evals=3)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # a copy
    with torch.no_grad():
        predicted = trained.model(data["test_x"]).argmax(1)
    assert trained.accuracy == pytest.approx((predicted == data["test_y"]).float().mean().item())
    assert trained.history.step.tolist() == [2, 4, 6]
    assert trained.history.test_accuracy.iloc[-1] == pytest.approx(trained.accuracy)
    again = train_classifier(model, data, steps=6, batch=8, seed=2, evals=3)
    assert all(
        torch.equal(a, b)
        for a, b in zip(trained.model.parameters(), again.model.parameters(), strict=True)
    )


@given(seed=st.integers(0, 2**16), period=st.sampled_from([2, 4, 8]))
@settings(deadline=None)
def test_gradient_scores_match_autograd_and_an_fft_here(seed, period):
    torch.manual_seed(seed)
    model = SmallClassifier(width=2).double().eval()
    x = torch.randn(2, 1, 32, 32, generator=torch.Generator().manual_seed(seed), dtype=torch.double)
    u = torch.randn(2, 3, generator=torch.Generator().manual_seed(seed + 1), dtype=torch.double)
    table = gradient_scores(model, {"x": x}, (period, period), projection={"x": u})
    x_grad = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad((model(x_grad) * u).sum(), x_grad)
    fraction, chance = _harmonic_fraction(grad[:, 0].numpy(), period)
    assert table.harmonic_fraction.iloc[0] == pytest.approx(fraction, rel=1e-9, abs=1e-15)
    assert table.chance.iloc[0] == pytest.approx(chance, rel=1e-12)


def test_the_sum_projection_is_the_gradient_of_the_sum(data):
    torch.manual_seed(1)
    model = SmallClassifier(width=3).double().eval()
    x = data["test_x"][:3].double()
    table = gradient_scores(model, {"t": x}, (8, 8))
    x_grad = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x_grad).sum(), x_grad)
    assert table.harmonic_fraction.iloc[0] == pytest.approx(
        _harmonic_fraction(grad[:, 0].numpy(), 8)[0], rel=1e-9
    )


# --- the adjoint check ------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 7])
def test_adjoint_check_against_phase_gains_and_autograd_computed_here(seed):
    n = 24
    table = adjoint_check(n, seed=seed).set_index("layer")
    gen = torch.Generator().manual_seed(seed)  # the draws adjoint_check makes, in its order
    w3 = torch.randn(1, 1, 3, 3, generator=gen, dtype=torch.float64)
    w4 = torch.randn(1, 1, 4, 4, generator=gen, dtype=torch.float64)
    w1 = torch.randn(1, 1, 1, 1, generator=gen, dtype=torch.float64)
    cases = {
        "Conv 3x3/s2/p1 (random)": (w3[0, 0], 2, 1, lambda t: F.conv2d(t, w3, None, 2, 1)),
        "Conv 4x4/s2/p1 (random)": (w4[0, 0], 2, 1, lambda t: F.conv2d(t, w4, None, 2, 1)),
        "Conv 1x1/s2 (shortcut)": (w1[0, 0], 2, 0, lambda t: F.conv2d(t, w1, stride=2)),
        "AvgPool 3x3/s2": (torch.full((3, 3), 1 / 9), 2, 0, lambda t: F.avg_pool2d(t, 3, 2)),
        "AvgPool 2x2/s2": (torch.full((2, 2), 1 / 4), 2, 0, lambda t: F.avg_pool2d(t, 2, 2)),
    }
    for name, (kernel, s, p, op) in cases.items():
        gains = _phase_gains_2d(kernel.numpy(), s, p)
        row = table.loc[name]
        assert row.closed_form_score == pytest.approx(_score(gains), abs=1e-12)
        holes = len({(j - p) % s for j in range(kernel.shape[0])}) < s
        assert bool(row.holes) == holes
        # autograd here: the gradient of sum(op(x)), per phase, far from every border
        x = torch.zeros(1, 1, n, n, dtype=torch.float64, requires_grad=True)
        (grad,) = torch.autograd.grad(op(x).sum(), x)
        middle = grad[0, 0, 8:16, 8:16].numpy()  # 8 = a multiple of s, inside every border
        measured = np.array([[middle[a::s, b::s].mean() for b in range(s)] for a in range(s)])
        assert row.autograd_score == pytest.approx(_score(measured), abs=1e-9)
        assert row.max_difference < 1e-12
    for name in ("MaxPool 3x3/s2 (noise)", "MaxPool 2x2/s2 (noise)"):
        assert np.isnan(table.loc[name, "closed_form_score"])
        assert 0 <= table.loc[name, "autograd_score"] <= 1


# --- the fix study ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def study(data):
    return fix_study(data, strategies=("blur", "pool"), width=4, steps=5, batch=8, seed=3)


def test_fix_study_trains_the_original_as_train_classifier_does(data, study):
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        base = SmallClassifier(width=4)
    alone = train_classifier(base, data, steps=5, batch=8, seed=3)
    acc = study.accuracy.set_index("variant")
    assert acc.loc["original", "test_accuracy"] == pytest.approx(alone.accuracy)
    strided = sum(
        isinstance(m, torch.nn.Conv2d) and m.stride != (1, 1) for m in base.modules()
    )  # every random 3x3/s2 convolution has an uneven adjoint: all are flagged
    assert acc.loc["original", "flagged"] == strided == 3
    assert (acc.loc[["blur", "pool"], "flagged"] == 0).all()


def test_fix_study_saliency_rows_match_autograd_and_an_fft_here(data, study):
    rows = study.gradients.set_index(["variant", "stage"])
    for variant, (initial, trained) in study.models.items():
        for stage, net in (("init", initial), ("trained", trained.model)):
            net.eval()
            grad = _saliency(net, data["test_x"], data["test_y"])[:, 0]
            for period in (2, 8):
                fraction, chance = _harmonic_fraction(grad, period)
                got = rows.loc[(variant, stage)]
                got = got[[f[0] == period for f in got.factor]].iloc[0]
                assert got.harmonic_fraction == pytest.approx(fraction, rel=1e-6, abs=1e-12)
                assert got.chance == pytest.approx(chance, rel=1e-12)
