"""Numeric helpers the closed forms share: outer products over axes and exact power-of-two
scaling (scale-free ratios of powers without overflow or underflow)."""

from __future__ import annotations

from functools import reduce

import numpy as np

__all__ = ["outer", "pow2_exponent", "pow2_scaled"]


def outer(vectors: list[np.ndarray], op: np.ufunc = np.multiply) -> np.ndarray:
    """The N-d outer product of per-axis vectors (``op.outer`` folded over the axes).

    Examples
    --------
    >>> outer([np.array([1, 2]), np.array([1, 10])]).tolist()
    [[1, 10], [2, 20]]
    """
    return reduce(lambda a, b: op.outer(a, b), vectors)


def pow2_exponent(peak) -> np.ndarray:
    """The exponent ``e`` of the power of two ``2**e`` just above ``peak`` (``e = 1`` where
    ``peak`` is 0): the scale of :func:`pow2_scaled`, for peaks given back in their units.

    Examples
    --------
    >>> int(pow2_exponent(3.0)), int(pow2_exponent(0.0))
    (2, 1)
    """
    peak = np.asarray(peak, dtype=np.float64)
    return np.frexp(np.where(peak > 0, peak, 1.0))[1]


def pow2_scaled(values: np.ndarray, peak) -> np.ndarray:
    """``values`` divided by the power of two just above ``peak`` (zeros stay zero).

    Dividing by a power of two is exact in floating point, so scores of ordinary kernels
    and signals come out bit for bit as without it; only values near the ends of the range
    change, which would otherwise overflow or underflow when squared.

    Examples
    --------
    >>> float(pow2_scaled(np.float64(1e300), 1e300) * 2.0**997)
    1e+300
    """
    return np.ldexp(values, -pow2_exponent(peak))
