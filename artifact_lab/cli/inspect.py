"""``artifact-lab inspect``: find checkerboard grids in image or audio files, without the model.

One line per period found on stdout (or one line saying none was), a progress bar over files
on stderr, and with ``--html`` a self-contained page with the figures. Failures are one line
on stderr (the shared handler in :mod:`artifact_lab.cli`).
"""

from __future__ import annotations

import argparse


def parse_periods(text: str) -> list[int | tuple[int, ...]]:
    """``"2,4"`` (the same period on every axis) or ``"2x2,8x1"`` (per axis) as a list.

    Examples
    --------
    >>> parse_periods("2,4x4,8x1")
    [2, (4, 4), (8, 1)]
    """
    out: list[int | tuple[int, ...]] = []
    for part in text.replace(" ", "").lower().split(","):
        try:
            values = tuple(int(v) for v in part.split("x"))
        except ValueError:
            raise ValueError(
                f"--periods {text!r}: {part!r} is not a period like 2 or 2x2"
            ) from None
        out.append(values[0] if len(values) == 1 else values)
    return out


def _periods(text: str):
    try:
        return parse_periods(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(subparsers) -> None:
    """Add ``inspect`` to the command line's subparsers."""
    p = subparsers.add_parser(
        "inspect",
        help="find checkerboard grids in images or audio a model produced",
        description="Test every period 2-16 per axis in image files (PNG, JPEG, TIFF) or audio "
        "files (WAV, FLAC) against the local spectral background; print one line per period "
        "found with its harmonic fraction, interval over files, chance level and peak.",
    )
    p.add_argument("paths", nargs="+", help="files or folders (not recursive)")
    p.add_argument("--reference", nargs="+", help="real data to compare with (files or folders)")
    p.add_argument("--html", help="write a self-contained HTML page with the figures here")
    p.add_argument("--periods", type=_periods, help="periods to test, e.g. 2,4 or 2x2,8x1")
    p.add_argument("--alpha", type=float, default=0.05, help="false-alarm rate (default 0.05)")
    p.add_argument(
        "--channels", choices=("luma", "mean", "each"), help="colour: luma (default) or mean/each"
    )
    p.add_argument("--border", type=int, help="samples dropped per edge (default: side/16)")
    p.add_argument("--frame", type=int, default=4096, help="audio frame length (default 4096)")
    p.add_argument("--device", help="cpu, cuda, mps or auto")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``inspect`` for parsed arguments; returns the exit code (0)."""
    from pathlib import Path

    from .._util.io import write_atomic
    from ..inspection.detect import inspect
    from ..inspection.page import render_page
    from ._common import check_writable

    if args.html:
        check_writable(args.html, "--html")
    result = inspect(
        args.paths,
        reference=args.reference,
        periods=args.periods,
        alpha=args.alpha,
        border=args.border,
        channels=args.channels,
        frame=args.frame,
        device=args.device,
        progress=not args.quiet,
    )
    for line in result.lines():
        print(line, flush=True)
    if args.html:
        title = "Inspection of " + ", ".join(Path(p).name for p in args.paths[:3])
        title += " ..." if len(args.paths) > 3 else ""
        write_atomic(Path(args.html), render_page(result, title=title))
    return 0
