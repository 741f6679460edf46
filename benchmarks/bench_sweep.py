"""Sweep engine against the loop a user would write, on the same inputs, in one process.

Reference grid: 2-D, k 1..12, s 1..6, every padding 0..k-1, d 1..2, 4 random
kernels, a batch of 8 noise images 64x64 -> 3,744 configurations.

Stages (each in a fresh process, so every peak RSS is its own):

1. The plain user loop and the engine in one process: one ``conv_transpose2d`` per
   configuration, an FFT of the interior crop and the harmonic fraction (``.item()``),
   best of 2, against ``sweep(method="moments")`` (what the default picks here) and
   ``sweep(method="conv")``, each best of 3 and cold (no moment tables or inputs kept
   between runs), interleaved; their ratio and the largest difference of the numbers.
2. ``naive_sweep`` (the project's own per-row reference) on the same grid.
3. float64 agreement of every path on a smaller grid: moments, conv and naive_sweep.
4. A large workload: more than 10^6 measured (configuration x seed x input) rows, 2-D,
   64x64, batch 8 (noise, real images and the constant input), with time and peak RSS.
5. Closed-form scores only, on more than 10^6 configurations.
6. ``method="moments"`` against ``method="conv"`` on other workloads (1-D to 3-D, one
   kernel to many), to show where each exact path is faster.
7. On CUDA: the conv path on the GPU (warm), its kernel time from CUDA events, a user's
   CUDA loop in the same process, achieved throughput on a large grid and GPU memory.

Ratios measured in one process are the result: the machine may be shared and noisy.

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
FLOAT64 = dict(
    QUICK,
    input_size=16,
    batch=4,
    dilations=(1, 2, 3),
    output_paddings=(0, 1),
    paddings=range(0, 12),  # beyond d*(k-1) too: crops that cut into the interior
    inputs=("constant", "noise", "images"),
    dtype="float64",
)
# 936 configurations x 357 seeds x 3 inputs = 1,002,456 measured rows
LARGE = dict(REFERENCE, seeds=range(357), inputs=("noise", "images", "constant"))
LARGE_QUICK = dict(LARGE, seeds=range(12))
CLOSED = dict(
    kernel_sizes=range(1, 33),
    strides=range(1, 17),
    dilations=(1, 2, 3, 4),
    kernels=("normal",),
    seeds=range(30),
    inputs=(),
)
GPU_LARGE = dict(REFERENCE, input_size=128, batch=16, seeds=range(16), dtype="float32")
GRIDS = {
    "reference": REFERENCE,
    "quick": QUICK,
    "float64": FLOAT64,
    "large": LARGE,
    "large-quick": LARGE_QUICK,
    "closed": CLOSED,
    "gpu-large": GPU_LARGE,
}
KEYS = ["kernel_size", "stride", "padding", "output_padding", "dilation", "kernel", "seed", "input"]
SCORES = [
    "overlap_contrast",
    "checkerboard_score",
    "noise_checkerboard",
    "harmonic_fraction",
    "peak_db",
]


def user_loop(grid: dict, device: str) -> list[tuple]:
    """The loop a user writes: one conv_transpose2d, one FFT, one number per configuration.

    Same kernels (``make_kernel``) and the same noise batch as the engine, float32.
    """
    import torch
    import torch.nn.functional as F

    from artifact_lab.core.kernels import make_kernel

    n, b = grid["input_size"], grid["batch"]
    gen = torch.Generator().manual_seed(12345)
    x = torch.randn((b, 1, n, n), generator=gen, dtype=torch.float64).float().to(device)
    out = []
    for s in grid["strides"]:
        for d in grid["dilations"]:
            for k in grid["kernel_sizes"]:
                for seed in grid["seeds"]:
                    kern = make_kernel("normal", k, s, ndim=2, seed=seed)
                    w = torch.as_tensor(kern, dtype=torch.float32, device=device)[None, None]
                    for p in range(k):
                        y = F.conv_transpose2d(x, w, stride=s, padding=p, dilation=d)
                        lo = (k - 1) * d - p  # the interior, in the output's coordinates
                        length = ((n - 1) * s - p - lo + 1) // s * s
                        frac = float("nan")
                        if length >= s:
                            crop = y[..., lo : lo + length, lo : lo + length]
                            power = torch.fft.fft2(crop).abs() ** 2
                            q = length // s
                            harmonic = power[..., ::q, ::q].sum() - power[..., 0, 0].sum()
                            frac = (harmonic / power.sum()).item()
                        out.append((k, s, p, d, seed, frac))
    return out


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stage_compare(grid: dict, device: str) -> dict:
    """User loop best of 2, each engine path best of 3, interleaved and cold (no tables or
    inputs kept from an earlier run), in the same process after a warm-up of every path."""
    import numpy as np
    import pandas as pd

    from artifact_lab.atlas._chunk import clear_caches
    from artifact_lab.atlas.sweep import sweep

    small = dict(grid, kernel_sizes=range(1, 3), strides=range(1, 3))
    user_loop(small, device)
    for method in ("moments", "conv"):
        sweep(**small, method=method, device=device, progress=False)
    times = {"user": [], "moments": [], "conv": []}
    frames = {}
    for round_ in range(3):  # interleaved, so a burst of load on the machine hits both
        if round_ < 2:
            t0 = time.perf_counter()
            rows = user_loop(grid, device)
            times["user"].append(time.perf_counter() - t0)
        for method in ("moments", "conv"):
            clear_caches()
            t0 = time.perf_counter()
            frames[method] = sweep(**grid, method=method, device=device, progress=False)
            times[method].append(time.perf_counter() - t0)
    user = pd.DataFrame(rows, columns=["kernel_size", "stride", "padding", "dilation", "seed", "f"])
    keys = ["kernel_size", "stride", "padding", "dilation", "seed"]
    diffs = {}
    for method, frame in frames.items():
        both = user.merge(frame, on=keys, validate="one_to_one")
        assert len(both) == len(user) == len(frame), "the two loops cover different rows"
        diffs[method] = float(np.nanmax(np.abs(both.f - both.harmonic_fraction)))
    return {
        "rows": len(user),
        "seconds": {m: min(v) for m, v in times.items()},
        "all_seconds": times,
        "conv_seconds": frames["conv"].attrs["conv_seconds"],
        "auto_methods": sweep(**grid, device=device, progress=False).attrs["methods"],
        "max_diff_vs_user": diffs,
        "peak_rss_mb": _peak_mb(),
    }


# Where each exact path is faster: one process, cold, best of 2 (see benchmarks/README.md).
SCENARIOS = {
    "2-D k1-8 s1-4, defaults": dict(kernel_sizes=range(1, 9), strides=range(1, 5)),
    "2-D one k4/s2 kernel, 64^2": dict(kernel_sizes=[4], strides=[2], paddings=[1]),
    "2-D one k16/s2 kernel, 128^2": dict(
        kernel_sizes=[16], strides=[2], paddings=[0], input_size=128
    ),
    "2-D one k3/s2 kernel, 512^2, batch 16": dict(
        kernel_sizes=[3], strides=[2], paddings=[0], input_size=512, batch=16
    ),
    "1-D k2-62 s2-8, n=4096": dict(
        kernel_sizes=range(2, 63, 6), strides=range(2, 9, 2), ndim=1, paddings=[0], input_size=4096
    ),
    "3-D k1-6 s1-3, 2 seeds, 12^3": dict(
        kernel_sizes=range(1, 7),
        strides=range(1, 4),
        ndim=3,
        seeds=range(2),
        input_size=12,
        batch=2,
    ),
    "3-D one k4/s2 kernel, 16^3": dict(
        kernel_sizes=[4], strides=[2], ndim=3, paddings=[1], input_size=16, batch=4
    ),
    "3-D one k8/s2/d2 kernel, 24^3": dict(
        kernel_sizes=[8], strides=[2], dilations=[2], ndim=3, paddings=[0], input_size=24, batch=2
    ),
}


def _stage_methods() -> dict:
    from artifact_lab.atlas._chunk import clear_caches
    from artifact_lab.atlas.sweep import sweep

    base = dict(kernels=("normal",), input_size=64, batch=8, inputs=("noise",), progress=False)
    for method in ("moments", "conv"):
        sweep(kernel_sizes=[2], strides=[2], method=method, progress=False)
    out = {}
    for name, grid in SCENARIOS.items():
        kw = dict(base, **grid)
        if name.endswith("defaults"):
            kw = dict(grid, progress=False)
        best = {}
        for _ in range(2):
            for method in ("moments", "conv"):
                clear_caches()
                t0 = time.perf_counter()
                frame = sweep(**kw, method=method)
                best[method] = min(best.get(method, 1e9), time.perf_counter() - t0)
        out[name] = {**best, "rows": len(frame)}
    return out


def _stage_sweep(name: str, grid: dict, out: Path, device: str | None, method: str) -> dict:
    import torch

    from artifact_lab.atlas.sweep import naive_sweep, sweep

    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    if name == "naive":
        frame = naive_sweep(**grid, device=device)
    else:
        frame = sweep(**grid, method=method, device=device, progress=False)
    seconds = time.perf_counter() - start
    frame.to_parquet(out)
    info = {
        "seconds": seconds,
        "rows": len(frame),
        "conv_seconds": frame.attrs.get("conv_seconds"),
        "estimated_seconds": frame.attrs.get("estimated_seconds"),
        "peak_rss_mb": _peak_mb(),
    }
    if device == "cuda":
        info["gpu_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return info


def _stage_cuda(grid: dict) -> dict:
    """Warm GPU figures in one process: engine conv path, its kernel time, a user's loop."""
    import torch

    from artifact_lab.atlas.sweep import sweep

    sweep(**grid, method="conv", device="cuda", progress=False)  # warm-up
    user_loop(dict(grid, kernel_sizes=range(1, 3)), "cuda")
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    frame = sweep(**grid, method="conv", device="cuda", progress=False)
    engine = time.perf_counter() - t0
    t0 = time.perf_counter()
    user_loop(grid, "cuda")
    torch.cuda.synchronize()
    user = time.perf_counter() - t0
    big = dict(GPU_LARGE)
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    large = sweep(**big, method="conv", device="cuda", progress=False)
    large_s = time.perf_counter() - t0
    return {
        "engine_seconds": engine,
        "kernel_seconds": frame.attrs["conv_seconds"],
        "user_seconds": user,
        "large_rows": len(large),
        "large_seconds": large_s,
        "gpu_peak_mb": torch.cuda.max_memory_allocated() / 2**20,
        "gpu_total_mb": torch.cuda.get_device_properties(0).total_memory / 2**20,
        "device_name": torch.cuda.get_device_name(0),
    }


def _run(args: list[str]) -> dict:
    cmd = [sys.executable, __file__, *args]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode:
        raise SystemExit(f"stage {args} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _diffs(a_path: Path, b_path: Path) -> dict[str, float]:
    import numpy as np
    import pandas as pd

    a = pd.read_parquet(a_path).sort_values(KEYS).reset_index(drop=True)
    b = pd.read_parquet(b_path).sort_values(KEYS).reset_index(drop=True)
    assert len(a) == len(b) and (a[KEYS].values == b[KEYS].values).all(), "rows differ"
    out = {}
    for c in SCORES:
        x, y = a[c].to_numpy(float), b[c].to_numpy(float)
        assert (np.isnan(x) == np.isnan(y)).all(), f"{c}: NaN in different rows"
        out[c] = float(np.nanmax(np.abs(x - y))) if (~np.isnan(x)).any() else 0.0
    return out


def _fmt(d: dict[str, float]) -> str:
    return ", ".join(f"{c} {v:.1e}" for c, v in d.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller grids (for a smoke run)")
    ap.add_argument("--skip-naive", action="store_true", help="leave out naive_sweep (slow)")
    ap.add_argument("--stage", help=argparse.SUPPRESS)
    ap.add_argument("--grid", default="reference", help=argparse.SUPPRESS)
    ap.add_argument("--method", default="moments", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda for stages 1-5")
    args = ap.parse_args()
    if args.stage:
        grid = GRIDS[args.grid]
        if args.stage == "compare":
            info = _stage_compare(grid, args.device)
        elif args.stage == "methods":
            info = _stage_methods()
        elif args.stage == "cuda":
            info = _stage_cuda(grid)
        else:
            info = _stage_sweep(args.stage, grid, Path(args.out), args.device, args.method)
        print(json.dumps(info))
        return

    import os

    import torch

    grid = "quick" if args.quick else "reference"
    dev = args.device
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"== grid {grid}, device {dev}, torch threads {torch.get_num_threads()}, "
        f"{os.cpu_count()} cores, load average {load}"
    )
    cmp = _run(["--stage", "compare", "--grid", grid, "--device", dev])
    rows, sec = cmp["rows"], cmp["seconds"]
    print(f"configurations: {rows:,} (x 1 input: 8 noise images)")
    for name, label in (
        ("user", "plain user loop"),
        ("moments", "sweep moments"),
        ("conv", "sweep conv"),
    ):
        print(f"  {label:<17}: {sec[name]:8.3f} s  {rows / sec[name]:>10,.0f} configs/s")
    runs = cmp["all_seconds"]
    print(
        "  every run (s): "
        + "; ".join(f"{m} " + ", ".join(f"{v:.3g}" for v in runs[m]) for m in runs)
    )
    print(f"  the default method='auto' measures these chunks by: {cmp['auto_methods']}")
    print(
        f"  speed-up over the user loop: moments {sec['user'] / sec['moments']:.0f}x "
        f"(target >= 100x), conv {sec['user'] / sec['conv']:.1f}x"
    )
    print(
        "  max |user - sweep| harmonic fraction: "
        + ", ".join(f"{m} {v:.1e}" for m, v in cmp["max_diff_vs_user"].items())
        + "  (target <= 1e-6; the user loop runs in float32)"
    )
    print(
        f"  conv path: conv_transpose {cmp['conv_seconds']:.2f} s of {sec['conv']:.2f} s "
        f"({cmp['conv_seconds'] / sec['conv']:.0%})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if not args.skip_naive:
            naive = _run(
                ["--stage", "naive", "--grid", grid, "--out", str(tmp / "n.pq"), "--device", dev]
            )
            print(
                f"  naive_sweep      : {naive['seconds']:8.3f} s  "
                f"{naive['rows'] / naive['seconds']:>10,.0f} configs/s "
                f"(moments is {naive['seconds'] / sec['moments']:.0f}x faster; the user loop "
                f"{naive['seconds'] / sec['user']:.1f}x)"
            )
        for m in ("moments", "conv"):
            _run(
                [
                    "--stage",
                    "engine",
                    "--grid",
                    "float64",
                    "--method",
                    m,
                    "--out",
                    str(tmp / f"{m}.pq"),
                    "--device",
                    dev,
                ]
            )
        _run(
            ["--stage", "naive", "--grid", "float64", "--out", str(tmp / "n64.pq"), "--device", dev]
        )
        print("float64, every padding torch accepts, constant/noise/images:")
        print(f"  max |moments - conv|  : {_fmt(_diffs(tmp / 'moments.pq', tmp / 'conv.pq'))}")
        print(f"  max |moments - naive| : {_fmt(_diffs(tmp / 'moments.pq', tmp / 'n64.pq'))}")
        big = "large-quick" if args.quick else "large"
        large = _run(
            ["--stage", "engine", "--grid", big, "--out", str(tmp / "l.pq"), "--device", dev]
        )
        print(
            f"large workload: {large['rows']:,} measured rows (config x seed x input) in "
            f"{large['seconds']:.1f} s = {large['rows'] / large['seconds']:,.0f} rows/s, peak RSS "
            f"{large['peak_rss_mb']:.0f} MB (targets: 10^6 in < 60 s, < 2 GB; the plan "
            f"estimated {large['estimated_seconds']:.1f} s)"
        )
        closed = _run(
            ["--stage", "engine", "--grid", "closed", "--out", str(tmp / "c.pq"), "--device", dev]
        )
        print(
            f"closed form only: {closed['rows']:,} configurations in {closed['seconds']:.2f} s "
            f"= {closed['rows'] / closed['seconds']:,.0f} configs/s, peak RSS "
            f"{closed['peak_rss_mb']:.0f} MB"
        )
    m = _run(["--stage", "methods"])
    print("moments against conv (float32), cold, best of 2:")
    for name, r in m.items():
        print(
            f"  {name:<38} {r['rows']:>5} rows  moments {r['moments']:7.3f} s  conv "
            f"{r['conv']:7.3f} s  ({r['conv'] / r['moments']:.1f}x)"
        )
    if torch.cuda.is_available():
        g = _run(["--stage", "cuda", "--grid", grid])
        print(f"CUDA ({g['device_name']}), warm, method='conv':")
        print(
            f"  engine {g['engine_seconds']:.3f} s against {g['kernel_seconds']:.3f} s of "
            f"conv_transpose kernel time ({g['engine_seconds'] / g['kernel_seconds']:.1f}x, "
            "target <= 2x)"
        )
        print(
            f"  user's CUDA loop {g['user_seconds']:.2f} s: engine "
            f"{g['user_seconds'] / g['engine_seconds']:.0f}x (target >= 25x)"
        )
        print(
            f"  large grid (128^2, batch 16): {g['large_rows'] / g['large_seconds']:,.0f} "
            f"configs/s, GPU peak {g['gpu_peak_mb']:.0f} of {g['gpu_total_mb']:.0f} MB"
        )
    else:
        print("CUDA: no GPU here; the GPU figures are not measured")


if __name__ == "__main__":
    main()
