"""What every command shares: the one-line parser, range and per-axis parsing, the geometry
options, output-path checks and a pandas-free table printer. Nothing heavy is imported."""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .._util.checks import MAX_VALUES

__all__ = [
    "Parser",
    "UsageError",
    "check_writable",
    "geometry_args",
    "parse_ints",
    "parse_range",
    "print_table",
    "typed",
]


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        raise UsageError(f"{self.prog}: error: {message}")


class UsageError(Exception):
    """A command-line usage error: exit code 2."""


def parse_range(text: str) -> list[int]:
    """Parse ``"1-16"``, ``"2,4,8"`` or ``"1-4,8"`` into a sorted list of distinct ints.

    Examples
    --------
    >>> parse_range("1-4,8")
    [1, 2, 3, 4, 8]
    """
    bounds = []
    for part in text.replace(" ", "").split(","):
        if not part:
            raise ValueError(f"range {text!r} has an empty item; use e.g. '1-8' or '2,4'")
        lo, sep, hi = part.partition("-")
        try:
            a = int(lo)
            b = int(hi) if sep else a
        except ValueError:
            raise ValueError(f"range {text!r}: {part!r} is not an int or 'a-b'") from None
        if b < a:
            raise ValueError(f"range {text!r}: {part!r} is empty (end below start)")
        bounds.append((a, b))
    count = sum(b - a + 1 for a, b in bounds)
    if count > MAX_VALUES:  # counted before anything is built
        raise ValueError(
            f"range {text!r} holds {count} values, more than the limit of {MAX_VALUES}; "
            "narrow it (e.g. '1-64') or list the values you need ('2,4,1000000000')"
        )
    values: set[int] = set()
    for a, b in bounds:
        values.update(range(a, b + 1))
    return sorted(values)


def parse_ints(text: str) -> int | tuple[int, ...]:
    """Parse ``"16"`` into 16 and ``"16,24"`` or ``"16x24"`` into a per-axis tuple.

    Examples
    --------
    >>> parse_ints("16x24")
    (16, 24)
    """
    parts = text.lower().replace("x", ",").split(",")
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{text!r} is not an int or per-axis ints like '16,24'") from None
    return values[0] if len(values) == 1 else values


def typed(func, name):
    def convert(text: str):
        try:
            return func(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def geometry_args(p: argparse.ArgumentParser, *, with_input: bool = True) -> None:
    ints = typed(parse_ints, "ints")
    if with_input:
        p.add_argument(
            "-n",
            "--input-size",
            type=ints,
            required=True,
            help="input size per axis, e.g. 16 or 16,24",
        )
    p.add_argument("-k", "--kernel-size", type=ints, required=True, help="kernel size")
    p.add_argument("-s", "--stride", type=ints, default=1, help="stride (default 1)")
    p.add_argument("-p", "--padding", type=ints, default=0, help="padding (default 0)")
    p.add_argument("--output-padding", type=ints, default=0, help="output padding (default 0)")
    p.add_argument("-d", "--dilation", type=ints, default=1, help="dilation (default 1)")


def check_writable(path: str | os.PathLike, what: str, *, folder: bool = False) -> Path:
    """Refuse, before any work, an output path that cannot be written.

    A file's folder must exist and accept a new file (a typo in a folder name is refused,
    not created). An output folder may be missing: the nearest existing folder on its way
    must accept a new entry, and the missing ones are created when the output is written.
    """
    target = Path(path)
    if folder and target.exists() and not target.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a file, not a folder")
    if not folder and target.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder, not a file")
    parent = target if folder else target.parent
    if not folder and not parent.exists():
        raise ValueError(
            f"{what} {str(path)!r} cannot be written: the folder {str(parent)!r} does not "
            "exist (create it first)"
        )
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{what} {str(path)!r} cannot be written: {str(parent)!r} is not a folder")
    try:
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValueError(
            f"{what} {str(path)!r} cannot be written: the folder {str(parent)!r} accepts no "
            f"new file ({reason})"
        ) from None
    return target


def _text(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def print_table(rows: list[dict], columns: Sequence[str]) -> None:
    """Right-aligned columns, like ``DataFrame.to_string(index=False)``, without pandas."""
    cells = [[_text(row[c]) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))
