"""The design-space atlas: every kernel size × stride × padding × dilation, scored.

The engine rests on three facts (each checked against :func:`naive_sweep` in the tests):

1. Padding and output padding only crop (or zero-extend) the padding-0 output, and the
   interior of every padding is the *same* samples ``(k-1)*d .. (n-1)*s`` of the padding-0
   output. So the measured scores are computed once per (kernel, stride, dilation, input)
   and shared by every padding; only the phase labels roll, which moves no power.
2. Kernels that share (stride, dilation) and size run in one batched ``conv_transpose``
   call, as output channels. (Zero-padding every size to a common one is exact too, as the
   first ``(n-1)*s + d*(k-1) + 1`` outputs of a zero-padded kernel are its own output, but
   on CPU the wasted zero taps made it 2-4x slower than one call per size: measured.)
3. The power at the stride harmonics needs only the ``prod(s)`` per-phase sums of the crop
   (their ``s``-point DFT), and the total power comes from Parseval, so no FFT of the output.

Closed-form scores are vectorised numpy over the whole kernel batch. Work is split into
chunks (one (stride, dilation) pair and a bounded set of kernels each), which run in
process, on any ``concurrent.futures.Executor`` (a Dask cluster's included), and can be
cached as Parquet files so an interrupted sweep resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ._checks import check_int, check_ndim
from ._io import write_atomic
from .backend import select_device
from .kernels import FAMILIES, make_kernel
from .scores import _harmonic_fraction_of_gains, _phase_sums
from .spectral import harmonic_stats, interior_crop, stats_from_harmonics

__all__ = ["COLUMNS", "INPUTS", "naive_sweep", "sweep"]

INPUTS = ("constant", "noise")
SWEEP_FAMILIES = ("ones", "default", "normal", "bilinear", "hold")
_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}

COLUMNS = {
    "ndim": "number of spatial axes (the geometry is the same on every axis)",
    "kernel_size": "k",
    "stride": "s",
    "padding": "p",
    "output_padding": "op",
    "dilation": "d",
    "kernel": "kernel family (ones, default, normal, bilinear, hold)",
    "seed": "seed of the kernel (deterministic families: the first seed only)",
    "input": "constant (all ones) or noise (a seeded batch of N(0, 1) images); '' if none",
    "output_size": "output length per axis, (n-1)*s - 2p + d*(k-1) + op + 1",
    "border_low": "output samples per axis before the interior (all L when it is empty)",
    "border_high": "output samples per axis after the interior (0 when it is empty)",
    "holes": "some output phase receives no tap",
    "overlap_contrast": "(max - min) / mean of the per-phase tap counts",
    "checkerboard_score": "closed form: 1 - mean(g)^2 / mean(g^2) over the phase gains",
    "noise_checkerboard": "closed form: std / mean of the noise gains",
    "harmonic_fraction": "measured: power share at the non-zero stride harmonics of the "
    "interior crop (whole periods, DC kept), pooled over the batch",
    "peak_db": "measured: strongest non-zero harmonic over the mean non-harmonic bin, dB",
}


def _values(name: str, values: Iterable[int] | int, minimum: int) -> tuple[int, ...]:
    if isinstance(values, (int, np.integer)) and not isinstance(values, bool):
        values = [values]
    try:
        items = list(values)
    except TypeError:
        raise TypeError(f"{name} must be an int or an iterable of ints, got {values!r}") from None
    out = tuple(sorted({check_int(f"{name} entry", v, minimum=minimum) for v in items}))
    if not out:
        raise ValueError(f"{name} must not be empty (got {values!r})")
    return out


@dataclass(frozen=True)
class _Chunk:
    """One unit of work: a (stride, dilation) pair and a set of (family, k, seed) kernels."""

    ndim: int
    stride: int
    dilation: int
    kernels: tuple[tuple[str, int, int], ...]
    paddings: tuple[int, ...] | None
    output_paddings: tuple[int, ...]
    inputs: tuple[str, ...]
    input_size: int
    batch: int
    device: str
    memory_bytes: int
    dtype: str = "float32"

    def key(self) -> str:
        spec = asdict(self)
        spec.pop("device")  # results do not depend on where they ran
        spec.pop("memory_bytes")
        spec["version"] = 2
        blob = json.dumps(spec, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:20]


def _kernel(family: str, k: int, s: int, ndim: int, seed: int) -> np.ndarray:
    return make_kernel(
        family, k if family not in ("bilinear", "hold") else None, s, ndim=ndim, seed=seed
    )


def _family_sizes(family: str, sizes: Sequence[int], s: int) -> list[int]:
    """Kernel sizes at which a family exists: bilinear and hold are fixed by the stride."""
    if family == "bilinear":
        k = 2 * s - s % 2
    elif family == "hold":
        k = s
    else:
        return list(sizes)
    return [k] if k in sizes else []


def _input_batch(kind: str, n: int, ndim: int, batch: int) -> torch.Tensor:
    if kind == "constant":
        return torch.ones((1, 1, *(n,) * ndim), dtype=torch.float64)
    gen = torch.Generator().manual_seed(12345)  # the same noise for every kernel and chunk
    return torch.randn((batch, 1, *(n,) * ndim), generator=gen, dtype=torch.float64)


def _phase_power(y: torch.Tensor, s: int, ndim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Summed |DFT|^2 at the harmonic bins (DC first) and Parseval total, per channel.

    ``y`` is a crop ``(B, C, *(q*s,)*ndim)``; returns ``(C, s**ndim)`` and ``(C,)``.
    """
    b, c = y.shape[:2]
    q = y.shape[2] // s
    # one contiguous float64 copy makes both reductions fast and exact enough (measured 3x
    # faster than reducing the strided float32 crop with an upcast)
    y = y.to(torch.float64, memory_format=torch.contiguous_format).contiguous()
    sums = y.reshape(b, c, *([q, s] * ndim)).sum(dim=tuple(2 + 2 * a for a in range(ndim)))
    spec = torch.fft.fftn(sums, dim=tuple(range(2, 2 + ndim)))  # (B, C, s, ..., s)
    harmonic = (spec.real**2 + spec.imag**2).sum(0).reshape(c, -1)
    flat = y.reshape(b * c, 1, -1)
    squares = torch.bmm(flat, flat.transpose(1, 2)).reshape(b, c)  # BLAS dot products
    total = (q * s) ** ndim * squares.sum(0)
    return harmonic, total


def _measure(
    chunk: _Chunk, padded: np.ndarray, sizes: np.ndarray, dev: torch.device, timer: list[float]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Measured (harmonic fraction, peak dB) per kernel, for every input.

    Kernels of the same size run as the output channels of one ``conv_transpose`` in the
    chunk's dtype; the reductions (per-phase sums, sum of squares) accumulate in float64.
    """
    nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
    dtype = getattr(torch, chunk.dtype)
    itemsize = torch.finfo(dtype).bits // 8
    results = {}
    for kind in chunk.inputs:
        x_all = _input_batch(kind, n, nd, chunk.batch).to(dev, dtype)
        harm = np.zeros((len(sizes), s**nd))
        total = np.zeros(len(sizes))
        for k in np.unique(sizes):
            sel = np.flatnonzero(sizes == k)
            lo, hi = (k - 1) * d, (n - 1) * s  # the interior, in padding-0 coordinates
            length = (hi - lo + 1) // s * s
            if length < s:
                continue
            w_all = torch.as_tensor(padded[(sel, *(slice(0, k),) * nd)], dtype=dtype)[None]
            # bound memory per call: output plus torch's column buffer, per item and channel
            per = itemsize * (((n - 1) * s + d * (k - 1) + 1) ** nd + k**nd * n**nd)
            channels = max(1, min(len(sel), chunk.memory_bytes // per))
            items = max(1, min(x_all.shape[0], chunk.memory_bytes // (per * channels)))
            for c0 in range(0, len(sel), channels):
                w = w_all[:, c0 : c0 + channels].to(dev)
                hp = torch.zeros((w.shape[1], s**nd), dtype=torch.float64, device=dev)
                tp = torch.zeros(w.shape[1], dtype=torch.float64, device=dev)
                for b0 in range(0, x_all.shape[0], items):
                    if dev.type == "cuda":
                        torch.cuda.synchronize(dev)
                    t0 = time.perf_counter()
                    y = _CONV_T[nd](x_all[b0 : b0 + items], w, stride=s, dilation=d)
                    if dev.type == "cuda":
                        torch.cuda.synchronize(dev)
                    timer[0] += time.perf_counter() - t0
                    h, t = _phase_power(y[(Ellipsis, *(slice(lo, lo + length),) * nd)], s, nd)
                    hp += h
                    tp += t
                harm[sel[c0 : c0 + channels]] = hp.cpu().numpy()
                total[sel[c0 : c0 + channels]] = tp.cpu().numpy()
        # the crop, hence the number of bins, depends on each kernel's size
        bins = np.array([max((n - 1) * s - (k - 1) * d + 1, 0) // s * s for k in sizes]) ** nd
        frac, db = stats_from_harmonics(harm, total, bins)
        empty = bins == 0
        results[kind] = (np.where(empty, np.nan, frac), np.where(empty, np.nan, db))
    return results


def _run_chunk(chunk: _Chunk) -> pd.DataFrame:
    """Score every kernel of a chunk at every padding; measured scores once per kernel."""
    nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
    dev = select_device(chunk.device)
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
    timer = [0.0]
    measured = {}
    if chunk.inputs:
        measured = _measure(chunk, padded, sizes, dev, timer)
    # every valid (kernel, padding, output padding), vectorised; measured values repeat
    idx, pad, opad = [], [], []
    for i, k in enumerate(sizes):
        pads = np.arange(k) if chunk.paddings is None else np.asarray(chunk.paddings)
        pp, oo = np.meshgrid(
            pads, [op for op in chunk.output_paddings if op < max(s, d)], indexing="ij"
        )
        pp, oo = pp.ravel(), oo.ravel()
        ok = (n - 1) * s - 2 * pp + d * (k - 1) + oo + 1 >= 1
        idx.append(np.full(ok.sum(), i))
        pad.append(pp[ok])
        opad.append(oo[ok])
    idx, pad, opad = (np.concatenate(v).astype(np.int64) for v in (idx, pad, opad))
    k = sizes[idx]
    length = (n - 1) * s - 2 * pad + d * (k - 1) + opad + 1
    # interior [lo, hi] per axis; border_low + interior + border_high == length
    lo, hi = (k - 1) * d - pad, (n - 1) * s - pad
    empty = np.minimum(hi, length - 1) < np.maximum(lo, 0)
    base = {
        "ndim": np.full(len(idx), nd),
        "kernel_size": k,
        "stride": np.full(len(idx), s),
        "padding": pad,
        "output_padding": opad,
        "dilation": np.full(len(idx), d),
        "kernel": np.array([f for f, _, _ in chunk.kernels], dtype=object)[idx],
        "seed": np.array([sd for _, _, sd in chunk.kernels], dtype=np.int64)[idx],
        "output_size": length,
        "border_low": np.where(empty, length, np.clip(lo, 0, length)),
        "border_high": np.where(empty, 0, np.clip(length - 1 - hi, 0, length)),
        "holes": np.array([holes[x] for x in sizes], dtype=bool)[idx],
        "overlap_contrast": np.array([contrast[x] for x in sizes])[idx],
        "checkerboard_score": cb[idx],
        "noise_checkerboard": ncb[idx],
    }
    parts = []
    for kind in chunk.inputs or ("",):
        frac, db = measured[kind] if kind else (np.full(len(sizes), np.nan),) * 2
        parts.append(
            pd.DataFrame(
                {**base, "input": kind, "harmonic_fraction": frac[idx], "peak_db": db[idx]},
                columns=list(COLUMNS),
            )
        )
    frame = pd.concat(parts, ignore_index=True)
    frame.attrs["conv_seconds"] = timer[0]
    return frame


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
    memory_bytes,
    chunk_kernels,
    dtype,
) -> list[_Chunk]:
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    ks = _values("kernel_sizes", kernel_sizes, 1)
    ss = _values("strides", strides, 1)
    ds = _values("dilations", dilations, 1)
    ops = _values("output_paddings", output_paddings, 0)
    ps = None if paddings is None else _values("paddings", paddings, 0)
    sd = _values("seeds", seeds, 0)
    nd = check_ndim(ndim)
    n = check_int("input_size", input_size, minimum=1)
    b = check_int("batch", batch, minimum=1)
    if isinstance(kernels, str):
        kernels = (kernels,)
    kernels = tuple(kernels)
    if not kernels:
        raise ValueError("kernels must not be empty")
    for fam in kernels:
        if fam not in SWEEP_FAMILIES:
            raise ValueError(
                f"kernels entries must be among {SWEEP_FAMILIES}, got {fam!r}"
                + (" (icnr is scored through the upsamplers module)" if fam in FAMILIES else "")
            )
    if isinstance(inputs, str):
        inputs = (inputs,)
    inputs = tuple(inputs)
    for kind in inputs:
        if kind not in INPUTS:
            raise ValueError(f"inputs entries must be among {INPUTS}, got {kind!r}")
    dev = str(select_device(device))
    chunks = []
    for s in ss:
        for d in ds:
            work = [
                (fam, k, seed)
                for fam in kernels
                for k in _family_sizes(fam, ks, s)
                for seed in (sd if fam in ("default", "normal") else sd[:1])
            ]
            for i in range(0, len(work), chunk_kernels):
                chunks.append(
                    _Chunk(
                        nd,
                        s,
                        d,
                        tuple(work[i : i + chunk_kernels]),
                        ps,
                        ops,
                        inputs,
                        n,
                        b,
                        dev,
                        memory_bytes,
                        dtype,
                    )
                )
    if not chunks:
        raise ValueError(
            f"no kernel of {kernels} exists on this grid: bilinear needs kernel_size "
            "2*s - s%2 and hold kernel_size s, for a stride s in strides"
        )
    return chunks


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    write_atomic(path, buf.getvalue())


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
    inputs: Sequence[str] = ("constant", "noise"),
    device: str | torch.device | None = None,
    executor: Executor | None = None,
    cache: str | Path | None = None,
    progress: bool = True,
    memory_mb: int = 128,
    chunk_kernels: int = 64,
    dtype: str = "float32",
) -> pd.DataFrame:
    """Score a whole grid of transposed-convolution geometries, as one tidy DataFrame.

    Parameters
    ----------
    kernel_sizes, strides, dilations : int or iterable of int
        The grid (same value on every spatial axis).
    paddings : iterable of int, optional
        None: every padding ``0 .. k-1`` for each kernel size. Configurations torch rejects
        (output size below 1, ``op >= max(s, d)``) are left out.
    output_paddings : iterable of int
    ndim : int
        1, 2 or 3 spatial axes.
    kernels : sequence of str
        Families: ``ones``, ``default`` (torch's ConvTranspose init), ``normal``,
        ``bilinear`` and ``hold`` (these two only at the size their stride fixes).
    seeds : iterable of int
        Seeds of the random families; deterministic families use the first seed only.
    input_size, batch : int
        Input side length; number of noise images.
    inputs : sequence of str
        ``constant`` and/or ``noise``; empty for closed-form scores only (fast).
    device : optional
        Where ``conv_transpose`` runs (default: CUDA, then MPS, then CPU).
    executor : concurrent.futures.Executor, optional
        Runs the chunks, e.g. ``dask.distributed.Client(...).get_executor()`` for a cluster.
        Results are identical to the in-process run.
    cache : path, optional
        Folder for finished chunks (Parquet, written atomically): a repeated or interrupted
        sweep reads what is there and computes only what is missing.
    progress : bool
        Show a ``tqdm`` progress bar over chunks.
    memory_mb : int
        Upper bound on one ``conv_transpose`` output, in MiB.
    chunk_kernels : int
        Kernels per chunk.
    dtype : {"float32", "float64"}
        Precision of ``conv_transpose`` (float64 on CPU is ~20x slower); the reductions
        always accumulate in float64.

    Returns
    -------
    pandas.DataFrame
        One row per configuration × kernel × seed × input; columns and meanings in
        :data:`COLUMNS`. ``attrs["conv_seconds"]`` is the time spent inside
        ``conv_transpose`` (this process's chunks), ``attrs["chunks_computed"]`` and
        ``attrs["chunks_cached"]`` count the work done and read back.

    Examples
    --------
    >>> atlas = sweep(kernel_sizes=[3, 4], strides=[2], kernels=["ones"], input_size=16,
    ...               progress=False)
    >>> atlas.groupby("kernel_size").checkerboard_score.first().round(3).tolist()
    [0.19, 0.0]
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
        check_int("memory_mb", memory_mb, minimum=1) * 2**20,
        check_int("chunk_kernels", chunk_kernels, minimum=1),
        dtype,
    )
    folder = None if cache is None else Path(cache)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    frames: dict[int, pd.DataFrame] = {}
    todo = []
    for i, chunk in enumerate(chunks):
        path = folder / f"chunk-{chunk.key()}.parquet" if folder else None
        if path is not None and path.exists():
            frames[i] = pd.read_parquet(path)
        else:
            todo.append(i)
    cached = len(frames)
    conv_seconds = 0.0
    bar = tqdm(total=len(chunks), initial=cached, disable=not progress, desc="sweep", unit="chunk")
    try:
        if executor is None:
            results = (_run_chunk(chunks[i]) for i in todo)
        else:
            results = executor.map(_run_chunk, [chunks[i] for i in todo])
        for i, frame in zip(todo, results):
            conv_seconds += frame.attrs.get("conv_seconds", 0.0)
            if folder is not None:
                _write_parquet(frame, folder / f"chunk-{chunks[i].key()}.parquet")
            frames[i] = frame
            bar.update(1)
    finally:
        bar.close()
    out = pd.concat([frames[i] for i in range(len(chunks))], ignore_index=True)
    _require_rows(out)
    out = out.astype({"holes": bool})
    out.attrs = {
        "conv_seconds": conv_seconds,
        "chunks_computed": len(todo),
        "chunks_cached": cached,
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
    inputs: Sequence[str] = ("constant", "noise"),
    device: str | torch.device | None = None,
    dtype: str = "float32",
) -> pd.DataFrame:
    """The reference the engine is tested and benchmarked against: one ``conv_transpose``
    with the real padding and one full FFT per configuration, kernel and input; closed forms
    from :mod:`artifact_lab.scores` and :mod:`artifact_lab.overlap`, one call per row."""
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
        2**30,
        10**9,
        dtype,
    )
    dev = select_device(device)
    dt = getattr(torch, dtype)
    rows = []
    for chunk in chunks:
        nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
        batches = {
            kind: _input_batch(kind, n, nd, chunk.batch).to(dev, dt) for kind in chunk.inputs
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
                    for kind in chunk.inputs or ("",):
                        frac = db = np.nan
                        if kind:
                            y = _CONV_T[nd](
                                batches[kind],
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
                        rows.append(
                            {**base, "input": kind, "harmonic_fraction": frac, "peak_db": db}
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
