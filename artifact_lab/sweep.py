"""The design-space atlas: every kernel size × stride × padding × dilation, scored.

Each row is one layer configuration with one kernel and one input. Closed-form scores are
vectorised numpy over whole kernel batches. The measured scores (harmonic fraction and
peak-to-floor ratio of the layer's real output, on its interior crop) come from one of two
exact paths, tested against each other and against :func:`naive_sweep`:

- ``method="moments"`` (default): no convolution. The crop's per-phase sums are kernel
  taps times box sums of the input, and its sum of squares is a quadratic form in the taps
  whose matrix holds box sums of the input's lagged products (:mod:`artifact_lab._moments`).
  That matrix is shared by every kernel of the same size, so seeds are nearly free.
- ``method="conv"``: torch ``conv_transpose`` on the best device, reduced to the same two
  sums (:mod:`artifact_lab._sweep_conv`).

Padding and output padding only crop the padding-0 output. Every padding up to
``d*(k-1)`` leaves the interior unchanged, so those rows share one measurement; a larger
padding cuts into the interior itself, and such rows are measured on the samples the layer
really outputs. Work is split into chunks (one (stride, dilation) pair and a bounded set of
kernels each) that run in process or on any ``concurrent.futures.Executor`` (a Dask
cluster's included), and can be cached as verified Parquet files so an interrupted sweep
resumes where it stopped (:mod:`artifact_lab._sweep_cache`). The memory and time a plan
needs are estimated before any work, and a plan that cannot fit is refused.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import os
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from ._checks import check_int, check_ndim
from ._moments import moment_powers, moment_tables
from ._sweep_cache import ChunkCache
from ._sweep_conv import (
    _CONV_T,
    STRATEGIES,
    conv_powers,
    conv_workspace_bytes,
    default_strategy,
)
from .backend import KernelTimer, exact_math, host_available_memory, select_device, work_budget
from .kernels import FAMILIES, make_kernel
from .scores import _harmonic_fraction_of_gains, _phase_sums
from .spectral import harmonic_stats, interior_crop, stats_from_harmonics

__all__ = ["COLUMNS", "INPUTS", "METHODS", "naive_sweep", "sweep"]

INPUTS = ("constant", "noise", "images")
METHODS = ("moments", "conv")
SWEEP_FAMILIES = ("ones", "default", "normal", "bilinear", "hold")
DTYPES = ("float32", "float64")
_VERSION = 3  # of the chunk results: part of every cache key

COLUMNS = {
    "ndim": "number of spatial axes (the geometry is the same on every axis)",
    "kernel_size": "k",
    "stride": "s",
    "padding": "p",
    "output_padding": "op",
    "dilation": "d",
    "kernel": "kernel family (ones, default, normal, bilinear, hold)",
    "seed": "seed of the kernel (deterministic families: the first seed only)",
    "input": "what the layer was measured on: 'constant' (all ones), 'noise' (a seeded batch "
    "of N(0, 1) inputs), 'images' (scikit-image's bundled pictures, gray in [0, 1]: 2-D "
    "pictures, 1-D their middle rows, 3-D volumes stacking successive pictures), or the "
    "label of an array the caller passed; '' if none",
    "output_size": "output length per axis, (n-1)*s - 2p + d*(k-1) + op + 1",
    "border_low": "output samples per axis before the interior (all L when it is empty)",
    "border_high": "output samples per axis after the interior (0 when it is empty)",
    "holes": "some output phase receives no tap",
    "overlap_contrast": "(max - min) / mean of the per-phase tap counts",
    "checkerboard_score": "closed form: 1 - mean(g)^2 / mean(g^2) over the phase gains",
    "noise_checkerboard": "closed form: std / mean of the noise gains",
    "harmonic_fraction": "measured: power share at the non-zero stride harmonics of the "
    "interior crop of the layer's real output (whole periods, DC kept), pooled over the "
    "batch; NaN when the interior holds less than one period",
    "peak_db": "measured: strongest non-zero harmonic over the mean non-harmonic bin, dB",
}


# --- arguments --------------------------------------------------------------------------


def _values(name: str, values: Any, minimum: int) -> tuple[int, ...]:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{name} must be an int or an iterable of ints, got {values!r}")
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name} must be an int or an iterable of ints, got {values!r}") from None
    out = tuple(sorted({check_int(f"{name} entry", v, minimum=minimum) for v in items}))
    if not out:
        raise ValueError(f"{name} must not be empty (got {values!r})")
    return out


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
class _Input:
    """One input of the sweep: a built-in kind, or a caller's array under a label."""

    label: str
    kind: str  # "constant", "noise", "images" or "array"
    digest: str = ""
    data: np.ndarray | None = field(default=None, compare=False, repr=False)

    def items(self, batch: int) -> int:
        if self.kind == "constant":
            return 1
        return batch if self.data is None else self.data.shape[0]


def _check_inputs(inputs: Any, nd: int, n: int) -> tuple[_Input, ...]:
    if isinstance(inputs, str):
        inputs = (inputs,)
    try:
        entries = tuple(inputs)
    except TypeError:
        raise TypeError(
            f"inputs must be a sequence of {INPUTS} or (label, array) pairs, got {inputs!r}"
        ) from None
    out: list[_Input] = []
    for entry in entries:
        if isinstance(entry, str):
            out.append(_Input(_choice("inputs entry", entry, INPUTS), entry))
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
        arr = np.asarray(data)
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
        out.append(_Input(label, "array", digest, arr))
    labels = [i.label for i in out]
    if len(set(labels)) != len(labels):
        raise ValueError(f"inputs must not repeat a label, got {labels}")
    return tuple(out)


def _check_executor(executor: Any) -> None:
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (anything with .submit, e.g. "
            "ThreadPoolExecutor(2) or dask.distributed.Client(...).get_executor()), got "
            f"{executor!r} ({type(executor).__name__})"
        )


def _check_cache(cache: Any) -> Path | None:
    if cache is None:
        return None
    if not isinstance(cache, (str, os.PathLike)):
        raise TypeError(f"cache must be a folder path or None, got {cache!r}")
    folder = Path(cache)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"cache={str(cache)!r} is a file; it must be a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"cache={str(cache)!r} cannot be created: {exc.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(f"cache={str(cache)!r} is not writable")
    return folder


# --- the plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Chunk:
    """One unit of work: a (stride, dilation) pair and a set of (family, k, seed) kernels."""

    ndim: int
    stride: int
    dilation: int
    kernels: tuple[tuple[str, int, int], ...]
    paddings: tuple[int, ...] | None
    output_paddings: tuple[int, ...]
    inputs: tuple[_Input, ...]
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
            "method": self.method,
        }
        if self.method == "conv" and self.inputs:  # moments work in float64 whatever dtype
            spec["dtype"] = self.dtype
        blob = json.dumps(spec, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:20]


def _kernel(family: str, k: int, s: int, ndim: int, seed: int) -> np.ndarray:
    return make_kernel(
        family, k if family not in ("bilinear", "hold") else None, s, ndim=ndim, seed=seed
    )


def _family_size(family: str, s: int) -> int | None:
    """Size a family's kernel has at stride s (None: any size)."""
    if family == "bilinear":
        return 2 * s - s % 2
    if family == "hold":
        return s
    return None


def _family_sizes(family: str, sizes: Sequence[int], s: int) -> list[int]:
    """Kernel sizes at which a family exists: bilinear and hold are fixed by the stride."""
    k = _family_size(family, s)
    if k is None:
        return list(sizes)
    return [k] if k in sizes else []


@lru_cache(maxsize=65536)
def _row_count(k: int, n: int, s: int, d: int, paddings, ops) -> int:
    """Rows one kernel of size k gives: valid (padding, output padding) pairs."""
    pads = np.arange(k) if paddings is None else np.asarray(paddings)
    ops = np.asarray([op for op in ops if op < max(s, d)])
    if len(ops) == 0:
        return 0
    length = (n - 1) * s - 2 * pads[:, None] + d * (k - 1) + ops[None, :] + 1
    return int((length >= 1).sum())


@dataclass(frozen=True)
class _Cost:
    """Estimated working memory (bytes) and time (seconds) of one chunk."""

    memory: int
    seconds: float
    rows: int
    parts: tuple[tuple[str, int], ...]


# Cost model constants, from timings of both paths on one core of the development machine
# (benchmarks/README.md): rough, for refusing hopeless plans and showing an estimate.
_SEC_PER_ROW = 1.5e-6
_SEC_PER_CHUNK = 2e-3
_SEC_PER_KERNEL = 3e-5
_SEC_PER_LAG_SAMPLE = 1.5e-9
_SEC_PER_LAG = 3e-5
_SEC_PER_FORM_ENTRY = 4e-7
_SEC_PER_MAC = 1e-9
_SEC_PER_REDUCED = 3e-9
_ROW_BYTES = 220  # one row of the result frame, with pandas' and the concatenation's copies


class _Load:
    """A chunk's estimated cost, built one kernel at a time (so planning stays linear)."""

    def __init__(self, chunk: _Chunk) -> None:
        self.c = chunk
        nd, n = chunk.ndim, chunk.input_size
        self.items = max((i.items(chunk.batch) for i in chunk.inputs), default=0)
        self.all_items = sum(i.items(chunk.batch) for i in chunk.inputs)
        self.inputs = 8 * self.all_items * n**nd
        self.count = self.kmax = self.rows = self.kmax_usable = 0
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

    def add(self, k: int) -> _Load:
        c = self.c
        nd, s, d, n = c.ndim, c.stride, c.dilation, c.input_size
        self.count += 1
        self.kmax = max(self.kmax, k)
        self.rows += _row_count(k, n, s, d, c.paddings, c.output_paddings) * max(1, len(c.inputs))
        usable = bool(c.inputs) and (n - 1) * s - (k - 1) * d + 1 >= s
        usable = usable and (s > 1 or c.method == "conv")  # moments skip stride 1
        if usable and k not in self.sizes:
            self.quad += (k**nd) ** 2
            self.taps += k**nd
            self.kmax_usable = max(self.kmax_usable, k)
        self.sizes.add(k)
        if usable and c.method == "conv":
            out = (n - 1) * s + d * (k - 1) + 1
            self.conv_seconds += self.all_items * (
                n**nd * k**nd * _SEC_PER_MAC + out**nd * _SEC_PER_REDUCED
            )
            self.conv_mem = max(
                self.conv_mem,
                conv_workspace_bytes(n, k, s, d, nd, self.itemsize, self.strategy),
            )
        return self

    def cost(self) -> _Cost:
        c = self.c
        nd, s, d, n = c.ndim, c.stride, c.dilation, c.input_size
        parts = [
            ("the kernels", 8 * 4 * self.count * self.kmax**nd),
            ("the result rows", self.rows * _ROW_BYTES),
        ]
        seconds = _SEC_PER_CHUNK + self.rows * _SEC_PER_ROW + self.count * _SEC_PER_KERNEL
        if c.inputs:
            parts.append(("the inputs", self.inputs))
        if self.kmax_usable and c.method == "moments":
            block = _lag_block(c.budget)
            forms = 8 * self.quad * (1 + 12 + 2**nd)
            work = forms + 8 * self.items * self.taps + 8 * (n + 1) ** nd
            parts.append(("the moment tables", work + 2 * max(block, 8 * (n + 1) ** nd)))
            g = math.gcd(d, s)
            lags = (2 * ((self.kmax_usable - 1) * g // s) + 1) ** nd // 2 + 1
            seconds += (
                len(c.inputs)
                * (
                    lags * (_SEC_PER_LAG + _SEC_PER_LAG_SAMPLE * self.items * n**nd)
                    + self.quad / (s // g) ** nd * _SEC_PER_FORM_ENTRY
                )
                + self.count * self.quad / max(len(self.sizes), 1) * 1e-9
            )
        elif self.kmax_usable:
            parts.append(("one convolution (one input, one kernel)", self.conv_mem))
            seconds += self.conv_seconds
        return _Cost(sum(v for _, v in parts), seconds, self.rows, tuple(parts))


def _cost(chunk: _Chunk) -> _Cost:
    load = _Load(chunk)
    for f, k, _ in chunk.kernels:
        load.add(_family_size(f, chunk.stride) or k)
    return load.cost()


def _lag_block(budget: int) -> int:
    return int(min(16 << 20, budget // 8))


def _plan(
    kernel_sizes,
    strides,
    paddings,
    dilations,
    output_paddings,
    ndim,
    kernels,
    seeds,
    input_size,
    batch,
    inputs,
    device,
    memory_mb,
    chunk_kernels,
    dtype,
    method="moments",
    strategy=None,
) -> list[_Chunk]:
    """Check every argument, then split the grid into chunks that each fit the budget."""
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
    families = _strings("kernels", kernels)
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
    budget = work_budget(dev, memory_mb)
    chunks = []
    for s in ss:
        for d in ds:
            work = [
                (fam, k, seed)
                for fam in families
                for k in _family_sizes(fam, ks, s)
                for seed in (sd if fam in ("default", "normal") else sd[:1])
            ]
            template = _Chunk(
                nd, s, d, (), ps, ops, ins, n, b, str(dev), budget, dtype, method, strategy
            )
            taken: list[tuple[str, int, int]] = []
            load = _Load(template)
            for item in work:
                k = _family_size(item[0], s) or item[1]
                if taken:
                    trial = load.copy().add(k)
                    if len(taken) >= per_chunk or trial.cost().memory > budget:
                        chunks.append(dataclasses.replace(template, kernels=tuple(taken)))
                        taken, trial = [], _Load(template).add(k)
                    load = trial
                else:
                    load = load.add(k)
                taken.append(item)
            if taken:
                chunks.append(dataclasses.replace(template, kernels=tuple(taken)))
    if not chunks:
        raise ValueError(
            f"no kernel of {families} exists on this grid: bilinear needs kernel_size "
            "2*s - s%2 and hold kernel_size s, for a stride s in strides"
        )
    if not any(
        _row_count(_family_size(f, c.stride) or k, n, c.stride, c.dilation, ps, ops)
        for c in chunks
        for f, k, _ in c.kernels
    ):
        _require_rows(pd.DataFrame())
    return chunks


def _fits(chunks: list[_Chunk], memory_mb: int | None) -> dict[str, float]:
    """Refuse a plan that cannot fit, saying how to make it fit; else its estimates."""
    costs = [_cost(c) for c in chunks]
    worst = max(range(len(chunks)), key=lambda i: costs[i].memory)
    chunk, cost = chunks[worst], costs[worst]
    budget = chunk.budget
    seconds = sum(c.seconds for c in costs)
    rows = sum(c.rows for c in costs)
    if cost.memory > budget:
        part, size = max(cost.parts, key=lambda p: p[1])
        k = max(_family_size(f, chunk.stride) or k for f, k, _ in chunk.kernels)
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
    if table + budget > 0.9 * spare:
        raise ValueError(
            f"the sweep cannot fit: its table would hold {rows:,} rows (about {_mb(table)}), "
            f"more than this machine's {_mb(spare)} of available memory allows. Sweep fewer "
            "kernel sizes, paddings, seeds or inputs per call (a cache folder lets several "
            f"calls build the atlas piece by piece); estimated time: {_duration(seconds)}."
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


# --- one chunk --------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _picture(name: str, n: int, variant: int) -> np.ndarray:
    from .images import load_image

    img = load_image(name, n).numpy()
    img = np.rot90(img, variant % 4)
    return np.ascontiguousarray(img.T if variant // 4 % 2 else img)


@lru_cache(maxsize=8)
def _builtin_input(kind: str, n: int, nd: int, batch: int) -> np.ndarray:
    """The input batch ``(B, n, ..., n)`` in float64 (read-only; the same in every chunk)."""
    if kind == "constant":
        arr = np.ones((1, *(n,) * nd))
    elif kind == "noise":
        gen = torch.Generator().manual_seed(12345)  # the same noise for every kernel and chunk
        arr = torch.randn((batch, 1, *(n,) * nd), generator=gen, dtype=torch.float64)
        arr = arr[:, 0].numpy()
    else:
        from .images import IMAGES

        def pic(i: int) -> np.ndarray:
            return _picture(IMAGES[i % len(IMAGES)], n, (i // len(IMAGES)) % 8)

        if nd == 2:
            arr = np.stack([pic(i) for i in range(batch)])
        elif nd == 1:
            arr = np.stack([pic(i)[n // 2] for i in range(batch)])
        else:
            arr = np.stack([np.stack([pic(i + z) for z in range(n)]) for i in range(batch)])
    arr.setflags(write=False)
    return arr


def _input_array(spec: _Input, n: int, nd: int, batch: int) -> np.ndarray:
    if spec.kind == "array":
        return spec.data
    return _builtin_input(spec.kind, n, nd, batch)


def _rows(chunk: _Chunk, sizes: np.ndarray) -> dict[str, np.ndarray]:
    """Every valid (kernel, padding, output padding) and the crop each one measures."""
    s, d, n = chunk.stride, chunk.dilation, chunk.input_size
    ops = [op for op in chunk.output_paddings if op < max(s, d)]
    # the valid (padding, output padding) pairs of each kernel size, laid end to end
    table_p, table_op, base, count = [], [], {}, {}
    at = 0
    for k in np.unique(sizes):
        pads = np.arange(k) if chunk.paddings is None else np.asarray(chunk.paddings)
        pp, oo = np.meshgrid(pads, ops, indexing="ij")
        pp, oo = pp.ravel(), oo.ravel()
        ok = (n - 1) * s - 2 * pp + d * (k - 1) + oo + 1 >= 1
        table_p.append(pp[ok])
        table_op.append(oo[ok])
        base[k], count[k] = at, int(ok.sum())
        at += count[k]
    table_p = np.concatenate(table_p).astype(np.int64)
    table_op = np.concatenate(table_op).astype(np.int64)
    counts = np.array([count[k] for k in sizes], dtype=np.int64)
    idx = np.repeat(np.arange(len(sizes)), counts)
    offset = np.arange(len(idx)) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.array([base[k] for k in sizes], dtype=np.int64)[idx] + offset
    pad, opad = table_p[pos], table_op[pos]
    k = sizes[idx]
    length = (n - 1) * s - 2 * pad + d * (k - 1) + opad + 1
    # interior [lo, hi] per axis in the layer's coordinates; border + interior + border == L
    lo, hi = (k - 1) * d - pad, (n - 1) * s - pad
    empty = np.minimum(hi, length - 1) < np.maximum(lo, 0)
    # the crop in padding-0 coordinates: the interior samples the layer really outputs
    first = np.maximum((k - 1) * d, pad)
    last = np.minimum((n - 1) * s, pad + length - 1)
    periods = np.maximum(last - first + 1, 0) // s
    return {
        "idx": idx,
        "padding": pad,
        "output_padding": opad,
        "kernel_size": k,
        "output_size": length,
        "border_low": np.where(empty, length, np.clip(lo, 0, length)),
        "border_high": np.where(empty, 0, np.clip(length - 1 - hi, 0, length)),
        "crop_lo": first,
        "crop_q": periods,
    }


def _measure(
    chunk: _Chunk, padded: np.ndarray, sizes: np.ndarray, rows: dict, timer: KernelTimer
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Measured (harmonic fraction, peak dB) per row, for every input."""
    nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
    measurable = rows["crop_q"] > 0
    triples = np.stack([rows["idx"], rows["crop_lo"], rows["crop_q"]], axis=1)[measurable]
    requests, inverse = np.unique(triples, axis=0, return_inverse=True)
    kidx, lo, q = requests.T
    bins = (q * s) ** nd
    results = {}
    for spec in chunk.inputs:
        x = _input_array(spec, n, nd, chunk.batch)
        if chunk.method == "moments":
            harm = np.zeros((len(requests), s**nd))
            sumsq = np.zeros(len(requests))
            groups: dict[tuple[int, int, int], list[int]] = {}
            for r, (i, a, m) in enumerate(requests):
                groups.setdefault((int(sizes[i]), int(a), int(m)), []).append(r)
            # stride 1 has no harmonic but DC: fraction 0 and 0 dB, whatever the powers
            with timer.span():
                tables = _tables(spec, x, chunk, sorted(groups)) if s > 1 else {}
                for g, rs in tables and groups.items():
                    w = padded[(kidx[rs], *(slice(0, g[0]),) * nd)]
                    harm[rs], sumsq[rs] = moment_powers(tables[g], w, s, d, g[1])
        else:
            dev = torch.device(chunk.device)
            dtype = getattr(torch, chunk.dtype)
            xt = _device_input(spec, n, nd, chunk.batch, chunk.device, chunk.dtype)
            call = max(chunk.budget - xt.numel() * xt.element_size() - padded.nbytes, 1)
            if dev.type == "cpu":
                call = min(call, 128 << 20)  # larger calls stop paying off on CPU caches
            harm, sumsq = conv_powers(
                xt,
                padded,
                sizes,
                (kidx, lo, q),
                s=s,
                d=d,
                dtype=dtype,
                budget=call,
                timer=timer,
                strategy=chunk.strategy or default_strategy(dev),
            )
        frac, db = stats_from_harmonics(harm, bins * sumsq, bins)
        full_frac = np.full(len(measurable), np.nan)
        full_db = np.full(len(measurable), np.nan)
        full_frac[measurable] = frac[inverse.ravel()]
        full_db[measurable] = db[inverse.ravel()]
        results[spec.label] = (full_frac, full_db)
    return results


_SHARED_LOCK = threading.Lock()  # chunks may run in threads (ThreadPoolExecutor)
_TABLES: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
_TABLE_BYTES = 64 << 20  # moment tables kept across chunks (seeds of one size share them)


def _tables(spec: _Input, x: np.ndarray, chunk: _Chunk, crops: list[tuple[int, int, int]]):
    """Moment tables per crop ``(k, lo, q)``, computed together (they share the lag
    products) and kept for the next chunks of the same (stride, dilation, input)."""
    s, d = chunk.stride, chunk.dilation
    ident = (spec.kind, spec.digest, chunk.input_size, chunk.ndim, chunk.batch, s, d)
    with _SHARED_LOCK:
        found = {c: _TABLES[(*ident, *c)] for c in crops if (*ident, *c) in _TABLES}
    missing = [c for c in crops if c not in found]
    if missing:
        fresh = moment_tables(x, s, d, missing, block_bytes=_lag_block(chunk.budget))
        found.update(zip(missing, fresh, strict=True))
        with _SHARED_LOCK:
            for c, table in zip(missing, fresh, strict=True):
                _TABLES[(*ident, *c)] = table
            held = sum(f.nbytes + w.nbytes for f, w in _TABLES.values())
            while held > _TABLE_BYTES and _TABLES:
                f, w = _TABLES.pop(next(iter(_TABLES)))
                held -= f.nbytes + w.nbytes
    return found


_DEVICE_INPUTS: dict[tuple, torch.Tensor] = {}


def _device_input(spec: _Input, n: int, nd: int, batch: int, device: str, dtype: str):
    """The input batch ``(B, 1, n, ...)`` on the device, kept across chunks (a few only)."""
    key = (spec.kind, spec.digest, n, nd, batch, device, dtype)
    with _SHARED_LOCK:
        if key not in _DEVICE_INPUTS:
            if len(_DEVICE_INPUTS) >= 4:
                _DEVICE_INPUTS.pop(next(iter(_DEVICE_INPUTS)))
            x = torch.from_numpy(np.array(_input_array(spec, n, nd, batch)))[:, None]
            _DEVICE_INPUTS[key] = x.to(device=device, dtype=getattr(torch, dtype))
        return _DEVICE_INPUTS[key]


def _run_chunk(chunk: _Chunk) -> pd.DataFrame:
    """Score every kernel of a chunk at every padding; one measurement per distinct crop."""
    nd, s, d = chunk.ndim, chunk.stride, chunk.dilation
    kerns = [_kernel(f, k, s, nd, seed) for f, k, seed in chunk.kernels]
    sizes = np.array([kern.shape[0] for kern in kerns])
    kmax = int(sizes.max())
    padded = np.zeros((len(kerns), *(kmax,) * nd))
    for i, kern in enumerate(kerns):
        padded[(i, *(slice(0, kern.shape[0]),) * nd)] = kern
    # closed form, vectorised over the kernels (padding only rolls the phases)
    gains = _phase_sums(padded, nd, s, d, 0)
    noise = _phase_sums(padded**2, nd, s, d, 0)
    axes = tuple(range(1, nd + 1))
    cb = _harmonic_fraction_of_gains(gains, nd)
    e_mean = noise.mean(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        ncb = np.where(e_mean > 0, noise.std(axis=axes) / np.where(e_mean > 0, e_mean, 1), 0.0)
    counts_1d = {k: np.bincount((np.arange(k) * d) % s, minlength=s) for k in np.unique(sizes)}
    contrast = {
        k: float((c.max() ** nd - c.min() ** nd) / c.mean() ** nd) for k, c in counts_1d.items()
    }
    holes = {k: bool(c.min() == 0) for k, c in counts_1d.items()}
    rows = _rows(chunk, sizes)
    idx = rows["idx"]
    timer = KernelTimer(torch.device(chunk.device))
    measured = {}
    start = time.perf_counter()
    if chunk.inputs:
        with exact_math():
            measured = _measure(chunk, padded, sizes, rows, timer)
    measure_seconds = time.perf_counter() - start
    base = {
        "ndim": np.full(len(idx), nd),
        "kernel_size": rows["kernel_size"],
        "stride": np.full(len(idx), s),
        "padding": rows["padding"],
        "output_padding": rows["output_padding"],
        "dilation": np.full(len(idx), d),
        "kernel": np.array([f for f, _, _ in chunk.kernels], dtype=object)[idx],
        "seed": np.array([sd for _, _, sd in chunk.kernels], dtype=np.int64)[idx],
        "output_size": rows["output_size"],
        "border_low": rows["border_low"],
        "border_high": rows["border_high"],
        "holes": np.array([holes[x] for x in sizes], dtype=bool)[idx],
        "overlap_contrast": np.array([contrast[x] for x in sizes])[idx],
        "checkerboard_score": cb[idx],
        "noise_checkerboard": ncb[idx],
    }
    parts = []
    for spec in chunk.inputs or (None,):
        label = "" if spec is None else spec.label
        frac, db = measured[label] if spec else (np.full(len(idx), np.nan),) * 2
        parts.append(
            pd.DataFrame(
                {**base, "input": label, "harmonic_fraction": frac, "peak_db": db},
                columns=list(COLUMNS),
            )
        )
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    frame.attrs["conv_seconds"] = timer.seconds() if chunk.method == "conv" else 0.0
    frame.attrs["measure_seconds"] = measure_seconds
    return frame


# --- running the plan -------------------------------------------------------------------


class _Inline:
    """Runs each submitted call at once (the in-process path, same loop as executors)."""

    def submit(self, fn, *args):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:
            if not isinstance(exc, Exception):
                raise
            fut.set_exception(exc)
        return fut


def _execute(chunks, executor, cache: ChunkCache | None, bar) -> tuple[dict, int, int, float]:
    """Run (or read back) every chunk. Before each one the cache is re-read, so concurrent
    runs on one folder share the work; chunks another run has claimed come last."""
    columns = list(COLUMNS)
    frames: dict[int, pd.DataFrame] = {}
    computed = cached = 0
    conv_seconds = 0.0
    window = 1 if executor is None else 64
    runner = _Inline() if executor is None else executor
    queue = list(range(len(chunks)))
    deferred: list[int] = []
    flying: dict[Future, int] = {}
    try:
        while queue or deferred or flying:
            while len(flying) < window and (queue or deferred):
                first_pass = bool(queue)
                i = queue.pop(0) if first_pass else deferred.pop(0)
                key = chunks[i].key()
                if cache is not None:
                    frame = cache.read(key, columns)
                    if frame is not None:
                        frames[i] = frame
                        cached += 1
                        bar.update(1)
                        continue
                    if first_pass and not cache.claim(key):
                        deferred.append(i)
                        continue
                flying[runner.submit(_run_chunk, chunks[i])] = i
            if not flying:
                continue
            done, _ = wait(list(flying), return_when=FIRST_COMPLETED)
            for fut in done:
                i = flying.pop(fut)
                frame = fut.result()
                conv_seconds += frame.attrs.get("conv_seconds", 0.0)
                if cache is not None:
                    cache.write(chunks[i].key(), frame)
                frames[i] = frame
                computed += 1
                bar.update(1)
    finally:
        for fut in flying:
            fut.cancel()
        if cache is not None:
            cache.release_all()
    return frames, computed, cached, conv_seconds


def sweep(
    *,
    kernel_sizes: Iterable[int] | int,
    strides: Iterable[int] | int,
    paddings: Iterable[int] | None = None,
    dilations: Iterable[int] = (1,),
    output_paddings: Iterable[int] = (0,),
    ndim: int = 2,
    kernels: Sequence[str] = ("ones", "default", "bilinear"),
    seeds: Iterable[int] = (0,),
    input_size: int = 64,
    batch: int = 8,
    inputs: Sequence[Any] = ("constant", "noise"),
    method: str = "moments",
    device: str | torch.device | None = None,
    executor: Any = None,
    cache: str | Path | None = None,
    progress: bool = True,
    memory_mb: int | None = None,
    chunk_kernels: int = 64,
    dtype: str = "float32",
) -> pd.DataFrame:
    """Score a whole grid of transposed-convolution geometries, as one tidy DataFrame.

    Parameters
    ----------
    kernel_sizes, strides, dilations : int or iterable of int
        The grid (same value on every spatial axis).
    paddings : iterable of int, optional
        None: every padding ``0 .. k-1`` for each kernel size. Any padding torch accepts
        may be given; configurations torch rejects (output size below 1,
        ``op >= max(s, d)``) are left out.
    output_paddings : iterable of int
    ndim : int
        1, 2 or 3 spatial axes.
    kernels : sequence of str
        Families: ``ones``, ``default`` (torch's ConvTranspose init), ``normal``,
        ``bilinear`` and ``hold`` (these two only at the size their stride fixes).
    seeds : iterable of int
        Seeds of the random families; deterministic families use the first seed only.
    input_size, batch : int
        Input side length; number of noise inputs or pictures.
    inputs : sequence
        Entries ``"constant"``, ``"noise"``, ``"images"`` (see :data:`COLUMNS`), or
        ``(label, array)`` pairs with an array of shape ``(B, n, ..., n)`` or ``(n, ..., n)``
        (``n = input_size``) to measure on; empty for closed-form scores only (fast).
    method : {"moments", "conv"}
        How the measured columns are computed: exactly from the inputs' moments without
        convolving (default; float64 on the CPU), or by running ``conv_transpose`` on
        ``device`` in ``dtype``. Both give the same numbers (to float32 rounding for
        ``dtype="float32"``).
    device : optional
        Where ``conv_transpose`` runs (default: CUDA, then MPS, then CPU).
    executor : concurrent.futures.Executor, optional
        Runs the chunks, e.g. ``dask.distributed.Client(...).get_executor()`` for a cluster.
        Results are identical to the in-process run.
    cache : path, optional
        Folder for finished chunks (Parquet with their key and checksum, written
        atomically): a repeated or interrupted sweep reads what is there and computes only
        what is missing; damaged files are recomputed with a warning; concurrent runs
        share the work.
    progress : bool
        Show a ``tqdm`` progress bar over chunks.
    memory_mb : int, optional
        Bound on the working memory of one chunk (inputs, kernels, convolution outputs or
        moment tables), in MiB; the returned table comes on top and is checked against the
        available memory. Default: half of the device's free memory. A plan that cannot fit
        is refused before any work, with the smallest ``memory_mb`` that would do.
    chunk_kernels : int
        Most kernels per chunk (fewer where the memory bound asks).
    dtype : {"float32", "float64"}
        Precision of ``conv_transpose`` for ``method="conv"`` (float64 on CPU is ~20x
        slower); the reductions always accumulate in float64, and TF32 is always off.

    Returns
    -------
    pandas.DataFrame
        One row per configuration × kernel × seed × input; columns and meanings in
        :data:`COLUMNS`. ``attrs``: ``conv_seconds`` (time inside ``conv_transpose``, this
        process's chunks), ``chunks_computed`` and ``chunks_cached`` (work done and read
        back), ``estimated_seconds``, ``estimated_chunk_mb`` and ``estimated_table_mb``
        (the plan's estimates, made before the work).

    Raises
    ------
    TypeError, ValueError
        A bad argument (named, with the value and the rule), or a plan that cannot fit in
        ``memory_mb`` or the machine's memory (with how to make it fit). All before work.

    Notes
    -----
    The measured columns are exact for the given inputs: ``method="moments"`` equals
    ``method="conv"`` in float64 to about 1e-12, and both equal :func:`naive_sweep` (one
    real ``conv_transpose`` with the real padding and one full FFT per row) on every
    padding torch accepts. With a constant input the harmonic fraction equals the
    closed-form ``checkerboard_score``.

    Examples
    --------
    >>> atlas = sweep(kernel_sizes=[3, 4], strides=[2], kernels=["ones"], input_size=16,
    ...               progress=False)
    >>> atlas.groupby("kernel_size").checkerboard_score.first().round(3).tolist()
    [0.19, 0.0]
    >>> bool((atlas.harmonic_fraction - atlas.checkerboard_score)[atlas.input == "constant"]
    ...      .abs().max() < 1e-12)
    True
    """
    chunks = _plan(
        kernel_sizes,
        strides,
        paddings,
        dilations,
        output_paddings,
        ndim,
        kernels,
        seeds,
        input_size,
        batch,
        inputs,
        device,
        memory_mb,
        chunk_kernels,
        dtype,
        method,
    )
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    _check_executor(executor)
    folder = _check_cache(cache)
    estimates = _fits(chunks, memory_mb)
    store = None if folder is None else ChunkCache(folder)
    bar = tqdm(total=len(chunks), disable=not progress, desc="sweep", unit="chunk")
    try:
        frames, computed, cached, conv_seconds = _execute(chunks, executor, store, bar)
    finally:
        bar.close()
    out = pd.concat([frames[i] for i in range(len(chunks))], ignore_index=True)
    _require_rows(out)
    out = out.astype({"holes": bool})
    out.attrs = {
        "conv_seconds": conv_seconds,
        "chunks_computed": computed,
        "chunks_cached": cached,
        **estimates,
    }
    return out


def naive_sweep(
    *,
    kernel_sizes: Iterable[int],
    strides: Iterable[int],
    paddings: Iterable[int] | None = None,
    dilations: Iterable[int] = (1,),
    output_paddings: Iterable[int] = (0,),
    ndim: int = 2,
    kernels: Sequence[str] = ("ones",),
    seeds: Iterable[int] = (0,),
    input_size: int = 64,
    batch: int = 8,
    inputs: Sequence[Any] = ("constant", "noise"),
    device: str | torch.device | None = None,
    dtype: str = "float32",
) -> pd.DataFrame:
    """The reference the engine is tested and benchmarked against: one ``conv_transpose``
    with the real padding and one full FFT per configuration, kernel and input; closed forms
    from :mod:`artifact_lab.scores` and :mod:`artifact_lab.overlap`, one call per row.

    Takes the arguments of :func:`sweep` that define the grid and gives the same frame.

    Examples
    --------
    >>> ref = naive_sweep(kernel_sizes=[3], strides=[2], inputs=["constant"], input_size=8)
    >>> len(ref), round(float(ref.harmonic_fraction.iloc[0]), 3)
    (3, 0.19)
    """
    from .arithmetic import output_size
    from .overlap import has_holes, interior_mask, overlap_contrast
    from .scores import checkerboard_score, noise_checkerboard

    chunks = _plan(
        kernel_sizes,
        strides,
        paddings,
        dilations,
        output_paddings,
        ndim,
        kernels,
        seeds,
        input_size,
        batch,
        inputs,
        device,
        None,
        10**9,
        dtype,
    )
    dev = select_device(device)
    dt = getattr(torch, dtype)
    rows = []
    with exact_math():
        for chunk in chunks:
            nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
            batches = {
                spec.label: torch.from_numpy(np.array(_input_array(spec, n, nd, chunk.batch)))[
                    :, None
                ].to(dev, dt)
                for spec in chunk.inputs
            }
            for family, k0, seed in chunk.kernels:
                kern = _kernel(family, k0, s, nd, seed)
                k = kern.shape[0]
                w = torch.as_tensor(kern, dtype=dt, device=dev)[None, None]
                for p in range(k) if chunk.paddings is None else chunk.paddings:
                    for op in chunk.output_paddings:
                        try:
                            length = output_size(n, k, s, p, op, d)  # tested against torch
                        except ValueError:  # a configuration torch rejects
                            continue
                        inside = np.flatnonzero(interior_mask(n, k, s, p, op, d))
                        low = int(inside[0]) if len(inside) else length
                        high = length - 1 - int(inside[-1]) if len(inside) else 0
                        base = {
                            "ndim": nd,
                            "kernel_size": k,
                            "stride": s,
                            "padding": p,
                            "output_padding": op,
                            "dilation": d,
                            "kernel": family,
                            "seed": seed,
                            "output_size": length,
                            "border_low": low,
                            "border_high": high,
                            "holes": has_holes(k, s, d),
                            "overlap_contrast": overlap_contrast((k,) * nd, s, d, p),
                            "checkerboard_score": checkerboard_score(kern, s, d, p),
                            "noise_checkerboard": noise_checkerboard(kern, s, d, p),
                        }
                        for spec in chunk.inputs or (None,):
                            frac = db = np.nan
                            if spec is not None:
                                y = _CONV_T[nd](
                                    batches[spec.label],
                                    w,
                                    stride=s,
                                    padding=p,
                                    output_padding=op,
                                    dilation=d,
                                )[:, 0]
                                try:
                                    crop = interior_crop(y, (n,) * nd, (k,) * nd, s, p, op, d)
                                    frac, db = harmonic_stats(crop, (s,) * nd)
                                except ValueError:  # interior shorter than one period
                                    pass
                            label = "" if spec is None else spec.label
                            rows.append(
                                {**base, "input": label, "harmonic_fraction": frac, "peak_db": db}
                            )
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    _require_rows(out)
    return out.astype({"holes": bool})


def _require_rows(frame: pd.DataFrame) -> None:
    if frame.empty:
        raise ValueError(
            "the grid holds no configuration torch accepts: output_padding must be smaller "
            "than max(stride, dilation) and the output size at least 1"
        )
