"""The transposed-convolution calculator: every layer that maps one size to another.

For each kernel size, stride, dilation and output padding in the given ranges, torch's
formula fixes the padding: ``2p = (n-1)*s + d*(k-1) + op + 1 - L``. A configuration is kept
when that padding is a whole, non-negative number in the allowed range, for every axis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._checks import IntOrTuple, check_int, per_axis
from .overlap import overlap_contrast, phase_counts

__all__ = ["COLUMNS", "artifact_free_ones", "solve"]

COLUMNS = (
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "dilation",
    "artifact_free",
    "holes",
    "overlap_contrast",
    "k_mod_s",
)


def artifact_free_ones(kernel_size: int, stride: int, dilation: int = 1) -> bool:
    """DESIGN rule: an all-ones kernel is even iff ``s == 1``, or ``gcd(d, s) == 1`` and
    ``s`` divides ``k`` (checked against brute-force phase counts in the tests).

    Examples
    --------
    >>> artifact_free_ones(4, 2), artifact_free_ones(3, 2), artifact_free_ones(4, 2, 2)
    (True, False, False)
    """
    return stride == 1 or (math.gcd(dilation, stride) == 1 and kernel_size % stride == 0)


def _values(name: str, values: Iterable[int] | int, minimum: int) -> list[int]:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        out = sorted({check_int(f"{name} entry", v, minimum=minimum) for v in values})
    except TypeError as exc:
        if "entry" in str(exc):
            raise
        raise TypeError(f"{name} must be an int or an iterable of ints, got {values!r}") from exc
    if not out:
        raise ValueError(f"{name} must not be empty")
    return out


def solve(
    input_size: IntOrTuple,
    output_size: IntOrTuple,
    *,
    kernel_sizes: Iterable[int] = range(1, 9),
    strides: Iterable[int] = range(1, 9),
    dilations: Iterable[int] = (1,),
    paddings: Iterable[int] | None = None,
    output_paddings: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Every transposed-convolution geometry that turns ``input_size`` into ``output_size``.

    Parameters
    ----------
    input_size, output_size : int or tuple of int
        Per-axis sizes; with tuples, a configuration must fit every axis with the same
        (isotropic) kernel, stride, padding, output padding and dilation.
    kernel_sizes, strides, dilations : iterable of int
        Ranges to search.
    paddings : iterable of int, optional
        Allowed paddings. Default: ``0 .. d*(k-1)`` (a larger padding would crop outputs
        that the kernel fully computed).
    output_paddings : iterable of int, optional
        Allowed output paddings. Default: every value torch accepts, ``0 .. max(s, d)-1``.

    Returns
    -------
    pandas.DataFrame
        Columns ``kernel_size, stride, padding, output_padding, dilation, artifact_free,
        holes, overlap_contrast, k_mod_s``, one row per configuration. Sorted artifact-free
        first (all-ones rule of DESIGN.md), then by overlap contrast, then the simplest
        (no output padding, no dilation, smallest kernel).

    Examples
    --------
    >>> table = solve(16, 32, kernel_sizes=range(1, 6), strides=[2])
    >>> table[["kernel_size", "stride", "padding", "output_padding", "artifact_free"]].head(3)
       kernel_size  stride  padding  output_padding  artifact_free
    0            2       2        0               0           True
    1            4       2        1               0           True
    2            5       2        2               1          False
    """
    n = per_axis("input_size", input_size, None, minimum=1)
    L = per_axis("output_size", output_size, None, minimum=1)
    if len(n) != len(L):
        raise ValueError(
            f"input_size {input_size!r} and output_size {output_size!r} must have the same "
            "number of axes"
        )
    ks = _values("kernel_sizes", kernel_sizes, 1)
    ss = _values("strides", strides, 1)
    ds = _values("dilations", dilations, 1)
    allowed_p = None if paddings is None else set(_values("paddings", paddings, 0))
    allowed_op = (
        None if output_paddings is None else set(_values("output_paddings", output_paddings, 0))
    )
    rows = []
    for k in ks:
        for s in ss:
            for d in ds:
                for op in range(max(s, d)):
                    if allowed_op is not None and op not in allowed_op:
                        continue
                    twice_p = {
                        (na - 1) * s + d * (k - 1) + op + 1 - la
                        for na, la in zip(n, L, strict=True)
                    }
                    if len(twice_p) != 1:
                        continue
                    tp = twice_p.pop()
                    if tp < 0 or tp % 2:
                        continue
                    p = tp // 2
                    if allowed_p is None and p > d * (k - 1):
                        continue
                    if allowed_p is not None and p not in allowed_p:
                        continue
                    counts = phase_counts(k, s, d, p)
                    rows.append(
                        {
                            "kernel_size": k,
                            "stride": s,
                            "padding": p,
                            "output_padding": op,
                            "dilation": d,
                            "artifact_free": artifact_free_ones(k, s, d),
                            "holes": bool((counts == 0).any()),
                            "overlap_contrast": overlap_contrast(k, s, d, p),
                            "k_mod_s": k % s,
                        }
                    )
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    if table.empty:
        return table.astype({"artifact_free": bool, "holes": bool})
    table = table.sort_values(
        [
            "artifact_free",
            "overlap_contrast",
            "output_padding",
            "dilation",
            "kernel_size",
            "stride",
        ],
        ascending=[False, True, True, True, True, True],
        kind="stable",
    )
    return table.reset_index(drop=True)
