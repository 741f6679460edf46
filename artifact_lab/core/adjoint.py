"""The backward pass of downsampling layers: their adjoints in closed form, or measured.

The gradient of ``y = Conv(x; W, k, s, p, d)`` with respect to ``x``, for an upstream
gradient ``g``, is

    dx[i] = sum over (o, j) with o*s + j*d - p == i  of  g[o] * W[j]

which is the transposed convolution with the same weights and geometry (the roles of
input and output swapped). For a constant upstream gradient, input position ``i`` receives
the taps ``j`` with ``(j*d - p) mod s == i mod s``: the phase gains, the overlap and every
score of :mod:`artifact_lab.core.scores` apply to the adjoint unchanged, in the **interior** where
every tap comes from a valid output (:func:`adjoint_interior`).

- An average pool is an all-ones kernel ``1 / prod(k)`` per channel (``divisor_override``
  changes the scale only; ``count_include_pad`` and ``ceil_mode`` change the border windows).
- An LP pool ``(sum x^p)^(1/p)``, linearised at a constant positive input, is an all-ones
  kernel ``prod(k)^(1/p - 1)``: its gradient there does not depend on the constant.
- A max pool routes the gradient to each window's argmax: data-dependent, so it has no closed
  form here and is measured (:func:`measured_gains`).

Tested against ``torch.autograd`` on random 1-, 2- and 3-D configurations of conv, average
and LP pools with padding, dilation, ``ceil_mode`` and ``count_include_pad``
(tests/test_adjoint.py).

References
----------
Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016 (section
"Artifacts in gradients").
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .._util.checks import (
    MAX_ELEMENTS,
    IntOrTuple,
    check_bool,
    check_callable,
    check_elements,
    check_float,
    check_int,
    check_ndim,
    check_phases,
    infer_ndim,
    per_axis,
)
from .._util.numeric import outer, pow2_exponent
from .scores import as_kernel, harmonic_fraction_of_gains, phase_gains

__all__ = [
    "MeasuredGains",
    "adjoint_geometry",
    "adjoint_interior",
    "adjoint_pattern",
    "downsample_size",
    "measured_gains",
    "pool_kernel",
]


def _axes(input_size, kernel_size, stride, padding, dilation, ndim=None):
    if ndim is None:
        ndim = (
            infer_ndim(
                input_size=input_size,
                kernel_size=kernel_size,
                stride=stride,
                padding=padding,
                dilation=dilation,
            )
            or 1
        )
    n = per_axis("input_size", input_size, ndim, minimum=1)
    k = per_axis("kernel_size", kernel_size, ndim, minimum=1)
    s = per_axis("stride", stride, ndim, minimum=1)
    p = per_axis("padding", padding, ndim, minimum=0)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    return ndim, n, k, s, p, d


def _length(n: int, k: int, s: int, p: int, d: int, ceil_mode: bool, axis: int) -> int:
    span = n + 2 * p - d * (k - 1) - 1
    if span < 0:
        raise ValueError(
            f"kernel_size and dilation: the kernel's reach {d * (k - 1) + 1} (dilation * "
            f"(kernel_size - 1) + 1) exceeds the padded input {n + 2 * p} (input_size + "
            f"2*padding) on axis {axis}"
        )
    if not ceil_mode:
        return span // s + 1
    length = -(-span // s) + 1
    # torch: the last window must start inside the input or the left padding
    if (length - 1) * s >= n + p:
        length -= 1
    return length


def downsample_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    ceil_mode: bool = False,
) -> int | tuple[int, ...]:
    """Output size of a convolution or pool, as torch computes it (``ceil_mode`` for pools).

    ``floor((n + 2p - d*(k-1) - 1) / s) + 1``; with ``ceil_mode`` the ceiling, minus one when
    the last window would start in the right padding.

    Examples
    --------
    >>> downsample_size(8, 3, 2, 1), downsample_size(8, 3, 2, 0, ceil_mode=True)
    (4, 4)
    """
    ndim = infer_ndim(
        input_size=input_size,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
    )
    _, n, k, s, p, d = _axes(input_size, kernel_size, stride, padding, dilation, ndim or 1)
    ceil_mode = check_bool("ceil_mode", ceil_mode)
    out = tuple(_length(n[a], k[a], s[a], p[a], d[a], ceil_mode, a) for a in range(len(n)))
    return out[0] if ndim is None else out


def adjoint_geometry(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    ceil_mode: bool = False,
) -> dict[str, tuple[int, ...]]:
    """The transposed convolution that computes a convolution's input gradient.

    ``conv_transpose(g, W, stride, padding, output_padding, dilation)`` of the upstream
    gradient ``g`` (shape ``upstream_size``) with the convolution's own weight gives exactly
    the gradient with respect to its input (shape ``input_size``).

    Returns
    -------
    dict of per-axis tuples
        ``upstream_size`` (the layer's output size), ``kernel_size``, ``stride``,
        ``padding``, ``dilation`` and ``output_padding`` (``input_size`` minus the transposed
        output length: in ``[0, s)`` for a convolution; negative only for a ``ceil_mode``
        pool, whose extra window the transposed output must then be cut back from).

    Notes
    -----
    Tested bit for bit (float64) against ``torch.autograd`` for ``Conv1d/2d/3d`` on random
    configurations (tests/test_adjoint.py).

    Examples
    --------
    >>> g = adjoint_geometry(9, 3, 2, 1)
    >>> g["upstream_size"], g["output_padding"]
    ((5,), (0,))
    """
    ndim, n, k, s, p, d = _axes(input_size, kernel_size, stride, padding, dilation)
    ceil_mode = check_bool("ceil_mode", ceil_mode)
    up = tuple(_length(n[a], k[a], s[a], p[a], d[a], ceil_mode, a) for a in range(ndim))
    op = tuple(n[a] - ((up[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + 1) for a in range(ndim))
    return {
        "upstream_size": up,
        "kernel_size": k,
        "stride": s,
        "padding": p,
        "dilation": d,
        "output_padding": op,
    }


def adjoint_interior(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    ceil_mode: bool = False,
    whole_windows: bool = False,
) -> np.ndarray:
    """Input positions where the gradient for a constant upstream gradient is the phase pattern.

    Per axis, position ``i`` is interior when every tap reaches it from a valid output:
    ``(k-1)*d - p <= i <= (L-1)*s - p`` with ``L`` the layer's output size (the transposed
    convolution's interior, with the roles of input and output swapped). With
    ``whole_windows`` it must also lie at least ``(k-1)*d`` from both ends of the unpadded
    input, so every window that reaches it lies inside the input: needed for pools, whose
    border windows have other divisors (``count_include_pad=False``, ``ceil_mode``) or fewer
    candidates (max pool).

    Returns
    -------
    numpy.ndarray of bool, shape ``input_size`` (outer AND over axes)

    Examples
    --------
    >>> adjoint_interior(9, 3, 2, 1).astype(int)
    array([0, 1, 1, 1, 1, 1, 1, 1, 0])
    >>> adjoint_interior(9, 3, 2, 1, whole_windows=True).astype(int)
    array([0, 0, 1, 1, 1, 1, 1, 0, 0])
    """
    ndim, n, k, s, p, d = _axes(input_size, kernel_size, stride, padding, dilation)
    ceil_mode = check_bool("ceil_mode", ceil_mode)
    whole_windows = check_bool("whole_windows", whole_windows)
    check_elements("input_size: the interior mask", n, MAX_ELEMENTS, "use a smaller input_size")
    axes = []
    for a in range(ndim):
        length = _length(n[a], k[a], s[a], p[a], d[a], ceil_mode, a)
        i = np.arange(n[a])
        ok = (i + p[a] - (k[a] - 1) * d[a] >= 0) & (i + p[a] <= (length - 1) * s[a])
        if whole_windows:
            ok &= (i >= (k[a] - 1) * d[a]) & (i <= n[a] - 1 - (k[a] - 1) * d[a])
        axes.append(ok)
    return outer(axes, np.logical_and)


def pool_kernel(
    kind: str,
    kernel_size: IntOrTuple,
    *,
    ndim: int | None = None,
    norm_type: float | None = None,
    divisor_override: int | None = None,
) -> np.ndarray:
    """The adjoint kernel of a pool: what one window hands back to each of its taps.

    Parameters
    ----------
    kind : {"avg", "lp", "max"}
        ``"max"`` raises: a max pool's gradient goes to the argmax of each window, which
        depends on the data (use :func:`measured_gains`).
    kernel_size : int or tuple of int
    ndim : int, optional
        Spatial axes when ``kernel_size`` is an int (default 1).
    norm_type : float
        The LP pool's ``p`` (> 0, finite): kernel ``prod(k)^(1/p - 1)``, the gradient at
        any constant positive input.
    divisor_override : int, optional
        Average pool's divisor (default ``prod(k)``).

    Returns
    -------
    numpy.ndarray of shape ``kernel_size``

    Examples
    --------
    >>> pool_kernel("avg", 2, ndim=2)
    array([[0.25, 0.25],
           [0.25, 0.25]])
    >>> pool_kernel("lp", 4, norm_type=2.0)
    array([0.5, 0.5, 0.5, 0.5])
    """
    if kind not in ("avg", "lp", "max"):
        raise ValueError(f"kind must be 'avg', 'lp' or 'max', got {kind!r}")
    if kind == "max":
        raise ValueError(
            "kind='max' has no closed-form adjoint: a max pool routes the gradient to each "
            "window's argmax, which depends on the input; measure it with measured_gains"
        )
    if ndim is not None:
        ndim = check_ndim(ndim)
    nd = 1 if ndim is None and not isinstance(kernel_size, (tuple, list)) else ndim
    k = per_axis("kernel_size", kernel_size, nd, minimum=1)
    check_elements("kernel_size: the pool's kernel", k, MAX_ELEMENTS, "use a smaller kernel_size")
    size = math.prod(k)
    if kind == "avg":
        if divisor_override is not None:
            size = check_int("divisor_override", divisor_override, minimum=1)
        return np.full(k, 1.0 / size)
    if norm_type is None:
        raise ValueError("norm_type must be a positive finite number for kind='lp', got None")
    norm_type = check_float("norm_type", norm_type, positive=True)
    return np.full(k, float(size) ** (1.0 / norm_type - 1.0))


def adjoint_pattern(
    kernel: Any,
    input_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    ceil_mode: bool = False,
    whole_windows: bool = False,
) -> np.ndarray:
    """The closed-form input gradient for a constant upstream gradient of 1.

    In the interior (:func:`adjoint_interior`) position ``i`` gets the phase gain
    ``g[i mod s]`` of ``kernel`` (:func:`artifact_lab.core.scores.phase_gains` with the same
    stride, dilation and padding); border positions are NaN (they depend on the border).
    ``kernel`` is one ``(k_1, ..., k_ndim)`` kernel: a channel pair's weight slice, or its
    sum over the upstream channels.

    Examples
    --------
    >>> adjoint_pattern([1.0, 1.0, 1.0], 9, 2, 1)    # odd positions sit in two windows
    array([nan,  2.,  1.,  2.,  1.,  2.,  1.,  2., nan])
    """
    k = as_kernel(kernel)
    nd = k.ndim
    n = per_axis("input_size", input_size, nd, minimum=1)
    stride = per_axis("stride", stride, nd, minimum=1)
    padding = per_axis("padding", padding, nd, minimum=0)
    dilation = per_axis("dilation", dilation, nd, minimum=1)
    check_elements("input_size: the gradient pattern", n, MAX_ELEMENTS, "use a smaller input_size")
    check_phases("stride", stride)
    mask = adjoint_interior(
        n, k.shape, stride, padding, dilation, ceil_mode=ceil_mode, whole_windows=whole_windows
    )
    g = phase_gains(k, stride, dilation, padding)
    idx = np.ix_(*(np.arange(n[a]) % stride[a] for a in range(nd)))
    return np.where(mask, g[idx], np.nan)


def _check_input(x: Any) -> None:
    """``measured_gains``' ``x``: a real floating tensor ``(N, C, *spatial)`` with values."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a tensor of shape (N, C, *spatial), got {type(x).__name__}")
    if x.ndim < 3 or x.ndim > 5:
        raise ValueError(
            f"x must have shape (N, C, *spatial) with 1 to 3 spatial axes, got {tuple(x.shape)}"
        )
    if x.is_complex() or not x.is_floating_point():
        raise TypeError(
            f"x must be a real floating-point tensor (autograd needs one), got {x.dtype}; "
            "pass x.double() or x.float()"
        )
    if x.numel() == 0:
        raise ValueError(f"x must not be empty, got shape {tuple(x.shape)}")
    if x.device.type == "meta":
        raise ValueError("x is on the meta device: it holds no values to differentiate at")
    check_elements("x", tuple(x.shape), MAX_ELEMENTS, "use a smaller batch or input")
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x contains NaN or infinite values")


def _check_interior(interior: Any, spatial: tuple[int, ...]) -> np.ndarray:
    if isinstance(interior, torch.Tensor):
        interior = interior.detach().cpu().numpy()
    if not isinstance(interior, np.ndarray) or interior.dtype != bool:
        raise TypeError(
            "interior must be a bool numpy array of the spatial shape (adjoint_interior gives "
            f"one), got {type(interior).__name__}"
            + (f" of dtype {interior.dtype}" if isinstance(interior, np.ndarray) else "")
        )
    if interior.shape != spatial:
        raise ValueError(f"interior must have the spatial shape {spatial}, got {interior.shape}")
    return interior


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


@dataclass(frozen=True)
class MeasuredGains:
    """Phase gains of an adjoint measured with autograd.

    Attributes
    ----------
    gains : ndarray, shape ``stride``
        Mean input gradient per phase ``i mod s`` over the interior, batch and channels.
    score : float
        ``1 - mean(g)^2 / mean(g^2)`` of ``gains`` (the checkerboard score).
    chance : float
        The score expected from the measurement's own noise when the true gains are equal:
        ``(1 - 1/M) * mean_r(se_r^2) / mean(g^2)`` with ``se_r`` the standard error of each
        phase mean across the ``N*C`` maps (0 when they agree exactly, as for a linear op).
    spread : float
        Largest deviation of a single interior value from its phase mean, relative to the
        largest gain: 0 (up to rounding) when the gradient is exactly periodic.
    """

    gains: np.ndarray
    score: float
    chance: float
    spread: float


def measured_gains(
    op: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    stride: IntOrTuple,
    interior: np.ndarray,
) -> MeasuredGains:
    """Measure an operation's adjoint phase gains with autograd at the input ``x``.

    The input gradient of ``op`` for an upstream gradient of ones is averaged over the
    interior positions of each phase ``i mod s``, over the batch and over the channels.
    For a linear operation the result is exact (``spread`` is 0); for a max pool it is the
    data-dependent routing at ``x``.

    Parameters
    ----------
    op : callable
        Maps ``x`` to a tensor (e.g. ``lambda t: F.max_pool2d(t, 3, 2)``).
    x : torch.Tensor, shape ``(N, C, *spatial)``
    stride : int or tuple of int
    interior : bool ndarray of shape ``spatial``
        Positions to use (e.g. :func:`adjoint_interior` with ``whole_windows=True``); every
        phase must have at least one.

    Returns
    -------
    MeasuredGains

    Examples
    --------
    >>> import torch.nn.functional as F
    >>> x = torch.ones(1, 1, 12, dtype=torch.float64)
    >>> mask = adjoint_interior(12, 3, 2, whole_windows=True)
    >>> m = measured_gains(lambda t: F.avg_pool1d(t, 3, 2), x, 2, mask)
    >>> m.gains * 3, round(m.score, 3)
    (array([2., 1.]), 0.1)
    """
    return measured_gains_and_maps(op, x, stride, interior)[0]


def measured_gains_and_maps(
    op: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    stride: IntOrTuple,
    interior: np.ndarray,
) -> tuple[MeasuredGains, np.ndarray]:
    """:func:`measured_gains` and the input gradient maps it averaged, ``(N*C, *spatial)``
    float64 (the gradient for an upstream gradient of ones)."""
    check_callable("op", op)
    _check_input(x)
    spatial = tuple(x.shape[2:])
    nd = len(spatial)
    s = per_axis("stride", stride, nd, minimum=1)
    check_phases("stride", s)
    mask = _check_interior(interior, spatial)
    phase = np.ravel_multi_index(
        np.meshgrid(*(np.arange(n) % st for n, st in zip(spatial, s, strict=True)), indexing="ij"),
        s,
    )
    ph = phase[mask]
    count = np.bincount(ph, minlength=math.prod(s))
    if (count == 0).any():
        raise ValueError(
            f"the interior holds no position of some phase (stride {s}, spatial {spatial}): "
            "use a larger input"
        )
    leaf = x.detach().clone().requires_grad_(True)
    try:
        with torch.enable_grad():
            y = op(leaf)
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except Exception as exc:
        raise ValueError(
            f"op failed on x of shape {tuple(x.shape)} ({x.dtype}): {type(exc).__name__}: "
            f"{_first_line(exc)}"
        ) from exc
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"op must return a tensor, got {type(y).__name__}")
    if not y.requires_grad:
        raise ValueError(
            f"op's output does not depend on x through autograd (a {y.dtype} tensor without a "
            "gradient): op detached x, or returned indices (argmax) or a copy; "
            "measured_gains needs a differentiable op"
        )
    if y.is_complex():
        raise ValueError(
            f"op returned a complex tensor ({y.dtype}); return a real one (its .real or .abs())"
        )
    try:
        (grad,) = torch.autograd.grad(y, leaf, torch.ones_like(y), allow_unused=True)
    except RuntimeError as exc:
        raise ValueError(f"op's gradient could not be computed: {_first_line(exc)}") from exc
    if grad is None:
        raise ValueError("op's output does not depend on x: its gradient is None")
    maps = grad.detach().to("cpu", torch.float64).reshape(-1, *spatial).numpy()
    # the scores are ratios: computed on the maps scaled to at most 1 (a power of two,
    # exact), the gains given back in the gradient's units; a NaN or infinite gradient
    # (the op overflowed) gives NaN scores, never 0
    peak = np.abs(maps).max()
    unit = np.ldexp(1.0, int(pow2_exponent(peak))) if np.isfinite(peak) else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        values = maps[:, mask] / unit  # (items, positions)
        per_item = np.stack([np.bincount(ph, weights=v, minlength=len(count)) for v in values])
        per_item /= count
        gains = per_item.mean(axis=0)
        power = float((gains**2).mean())
        items = per_item.shape[0]
        if items > 1:
            se2 = per_item.var(axis=0, ddof=1) / items
        else:  # one map: positions as if independent (an underestimate where they correlate)
            sq = np.bincount(ph, weights=values[0] ** 2, minlength=len(count)) / count
            se2 = np.maximum(sq - gains**2, 0) / np.maximum(count - 1, 1)
        chance = float((1 - 1 / len(gains)) * se2.mean() / power) if power != 0 else 0.0
        scale = float(np.abs(gains).max())
        scale = 1.0 if scale == 0 else scale
        spread = float(np.abs(values - gains[ph]).max() / scale) if values.size else 0.0
        score = float(harmonic_fraction_of_gains(gains.reshape(s), nd))
    return MeasuredGains(gains.reshape(s) * unit, score, chance, spread), maps
