"""Sweep engine against the naive per-configuration loop, in one run on the same inputs.

Reference grid (issue: sweep engine): 2-D, k 1..12, s 1..6, every padding 0..k-1,
d 1..2, 4 random kernels, a batch of 8 noise images 64x64 -> 3,744 configurations.

Prints configurations per second of (a) the naive loop (one conv_transpose with the real
padding and one full FFT per configuration) and (b) ``sweep``, their ratio, the largest
absolute difference of every score, the share of the engine's time spent inside
``conv_transpose``, the closed-form-only rate on a grid of more than 10^6 configurations,
and the peak memory of each stage (each stage runs in its own process, so peaks are its
own). On CUDA the engine also runs on the GPU. Ratios, not absolute times, are the result:
this machine is shared and noisy.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_sweep.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REFERENCE = dict(
    kernel_sizes=range(1, 13),
    strides=range(1, 7),
    dilations=(1, 2),
    kernels=("normal",),
    seeds=range(4),
    input_size=64,
    batch=8,
    inputs=("noise",),
)
QUICK = dict(REFERENCE, kernel_sizes=range(1, 7), strides=range(1, 4), input_size=32)
QUICK64 = dict(QUICK, dtype="float64")
CLOSED = dict(
    kernel_sizes=range(1, 33),
    strides=range(1, 17),
    dilations=(1, 2, 3, 4),
    kernels=("normal",),
    seeds=range(30),
    inputs=(),
)
KEYS = ["kernel_size", "stride", "padding", "output_padding", "dilation", "kernel", "seed", "input"]
SCORES = [
    "overlap_contrast",
    "checkerboard_score",
    "noise_checkerboard",
    "harmonic_fraction",
    "peak_db",
]


def _stage(name: str, grid: dict, out: Path, device: str | None) -> dict:
    import torch

    from artifact_lab.sweep import naive_sweep, sweep

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    if name == "naive":
        frame = naive_sweep(**grid, device=device)
    else:
        frame = sweep(**grid, device=device, progress=False)
    seconds = time.perf_counter() - start
    frame.to_parquet(out)
    info = {
        "seconds": seconds,
        "rows": len(frame),
        "conv_seconds": frame.attrs.get("conv_seconds"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if device == "cuda":
        info["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return info


def _run(name: str, grid: str, out: Path, device: str | None) -> dict:
    cmd = [sys.executable, __file__, "--stage", name, "--grid", grid, "--out", str(out)]
    if device:
        cmd += ["--device", device]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        raise SystemExit(f"stage {name} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a smaller grid (for a smoke run)")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--grid", default="reference", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--device", default=None, help="cpu or cuda (default: the engine's choice)")
    args = ap.parse_args()
    grids = {"reference": REFERENCE, "quick": QUICK, "quick64": QUICK64, "closed": CLOSED}
    if args.stage:
        print(json.dumps(_stage(args.stage, grids[args.grid], Path(args.out), args.device)))
        return

    import numpy as np
    import pandas as pd
    import torch

    grid = "quick" if args.quick else "reference"
    device = args.device or "cpu"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        naive = _run("naive", grid, tmp / "naive.parquet", device)
        engine = _run("engine", grid, tmp / "engine.parquet", device)
        a = pd.read_parquet(tmp / "naive.parquet").sort_values(KEYS).reset_index(drop=True)
        b = pd.read_parquet(tmp / "engine.parquet").sort_values(KEYS).reset_index(drop=True)
        assert len(a) == len(b) and (a[KEYS].values == b[KEYS].values).all(), "rows differ"
        diffs = {
            c: float(np.nanmax(np.abs(a[c].to_numpy(float) - b[c].to_numpy(float)))) for c in SCORES
        }
        closed = _run("engine", "closed", tmp / "closed.parquet", device)
        # float32 rounding of the conv outputs differs between torch's padded and unpadded
        # algorithms; in float64 the two paths must agree to rounding of the reductions
        _run("naive", "quick64", tmp / "n64.parquet", device)
        _run("engine", "quick64", tmp / "e64.parquet", device)
        a64 = pd.read_parquet(tmp / "n64.parquet").sort_values(KEYS).reset_index(drop=True)
        b64 = pd.read_parquet(tmp / "e64.parquet").sort_values(KEYS).reset_index(drop=True)
        diffs64 = {
            c: float(np.nanmax(np.abs(a64[c].to_numpy(float) - b64[c].to_numpy(float))))
            for c in SCORES
        }
        gpu = None
        if torch.cuda.is_available():
            gpu = _run("engine", grid, tmp / "gpu.parquet", "cuda")
            g = pd.read_parquet(tmp / "gpu.parquet").sort_values(KEYS).reset_index(drop=True)
            gpu["max_diff_vs_cpu"] = float(
                max(np.nanmax(np.abs(g[c].to_numpy(float) - b[c].to_numpy(float))) for c in SCORES)
            )
    rows = naive["rows"]
    print(f"grid: {grid} ({rows} configurations x inputs), device {device}, conv in float32")
    print(
        f"naive loop : {rows / naive['seconds']:10.0f} configs/s  ({naive['seconds']:.2f} s, "
        f"peak RSS {naive['peak_rss_mb']:.0f} MB)"
    )
    print(
        f"sweep      : {rows / engine['seconds']:10.0f} configs/s  ({engine['seconds']:.2f} s, "
        f"peak RSS {engine['peak_rss_mb']:.0f} MB)"
    )
    print(f"speed-up   : {naive['seconds'] / engine['seconds']:.1f}x  (target >= 30x)")
    print(
        "conv_transpose share of the engine's time: "
        f"{engine['conv_seconds'] / engine['seconds']:.0%}"
        f"  (engine / conv_transpose alone = {engine['seconds'] / engine['conv_seconds']:.2f}x,"
        f" target <= 2x)"
    )
    print(
        "max |naive - sweep|: "
        + ", ".join(f"{c} {v:.1e}" for c, v in diffs.items())
        + "  (target <= 1e-6)"
    )
    print(
        "float64, quick grid, max |naive - sweep|: "
        + ", ".join(f"{c} {v:.1e}" for c, v in diffs64.items())
    )
    print(
        f"closed form only: {closed['rows']:,} configurations in {closed['seconds']:.2f} s = "
        f"{closed['rows'] / closed['seconds']:,.0f} configs/s (target: 10^6 in < 10 s), "
        f"peak RSS {closed['peak_rss_mb']:.0f} MB"
    )
    if gpu:
        print(
            f"GPU sweep  : {rows / gpu['seconds']:10.0f} configs/s ({gpu['seconds']:.2f} s), "
            f"conv share {gpu['conv_seconds'] / gpu['seconds']:.0%}, GPU peak "
            f"{gpu['gpu_peak_mb']:.0f} MB, max diff vs CPU {gpu['max_diff_vs_cpu']:.1e}"
        )


if __name__ == "__main__":
    main()
