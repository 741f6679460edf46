"""``artifact-lab``: the command line, one module per command.

Every failure is one line on stderr, never a traceback: exit code 2 for usage errors (bad
arguments, unwritable output paths, checked before any work), 1 for failures during the
run (a notebook that fails, memory exhausted), 130 for Ctrl-C. ``artifact-lab`` alone lists
the commands; ``--version`` says which release runs. Nothing heavy is imported at
module level: ``size`` and ``solve`` need neither torch, pandas nor nbformat.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ._common import Parser, UsageError, parse_ints, parse_range

__all__ = ["COMMANDS", "build_parser", "main", "parse_ints", "parse_range"]

#: The commands, in the order ``--help`` lists them; each is the module ``cli.<name>`` with
#: ``add_parser(subparsers)`` and ``run(args) -> int``.
COMMANDS = ("check", "size", "solve", "overlap", "sweep", "audit", "inspect", "zoo", "report")

_EPILOG = """\
examples:
  artifact-lab check "ConvTranspose2d(64, 32, 3, 2, 1, 1)"  will it paint a checkerboard?
  artifact-lab solve 16 32                                  every layer that maps 16 to 32
  artifact-lab inspect outputs/                             checkerboards in pictures you made
  artifact-lab report                                       run the notebooks, write reports/

Every command has --help. Exit codes: 0 done, 1 failed during the run, 2 bad arguments
(one line on stderr, checked before any work), 130 interrupted (Ctrl-C)."""


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("artifact_lab")
    except PackageNotFoundError:  # run from a source folder that was never installed
        from .. import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    """The ``artifact-lab`` parser with every command's subparser."""
    parser = Parser(
        prog="artifact-lab",
        description="Explain and measure checkerboard artifacts of upsampling layers.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"artifact-lab {_version()}")
    sub = parser.add_subparsers(
        dest="command", title="commands", metavar="COMMAND", parser_class=Parser
    )
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``artifact-lab``; returns the exit code.

    Every failure becomes one line on stderr: 2 for usage errors (``ValueError`` and
    ``TypeError`` from the argument checks), 1 for failures during the run, 130 for Ctrl-C.
    """
    prog = "artifact-lab"
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:  # `artifact-lab` alone: what it can do
            parser.print_help()
            return 0
        prog = f"artifact-lab {args.command}"
        return args.func(args)
    except SystemExit as exc:  # --help and --version: argparse's own exit
        return exc.code if isinstance(exc.code, int) else 0
    except UsageError as exc:
        return _fail(_one_line(exc), 2)
    except KeyboardInterrupt as exc:
        said = _one_line(exc) if str(exc) else ""
        return _fail(f"{prog}: interrupted" + (f"; {said}" if said else ""), 130)
    except (ValueError, TypeError) as exc:
        return _fail(f"{prog}: error: {_one_line(exc)}", 2)
    except MemoryError:
        return _fail(f"{prog}: error: out of memory; narrow the ranges or use smaller sizes", 1)
    except BrokenPipeError:  # `artifact-lab solve ... | head`: the reader left, nothing to say
        _silence_stdout()
        return 0
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        return _fail(f"{prog}: error: {exc.strerror or _one_line(exc)}{where}", 1)
    except Exception as exc:  # anything else: still one line, never a traceback
        ours = type(exc).__module__.startswith("artifact_lab")
        kind = "" if ours else f"{type(exc).__name__}: "
        return _fail(f"{prog}: error: {kind}{_one_line(exc)}", 1)
    except BaseException as exc:  # asyncio's CancelledError is not an Exception: a Ctrl-C
        if isinstance(exc, SystemExit | GeneratorExit):
            raise
        return _fail(f"{prog}: interrupted", 130)


def _fail(line: str, code: int) -> int:
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError):  # stderr closed: the exit code still tells
        pass
    return code


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
