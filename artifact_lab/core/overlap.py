"""Overlap maps: how many (input, tap) pairs land on each output of a transposed convolution.

The overlap map is ``conv_transpose(ones, ones)``. It is computed two ways that must agree
to the integer: ``"analytic"`` counts, per axis and in closed form, the taps ``j`` for which
``(o + p - j*d) / s`` is a valid input index, and takes the outer product over axes;
``"torch"`` runs ``conv_transpose`` of ones by ones on the selected device in float64.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .._util.checks import (
    MAX_ELEMENTS,
    MAX_PHASES,
    IntOrTuple,
    check_choice,
    check_elements,
    check_ndim,
    infer_ndim,
    int_values,
    per_axis,
)
from .._util.dims import functional
from .._util.numeric import outer
from .arithmetic import axis_count_range, check_geometry, output_sizes, phase_count_contrast

if TYPE_CHECKING:  # torch and pandas load only where used: `artifact-lab solve` needs neither
    import pandas as pd
    import torch

__all__ = [
    "OverlapStats",
    "has_holes",
    "interior_mask",
    "overlap",
    "overlap_contrast",
    "overlap_map",
    "phase_counts",
    "rule_table",
]


# the output size grows with each of them: a refusal names all four
_SMALLER = "use a smaller input_size, kernel_size, stride or dilation"


def _resolve(ndim, *args):
    """Common spatial rank of the arguments: explicit ``ndim``, else tuples, else 1."""
    inferred = infer_ndim(*args)
    if ndim is None:
        return inferred or 1
    ndim = check_ndim(ndim)
    if inferred is not None and inferred != ndim:
        raise ValueError(f"ndim={ndim} disagrees with per-axis arguments of length {inferred}")
    return ndim


def _axis_counts(n: int, k: int, s: int, p: int, op: int, d: int) -> np.ndarray:
    length = (n - 1) * s - 2 * p + d * (k - 1) + op + 1
    o = np.arange(length)[:, None]
    num = o + p - np.arange(k)[None, :] * d  # = i*s for the input i feeding o through tap j
    hit = (num >= 0) & (num % s == 0) & (num // s < n)
    return hit.sum(axis=1)


def overlap_map(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    method: str = "analytic",
    ndim: int | None = None,
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Number of (input, tap) pairs that land on every output position.

    Parameters
    ----------
    input_size, kernel_size, stride, padding, output_padding, dilation : int or tuple of int
        Layer geometry as in torch; ints apply to every axis.
    method : {"analytic", "torch"}
        Closed-form count, or ``conv_transpose`` of ones by ones on ``device``.
    ndim : int, optional
        Number of spatial axes when every argument is an int (default 1).
    device : str or torch.device, optional
        For ``method="torch"``; see :func:`artifact_lab.backend.select_device`.

    Returns
    -------
    numpy.ndarray of int64, shape ``output_size(...)``

    Examples
    --------
    >>> overlap_map(4, kernel_size=3, stride=2)
    array([1, 1, 2, 1, 2, 1, 2, 1, 1])
    >>> bool((overlap_map(4, 3, 2, method="torch") == overlap_map(4, 3, 2)).all())
    True
    """
    check_choice("method", method, ("analytic", "torch"))
    ndim = _resolve(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    k, s, p, op, d = check_geometry(kernel_size, stride, padding, output_padding, dilation, ndim)
    n = per_axis("input_size", input_size, ndim, minimum=1)
    sizes = output_sizes(n, k, s, p, op, d)
    if math.prod(sizes) * max(k) > MAX_ELEMENTS:
        raise ValueError(
            f"an overlap map of size {sizes} with kernel {k} exceeds the limit of "
            f"{MAX_ELEMENTS} elements; {_SMALLER}"
        )
    if method == "analytic":
        axes = [_axis_counts(n[a], k[a], s[a], p[a], op[a], d[a]) for a in range(ndim)]
        return outer(axes).astype(np.int64)
    import torch

    from ..backend import exact_dtype, select_device

    dev = select_device(device)
    dtype = exact_dtype(dev)
    x = torch.ones((1, 1, *n), dtype=dtype, device=dev)
    w = torch.ones((1, 1, *k), dtype=dtype, device=dev)
    y = functional("conv_transpose", ndim)(x, w, stride=s, padding=p, output_padding=op, dilation=d)
    return y[0, 0].round().to(torch.int64).cpu().numpy()


def interior_mask(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    ndim: int | None = None,
) -> np.ndarray:
    """Boolean mask of the steady-state outputs: reached by every tap from a valid input.

    Per axis: ``(k-1)*d - p <= o <= (n-1)*s - p``; in N-d the outer AND. Everything else is
    border, an effect separate from the checkerboard.

    Raises
    ------
    ValueError
        Invalid geometry (as :func:`artifact_lab.core.arithmetic.output_size`), or an output of
        more than ``MAX_ELEMENTS`` positions (refused before anything is allocated).

    Examples
    --------
    >>> interior_mask(4, 3, 2).astype(int)
    array([0, 0, 1, 1, 1, 1, 1, 0, 0])
    """
    ndim = _resolve(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    k, s, p, op, d = check_geometry(kernel_size, stride, padding, output_padding, dilation, ndim)
    n = per_axis("input_size", input_size, ndim, minimum=1)
    sizes = output_sizes(n, k, s, p, op, d)
    check_elements("the interior mask", sizes, MAX_ELEMENTS, _SMALLER)
    axes = []
    for a in range(ndim):
        keep = np.zeros(sizes[a], dtype=bool)
        lo, hi = (k[a] - 1) * d[a] - p[a], (n[a] - 1) * s[a] - p[a]
        keep[max(lo, 0) : max(hi + 1, 0)] = True
        axes.append(keep)
    return outer(axes, np.logical_and)


def phase_counts(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> np.ndarray:
    """Number of taps landing on each output phase: the interior overlap.

    Tap ``j`` lands on phase ``(j*d - p) mod s``. Returns an int64 array of shape
    ``stride`` (per axis), indexed by output phase ``o mod s``.

    Examples
    --------
    >>> phase_counts(3, 2)
    array([2, 1])
    >>> phase_counts(4, 2, dilation=2)      # gcd(d, s) > 1: phase 1 gets no tap (a hole)
    array([4, 0])
    """
    ndim = _resolve(ndim, kernel_size, stride, dilation, padding)
    k = per_axis("kernel_size", kernel_size, ndim, minimum=1)
    s = per_axis("stride", stride, ndim, minimum=1)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    p = per_axis("padding", padding, ndim, minimum=0)
    check_elements(
        "the phase counts",
        s,
        MAX_PHASES,
        "overlap_contrast and has_holes answer in closed form for any stride",
    )
    if max(k) > MAX_ELEMENTS:
        raise ValueError(
            f"kernel_size {kernel_size!r} has more than {MAX_ELEMENTS} taps on an axis; "
            "overlap_contrast and has_holes answer in closed form for any size"
        )
    axes = [
        np.bincount((np.arange(k[a]) * d[a] - p[a]) % s[a], minlength=s[a]) for a in range(ndim)
    ]
    return outer(axes).astype(np.int64)


def overlap_contrast(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    *,
    ndim: int | None = None,
) -> float:
    """``(max c - min c) / mean c`` over the phase counts ``c``: 0 iff the overlap is even.

    Computed in closed form, with no array, so any stride or kernel size is answered at once:
    per axis the counts are ``k // (s/g)`` or one more on the ``s/g`` phases that the taps
    reach (``g = gcd(d, s)``) and 0 on the others; the N-d counts are the products over
    axes, so the extremes are the products of the per-axis extremes. The mean is
    ``prod(k) / prod(s)``. Padding only rolls the phases. Tested against the phase counts.

    Examples
    --------
    >>> overlap_contrast(3, 2), overlap_contrast(4, 2)
    (0.6666666666666666, 0.0)
    """
    return phase_count_contrast(*_per_axis_kds(kernel_size, stride, dilation, padding, ndim))


def _per_axis_kds(kernel_size, stride, dilation, padding, ndim):
    ndim = _resolve(ndim, kernel_size, stride, dilation, padding)
    k = per_axis("kernel_size", kernel_size, ndim, minimum=1)
    s = per_axis("stride", stride, ndim, minimum=1)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    per_axis("padding", padding, ndim, minimum=0)
    return k, s, d


def has_holes(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    ndim: int | None = None,
) -> bool:
    """True when some output phase receives no tap at all.

    In closed form, with no array: on some axis ``gcd(d, s) > 1`` (the taps reach only the
    multiples of the gcd) or ``k < s`` (too few taps to reach every phase). Tested against
    the phase counts.

    Examples
    --------
    >>> has_holes(3, 2, dilation=2), has_holes(3, 2), has_holes(3 * 10**8, 2)
    (True, False, False)
    """
    k, s, d = _per_axis_kds(kernel_size, stride, dilation, 0, ndim)
    return any(axis_count_range(*kds)[0] == 0 for kds in zip(k, s, d, strict=True))


@dataclass(frozen=True, repr=False)
class OverlapStats:
    """Overlap map of one layer with its interior/border split and phase statistics.

    Its repr is one line (the map's shape, not its values); ``.map`` holds the map.

    Examples
    --------
    >>> overlap(8, 3, 2)
    OverlapStats(1-D map of 17 outputs, stride (2,), phase counts [2, 1], contrast 0.667,
    no holes, interior values [1, 2])
    """

    map: np.ndarray
    interior: np.ndarray
    stride: tuple[int, ...]
    phase_counts: np.ndarray
    contrast: float
    holes: bool

    @property
    def border(self) -> np.ndarray:
        return ~self.interior

    @property
    def interior_values(self) -> np.ndarray:
        """Distinct overlap values in the interior (one value iff even)."""
        return np.unique(self.map[self.interior])

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.map.shape))
        outputs = f"{self.map.ndim}-D map of {shape} outputs"
        values = self.interior_values.tolist()
        shown = values if len(values) <= 6 else [*values[:3], "...", *values[-2:]]
        return (
            f"OverlapStats({outputs}, stride {self.stride}, phase counts "
            f"{_short_list(self.phase_counts)}, contrast {self.contrast:.3g}, "
            f"{'holes' if self.holes else 'no holes'}, interior values "
            f"[{', '.join(map(str, shown))}])"
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per output position: index per axis, phase per axis, overlap, interior."""
        import pandas as pd

        idx = np.indices(self.map.shape).reshape(self.map.ndim, -1)
        data = {f"o{a}": idx[a] for a in range(self.map.ndim)}
        data |= {f"phase{a}": idx[a] % self.stride[a] for a in range(self.map.ndim)}
        data |= {"overlap": self.map.ravel(), "interior": self.interior.ravel()}
        return pd.DataFrame(data)


def _short_list(a: np.ndarray, limit: int = 16) -> str:
    """A nested list in one line, or its shape when it has more than ``limit`` values."""
    if a.size > limit:
        return f"<{'x'.join(map(str, a.shape))} values, {a.min()} to {a.max()}>"
    return str(a.tolist())


def overlap(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
    *,
    method: str = "analytic",
    ndim: int | None = None,
    device: str | torch.device | None = None,
) -> OverlapStats:
    """Everything about one layer's overlap: map, interior mask, phase counts, contrast, holes.

    Examples
    --------
    >>> st = overlap(8, 3, 2, padding=1, output_padding=1)
    >>> st.interior_values, st.contrast, st.holes
    (array([1, 2]), 0.6666666666666666, False)
    """
    ndim = _resolve(ndim, input_size, kernel_size, stride, padding, output_padding, dilation)
    args = (input_size, kernel_size, stride, padding, output_padding, dilation)
    m = overlap_map(*args, method=method, ndim=ndim, device=device)
    counts = phase_counts(kernel_size, stride, dilation, padding, ndim=ndim)
    return OverlapStats(
        map=m,
        interior=interior_mask(*args, ndim=ndim),
        stride=per_axis("stride", stride, ndim),
        phase_counts=counts,
        contrast=overlap_contrast(kernel_size, stride, dilation, padding, ndim=ndim),
        holes=bool((counts == 0).any()),
    )


def rule_table(kernel_sizes=range(1, 13), strides=range(1, 7), dilations=(1, 2, 3)) -> pd.DataFrame:
    """Overlap evenness of an all-ones kernel over a grid, beside the ``k % s`` rule.

    Columns: ``kernel_size, stride, dilation, k_mod_s, gcd_d_s, overlap_contrast, holes,
    even`` (from the phase counts) and ``rule_even`` (``s == 1`` or ``gcd(d, s) == 1`` and
    ``k % s == 0``), one row per combination.

    Examples
    --------
    >>> t = rule_table(range(1, 5), range(1, 3), (1,))
    >>> bool((t.even == t.rule_even).all()), len(t)
    (True, 8)
    """
    import pandas as pd

    kernel_sizes = int_values("kernel_sizes", kernel_sizes, minimum=1, limit=10_000)
    strides = int_values("strides", strides, minimum=1, limit=10_000)
    dilations = int_values("dilations", dilations, minimum=1, limit=10_000)
    grid = len(kernel_sizes) * len(strides) * len(dilations)
    if grid > 100_000 or max(strides) > MAX_PHASES or max(kernel_sizes) > MAX_PHASES:
        raise ValueError(
            f"rule_table over {grid} combinations (largest stride {max(strides)}, kernel size "
            f"{max(kernel_sizes)}) is too large; narrow kernel_sizes, strides or dilations"
        )
    rows = []
    for k in kernel_sizes:
        for s in strides:
            for d in dilations:
                c = phase_counts(k, s, d)
                rows.append(
                    {
                        "kernel_size": k,
                        "stride": s,
                        "dilation": d,
                        "k_mod_s": k % s,
                        "gcd_d_s": math.gcd(d, s),
                        "overlap_contrast": phase_count_contrast((k,), (s,), (d,)),
                        "holes": bool((c == 0).any()),
                        "even": bool(c.min() == c.max()),
                        "rule_even": s == 1 or (math.gcd(d, s) == 1 and k % s == 0),
                    }
                )
    return pd.DataFrame(rows)
