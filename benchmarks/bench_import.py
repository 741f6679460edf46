"""Start-up cost of the package and the command line, against ``python -c pass``.

Each command runs in a fresh interpreter (the cost a user pays per call), ``--repeat`` times;
the median wall time is reported, absolute and as a ratio to a bare interpreter start. It
also lists which heavy modules (torch, pandas, nbformat, scipy, numpy) each command loaded.

Targets: ``import artifact_lab`` under 1 s without torch, and
``artifact-lab size`` and ``artifact-lab solve`` under 0.5 s.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_import.py [--repeat N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("torch", "pandas", "nbformat", "scipy", "numpy")
REPORT = (
    "import sys; print('loaded:' + ','.join(m for m in {heavy!r} if m in sys.modules), "
    "file=sys.stderr)"
)

CASES = {
    "import artifact_lab": "import artifact_lab",
    "al.output_size(16, 4, 2, 1)": "import artifact_lab as al; al.output_size(16, 4, 2, 1)",
    "artifact-lab size -n 16 -k 3 -s 2": (
        "from artifact_lab.cli import main; main(['size', '-n', '16', '-k', '3', '-s', '2'])"
    ),
    "artifact-lab solve 16 32": "from artifact_lab.cli import main; main(['solve', '16', '32'])",
    "artifact-lab solve 16 32 --strides 1000000000": (
        "from artifact_lab.cli import main; main(['solve', '16', '32', '--strides', '1000000000'])"
    ),
}
TARGETS = {
    "import artifact_lab": 1.0,
    "artifact-lab size -n 16 -k 3 -s 2": 0.5,
    "artifact-lab solve 16 32": 0.5,
    "artifact-lab solve 16 32 --strides 1000000000": 0.5,
}


def _time(code: str, repeat: int) -> tuple[float, str]:
    times, loaded = [], ""
    probe = code + "; " + REPORT.format(heavy=HEAVY)
    for _ in range(repeat):
        start = time.perf_counter()
        res = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        )
        times.append(time.perf_counter() - start)
        loaded = res.stderr.strip().splitlines()[-1].removeprefix("loaded:")
    return statistics.median(times), loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per command (median)")
    args = parser.parse_args()
    base, _ = _time("pass", args.repeat)
    print(f"{'command':48} {'median':>8} {'x bare':>7} {'target':>9}  heavy modules loaded")
    print(f"{'python -c pass':48} {base:7.3f}s {1:6.1f}x {'':>9}  -")
    for label, code in CASES.items():
        seconds, loaded = _time(code, args.repeat)
        target = TARGETS.get(label)
        mark = (
            "" if target is None else (f"<{target:g} s " + ("ok" if seconds < target else "MISS"))
        )
        print(f"{label:48} {seconds:7.3f}s {seconds / base:6.1f}x {mark:>9}  {loaded or '-'}")


if __name__ == "__main__":
    main()
