"""Measured spectra of upsampled outputs: the harmonic power at the stride harmonics.

A periodic checkerboard of period ``s`` puts its power at frequencies ``m/s`` cycles per
sample. On a crop of a whole number of periods, those are exactly the FFT bins that are
multiples of ``N/s``. The measured harmonic fraction is the power on the non-zero ones
divided by the total power; for a linear layer and a constant input it equals the
closed-form :func:`artifact_lab.core.scores.checkerboard_score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._util.checks import (
    MAX_ELEMENTS,
    IntOrTuple,
    as_real_array,
    check_bool,
    check_choice,
    check_elements,
    check_int,
    check_spatial_ndim,
    per_axis,
)
from .._util.numeric import outer, pow2_exponent, pow2_scaled
from .overlap import interior_mask

__all__ = [
    "filtering_db",
    "harmonic_fraction",
    "harmonic_peaks",
    "harmonic_stats",
    "interior_crop",
    "peak_db",
    "power_spectrum",
    "radial_spectrum",
    "replica_fraction",
    "stats_from_harmonics",
]


def _as_array(y: Any, name: str = "y") -> np.ndarray:
    """Real, finite float64 copy of a signal (numpy array, torch tensor or list), checked."""
    return as_real_array(name, y)


def _spatial(
    arr: np.ndarray, stride: Any, ndim: Any, default: int, name: str = "y"
) -> tuple[int, tuple[int, ...]]:
    """Checked number of trailing spatial axes and per-axis stride.

    ``ndim`` defaults to ``len(stride)`` for a per-axis stride, else ``default``.
    """
    if ndim is None:
        if isinstance(stride, (tuple, list)):
            ndim = len(per_axis("stride", stride, None, minimum=1))
            if ndim > arr.ndim:
                raise ValueError(
                    f"stride {stride!r} has {ndim} entries but {name} has only {arr.ndim} axes"
                )
        else:
            ndim = default
    ndim = check_spatial_ndim(ndim, arr.ndim, of=name)
    return ndim, per_axis("stride", stride, ndim, minimum=1)


def _unit(arr: np.ndarray, axes: tuple[int, ...] | None = None) -> np.ndarray:
    """``arr`` divided by its largest magnitude (per item over ``axes``; zeros stay zero).

    Ratios of powers are scale-free: computing them on this keeps 1e200 or 1e-200 signals
    from overflowing or underflowing when squared.
    """
    peak = np.abs(arr).max(axis=axes, keepdims=axes is not None) if arr.size else 1.0
    return pow2_scaled(arr, peak)


def _check_periods(spatial: tuple[int, ...], s: tuple[int, ...]) -> None:
    """Harmonics fall on FFT bins only when every axis holds a whole number of periods."""
    for a, (n, st) in enumerate(zip(spatial, s, strict=True)):
        if n == 0 or n % st:
            raise ValueError(
                f"y must hold a whole number of periods: axis {a} has {n} samples, stride {st}"
            )


def interior_crop(
    y: Any,
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> np.ndarray:
    """The steady-state part of a layer's output, cut to a whole number of periods per axis.

    ``y`` has shape ``(..., *output_size)``; the crop keeps the leading axes. Raises
    ``ValueError`` when the interior holds less than one period on some axis.

    Examples
    --------
    >>> y = np.arange(9.0)
    >>> interior_crop(y, 4, 3, 2)
    array([2., 3., 4., 5.])
    """
    arr = _as_array(y)
    mask = interior_mask(input_size, kernel_size, stride, padding, output_padding, dilation)
    ndim = mask.ndim
    s = per_axis("stride", stride, ndim)
    if arr.shape[arr.ndim - ndim :] != mask.shape:
        raise ValueError(f"y has spatial shape {arr.shape[-ndim:]}, the layer gives {mask.shape}")
    index: list[slice] = []
    for a in range(ndim):
        along = mask.any(axis=tuple(b for b in range(ndim) if b != a))
        hit = np.flatnonzero(along)
        length = (len(hit) // s[a]) * s[a]
        if length == 0:
            raise ValueError(
                f"the interior on axis {a} holds {len(hit)} samples, fewer than one period "
                f"(stride {s[a]}): use a larger input_size"
            )
        index.append(slice(hit[0], hit[0] + length))
    return arr[(Ellipsis, *index)]


def harmonic_fraction(
    y: Any, stride: IntOrTuple, *, ndim: int | None = None, remove_dc: bool = False
) -> float | np.ndarray:
    """Fraction of power at the non-zero stride harmonics ``m/s`` of a crop of whole periods.

    Parameters
    ----------
    y : array_like or torch.Tensor, shape ``(..., n_1, ..., n_ndim)``
        Each ``n_a`` a multiple of ``s_a`` (use :func:`interior_crop`). Leading axes are a
        batch: one fraction per item.
    stride : int or tuple of int
    ndim : int, optional
        Trailing spatial axes (default: ``len(stride)`` for a tuple, else all).
    remove_dc : bool
        Subtract each item's mean first (the fraction is then of the AC power).

    Returns
    -------
    float or ndarray
        0 for an all-zero signal.

    Examples
    --------
    >>> round(harmonic_fraction(np.tile([2.0, 1.0], 8), 2), 6)
    0.1
    """
    arr = _as_array(y)
    ndim, s = _spatial(arr, stride, ndim, arr.ndim)
    remove_dc = check_bool("remove_dc", remove_dc)
    spatial = arr.shape[arr.ndim - ndim :]
    _check_periods(spatial, s)
    axes = tuple(range(arr.ndim - ndim, arr.ndim))
    arr = _unit(arr, axes)  # a ratio of powers: scale-free
    if remove_dc:
        arr = arr - arr.mean(axis=axes, keepdims=True)
    power = np.abs(np.fft.fftn(arr, axes=axes)) ** 2
    harmonics = power[
        (Ellipsis, *(slice(None, None, n // st) for n, st in zip(spatial, s, strict=True)))
    ]
    dc = power[(Ellipsis, *([0] * ndim))]
    total = power.sum(axis=axes)
    on = harmonics.sum(axis=axes) - dc
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, on / np.where(total > 0, total, 1), 0.0)
    return float(out) if out.ndim == 0 else out


def _hann(shape: tuple[int, ...]) -> np.ndarray:
    # periodic Hann: its transform is 3 bins wide, so leakage stays next to each harmonic
    wins = [np.sin(np.pi * np.arange(n) / n) ** 2 if n > 1 else np.ones(1) for n in shape]
    return outer(wins)


def power_spectrum(
    y: Any, *, ndim: int | None = None, window: str | None = None, remove_dc: bool = True
) -> np.ndarray:
    """Power spectrum ``|FFT|^2 / N`` over the last ``ndim`` axes, averaged over the rest.

    Parameters
    ----------
    y : array_like or torch.Tensor, shape ``(..., n_1, ..., n_ndim)``
    ndim : int, optional
        Spatial axes (default: ``min(y.ndim, 2)``).
    window : {None, "hann"}
        Taper applied after removing the mean; reduces leakage of non-periodic images.
    remove_dc : bool
        Subtract each item's mean first.

    Returns
    -------
    ndarray of shape ``(n_1, ..., n_ndim)``, unshifted (DC at index 0).

    Examples
    --------
    >>> p = power_spectrum(np.tile([1.0, -1.0], 8), ndim=1)
    >>> int(np.argmax(p)), len(p)
    (8, 16)
    """
    arr = _as_array(y)
    ndim = check_spatial_ndim(min(arr.ndim, 2) if ndim is None else ndim, arr.ndim)
    remove_dc = check_bool("remove_dc", remove_dc)
    if window is not None:
        check_choice("window", window, ("hann",))
    axes = tuple(range(arr.ndim - ndim, arr.ndim))
    if remove_dc:
        arr = arr - arr.mean(axis=axes, keepdims=True)
    if window == "hann":
        arr = arr * _hann(arr.shape[arr.ndim - ndim :])
    elif window is not None:
        raise ValueError(f"window must be None or 'hann', got {window!r}")
    power = np.abs(np.fft.fftn(arr, axes=axes)) ** 2 / np.prod(arr.shape[arr.ndim - ndim :])
    lead = tuple(range(arr.ndim - ndim))
    return power.mean(axis=lead) if lead else power


def harmonic_peaks(
    y: Any,
    stride: IntOrTuple,
    *,
    ndim: int | None = None,
    window: str | None = "hann",
    exclude: int = 1,
    ring: int = 4,
) -> list[dict[str, Any]]:
    """Peak-to-neighbourhood ratio (dB) at every non-zero stride harmonic.

    The batch-averaged power spectrum (mean removed, Hann window by default) is read at the
    bins of the harmonics ``m/s``. A peak's power is the sum over the harmonic bin and its
    neighbours within ``exclude`` bins (the window's main lobe); its neighbourhood is the
    median bin power at Chebyshev distance ``exclude+1 .. exclude+ring`` from it, times the
    number of bins summed, so a flat spectrum gives about 0 dB.

    Each axis must be a multiple of its stride so the harmonics fall on bins.

    Returns
    -------
    list of dict with ``harmonic`` (tuple of m), ``frequency`` (cycles/sample per axis),
    ``power``, ``neighbourhood`` and ``db``.
    """
    arr = _as_array(y)
    ndim, s = _spatial(arr, stride, ndim, min(arr.ndim, 2))
    exclude = check_int("exclude", exclude, minimum=0)
    ring = check_int("ring", ring, minimum=1)
    shape = arr.shape[arr.ndim - ndim :]
    _check_periods(shape, s)
    check_elements(
        "exclude and ring: the neighbourhood of a harmonic",
        (2 * (exclude + ring) + 1,) * ndim,
        MAX_ELEMENTS,
        "use a smaller exclude or ring",
    )
    peak = np.abs(arr).max()
    scale = np.ldexp(np.float64(1.0), int(pow2_exponent(peak)))
    # the ratios are scale-free: measured on the signal scaled to at most 1, so that 1e200
    # or 1e-200 signals neither overflow nor underflow; powers are given back in y's units
    power = power_spectrum(arr / scale, ndim=ndim, window=window)
    width = exclude + ring
    offsets = np.indices((2 * width + 1,) * ndim).reshape(ndim, -1) - width  # (ndim, M)
    cheb = np.abs(offsets).max(axis=0)
    lobe, annulus = cheb <= exclude, (cheb > exclude) & (cheb <= width)
    dims = np.array(shape)[:, None]
    out = []
    for m in np.ndindex(*s):
        if not any(m):
            continue
        centre = np.array([mi * n // st for mi, n, st in zip(m, shape, s)])[:, None]
        values = power[tuple((centre + offsets) % dims)]  # wraps around the spectrum
        peak = values[lobe].sum()
        around = np.median(values[annulus])
        ref = around * (2 * exclude + 1) ** ndim
        db = 10 * np.log10(peak / ref) if ref > 0 and peak > 0 else (np.inf if peak > 0 else 0.0)
        with np.errstate(over="ignore"):
            out.append(
                {
                    "harmonic": tuple(m),
                    "frequency": tuple(mi / st for mi, st in zip(m, s)),
                    "power": float(peak * scale**2),
                    "neighbourhood": float(ref * scale**2),
                    "db": float(db),
                }
            )
    return out


def peak_db(y: Any, stride: IntOrTuple, *, ndim: int | None = None, **kwargs: Any) -> float:
    """Largest peak-to-neighbourhood ratio (dB) over the non-zero stride harmonics.

    About 0 dB without a checkerboard; 10 dB or more when the grid is visible. See
    :func:`harmonic_peaks` for the definition and options. 0 for stride 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> noise = rng.standard_normal((64, 64))
    >>> grid = noise + np.tile([[1.0, 0.0], [0.0, 0.0]], (32, 32))
    >>> peak_db(noise, 2) < 6 < peak_db(grid, 2)
    True
    """
    peaks = harmonic_peaks(y, stride, ndim=ndim, **kwargs)
    return max((p["db"] for p in peaks), default=0.0)


def radial_spectrum(
    y: Any, *, ndim: int | None = None, window: str | None = "hann", bins: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Azimuthally averaged power spectrum (Durall et al. 2020); plain spectrum in 1-D.

    Parameters
    ----------
    y : array_like, shape ``(..., H, W)`` or ``(..., n)`` with ``ndim=1``
        Leading axes are averaged.
    bins : int, optional
        Number of radial bins from 0 to 0.5 cycles/sample (default ``min(H, W) // 2``).

    Returns
    -------
    (frequency, power)
        Bin centres in cycles/sample and mean power per bin (1-D: the one-sided spectrum).

    References
    ----------
    Durall, Keuper, Keuper, "Watch your Up-Convolution: CNN Based Generative Deep Neural
    Networks are Failing to Reproduce Spectral Distributions", CVPR 2020.

    Examples
    --------
    >>> f, p = radial_spectrum(np.random.default_rng(0).standard_normal((32, 32)))
    >>> len(f) == len(p) == 16
    True
    """
    arr = _as_array(y)
    ndim = check_spatial_ndim(min(arr.ndim, 2) if ndim is None else ndim, arr.ndim)
    if bins is not None:
        bins = check_int("bins", bins, minimum=1)
    power = power_spectrum(arr, ndim=ndim, window=window)
    shape = power.shape
    if ndim == 1:
        n = shape[0]
        freq = np.fft.rfftfreq(n)
        return freq, power[: len(freq)]
    freqs = np.meshgrid(*(np.fft.fftfreq(n) for n in shape), indexing="ij")
    radius = np.sqrt(sum(f**2 for f in freqs))
    nb = bins or min(shape) // 2
    edges = np.linspace(0, 0.5, nb + 1)
    which = np.digitize(radius.ravel(), edges) - 1
    keep = (which >= 0) & (which < nb)
    total = np.bincount(which[keep], weights=power.ravel()[keep], minlength=nb)
    count = np.bincount(which[keep], minlength=nb)
    centres = (edges[:-1] + edges[1:]) / 2
    with np.errstate(invalid="ignore"):
        return centres, np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _baseband(shape: tuple[int, ...], s: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Masks: inside the input's Nyquist box, and on a stride-harmonic bin."""
    freqs = np.meshgrid(*(np.fft.fftfreq(n) for n in shape), indexing="ij")
    inside = np.logical_and.reduce([np.abs(f) < 0.5 / st for f, st in zip(freqs, s)])
    harmonic = np.logical_and.reduce(
        [np.isclose((f * st) % 1.0, 0) | np.isclose((f * st) % 1.0, 1) for f, st in zip(freqs, s)]
    )
    return inside, harmonic


def replica_fraction(y: Any, stride: IntOrTuple, *, ndim: int | None = None) -> float:
    """Spectral replicas (Pons et al. 2021): share of the output power above the input's
    Nyquist frequency (outside ``|f| < 0.5/s`` on any axis), stride-harmonic bins excluded
    (those are the tonal artifact). Mean removed, no window; batch-averaged.

    An ideal interpolator scores 0; nearest-neighbour upsampling keeps strong replicas.

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal(256)
    >>> nearest = np.repeat(x, 2)
    >>> round(replica_fraction(nearest, 2, ndim=1), 2)
    0.18
    """
    arr = _as_array(y)
    ndim, s = _spatial(arr, stride, ndim, min(arr.ndim, 2))
    power = power_spectrum(_unit(arr), ndim=ndim)  # a ratio: scale-free
    inside, harmonic = _baseband(power.shape, s)
    total = power[~harmonic].sum()
    return float(power[~inside & ~harmonic].sum() / total) if total > 0 else 0.0


def filtering_db(x: Any, y: Any, stride: IntOrTuple, *, ndim: int | None = None) -> float:
    """Filtering artifact (Pons et al. 2021): pass-band tilt of the upsampler, in dB.

    The transfer ``|Y(f)|^2 / |X(f)|^2`` is averaged over the upper half of the input's band
    (``0.25 <= |f_in| < 0.5`` cycles per input sample, largest axis) and over the lower half
    (``|f_in| < 0.25``, DC excluded); the result is ``10 log10(upper / lower)``: 0 for a flat
    pass band, negative when the upsampler attenuates the input's high frequencies (as
    nearest and bilinear interpolation do). Scale-free, so untrained layers compare fairly.

    Parameters
    ----------
    x : input, shape ``(..., n_1, ...)``; y : output, shape ``(..., n_1*s_1, ...)``

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((16, 64))
    >>> round(filtering_db(x, np.repeat(x, 2, axis=-1), 2, ndim=1), 1)
    -1.3
    """
    xa, ya = _unit(_as_array(x, "x")), _unit(_as_array(y))  # a ratio of ratios: scale-free
    ndim, s = _spatial(ya, stride, ndim, min(ya.ndim, 2))
    if ndim > xa.ndim:
        raise ValueError(f"x has {xa.ndim} axes, fewer than the {ndim} spatial axes of y")
    xs, ys = xa.shape[xa.ndim - ndim :], ya.shape[ya.ndim - ndim :]
    if tuple(n * st for n, st in zip(xs, s)) != ys:
        raise ValueError(f"y must be x upsampled by stride={s}: got x {xs} and y {ys}")
    px = power_spectrum(xa, ndim=ndim)
    py = power_spectrum(ya, ndim=ndim) * np.prod(s)  # per-input-sample normalisation
    # the input band of y's spectrum: the same integer frequencies as x's bins
    idx = np.ix_(*(np.r_[0 : (n + 1) // 2, n * st - n // 2 : n * st] for n, st in zip(xs, s)))
    pyb = py[idx]
    order = np.ix_(*(np.r_[0 : (n + 1) // 2, n - n // 2 : n] for n in xs))
    pxb = px[order]
    freqs = np.meshgrid(
        *(np.abs(np.fft.fftfreq(n))[np.r_[0 : (n + 1) // 2, n - n // 2 : n]] for n in xs),
        indexing="ij",
    )
    fmax = np.maximum.reduce(freqs) if ndim > 1 else freqs[0]
    valid = pxb > 1e-12 * pxb.max()
    ratio = np.where(valid, pyb / np.where(valid, pxb, 1), np.nan)
    low = ratio[(fmax > 0) & (fmax < 0.25) & valid]
    high = ratio[(fmax >= 0.25) & (fmax < 0.5) & valid]
    if low.size == 0 or high.size == 0 or np.nanmean(low) <= 0:
        raise ValueError("input too small or without power to measure the pass band")
    return float(10 * np.log10(max(np.nanmean(high), 1e-300) / np.nanmean(low)))


def stats_from_harmonics(
    harmonic_power: np.ndarray, total_power: np.ndarray, bins: int | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic fraction and peak-to-floor dB from pooled spectrum sums.

    ``harmonic_power`` has shape ``(..., M)``: the summed ``|Y|^2`` at the ``M = prod(s)``
    harmonic bins, DC first; ``total_power`` is ``sum |Y|^2`` over all ``bins`` bins (by
    Parseval ``bins * sum y^2``). The floor is the mean power of a non-harmonic bin.
    Shared by the FFT path (:func:`harmonic_stats`) and the sweep engine's phase-sum path,
    so both compute the same numbers.
    """
    harmonic_power = as_real_array("harmonic_power", harmonic_power)
    total = as_real_array("total_power", total_power, min_ndim=0)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        bins = np.asarray(check_int("bins", bins, minimum=1), dtype=np.float64)
    else:
        bins = as_real_array("bins", bins, min_ndim=0)
    try:
        np.broadcast_shapes(harmonic_power.shape[:-1], total.shape, bins.shape)
    except ValueError:
        raise ValueError(
            f"total_power {total.shape} and bins {bins.shape} must match harmonic_power's "
            f"leading axes {harmonic_power.shape[:-1]}"
        ) from None
    if (harmonic_power < 0).any() or (total < 0).any():
        raise ValueError("harmonic_power and total_power must be sums of |Y|^2, never negative")
    m = harmonic_power.shape[-1]
    on = harmonic_power[..., 1:].sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(total > 0, on / np.where(total > 0, total, 1.0), 0.0)
        rest = total - harmonic_power.sum(axis=-1)
        # Below 1e-6 of the total the remainder is rounding error (an exactly periodic
        # output): call it 0, so FFT and phase-sum paths agree, and keep the ratio finite
        # with a floor of 1e-10 of the mean bin power (a ceiling near 100 dB).
        rest = np.where(rest > 1e-6 * total, rest, 0.0)
        floor = rest / np.maximum(bins - m, 1)
        eps = 1e-10 * np.where(total > 0, total / np.maximum(bins, 1), 1.0)
        peak = harmonic_power[..., 1:].max(axis=-1) if m > 1 else np.zeros_like(total)
        db = 10 * np.log10((peak + eps) / (floor + eps))
    return np.clip(fraction, 0.0, 1.0), np.where(m > 1, db, 0.0)


def harmonic_stats(y: Any, stride: IntOrTuple, *, ndim: int | None = None) -> tuple[float, float]:
    """Pooled harmonic fraction and peak-to-floor ratio (dB) of a crop of whole periods.

    The full-FFT reference for the sweep engine. Over the leading (batch) axes the power
    spectra are summed; no window, DC kept. The harmonic fraction is as in
    :func:`harmonic_fraction`; the peak-to-floor ratio compares the strongest non-zero
    stride harmonic with the mean power of the non-harmonic bins (so white noise gives
    about 0 dB, a clean periodic output a very large value).

    Examples
    --------
    >>> frac, db = harmonic_stats(np.tile([2.0, 1.0], 8) + 0.01 * np.sin(np.arange(16)), 2)
    >>> round(frac, 3), db > 20
    (0.1, True)
    """
    arr = _as_array(y)
    ndim, s = _spatial(arr, stride, ndim, min(arr.ndim, 2))
    spatial = arr.shape[arr.ndim - ndim :]
    _check_periods(spatial, s)
    axes = tuple(range(arr.ndim - ndim, arr.ndim))
    arr = _unit(arr)  # pooled ratios: scale-free
    power = np.abs(np.fft.fftn(arr, axes=axes)) ** 2
    lead = tuple(range(arr.ndim - ndim))
    power = power.sum(axis=lead) if lead else power
    harm = power[tuple(slice(None, None, n // st) for n, st in zip(spatial, s))].ravel()
    frac, db = stats_from_harmonics(harm, power.sum(), int(np.prod(spatial)))
    return float(frac), float(db)
