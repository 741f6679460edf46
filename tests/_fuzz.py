"""The fuzz test's machinery: shared strategies of bad values, the ``Row`` type, the probe.

How to extend the fuzz test (``tests/test_fuzz.py`` collects every row list):

    Row(func, valid, bad, names={}, no_work=None)

- ``func``: the callable under test (a function, a class, or a small lambda for a method).
- ``valid``: keyword arguments of one cheap, valid call (or a zero-argument callable that
  returns them, for values that must be fresh each call).
- ``bad``: ``{argument: strategy}``; each strategy draws values that are wrong for that
  argument while the others stay valid. Build them from the shared strategies below
  (``ints(minimum)``, ``axes(minimum)``, ``NOT_BOOL``, ``bad_name(choices)``,
  ``names_of(choices)``, ``BAD_NDIM``, ``BAD_ARRAY``, ``BAD_DEVICE``, ``NOT_MODULE``, ...).
- ``names``: for an argument whose messages use another word (a dataclass field
  ``Budget.steps``, the CLI's ``range``), the words that count as naming it.
- ``no_work``: a zero-argument callable returning a context manager inside which starting
  the real work fails (``sweep`` patches its chunk runner): the refusal must come first.

Rows live beside the modules' areas: ``test_fuzz.py`` (the numeric core, sweep, training,
report), ``_fuzz_models.py`` (audit, fixes, tracing, measure, nn, losses, monitor,
gradients, zoo, backend) and ``_fuzz_figures.py`` (plotting, diagrams, tables, explorer,
decision). A public callable of any module needs a row, or a reason in
``test_fuzz.NOT_FUZZED`` (a test checks).
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import signal as _signal  # the name signal is the strategy below
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from hypothesis import strategies as st

FUZZ_EXAMPLES = 300 if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else 12
OUTCOMES: Counter = Counter()  # filled by every probe; printed by ``python tests/test_fuzz.py``
FAILED: dict[str, str] = {}  # first failure per (function, argument), for the tally
STRICT = [True]  # the tally counts every outcome instead of stopping at the first failure

# ---------------------------------------------------------------------------- strategies
NOT_INT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=4),
    st.booleans(),
    st.complex_numbers(max_magnitude=10),
    st.binary(max_size=3),
    st.just(object()),
    st.just({"a": 1}),
    st.floats(-10, 10).map(np.float64),
)
NOT_BOOL = st.one_of(
    st.integers(-3, 3), st.text(max_size=4), st.floats(), st.none(), st.just([True])
)


def below(minimum: int) -> st.SearchStrategy:
    small = st.integers(-(10**9), minimum - 1)
    return st.one_of(small, small.map(np.int64))


def ints(minimum: int, *, none_ok: bool = False) -> st.SearchStrategy:
    """Wrong for one int >= minimum: below it, or not an int at all (None too, unless valid)."""
    bad = st.one_of(NOT_INT, below(minimum), st.lists(st.integers(), min_size=1, max_size=2))
    return bad if none_ok else st.one_of(bad, st.none())


def axes(minimum: int, *, none_ok: bool = False) -> st.SearchStrategy:
    """Wrong for an int or per-axis tuple of ints >= minimum."""
    entry = st.one_of(NOT_INT, below(minimum))
    return st.one_of(
        entry,
        st.lists(entry, min_size=1, max_size=3),
        st.lists(entry, min_size=1, max_size=3).map(tuple),
        st.just(()),
        st.just([]),
        *([] if none_ok else [st.none()]),
    )


def bad_name(choices) -> st.SearchStrategy:
    """Wrong for one name among ``choices``."""
    return st.one_of(
        st.text(max_size=12).filter(lambda t: t not in choices),
        st.integers(),
        st.none(),
        st.just(list(choices)[:1]),
        st.just(b"bytes"),
    )


def names_of(choices, *, none_ok: bool = False) -> st.SearchStrategy:
    """Wrong for a name or a sequence of names among ``choices``."""
    unknown = st.text(min_size=1, max_size=12).filter(lambda t: t not in choices)
    return st.one_of(
        unknown,
        st.lists(unknown, min_size=1, max_size=3),
        st.lists(st.integers(), min_size=1, max_size=2),
        st.just(()),
        st.integers(),
        *([] if none_ok else [st.none()]),
    )


BAD_NDIM = st.one_of(st.integers(-5, 0), st.integers(4, 40), NOT_INT)
BAD_DEVICE = st.one_of(
    st.text(min_size=1, max_size=8).filter(lambda t: not t.strip().lower().startswith("cpu")),
    st.sampled_from(["tpu", "cuda:99", "mps", "gpu", "cpu:x", ""]),
    st.integers(-3, 3),
    st.floats(),
    st.just(["cpu"]),
)

_FINITE = st.floats(-1e6, 1e6)
BAD_ARRAY = st.one_of(
    st.lists(st.sampled_from([math.nan, math.inf, -math.inf]), min_size=1, max_size=3).flatmap(
        lambda bad: st.lists(_FINITE, min_size=0, max_size=3).map(lambda ok: np.array(ok + bad))
    ),
    st.lists(st.complex_numbers(max_magnitude=5), min_size=1, max_size=4).map(
        lambda v: np.array(v, dtype=complex)
    ),
    st.lists(st.complex_numbers(max_magnitude=5), min_size=1, max_size=4).map(
        lambda v: torch.tensor(np.array(v, dtype=complex))
    ),
    st.lists(_FINITE, min_size=0, max_size=3).map(
        lambda ok: torch.tensor([*ok, math.nan], dtype=torch.float64)
    ),
    st.sampled_from(
        [
            "array",
            None,
            {"a": 1},
            np.array(["a", "b"]),
            np.array([None, 1.0], dtype=object),
            [[1.0, 2.0], [3.0]],
            np.ones((0,)),
            np.ones((2, 0)),
            np.ones((1, 1, 1, 1, 1)),
            np.float64(2.0),
            torch.tensor(1.0),
        ]
    ),
)


BAD_SIGNAL = BAD_ARRAY.filter(lambda v: not (isinstance(v, np.ndarray) and v.ndim == 5 and v.size))


def signal() -> st.SearchStrategy:
    """Wrong for a 1-D signal of whole periods of stride 2 (odd lengths, bad values)."""
    odd = st.integers(0, 12).map(lambda n: np.ones(2 * n + 1))
    return st.one_of(BAD_SIGNAL, odd)


BAD_REAL = st.one_of(
    st.sampled_from([math.nan, math.inf, -math.inf, np.float64(math.nan)]),
    st.text(max_size=3),
    st.booleans(),
    st.complex_numbers(max_magnitude=5),
    st.just([1.0]),
    st.just(object()),
)


def reals(minimum: float | None = None, *, none_ok: bool = True, maximum=None) -> st.SearchStrategy:
    """Wrong for one finite real number >= minimum (or <= maximum); None stays valid if so."""
    bad = [BAD_REAL]
    if minimum is not None:
        bad.append(
            st.floats(max_value=minimum, exclude_max=True, allow_nan=False).filter(
                lambda v: v < minimum
            )
        )
    if maximum is not None:
        bad.append(
            st.floats(min_value=maximum, exclude_min=True, allow_nan=False, allow_infinity=False)
        )
    if not none_ok:
        bad.append(st.none())
    return st.one_of(*bad)


NOT_STR = st.one_of(
    st.integers(), st.floats(), st.just(b"title"), st.just(["t"]), st.just({"t": 1})
)
NOT_MODULE = st.sampled_from([None, "model", 5, np.ones(3), {"a": 1}, torch.ones(2), lambda t: t])
NOT_TENSOR = st.sampled_from([None, "x", 5, [[1.0, 2.0]], {"x": 1}])
NOT_AX = st.sampled_from([5, "ax", np.ones(2), object(), [None]])
NOT_FIGURE = st.sampled_from([None, 5, "figure", object(), [None]])
NOT_FRAME = st.sampled_from([None, "frame", 5, {"a": [1, 2]}, np.ones((2, 2)), [[1, 2]]])
NOT_MAPPING = st.sampled_from([None, "x", 5, [("a", 1)], np.ones(3), {}])


# ---------------------------------------------------------------------------- rows, probe
@dataclass
class Row:
    func: Any
    valid: Any
    bad: dict[str, st.SearchStrategy]
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)
    no_work: Any = None

    def kwargs(self) -> dict[str, Any]:
        return dict(self.valid() if callable(self.valid) else self.valid)

    @property
    def label(self) -> str:
        module = getattr(self.func, "__module__", "") or ""
        name = getattr(self.func, "__qualname__", repr(self.func))
        return f"{module.rsplit('.', 1)[-1]}.{name}" if module.startswith("artifact_lab") else name


CLEAR = "clear error naming the argument"
PATIENCE_S = 10  # a call still running after this long is reported as a hang


class _Hang(BaseException):  # not an Exception: the library's handlers must not catch it
    pass


@contextlib.contextmanager
def _patience(seconds: float):
    """Interrupt the call after ``seconds`` (SIGALRM, main thread only; else no limit)."""
    if (
        not hasattr(_signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def alarm(signum, frame):
        raise _Hang

    previous = _signal.signal(_signal.SIGALRM, alarm)
    _signal.setitimer(_signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _signal.signal(_signal.SIGALRM, previous)


def probe(row: Row, arg: str, value: Any) -> tuple[str, BaseException | None]:
    """Call ``row.func`` with one bad value; classify what happened."""
    kwargs = row.kwargs()
    kwargs[arg] = value
    guard = row.no_work() if row.no_work else contextlib.nullcontext()
    try:
        with _patience(PATIENCE_S), guard:
            row.func(**kwargs)
    except _Hang:
        return f"still running after {PATIENCE_S} s", None
    except (ValueError, TypeError) as exc:
        names = row.names.get(arg, (arg,))
        # the name as a word: "x" must not match the x in "exceeds"
        if any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", str(exc)) for n in names):
            return CLEAR, exc
        return f"{type(exc).__name__} not naming the argument", exc
    except Exception as exc:
        return f"other exception: {type(exc).__name__}", exc
    finally:
        if "matplotlib.pyplot" in sys.modules:  # figures a bad value still drew
            sys.modules["matplotlib.pyplot"].close("all")
    return "returned a result", None
