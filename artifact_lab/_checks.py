"""Argument checks shared by every module: one place that names the argument, value and rule."""

from __future__ import annotations

import numbers
from collections.abc import Sequence

IntOrTuple = int | Sequence[int]


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``, the value and the rule."""
    # bool is an int subclass, but ``stride=True`` is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def per_axis(
    name: str, value: object, ndim: int | None, *, minimum: int | None = None
) -> tuple[int, ...]:
    """Normalise an int or per-axis sequence to a tuple of ``ndim`` checked ints.

    With ``ndim=None`` an int becomes a 1-tuple and a sequence keeps its length.
    """
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = tuple(value)
        if ndim is not None and len(items) != ndim:
            raise ValueError(f"{name} must have one entry per spatial axis ({ndim}), got {value!r}")
        if not items:
            raise ValueError(f"{name} must not be empty, got {value!r}")
        return tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(items))
    v = check_int(name, value, minimum=minimum)
    return (v,) * (1 if ndim is None else ndim)


def check_ndim(ndim: object) -> int:
    ndim = check_int("ndim", ndim)
    if ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3 (torch's conv_transpose1d/2d/3d), got {ndim}")
    return ndim


def infer_ndim(*values: object) -> int | None:
    """The common length of the sequence arguments, or None when all are ints."""
    lengths = {len(v) for v in values if isinstance(v, Sequence) and not isinstance(v, str)}
    if len(lengths) > 1:
        raise ValueError(
            "per-axis arguments disagree on the number of spatial axes: "
            + ", ".join(repr(v) for v in values if isinstance(v, Sequence))
        )
    return lengths.pop() if lengths else None
