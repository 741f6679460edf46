"""A diverged run never reads as clean, and the scores do not depend on the weights' scale.

NaN or infinite weights give NaN scores (torch's convention), never 0, in the penalty, the
monitor and the constrained layers; every score is the same for a weight scaled by any
factor from 1e-30 to 1e30, in float32 as in float64 (the reference is the float64 closed form
of the unscaled weight)."""

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import artifact_lab as al
from artifact_lab.prevent.losses import checkerboard_penalty, find_layers, layer_scores
from artifact_lab.prevent.nn import CheckerboardFreeConvTranspose2d, hold_fit

CONVT = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
# float32 keeps about 7 digits: a score from float32 taps is within this of the float64 one
TOLERANCE = {torch.float32: 2e-5, torch.float64: 1e-10}


@st.composite
def weights(draw):
    """A random weight (in, out, *k) with a stride, a dilation and a scale 10**e."""
    nd = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    cin, cout = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    w = torch.randn(
        (cin, cout, *k), dtype=torch.float64, generator=torch.Generator().manual_seed(seed)
    )
    scale = 10.0 ** draw(st.floats(-30, 30))
    dtype = draw(st.sampled_from([torch.float32, torch.float64]))
    return w, s, d, scale, dtype


@settings(max_examples=150)
@given(weights(), st.sampled_from(["sum", "pairs"]))
def test_penalty_and_layer_scores_are_scale_free_in_float32_and_float64(case, channels):
    w, s, d, scale, dtype = case
    reference = layer_scores(w, s, d, channels=channels)
    scaled = (w * scale).to(dtype)
    got = layer_scores(scaled, s, d, channels=channels)
    tol = TOLERANCE[dtype]
    assert float(got[0]) == pytest.approx(float(reference[0]), abs=tol)  # score
    assert float(got[2]) == pytest.approx(float(reference[2]), abs=tol, rel=tol)  # noise
    penalty = checkerboard_penalty(scaled, stride=s, dilation=d, channels=channels)
    assert penalty.dtype == dtype
    assert float(penalty) == pytest.approx(float(reference[0]), abs=tol)
    if channels == "sum":  # the numpy closed form agrees at every scale
        assert float(got[0]) == pytest.approx(al.weight_scores(w, s, d).checkerboard_score, abs=tol)
    # the numerator is in squared weight units: scaled by scale**2 where float holds it
    numerator = checkerboard_penalty(
        scaled, stride=s, dilation=d, channels=channels, normalized=False
    )
    expected = float(reference[1]) * scale**2
    if dtype == torch.float64 or 1e-30 < expected < 1e30:
        assert float(numerator) == pytest.approx(expected, rel=100 * tol, abs=1e-300)


@settings(max_examples=60)
@given(weights())
def test_the_gradient_of_the_penalty_is_the_scaled_one(case):
    """The score is scale-invariant, so its gradient at c*w is grad(w) / c: computed on the
    power-of-two scaled weight, it neither underflows nor overflows."""
    w, s, d, scale, dtype = case
    if dtype == torch.float32:
        return
    a = w.clone().requires_grad_(True)
    checkerboard_penalty(a, stride=s, dilation=d).backward()
    b = (w * scale).requires_grad_(True)
    checkerboard_penalty(b, stride=s, dilation=d).backward()
    np.testing.assert_allclose(b.grad.numpy() * scale, a.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_the_issue_case_float32_ones_times_1e_25_scores_a_tenth():
    w = torch.ones(1, 1, 3) * 1e-25
    assert float(checkerboard_penalty(w, stride=2, channels="sum")) == pytest.approx(0.1, abs=1e-6)
    model = nn.Sequential(nn.ConvTranspose1d(1, 1, 3, 2, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(w)
    mon = al.monitor(model)
    mon(0)
    frame = mon.to_frame()
    assert frame.checkerboard_score.iloc[0] == pytest.approx(0.1, abs=1e-12)
    assert not frame.zero_gain.iloc[0]


def _poison(w: torch.Tensor, value: float, index: int) -> torch.Tensor:
    w = w.clone()
    w.view(-1)[index % w.numel()] = value
    return w


@settings(max_examples=60)
@given(weights(), st.sampled_from([math.nan, math.inf, -math.inf]), st.integers(0, 10**6))
def test_a_nan_or_infinite_tap_makes_every_score_nan_never_zero(case, bad, index):
    w, s, d, _, dtype = case
    w = _poison(w.to(dtype), bad, index)
    for channels in ("sum", "pairs"):
        scores = layer_scores(w, s, d, channels=channels)
        assert torch.isnan(scores[0]) and torch.isnan(scores[1]), scores
        assert torch.isnan(scores[2]), scores
        assert not torch.isfinite(scores[3]), scores
        for normalized in (True, False):
            p = checkerboard_penalty(
                w, stride=s, dilation=d, channels=channels, normalized=normalized
            )
            assert torch.isnan(p), p


def _layers_with_a_bad_weight(bad: float):
    torch.manual_seed(0)
    up = nn.ConvTranspose2d(2, 2, 4, 2, 1)
    sub = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1), nn.PixelShuffle(2))
    grouped = nn.Sequential(nn.Conv2d(2, 8, 3, padding=1, groups=2), nn.PixelShuffle(2))
    clean = CheckerboardFreeConvTranspose2d(2, 2, 4, stride=2, padding=1)
    down = nn.Conv2d(2, 2, 3, stride=2)
    with torch.no_grad():
        up.weight[0, 1, 2, 3] = bad
        sub[0].weight[5, 0, 1, 1] = bad
        grouped[0].weight[6, 0, 0, 0] = bad
        clean.h0[1, 0, 1, 1] = bad  # a NaN h0: the computed weight is NaN
        down.weight[1, 1, 0, 0] = bad
    return nn.ModuleDict({"up": up, "sub": sub, "grouped": grouped, "clean": clean, "down": down})


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_penalty_and_monitor_of_a_diverged_model_are_nan_with_a_warning(bad):
    model = _layers_with_a_bad_weight(bad)
    layers = find_layers(model, direction="both", subpixel={})
    names = {x.name for x in layers}
    assert names == {"up", "sub.0", "grouped.0", "clean", "down"}
    for channels in ("sum", "pairs"):
        values = checkerboard_penalty(model, direction="both", channels=channels, reduction="none")
        assert torch.isnan(values).all(), values
        assert torch.isnan(checkerboard_penalty(model, direction="both", channels=channels))
    mon = al.monitor(model, direction="both")
    with pytest.warns(RuntimeWarning, match="NaN or infinite weights"):
        mon(0)
    frame = mon.to_frame()
    assert frame.checkerboard_score.isna().all() and frame.pair_score.isna().all()
    assert frame.noise_checkerboard.isna().all()
    assert not frame.zero_gain.any()  # a diverged layer is not a layer blind to constants


def test_a_clean_model_records_without_a_warning():
    model = _layers_with_a_bad_weight(0.0)
    mon = al.monitor(model, direction="both")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mon(0)
    assert mon.to_frame().checkerboard_score.notna().all()


@settings(max_examples=40)
@given(st.integers(0, 2**16), st.floats(-30, 30), st.sampled_from([torch.float32, torch.float64]))
def test_monitor_records_the_float64_scores_at_every_scale(seed, exponent, dtype):
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.ConvTranspose2d(3, 2, 3, 2),
        nn.Conv2d(2, 8, 3, padding=1, dilation=2),
        nn.PixelShuffle(2),
    ).double()
    mon = al.monitor(model)
    mon(0)
    reference = mon.to_frame()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(10.0**exponent)
    mon = al.monitor(model.to(dtype))
    mon(0)
    frame = mon.to_frame()
    tol = TOLERANCE[dtype]
    for column in ("checkerboard_score", "pair_score", "noise_checkerboard"):
        np.testing.assert_allclose(frame[column], reference[column], atol=tol, rtol=tol)


@settings(max_examples=40)
@given(st.integers(0, 2**16), st.floats(-30, 30), st.sampled_from([torch.float32, torch.float64]))
def test_constrained_layers_stay_clean_and_fit_at_every_scale(seed, exponent, dtype):
    torch.manual_seed(seed)
    scale = 10.0**exponent
    layer = CheckerboardFreeConvTranspose2d(2, 3, (5, 4), stride=(2, 3)).to(dtype)
    with torch.no_grad():
        layer.h0.mul_(scale)
    assert float(checkerboard_penalty(layer, channels="pairs").detach()) < TOLERANCE[dtype]
    # the fit of a scaled weight is the scaled fit: same relative distance and score
    w = torch.randn(2, 3, 5, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(seed))
    fit = layer.fit_(w)
    scaled = layer.fit_(w * scale)
    assert scaled.relative_distance == pytest.approx(fit.relative_distance, rel=1e-9)
    assert scaled.distance == pytest.approx(fit.distance * scale, rel=1e-9)
    assert scaled.checkerboard_score_before == pytest.approx(
        fit.checkerboard_score_before, abs=1e-12
    )
    np.testing.assert_allclose(
        hold_fit(w * scale, (2, 3), ndim=2),
        hold_fit(w, (2, 3), ndim=2) * scale,
        rtol=1e-9,
        atol=1e-300,
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_fitting_a_diverged_weight_is_a_clear_error(bad):
    layer = CheckerboardFreeConvTranspose2d(1, 1, 4, stride=2)
    w = _poison(torch.randn(1, 1, 4, 4), bad, 3)
    with pytest.raises(ValueError, match="weight contains NaN or infinite"):
        layer.fit_(w)
    up = nn.ConvTranspose2d(1, 1, 4, 2)
    with torch.no_grad():
        up.weight.copy_(w)
    with pytest.raises(ValueError, match="NaN or infinite"):
        al.nn.from_module(up)


def test_penalty_and_monitor_take_any_stride_in_bounded_memory():
    """Phases that get no tap have gain 0: they enter the score through their count, so a
    stride of 10**9 costs no more than a stride of 2 (the issue: a MemoryError)."""
    w = torch.tensor([[[1.0, 1.0, 1.0]]], dtype=torch.float64)
    P = 10**9  # gains (1, 1, 1, 0, ..., 0): score 1 - (3/P)^2 / (3/P)
    expected = 1 - 3 / P
    assert float(checkerboard_penalty(w, stride=P, channels="sum")) == pytest.approx(
        expected, abs=1e-15
    )
    scores = layer_scores(w, P)
    assert float(scores[2]) == pytest.approx(math.sqrt(P / 3 - 1), rel=1e-9)  # noise
    model = nn.Sequential(nn.ConvTranspose2d(1, 1, 2, stride=(10**9, 10**9)))
    mon = al.monitor(model)
    mon(0)
    assert 0.999 < mon.to_frame().checkerboard_score.iloc[0] <= 1
    # and the brute force on a stride numpy can still hold agrees with the folded phases
    w = torch.randn(2, 3, 7, 5, dtype=torch.float64)
    for s, d in [((3, 2), (2, 3)), ((5, 7), (1, 1)), ((4, 6), (2, 4))]:
        got = float(layer_scores(w, s, d)[0])
        assert got == pytest.approx(al.weight_scores(w, s, d).checkerboard_score, abs=1e-12)
