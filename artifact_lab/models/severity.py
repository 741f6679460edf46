"""How strong a periodic pattern is in a measured map, and whether it is there at all.

Two questions, answered per map and per period (:func:`period_table`):

1. **Is there a pattern (significance)?** The global chance level ``(M - 1) / N`` of
   :mod:`artifact_lab.models.measure` is a white-noise reference; real maps are coloured, and
   a low-pass map (a gradient through many layers) falls *below* it even while it carries a
   line. The reference here follows the spectrum's slope: the **neighbour ratio** is the
   power at the period's harmonic bins over the mean power of the non-harmonic bins within
   ``RADIUS`` bins of each (per axis), pooled over maps. It is about 1 for white noise and
   for smooth maps alike. Only the period's **new** harmonics count: those that are not
   harmonics of a smaller listed period dividing it, so that each period is credited with
   its own pattern only. For maps driven by random inputs the spread of the ratio is
   estimated from the run itself: the maps are split into ``GROUPS`` groups, and the pattern
   is **present when mean - 3 se > 1** (se the standard error over the groups). A
   deterministic map (the output for a zero or constant input, one picture) has no sampling
   noise: its pattern is present when its strength reaches the lowest band.
2. **How strong is it?** ``h``, the excess harmonic power fraction: the new harmonics' power
   minus their neighbour floor, over the map's whole power (DC kept). It is
   ``(pattern RMS / map RMS) ** 2``, whatever the map's size. The bands (:data:`BANDS`):

   ======== ================ ======================== =====================================
   band     h                pattern RMS / map RMS    what an 8-bit picture shows
   ======== ================ ======================== =====================================
   none     below 1e-4       below 1 %                under one grey level: invisible
   faint    1e-4 to 4e-4     1 % to 2 %               in flat regions only, looked for
   visible  4e-4 to 6.4e-3   2 % to 8 %               at 1:1 in flat regions, then everywhere
   strong   6.4e-3 and up    8 % and up               the grid competes with the picture
   ======== ================ ======================== =====================================

   ``docs/severity.md`` gives the evidence (a panel of pictures with patterns added at known
   strengths, and where real trained layers land).

A map whose power is negligible (below ``NEGLIGIBLE`` for the audit's unit-power inputs) has
no meaningful pattern, whatever its spectrum.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._util.checks import as_real_array, check_bool, check_int, per_axis

__all__ = [
    "BANDS",
    "DETERMINISTIC_RATIO",
    "GROUPS",
    "MIN_RATIO",
    "NEGLIGIBLE",
    "PERIOD_COLUMNS",
    "RADIUS",
    "band",
    "band_rank",
    "neighbour_ratio",
    "period_table",
]

#: Band name -> the lowest excess harmonic fraction ``h`` it takes (ordered, weakest first).
BANDS = {"none": 0.0, "faint": 1e-4, "visible": 4e-4, "strong": 6.4e-3}
GROUPS = 8  # maps are split into this many groups to estimate the ratio's spread
RADIUS = 2  # neighbour bins per axis on each side of a harmonic
NEGLIGIBLE = 1e-12  # mean power below which a map carries nothing (unit-power inputs)
MIN_GROUPS = 4  # fewer groups than this: the map is judged as deterministic
MIN_RATIO = 2.0  # random maps: the harmonics must hold at least twice their neighbours' power
DETERMINISTIC_RATIO = 4.0  # deterministic maps: and at least four times
PERIOD_COLUMNS = (
    "input",
    "measured",
    "period",
    "fraction",
    "chance",
    "new_fraction",
    "new_chance",
    "ratio",
    "ratio_se",
    "present",
    "h",
    "band",
    "note",
)


def band(h: float) -> str:
    """The band of an excess harmonic fraction ``h`` (NaN: ``"none"``).

    Examples
    --------
    >>> [band(h) for h in (0.0, 2e-4, 1e-3, 0.5)]
    ['none', 'faint', 'visible', 'strong']
    """
    if isinstance(h, bool) or not isinstance(h, numbers.Real):
        raise TypeError(f"h must be a real number (a harmonic power fraction), got {h!r}")
    h = float(h)
    if not math.isfinite(h):
        return "none"
    name = "none"
    for label, low in BANDS.items():
        if h >= low:
            name = label
    return name


def band_rank(name: str) -> int:
    """Position of a band in :data:`BANDS` (``"none"`` 0 ... ``"strong"`` 3); -1 otherwise.

    Examples
    --------
    >>> band_rank("visible"), band_rank("unknown")
    (2, -1)
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a band name (str), got {name!r}")
    names = list(BANDS)
    return names.index(name) if name in names else -1


def _harmonics(shape: Sequence[int], period: Sequence[int]) -> np.ndarray:
    """Bins at multiples of ``n / P`` per axis (DC included)."""
    axes = [np.arange(n) % (n // p) == 0 for n, p in zip(shape, period, strict=True)]
    mask = axes[0]
    for a in axes[1:]:
        mask = np.multiply.outer(mask, a)
    return np.asarray(mask, dtype=bool)


def _new_harmonics(shape, period, others) -> np.ndarray:
    """Harmonics of ``period`` that are not harmonics of a smaller listed period dividing it,
    DC left out."""
    mask = _harmonics(shape, period)
    for q in others:
        if tuple(q) != tuple(period) and all(p % r == 0 for p, r in zip(period, q, strict=True)):
            mask &= ~_harmonics(shape, q)
    mask[(0,) * len(shape)] = False
    return mask


def _neighbour_mean(power: np.ndarray, harmonic: np.ndarray, radius: int) -> np.ndarray:
    """Per bin: the mean power of the non-harmonic bins within ``radius`` per axis (circular),
    for a stack of spectra ``(G, *shape)``."""
    nd = harmonic.ndim
    keep = (~harmonic).astype(np.float64)
    total = np.zeros_like(power)
    count = np.zeros(harmonic.shape)
    axes = tuple(range(1, nd + 1))
    for offset in np.ndindex(*(2 * radius + 1,) * nd):
        shift = tuple(o - radius for o in offset)
        total += np.roll(power * keep, shift, axis=axes)
        count += np.roll(keep, shift, axis=tuple(range(nd)))
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / count


def _spectra(maps: np.ndarray) -> np.ndarray:
    axes = tuple(range(1, maps.ndim))
    return np.abs(np.fft.fftn(maps, axes=axes)) ** 2


def _crop(maps: np.ndarray, multiple: Sequence[int]) -> np.ndarray:
    index = [slice(None)]
    for a, p in enumerate(multiple):
        n = maps.shape[1 + a]
        m = n // 8
        length = (n - 2 * m) // p * p
        index.append(slice(m, m + length))
    return maps[tuple(index)]


def _fitting(periods: list[tuple[int, ...]], spatial: Sequence[int]) -> list[tuple[int, ...]]:
    """The periods measured together: each fits twice in the crop, and their LCM once."""
    lengths = [n - 2 * (n // 8) for n in spatial]
    chosen: list[tuple[int, ...]] = []
    for p in sorted(periods, key=lambda q: (math.prod(q), q)):
        if any(2 * pa > n for pa, n in zip(p, lengths, strict=True)):
            continue
        trial = [*chosen, p]
        lcm = [math.lcm(*(q[a] for q in trial)) for a in range(len(p))]
        if all(c <= n for c, n in zip(lcm, lengths, strict=True)):
            chosen = trial
    return chosen


def _periods(name: str, value: object, nd: int) -> list[tuple[int, ...]]:
    """A sequence of per-axis periods (tuples of ``nd`` positive ints)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(
            f"{name} must be a sequence of periods like [(2, 2), (4, 4)], got {value!r}"
        )
    return [per_axis(name, p, nd, minimum=1) for p in value]


def neighbour_ratio(
    y,
    period: Sequence[int],
    *,
    exclude: Sequence[Sequence[int]] = (),
    radius: int = RADIUS,
) -> float:
    """Power at the new harmonics of ``period`` over their neighbour floor, pooled over maps.

    Parameters
    ----------
    y : array_like or torch.Tensor
        ``(N, C, *spatial)`` maps, cropped as the audit crops (an eighth dropped at each
        end, then whole multiples of every period).
    period : sequence of int
        Per spatial axis.
    exclude : sequence of periods
        Smaller periods dividing ``period`` whose harmonics are left out.
    radius : int
        Neighbour bins per axis on each side.

    Returns
    -------
    float
        About 1 for a map without a pattern at ``period`` (white or smooth), far above 1 for
        a periodic pattern; NaN when neither the harmonics nor their neighbours hold power.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.standard_normal((64, 1, 96))
    >>> 0.8 < neighbour_ratio(noise, (4,)) < 1.2
    True
    >>> neighbour_ratio(noise + np.tile([1.0, -1.0], 48), (2,)) > 10
    True
    """
    arr = as_real_array("y", y, min_ndim=3)
    nd = arr.ndim - 2
    period = per_axis("period", period, nd, minimum=1)
    exclude = _periods("exclude", exclude, nd)
    radius = check_int("radius", radius, minimum=1)
    multiple = [math.lcm(p, *(e[a] for e in exclude)) for a, p in enumerate(period)]
    maps = _crop(arr.reshape(-1, *arr.shape[2:]).astype(np.float64), multiple)
    if any(n < 2 * p for n, p in zip(maps.shape[1:], period, strict=True)):
        raise ValueError(
            f"period {tuple(period)} does not fit twice in the crop {maps.shape[1:]} of y "
            f"{arr.shape} (an eighth dropped at each end)"
        )
    power = _spectra(maps).sum(axis=0, keepdims=True)
    new = _new_harmonics(maps.shape[1:], period, exclude)
    floor = _neighbour_mean(power, _harmonics(maps.shape[1:], period), radius)
    on, ref = float(power[0][new].sum()), float(floor[0][new].sum())
    return on / ref if ref > 0 else (math.inf if on > 0 else math.nan)


def period_table(
    y,
    periods: Sequence[Sequence[int]],
    *,
    random: bool,
    label: tuple[str, str] = ("", ""),
    groups: int = GROUPS,
    radius: int = RADIUS,
) -> pd.DataFrame:
    """Each period's own pattern in ``y``: strength, significance and band (one row each).

    Parameters
    ----------
    y : array_like or torch.Tensor
        ``(N, C, *spatial)`` maps; every map (item and channel) is one sample.
    periods : sequence of periods
        Distinct periods per spatial axis (those of the model's operations).
    random : bool
        Whether the maps are driven by random inputs (significance from the split-group
        standard error) or deterministic (present when ``h`` reaches the faint band).
    label : (str, str)
        The ``input`` and ``measured`` columns.
    groups : int
        Groups the maps are split into for the standard error.
    radius : int
        Neighbour bins per axis on each side.

    Returns
    -------
    DataFrame
        Columns :data:`PERIOD_COLUMNS`: ``fraction`` and ``chance`` (all non-DC harmonics, as
        :mod:`artifact_lab.models.measure` scores them, and white noise's level), the same for
        the new harmonics, the pooled neighbour ratio and its standard error over the groups,
        ``present``, ``h`` and ``band``. Periods that do not fit twice in the crop, or whose
        least common multiple with the smaller ones does not fit once, are NaN with a note.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> y = rng.standard_normal((64, 1, 256)) + 0.2 * np.tile([1.0, 1.0, -1.0, -1.0], 64)
    >>> t = period_table(y, [(2,), (4,), (8,)], random=True)
    >>> t[["period", "present", "band"]].values.tolist()
    [[(2,), False, 'none'], [(4,), True, 'strong'], [(8,), False, 'none']]
    """
    arr = as_real_array("y", y, min_ndim=3)
    nd = arr.ndim - 2
    try:
        periods = _periods("periods", periods, nd)
    except ValueError as exc:
        raise ValueError(f"y of shape {arr.shape} and periods {periods!r}: {exc}") from None
    random = check_bool("random", random)
    groups = check_int("groups", groups, minimum=2)
    radius = check_int("radius", radius, minimum=1)
    maps = arr.reshape(-1, *arr.shape[2:]).astype(np.float64)
    if not np.isfinite(maps).all():
        raise ValueError(f"the {label[1] or 'map'} holds NaN or infinite values")
    distinct = list(dict.fromkeys(periods))
    fitting = _fitting(distinct, maps.shape[1:])
    rows = []
    nan = float("nan")
    if fitting:
        multiple = [math.lcm(*(p[a] for p in fitting)) for a in range(nd)]
        crop = _crop(maps, multiple)
        spectra = _spectra(crop)
        g = min(groups, len(crop))
        judged_random = random and g >= MIN_GROUPS
        split = np.array_split(np.arange(len(crop)), g) if judged_random else [np.arange(len(crop))]
        group_power = np.stack([spectra[i].sum(axis=0) for i in split])
        pooled = spectra.sum(axis=0)
        total = float(pooled.sum())
        n = math.prod(crop.shape[1:])
        mean_power = float((crop**2).mean())
    for p in sorted(distinct, key=lambda q: (math.prod(q), q)):
        row = {"input": label[0], "measured": label[1], "period": p}
        if p not in fitting:
            rows.append(row | dict.fromkeys(PERIOD_COLUMNS[3:11], nan) | {
                "present": False, "band": "none",
                "note": "does not fit twice in the measured crop (with the smaller periods)",
            })  # fmt: skip
            continue
        harm = _harmonics(crop.shape[1:], p)
        new = _new_harmonics(crop.shape[1:], p, fitting)
        dc = (0,) * nd
        floor = _neighbour_mean(group_power, harm, radius)
        on_g = group_power[:, new].sum(axis=1)
        ref_g = floor[:, new].sum(axis=1)
        on, ref = float(on_g.sum()), float(ref_g.sum())
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = on / ref if ref > 0 else (math.inf if on > 0 else nan)
            per_group = on_g / ref_g
        se = (
            float(np.std(per_group, ddof=1) / math.sqrt(len(per_group)))
            if judged_random and np.isfinite(per_group).all()
            else nan
        )
        h = max(0.0, on - ref) / total if total > 0 else 0.0
        note = ""
        if mean_power < NEGLIGIBLE:
            present, note = False, f"negligible map (mean power {mean_power:.1g})"
        elif judged_random:
            mean = float(np.mean(per_group)) if np.isfinite(per_group).all() else ratio
            spread = se if math.isfinite(se) else 0.0
            present = bool(mean - 3 * spread > 1 and ratio >= MIN_RATIO)
        else:
            present = bool(h >= BANDS["faint"] and ratio >= DETERMINISTIC_RATIO)
            if random:
                note = f"{len(crop)} maps: too few to estimate the spread; judged as deterministic"
        rows.append(
            row
            | {
                "fraction": float((pooled[harm].sum() - pooled[dc]) / total) if total else 0.0,
                "chance": float((harm.sum() - 1) / n),
                "new_fraction": float(pooled[new].sum() / total) if total else 0.0,
                "new_chance": float(new.sum() / n),
                "ratio": ratio,
                "ratio_se": se,
                "present": present,
                "h": h,
                "band": band(h) if present else "none",
                "note": note,
            }
        )
    return pd.DataFrame(rows, columns=list(PERIOD_COLUMNS))


def check_band(name: str, value: object) -> str:
    """``value`` if it names a band of :data:`BANDS`."""
    if not isinstance(value, str) or value not in BANDS:
        raise ValueError(f"{name} must be one of {tuple(BANDS)}, got {value!r}")
    return value


def threshold(name: str) -> float:
    """The lowest ``h`` of band ``name``.

    Examples
    --------
    >>> threshold("visible")
    0.0004
    """
    return BANDS[check_band("name", name)]
