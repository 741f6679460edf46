"""Argument checks shared by every module: one place that names the argument, value and rule.

Nothing heavy is imported at module level (numpy only inside the array helpers, torch never):
the command line's fast paths use these checks.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

IntOrTuple = int | Sequence[int]

# Largest number of values a range or list argument may hold: beyond it a grid is a mistake
# (``--kernel-sizes 1-100000000``), and building it would exhaust memory.
MAX_VALUES = 1_000_000
# Largest array (kernel, map, mask) any closed form builds: 2**27 float64 values are 1 GiB.
MAX_ELEMENTS = 1 << 27
# Most output phases (``prod(stride)``) a closed form works with: 1024 per axis in 2-D, far
# beyond any upsampling layer (an array of gains per kernel is this long).
MAX_PHASES = 1 << 20
# Most kernels (stride x dilation x family x size x seed) one sweep plans: planning takes
# about 20 us a kernel, so this bound keeps the plan itself within seconds.
MAX_PLAN_KERNELS = 1_000_000
# Most marks (cells, lines, markers) a figure draws one by one: more are unreadable, and
# matplotlib would take minutes to draw them.
MAX_MARKS = 4096
# Most multiply-adds of one dense factorisation (an SVD or a pseudo-inverse, O(n^3)): a
# few seconds on one core.
MAX_DENSE_WORK = 1 << 33


def _is_numpy_bool(value: object) -> bool:
    # numpy 1 names the type ``bool_``, numpy 2 ``bool``; numpy is not imported for this
    kind = type(value)
    return kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool")


def is_tensor(value: object) -> bool:
    """True for a torch tensor, without importing torch (a tensor implies torch is loaded)."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def check_int(name: str, value: object, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise naming ``name``, the value and the rule.

    numpy's integers (``np.int64(3)``) are ints; bools (Python's or numpy's) are not.
    """
    # bool is an int subclass, but ``stride=True`` is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return value


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is a bool (numpy's ``np.True_`` included); ``remove_dc="no"`` is
    refused, not truthy.

    Examples
    --------
    >>> import numpy as np
    >>> check_bool("remove_dc", np.True_), check_bool("remove_dc", False)
    (True, False)
    """
    if isinstance(value, bool) or _is_numpy_bool(value):
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    positive: bool = False,
) -> float:
    """A finite real number (not a bool), optionally ``>= minimum`` or ``> 0``; numpy's
    floats and ints (``np.float32(0.5)``) included."""
    if isinstance(value, bool) or _is_numpy_bool(value) or not isinstance(value, numbers.Real):
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
    """``value`` if it is one of the strings ``choices`` (numpy's ``np.str_`` included)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {value!r}")
    return str(value)


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


def check_seeds(name: str, value: object, *, scalar: bool = True) -> tuple[int, ...]:
    """A non-empty sequence (or range) of seeds ``>= 0`` as a tuple, in the given order.

    With ``scalar`` one int (not a bool) is one seed. Unlike :func:`int_values` the seeds
    are neither sorted nor deduplicated: a study runs them as given.
    """
    if scalar and isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (Sequence, range)) or isinstance(value, (str, bytes)):
        what = "an int or a sequence of ints" if scalar else "a sequence of ints"
        raise TypeError(f"{name} must be {what}, got {value!r}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    return tuple(check_int(f"{name}[{i}]", s, minimum=0) for i, s in enumerate(value))


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


def infer_ndim(*values: object, **named: object) -> int | None:
    """The common length of the sequence arguments, or None when all are ints.

    Arguments passed by name are named in the message when the lengths disagree.
    """
    shown = [repr(v) for v in values] + [f"{k}={v!r}" for k, v in named.items()]
    values = (*values, *named.values())
    # an empty sequence says nothing about the axes: per_axis refuses it, naming it
    lengths = {len(v) for v in values if _is_int_sequence_like(v) and len(v)}  # type: ignore[arg-type]
    if len(lengths) > 1:
        raise ValueError(
            "per-axis arguments disagree on the number of spatial axes: "
            + ", ".join(t for t, v in zip(shown, values) if _is_int_sequence_like(v))
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
        check_values(name, value)
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


def check_str(name: str, value: object, *, none_ok: bool = False, empty_ok: bool = True) -> Any:
    """``value`` if it is a string (or None where ``none_ok``); a title of 0 is refused."""
    if value is None and none_ok:
        return None
    if not isinstance(value, str):
        what = "a string or None" if none_ok else "a string"
        raise TypeError(f"{name} must be {what}, got {value!r} ({type(value).__name__})")
    if not empty_ok and not value:
        raise ValueError(f"{name} must not be empty")
    return value


def check_callable(name: str, value: object) -> Any:
    if not callable(value):
        raise TypeError(f"{name} must be callable, got {value!r} ({type(value).__name__})")
    return value


def check_module(name: str, value: object) -> Any:
    """A ``torch.nn.Module`` (torch is loaded whenever one exists)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(value).__name__}")
    return value


def check_values(name: str, value: object) -> Any:
    """A tensor or module whose values exist: refuse the meta device (shapes only), whose
    results would be shapes without numbers.

    Examples
    --------
    >>> import torch
    >>> check_values("x", torch.zeros(2)).shape
    torch.Size([2])
    >>> check_values("model", torch.nn.Linear(1, 1, device="meta"))
    Traceback (most recent call last):
    ...
    ValueError: model has weight on the meta device (shapes without values): ...
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return value
    if isinstance(value, torch.nn.Module):
        named = [*value.named_parameters(), *value.named_buffers()]
    elif isinstance(value, torch.Tensor):
        named = [("", value)]
    else:
        return value
    for part, t in named:
        if t.device.type == "meta":
            where = f"{name} has {part}" if part else f"{name} is"
            raise ValueError(
                f"{where} on the meta device (shapes without values): materialise it "
                "(build it on a real device, or .to_empty(device=...) and load its values) first"
            )
    return value


def check_tensor(name: str, value: object, *, min_ndim: int = 0, shape: str = "") -> Any:
    """A torch tensor with at least ``min_ndim`` axes (``shape`` words the layout)."""
    layout = f" of shape {shape}" if shape else ""
    if not is_tensor(value):
        raise TypeError(f"{name} must be a torch.Tensor{layout}, got {type(value).__name__}")
    if value.ndim < min_ndim:  # type: ignore[attr-defined]
        raise ValueError(
            f"{name} must be a tensor{layout} (at least {min_ndim} axes), got shape "
            f"{tuple(value.shape)}"  # type: ignore[attr-defined]
        )
    return value


def check_device(name: str, value: object) -> Any:
    """A ``torch.device`` object (``select_device`` turns a name into one)."""
    torch = sys.modules.get("torch")
    if torch is None or not isinstance(value, torch.device):
        raise TypeError(
            f"{name} must be a torch.device (artifact_lab.backend.select_device gives one), "
            f"got {value!r} ({type(value).__name__})"
        )
    return value


def check_mapping(name: str, value: object, *, empty_ok: bool = False) -> Any:
    """A mapping with string keys (a dict of named arrays, of figures' panels)."""
    if not isinstance(value, Mapping):
        raise TypeError(
            f"{name} must be a mapping of names to values, got {value!r} ({type(value).__name__})"
        )
    if not value and not empty_ok:
        raise ValueError(f"{name} must not be empty")
    for key in value:
        if not isinstance(key, str):
            raise TypeError(f"{name} keys must be strings, got {key!r} ({type(key).__name__})")
    return value


def check_frame(name: str, value: object, columns: Iterable[object] = ()) -> Any:
    """A pandas DataFrame holding ``columns`` (each named in the message when missing)."""
    pandas = sys.modules.get("pandas")
    if pandas is None or not isinstance(value, pandas.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(value).__name__}")
    missing = [c for c in columns if c not in value.columns]
    if missing:
        raise ValueError(f"{name} lacks the column(s) {missing} (columns: {list(value.columns)})")
    return value


def check_column(name: str, value: object, frame: Any, *, of: str = "frame") -> str:
    """``value`` if it is one of ``frame``'s column names."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a column name (str), got {value!r}")
    if value not in frame.columns:
        raise ValueError(f"{name}={value!r} is not a column of {of} ({list(frame.columns)})")
    return value


def check_format(name: str, value: object, sample: object = 0.5) -> Any:
    """A format string (``"{:.2f}"``) that formats ``sample``, or a callable."""
    if callable(value):
        return value
    if not isinstance(value, str):
        raise TypeError(
            f"{name} must be a format string like '{{:.2f}}' or a callable, got {value!r}"
        )
    try:
        value.format(sample)
    except (ValueError, IndexError, KeyError) as exc:
        raise ValueError(f"{name}={value!r} cannot format a number: {exc}") from None
    return value


def check_axes(name: str, value: object, *, none_ok: bool = True) -> Any:
    """A matplotlib ``Axes`` to draw on (or None: a new figure)."""
    if value is None and none_ok:
        return None
    from matplotlib.axes import Axes

    if not isinstance(value, Axes):
        raise TypeError(f"{name} must be a matplotlib Axes or None, got {type(value).__name__}")
    return value


def check_figure(name: str, value: object, *, none_ok: bool = False) -> Any:
    """A matplotlib ``Figure`` (or None where ``none_ok``)."""
    if value is None and none_ok:
        return None
    from matplotlib.figure import Figure

    if not isinstance(value, Figure):
        raise TypeError(f"{name} must be a matplotlib Figure, got {type(value).__name__}")
    return value


def check_shape(name: str, value: object, *, max_elements: int) -> tuple[int, ...]:
    """``(N, C, *spatial)`` with 1 to 3 spatial axes of positive ints (numpy's too, never
    bools), at most ``max_elements`` in all."""
    rule = f"{name} must be a sequence (N, C, *spatial) of positive ints"
    if value is None or isinstance(value, (str, bytes, numbers.Number)):
        raise TypeError(f"{rule}, got {value!r}")
    if type(value).__name__ == "ndarray":
        if value.ndim != 1:  # type: ignore[attr-defined]
            raise TypeError(f"{rule}, got an array of shape {value.shape}")  # type: ignore[attr-defined]
        value = value.tolist()  # type: ignore[attr-defined]
    if not isinstance(value, Sequence):
        raise TypeError(f"{rule}, got {type(value).__name__}")
    shape = []
    for i, v in enumerate(value):
        if _is_numpy_bool(v) or isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{name}[{i}] must be an int, got {v!r} ({type(v).__name__})")
        shape.append(int(v))
    if not 3 <= len(shape) <= 5:
        raise ValueError(
            f"{name} must be (N, C, *spatial) with 1 to 3 spatial axes, got {tuple(shape)}"
        )
    if any(v < 1 for v in shape):
        raise ValueError(f"{name} entries must be >= 1, got {tuple(shape)}")
    if math.prod(shape) > max_elements:
        raise ValueError(
            f"{name} {tuple(shape)} has {math.prod(shape)} elements, above the limit of "
            f"{max_elements}: use a smaller batch or spatial size"
        )
    return tuple(shape)


def check_instance(name: str, value: object, cls: type, *, hint: str = "") -> Any:
    """``value`` if it is a ``cls``; the message names the class (and where to get one)."""
    if not isinstance(value, cls):
        where = f" ({hint})" if hint else ""
        raise TypeError(
            f"{name} must be a {cls.__module__}.{cls.__qualname__}{where}, got "
            f"{type(value).__name__}"
        )
    return value


def check_items(name: str, value: object, cls: type, *, hint: str = "") -> tuple[Any, ...]:
    """A sequence (never a string or a mapping) whose every entry is a ``cls``, as a tuple."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise TypeError(
            f"{name} must be a sequence of {cls.__qualname__}, got {type(value).__name__}"
        )
    items = tuple(value)
    for i, item in enumerate(items):
        check_instance(f"{name}[{i}]", item, cls, hint=hint)
    return items


def check_elements(what: str, shape: tuple[int, ...], limit: int, hint: str) -> None:
    """Refuse, before allocating, an array of more than ``limit`` elements.

    ``what`` names the argument the shape comes from; ``hint`` says the smallest change.
    """
    if math.prod(shape) > limit:
        raise ValueError(
            f"{what} of shape {tuple(shape)} would hold {math.prod(shape):,} elements, more "
            f"than the limit of {limit:,}; {hint}"
        )


def check_phases(name: str, stride: Sequence[int]) -> None:
    """Refuse a stride of more than :data:`MAX_PHASES` output phases (``prod(stride)``),
    naming ``name`` and the largest stride that fits on every axis.

    Examples
    --------
    >>> check_phases("stride", (1024, 1024))
    >>> check_phases("stride", (1025, 1025))
    Traceback (most recent call last):
    ...
    ValueError: stride (1025, 1025) gives 1,050,625 output phases, more than the limit of ...
    """
    phases = math.prod(stride)
    if phases > MAX_PHASES:
        fit = int(MAX_PHASES ** (1 / len(stride)) + 1e-9)
        raise ValueError(
            f"{name} {tuple(stride)} gives {phases:,} output phases, more than the limit of "
            f"{MAX_PHASES:,} (a stride larger than any upsampling layer uses); use a stride "
            f"of at most {fit} per axis in {len(stride)}-D"
        )


#: The two passes an audit looks at: the output (forward) and the input gradient (backward).
DIRECTIONS = ("forward", "backward")


def check_direction(direction: object) -> str:
    """``direction`` if it is ``"forward"`` or ``"backward"``: the one message for all."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    return direction  # type: ignore[return-value]
