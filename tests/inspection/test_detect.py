"""The statistics of artifact_lab.inspection, checked against brute force and by simulation."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.core.spectral import harmonic_fraction
from artifact_lab.inspection import detect
from artifact_lab.inspection.detect import candidate_periods, inspect
from artifact_lab.models.measure import chance_level

GRID = np.array([[1.0, 0.0], [0.0, 0.0]])

# -- brute force: one target at a time, as the method describes it ---------------------------


def _ring_one(
    target: np.ndarray, shape: tuple[int, ...], special: list[np.ndarray]
) -> np.ndarray | None:
    """Flat indices of the background bins of one target bin, in pairs symmetric about it
    (so a spectrum that is linear over the neighbourhood averages to its value at the
    centre, and a convex one to more)."""
    ndim = len(shape)
    on_axis = ndim == 1 or bool((target == 0).any())
    axes = [a for a in range(ndim) if target[a] != 0] if on_axis else list(range(ndim))

    def admissible(p: np.ndarray) -> bool:
        if all(special[a][p[a]] for a in range(ndim)):
            return False  # a candidate harmonic itself
        if on_axis:
            return bool(p[axes[0]] != 0)
        return bool((p != 0).all())  # off the axes: the axis lines are another population

    pts = []
    for a in axes:
        n = shape[a]
        own = min(target[a], n - target[a])
        for d in range(2, detect.RING_LINE + 2):  # the next bin holds the window's spill
            if on_axis and 2 * d > own:
                break  # no nearer to zero frequency than half the bin's own distance
            pair = []
            for sign in (-1, 1):
                p = target.copy()
                p[a] = (p[a] + sign * d) % n
                pair.append(p)
            if all(admissible(p) for p in pair):
                pts.extend(pair)
    if not pts:
        return None
    return np.ravel_multi_index(tuple(np.array(pts).T), shape)


def _k_one(ring: np.ndarray, shape: tuple[int, ...]) -> float:
    """How many independent bins a mean over ``ring`` is worth: windowed bins next to each
    other are correlated (power correlation ``|c|^2``, 4/9 at one bin), so ``K^2 /
    sum |c_ij|^2``. Conjugate pairs count as the same bin."""
    pts = np.stack(np.unravel_index(ring, shape), 1)
    corr = np.ones((len(pts), len(pts)))
    conj = np.ones((len(pts), len(pts)))
    for a, n in enumerate(shape):
        d = (pts[:, None, a] - pts[None, :, a]) % n
        corr *= detect._hann_correlation(np.minimum(d, n - d))
        e = (pts[:, None, a] + pts[None, :, a]) % n
        conj *= detect._hann_correlation(np.minimum(e, n - e))
    power = np.maximum(corr**2, conj**2)
    return float(len(pts) ** 2 / power.sum())


def _crop(shape, period, border):
    """The crop inspect measures ``period`` on, from its plan (start, lengths)."""
    cands = candidate_periods(None, ndim=len(shape))
    acc = detect._Accumulator(len(shape), cands, border, torch.device("cpu"), torch.float64)
    b = acc._border(shape)
    plan = detect._plan(shape, b, cands, acc.freqs)
    index = cands.index(period)
    (crop,) = [c for c in plan.crops if index in c.periods]
    return b, crop.shape


def test_al_inspect_is_the_function_after_importing_the_subpackage():
    import artifact_lab.inspection.files
    import artifact_lab.inspection.page  # noqa: F401

    assert callable(al.inspect) and al.inspect is detect.inspect
    from artifact_lab.inspection import files

    assert files.kind_of("x.wav") == "audio"


def test_candidate_periods_default_and_named():
    assert len(candidate_periods(None, ndim=2)) == 16 * 16 - 1
    assert candidate_periods([2, (4, 8)], ndim=2) == ((2, 2), (4, 8))
    assert candidate_periods((4, 8), ndim=2) == ((4, 8),)
    assert candidate_periods(3, ndim=1) == ((3,),)
    with pytest.raises(ValueError, match="periods entry"):
        candidate_periods([(2, 2, 2)], ndim=2)
    with pytest.raises(ValueError, match="1 on every axis"):
        candidate_periods(1, ndim=2)
    with pytest.raises(TypeError, match="periods"):
        candidate_periods("2", ndim=2)
    with pytest.raises(ValueError, match="ndim"):
        candidate_periods(None, ndim=3)


@given(st.integers(4, 700))
def test_axis_lengths_hold_whole_periods_and_are_few(n):
    lengths = detect._axis_lengths(n, range(1, 17))
    for q, length in lengths.items():
        assert length % q == 0 and length <= n
        if q > 1:
            assert length >= 2 * q
    for q in range(2, 17):
        assert (q in lengths) == (2 * q <= n)
    if n >= 100:
        assert len({v for q, v in lengths.items() if q > 1}) <= 6


def test_hann_correlation_is_the_windows_own():
    n = 64
    w2 = np.sin(np.pi * np.arange(n) / n) ** 4
    for d in range(5):
        c = (w2 * np.exp(-2j * np.pi * d * np.arange(n) / n)).sum() / w2.sum()
        assert abs(c - detect._hann_correlation(np.array(d))) < 1e-12


def test_effective_bins_match_the_simulated_spread_of_the_background():
    """The background mean of white noise has variance 1 / K_eff (simulated)."""
    shape = (48, 48)
    ring = _ring_one(np.array([12, 20]), shape, [np.zeros(48, bool)] * 2)
    k_eff = _k_one(ring, shape)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4000, *shape)) * detect._window(shape)
    power = np.abs(np.fft.fft2(x)).reshape(4000, -1) ** 2 / (detect._window(shape) ** 2).sum()
    means = power[:, ring].mean(1)
    assert abs(means.var() * k_eff - 1) < 0.1
    assert len(ring) > k_eff > len(ring) / 3


@given(st.integers(0, 47), st.integers(0, 47))
def test_backgrounds_are_symmetric_pairs_off_the_candidates(k0, k1):
    """The vectorised rings equal the one-target brute force, and keep its rules."""
    shape = (48, 48)
    special = [np.arange(48) % 6 == 0] * 2  # candidate harmonics at multiples of 6
    target = np.array([k0, k1])
    ring = _ring_one(target, shape, special)
    got, weight, k = detect._rings(target[None], shape, special)
    if ring is None or len(ring) < detect.MIN_RING:
        assert k[0] == 0
        return
    assert sorted(got[0][weight[0] > 0]) == sorted(ring)
    assert k[0] == pytest.approx(_k_one(ring, shape), rel=1e-12)
    pts = np.stack(np.unravel_index(ring, shape), 1)
    offsets = {tuple(((p - target + 24) % 48) - 24) for p in pts}
    assert all(tuple(-np.array(o)) in offsets for o in offsets)  # in pairs about the target
    assert not any(special[0][p[0]] and special[1][p[1]] for p in pts)
    assert all(max(abs(np.array(o))) >= 2 for o in offsets)  # the window's spill left out
    if k0 and k1:  # off the axes: its row and column, never the axis lines
        assert all(p[0] != 0 and p[1] != 0 for p in pts)
        assert all(p[0] == k0 or p[1] == k1 for p in pts)


@settings(max_examples=15)
@given(
    st.integers(24, 80),
    st.integers(24, 80),
    st.sampled_from([(2, 2), (3, 1), (1, 4), (4, 6), (16, 16), (5, 7)]),
    st.integers(0, 2**31 - 1),
)
def test_harmonic_fraction_and_pattern_equal_brute_force(h, w, period, seed):
    """Per map: the fraction is spectral.harmonic_fraction of the crop (mean removed); the
    harmonic power is the mean square of the crop's phase-averaged pattern; the pattern is
    that mean in absolute phase."""
    if 2 * max(period) > min(h, w) - 2 * (min(h, w) // 16):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((3, h, w))
    res = inspect(x)
    row = res.periods.set_index("period").loc[[period]].iloc[0]
    b, (l0, l1) = _crop((h, w), period, None)
    crop = x[:, b[0] : b[0] + l0, b[1] : b[1] + l1]
    expected = harmonic_fraction(crop, period, ndim=2, remove_dc=True)
    assert row.harmonic_fraction == pytest.approx(expected.mean(), rel=1e-9)
    crop = crop - crop.mean(axis=(1, 2), keepdims=True)
    blocks = crop.reshape(3, l0 // period[0], period[0], l1 // period[1], period[1])
    pattern = blocks.mean(axis=(1, 3))
    assert row.power == pytest.approx((pattern**2).mean(axis=(1, 2)).mean(), rel=1e-9)
    absolute = np.roll(pattern.mean(0), (b[0] % period[0], b[1] % period[1]), axis=(0, 1))
    acc = detect._Accumulator(2, candidate_periods(None), None, torch.device("cpu"), torch.float64)
    acc.add(x)
    np.testing.assert_allclose(acc.pattern(period), absolute, atol=1e-12)
    chance = chance_level(period, (l0, l1)) * l0 * l1 / (l0 * l1 - 1)
    assert row.chance == pytest.approx(chance)


def test_chance_is_the_white_noise_mean_of_the_fraction():
    rng = np.random.default_rng(1)
    res = inspect(rng.standard_normal((400, 40, 40)), periods=[(2, 2), (4, 4)])
    for p in [(2, 2), (4, 4)]:
        row = res.periods.set_index("period").loc[[p]].iloc[0]
        assert row.harmonic_fraction_low <= row.chance <= row.harmonic_fraction_high


@pytest.mark.parametrize("ndim", [1, 2])
def test_white_noise_false_alarms_stay_within_alpha(ndim):
    rng = np.random.default_rng(7)
    alarms, small = 0, []
    for _ in range(40):
        shape = (2, 4096) if ndim == 1 else (2, 48, 48)
        res = inspect(rng.standard_normal(shape), ndim=ndim, frame=1024)
        alarms += not res.found.empty
        t = res.tests[res.tests.maps > 0]
        small.append((10**t.log10_p < 0.01).mean())
    assert alarms <= 5  # 40 sets at alpha 0.05: 2 expected, 5 or more has p < 0.05
    assert 0.004 < np.mean(small) < 0.016  # each test's p-value is uniform under the null


def test_a_planted_grid_is_found_with_its_period_strength_and_pattern():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 64, 64)) + 0.3 * np.tile(GRID, (32, 32))
    res = inspect(x, reference=rng.standard_normal((8, 64, 64)))
    assert res.found.period.tolist() == [(2, 2)]
    row = res.found.iloc[0]
    assert row.source == "grid" and row.harmonics == "3 of 3"
    assert row.fraction_low < row.harmonic_fraction < row.fraction_high
    assert row.harmonic_fraction > 10 * row.chance and row.peak_db > 10
    assert row.ratio_low > 5  # far more than the reference has
    expected = 0.3 * (GRID - GRID.mean())
    np.testing.assert_allclose(res.patterns[(2, 2)], expected, atol=0.02)
    assert len(res.lines()) == 1 and "period 2x2" in res.lines()[0]


@pytest.mark.parametrize(
    ("period", "pattern"),
    [((4, 1), np.array([[1.0], [0.0], [0.0], [-1.0]])), ((3, 3), np.eye(3))],
)
def test_stripes_and_odd_periods(period, pattern):
    rng = np.random.default_rng(3)
    reps = (72 // pattern.shape[0], 72 // pattern.shape[1])
    x = rng.standard_normal((6, 72, 72)) + 0.4 * np.tile(pattern, reps)
    assert inspect(x).found.period.tolist() == [period]


def test_audio_frames_and_a_one_dimensional_grid():
    rng = np.random.default_rng(2)
    signal = (
        rng.standard_normal((1, 5 * 2048))
        + 0.2 * np.tile([1.0, 0.0, -1.0], 5 * 2048 // 3 + 1)[: 5 * 2048]
    )
    res = inspect(signal, ndim=1, frame=2048)
    assert res.maps == 5 and res.found.period.tolist() == [(3,)]


def test_jpeg_block_grid_is_reported_as_such():
    rng = np.random.default_rng(4)
    block = np.zeros((8, 8))
    block[7, :] = block[:, 7] = 1.0  # brighter block edges
    x = rng.standard_normal((6, 96, 96)) + 0.5 * np.tile(block, (12, 12))
    plain = inspect(x).found  # a grid, at 8 or (a documented limit) a divisor with sidebands
    assert set(plain.source) == {"grid"} and all(8 % q == 0 for p in plain.period for q in p)
    res = inspect(x, jpeg=True)
    assert res.found.source.tolist() == ["JPEG block grid"] and res.jpeg == (8, 8)
    assert any("JPEG" in note for note in res.notes)


def test_colour_channels_luma_mean_and_each():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 64, 64)) * 0.2
    x[:, 0] += 0.5 * np.tile(GRID, (32, 32))  # a grid in the red channel only
    luma = inspect(x, channel_axis=1)
    assert luma.maps == 4 and luma.found.period.tolist() == [(2, 2)]
    red = 0.299 * 0.5 * (GRID - GRID.mean())
    np.testing.assert_allclose(luma.patterns[(2, 2)], red, atol=0.01)
    assert inspect(x, channel_axis=1, channels="each").maps == 12
    assert inspect(x[:, :2], channel_axis=1).maps == 4  # grey + alpha: the alpha is dropped
    with pytest.raises(ValueError, match="luma"):
        inspect(np.concatenate([x, x[:, :2]], 1), channel_axis=1)  # 5 channels: no luma
    with pytest.raises(ValueError, match="channel_axis"):
        inspect(x, channel_axis=3)


def test_bad_arguments_are_named_before_any_work():
    x = np.zeros((2, 32, 32))
    for kwargs, match in [
        ({"alpha": 1.5}, "alpha"),
        ({"alpha": 0}, "alpha"),
        ({"border": -1}, "border"),
        ({"channels": "red"}, "channels"),
        ({"periods": "2"}, "periods"),
        ({"frame": 8}, "frame"),
        ({"batch": 0}, "batch"),
        ({"device": "tpu"}, "device"),
    ]:
        with pytest.raises((ValueError, TypeError), match=match):
            inspect(x, **kwargs)
    with pytest.raises(TypeError, match="data"):
        inspect({"a": 1})
    with pytest.raises(ValueError, match="empty"):
        inspect([])
    with pytest.raises(ValueError, match="NaN"):
        inspect(np.full((2, 32, 32), np.nan))
    with pytest.raises(ValueError, match="no map is large enough"):
        inspect(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="reference"):
        inspect(x, reference=np.zeros(4096))


def test_streaming_batches_give_the_same_result():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((10, 48, 48)) + 0.2 * np.tile(GRID, (24, 24))
    one = inspect(x, batch=1).periods
    many = inspect(list(x), batch=4).periods
    for col in ("harmonic_fraction", "peak_db", "power", "harmonic_fraction_high"):
        np.testing.assert_allclose(one[col], many[col], rtol=1e-9, equal_nan=True)


def test_mixed_sizes_are_measured_and_noted():
    rng = np.random.default_rng(8)
    res = inspect([rng.standard_normal((2, 48, 48)), rng.standard_normal((1, 64, 40))])
    assert res.maps == 3 and any("map shapes" in n for n in res.notes)
    assert math.isfinite(res.periods.harmonic_fraction.iloc[0])
