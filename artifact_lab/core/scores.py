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

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import (
    MAX_ELEMENTS,
    MAX_PHASES,
    IntOrTuple,
    as_real_array,
    check_elements,
    check_int,
    check_ndim,
    check_phases,
    per_axis,
)
from .._util.numeric import pow2_exponent, pow2_scaled

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


def as_kernel(kernel: Any, *, ndim: int | None = None, name: str = "kernel") -> np.ndarray:
    """A float64 numpy copy of a kernel (numpy array, torch tensor or nested list), checked.

    The last ``ndim`` axes are spatial (default: all, at most 3); leading axes are a batch.

    Raises
    ------
    TypeError
        Not an array, non-numeric or complex values, or ``ndim`` not an int.
    ValueError
        NaN or infinite taps, an empty axis, ``ndim`` outside ``1 .. 3`` or above the
        kernel's number of axes.

    Examples
    --------
    >>> as_kernel([1, 2, 3])
    array([1., 2., 3.])
    """
    arr = as_real_array(name, kernel, empty_ok=True)  # refused below, in a kernel's words
    if ndim is None:
        if arr.ndim > 3:
            raise ValueError(
                f"{name} must be 1-D to 3-D (shape (k,), (kh, kw) or (kd, kh, kw)); got shape "
                f"{arr.shape}. For a weight tensor (in, out, *k) use weight_scores or pass ndim."
            )
    else:
        ndim = check_int("ndim", ndim)
        if not 1 <= ndim <= min(arr.ndim, 3):
            raise ValueError(
                f"ndim must be between 1 and min(3, {name}.ndim={arr.ndim}), got {ndim}"
            )
    if 0 in arr.shape:
        raise ValueError(f"{name} must have at least one tap per axis, got shape {arr.shape}")
    return arr


def _unit(values: np.ndarray, ndim: int) -> np.ndarray:
    """Each item divided by its largest magnitude over the last ``ndim`` axes (zeros stay).

    Scale-invariant scores are computed on this, so taps near the float range's ends
    (1e200, 1e-200) neither overflow nor underflow when squared.
    """
    axes = tuple(range(values.ndim - ndim, values.ndim))
    return pow2_scaled(values, np.abs(values).max(axis=axes, keepdims=True))


def phase_sums(values: np.ndarray, ndim: int, stride, dilation, padding) -> np.ndarray:
    s = per_axis("stride", stride, ndim, minimum=1)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    p = per_axis("padding", padding, ndim, minimum=0)
    check_phases("stride", s)
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
    return phase_sums(k, ndim, stride, dilation, padding)


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
    return phase_sums(k**2, ndim, stride, dilation, padding)


def _phase_axes(arr: np.ndarray, ndim: int) -> tuple[int, ...]:
    return tuple(range(arr.ndim - ndim, arr.ndim))


def harmonic_fraction_of_gains(g: np.ndarray, ndim: int) -> np.ndarray:
    """``1 - mean(g)^2 / mean(g^2)`` over the last ``ndim`` axes: 0 where every gain is 0,
    NaN where a gain is NaN or infinite (a diverged weight never reads as clean)."""
    g = _unit(g, ndim)  # scale-free: no overflow or underflow when squared
    axes = _phase_axes(g, ndim)
    power = (g**2).mean(axis=axes)
    dc = g.mean(axis=axes) ** 2
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(power == 0, 0.0, 1.0 - dc / np.where(power == 0, 1.0, power))
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
    k = as_kernel(kernel, ndim=ndim)
    nd = k.ndim if ndim is None else ndim
    # the score is scale-free: taps are scaled to at most 1 first, so 1e200 or 1e-200
    # kernels neither overflow nor underflow
    g = phase_sums(_unit(k, nd), nd, stride, dilation, padding)
    score = harmonic_fraction_of_gains(g, nd)
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
    k = as_kernel(kernel, ndim=ndim)
    nd = k.ndim if ndim is None else ndim
    e = phase_sums(_unit(k, nd) ** 2, nd, stride, dilation, padding)  # scale-free
    axes = _phase_axes(e, nd)
    mean = e.mean(axis=axes)
    std = e.std(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(mean == 0, 0.0, std / np.where(mean == 0, 1.0, mean))
    return float(out) if out.ndim == 0 else out


@dataclass(frozen=True, repr=False)
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

    def __repr__(self) -> str:
        return (
            f"WeightScores(checkerboard_score={self.checkerboard_score:.4g}, "
            f"noise_checkerboard={self.noise_checkerboard:.4g}, zero_gain={self.zero_gain}, "
            f"pairs: {len(self.pairs)} rows, channels: {len(self.channels)} rows)"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per (in_channel, out_channel) kernel (a copy of :attr:`pairs`)."""
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
    if w.ndim != nd + 2 or not 1 <= nd <= 3:
        raise ValueError(
            "weight must have shape (in, out, *kernel) with 1 to 3 spatial axes"
            + ("" if ndim is None else f" (ndim={nd})")
            + f", got shape {w.shape}"
        )
    groups = check_int("groups", groups, minimum=1)
    if w.shape[0] % groups:
        raise ValueError(
            f"groups must divide the weight's {w.shape[0]} input channels, got groups={groups}"
        )
    # scores are scale-free: compute on the weight scaled to at most 1 (no overflow or
    # underflow when squared), and give gains back in the weight's own units
    peak = np.ldexp(1.0, int(pow2_exponent(np.abs(w).max())))  # a power of two: exact
    w = w / peak
    g = phase_sums(w, nd, stride, dilation, 0)
    e = phase_sums(w**2, nd, stride, dilation, 0)
    axes = _phase_axes(g, nd)
    n_in, n_out = w.shape[0], w.shape[1] * groups
    ii, oo = np.meshgrid(np.arange(n_in), np.arange(w.shape[1]), indexing="ij")
    oo = oo + (ii // (n_in // groups)) * w.shape[1]  # the real output channel
    e_mean = e.mean(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        pair_noise = np.where(e_mean == 0, 0, e.std(axis=axes) / np.where(e_mean == 0, 1, e_mean))
    pairs = pd.DataFrame(
        {
            "in_channel": ii.ravel(),
            "out_channel": oo.ravel(),
            "checkerboard_score": harmonic_fraction_of_gains(g, nd).ravel(),
            "noise_checkerboard": pair_noise.ravel(),
            "mean_gain": g.mean(axis=axes).ravel() * peak,
        }
    )
    G = _group_sum(g, groups)  # (out, *s): constant 1 in every input channel
    E = _group_sum(e, groups)
    G_axes = _phase_axes(G, nd)
    channels = pd.DataFrame(
        {
            "out_channel": np.arange(n_out),
            "checkerboard_score": harmonic_fraction_of_gains(G, nd),
            "mean_gain": G.mean(axis=G_axes) * peak,
        }
    )
    G = pow2_scaled(G, np.abs(G).max())
    total_power = (G**2).mean(axis=G_axes).sum()
    dc_power = (G.mean(axis=G_axes) ** 2).sum()
    agg = float(np.clip(1 - dc_power / total_power, 0, 1)) if total_power != 0 else 0.0
    e_tot = E.sum(axis=0)
    e_tot = pow2_scaled(e_tot, e_tot.max())
    noise = float(e_tot.std() / e_tot.mean()) if e_tot.mean() != 0 else 0.0
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
    from .._util.checks import as_names, int_values
    from .kernels import FAMILIES, FAMILY_TRAITS, is_seeded, make_kernel
    from .overlap import overlap_contrast

    families = as_names("families", families, allowed=FAMILIES)
    kernel_sizes = int_values("kernel_sizes", kernel_sizes, minimum=1, limit=1000)
    strides = int_values("strides", strides, minimum=1, limit=1000)
    seeds = int_values("seeds", seeds, minimum=0, limit=10_000)
    ndim = check_ndim(ndim)
    check_phases("strides entry", (max(strides),) * ndim)
    check_elements(
        "kernel_sizes: the largest kernel",
        (max(kernel_sizes),) * ndim,
        MAX_ELEMENTS,
        "use smaller kernel_sizes",
    )
    rows = []
    for family in families:
        for s in strides:
            sizes = [None] if FAMILY_TRAITS[family][0] else list(kernel_sizes)
            for k in sizes:
                for seed in seeds if is_seeded(family) else [0]:
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
