"""Find periodic grids in images and audio: the statistics behind :func:`artifact_lab.inspection`.

Method
------
**Maps.** Every grey image, colour image reduced to one map (see *Colour*), or audio frame is
one map. Images are 2-D, audio is 1-D.

**Borders.** ``border`` samples are dropped at both ends of each axis (default: a sixteenth
of the side for images, none for audio frames), so padding effects of the network that made
the picture do not count as a grid. What remains is cut, per candidate period, to a whole
number of periods (the longest of a few shared crop lengths, at least 85 % of the side
where one fits, so that all periods 2-16 need only a handful of FFTs), and the crop's mean
is removed. Every crop starts at ``border``; phase-averaged patterns are given in absolute
phase (position mod P). The strength statistics use the crop's plain FFT, whose harmonic
bins hold exactly the crop's phase-averaged pattern; the test uses its FFT under a periodic
Hann window, which keeps the jump between opposite edges from spreading over the spectrum
and keeps a harmonic within one bin of its own.

**Statistic.** For a frequency ``f = (a_1/q_1, ...)`` on an FFT bin of the crop, the
windowed periodogram ``I(f)`` is compared with its local spectral background ``B(f)``: the
mean of ``I`` over bins near it, which tracks the 1/f fall-off of natural images. Off the
axes these are the bins of the cross through it (same row or same column, 2 to 9 bins away;
the next bin holds the window's spill): spectra carry extra power along lines, the
frequency axes of natural images and, in upsampled outputs, the replicas of those axes
through every harmonic (Zhang et al. 2019), and a frequency on such a line must stand out
from the line, not from the quieter plane beside it. On a frequency axis (a grid of
stripes) they are the bins on the same axis line 2 to 9 bins away and no farther than half
the bin's own distance from it (so never near zero frequency). Bins that are themselves
candidate harmonics, and for off-axis frequencies the axis lines, never count as
background, and bins are taken in pairs symmetric about the frequency (both or neither),
so that a spectrum sloping through the neighbourhood averages to its value at the centre
and a convex one (a 1/f fall-off) to more.

**Null distribution.** Without a periodic component, and with a spectrum smooth over the
neighbourhood, ``I(f)`` is the background times an exponential variable (a chi-square with
2 degrees of freedom over 2), or times a chi-square with 1 degree of freedom at the
self-conjugate frequencies (0 or 1/2 on every axis), and ``B(f)`` is a mean of ``K``
such variables, correlated where windowed bins are next to each other: it is worth
``K_eff = K^2 / sum_ij |c_ij|^2`` independent ones (``c`` the window's correlation, -2/3 at
one bin, 1/6 at two). The ratio ``I/B`` then follows an F distribution with (2, 2 K_eff), or
(1, 2 K_eff), degrees of freedom. Curvature of a 1/f spectrum makes the neighbourhood mean
larger than the value at the centre, so the test errs on the conservative side. The
p-values of independent maps are combined by Fisher's method (``-2 sum ln p`` is chi-square
with ``2n`` degrees of freedom).

**Multiple testing.** Every distinct frequency that is a harmonic of a candidate period is
one test: all periods 1-16 on every axis (not all 1) in 2-D, 2-16 in 1-D, unless
``periods`` names others. A frequency is significant when its combined p-value is below
``alpha`` divided by the number of frequencies tested (Bonferroni; about 3,200 tests in
2-D, 40 in 1-D), so the chance that a map set without any grid reports one is at most
``alpha``.

**Practical significance.** A frequency also needs its power, averaged over maps, at least
twice its background (3 dB). Over many maps the combined p-value detects any systematic
departure from a locally smooth spectrum, and generated images have some that are no grid
(the ripple of an interpolation filter's response, the replicas of upsampling): a true grid
stands far above that floor (a grid at the detection limit of one 256 x 256 picture stands
10 dB above), spectral shape rarely reaches it. This only removes detections, so the
false-alarm rate stays within ``alpha``.

**Periods.** The significant frequencies, strongest first, are gathered into periods: a
frequency ``(a_1/q_1, a_2/q_2)`` joins the first period ``P`` it is a harmonic of (every
``q_a`` divides ``P_a``) or flanks (lies near one of its non-zero harmonics on every axis: a
grid whose strength follows the picture, brighter on bright parts or clipped where the
picture saturates, puts power beside its harmonics, the picture's spectrum shifted there;
1/8 cycles/sample); else it starts a period ``q`` of its own (1 on an axis: stripes). A
period that divides another found, whose harmonics are at least a tenth as strong (mean
ratio to the background), is then counted with that one (``(1, 2)``, ``(2, 1)`` and ``(2,
2)`` are one grid of period ``(2, 2)``). Two unrelated grids (periods 2 and 3) are so
reported apart, not as one grid of period 6. A period above 4 whose significant frequencies
all lie within 1/8 cycles/sample of the harmonics of a factor 2, 3 or 4 is reported as
**replicas beside the harmonics** of that factor: upsampling copies the picture's spectrum
around every harmonic (Zhang et al. 2019), and where the interpolation filter has a zero at
the harmonic (bilinear, resize-convolution) the copy shows as a ring of excess power around
an empty harmonic; that is a trace of upsampling, not a grid. A limit of this rule: a grid
whose harmonics are all equally strong and 1/8 apart (thin lines every 8 samples) can come
out as a divisor of its period with the rest counted beside it; name the period
(``periods=8``) to test it directly. With ``periods`` named, each named period with a
significant harmonic is reported. When the maps come from JPEG files, frequencies on a line
of the JPEG block grid (a multiple of 1/8 on some axis for the luma; of 1/16 for colour
channels of chroma-subsampled files) are reported as the JPEG block grid, never as a model's
period: block edges put power along whole lines of the spectrum, and a model grid whose
harmonics fall on those lines (any period with an axis dividing 8) cannot be told apart from
it by the spectrum. A decoded JPEG passed as an array carries no file type: pass
``jpeg=True`` to get the same treatment, else an 8 x 8 block grid is reported as a period.


**Strength**, per map at the crop of the period, then mean and confidence interval over maps
(Student t, 95 %; the lower end of the fractions' and powers' intervals is held at 0, which
they cannot cross): ``harmonic_fraction``, the power at the period's non-zero harmonics over
the crop's AC power (:func:`artifact_lab.core.spectral.harmonic_fraction` with the mean removed);
``chance``, the same fraction for white noise, ``(prod(P) - 1) / (N - 1)`` for ``N`` samples
(the mean removed); ``excess_fraction``, the harmonic power less its local background, over
the AC power (0 on average without a grid); ``peak_db``, the strongest harmonic over its
background in dB (the test's ratio); ``harmonic_rms``, the root mean square of each map's
phase-averaged pattern (its mean over all positions of each phase) in the data's units. With
a ``reference`` set the ratio of the mean harmonic fractions is given with a 95 % interval
(delta method on the logarithm).


**Colour.** Files in colour are reduced to their luma (Rec. 601, ``0.299 R + 0.587 G +
0.114 B``, JPEG's own) by default; ``channels="mean"`` averages them and ``"each"`` keeps
every channel as a map of its own. Alpha channels are dropped. Arrays are maps over their
trailing axes; ``channel_axis`` names an axis of colour channels to reduce the same way.

References
----------
Harris, "On the use of windows for harmonic analysis with the discrete Fourier transform",
Proc. IEEE 66, 1978, doi:10.1109/PROC.1978.10837.
Durall, Keuper, Keuper, "Watch your Up-Convolution", CVPR 2020.
Zhang, Karaman, Chang, "Detecting and Simulating Artifacts in GAN Fake Images", WIFS 2019.
Fisher, "Statistical Methods for Research Workers", 1925 (combining p-values).
"""

from __future__ import annotations

import functools
import itertools
import math
import numbers
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import (
    as_real_array,
    check_bool,
    check_choice,
    check_float,
    check_int,
    is_tensor,
)
from .files import CHANNELS, reduce_channels

__all__ = [
    "CHANNELS",
    "MAX_PERIOD",
    "Inspection",
    "candidate_periods",
    "inspect",
]

MAX_PERIOD = 16  # largest period searched per axis when ``periods`` is not given
RING_LINE = 8  # reach of a frequency's background along its row and column (or its line)
MIN_RING = 4  # fewer background bins than this: the frequency is not tested in that crop
MIN_RATIO = 2.0  # a harmonic must also stand, on average, this far above its background
COVER = 0.85  # shared crop lengths are at least this share of the usable side
RADIAL_BINS = 64

Key = tuple[tuple[int, int], ...]  # a frequency: (numerator, denominator) per axis


# -- frequencies and periods ---------------------------------------------------------------


def _reduce(a: int, q: int) -> tuple[int, int]:
    a %= q
    if a == 0:
        return (0, 1)
    g = math.gcd(a, q)
    return (a // g, q // g)


def _conj(key: Key) -> Key:
    return tuple(_reduce(-a, q) for a, q in key)


def _canon(key: Key) -> Key:
    return min(key, _conj(key))


def _harmonics(period: tuple[int, ...]) -> list[Key]:
    """Every non-zero frequency ``m/P`` of a period, reduced (both members of a conjugate
    pair listed)."""
    out = []
    for m in itertools.product(*(range(p) for p in period)):
        if any(m):
            out.append(tuple(_reduce(a, p) for a, p in zip(m, period, strict=True)))
    return out


def candidate_periods(periods: Any = None, *, ndim: int = 2) -> tuple[tuple[int, ...], ...]:
    """The periods searched: ``periods`` checked and normalised, or the default search.

    Parameters
    ----------
    periods : None, int, tuple of int or sequence of those
        ``None``: every period 1-16 per axis except all ones (2-16 in 1-D). An int is the
        same period on every axis; a tuple gives one per axis.
    ndim : {1, 2}

    Returns
    -------
    tuple of tuple of int, sorted, without repeats

    Examples
    --------
    >>> candidate_periods(4, ndim=2)
    ((4, 4),)
    >>> len(candidate_periods(None, ndim=2)), len(candidate_periods(None, ndim=1))
    (255, 15)
    """
    ndim = check_int("ndim", ndim)
    if ndim not in (1, 2):
        raise ValueError(f"ndim must be 1 (audio) or 2 (images), got {ndim}")
    if periods is None:
        grid = itertools.product(range(1, MAX_PERIOD + 1), repeat=ndim)
        return tuple(p for p in grid if max(p) > 1)
    rule = "periods must be an int, a tuple of one int per axis, or a sequence of those"
    if isinstance(periods, numbers.Integral) and not isinstance(periods, bool):
        items: list[Any] = [periods]
    elif (
        isinstance(periods, (tuple, list))
        and periods
        and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in periods)
    ):
        items = [tuple(periods)] if len(periods) == ndim and ndim > 1 else list(periods)
    elif isinstance(periods, (tuple, list)) and periods:
        items = list(periods)
    else:
        raise TypeError(f"{rule}, got {periods!r}")
    out = set()
    for item in items:
        if isinstance(item, numbers.Integral) and not isinstance(item, bool):
            p = (check_int("periods entry", item, minimum=1),) * ndim
        elif isinstance(item, (tuple, list)):
            if len(item) != ndim:
                raise ValueError(f"periods entry {item!r} must have one int per axis ({ndim})")
            p = tuple(check_int("periods entry", v, minimum=1) for v in item)
        else:
            raise TypeError(f"{rule}, got {item!r} in {periods!r}")
        if max(p) < 2:
            raise ValueError(f"periods entry {item!r} is 1 on every axis: no grid has it")
        out.add(p)
    return tuple(sorted(out))


def _axis_lengths(n: int, qs: Iterable[int]) -> dict[int, int]:
    """Crop length per denominator ``q`` (a multiple of ``q`` holding at least two periods);
    few distinct lengths, chosen greedily among those of at least ``COVER * n``."""
    need = sorted({q for q in qs if q > 1 and 2 * q <= n})
    lo = max(1, math.ceil(COVER * n))
    todo, chosen = set(need), []
    while todo:
        best, cover = 0, set()
        for length in range(n, lo - 1, -1):
            c = {q for q in todo if length % q == 0}
            if len(c) > len(cover):
                best, cover = length, c
        if not cover:
            break
        chosen.append(best)
        todo -= cover
    out = {1: max(chosen, default=n)}
    for q in need:
        fits = [length for length in chosen if length % q == 0]
        out[q] = max(fits) if fits else n // q * q
    return out


# -- windows -----------------------------------------------------------------------------------


def _hann_correlation(d: np.ndarray) -> np.ndarray:
    """Correlation of periodic-Hann-windowed DFT coefficients ``d`` bins apart (per axis),
    for white noise: 1, -2/3, 1/6 at 0, 1, 2 bins; 0 beyond."""
    d = np.abs(d)
    return np.select([d == 0, d == 1, d == 2], [1.0, -2.0 / 3.0, 1.0 / 6.0], 0.0)


@functools.lru_cache(maxsize=32)
def _window(shape: tuple[int, ...]) -> np.ndarray:
    """Separable periodic Hann window over ``shape``: its transform is three bins wide, so
    a harmonic on a bin stays within one bin of it."""
    out = np.ones(shape)
    for a, n in enumerate(shape):
        view = [1] * len(shape)
        view[a] = n
        out = out * (np.sin(np.pi * np.arange(n) / n) ** 2).reshape(view)
    return out


# -- crop plans ------------------------------------------------------------------------------


@dataclass
class _Crop:
    """What one crop of a map shape measures: target bins, their backgrounds, the tests
    and the candidate periods it serves."""

    shape: tuple[int, ...]
    flat: np.ndarray  # (T,) flat indices of the target bins
    coords: np.ndarray  # (T, ndim)
    ring: np.ndarray  # (T, R) flat indices of background bins (padded with 0)
    weight: np.ndarray  # (T, R) 1/K per background bin, 0 for padding
    k: np.ndarray  # (T,) effective number of independent background bins (0: not testable)
    selfconj: np.ndarray  # (T,) bool
    tests: np.ndarray  # (F_c,) global frequency index tested here
    test_pos: np.ndarray  # (F_c,) target position
    periods: np.ndarray  # (P_c,) global period index measured here
    members: np.ndarray  # (T, P_c) 0/1: target is a harmonic of the period
    member_pos: np.ndarray  # (P_c, M) target positions (padded with T: a dummy column)
    member_phase: list[np.ndarray]  # per period: (members, ndim) harmonic index j per axis
    shift: np.ndarray  # (T,) complex, to absolute phase (crop starts at the border)
    chance: np.ndarray  # (P_c,) white noise's harmonic fraction, mean removed


@dataclass
class _Plan:
    border: tuple[int, ...]
    crops: list[_Crop]
    main: tuple[int, ...]  # the largest crop (for the averaged spectrum)


_CORR = np.array([1.0, -2.0 / 3.0, 1.0 / 6.0, 0.0])


def _k_eff(p: np.ndarray, m: np.ndarray, dims: np.ndarray) -> np.ndarray:
    """``K^2 / sum_ij |c_ij|^2`` for rings ``p`` ``(T, K, ndim)`` with kept masks ``m``;
    a bin and its conjugate are the same bin (correlation 1)."""
    diff = (p[:, :, None, :] - p[:, None, :, :]) % dims
    summ = (p[:, :, None, :] + p[:, None, :, :]) % dims
    corr = _CORR[np.minimum(np.minimum(diff, dims - diff), 3)].prod(-1)
    conj = _CORR[np.minimum(np.minimum(summ, dims - summ), 3)].prod(-1)
    power = np.maximum(corr**2, conj**2) * (m[:, :, None] & m[:, None, :])
    total = power.sum((1, 2))
    counts = m.sum(1)
    return np.where(total > 0, counts**2 / np.where(total > 0, total, 1), 0.0)


def _rings(
    coords: np.ndarray, shape: tuple[int, ...], special: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_ring` and :func:`_effective_bins` for every target at once: background
    indices ``(T, R)`` (padded with 0), weights ``1/K`` (0 for padding) and ``K_eff``
    (0 where fewer than :data:`MIN_RING` bins remain)."""
    t, ndim = coords.shape
    dims = np.array(shape)
    d = np.arange(2, RING_LINE + 2)
    on_axis = np.ones(t, bool) if ndim == 1 else (coords == 0).any(1)
    pts, keep = [], []
    for a in range(ndim):
        own = np.minimum(coords[:, a], shape[a] - coords[:, a])
        pair = []
        for sign in (-1, 1):
            p = np.repeat(coords[:, None, :], len(d), axis=1)  # (T, D, ndim)
            p[:, :, a] = (p[:, :, a] + sign * d[None]) % shape[a]
            spec = np.ones(p.shape[:2], bool)
            for b in range(ndim):
                spec &= special[b][p[:, :, b]]
            ok_off = (p != 0).all(-1)
            ok_on = (p[:, :, a] != 0) & (2 * d[None] <= own[:, None])
            ok = np.where(on_axis[:, None], ok_on & (coords[:, a] != 0)[:, None], ok_off)
            pair.append((p, ok & ~spec))
        both = pair[0][1] & pair[1][1]
        pts += [pair[0][0], pair[1][0]]
        keep += [both, both]
    pts_all = np.concatenate(pts, axis=1)  # (T, M, ndim)
    keep_all = np.concatenate(keep, axis=1)  # (T, M)
    order = np.argsort(~keep_all, axis=1, kind="stable")  # kept bins first
    pts_all = np.take_along_axis(pts_all, order[:, :, None], axis=1)
    keep_all = np.take_along_axis(keep_all, order, axis=1)
    width = max(int(keep_all.sum(1).max(initial=0)), 1)
    pts_all, keep_all = pts_all[:, :width], keep_all[:, :width]
    counts = keep_all.sum(1)
    flat = np.ravel_multi_index(tuple(np.moveaxis(pts_all, -1, 0)), shape)
    ring = np.where(keep_all, flat, 0)
    testable = counts >= MIN_RING
    weight = np.where(keep_all & testable[:, None], 1.0 / np.maximum(counts, 1)[:, None], 0.0)
    # K_eff = K^2 / sum |c_ij|^2 depends only on the kept offsets, unless the ring meets its
    # own conjugates (targets near 0 or 1/2 on every axis): compute once per offset pattern
    offsets = (pts_all - coords[:, None, :] + dims // 2) % dims - dims // 2
    twice = (2 * coords) % dims
    twice = np.minimum(twice, dims - twice)
    reach = 2 * (RING_LINE + 1) + 2  # two offsets along one axis, plus the window's 2 bins
    near = (twice <= (RING_LINE + 1) + 2).all(1)  # a row bin meets a column bin's conjugate
    for a in range(ndim):  # two bins of one line meet: 2t ~ 0 across that line
        others = [b for b in range(ndim) if b != a]
        near |= (twice[:, a] <= 2) & (twice[:, others] <= reach).all(1)
    if ndim == 1:
        near = twice[:, 0] <= reach
    key = np.concatenate([offsets.reshape(t, -1), keep_all, near[:, None]], 1)
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    reps = first[~near[first]]
    k_unique = np.zeros(len(first))
    k_unique[~near[first]] = _k_eff(pts_all[reps], keep_all[reps], dims) if len(reps) else []
    k = k_unique[inverse.ravel()]
    idx = np.flatnonzero(near)
    for start in range(0, len(idx), 256):
        sl = idx[start : start + 256]
        k[sl] = _k_eff(pts_all[sl], keep_all[sl], dims)
    k = np.where(testable, k, 0.0)
    return ring, weight, k


@functools.lru_cache(maxsize=64)
def _plan(
    shape: tuple[int, ...],
    border: tuple[int, ...],
    candidates: tuple[tuple[int, ...], ...],
    freqs: tuple[Key, ...],
) -> _Plan | None:
    from ..models.measure import chance_level

    ndim = len(shape)
    usable = [n - 2 * b for n, b in zip(shape, border, strict=True)]
    if min(usable) < 4:
        return None
    qs = [
        sorted({d for p in candidates for d in range(1, p[a] + 1) if p[a] % d == 0})
        for a in range(ndim)
    ]
    lengths = [_axis_lengths(usable[a], qs[a]) for a in range(ndim)]
    by_crop: dict[tuple[int, ...], dict[str, list]] = {}

    def crop_of(q: tuple[int, ...]) -> tuple[int, ...] | None:
        if any(qa not in lengths[a] for a, qa in enumerate(q)):
            return None
        return tuple(lengths[a][qa] for a, qa in enumerate(q))

    for pi, p in enumerate(candidates):
        c = crop_of(p)
        if c is not None:
            by_crop.setdefault(c, {"periods": [], "tests": []})["periods"].append(pi)
    for fi, f in enumerate(freqs):
        c = crop_of(tuple(q for _, q in f))
        if c is not None:
            by_crop.setdefault(c, {"periods": [], "tests": []})["tests"].append(fi)
    if not by_crop:
        return None
    crops = []
    for cshape, what in sorted(by_crop.items()):
        special = []
        for a in range(ndim):
            mask = np.zeros(cshape[a], bool)
            for q in qs[a]:
                if cshape[a] % q == 0:
                    mask[:: cshape[a] // q] = True
            special.append(mask)
        bins: dict[tuple[int, ...], int] = {}

        def pos(key: Key, cshape=cshape, bins=bins) -> int:
            b = tuple(a * n // q for (a, q), n in zip(key, cshape, strict=True))
            return bins.setdefault(b, len(bins))

        test_pos = [pos(freqs[fi]) for fi in what["tests"]]
        member_lists, phases = [], []
        for pi in what["periods"]:
            p = candidates[pi]
            js = [m for m in itertools.product(*(range(x) for x in p)) if any(m)]
            member_lists.append(
                [pos(tuple(_reduce(j, x) for j, x in zip(m, p, strict=True))) for m in js]
            )
            phases.append(np.array(js, dtype=np.int64).reshape(-1, ndim))
        coords = np.array(list(bins), dtype=np.int64).reshape(-1, ndim)
        t = len(coords)
        ring, weight, k = _rings(coords, cshape, special)
        members = np.zeros((t, len(member_lists)))
        mwidth = max([len(m) for m in member_lists] + [1])
        member_pos = np.full((len(member_lists), mwidth), t, np.int64)
        for j, m in enumerate(member_lists):
            members[m, j] = 1.0
            member_pos[j, : len(m)] = m
        starts = np.array(border, dtype=np.float64)
        phase = (coords * (starts / np.array(cshape))).sum(1)
        flat = np.ravel_multi_index(tuple(coords.T), cshape)
        n = math.prod(cshape)  # measure's chance level keeps the mean: N-1 AC samples here
        chance = np.array(
            [chance_level(candidates[i], cshape) * n / (n - 1) for i in what["periods"]]
        )
        crops.append(
            _Crop(
                shape=cshape,
                flat=flat,
                coords=coords,
                ring=ring,
                weight=weight,
                k=k,
                selfconj=((2 * coords) % np.array(cshape) == 0).all(1),
                tests=np.array(what["tests"], dtype=np.int64),
                test_pos=np.array(test_pos, dtype=np.int64),
                periods=np.array(what["periods"], dtype=np.int64),
                members=members,
                member_pos=member_pos,
                member_phase=phases,
                shift=np.exp(-2j * np.pi * phase),
                chance=chance,
            )
        )
    main = tuple(lengths[a][1] for a in range(ndim))
    return _Plan(border=border, crops=crops, main=main)


# -- streaming statistics --------------------------------------------------------------------

_STATS = ("harmonic_fraction", "excess_fraction", "peak_db", "power", "chance")


class _Accumulator:
    """Sums over maps, in bounded memory: per tested frequency (Fisher's statistic) and per
    candidate period (sums and sums of squares of the strength statistics, coherent sums of
    the harmonic coefficients), plus the averaged spectrum and radial spectrum."""

    def __init__(self, ndim: int, candidates, border: int | None, device, dtype) -> None:
        self.ndim = ndim
        self.candidates = candidates
        seen: dict[Key, None] = {}
        for p in candidates:
            for f in _harmonics(p):
                seen.setdefault(_canon(f), None)
        self.freqs = tuple(seen)
        self.border = border
        self.device, self.dtype = device, dtype
        nf, npd = len(self.freqs), len(candidates)
        self.fisher = np.zeros(nf)
        self.fcount = np.zeros(nf, np.int64)
        self.ratio_sum = np.zeros(nf)
        self.sums = {s: np.zeros(npd) for s in _STATS}
        self.squares = {s: np.zeros(npd) for s in _STATS}
        self.counts = {s: np.zeros(npd, np.int64) for s in _STATS}
        self.coef = [np.zeros(p, complex) for p in candidates]
        self.maps = 0
        self.skipped = 0
        self.shapes: dict[tuple[int, ...], int] = {}
        self.spectrum: np.ndarray | None = None
        self.spectrum_shape: tuple[int, ...] | None = None
        self.spectrum_maps = 0
        self.radial_sum: np.ndarray | None = None
        self.radial_freq: np.ndarray | None = None
        self.radial_maps = 0

    def _border(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.border is not None:
            return (self.border,) * len(shape)
        if len(shape) == 1:
            return (0,)
        return tuple(n // 16 for n in shape)

    def measurable(self, shape: tuple[int, ...]) -> bool:
        """Whether maps of ``shape`` are large enough for some candidate's crop."""
        border = self._border(shape)
        return _plan(shape, border, self.candidates, self.freqs) is not None

    def add(self, maps: np.ndarray) -> None:
        """Measure a batch of maps of one shape, ``(B, *shape)`` float64."""
        import torch

        shape = tuple(maps.shape[1:])
        border = self._border(shape)
        plan = _plan(shape, border, self.candidates, self.freqs)
        if plan is None:
            self.skipped += len(maps)
            return
        self.maps += len(maps)
        self.shapes[shape] = self.shapes.get(shape, 0) + len(maps)
        x = torch.as_tensor(maps, dtype=self.dtype).to(self.device)
        axes = tuple(range(1, self.ndim + 1))
        for crop in plan.crops:
            index = tuple(slice(b, b + n) for b, n in zip(border, crop.shape, strict=True))
            u = x[(slice(None), *index)]
            u = u - u.mean(axes, keepdim=True)
            n = math.prod(crop.shape)
            window = torch.as_tensor(_window(crop.shape), device=u.device, dtype=u.dtype)
            windowed = torch.fft.fftn(u * window, dim=axes).reshape(len(u), -1)
            # windowed periodogram, normalised so that white noise of variance 1 gives 1
            power_w = torch.view_as_real(windowed).square().sum(-1) / window.square().sum()
            raw = torch.fft.fftn(u, dim=axes).reshape(len(u), -1)
            raw = raw[:, torch.as_tensor(crop.flat, device=u.device)]  # (B, T)
            total = u.square().sum(axes)  # the AC power, sum |X|^2 / N over every bin
            self._measure(crop, raw, power_w, total, n)
            if crop.shape == plan.main and self.spectrum_shape in (None, crop.shape):
                self._display(power_w, u)

    def _display(self, power_w, u) -> None:
        """The averaged (Hann-windowed) spectrum of the main crop and the radial spectrum."""
        from ..core.spectral import radial_spectrum

        count = len(u)
        mean = power_w.mean(0).reshape(u.shape[1:]).cpu().double().numpy()
        if self.spectrum is None:
            self.spectrum, self.spectrum_shape = np.zeros_like(mean), tuple(u.shape[1:])
        self.spectrum += mean * count
        self.spectrum_maps += count
        arr = u.cpu().double().numpy()
        if self.ndim == 2:
            f, p = radial_spectrum(arr, ndim=2, bins=RADIAL_BINS)
        else:
            f, p = radial_spectrum(arr, ndim=1)
        if self.radial_sum is None:
            self.radial_sum, self.radial_freq = np.zeros(len(f)), f
        self.radial_sum += np.nan_to_num(p) * count
        self.radial_maps += count

    def _measure(self, crop: _Crop, raw, power_w, total, n: int) -> None:
        import torch

        dev = power_w.device
        t = len(crop.flat)
        values = power_w[:, torch.as_tensor(crop.flat, device=dev)]  # (B, T)
        ring = power_w[:, torch.as_tensor(crop.ring.ravel(), device=dev)].reshape(
            len(power_w), *crop.ring.shape
        )
        weight = torch.as_tensor(crop.weight, device=dev, dtype=power_w.dtype)
        background = (ring * weight).sum(-1)  # (B, T)
        testable = torch.as_tensor(crop.k > 0, device=dev)
        background = torch.where(testable, background, torch.nan)
        ratio = values / background
        harmonic_power = torch.view_as_real(raw).square().sum(-1) / n  # raw |X|^2 / N
        if len(crop.tests):
            self._test(crop, ratio[:, torch.as_tensor(crop.test_pos, device=dev)])
        if not len(crop.periods):
            return
        members = torch.as_tensor(crop.members, device=dev, dtype=power_w.dtype)
        harmonic = harmonic_power @ members  # (B, P_c)
        excess = (harmonic_power - background) @ members
        with torch.no_grad():
            padded = torch.cat([ratio, torch.full_like(ratio[:, :1], torch.nan)], 1)
            gathered = padded[:, torch.as_tensor(crop.member_pos, device=dev)]
            peak = torch.nan_to_num(gathered, nan=-torch.inf).amax(-1)
        frac = (harmonic / total[:, None]).cpu().double().numpy()
        exc = (excess / total[:, None]).cpu().double().numpy()
        pk = peak.cpu().double().numpy()
        with np.errstate(divide="ignore", invalid="ignore"):
            db = np.where(pk > 0, 10 * np.log10(np.where(pk > 0, pk, 1.0)), np.nan)
        db[~np.isfinite(pk)] = np.nan
        ms = (harmonic / n).cpu().double().numpy()
        chance = np.broadcast_to(crop.chance, frac.shape)
        for name, val in (
            ("harmonic_fraction", frac),
            ("excess_fraction", exc),
            ("peak_db", db),
            ("power", ms),
            ("chance", chance),
        ):
            ok = np.isfinite(val)
            v = np.where(ok, val, 0.0)
            np.add.at(self.sums[name], crop.periods, v.sum(0))
            np.add.at(self.squares[name], crop.periods, (v**2).sum(0))
            np.add.at(self.counts[name], crop.periods, ok.sum(0))
        shift = torch.as_tensor(crop.shift, device=dev)
        coef = ((raw * shift).sum(0) / n).cpu()
        coef = coef.numpy()
        for j, pi in enumerate(crop.periods):
            pos = crop.member_pos[j]
            pos = pos[pos < t]
            self.coef[pi][tuple(crop.member_phase[j].T)] += coef[pos]
        del members

    def _test(self, crop: _Crop, ratio) -> None:
        from scipy import stats

        k = crop.k[crop.test_pos]
        sc = crop.selfconj[crop.test_pos]
        r = ratio.cpu().double().numpy()  # (B, F_c)
        ok = np.isfinite(r)
        r = np.where(ok, np.maximum(r, 0.0), 0.0)
        kk = np.maximum(k, 1)[None]
        logp = -kk * np.log1p(r / kk)  # F(2, 2K): sf = (1 + x/K)^-K
        if sc.any():
            cols = np.flatnonzero(sc)
            logp[:, cols] = np.log(2.0) + stats.t.logsf(np.sqrt(r[:, cols]), 2 * kk[:, cols])
        logp = np.minimum(logp, 0.0)
        np.add.at(self.fisher, crop.tests, (-2.0 * np.where(ok, logp, 0.0)).sum(0))
        np.add.at(self.fcount, crop.tests, ok.sum(0))
        np.add.at(self.ratio_sum, crop.tests, r.sum(0))

    # -- results ---------------------------------------------------------------------------

    def test_table(self, alpha: float) -> pd.DataFrame:
        from scipy import stats

        tested = self.fcount > 0
        m = int(tested.sum())
        with np.errstate(divide="ignore"):
            logp = np.where(
                tested, stats.chi2.logsf(self.fisher, 2 * np.maximum(self.fcount, 1)), 0.0
            )
        log10p = logp / math.log(10)
        adjusted = np.minimum(0.0, log10p + math.log10(max(m, 1)))
        mean_ratio = self.ratio_sum / np.maximum(self.fcount, 1)
        return pd.DataFrame(
            {
                "frequency": [tuple(a / q for a, q in f) for f in self.freqs],
                "denominators": [tuple(q for _, q in f) for f in self.freqs],
                "maps": self.fcount,
                "log10_p": log10p,
                "log10_p_adjusted": adjusted,
                "mean_ratio": np.where(tested, mean_ratio, np.nan),
                "significant": tested & (adjusted < math.log10(alpha)) & (mean_ratio >= MIN_RATIO),
            }
        )

    def period_table(self) -> pd.DataFrame:
        from scipy import stats

        rows = {"period": list(self.candidates)}
        for name in _STATS:
            n = self.counts[name]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = self.sums[name] / n
                var = (self.squares[name] - n * mean**2) / (n - 1)
                se = np.sqrt(np.maximum(var, 0.0) / n)
                half = np.where(n > 1, stats.t.ppf(0.975, np.maximum(n - 1, 1)) * se, np.nan)
            low = mean - half
            if name in ("harmonic_fraction", "power", "chance"):  # never negative
                low = np.maximum(low, 0.0)
            rows[name] = mean
            rows[f"{name}_se"] = np.where(n > 1, se, np.nan)
            rows[f"{name}_low"] = low
            rows[f"{name}_high"] = mean + half
        rows["maps"] = self.counts["harmonic_fraction"]
        frame = pd.DataFrame(rows)
        frame["harmonic_rms"] = np.sqrt(np.maximum(frame["power"], 0.0))
        return frame

    def pattern(self, period: tuple[int, ...]) -> np.ndarray:
        """Mean over maps of the phase-averaged pattern (absolute phase), shape ``period``."""
        i = self.candidates.index(period)
        n = self.counts["harmonic_fraction"][i]
        if n == 0:
            return np.full(period, np.nan)
        coef = self.coef[i] / n
        return np.real(np.fft.ifftn(coef)) * math.prod(period)


# -- the result --------------------------------------------------------------------------------

FOUND_COLUMNS = (
    "period",
    "source",
    "harmonics",
    "p_value",
    "harmonic_fraction",
    "fraction_low",
    "fraction_high",
    "chance",
    "excess_fraction",
    "peak_db",
    "peak_db_low",
    "peak_db_high",
    "harmonic_rms",
    "maps",
    "reference_fraction",
    "ratio",
    "ratio_low",
    "ratio_high",
)


@dataclass(frozen=True)
class Inspection:
    """What :func:`inspect` found.

    Attributes
    ----------
    found : DataFrame
        One row per period found (columns :data:`FOUND_COLUMNS`): ``period`` (per axis),
        ``source`` (``"grid"``, ``"JPEG block grid"`` or ``"replicas beside the
        harmonics"``), ``harmonics`` (significant of
        all), ``p_value`` (smallest Bonferroni-adjusted p of its frequencies), the
        strength statistics of the module docstring with 95 % intervals over maps, and
        with a reference ``reference_fraction`` and ``ratio`` (data over reference) with its
        interval.
    periods : DataFrame
        The same statistics for every candidate period, found or not (``found`` column).
    tests : DataFrame
        One row per tested frequency: combined and adjusted log10 p, mean ratio to the
        background over maps, significance.
    maps, reference_maps : int
        Maps measured (images, channels or audio frames).
    ndim : int
    alpha : float
    jpeg : tuple of int or None
        The JPEG block grid attributed to JPEG (None when no map came from a JPEG).
    spectrum : ndarray
        Mean Hann-windowed periodogram of the largest crop of the first map shape, unshifted.
    radial, reference_radial : (frequency, power) or None
        Azimuthally averaged (1-D: one-sided) spectrum, Hann window.
    patterns : dict
        Phase-averaged pattern (mean over maps, absolute phase) of each period found.
    notes : tuple of str
    """

    found: pd.DataFrame
    periods: pd.DataFrame
    tests: pd.DataFrame
    maps: int
    reference_maps: int
    ndim: int
    alpha: float
    jpeg: tuple[int, ...] | None
    spectrum: np.ndarray | None
    radial: tuple[np.ndarray, np.ndarray] | None
    reference_radial: tuple[np.ndarray, np.ndarray] | None
    patterns: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The periods found (a copy of :attr:`found`)."""
        return self.found.copy()

    @property
    def n_tests(self) -> int:
        return int((self.tests["maps"] > 0).sum())

    def lines(self) -> list[str]:
        """One line per period found (or one line saying none was), as the CLI prints."""
        if self.found.empty:
            return [
                f"no periodic grid found in {self.maps} map(s): {self.n_tests} frequencies "
                f"tested at alpha {self.alpha:g} (Bonferroni)"
            ]
        out = []
        for row in self.found.itertuples():
            period = "x".join(str(p) for p in row.period)
            text = (
                f"{row.source} period {period}: harmonic fraction {row.harmonic_fraction:.4g} "
                f"[{row.fraction_low:.4g}, {row.fraction_high:.4g}] (chance "
                f"{row.chance:.2g}), peak {row.peak_db:.1f} dB, p = {row.p_value:.1e}, "
                f"{row.harmonics} harmonics, {row.maps} maps"
            )
            if np.isfinite(row.ratio):
                text += f"; {row.ratio:.3g}x the reference"
                if np.isfinite(row.ratio_low):
                    text += f" [{row.ratio_low:.3g}, {row.ratio_high:.3g}]"
            out.append(text)
        return out

    def summary(self) -> str:
        """:meth:`lines` joined, with the notes."""
        return "\n".join(self.lines() + list(self.notes))


# -- inputs ----------------------------------------------------------------------------------


def _is_pathlike(value: Any) -> bool:
    return isinstance(value, (str, os.PathLike))


def _array_maps(
    value: Any, name: str, ndim: int, channel_axis: int | None, channels: str, frame: int
) -> np.ndarray:
    """An array or tensor as maps ``(k, *spatial)`` (1-D signals cut into frames)."""
    arr = as_real_array(name, value, min_ndim=ndim)
    if channel_axis is not None:
        axis = check_int("channel_axis", channel_axis)
        if not -arr.ndim <= axis < arr.ndim - ndim or (axis < 0 and axis >= -ndim):
            raise ValueError(
                f"channel_axis={channel_axis} must be one of {name}'s leading axes (shape "
                f"{arr.shape}, the last {ndim} are spatial)"
            )
        arr = reduce_channels(arr, axis % arr.ndim, channels)
    maps = arr.reshape(-1, *arr.shape[arr.ndim - ndim :])
    if ndim == 1:
        maps = _frames(maps, frame)
    return maps


def _frames(signals: np.ndarray, frame: int) -> np.ndarray:
    """1-D signals ``(k, n)`` cut into non-overlapping frames (the remainder dropped); a
    signal shorter than ``frame`` is one frame."""
    k, n = signals.shape
    if n < frame:
        return signals
    count = n // frame
    return signals[:, : count * frame].reshape(k * count, frame)


@dataclass
class _Source:
    """One input: maps to measure and where they came from."""

    maps: np.ndarray
    jpeg: tuple[int, ...] | None = None


def _sources(
    data: Any,
    name: str,
    *,
    ndim: int | None,
    channels: str | None,
    channel_axis: int | None,
    frame: int,
    jpeg: bool | None,
) -> tuple[int, int, Iterator[_Source]]:
    """Checked inputs: ``(ndim, count, iterator of sources)``; files are listed (and their
    kinds known) before any is read."""
    from . import files

    if _is_pathlike(data) or (
        isinstance(data, (list, tuple)) and data and all(_is_pathlike(d) for d in data)
    ):
        if channel_axis is not None:
            raise ValueError("channel_axis applies to arrays; files say their own channels")
        paths = files.list_files([data] if _is_pathlike(data) else list(data), name=name)
        kinds = {files.kind_of(p) for p in paths}
        if len(kinds) > 1:
            raise ValueError(f"{name} mixes images and audio files: inspect them apart")
        kind = kinds.pop()
        nd = 1 if kind == "audio" else 2
        if ndim is not None and check_int("ndim", ndim) != nd:
            raise ValueError(f"ndim={ndim} does not fit {kind} files (ndim {nd})")
        mode = _channel_mode(channels, kind)

        def read_all() -> Iterator[_Source]:
            for path in paths:
                item = files.read(path, channels=mode)
                maps = item.maps if nd == 2 else _frames(item.maps, frame)
                yield _Source(maps, item.jpeg_grid)

        return nd, len(paths), read_all()
    if (
        isinstance(data, (list, tuple))
        and data
        and all(isinstance(d, np.ndarray) or is_tensor(d) for d in data)
    ):
        items = list(data)
    elif isinstance(data, np.ndarray) or is_tensor(data):
        items = [data]
    elif isinstance(data, (list, tuple)):
        if not data:
            raise ValueError(f"{name} must not be empty")
        items = [data]
    else:
        raise TypeError(
            f"{name} must be an array, a tensor, a file or folder path, or a sequence of "
            f"those, got {type(data).__name__}"
        )
    if is_tensor(items[0]):
        first_ndim = items[0].ndim
    else:
        try:
            first_ndim = np.ndim(items[0])
        except ValueError:  # a ragged list: numpy cannot tell its axes
            raise ValueError(f"{name} must be a rectangular array of numbers") from None
    nd = check_int("ndim", ndim) if ndim is not None else (1 if first_ndim == 1 else 2)
    if nd not in (1, 2):
        raise ValueError(f"ndim must be 1 (audio) or 2 (images), got {nd}")
    mode = _channel_mode(channels, "audio" if nd == 1 else "image")
    grid = (8, 8) if check_bool("jpeg", bool(jpeg) if jpeg is not None else False) else None
    if grid and nd != 2:
        raise ValueError("jpeg=True applies to images (ndim=2)")
    arrays = [
        _array_maps(a, f"{name}[{i}]" if len(items) > 1 else name, nd, channel_axis, mode, frame)
        for i, a in enumerate(items)
    ]
    return nd, len(arrays), [_Source(m, grid) for m in arrays]


def _channel_mode(channels: str | None, kind: str) -> str:
    if channels is None:
        return "mean" if kind == "audio" else "luma"
    check_choice("channels", channels, CHANNELS)
    if channels == "luma" and kind == "audio":
        raise ValueError("channels='luma' applies to colour images; audio takes 'mean' or 'each'")
    return channels


def _run(
    sources: Iterator[_Source],
    acc: _Accumulator,
    *,
    batch: int,
    total: int,
    progress: bool,
    desc: str,
) -> set[tuple[int, ...]]:
    """Feed every source's maps to the accumulator in batches of one shape."""
    from tqdm.auto import tqdm

    grids: set[tuple[int, ...]] = set()
    pending: list[np.ndarray] = []
    shape: tuple[int, ...] | None = None

    def flush() -> None:
        if pending:
            acc.add(np.concatenate(pending))
            pending.clear()

    count = 0
    with tqdm(total=total, disable=not progress, desc=desc, unit="file", leave=False) as bar:
        for src in sources:
            if src.jpeg is not None:
                grids.add(src.jpeg)
            for m in np.array_split(src.maps, max(1, math.ceil(len(src.maps) / batch))):
                if tuple(m.shape[1:]) != shape or count + len(m) > batch:
                    flush()
                    count = 0
                    shape = tuple(m.shape[1:])
                pending.append(m)
                count += len(m)
            bar.update(1)
        flush()
    return grids


# -- grouping into periods ---------------------------------------------------------------------


def _group(
    tests: pd.DataFrame,
    candidates: tuple[tuple[int, ...], ...],
    explicit: bool,
    jpeg: tuple[int, ...] | None,
) -> list[tuple[tuple[int, ...], str, list[int]]]:
    """(period, source, significant test rows) per period found."""
    sig = tests[tests.significant].sort_values("log10_p")
    groups: list[tuple[tuple[int, ...], str, list[int]]] = []
    if jpeg is not None:
        on_grid = [  # on a line of the block grid: a multiple of 1/8 on some axis
            i
            for i, d in zip(sig.index, sig.denominators, strict=True)
            if any(q > 1 and g % q == 0 for g, q in zip(jpeg, d, strict=True))
        ]
        if on_grid:
            groups.append((jpeg, "JPEG block grid", on_grid))
        sig = sig.drop(on_grid)
    if explicit:
        for p in candidates:
            rows = [
                i
                for i, d in zip(sig.index, sig.denominators, strict=True)
                if all(x % q == 0 for x, q in zip(p, d, strict=True))
            ]
            if rows:
                groups.append((p, "grid", rows))
        return groups
    own: list[list[Any]] = []  # [period, rows], strongest first
    for i, d, f in zip(sig.index, sig.denominators, sig.frequency, strict=True):
        for g in own:
            if all(p % q == 0 for p, q in zip(g[0], d, strict=True)) or _near(f, g[0], REPLICA):
                g[1].append(i)  # a harmonic of the period, or a sideband beside one
                break
        else:
            own.append([tuple(d), [i]])
    grids, replicas = [], {}
    for g in own:  # frequencies only beside the harmonics of a small factor: replicas
        freqs = [tests.frequency[i] for i in g[1]]
        factor = next(
            (
                (q,) * len(g[0])
                for q in (2, 3, 4)
                if max(g[0]) > 4  # not themselves harmonics of a small period
                and all(_near(f, (q,) * len(g[0]), REPLICA) for f in freqs)
            ),
            None,
        )
        if factor is None:
            grids.append(g)
        else:
            replicas.setdefault(factor, []).extend(g[1])

    def strength(g: list[Any]) -> float:
        return float(tests.loc[g[1], "mean_ratio"].max())

    for g in sorted(grids, key=lambda g: math.prod(g[0])):  # a divisor's grid is this one's
        hosts = [  # ... when the multiple is of comparable strength, not a faint line beside it
            h
            for h in grids
            if h is not g
            and all(hp % p == 0 for hp, p in zip(h[0], g[0], strict=True))
            and strength(h) >= 0.1 * strength(g)
        ]
        if hosts:
            min(hosts, key=lambda h: math.prod(h[0]))[1].extend(g[1])
            grids.remove(g)
    groups += [(tuple(g[0]), "grid", g[1]) for g in grids]
    groups += [(q, "replicas beside the harmonics", rows) for q, rows in replicas.items()]
    return groups


def _count(denominators: Iterable[tuple[int, ...]], period: tuple[int, ...]) -> str:
    """``"k of M"`` significant harmonics of ``period`` (and the sidebands beside them)."""
    on = sum(all(p % q == 0 for p, q in zip(period, d, strict=True)) for d in denominators)
    side = len(list(denominators)) - on
    text = f"{on} of {len({_canon(f) for f in _harmonics(period)})}"
    return text + (f" (+{side} beside)" if side else "")


REPLICA = 1 / 8  # cycles/sample: how far sidebands and replicas reach from a harmonic


def _near(f: tuple[float, ...], period: tuple[int, ...], width: float) -> bool:
    """Whether ``f`` lies within ``width`` (on every axis) of a non-zero harmonic of
    ``period``: a sideband or replica of that grid rather than a grid of its own."""
    for m in itertools.product(*(range(p) for p in period)):
        if any(m) and all(
            min((fa - ma / p) % 1.0, (ma / p - fa) % 1.0) <= width + 1e-12
            for fa, ma, p in zip(f, m, period, strict=True)
        ):
            return True
    return False


def _ratio(a: float, sa: float, b: float, sb: float) -> tuple[float, float, float]:
    """``a / b`` with a 95 % interval from the standard errors (delta method on the log)."""
    if not (a > 0 and b > 0):
        return (math.nan,) * 3
    r = a / b
    if not (np.isfinite(sa) and np.isfinite(sb)):  # one map on a side: no interval
        return r, math.nan, math.nan
    s = math.sqrt((sa / a) ** 2 + (sb / b) ** 2)
    return r, r * math.exp(-1.96 * s), r * math.exp(1.96 * s)


# -- the public function -------------------------------------------------------------------------


def inspect(
    data: Any,
    *,
    periods: Any = None,
    reference: Any = None,
    alpha: float = 0.05,
    border: int | None = None,
    channels: str | None = None,
    channel_axis: int | None = None,
    ndim: int | None = None,
    frame: int = 4096,
    jpeg: bool = False,
    batch: int = 32,
    device: Any = None,
    progress: bool = False,
) -> Inspection:
    """Find the periodic grids in images or audio, without the model that made them.

    Parameters
    ----------
    data : array_like, torch.Tensor, path, or sequence of arrays or paths
        Arrays: maps over the trailing ``ndim`` axes, every leading axis a batch (shape
        ``(..., H, W)`` for images, ``(..., n)`` for audio). Paths: image files (PNG, JPEG,
        TIFF; 8 or 16 bit; grey or colour), audio files (WAV; FLAC with
        ``pip install 'artifact_lab[audio]'``) or folders of them (not recursive).
    periods : None, int, tuple or sequence of those
        The periods to test (per axis). Default: every period 1-16 per axis (2-16 in 1-D).
    reference : same kinds as ``data``, optional
        Real data of the same kind: each period found gets its ratio to it.
    alpha : float
        Family-wise false-alarm rate over all frequencies tested (Bonferroni).
    border : int, optional
        Samples dropped at both ends of every axis; default a sixteenth of each image side,
        0 for audio frames.
    channels : {"luma", "mean", "each"}, optional
        How colour channels become maps (default luma for images, mean for audio).
    channel_axis : int, optional
        For arrays: the axis that holds colour channels (default: none; every leading axis
        is a batch).
    ndim : {1, 2}, optional
        For arrays: spatial axes (default 1 for a 1-D array, else 2). Files set their own.
    frame : int
        Audio frame length in samples (each frame is one map).
    jpeg : bool
        For arrays: they are decoded JPEGs (their 8 x 8 block grid is reported as such).
    batch : int
        Maps measured at once (memory grows with it, see below).
    device : str or torch.device, optional
        Where the FFTs run (:func:`artifact_lab.backend.select_device`: CUDA, MPS, CPU).
    progress : bool
        A progress bar over files (or arrays) on stderr.

    Returns
    -------
    Inspection

    Notes
    -----
    The method (statistic, null distribution, multiple testing, borders, colour, JPEG) is
    in the module docstring of :mod:`artifact_lab.inspection.detect`. Inputs stream: memory
    holds one batch of maps and a few FFTs of it (about ``batch * H * W * 64`` bytes) and
    fixed-size sums, whatever the number of files.

    Raises
    ------
    TypeError, ValueError
        Bad arguments, named, before any map is measured; unreadable files name themselves.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> grid = np.tile([[1.0, 0.0], [0.0, 0.0]], (32, 32))
    >>> result = inspect(rng.standard_normal((8, 64, 64)) + 0.3 * grid)
    >>> result.found.period.tolist()
    [(2, 2)]
    >>> inspect(rng.standard_normal((8, 64, 64))).found.empty
    True
    """
    from ..backend import exact_dtype, select_device

    alpha = check_float("alpha", alpha, positive=True)
    if alpha >= 1:
        raise ValueError(f"alpha must be below 1, got {alpha}")
    if border is not None:
        border = check_int("border", border, minimum=0)
    frame = check_int("frame", frame, minimum=32)
    batch = check_int("batch", batch, minimum=1)
    progress = check_bool("progress", progress)
    jpeg = check_bool("jpeg", jpeg)
    dev = select_device(device)
    dtype = exact_dtype(dev)
    opts = {"ndim": ndim, "channels": channels, "channel_axis": channel_axis, "frame": frame}
    nd, total, sources = _sources(data, "data", jpeg=jpeg, **opts)
    candidates = candidate_periods(periods, ndim=nd)
    ref = None
    if reference is not None:
        rnd, rtotal, rsources = _sources(reference, "reference", jpeg=None, **opts)
        if rnd != nd:
            raise ValueError(f"reference has {rnd} spatial axes, data has {nd}")
        ref = (rtotal, rsources)
    acc = _Accumulator(nd, candidates, border, dev, dtype)
    racc = _Accumulator(nd, candidates, border, dev, dtype) if ref is not None else None
    # arrays are known before any is measured (files only once read): too small is refused now
    _check_measurable("data", sources, acc)
    if ref is not None:
        _check_measurable("reference", ref[1], racc)
    grids = _run(sources, acc, batch=batch, total=total, progress=progress, desc="inspect")
    if ref is not None:
        _run(ref[1], racc, batch=batch, total=ref[0], progress=progress, desc="reference")
    _check_measurable("data", acc, acc)
    if racc is not None:
        _check_measurable("reference", racc, racc)
    return _result(acc, racc, alpha, periods is not None, grids)


def _check_measurable(name: str, sources: Any, acc: _Accumulator) -> None:
    """Refuse a list of array sources none of whose maps is large enough, or (given the
    accumulator itself, after the files were read) one that measured no map."""
    if isinstance(sources, _Accumulator):
        skipped = sources.skipped if sources.maps == 0 else None
    elif isinstance(sources, list) and not any(
        acc.measurable(tuple(s.maps.shape[1:])) for s in sources
    ):
        skipped = sum(len(s.maps) for s in sources)
    else:
        return
    if skipped is not None:
        raise ValueError(
            f"{name}: no map is large enough to measure: {skipped} map(s), each side must "
            "hold at least 4 samples after the border and two periods of some candidate"
        )


def _result(acc, racc, alpha, explicit, grids) -> Inspection:
    tests = acc.test_table(alpha)
    table = acc.period_table()
    jpeg = max(grids) if grids else None
    groups = _group(tests, acc.candidates, explicit, jpeg)
    rtable = racc.period_table() if racc is not None else None
    index = {p: i for i, p in enumerate(acc.candidates)}
    rows, patterns = [], {}
    for period, source, sig in groups:
        i = index.get(period)
        if i is None:  # a JPEG grid outside the candidates (periods= named others)
            continue
        s = table.iloc[i]
        p_adj = 10 ** tests.loc[sig, "log10_p_adjusted"].min()
        row = {
            "period": period,
            "source": source,
            "harmonics": _count(tests.loc[sig, "denominators"], period),
            "p_value": float(p_adj),
            "harmonic_fraction": s.harmonic_fraction,
            "fraction_low": s.harmonic_fraction_low,
            "fraction_high": s.harmonic_fraction_high,
            "chance": s.chance,
            "excess_fraction": s.excess_fraction,
            "peak_db": s.peak_db,
            "peak_db_low": s.peak_db_low,
            "peak_db_high": s.peak_db_high,
            "harmonic_rms": s.harmonic_rms,
            "maps": int(s.maps),
            "reference_fraction": math.nan,
            "ratio": math.nan,
            "ratio_low": math.nan,
            "ratio_high": math.nan,
        }
        if rtable is not None:
            r = rtable.iloc[i]
            ratio = _ratio(
                s.harmonic_fraction,
                s.harmonic_fraction_se,
                r.harmonic_fraction,
                r.harmonic_fraction_se,
            )
            row.update(
                reference_fraction=r.harmonic_fraction,
                ratio=ratio[0],
                ratio_low=ratio[1],
                ratio_high=ratio[2],
            )
        rows.append(row)
        patterns[period] = acc.pattern(period)
    found = pd.DataFrame(rows, columns=list(FOUND_COLUMNS))
    table["found"] = [p in patterns for p in acc.candidates]
    notes = []
    if acc.skipped:
        notes.append(f"{acc.skipped} map(s) too small to measure were skipped")
    if len(acc.shapes) > 1:
        notes.append(
            f"{len(acc.shapes)} map shapes; the averaged spectrum is of the first "
            f"({'x'.join(map(str, next(iter(acc.shapes))))})"
        )
    if jpeg is not None:
        notes.append(
            f"JPEG input: frequencies on its {'x'.join(map(str, jpeg))} block grid are "
            "attributed to JPEG; a model grid with a period dividing it cannot be told apart"
        )
    radial = None
    if acc.radial_maps:
        radial = (acc.radial_freq, acc.radial_sum / acc.radial_maps)
    rradial = None
    if racc is not None and racc.radial_maps:
        rradial = (racc.radial_freq, racc.radial_sum / racc.radial_maps)
    spectrum = acc.spectrum / acc.spectrum_maps if acc.spectrum_maps else None
    return Inspection(
        found=found,
        periods=table,
        tests=tests,
        maps=acc.maps,
        reference_maps=racc.maps if racc is not None else 0,
        ndim=acc.ndim,
        alpha=alpha,
        jpeg=jpeg,
        spectrum=spectrum,
        radial=radial,
        reference_radial=rradial,
        patterns=patterns,
        notes=tuple(notes),
    )
