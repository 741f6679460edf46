"""Planning a sweep: every argument checked, the grid cut into chunks that fit the memory
budget, and the plan's memory and time estimated before any work.

The estimates follow the work each path does (:mod:`artifact_lab.atlas._moments`: one product
image per lag and a quadratic form per kernel size; :mod:`artifact_lab.atlas._conv`: one
convolution per kernel and input item), with constants timed on one core of the
development machine. They are rough (a loaded machine runs slower) and serve to refuse
hopeless plans with a message that says how to make them fit.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from .._util.checks import (
    MAX_ELEMENTS,
    MAX_PLAN_KERNELS,
    check_elements,
    check_int,
    check_ndim,
    check_phases,
    int_values,
)
from .._util.store import check_folder
from ..backend import free_memory, host_available_memory, select_device, work_budget
from ..core.kernels import FAMILIES, fixed_size, is_seeded, make_kernel
from ._conv import STRATEGIES, default_strategy, per_item_channel_bytes
from ._moments import moment_workspace_bytes

INPUTS = ("constant", "noise", "images")
METHODS = ("auto", "moments", "conv")
_AUTO_MARGIN = 2.0  # auto keeps the (float64) moments unless conv is this much faster
SWEEP_FAMILIES = ("ones", "default", "normal", "bilinear", "hold")
DTYPES = ("float32", "float64")
_VERSION = 3  # of the chunk results: part of every cache key

# --- arguments --------------------------------------------------------------------------


def _values(name: str, values: Any, minimum: int) -> tuple[int, ...]:
    # a grid of more than MAX_VALUES values is refused before it is built
    return tuple(int_values(name, values, minimum=minimum))


def _choice(name: str, value: Any, options: tuple[str, ...]) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be one of {options}, got {value!r} ({type(value).__name__})")
    if value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _strings(name: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return (values,)
    try:
        items = tuple(values)
    except TypeError:
        raise TypeError(
            f"{name} must be a string or a sequence of strings, got {values!r}"
        ) from None
    for v in items:
        if not isinstance(v, str):
            raise TypeError(f"{name} entries must be strings, got {v!r} ({type(v).__name__})")
    return items


@dataclass(frozen=True)
class InputSpec:
    """One input of the sweep: a built-in kind, or a caller's array under a label."""

    label: str
    kind: str  # "constant", "noise", "images" or "array"
    digest: str = ""
    data: np.ndarray | None = field(default=None, compare=False, repr=False)

    def items(self, batch: int) -> int:
        if self.kind == "constant":
            return 1
        return batch if self.data is None else self.data.shape[0]


def _check_inputs(inputs: Any, nd: int, n: int) -> tuple[InputSpec, ...]:
    if isinstance(inputs, str):
        inputs = (inputs,)
    try:
        entries = tuple(inputs)
    except TypeError:
        raise TypeError(
            f"inputs must be a sequence of {INPUTS} or (label, array) pairs, got {inputs!r}"
        ) from None
    out: list[InputSpec] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(InputSpec(_choice("inputs entry", entry, INPUTS), entry))
            continue
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str)):
            raise TypeError(
                f"inputs entries must be one of {INPUTS} or a (label, array) pair, got "
                f"{type(entry).__name__} {entry!r:.80}"
            )
        label, data = entry
        if not label or label in INPUTS:
            raise ValueError(
                f"inputs labels must be non-empty and differ from {INPUTS}, got {label!r}"
            )
        if isinstance(data, torch.Tensor):
            data = data.detach().cpu().numpy()
        try:
            arr = np.asarray(data)
        except (ValueError, TypeError) as exc:  # ragged nesting and the like
            raise TypeError(f"inputs[{label!r}] must be an array of numbers: {exc}") from None
        if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)) or np.iscomplexobj(arr):
            raise TypeError(f"inputs[{label!r}] must hold real numbers, got dtype {arr.dtype}")
        arr = np.array(arr, dtype=np.float64)
        if arr.ndim == nd:
            arr = arr[None]
        if arr.shape[1:] != (n,) * nd or arr.shape[0] < 1:
            raise ValueError(
                f"inputs[{label!r}] must have shape (batch, {', '.join(['input_size'] * nd)}) "
                f"= (B, {', '.join([str(n)] * nd)}) or ({', '.join([str(n)] * nd)}), got "
                f"{np.shape(data)}"
            )
        if not np.isfinite(arr).all():
            raise ValueError(f"inputs[{label!r}] contains NaN or infinite values")
        arr.setflags(write=False)
        digest = hashlib.sha256(arr.tobytes() + str(arr.shape).encode()).hexdigest()[:20]
        out.append(InputSpec(label, "array", digest, arr))
    labels = [i.label for i in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"inputs must not repeat a label, got {labels}")
    return tuple(out)


def check_executor(executor: Any) -> None:
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (anything with .submit, e.g. "
            "ThreadPoolExecutor(2) or dask.distributed.Client(...).get_executor()), got "
            f"{executor!r} ({type(executor).__name__})"
        )
    # concurrent.futures' pools say so when they have been shut down (thread and process)
    if any(getattr(executor, flag, False) is True for flag in ("_shutdown", "_shutdown_thread")):
        raise ValueError(
            f"executor {type(executor).__name__} has been shut down and takes no more work; "
            "pass an open one (or None to run in this process)"
        )


def check_cache(cache: Any) -> Path | None:
    """The cache folder, checked before any work (the verified store's rule) and created."""
    if cache is None:
        return None
    folder = check_folder("cache", cache)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cache {str(folder)!r} cannot be created: {exc.strerror}") from None
    return folder


# --- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Chunk:
    """One unit of work: a (stride, dilation) pair and a set of (family, k, seed) kernels."""

    ndim: int
    stride: int
    dilation: int
    kernels: tuple[tuple[str, int, int], ...]
    paddings: tuple[int, ...] | None
    output_paddings: tuple[int, ...]
    inputs: tuple[InputSpec, ...]
    input_size: int
    batch: int
    device: str
    budget: int = field(compare=False)  # bytes of working memory; never changes results
    dtype: str = "float32"
    method: str = "moments"
    strategy: str | None = None  # conv batching; None: the device's default

    def key(self) -> str:
        spec = {
            "version": _VERSION,
            "ndim": self.ndim,
            "stride": self.stride,
            "dilation": self.dilation,
            "kernels": self.kernels,
            "paddings": self.paddings,
            "output_paddings": self.output_paddings,
            "inputs": [(i.label, i.kind, i.digest) for i in self.inputs],
            "input_size": self.input_size,
            "batch": self.batch,
        }
        if self.inputs:  # closed forms alone do not depend on the method
            spec["method"] = self.method
        if self.method == "conv" and self.inputs:  # moments work in float64 whatever dtype
            spec["dtype"] = self.dtype
        blob = json.dumps(spec, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:20]


def family_kernel(family: str, k: int, s: int, ndim: int, seed: int) -> np.ndarray:
    return make_kernel(family, None if fixed_size(family, s) else k, s, ndim=ndim, seed=seed)


def _family_sizes(family: str, sizes: Sequence[int], s: int) -> list[int]:
    """Kernel sizes at which a family exists: bilinear and hold are fixed by the stride."""
    k = fixed_size(family, s)
    if k is None:
        return list(sizes)
    return [k] if k in sizes else []


def valid_pairs(k: int, n: int, s: int, d: int, paddings, ops) -> tuple[np.ndarray, np.ndarray]:
    """The (padding, output padding) pairs torch accepts for a kernel of size k, padding
    major: output padding below max(s, d) and output size at least 1."""
    pads = np.arange(k) if paddings is None else np.asarray(paddings)
    pp, oo = np.meshgrid(pads, [op for op in ops if op < max(s, d)], indexing="ij")
    pp, oo = pp.ravel(), oo.ravel()
    ok = (n - 1) * s - 2 * pp + d * (k - 1) + oo + 1 >= 1
    return pp[ok], oo[ok]


@lru_cache(maxsize=65536)
def _row_count(k: int, n: int, s: int, d: int, paddings, ops) -> int:
    """Rows one kernel of size k gives: valid (padding, output padding) pairs."""
    return len(valid_pairs(k, n, s, d, paddings, ops)[0])


@dataclass(frozen=True)
class _Cost:
    """Estimated working memory (bytes) and time (seconds) of one chunk."""

    memory: int
    seconds: float
    rows: int
    parts: tuple[tuple[str, int], ...]


# Cost model constants, fitted to timings of both paths on one core of the development
# machine (benchmarks/README.md): rough, for refusing hopeless plans and showing an estimate.
_SEC_PER_ROW = 2e-6
_SEC_PER_CHUNK = 3e-3
_SEC_PER_KERNEL = 4e-5
_SEC_PER_TAP = 5e-8  # drawing a kernel and its closed forms
_SEC_PER_INPUT_SAMPLE = 3e-8  # making an input once, and its summed-area tables per chunk
_SEC_PER_LAG_SAMPLE = 2e-9
_SEC_PER_LAG = 4e-5
_SEC_PER_FORM_ENTRY = 5e-7
_SEC_PER_CROP = 1e-3
_SEC_PER_MAC = {1: 2.5e-8, 2: 4e-9, 3: 5e-9}  # torch's 1-D transposed conv is slow on CPU
_SEC_PER_REDUCED = 1.2e-8
_SEC_PER_CALL = 3e-4
_SEC_PER_PHASE = 4e-8  # the scores of one kernel over one output phase
_SEC_PER_CLOSED_MAC = 2e-9  # a multiply-add of the closed forms' tensordots (moved axes)
_PHASE_BYTES = 48  # float64 gains and noise gains of one kernel per phase, with temporaries
_CHUNK_TARGET = 256 << 20  # without memory_mb: larger chunks stop paying off
_ROW_BYTES = 220  # one row of the result frame, with pandas' and the concatenation's copies


class _Load:
    """A chunk's estimated cost, built one kernel at a time (so planning stays linear)."""

    def __init__(self, chunk: Chunk) -> None:
        self.c = chunk
        nd, n = chunk.ndim, chunk.input_size
        self.items = max((i.items(chunk.batch) for i in chunk.inputs), default=0)
        self.all_items = sum(i.items(chunk.batch) for i in chunk.inputs)
        self.inputs = 8 * self.all_items * n**nd
        self.count = self.kmax = self.rows = self.kmax_usable = self.all_taps = 0
        self.sizes: set[int] = set()
        self.quad = self.taps = 0  # sums over the distinct measurable sizes
        self.conv_seconds = 0.0
        self.conv_mem = 0
        if chunk.method == "conv" and chunk.inputs:
            self.itemsize = torch.finfo(getattr(torch, chunk.dtype)).bits // 8
            self.strategy = chunk.strategy or default_strategy(torch.device(chunk.device))

    def copy(self) -> _Load:
        twin = copy.copy(self)
        twin.sizes = set(self.sizes)
        return twin

    def add(self, k: int, times: int = 1) -> _Load:
        """Add ``times`` kernels of size ``k`` (the seeds of one family and size)."""
        c = self.c
        nd, s, d, n = c.ndim, c.stride, c.dilation, c.input_size
        self.count += times
        self.all_taps += times * k**nd
        self.kmax = max(self.kmax, k)
        self.rows += (
            times * _row_count(k, n, s, d, c.paddings, c.output_paddings) * max(1, len(c.inputs))
        )
        usable = bool(c.inputs) and (n - 1) * s - (k - 1) * d + 1 >= s
        usable = usable and (s > 1 or c.method == "conv")  # moments skip stride 1
        if usable and k not in self.sizes:
            self.quad += (k**nd) ** 2
            self.taps += k**nd
            self.kmax_usable = max(self.kmax_usable, k)
        self.sizes.add(k)
        if usable and c.method == "conv":
            out = (n - 1) * s + d * (k - 1) + 1
            self.conv_seconds += times * (
                _SEC_PER_CALL
                + self.all_items * (n**nd * k**nd * _SEC_PER_MAC[nd] + out**nd * _SEC_PER_REDUCED)
            )
            self.conv_mem = max(
                self.conv_mem,
                per_item_channel_bytes(n, k, s, d, nd, self.itemsize, self.strategy),
            )
        return self

    def cost(self) -> _Cost:
        c = self.c
        nd, s, d, n = c.ndim, c.stride, c.dilation, c.input_size
        parts = [
            ("the kernels", 8 * 4 * self.count * self.kmax**nd),
            ("the phase gains", _PHASE_BYTES * self.count * s**nd),
            ("the result rows", self.rows * _ROW_BYTES),
        ]
        seconds = (
            _SEC_PER_CHUNK
            + self.rows * _SEC_PER_ROW
            + self.count * (_SEC_PER_KERNEL + _closed_form_seconds(self.kmax, s, nd))
            + self.all_taps * _SEC_PER_TAP
        )
        if c.inputs:
            parts.append(("the inputs", self.inputs))
        if self.kmax_usable and c.method == "moments":
            tables = moment_workspace_bytes(
                self.items, n, nd, self.quad, self.taps, lag_block(c.budget)
            )
            parts.append(("the moment tables", tables))
            g = math.gcd(d, s)
            lags = (2 * ((self.kmax_usable - 1) * g // s) + 1) ** nd // 2 + 1
            seconds += (
                len(c.inputs)
                * (
                    lags * (_SEC_PER_LAG + _SEC_PER_LAG_SAMPLE * self.items * n**nd)
                    + self.quad / (s // g) ** nd * _SEC_PER_FORM_ENTRY
                    + len(self.sizes) * _SEC_PER_CROP
                )
                + self.all_items * n**nd * _SEC_PER_INPUT_SAMPLE / 3
                + self.count * self.quad / max(len(self.sizes), 1) * 1e-9
            )
        elif self.kmax_usable:
            parts.append(("one convolution (one input, one kernel)", self.conv_mem))
            seconds += self.conv_seconds
        return _Cost(sum(v for _, v in parts), seconds, self.rows, tuple(parts))


def _closed_form_seconds(k: Any, s: int, nd: int) -> Any:
    """One kernel's closed forms (:func:`artifact_lab.core.scores.phase_sums` of the taps
    and of their squares, then the scores over ``s**nd`` phases): a tensordot per axis."""
    macs = sum(s ** (a + 1) * k ** (nd - a) for a in range(nd))
    return _SEC_PER_PHASE * s**nd + 2 * macs * _SEC_PER_CLOSED_MAC


def _runs(kernels) -> list[tuple[int, int]]:
    """``(k, times)`` for each run of consecutive kernels of one size."""
    out: list[tuple[int, int]] = []
    for _, k, _ in kernels:
        if out and out[-1][0] == k:
            out[-1] = (k, out[-1][1] + 1)
        else:
            out.append((k, 1))
    return out


def _cost(chunk: Chunk) -> _Cost:
    load = _Load(chunk)
    for k, times in _runs(chunk.kernels):
        load.add(k, times)
    return load.cost()


def _room(load: _Load, k: int, limit: int, target: int) -> int:
    """The most kernels of size ``k`` (at most ``limit``) that ``load`` can take within
    ``target`` bytes (the memory grows with every kernel: a binary search)."""
    if limit <= 0 or load.copy().add(k, 1).cost().memory > target:
        return 0
    if load.copy().add(k, limit).cost().memory <= target:
        return limit
    lo, hi = 1, limit  # lo fits, hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if load.copy().add(k, mid).cost().memory <= target:
            lo = mid
        else:
            hi = mid
    return lo


def _check_size(ks, ss, ds, sd, families, nd: int, max_seconds: float | None) -> None:
    """Refuse, before anything is built, a grid whose plan alone would take long: more than
    :data:`MAX_PLAN_KERNELS` kernels, a stride beyond :data:`MAX_PHASES` phases, or (with
    ``max_seconds``) a closed-form part alone estimated beyond ``max_seconds``."""
    check_phases("strides entry", (max(ss),) * nd)
    check_elements(
        "kernel_sizes entry: its kernel", (max(ks),) * nd, MAX_ELEMENTS, "use smaller kernel_sizes"
    )
    sizes, k_all = set(ks), np.array(ks, dtype=np.float64)
    seeds = {fam: len(sd) if is_seeded(fam) else 1 for fam in families}
    per_stride, seconds = {}, 0.0
    for s in ss:  # kernels at stride s over all families: bilinear and hold have one size
        count = 0
        for fam in families:
            fixed = fixed_size(fam, s)
            if fixed is None:
                count += seeds[fam] * len(ks)
                each = _SEC_PER_KERNEL + _closed_form_seconds(k_all, s, nd)
                seconds += seeds[fam] * float(np.sum(each))
            elif fixed in sizes:
                count += seeds[fam]
                seconds += seeds[fam] * (_SEC_PER_KERNEL + _closed_form_seconds(fixed, s, nd))
        per_stride[s] = count
    total = len(ds) * sum(per_stride.values())
    if total > MAX_PLAN_KERNELS:
        raise ValueError(
            f"the sweep would plan {total:,} kernels ({len(ss)} strides x {len(ds)} dilations "
            f"x {len(ks)} kernel sizes x {len(sd)} seeds, over {len(families)} kernel "
            f"families), more than the limit of {MAX_PLAN_KERNELS:,} per call; sweep about "
            f"{-(-total // MAX_PLAN_KERNELS)} times fewer: fewer strides, dilations, kernel "
            "sizes or seeds per call (a cache folder lets several calls build the atlas piece "
            "by piece)"
        )
    if max_seconds is None:
        return
    at_least = len(ds) * seconds  # each kernel at its own size: padded ones cost more
    if at_least > max_seconds:
        costly = sorted(ss, key=lambda s: per_stride[s] * s**nd, reverse=True)[:3]
        raise ValueError(
            f"the sweep would take at least {_duration(at_least)} by the plan's estimate (its "
            f"closed forms alone, over {total:,} kernels), over max_seconds={max_seconds:g}. "
            f"The largest strides and kernels cost the most ({nd}-D: stride**{nd} phases a "
            f"kernel; here strides {costly}, kernel_sizes up to {max(ks)}): sweep fewer or "
            "smaller strides or kernel_sizes, fewer seeds, or pass a larger max_seconds (None: "
            "no limit) to run it anyway."
        )


def lag_block(budget: int) -> int:
    return int(min(16 << 20, budget // 8))


def make_plan(
    *,
    kernel_sizes,
    strides,
    paddings=None,
    dilations=(1,),
    output_paddings=(0,),
    ndim=2,
    kernels,
    seeds=(0,),
    input_size,
    batch,
    inputs,
    device=None,
    memory_mb=None,
    chunk_kernels=64,
    dtype="float32",
    method="moments",
    strategy=None,
    max_seconds=None,
) -> list[Chunk]:
    """Check every argument, then split the grid into chunks that each fit the budget.

    Takes :func:`artifact_lab.atlas.sweep.sweep`'s names (and ``strategy``, the convolution's
    batching); ``method`` defaults to ``"moments"``. The grid's size is bounded before the
    plan is built (:func:`_check_size`), so that planning itself takes seconds at most."""
    _choice("dtype", dtype, DTYPES)
    _choice("method", method, METHODS)
    if strategy is not None:
        _choice("strategy", strategy, STRATEGIES)
    ks = _values("kernel_sizes", kernel_sizes, 1)
    ss = _values("strides", strides, 1)
    ds = _values("dilations", dilations, 1)
    ops = _values("output_paddings", output_paddings, 0)
    ps = None if paddings is None else _values("paddings", paddings, 0)
    sd = _values("seeds", seeds, 0)
    nd = check_ndim(ndim)
    n = check_int("input_size", input_size, minimum=1)
    b = check_int("batch", batch, minimum=1)
    if memory_mb is not None:
        memory_mb = check_int("memory_mb", memory_mb, minimum=1)
    per_chunk = check_int("chunk_kernels", chunk_kernels, minimum=1)
    # a repeated family is the same family: kept once, in the order first given, as a
    # repeated kernel size or stride is (a grid is a set of values, and its rows a function
    # of the grid, never counted twice)
    families = tuple(dict.fromkeys(_strings("kernels", kernels)))
    if not families:
        raise ValueError("kernels must not be empty")
    for fam in families:
        if fam not in SWEEP_FAMILIES:
            raise ValueError(
                f"kernels entries must be among {SWEEP_FAMILIES}, got {fam!r}"
                + (" (icnr is scored through the upsamplers module)" if fam in FAMILIES else "")
            )
    ins = _check_inputs(inputs, nd, n)
    if not isinstance(device, (str, torch.device, type(None))):
        raise TypeError(f"device must be a string, a torch.device or None, got {device!r}")
    dev = select_device(device)
    if memory_mb is not None and memory_mb << 20 > free_memory(dev):
        raise ValueError(
            f"memory_mb={memory_mb} is more than the {free_memory(dev) >> 20} MiB {dev} has "
            "free; pass at most that, or None (at most half of it)"
        )
    if ins:  # the inputs are built whole (and on the device for the convolution path)
        check_elements(
            "input_size and batch: the inputs",
            (sum(i.items(b) for i in ins), *(n,) * nd),
            MAX_ELEMENTS,
            "use a smaller input_size or batch",
        )
    reach = (n - 1) * max(ss) + max(ds) * (max(ks) - 1) + max(ops) + 1
    if reach > MAX_ELEMENTS:  # the longest output axis: no layer this long can run
        raise ValueError(
            f"input_size, strides, dilations and kernel_sizes give outputs of {reach:,} samples "
            f"per axis, more than the limit of {MAX_ELEMENTS:,}; use smaller ones"
        )
    _check_size(ks, ss, ds, sd, families, nd, max_seconds)
    budget = work_budget(dev, memory_mb)
    # chunks aim below a comfortable size; one that cannot be split may use the whole bound
    target = budget if memory_mb is not None else min(budget, _CHUNK_TARGET)
    chunks = []
    for s in ss:
        for d in ds:
            first = "moments" if method == "auto" else method
            template = Chunk(
                nd, s, d, (), ps, ops, ins, n, b, str(dev), budget, dtype, first, strategy
            )
            taken: list[tuple[str, int, int]] = []
            load = _Load(template)
            for fam in families:
                for k in _family_sizes(fam, ks, s):
                    run = sd if is_seeded(fam) else sd[:1]
                    at = 0
                    while at < len(run):
                        # greedy, as kernel by kernel, but a run of seeds of one size at once
                        left = len(run) - at
                        if taken:
                            m = _room(load, k, min(left, per_chunk - len(taken)), target)
                            if m == 0:
                                chunks.append(dataclasses.replace(template, kernels=tuple(taken)))
                                taken, load = [], _Load(template)
                                continue
                        else:  # a chunk takes its first kernel whatever it costs
                            m = 1 + _room(load.copy().add(k), k, min(left, per_chunk) - 1, target)
                        load.add(k, m)
                        taken += [(fam, k, seed) for seed in run[at : at + m]]
                        at += m
                        if len(taken) >= per_chunk:
                            chunks.append(dataclasses.replace(template, kernels=tuple(taken)))
                            taken, load = [], _Load(template)
            if taken:
                chunks.append(dataclasses.replace(template, kernels=tuple(taken)))
    if not chunks:
        raise ValueError(
            f"no kernel of {families} exists on this grid: bilinear needs kernel_size "
            "2*s - s%2 and hold kernel_size s, for a stride s in strides"
        )
    if method == "auto":
        chunks = [_cheaper(c) for c in chunks]
    if not any(
        _row_count(k, n, c.stride, c.dilation, ps, ops) for c in chunks for _, k, _ in c.kernels
    ):
        require_rows(pd.DataFrame())
    return chunks


def _cheaper(chunk: Chunk) -> Chunk:
    """The chunk with the exact path its estimates favour: the moments, unless the
    convolution is much faster (large 3-D kernels whose taps all meet, few of them) or
    alone fits the memory."""
    if not chunk.inputs:
        return chunk
    conv = dataclasses.replace(chunk, method="conv")
    mine, theirs = _cost(chunk), _cost(conv)
    if theirs.memory <= chunk.budget and (
        mine.memory > chunk.budget or theirs.seconds * _AUTO_MARGIN < mine.seconds
    ):
        return conv
    return chunk


def fits(
    chunks: list[Chunk], memory_mb: int | None, max_seconds: float | None = None
) -> dict[str, float]:
    """Refuse a plan that cannot fit (memory, or time over ``max_seconds``), saying how to
    make it fit; else its estimates."""
    costs = [_cost(c) for c in chunks]
    worst = max(range(len(chunks)), key=lambda i: costs[i].memory)
    chunk, cost = chunks[worst], costs[worst]
    budget = chunk.budget
    first = chunks[0]
    samples = sum(i.items(first.batch) for i in first.inputs) * first.input_size**first.ndim
    seconds = sum(c.seconds for c in costs) + samples * _SEC_PER_INPUT_SAMPLE
    rows = sum(c.rows for c in costs)
    if cost.memory > budget:
        part, size = max(cost.parts, key=lambda p: p[1])
        k = max(k for _, k, _ in chunk.kernels)
        bound = (
            f"memory_mb={memory_mb}"
            if memory_mb is not None
            else (f"the {_mb(budget)} this device can spare")
        )
        hints = ["a smaller input_size or batch"] if part == "the inputs" else []
        if part in ("the kernels", "the result rows"):
            hints.append(f"smaller kernel_sizes (this chunk has k up to {k})")
        if part in ("the moment tables", "one convolution (one input, one kernel)"):
            hints.append(f"smaller kernel_sizes (this chunk has k up to {k})")
            hints.append("a smaller input_size or batch")
            if part == "the moment tables":
                hints.append("method='conv'")
        raise ValueError(
            f"the sweep cannot fit: at stride {chunk.stride}, dilation {chunk.dilation} "
            f"{part} alone need about {_mb(size)} (the chunk about {_mb(cost.memory)}), over "
            f"{bound}. Use "
            + ", or ".join([*hints, f"memory_mb >= {-(-cost.memory >> 20)}"])
            + f" (estimated time for the whole plan: {_duration(seconds)})."
        )
    table = rows * _ROW_BYTES
    spare = host_available_memory()
    if memory_mb is not None and table + budget > 0.9 * spare and table < 0.45 * spare:
        raise ValueError(
            f"memory_mb={memory_mb} leaves too little of this machine's {_mb(spare)} of "
            f"available memory for the result table (about {_mb(table)}); pass "
            f"memory_mb <= {max(int(0.9 * spare - table) >> 20, 1)}, or None"
        )
    if table + budget > 0.9 * spare:
        raise ValueError(
            f"the sweep cannot fit: its table would hold {rows:,} rows (about {_mb(table)}), "
            f"more than this machine's {_mb(spare)} of available memory allows. Sweep fewer "
            "kernel sizes, paddings, seeds or inputs per call (a cache folder lets several "
            f"calls build the atlas piece by piece); estimated time: {_duration(seconds)}."
        )
    if max_seconds is not None and seconds > max_seconds:
        raise ValueError(
            f"the sweep would take {_duration(seconds)} by the plan's estimate ({len(chunks)} "
            f"chunks, {rows:,} rows), over max_seconds={max_seconds:g}. Sweep fewer kernel "
            "sizes (large kernels cost the most), paddings, seeds or inputs, or pass a larger "
            "max_seconds (None: no limit) to run it anyway."
        )
    return {
        "estimated_seconds": seconds,
        "estimated_chunk_mb": max(c.memory for c in costs) / 2**20,
        "estimated_table_mb": table / 2**20,
    }


def _mb(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB" if nbytes >= 2**30 else f"{nbytes / 2**20:.0f} MiB"


def _duration(seconds: float) -> str:
    for unit, size in (("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"about {seconds / size:.1f} {unit}"
    return f"about {seconds:.1f} s"


def require_rows(frame: pd.DataFrame) -> None:
    if frame.empty:
        raise ValueError(
            "the grid holds no configuration torch accepts: output_padding must be smaller "
            "than max(stride, dilation) and the output size at least 1"
        )
