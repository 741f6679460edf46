"""Measured spectra of upsampled outputs: the harmonic power at the stride harmonics.

A periodic checkerboard of period ``s`` puts its power at frequencies ``m/s`` cycles per
sample. On a crop of a whole number of periods, those are exactly the FFT bins that are
multiples of ``N/s``. The measured harmonic fraction is the power on the non-zero ones
divided by the total power; for a linear layer and a constant input it equals the
closed-form :func:`artifact_lab.scores.checkerboard_score`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ._checks import IntOrTuple, per_axis
from .overlap import interior_mask

__all__ = ["harmonic_fraction", "interior_crop"]


def _as_array(y: Any) -> np.ndarray:
    if isinstance(y, torch.Tensor):
        return y.detach().to("cpu", torch.float64).numpy()
    arr = np.asarray(y, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError("y contains NaN or infinite values")
    return arr


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
    if ndim is None:
        ndim = len(stride) if isinstance(stride, (tuple, list)) else arr.ndim
    s = per_axis("stride", stride, ndim, minimum=1)
    spatial = arr.shape[arr.ndim - ndim :]
    for a, (n, st) in enumerate(zip(spatial, s, strict=True)):
        if n == 0 or n % st:
            raise ValueError(
                f"y must hold a whole number of periods: axis {a} has {n} samples, stride {st}"
            )
    axes = tuple(range(arr.ndim - ndim, arr.ndim))
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
