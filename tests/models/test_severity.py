"""Significance and strength of a periodic pattern, against maps whose pattern is known: a
pattern added at a chosen strength is found at that strength, in its band, at its own period
only; maps without one (white, smooth) are not flagged."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import ndimage

from artifact_lab.models.severity import BANDS, MIN_RATIO, band, neighbour_ratio, period_table
from tests._strategies import examples


def planted(rng, n_maps: int, size: int, period: int, h: float, *, smooth: float = 0.0):
    """White (or Gaussian-blurred) noise maps plus a fixed zero-mean pattern of ``period``
    whose power is the fraction ``h`` of the total, exactly (by construction)."""
    noise = rng.standard_normal((n_maps, 1, size, size))
    if smooth:
        noise = ndimage.gaussian_filter(noise, (0, 0, smooth, smooth), mode="wrap")
    noise /= noise.std()
    tile = rng.standard_normal((period, period))
    tile -= tile.mean()
    # a tile of zero mean whose every non-DC harmonic lies at a multiple of 1/period; keep
    # only its new harmonics (none at a smaller period dividing this one) by removing the
    # means of each sub-period's cosets
    for q in range(2, period):
        if period % q == 0:
            sub = tile.reshape(period // q, q, period // q, q).mean(axis=(0, 2))
            tile -= np.tile(sub, (period // q, period // q))
    pattern = np.tile(tile, (size // period, size // period))
    scale = np.sqrt(h / (1 - h) / (pattern**2).mean())  # pattern / (pattern + noise) = h
    return noise + scale * pattern


@settings(max_examples=examples(20), deadline=None)
@given(
    seed=st.integers(0, 10_000),
    period=st.sampled_from([2, 3, 4]),
    h=st.sampled_from([3e-3, 1e-2, 5e-2]),
)
def test_a_planted_pattern_is_found_at_its_strength_band_and_period(seed, period, h):
    # white noise puts about new_chance on the period's new harmonics: the ratio to the
    # neighbours is about 1 + h / new_chance, and must reach MIN_RATIO with margin
    h = max(h, 3 * MIN_RATIO * {2: 3, 3: 8, 4: 12}[period] / 72**2)
    rng = np.random.default_rng(seed)
    y = planted(rng, 16, 96, period, h)
    periods = sorted({(2, 2), (3, 3), (4, 4), (period, period)})
    table = period_table(y, periods, random=True).set_index("period")
    row = table.loc[[(period, period)]].iloc[0]
    # the cross term of pattern and noise at the few harmonic bins: within a factor 1.5
    assert row.present and h / 1.5 < row.h < 1.5 * h and row.band == band(row.h)
    # the other periods are not credited with it (period 4's new harmonics exclude period
    # 2's); a chance false alarm (about 1% per period) carries only noise-level strength
    others = table.drop(index=[(period, period)])
    assert not (others.present & (others.h > h / 4)).any(), table


@settings(max_examples=examples(20), deadline=None)
@given(seed=st.integers(0, 10_000), smooth=st.sampled_from([0.0, 1.0, 2.5]))
def test_maps_without_a_pattern_are_not_flagged_white_or_smooth(seed, smooth):
    rng = np.random.default_rng(seed)
    y = planted(rng, 16, 96, 2, 0.0, smooth=smooth)
    table = period_table(y, [(2, 2), (3, 3), (4, 4), (8, 8)], random=True)
    assert not table.present.any(), table
    ratio = neighbour_ratio(y, (4, 4), exclude=[(2, 2)])
    assert 0.5 < ratio < 2


def test_the_false_alarm_rate_of_the_three_standard_error_rule_is_small():
    rng = np.random.default_rng(1)
    alarms = sum(
        bool(period_table(rng.standard_normal((16, 1, 64, 64)), [(2, 2), (4, 4)], random=True)
             .present.any())
        for _ in range(60)
    )  # fmt: skip
    assert alarms <= 3  # one-sided 3 se over 8 groups: about 1% per period


def test_bands_and_the_deterministic_rule():
    assert list(BANDS) == ["none", "faint", "visible", "strong"]
    assert [band(v) for v in (9.9e-5, 1e-4, 3.9e-4, 4e-4, 6.3e-3, 6.4e-3)] == [
        "none", "faint", "faint", "visible", "visible", "strong",
    ]  # fmt: skip
    rng = np.random.default_rng(0)
    smooth = ndimage.gaussian_filter(rng.standard_normal((1, 1, 96, 96)), 3, mode="wrap")
    exact = smooth + 0.1 * smooth.std() * np.tile([[1.0, -1.0], [-1.0, 1.0]], (48, 48))
    row = period_table(exact, [(2, 2)], random=False).iloc[0]
    assert row.present and row.band == band(row.h) and np.isnan(row.ratio_se)
    assert not period_table(smooth, [(2, 2)], random=False).present.any()
    tiny = period_table(exact * 1e-9, [(2, 2)], random=False).iloc[0]
    assert not tiny.present and "negligible" in tiny.note


def test_periods_that_do_not_fit_are_reported_not_cut():
    y = np.random.default_rng(0).standard_normal((8, 1, 40))
    table = period_table(y, [(2,), (16,), (64,)], random=True).set_index("period")
    assert (
        np.isnan(table.loc[[(64,)], "h"]).all()
        and "does not fit" in table.loc[[(64,)], "note"].iloc[0]
    )
    assert not np.isnan(table.loc[[(2,)], "h"]).any()
