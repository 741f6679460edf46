"""Which layer should I use? The decision table over kernel size, stride and dilation.

For each geometry it gives what a reader needs to choose:

- the all-ones verdict: ``even`` (every output phase gets the same number of taps),
  ``uneven``, or ``holes`` (some phase gets no tap at all);
- whether *some* initialisation starts free of the checkerboard: a kernel scores 0
  exactly when its phase gains are equal, and equal non-zero gains exist iff every phase
  receives a tap, i.e. ``gcd(d, s) == 1`` and ``k >= s`` on every axis
  (:func:`clean_init_exists`, with :func:`clean_kernel` building one);
- the checkerboard score torch's default initialisation gives, mean and spread over seeds;
- the recommended alternative.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from .._util.checks import (
    MAX_ELEMENTS,
    IntOrTuple,
    check_elements,
    check_float,
    check_int,
    check_ndim,
    check_phases,
    int_values,
    per_axis,
)
from ..core.overlap import has_holes, phase_counts

__all__ = [
    "RECOMMENDATIONS",
    "VERDICTS",
    "clean_init_exists",
    "clean_kernel",
    "decision_table",
    "recommendation",
    "verdict",
]

VERDICTS = ("even", "uneven", "holes")

#: What to do, by case (the decision table's ``recommendation`` column).
RECOMMENDATIONS = {
    "stride 1": "nothing to fix: one phase, no checkerboard",
    "bilinear": "keep; bilinear init (equal phase gains)",
    "hold": "keep; nearest (hold) init",
    "equal gains": "keep; init with equal phase gains",
    "holes": "change: d = 1, k = 2s - s mod 2 (bilinear init), or resize-conv",
}


def _axes(kernel_size, stride, dilation, ndim):
    nd = check_ndim(ndim)
    return (
        per_axis("kernel_size", kernel_size, nd, minimum=1),
        per_axis("stride", stride, nd, minimum=1),
        per_axis("dilation", dilation, nd, minimum=1),
    )


def verdict(
    kernel_size: IntOrTuple, stride: IntOrTuple, dilation: IntOrTuple = 1, *, ndim: int = 2
) -> str:
    """The all-ones verdict of a geometry: ``"even"``, ``"uneven"`` or ``"holes"``.

    Counted from the phase counts (the interior overlap), never from a rule of thumb.

    Examples
    --------
    >>> verdict(4, 2), verdict(3, 2), verdict(3, 2, 2), verdict(1, 2)
    ('even', 'uneven', 'holes', 'holes')
    """
    k, s, d = _axes(kernel_size, stride, dilation, ndim)
    counts = phase_counts(k, s, d, ndim=len(k))
    if counts.min() == 0:
        return "holes"
    return "even" if counts.min() == counts.max() else "uneven"


def clean_init_exists(
    kernel_size: IntOrTuple, stride: IntOrTuple, dilation: IntOrTuple = 1, *, ndim: int = 2
) -> bool:
    """Whether some kernel of this geometry has equal, non-zero phase gains (scores 0).

    True iff every output phase receives a tap: ``gcd(d, s) == 1`` and ``k >= s`` on every
    axis. Then :func:`clean_kernel` builds one; otherwise some phase's gain is 0 for every
    kernel, and equal gains would mean a layer blind to a constant input.

    Examples
    --------
    >>> clean_init_exists(3, 2), clean_init_exists(1, 2), clean_init_exists(4, 2, 2)
    (True, False, False)
    """
    k, s, d = _axes(kernel_size, stride, dilation, ndim)
    return not has_holes(k, s, d, ndim=len(k))


def clean_kernel(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    ndim: int = 2,
    seed: int | None = None,
    spread: float = 0.5,
) -> np.ndarray:
    """A kernel of this geometry whose phase gains are all 1, so it scores exactly 0.

    Each tap starts at ``1 / c_r`` (``c_r`` taps share its phase ``r``). With a ``seed``,
    zero-mean noise of standard deviation ``spread / c_r`` is added and re-centred within
    each phase, so the kernel is random but every phase still sums to 1. (At ``d = 1`` the
    hold-smoothed kernel that ``al.fix`` uses is another such kernel.)

    Parameters
    ----------
    kernel_size, stride, dilation : int or tuple of int
    ndim : int
        Spatial axes (1 to 3).
    seed : int, optional
        None for the deterministic kernel.
    spread : float
        Size of the random part, relative to a tap.

    Returns
    -------
    numpy.ndarray, shape ``kernel_size`` per axis

    Raises
    ------
    ValueError
        If no clean kernel exists for the geometry (see :func:`clean_init_exists`).

    Examples
    --------
    >>> from artifact_lab.core.scores import checkerboard_score, phase_gains
    >>> k = clean_kernel(3, 2, ndim=1, seed=0)
    >>> phase_gains(k, 2).round(12).tolist(), checkerboard_score(k, 2) < 1e-15
    ([1.0, 1.0], True)
    """
    nd = check_ndim(ndim)
    k, s, d = _axes(kernel_size, stride, dilation, nd)
    seed = None if seed is None else check_int("seed", seed, minimum=0)
    spread = check_float("spread", spread, minimum=0)
    check_elements("kernel_size: the kernel", k, MAX_ELEMENTS, "use a smaller kernel_size")
    check_phases("stride", s)
    if not clean_init_exists(k, s, d, ndim=nd):
        raise ValueError(
            f"no clean kernel exists for kernel_size={kernel_size!r}, stride={stride!r}, "
            f"dilation={dilation!r}: every phase needs a tap, i.e. gcd(d, s) == 1 and "
            "k >= s on every axis"
        )
    # the phase of each tap, as one flat label per multi-index
    labels = np.zeros(k, dtype=np.int64)
    for a in range(nd):
        phase = (np.arange(k[a]) * d[a]) % s[a]
        shape = [1] * nd
        shape[a] = k[a]
        labels = labels * s[a] + phase.reshape(shape)
    counts = np.bincount(labels.ravel(), minlength=math.prod(s))
    kern = 1.0 / counts[labels]
    if seed is not None:
        rng = np.random.default_rng(seed)
        noise = rng.standard_normal(k) * spread / counts[labels]
        means = np.bincount(labels.ravel(), weights=noise.ravel(), minlength=counts.size)
        kern = kern + noise - (means / np.maximum(counts, 1))[labels]
    return kern


def recommendation(kernel_size: int, stride: int, dilation: int = 1) -> str:
    """The decision table's advice for one (isotropic) geometry; see :data:`RECOMMENDATIONS`.

    Examples
    --------
    >>> recommendation(4, 2)
    'keep; bilinear init (equal phase gains)'
    >>> recommendation(2, 2, dilation=2)
    'change: d = 1, k = 2s - s mod 2 (bilinear init), or resize-conv'
    """
    k, s, d = (
        check_int(n, v, minimum=1)
        for n, v in (("kernel_size", kernel_size), ("stride", stride), ("dilation", dilation))
    )
    if s == 1:
        return RECOMMENDATIONS["stride 1"]
    if not clean_init_exists(k, s, d, ndim=1):
        return RECOMMENDATIONS["holes"]
    if d == 1 and k == 2 * s - s % 2:
        return RECOMMENDATIONS["bilinear"]
    if d == 1 and k == s:
        return RECOMMENDATIONS["hold"]
    return RECOMMENDATIONS["equal gains"]


def decision_table(
    kernel_sizes: Iterable[int] = range(1, 13),
    strides: Iterable[int] = range(1, 7),
    dilations: Iterable[int] = (1, 2, 3),
    *,
    ndim: int = 2,
    seeds: Iterable[int] = range(30),
) -> pd.DataFrame:
    """One row per (kernel size, stride, dilation): verdict, clean init, default score, advice.

    The default-initialisation score is the closed-form ``checkerboard_score`` of torch's
    ``ConvTranspose`` initialisation (one channel pair) over ``seeds``, computed by
    :func:`artifact_lab.sweep` without convolving (``inputs=()``).

    Returns
    -------
    pandas.DataFrame
        Columns ``kernel_size, stride, dilation, verdict, clean_init_exists,
        overlap_contrast, default_score`` (mean over seeds), ``default_spread`` (standard
        deviation over seeds), ``default_min``, ``default_max``, ``recommendation``.

    Examples
    --------
    >>> t = decision_table([3, 4], [2], [1], seeds=range(3))
    >>> print(t[["kernel_size", "verdict", "clean_init_exists"]].to_string(index=False))
     kernel_size verdict  clean_init_exists
               3  uneven               True
               4    even               True
    """
    from .sweep import sweep

    nd = check_ndim(ndim)
    seeds = int_values("seeds", seeds, minimum=0)
    scores = sweep(
        kernel_sizes=kernel_sizes,
        strides=strides,
        dilations=dilations,
        paddings=[0],
        ndim=nd,
        kernels=("default",),
        seeds=seeds,
        inputs=(),
        progress=False,
    )
    several = len(set(seeds)) > 1  # sweep scores each distinct seed once
    grouped = scores.groupby(["kernel_size", "stride", "dilation"])
    stats = grouped.checkerboard_score.agg(["mean", "std", "min", "max"]).reset_index()
    contrast = grouped.overlap_contrast.first().to_numpy()
    rows = []
    for (k, s, d, mean, std, lo, hi), c in zip(
        stats.itertuples(index=False), contrast, strict=True
    ):
        rows.append(
            {
                "kernel_size": int(k),
                "stride": int(s),
                "dilation": int(d),
                "verdict": verdict(k, s, d, ndim=nd),
                "clean_init_exists": clean_init_exists(k, s, d, ndim=nd),
                "overlap_contrast": float(c),
                "default_score": float(mean),
                "default_spread": float(std) if several else 0.0,
                "default_min": float(lo),
                "default_max": float(hi),
                "recommendation": recommendation(int(k), int(s), int(d)),
            }
        )
    return pd.DataFrame(rows)
