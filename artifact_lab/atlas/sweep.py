"""The design-space atlas: every kernel size × stride × padding × dilation, scored.

Each row is one layer configuration with one kernel and one input. Closed-form scores are
vectorised numpy over whole kernel batches. The measured scores (harmonic fraction and
peak-to-floor ratio of the layer's real output, on its interior crop) come from one of two
exact paths, tested against each other and against :func:`naive_sweep`:

- ``method="moments"``: no convolution. The crop's per-phase sums are kernel taps times
  box sums of the input, and its sum of squares is a quadratic form in the taps whose
  matrix holds box sums of the input's lagged products (:mod:`artifact_lab.atlas._moments`).
  That matrix is shared by every kernel of the same size, so seeds are nearly free.
- ``method="conv"``: torch ``conv_transpose`` on the best device, reduced to the same two
  sums (:mod:`artifact_lab.atlas._conv`).
- ``method="auto"`` (default): the moments, except for chunks where the plan's estimates
  make the convolution at least twice as fast (measured: a single large 3-D kernel whose
  taps all meet, e.g. k=8, s=2, d=2; see benchmarks/README.md). Elsewhere the moments
  measured 1.5-20x faster than the convolution path and over 100x the plain user loop.

Padding and output padding only crop the padding-0 output. Every padding up to
``d*(k-1)`` leaves the interior unchanged, so those rows share one measurement; a larger
padding cuts into the interior itself, and such rows are measured on the samples the layer
really outputs. Work is split into chunks (one (stride, dilation) pair and a bounded set of
kernels each) that run in process or on any ``concurrent.futures.Executor`` (a Dask
cluster's included), and can be cached as verified Parquet files so an interrupted sweep
resumes where it stopped (:mod:`artifact_lab._util.store`). The memory and time a plan
needs are estimated before any work, and a plan that cannot fit is refused.
"""

from __future__ import annotations

import numbers
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .._util.checks import check_bool
from .._util.store import VerifiedStore
from ..backend import exact_math, select_device
from ..core.spectral import harmonic_stats, interior_crop
from ._chunk import COLUMNS, input_array, run_chunk
from ._plan import (
    INPUTS,
    METHODS,
    check_cache,
    check_executor,
    family_kernel,
    fits,
    make_plan,
    require_rows,
)

__all__ = ["COLUMNS", "INPUTS", "METHODS", "naive_sweep", "sweep"]


# --- running the plan -------------------------------------------------------------------


class _Inline:
    """Runs each submitted call at once (the in-process path, same loop as executors)."""

    def submit(self, fn, *args):
        fut: Future = Future()
        try:
            fut.set_result(fn(*args))
        except Exception as exc:
            fut.set_exception(exc)
        return fut


def _execute(chunks, executor, cache: VerifiedStore | None, bar) -> tuple[dict, int, int, float]:
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
                try:
                    flying[runner.submit(run_chunk, chunks[i])] = i
                except RuntimeError as exc:  # shut down meanwhile: say which argument
                    raise ValueError(f"executor refused the sweep's chunks: {exc}") from exc
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


def _check_max_seconds(max_seconds: Any) -> float | None:
    if max_seconds is None:
        return None
    if isinstance(max_seconds, bool) or not isinstance(max_seconds, numbers.Real):
        raise TypeError(f"max_seconds must be a number or None, got {max_seconds!r}")
    if not max_seconds > 0:  # NaN too
        raise ValueError(f"max_seconds must be > 0 (or None), got {max_seconds!r}")
    return float(max_seconds)


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
    method: str = "auto",
    device: str | torch.device | None = None,
    executor: Any = None,
    cache: str | Path | None = None,
    progress: bool = True,
    memory_mb: int | None = None,
    chunk_kernels: int = 64,
    dtype: str = "float32",
    max_seconds: float | None = 600.0,
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
        ``bilinear`` and ``hold`` (these two only at the size their stride fixes). A family
        given twice is swept once, as a repeated kernel size or stride is.
    seeds : iterable of int
        Seeds of the random families; deterministic families use the first seed only.
    input_size, batch : int
        Input side length; number of noise inputs or pictures.
    inputs : sequence
        Entries ``"constant"``, ``"noise"``, ``"images"`` (see :data:`COLUMNS`), or
        ``(label, array)`` pairs with an array of shape ``(B, n, ..., n)`` or ``(n, ..., n)``
        (``n = input_size``) to measure on; empty for closed-form scores only (fast).
    method : {"auto", "moments", "conv"}
        How the measured columns are computed: exactly from the inputs' moments without
        convolving (float64, on the CPU), by running ``conv_transpose`` on ``device`` in
        ``dtype``, or (default) per chunk whichever the plan estimates faster, preferring
        the moments. All give the same numbers (to float32 rounding for
        ``dtype="float32"`` convolutions).
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
        available memory. Default: at most half of the device's free memory, with chunks
        kept near 256 MiB where they can be split. A plan that cannot fit is refused before
        any work, with the smallest ``memory_mb`` that would do.
    chunk_kernels : int
        Most kernels per chunk (fewer where the memory bound asks).
    dtype : {"float32", "float64"}
        Precision of ``conv_transpose`` for ``method="conv"`` (float64 on CPU is ~20x
        slower); the reductions always accumulate in float64, and TF32 is always off.
    max_seconds : float, optional
        Refuse a plan whose estimated time exceeds this, 10 minutes by default (the
        estimate is rough: within about 3x on the development machine). None: no limit.

    Returns
    -------
    pandas.DataFrame
        One row per configuration × kernel × seed × input; columns and meanings in
        :data:`COLUMNS`. ``attrs``: ``methods`` (chunks measured by each path),
        ``conv_seconds`` (time inside ``conv_transpose``, this process's chunks),
        ``chunks_computed`` and ``chunks_cached`` (work done and read back),
        ``estimated_seconds``, ``estimated_chunk_mb`` and ``estimated_table_mb`` (the
        plan's estimates, made before the work).

    Raises
    ------
    TypeError, ValueError
        A bad argument (named, with the value and the rule), or a plan that cannot fit in
        ``memory_mb`` or the machine's memory (with how to make it fit). All before work,
        and the largest grids before the plan is even built: more than
        ``MAX_PLAN_KERNELS`` kernels, a stride of more than ``MAX_PHASES`` output phases,
        or closed forms alone estimated beyond ``max_seconds``.

    Notes
    -----
    Stride 1 has no harmonic but DC, so its measured fraction is 0 and its peak 0 dB
    whenever the interior holds a sample. The measured columns are exact for the given
    inputs: ``method="moments"`` equals
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
    chunks = make_plan(
        kernel_sizes=kernel_sizes,
        strides=strides,
        paddings=paddings,
        dilations=dilations,
        output_paddings=output_paddings,
        ndim=ndim,
        kernels=kernels,
        seeds=seeds,
        input_size=input_size,
        batch=batch,
        inputs=inputs,
        device=device,
        memory_mb=memory_mb,
        chunk_kernels=chunk_kernels,
        dtype=dtype,
        method=method,
        max_seconds=_check_max_seconds(max_seconds),
    )
    progress = check_bool("progress", progress)
    check_executor(executor)
    folder = check_cache(cache)
    estimates = fits(chunks, memory_mb, max_seconds)
    store = (
        None
        if folder is None
        else VerifiedStore(folder, prefix="chunk", what="sweep cache file", name="cache")
    )
    bar = tqdm(total=len(chunks), disable=not progress, desc="sweep", unit="chunk")
    try:
        frames, computed, cached, conv_seconds = _execute(chunks, executor, store, bar)
    finally:
        bar.close()
    out = pd.concat([frames[i] for i in range(len(chunks))], ignore_index=True)
    require_rows(out)
    out = out.astype({"holes": bool})
    out.attrs = {
        "methods": dict(Counter(c.method for c in chunks if c.inputs)),
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
    from :mod:`artifact_lab.core.scores` and :mod:`artifact_lab.core.overlap`, one call per row.

    Takes the arguments of :func:`sweep` that define the grid and gives the same frame.

    Examples
    --------
    >>> ref = naive_sweep(kernel_sizes=[3], strides=[2], inputs=["constant"], input_size=8)
    >>> len(ref), round(float(ref.harmonic_fraction.iloc[0]), 3)
    (3, 0.19)
    """
    from .._util.dims import functional
    from ..core.arithmetic import output_size
    from ..core.overlap import has_holes, interior_mask, overlap_contrast
    from ..core.scores import checkerboard_score, noise_checkerboard

    chunks = make_plan(
        kernel_sizes=kernel_sizes,
        strides=strides,
        paddings=paddings,
        dilations=dilations,
        output_paddings=output_paddings,
        ndim=ndim,
        kernels=kernels,
        seeds=seeds,
        input_size=input_size,
        batch=batch,
        inputs=inputs,
        device=device,
        memory_mb=None,
        chunk_kernels=10**9,
        dtype=dtype,
    )
    dev = select_device(device)
    dt = getattr(torch, dtype)
    rows = []
    with exact_math():
        for chunk in chunks:
            nd, s, d, n = chunk.ndim, chunk.stride, chunk.dilation, chunk.input_size
            conv_t = functional("conv_transpose", nd)
            batches = {
                spec.label: torch.from_numpy(np.array(input_array(spec, n, nd, chunk.batch)))[
                    :, None
                ].to(dev, dt)
                for spec in chunk.inputs
            }
            for family, k0, seed in chunk.kernels:
                kern = family_kernel(family, k0, s, nd, seed)
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
                                y = conv_t(
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
    require_rows(out)
    return out.astype({"holes": bool})
