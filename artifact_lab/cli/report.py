"""``artifact-lab report``: execute the notebooks and write HTML and PDF."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import check_writable


def add_parser(sub) -> None:
    p = sub.add_parser(
        "report",
        help="execute the notebooks and write HTML and PDF",
        description="Execute every notebook headlessly and write one HTML and one "
        "PDF per notebook plus index.html and explorer.html. The project's notebooks are the "
        "notebooks/ folder of its repository (not installed with the package): run from a "
        "clone, or pass --notebooks. Progress goes to stdout: when each notebook starts, "
        "every minute while it runs, when it is executed and rendered.",
    )
    p.add_argument(
        "--notebooks", default="notebooks", help="folder or notebook (default notebooks)"
    )
    p.add_argument("-o", "--output", default="reports", help="output folder (default reports)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    p.add_argument("--show-code", action="store_true", help="keep code cells in the report")
    p.add_argument(
        "--timeout", type=int, default=3600, help="seconds allowed per cell (default 3600)"
    )
    p.add_argument(
        "--jobs", type=int, default=1, help="notebooks executed at the same time (default 1)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..report.build import build_report

    if args.timeout < 1:
        raise ValueError(f"--timeout must be at least 1 second, got {args.timeout}")
    check_writable(args.output, "--output", folder=True)
    build_report(
        Path(args.notebooks),
        Path(args.output),
        pdf=not args.no_pdf,
        show_code=args.show_code,
        timeout=args.timeout,
        jobs=args.jobs,
        progress=lambda line: print(line, flush=True),  # stderr is for the one-line error
    )
    return 0
