"""One chunk of a sweep: closed-form scores for its kernels, the rows of every valid padding,
and the measured scores of each distinct crop, by the moments or the convolution path."""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
import pandas as pd
import torch

from ..backend import KernelTimer, exact_math
from ..core.arithmetic import phase_count_contrast
from ..core.scores import harmonic_fraction_of_gains, phase_sums
from ..core.spectral import stats_from_harmonics
from ._conv import conv_powers, default_strategy
from ._moments import moment_powers, moment_tables
from ._plan import Chunk, InputSpec, family_kernel, lag_block, valid_pairs

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


# --- one chunk --------------------------------------------------------------------------


@lru_cache(maxsize=128)
def _picture(name: str, n: int, variant: int) -> np.ndarray:
    from ..core.images import load_image

    img = load_image(name, n).numpy()
    img = np.rot90(img, variant % 4)
    return np.ascontiguousarray(img.T if variant // 4 % 2 else img)


@lru_cache(maxsize=8)
def builtin_input(kind: str, n: int, nd: int, batch: int) -> np.ndarray:
    """The input batch ``(B, n, ..., n)`` in float64 (read-only; the same in every chunk)."""
    if kind == "constant":
        arr = np.ones((1, *(n,) * nd))
    elif kind == "noise":
        gen = torch.Generator().manual_seed(12345)  # the same noise for every kernel and chunk
        arr = torch.randn((batch, 1, *(n,) * nd), generator=gen, dtype=torch.float64)
        arr = arr[:, 0].numpy()
    else:
        from ..core.images import IMAGES

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


def input_array(spec: InputSpec, n: int, nd: int, batch: int) -> np.ndarray:
    if spec.kind == "array":
        return spec.data
    return builtin_input(spec.kind, n, nd, batch)


def _rows(chunk: Chunk, sizes: np.ndarray) -> dict[str, np.ndarray]:
    """Every valid (kernel, padding, output padding) and the crop each one measures."""
    s, d, n = chunk.stride, chunk.dilation, chunk.input_size
    # the valid (padding, output padding) pairs of each kernel size, laid end to end
    table_p, table_op, base, count = [], [], {}, {}
    at = 0
    for k in np.unique(sizes):
        pp, oo = valid_pairs(k, n, s, d, chunk.paddings, chunk.output_paddings)
        table_p.append(pp)
        table_op.append(oo)
        base[k], count[k] = at, len(pp)
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
    chunk: Chunk, padded: np.ndarray, sizes: np.ndarray, rows: dict, timer: KernelTimer
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Measured (harmonic fraction, peak dB) per row, for every input."""
    nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
    measurable = rows["crop_q"] > 0
    triples = np.stack([rows["idx"], rows["crop_lo"], rows["crop_q"]], axis=1)[measurable]
    requests, inverse = np.unique(triples, axis=0, return_inverse=True)
    kidx, lo, q = requests.T
    bins = (q * s) ** nd
    results = {}
    if len(requests) == 0:  # no interior holds a whole period: nothing to measure
        empty = np.full(len(measurable), np.nan)
        return {spec.label: (empty, empty) for spec in chunk.inputs}
    for spec in chunk.inputs:
        x = input_array(spec, n, nd, chunk.batch)
        if chunk.method == "moments":
            harm = np.zeros((len(requests), s**nd))
            sumsq = np.zeros(len(requests))
            groups: dict[tuple[int, int, int], list[int]] = {}
            for r, (i, a, m) in enumerate(requests):
                groups.setdefault((int(sizes[i]), int(a), int(m)), []).append(r)
            # stride 1 has no harmonic but DC: fraction 0 and 0 dB, whatever the powers
            if s > 1:
                tables = _tables(spec, x, chunk, sorted(groups))
                for g, rs in groups.items():
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


def _tables(spec: InputSpec, x: np.ndarray, chunk: Chunk, crops: list[tuple[int, int, int]]):
    """Moment tables per crop ``(k, lo, q)``, computed together (they share the lag
    products) and kept for the next chunks of the same (stride, dilation, input)."""
    s, d = chunk.stride, chunk.dilation
    ident = (spec.kind, spec.digest, chunk.input_size, chunk.ndim, chunk.batch, s, d)
    with _SHARED_LOCK:
        found = {c: _TABLES[(*ident, *c)] for c in crops if (*ident, *c) in _TABLES}
    missing = [c for c in crops if c not in found]
    if missing:
        fresh = moment_tables(x, s, d, missing, block_bytes=lag_block(chunk.budget))
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


def clear_caches() -> None:
    """Forget the inputs and moment tables kept across chunks (for cold timings)."""
    with _SHARED_LOCK:
        _TABLES.clear()
        _DEVICE_INPUTS.clear()
    builtin_input.cache_clear()
    _picture.cache_clear()


def _device_input(spec: InputSpec, n: int, nd: int, batch: int, device: str, dtype: str):
    """The input batch ``(B, 1, n, ...)`` on the device, kept across chunks (a few only)."""
    key = (spec.kind, spec.digest, n, nd, batch, device, dtype)
    with _SHARED_LOCK:
        if key not in _DEVICE_INPUTS:
            if len(_DEVICE_INPUTS) >= 4:
                _DEVICE_INPUTS.pop(next(iter(_DEVICE_INPUTS)))
            x = torch.from_numpy(np.array(input_array(spec, n, nd, batch)))[:, None]
            _DEVICE_INPUTS[key] = x.to(device=device, dtype=getattr(torch, dtype))
        return _DEVICE_INPUTS[key]


def run_chunk(chunk: Chunk) -> pd.DataFrame:
    """Score every kernel of a chunk at every padding; one measurement per distinct crop."""
    nd, s, d = chunk.ndim, chunk.stride, chunk.dilation
    kerns = [family_kernel(f, k, s, nd, seed) for f, k, seed in chunk.kernels]
    sizes = np.array([kern.shape[0] for kern in kerns])
    kmax = int(sizes.max())
    padded = np.zeros((len(kerns), *(kmax,) * nd))
    for i, kern in enumerate(kerns):
        padded[(i, *(slice(0, kern.shape[0]),) * nd)] = kern
    # closed form, vectorised over the kernels (padding only rolls the phases)
    gains = phase_sums(padded, nd, s, d, 0)
    noise = phase_sums(padded**2, nd, s, d, 0)
    axes = tuple(range(1, nd + 1))
    cb = harmonic_fraction_of_gains(gains, nd)
    e_mean = noise.mean(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        ncb = np.where(e_mean > 0, noise.std(axis=axes) / np.where(e_mean > 0, e_mean, 1), 0.0)
    counts_1d = {k: np.bincount((np.arange(k) * d) % s, minlength=s) for k in np.unique(sizes)}
    contrast = {k: phase_count_contrast((k,) * nd, (s,) * nd, (d,) * nd) for k in counts_1d}
    holes = {k: bool(c.min() == 0) for k, c in counts_1d.items()}
    rows = _rows(chunk, sizes)
    idx = rows["idx"]
    timer = KernelTimer(torch.device(chunk.device))
    measured = {}
    if chunk.inputs:
        with exact_math():
            measured = _measure(chunk, padded, sizes, rows, timer)
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
    return frame
