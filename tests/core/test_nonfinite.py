"""The closed forms and the measured spectra never read a diverged kernel or output as clean.

Every score of ``core/scores.py``, ``core/spectral.py`` and ``core/adjoint.py`` is the same
for its input scaled by any factor from 1e-30 to 1e30, given as a float32 or a float64
tensor (the reference: the float64 score of the unscaled input); NaN or infinite values are
refused with an error naming the argument, and a NaN or infinite gradient measured by
``measured_gains`` gives NaN scores, never 0."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lab.core import adjoint, scores, spectral

TOLERANCE = {torch.float32: 2e-5, torch.float64: 1e-10}
SCALE = st.floats(-30, 30).map(lambda e: 10.0**e)
DTYPE = st.sampled_from([torch.float32, torch.float64])


def _as(x: np.ndarray, scale: float, dtype: torch.dtype) -> torch.Tensor:
    return torch.from_numpy(x * scale).to(dtype)


def _close(got, want, dtype):
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(np.asarray(got, float), np.asarray(want, float), atol=tol, rtol=tol)


@st.composite
def kernels(draw):
    nd = draw(st.integers(1, 3))
    k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
    s = tuple(draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    return rng.standard_normal(k), s, d


@settings(max_examples=120)
@given(kernels(), SCALE, DTYPE)
def test_kernel_scores_are_scale_free_in_float32_and_float64(case, scale, dtype):
    kern, s, d = case
    x = _as(kern, scale, dtype)
    ref = np.asarray(x.double() / scale)  # the same rounded taps, unscaled, in float64
    _close(scores.checkerboard_score(x, s, d), scores.checkerboard_score(ref, s, d), dtype)
    _close(scores.noise_checkerboard(x, s, d), scores.noise_checkerboard(ref, s, d), dtype)
    w = _as(np.stack([kern, -kern[::-1] * 0.5])[:, None], scale, dtype)  # (2, 1, *k)
    ws, ref_ws = scores.weight_scores(w, s, d), scores.weight_scores(w.double() / scale, s, d)
    _close(ws.checkerboard_score, ref_ws.checkerboard_score, dtype)
    _close(ws.noise_checkerboard, ref_ws.noise_checkerboard, dtype)
    _close(ws.pairs.checkerboard_score, ref_ws.pairs.checkerboard_score, dtype)
    # the gains keep the kernel's units
    _close(scores.phase_gains(x, s, d) / scale, scores.phase_gains(ref, s, d), dtype)


@st.composite
def signals(draw):
    """A batch of 2-D outputs of whole periods: a periodic pattern plus noise."""
    s = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    periods = draw(st.integers(2, 6))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    pattern = rng.standard_normal(s)
    y = np.tile(pattern, (periods, periods)) + draw(st.floats(0.01, 1)) * rng.standard_normal(
        (2, periods * s[0], periods * s[1])
    )
    return y, s


@settings(max_examples=80)
@given(signals(), SCALE, DTYPE)
def test_spectral_scores_are_scale_free_in_float32_and_float64(case, scale, dtype):
    y, s = case
    x = _as(y, scale, dtype)
    ref = np.asarray(x.double() / scale)
    _close(spectral.harmonic_fraction(x, s), spectral.harmonic_fraction(ref, s), dtype)
    _close(spectral.harmonic_stats(x, s)[0], spectral.harmonic_stats(ref, s)[0], dtype)
    # dB ratios: float32 rounding of a tiny floor moves them by a little more
    got, want = spectral.peak_db(x, s), spectral.peak_db(ref, s)
    assert got == pytest.approx(want, abs=1e-3 if dtype == torch.float32 else 1e-8)
    _close(spectral.replica_fraction(x, s), spectral.replica_fraction(ref, s), dtype)
    low = x[..., :: max(s[0], 1), :: max(s[1], 1)]
    lref = ref[..., :: max(s[0], 1), :: max(s[1], 1)]
    try:
        want = spectral.filtering_db(lref, ref, s)
    except ValueError:  # too small to measure a pass band: refused at every scale alike
        with pytest.raises(ValueError, match="pass band"):
            spectral.filtering_db(low, x, s)
        return
    assert spectral.filtering_db(low, x, s) == pytest.approx(want, abs=1e-3)


@settings(max_examples=40)
@given(st.integers(0, 2**16), SCALE, DTYPE, st.sampled_from(["conv", "avg", "max"]))
def test_measured_gains_are_scale_free(seed, scale, dtype, kind):
    """A conv's gains scale with its weight, its score does not; a pool's do not depend on
    the input's scale (max pool: the routing is the same for a scaled input)."""
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(1, 1, 3, 3, generator=gen, dtype=torch.float64)
    x = torch.randn(2, 1, 20, 20, generator=gen, dtype=torch.float64)
    ops = {
        "conv": lambda t, c: F.conv2d(t, (w * c).to(t.dtype), stride=2, padding=1),
        "avg": lambda t, c: F.avg_pool2d(t, 3, 2),
        "max": lambda t, c: F.max_pool2d(t, 3, 2),
    }
    mask = adjoint.adjoint_interior((20, 20), 3, 2, 0 if kind != "conv" else 1, whole_windows=True)
    ref = adjoint.measured_gains(lambda t: ops[kind](t, 1.0), x, 2, mask)
    got = adjoint.measured_gains(lambda t: ops[kind](t, scale), (x * scale).to(dtype), 2, mask)
    _close(got.score, ref.score, dtype)
    _close(got.chance, ref.chance, dtype)
    units = scale if kind == "conv" else 1.0
    _close(got.gains / units, ref.gains, dtype)


BAD = st.sampled_from([math.nan, math.inf, -math.inf])


@settings(max_examples=40)
@given(kernels(), BAD, st.integers(0, 10**6), DTYPE)
def test_nan_or_infinite_taps_are_refused_naming_the_argument(case, bad, index, dtype):
    kern, s, d = case
    x = torch.from_numpy(kern.copy()).to(dtype)
    x.view(-1)[index % x.numel()] = bad
    for name, call in [
        ("kernel", lambda: scores.checkerboard_score(x, s, d)),
        ("kernel", lambda: scores.noise_checkerboard(x, s, d)),
        ("kernel", lambda: scores.phase_gains(x, s, d)),
        ("weight", lambda: scores.weight_scores(x[None, None], s, d)),
        ("kernel", lambda: adjoint.adjoint_pattern(x, tuple(2 * k + 8 for k in x.shape), s)),
    ]:
        with pytest.raises(ValueError, match=rf"{name} contains NaN or infinite"):
            call()


@settings(max_examples=30)
@given(signals(), BAD, st.integers(0, 10**6), DTYPE)
def test_nan_or_infinite_outputs_are_refused_naming_the_argument(case, bad, index, dtype):
    y, s = case
    x = torch.from_numpy(y.copy()).to(dtype)
    x.view(-1)[index % x.numel()] = bad
    for call in [
        lambda: spectral.harmonic_fraction(x, s),
        lambda: spectral.harmonic_stats(x, s),
        lambda: spectral.peak_db(x, s),
        lambda: spectral.replica_fraction(x, s),
        lambda: spectral.power_spectrum(x),
        lambda: spectral.radial_spectrum(x),
        lambda: spectral.interior_crop(x.reshape(-1), x.numel(), 1),
    ]:
        with pytest.raises(ValueError, match="y contains NaN or infinite"):
            call()
    low = torch.zeros(4, 4, dtype=dtype)
    low[1, 2] = bad
    with pytest.raises(ValueError, match="x contains NaN or infinite"):
        spectral.filtering_db(low, torch.zeros(8, 8), 2)
    with pytest.raises(ValueError, match="harmonic_power contains NaN"):
        spectral.stats_from_harmonics(np.array([[1.0, bad]]), np.array([1.0]), 4)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_measured_gains_of_a_nan_gradient_are_nan_and_a_nan_input_is_refused(bad):
    x = torch.ones(1, 1, 12, dtype=torch.float64)
    mask = adjoint.adjoint_interior(12, 3, 2, whole_windows=True)

    def overflowing(t):  # finite input, a NaN or infinite gradient at one position
        scale = torch.ones_like(t)
        scale[..., 5] = bad
        return F.avg_pool1d(t * scale, 3, 2)

    m = adjoint.measured_gains(overflowing, x, 2, mask)
    assert math.isnan(m.score) and math.isnan(m.spread), m
    assert not np.isfinite(m.gains).all()
    poisoned = x.clone()
    poisoned[0, 0, 3] = bad
    with pytest.raises(ValueError, match="x contains NaN or infinite"):
        adjoint.measured_gains(lambda t: F.avg_pool1d(t, 3, 2), poisoned, 2, mask)
    # the shared helper: NaN gains give a NaN score, all-zero gains a 0
    assert np.isnan(scores.harmonic_fraction_of_gains(np.array([1.0, np.nan]), 1))
    assert scores.harmonic_fraction_of_gains(np.zeros(2), 1) == 0
