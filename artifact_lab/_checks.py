"""Argument checks shared by every module: one place that names the argument, value and rule.

Nothing heavy is imported at module level (numpy only inside the array helpers, torch never):
the command line's fast paths use these checks.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable, Sequence
from typing import Any

IntOrTuple = int | Sequence[int]

# Largest number of values a range or list argument may hold: beyond it a grid is a mistake
# (``--kernel-sizes 1-100000000``), and building it would exhaust memory.
MAX_VALUES = 1_000_000


def is_tensor(value: object) -> bool:
    """True for a torch tensor, without importing torch (a tensor implies torch is loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``, the value and the rule."""
    # bool is an int subclass, but ``stride=True`` is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a bool (numpy's included); ``remove_dc="no"`` is refused, not truthy."""
    if type(value).__name__ == "bool_" or isinstance(value, bool):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    """A finite real number (not a bool), optionally ``>= minimum`` or ``> 0``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return value


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    """``value`` if it is one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return value


def as_names(name: str, value: object, *, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
    """A sequence of names as a tuple; one string is one name, never a sequence of letters."""
    if isinstance(value, str):
        items: tuple[Any, ...] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, dict)):
        items = tuple(value)
    else:
        raise TypeError(
            f"{name} must be a name or a sequence of names, got {value!r} ({type(value).__name__})"
        )
    if not items:
        raise ValueError(f"{name} must not be empty")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise TypeError(f"{name}[{i}] must be a str, got {item!r} ({type(item).__name__})")
        if allowed is not None and item not in allowed:
            raise ValueError(f"{name}[{i}] must be one of {tuple(allowed)}, got {item!r}")
    return items


def int_values(
    name: str, values: object, *, minimum: int | None = None, limit: int = MAX_VALUES
) -> list[int]:
    """An int or an iterable of ints as a sorted list of distinct checked ints.

    A string is refused (not iterated letter by letter), and so is a collection of more
    than ``limit`` values: a grid that large is a mistake, and building it exhausts memory.
    """
    if isinstance(values, numbers.Integral) and not isinstance(values, bool):
        values = [values]
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise TypeError(
            f"{name} must be an int or an iterable of ints, got {values!r} "
            f"({type(values).__name__})"
        )
    size = len(values) if isinstance(values, Sequence) else None
    if size is not None and size > limit:
        raise ValueError(
            f"{name} holds {size} values, more than the limit of {limit}; narrow the range"
        )
    out: set[int] = set()
    for count, v in enumerate(values):
        if count >= limit:
            raise ValueError(f"{name} holds more than {limit} values; narrow the range")
        out.add(check_int(f"{name} entry", v, minimum=minimum))
    if not out:
        raise ValueError(f"{name} must not be empty")
    return sorted(out)


def per_axis(
    name: str, value: object, ndim: int | None, *, minimum: int | None = None
) -> tuple[int, ...]:
    """Normalise an int or per-axis sequence to a tuple of ``ndim`` checked ints.

    With ``ndim=None`` an int becomes a 1-tuple and a sequence keeps its length.
    """
    if _is_int_sequence_like(value):
        items = tuple(value)  # type: ignore[arg-type]
        if ndim is not None and len(items) != ndim:
            raise ValueError(f"{name} must have one entry per spatial axis ({ndim}), got {value!r}")
        if not items:
            raise ValueError(f"{name} must not be empty, got {value!r}")
        return tuple(check_int(f"{name}[{i}]", v, minimum=minimum) for i, v in enumerate(items))
    v = check_int(name, value, minimum=minimum)
    return (v,) * (1 if ndim is None else ndim)


def _is_int_sequence_like(value: object) -> bool:
    # torch.Size is a tuple; a 1-d numpy array of ints is accepted as a per-axis sequence
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return True
    return type(value).__name__ == "ndarray" and getattr(value, "ndim", 0) == 1


def check_ndim(ndim: object) -> int:
    ndim = check_int("ndim", ndim)
    if ndim not in (1, 2, 3):
        raise ValueError(f"ndim must be 1, 2 or 3 (torch's conv_transpose1d/2d/3d), got {ndim}")
    return ndim


def infer_ndim(*values: object) -> int | None:
    """The common length of the sequence arguments, or None when all are ints."""
    # an empty sequence says nothing about the axes: per_axis refuses it, naming it
    lengths = {len(v) for v in values if _is_int_sequence_like(v) and len(v)}  # type: ignore[arg-type]
    if len(lengths) > 1:
        raise ValueError(
            "per-axis arguments disagree on the number of spatial axes: "
            + ", ".join(repr(v) for v in values if _is_int_sequence_like(v))
        )
    return lengths.pop() if lengths else None


def as_real_array(name: str, value: object, *, min_ndim: int = 1, empty_ok: bool = False) -> Any:
    """A float64 numpy copy of an array-like of real, finite numbers, checked.

    Accepts numpy arrays, torch tensors (any device, detached) and nested lists or tuples
    of numbers. Refused with a message naming ``name``: complex values (``TypeError``;
    they would be cut to their real part), non-numeric data (``TypeError``), NaN or
    infinite values, ragged lists and fewer than ``min_ndim`` axes (``ValueError``).
    """
    import numpy as np

    if is_tensor(value):
        import torch

        if value.is_complex():  # type: ignore[union-attr]
            raise TypeError(
                f"{name} must be real, got a complex tensor ({value.dtype}); pass its "  # type: ignore[union-attr]
                ".real or .abs() explicitly"
            )
        arr = value.detach().to("cpu", torch.float64).numpy()  # type: ignore[union-attr]
    elif isinstance(value, (np.ndarray, np.generic, list, tuple, numbers.Number)):
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{name} must be a rectangular array of numbers: {exc}") from None
        if arr.dtype.kind == "c":
            raise TypeError(
                f"{name} must be real, got complex values ({arr.dtype}); pass its .real or "
                "abs() explicitly"
            )
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        with np.errstate(over="ignore"):  # float128 beyond float64 becomes inf: refused below
            arr = arr.astype(np.float64)
    else:
        raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(value).__name__}")
    if arr.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} axis{'es' if min_ndim > 1 else ''}, got "
            f"shape {arr.shape}"
        )
    if arr.size == 0 and min_ndim > 0 and not empty_ok:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise ValueError(
            f"{name} contains NaN or infinite values (first at index {tuple(int(i) for i in bad)})"
        )
    return arr


def check_spatial_ndim(ndim: object, array_ndim: int, *, name: str = "ndim", of: str = "y") -> int:
    """The number of trailing spatial axes: an int in ``1 .. array_ndim``."""
    ndim = check_int(name, ndim)
    if not 1 <= ndim <= array_ndim:
        raise ValueError(f"{name} must be between 1 and {of}.ndim={array_ndim}, got {ndim}")
    return ndim
