"""Inspecting a large folder: time per image and peak memory, streaming against loading all.

Usage::

    .venv/bin/python benchmarks/bench_inspect.py                  # 200 images, made here
    .venv/bin/python benchmarks/bench_inspect.py --make big --count 10000
    .venv/bin/python benchmarks/bench_inspect.py --folder big

Each measurement runs in a fresh process (its peak resident memory is its own); wall and CPU
time are both given, since a shared machine stretches the first. The folder
holds 256 x 256 8-bit grey PNGs: random crops of scikit-image's pictures with a period-2
grid of 1 grey level RMS planted, so the inspection has a grid to find. The baseline is what a
user would write instead: read every file into one array, then one batched FFT of it (the
averaged spectrum, without any test); its memory grows with the number of files.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
import numpy as np
mode, folder = sys.argv[1], sys.argv[2]
t0, c0 = time.perf_counter(), time.process_time()
if mode == "inspect":
    import artifact_lab as al
    res = al.inspect(folder, device=sys.argv[3] if len(sys.argv) > 3 else None)
    n, found = res.maps, [list(p) for p in res.found.period]
else:
    from pathlib import Path
    from PIL import Image
    paths = sorted(Path(folder).glob("*.png"))
    x = np.stack([np.asarray(Image.open(p), dtype=np.float64) / 255 for p in paths])
    spec = (np.abs(np.fft.fft2(x - x.mean(axis=(1, 2), keepdims=True))) ** 2).mean(0)
    n, found = len(x), []
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"maps": n, "seconds": seconds, "cpu": cpu, "peak_mb": rss, "found": found}))
"""


def make_folder(folder: Path, count: int, size: int = 256, seed: int = 0) -> None:
    """``count`` PNGs of planted pictures in ``folder`` (made once, then reused)."""
    import numpy as np
    from PIL import Image

    from artifact_lab.inspection import power

    folder.mkdir(parents=True, exist_ok=True)
    done = len(list(folder.glob("*.png")))
    for start in range(done, count, 100):
        n = min(100, count - start)
        x = power.plant(power.maps("pictures", n, size, seed=seed + start), 1.0)
        for i, m in enumerate(x):
            Image.fromarray((m * 255).round().astype(np.uint8)).save(
                folder / f"img{start + i:05d}.png"
            )


def run(mode: str, folder: Path, device: str | None) -> dict:
    args = [sys.executable, "-c", CHILD, mode, str(folder)] + ([device] if device else [])
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", help="an existing folder of PNGs")
    parser.add_argument("--make", help="make (or complete) a folder here first")
    parser.add_argument("--count", type=int, default=200, help="images to make (default 200)")
    parser.add_argument("--device", help="device for inspect (default: auto)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the load-all baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.folder or args.make or tmp)
        if args.make or not args.folder:
            t0 = time.perf_counter()
            make_folder(folder, args.count)
            print(f"made {args.count} images in {time.perf_counter() - t0:.0f} s")
        ours = run("inspect", folder, args.device)
        per = ours["seconds"] / ours["maps"] * 1000
        cpu = ours["cpu"] / ours["maps"] * 1000
        print(
            f"inspect (streaming): {ours['maps']} images, {ours['seconds']:.1f} s, "
            f"{per:.1f} ms per image ({cpu:.1f} ms of CPU), peak RSS {ours['peak_mb']:.0f} MB, "
            f"found {ours['found']}"
        )
        if not args.no_baseline:
            base = run("load-all", folder, None)
            bper = base["seconds"] / base["maps"] * 1000
            print(
                f"load all + one FFT (baseline): {base['seconds']:.1f} s, {bper:.1f} ms per "
                f"image, peak RSS {base['peak_mb']:.0f} MB"
            )
            print(
                f"ratios, inspect / baseline: time {ours['seconds'] / base['seconds']:.2f}, "
                f"CPU {ours['cpu'] / base['cpu']:.2f}, "
                f"peak memory {ours['peak_mb'] / base['peak_mb']:.2f}"
            )


if __name__ == "__main__":
    main()
