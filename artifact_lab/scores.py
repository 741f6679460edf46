"""Closed-form checkerboard scores of a kernel: no convolution, just sums of taps by phase.

For stride ``s``, dilation ``d`` and padding ``p``, tap ``j`` lands on output phase
``(j*d - p) mod s`` (per axis). In the interior:

- phase gains ``g_r`` (sum of taps on phase r) are the output for a constant input of 1;
- noise gains ``e_r`` (sum of squared taps on phase r) are the output variance for unit
  white noise.

``checkerboard_score = 1 - mean(g)^2 / mean(g^2)`` is the fraction of the steady-state
power for a constant input at the non-zero stride harmonics (Parseval), and
``noise_checkerboard = std(e) / mean(e)`` measures uneven variance on textured input.
Padding only rolls the phases, so neither score depends on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch

from ._checks import IntOrTuple, check_int, check_ndim, per_axis

__all__ = [
    "MAX_PHASES",
    "WeightScores",
    "as_kernel",
    "checkerboard_score",
    "noise_checkerboard",
    "noise_gains",
    "phase_gains",
    "score_families",
    "weight_scores",
]


MAX_PHASES = 1 << 20


def as_kernel(kernel: Any, *, ndim: int | None = None, name: str = "kernel") -> np.ndarray:
    """A float64 numpy copy of a kernel (numpy array, torch tensor or nested list), checked.

    The last ``ndim`` axes are spatial (default: all); leading axes are a batch.
    """
    if isinstance(kernel, torch.Tensor):
        arr = kernel.detach().to("cpu", torch.float64).numpy()
    elif isinstance(kernel, (np.ndarray, list, tuple)):
        arr = np.asarray(kernel)
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    else:
        raise TypeError(
            f"{name} must be a numpy array or torch tensor, got {type(kernel).__name__}"
        )
    if ndim is None:
        ndim = arr.ndim
    if arr.ndim < 1 or ndim < 1 or arr.ndim < ndim:
        raise ValueError(
            f"{name} must have at least {max(ndim, 1)} spatial axes, got shape {arr.shape}"
        )
    if ndim > 3:
        raise ValueError(
            f"{name} must be 1-D to 3-D (shape (k,), (kh, kw) or (kd, kh, kw)); got shape "
            f"{arr.shape}. For a weight tensor (in, out, *k) use weight_scores or pass ndim."
        )
    if 0 in arr.shape:
        raise ValueError(f"{name} must have at least one tap per axis, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _phase_sums(values: np.ndarray, ndim: int, stride, dilation, padding) -> np.ndarray:
    s = per_axis("stride", stride, ndim, minimum=1)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    p = per_axis("padding", padding, ndim, minimum=0)
    if math.prod(s) > MAX_PHASES:
        raise ValueError(
            f"stride {stride!r} gives {math.prod(s)} phases; the limit is {MAX_PHASES} "
            "(a stride larger than any upsampling layer uses)"
        )
    out = values
    first = values.ndim - ndim
    for a in range(ndim):
        axis = first + a
        k = values.shape[axis]
        onehot = np.zeros((k, s[a]))
        onehot[np.arange(k), (np.arange(k) * d[a] - p[a]) % s[a]] = 1.0
        out = np.moveaxis(np.tensordot(out, onehot, axes=([axis], [0])), -1, axis)
    return out


def phase_gains(
    kernel: Any,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> np.ndarray:
    """Sum of the taps landing on each output phase: the interior response to a constant 1.

    Parameters
    ----------
    kernel : array_like or torch.Tensor, shape ``(..., k_1, ..., k_ndim)``
        Leading axes, if any, are a batch of kernels.
    stride, dilation, padding : int or tuple of int
    ndim : int, optional
        Number of trailing spatial axes (default: all axes of ``kernel``).

    Returns
    -------
    numpy.ndarray, shape ``(..., s_1, ..., s_ndim)``, indexed by output phase ``o mod s``.

    Examples
    --------
    >>> phase_gains([1, 1, 1], stride=2)
    array([2., 1.])
    >>> phase_gains(np.ones((4, 4)), stride=2)
    array([[4., 4.],
           [4., 4.]])
    """
    k = as_kernel(kernel, ndim=ndim)
    ndim = k.ndim if ndim is None else ndim
    return _phase_sums(k, ndim, stride, dilation, padding)


def noise_gains(
    kernel: Any,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> np.ndarray:
    """Sum of squared taps per output phase: interior output variance for unit white noise.

    Examples
    --------
    >>> noise_gains([1, 2, 3], stride=2)
    array([10.,  4.])
    """
    k = as_kernel(kernel, ndim=ndim)
    ndim = k.ndim if ndim is None else ndim
    return _phase_sums(k**2, ndim, stride, dilation, padding)


def _phase_axes(arr: np.ndarray, ndim: int) -> tuple[int, ...]:
    return tuple(range(arr.ndim - ndim, arr.ndim))


def _harmonic_fraction_of_gains(g: np.ndarray, ndim: int) -> np.ndarray:
    axes = _phase_axes(g, ndim)
    power = (g**2).mean(axis=axes)
    dc = g.mean(axis=axes) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(power > 0, 1.0 - dc / np.where(power > 0, power, 1.0), 0.0)
    return np.clip(score, 0.0, 1.0)


def checkerboard_score(
    kernel: Any,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> float | np.ndarray:
    """Fraction of constant-input steady-state power at the non-zero stride harmonics.

    ``1 - mean(g)^2 / mean(g^2)`` over the phase gains ``g`` (all ``prod(s)`` phases), in
    [0, 1]; 0 exactly when every phase gets the same gain. A kernel whose gains are all 0
    (no response to a constant input at all) scores 0: check ``phase_gains`` to tell it
    apart. ``padding`` is accepted for symmetry and has no effect.

    Returns a float for one kernel, an array for a batch (leading axes).

    Notes
    -----
    Tested against the harmonic power fraction measured on torch's ``conv_transpose`` output
    for a constant input (interior crop of whole periods), to 1e-6.

    Examples
    --------
    >>> round(checkerboard_score([1, 1, 1], 2), 6)     # gains (2, 1): 1 - 1.5^2/2.5
    0.1
    >>> checkerboard_score(np.ones((4, 4)), 2)
    0.0
    """
    g = phase_gains(kernel, stride, dilation, padding, ndim=ndim)
    nd = g.ndim if ndim is None else ndim
    score = _harmonic_fraction_of_gains(g, nd)
    return float(score) if score.ndim == 0 else score


def noise_checkerboard(
    kernel: Any,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> float | np.ndarray:
    """``std(e) / mean(e)`` of the noise gains: uneven output variance on white noise.

    0 for an all-zero kernel. Returns a float for one kernel, an array for a batch.

    Examples
    --------
    >>> round(noise_checkerboard([1, 1, 1], 2), 6)     # e = (2, 1)
    0.333333
    """
    e = noise_gains(kernel, stride, dilation, padding, ndim=ndim)
    nd = e.ndim if ndim is None else ndim
    axes = _phase_axes(e, nd)
    mean = e.mean(axis=axes)
    std = e.std(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mean > 0, std / np.where(mean > 0, mean, 1.0), 0.0)
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True)
class WeightScores:
    """Closed-form scores of a whole ConvTranspose weight ``(in, out, *k)``.

    Attributes
    ----------
    pairs : DataFrame
        One row per (in_channel, out_channel) kernel: ``checkerboard_score``,
        ``noise_checkerboard``, ``mean_gain``.
    channels : DataFrame
        One row per output channel, for a constant 1 (white noise) in every input channel:
        the channel's gains are the sums over input channels.
    checkerboard_score : float
        Harmonic power fraction of the whole multi-channel output for a constant input in
        every input channel: ``1 - sum_o mean(G_o)^2 / sum_o mean(G_o^2)`` with
        ``G_o = sum_i g_(i,o)``, i.e. output channels weighted by their power.
    noise_checkerboard : float
        ``std/mean`` over phases of the output variance summed over output channels, for
        independent unit white noise in each input channel.
    zero_gain : bool
        True when no output channel responds to a constant input (score 0 means nothing).
    """

    pairs: pd.DataFrame
    channels: pd.DataFrame
    checkerboard_score: float
    noise_checkerboard: float
    zero_gain: bool

    def to_frame(self) -> pd.DataFrame:
        return self.pairs.copy()


def _group_sum(values: np.ndarray, groups: int) -> np.ndarray:
    """Sum ``(in, out_g, *s)`` over each group's input channels: ``(groups * out_g, *s)``."""
    n_in, out_g = values.shape[:2]
    split = values.reshape(groups, n_in // groups, out_g, *values.shape[2:]).sum(axis=1)
    return split.reshape(groups * out_g, *values.shape[2:])


def weight_scores(
    weight: Any,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    ndim: int | None = None,
    groups: int = 1,
) -> WeightScores:
    """Per channel pair and aggregated closed-form scores of a ConvTranspose weight.

    Parameters
    ----------
    weight : array_like or torch.Tensor, shape ``(in, out // groups, *k)`` (torch's layout)
        A strided ``Conv`` weight ``(out, in // groups, *k)`` is in the layout of its
        adjoint (the input gradient is a transposed convolution with the same weight), so
        passing it scores the backward pass.
    ndim : int, optional
        Spatial axes; default ``weight.ndim - 2``.
    groups : int
        The layer's ``groups``: input channel ``i`` feeds only the ``out // groups`` output
        channels of its group, so each group is scored on its own and the groups are then
        aggregated like output channels (a depthwise layer is ``groups == in``).

    Returns
    -------
    WeightScores
        ``pairs`` has the real output channel index (group offset included).

    Raises
    ------
    ValueError
        ``groups`` does not divide the number of input channels.

    Notes
    -----
    Tested against the harmonic fraction of torch's ``conv_transpose`` output with
    ``groups`` for a constant input (tests/test_audit_backward.py).

    Examples
    --------
    >>> ws = weight_scores(np.ones((2, 3, 4, 4)), stride=2)
    >>> len(ws.pairs), ws.checkerboard_score
    (6, 0.0)
    >>> depthwise = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])   # taps in different phases
    >>> pooled = weight_scores(depthwise, 2).checkerboard_score
    >>> pooled, weight_scores(depthwise, 2, groups=2).checkerboard_score
    (0.0, 0.5)
    """
    w = as_kernel(weight, name="weight", ndim=1)
    nd = w.ndim - 2 if ndim is None else check_ndim(ndim)
    if w.ndim != nd + 2 or nd < 1:
        raise ValueError(
            f"weight must have shape (in, out, *kernel) with {nd} spatial axes, got {w.shape}"
        )
    groups = check_int("groups", groups, minimum=1)
    if w.shape[0] % groups:
        raise ValueError(
            f"groups must divide the weight's {w.shape[0]} input channels, got groups={groups}"
        )
    g = _phase_sums(w, nd, stride, dilation, 0)
    e = _phase_sums(w**2, nd, stride, dilation, 0)
    axes = _phase_axes(g, nd)
    n_in, n_out = w.shape[0], w.shape[1] * groups
    ii, oo = np.meshgrid(np.arange(n_in), np.arange(w.shape[1]), indexing="ij")
    oo = oo + (ii // (n_in // groups)) * w.shape[1]  # the real output channel
    e_mean = e.mean(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_noise = np.where(e_mean > 0, e.std(axis=axes) / np.where(e_mean > 0, e_mean, 1), 0)
    pairs = pd.DataFrame(
        {
            "in_channel": ii.ravel(),
            "out_channel": oo.ravel(),
            "checkerboard_score": _harmonic_fraction_of_gains(g, nd).ravel(),
            "noise_checkerboard": pair_noise.ravel(),
            "mean_gain": g.mean(axis=axes).ravel(),
        }
    )
    G = _group_sum(g, groups)  # (out, *s): constant 1 in every input channel
    E = _group_sum(e, groups)
    G_axes = _phase_axes(G, nd)
    channels = pd.DataFrame(
        {
            "out_channel": np.arange(n_out),
            "checkerboard_score": _harmonic_fraction_of_gains(G, nd),
            "mean_gain": G.mean(axis=G_axes),
        }
    )
    total_power = (G**2).mean(axis=G_axes).sum()
    dc_power = (G.mean(axis=G_axes) ** 2).sum()
    agg = float(np.clip(1 - dc_power / total_power, 0, 1)) if total_power > 0 else 0.0
    e_tot = E.sum(axis=0)
    noise = float(e_tot.std() / e_tot.mean()) if e_tot.mean() > 0 else 0.0
    return WeightScores(pairs, channels, agg, noise, bool(total_power == 0))


def score_families(
    families=("ones", "hold", "bilinear", "icnr", "default", "normal"),
    kernel_sizes=(3, 4),
    strides=(2,),
    *,
    seeds=range(5),
    ndim: int = 2,
) -> pd.DataFrame:
    """Closed-form scores of kernel families over kernel sizes, strides and seeds.

    Families whose size is fixed by the stride (``hold``, ``bilinear``) appear once per
    stride with their own size; ``icnr`` is the effective transposed kernel of a sub-pixel
    convolution whose sub-kernel has the given size. Deterministic families get one row
    (seed 0). Columns: ``family, kernel_size, stride, seed, k_mod_s, overlap_contrast,
    checkerboard_score, noise_checkerboard``.

    Examples
    --------
    >>> t = score_families(("ones", "bilinear"), (3, 4), (2,), ndim=1)
    >>> print(t[["family", "kernel_size", "checkerboard_score"]].round(3).to_string(index=False))
      family  kernel_size  checkerboard_score
        ones            3                 0.1
        ones            4                 0.0
    bilinear            4                 0.0
    """
    from .kernels import make_kernel
    from .overlap import overlap_contrast

    random_families = {"default", "normal", "icnr"}
    rows = []
    for family in families:
        for s in strides:
            sizes = [None] if family in ("hold", "bilinear") else list(kernel_sizes)
            for k in sizes:
                for seed in seeds if family in random_families else [0]:
                    kern = make_kernel(family, k, s, ndim=ndim, seed=seed)
                    size = kern.shape[0]
                    rows.append(
                        {
                            "family": family,
                            "kernel_size": size,
                            "stride": s,
                            "seed": seed,
                            "k_mod_s": size % s,
                            "overlap_contrast": overlap_contrast(size, s),
                            "checkerboard_score": float(checkerboard_score(kern, s)),
                            "noise_checkerboard": float(noise_checkerboard(kern, s)),
                        }
                    )
    return pd.DataFrame(rows)
