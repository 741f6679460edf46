"""The fuzz test's machinery: shared strategies of bad values, the ``Row`` type, the probe.

How to extend the fuzz test (``tests/test_fuzz.py`` collects every list of rows in every
``tests/_fuzz_*.py``: a new topic adds a file of its own, nothing else to register):

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

Every row's valid call is also tried with numpy's scalar types (``np.int64``, ``np.True_``,
``np.float32``: the same result), with each tensor or model argument on the meta device (a
clear error or a result), and with huge values (2**31, 2**62, ...) for every argument named
in ``SIZE_NAMES`` (refused naming it, or answered within the patience). Two more kinds of
rows, in any ``tests/_fuzz_<topic>.py``:

    NanRow(func, valid, arg, read=None)      # NaN/inf in ``arg``: NaN scores or a clear error
    ThreadRow(func, first, second)           # two threads, each its own result

Known failures in modules another task owns are listed in ``test_fuzz.KNOWN`` (expected
failures in the suite, still counted by the tally).

Rows live beside the modules' areas: ``test_fuzz.py`` (the numeric core, sweep, training,
report), ``_fuzz_models.py`` (audit, fixes, tracing, measure, nn, losses, monitor,
gradients, zoo, backend) and ``_fuzz_figures.py`` (plotting, diagrams, tables, explorer,
decision). A public callable of any module needs a row, or a reason in
``test_fuzz.NOT_FUZZED`` (a test checks).
"""

from __future__ import annotations

import contextlib
import math
import numbers
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


# ------------------------------------------------------------ beyond bad values: more probes
# Besides bad values (``probe``), every row's valid call is tried with numpy's scalar types
# in place of Python's (``probe_numpy``), with each tensor or module argument on the meta
# device (``probe_meta``), and with huge values for every size-like argument
# (``probe_huge``); ``NanRow`` and ``ThreadRow`` rows (any ``tests/_fuzz_*.py`` may hold
# them) check that NaN/inf inputs give NaN or a clear error, and that two threads calling a
# pure function on different inputs get their own results.

#: Arguments that are sizes: a huge value must be refused naming the argument, or answered
#: within the patience, never a MemoryError, an allocator error or a hang.
SIZE_NAMES = frozenset(
    """input_size output_size kernel_size kernel_sizes stride strides dilation dilations
    padding paddings output_padding output_paddings size sizes n batch channels in_channels
    out_channels factor factors scale bins width per_class test_per_class steps length
    input_shape shape chunk_kernels memory_mb eval_size patch ring exclude k period
    upstream_size frames repeats count""".split()
)
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "thorough"
# past int32, and a product that overflows int64; the thorough profile tries more
HUGE_INTS = (2**31, 10**12, 2**62, 10**18) if THOROUGH else (2**31, 2**62)
HUGE_MEMORY = 4 << 30  # a huge value may make the call allocate this much more, no further


def huge_values(value: Any) -> list[Any]:
    """Huge variants of a valid size: each of :data:`HUGE_INTS` in its place, per axis too."""
    if isinstance(value, bool):
        return []
    if isinstance(value, (int, np.integer)):
        return list(HUGE_INTS)
    if (
        isinstance(value, (tuple, list))
        and value
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        out = []
        for h in HUGE_INTS:
            out.append(type(value)([h] * len(value)))
            if THOROUGH and len(value) > 1:  # one axis huge, the others as they were
                out.append(type(value)([*value[:-1], h]))
        return out
    if isinstance(value, range):
        return [range(h, h + 2) for h in HUGE_INTS]
    return []


def numpy_typed(value: Any) -> Any:
    """``value`` with numpy's scalar types in place of Python's: ``np.True_``, ``np.int64``,
    ``np.float32`` (where it holds the value exactly, else ``np.float64``); per-axis tuples
    and lists of them too. Anything else is returned as it is (the same object)."""
    if isinstance(value, bool):
        return np.bool_(value)
    if isinstance(value, int):
        return np.int64(value)
    if isinstance(value, float) and not isinstance(value, np.floating):
        exact = float(np.float32(value)) == value or math.isnan(value)
        return np.float32(value) if exact else np.float64(value)
    if (
        isinstance(value, (tuple, list))
        and value
        and all(isinstance(v, (bool, int, float)) and not isinstance(v, np.generic) for v in value)
    ):
        return type(value)(numpy_typed(v) for v in value)
    return value


def same(a: Any, b: Any) -> bool | None:
    """Whether two results are equal (NaN equal to NaN); None when they cannot be compared
    (figures, models, objects without equality)."""
    import pandas as pd

    if a is None and b is None:
        return True
    if isinstance(a, (str, bytes)):
        return a == b
    if isinstance(a, (numbers.Number, np.generic)) and isinstance(b, (numbers.Number, np.generic)):
        return bool(a == b or (a != a and b != b))
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor):
        if a.device.type == "meta" or a.shape != b.shape or a.dtype != b.dtype:
            return a.shape == b.shape and a.dtype == b.dtype
        return bool(torch.equal(a, b) or torch.allclose(a, b, rtol=0, atol=0, equal_nan=True))
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if a.dtype.kind in "fc":
            return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    if isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame):
        timings = [c for c in a.columns if "seconds" in str(c)]  # run times are not results
        a, b = a.drop(columns=timings), b.drop(columns=timings, errors="ignore")
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError:
            return False
        return True
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        if len(a) != len(b):
            return False
        parts = [same(x, y) for x, y in zip(a, b, strict=True)]
        return None if None in parts else all(parts)
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return False
        parts = [same(a[k], b[k]) for k in a]
        return None if None in parts else all(parts)
    if hasattr(a, "to_frame") and hasattr(b, "to_frame"):
        try:
            return same(a.to_frame(), b.to_frame())
        except Exception:  # a record whose frame cannot be built twice: not comparable
            return None
    return None


def _seeded_call(row: Row, kwargs: dict[str, Any]) -> Any:
    torch.manual_seed(0)
    with _patience(PATIENCE_S):
        return row.func(**kwargs)


def _fresh_kwargs(row: Row) -> dict[str, Any]:
    torch.manual_seed(0)  # a valid call that builds a random model builds the same one
    return row.kwargs()


NUMPY_SAME = "same result with numpy scalars"
NUMPY_ACCEPTED = "accepted numpy scalars (result not comparable)"
NUMPY_NONE = "no scalar argument"
NUMPY_SLOW = "valid call too slow to compare"


def probe_numpy(row: Row) -> tuple[str, BaseException | None, list[str]]:
    """The valid call, then the same call with numpy's scalar types: same result?"""
    kwargs = _fresh_kwargs(row)
    typed = {k: numpy_typed(v) for k, v in kwargs.items()}
    changed = [k for k in kwargs if typed[k] is not kwargs[k]]
    if not changed:
        return NUMPY_NONE, None, []
    try:
        plain = _seeded_call(row, kwargs)
    except _Hang:
        return NUMPY_SLOW, None, changed
    except Exception as exc:
        return f"valid call failed: {type(exc).__name__}", exc, changed
    try:
        got = _seeded_call(row, {**_fresh_kwargs(row), **{k: typed[k] for k in changed}})
    except _Hang:
        return f"still running after {PATIENCE_S} s with numpy scalars", None, changed
    except (ValueError, TypeError) as exc:
        return "numpy scalar refused", exc, changed
    except Exception as exc:
        return f"other exception with numpy scalars: {type(exc).__name__}", exc, changed
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    verdict = same(plain, got)
    if verdict is None:
        return NUMPY_ACCEPTED, None, changed
    return (NUMPY_SAME, None, changed) if verdict else ("different result", None, changed)


def meta_version(value: Any) -> Any:
    """A tensor or module moved to the meta device (shapes, no values); else None."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("meta")
    if isinstance(value, torch.nn.Module):
        import copy

        return copy.deepcopy(value).to("meta")
    return None


META_OK = ("clear error naming the argument", "returned a result")


def probe_meta(row: Row, arg: str) -> tuple[str, BaseException | None]:
    """The valid call with ``arg`` on the meta device: a clear error naming it, or a
    result (torch's own functions answer meta with meta), never another exception."""
    kwargs = _fresh_kwargs(row)
    meta = meta_version(kwargs[arg])
    return probe(Row(row.func, {**kwargs, arg: meta}, {}, row.names, row.no_work), arg, meta)


@contextlib.contextmanager
def memory_guard(extra: int = HUGE_MEMORY):
    """Allocations beyond ``extra`` more bytes of address space fail (MemoryError) inside:
    a huge size must not make a test thrash the shared machine."""
    try:
        import resource
    except ImportError:  # not on this platform: no guard
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    try:
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        yield
        return
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


HUGE_OK = ("clear error naming the argument", "returned a result")


def probe_huge(row: Row, arg: str, value: Any) -> tuple[str, BaseException | None]:
    """The valid call with one huge size: refused naming it, or answered in time."""
    with memory_guard():
        return probe(Row(row.func, _fresh_kwargs(row), {}, row.names, row.no_work), arg, value)


@dataclass
class NanRow:
    """``func`` called with the tensor (or a module's parameters) of argument ``arg`` holding
    a NaN or an infinity must answer NaN (``read`` picks the scores from the result) or
    refuse naming ``arg``; a finite score would read a diverged model as clean."""

    func: Any
    valid: Any
    arg: str
    read: Any = None
    names: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        return dict(self.valid() if callable(self.valid) else self.valid)

    @property
    def label(self) -> str:
        return Row(self.func, {}, {}).label


def poison(value: Any, bad: float, index: int) -> Any:
    """A copy of a tensor (or of a module, in its parameters) with one value ``bad``."""
    if isinstance(value, torch.Tensor):
        out = value.detach().clone()
        out.view(-1)[index % out.numel()] = bad
        return out
    import copy

    out = copy.deepcopy(value)
    params = [p for p in out.parameters() if p.ndim >= 2]
    with torch.no_grad():
        target = params[index % len(params)]
        target.view(-1)[index % target.numel()] = bad
    return out


NAN_OK = ("NaN result", "clear error naming the argument")


def probe_nan(row: NanRow, bad: float, index: int) -> tuple[str, BaseException | None]:
    kwargs = row.kwargs()
    kwargs[row.arg] = poison(kwargs[row.arg], bad, index)
    try:
        with _patience(PATIENCE_S):
            result = row.func(**kwargs)
    except _Hang:
        return f"still running after {PATIENCE_S} s", None
    except (ValueError, TypeError) as exc:
        names = row.names.get(row.arg, (row.arg,))
        if any(re.search(rf"(?<![\w.]){re.escape(n)}(?!\w)", str(exc)) for n in names):
            return "clear error naming the argument", exc
        return f"{type(exc).__name__} not naming the argument", exc
    except Exception as exc:
        return f"other exception: {type(exc).__name__}", exc
    values = (row.read or (lambda r: r))(result)
    if isinstance(values, torch.Tensor):
        values = values.detach().cpu().double().numpy()
    if np.isnan(np.asarray(values, dtype=float)).all():
        return "NaN result", None
    return "a finite score for a NaN or infinite input", None


@dataclass
class ThreadRow:
    """Two threads call ``func`` at once, one on ``first``'s arguments and one on
    ``second``'s, ``rounds`` times each: each must get its own result every time."""

    func: Any
    first: Any
    second: Any
    rounds: int = 20

    @property
    def label(self) -> str:
        return Row(self.func, {}, {}).label

    def call(self, which: Any) -> Any:
        return self.func(**(which() if callable(which) else which))


THREADS_OK = "each thread got its own results"


def probe_threads(row: ThreadRow) -> tuple[str, str]:
    """Serial results first, then both threads at once; compare every result."""
    import concurrent.futures

    a, b = row.call(row.first), row.call(row.second)
    if same(a, b) is not False:
        return "inputs give results that cannot be told apart", ""
    barrier = threading.Barrier(2)

    def work(which, expected):
        barrier.wait()
        wrong = 0
        for _ in range(row.rounds):
            wrong += same(row.call(which), expected) is not True
        return wrong

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(work, row.first, a), pool.submit(work, row.second, b)]
        try:
            wrong = sum(f.result() for f in futures)
        except Exception as exc:
            return f"raised in a thread: {type(exc).__name__}", str(exc)[:200]
    if wrong:
        return "a thread got a wrong result", f"{wrong} of {2 * row.rounds} calls"
    return THREADS_OK, ""
