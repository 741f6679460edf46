"""``artifact-lab``: the command line.

Every failure is one line on stderr, never a traceback: exit code 2 for usage errors (bad
arguments, unwritable output paths, checked before any work), 1 for failures during the
run (a notebook that fails, memory exhausted), 130 for Ctrl-C. Nothing heavy is imported at
module level: ``size`` and ``solve`` need neither torch, pandas nor nbformat.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ._checks import MAX_VALUES

__all__ = ["main", "parse_ints", "parse_range"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage dump
        raise _UsageError(f"{self.prog}: error: {message}")


class _UsageError(Exception):
    pass


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


def _typed(parser, func, name):
    def convert(text: str):
        try:
            return func(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = name
    return convert


def _geometry_args(p: argparse.ArgumentParser, *, with_input: bool = True) -> None:
    ints = _typed(p, parse_ints, "ints")
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


def _cmd_size(args) -> int:
    from .arithmetic import output_size_terms

    terms = output_size_terms(
        args.input_size,
        args.kernel_size,
        args.stride,
        args.padding,
        args.output_padding,
        args.dilation,
    )
    print("L = (n-1)*s - 2*p + d*(k-1) + op + 1")
    for a, t in enumerate(terms):
        label = f"axis {a}: " if len(terms) > 1 else ""
        print(
            f"{label}L = ({t['n']}-1)*{t['s']} - 2*{t['p']} + {t['d']}*({t['k']}-1) + {t['op']} + 1"
        )
        terms_text = " ".join(
            f"{'-' if v < 0 else '+'} {abs(v)}" for v in (t["crop"], t["reach"], t["extra"], 1)
        )
        print(f"{' ' * len(label)}  = {t['stretch']} {terms_text} = {t['size']}")
    sizes = [t["size"] for t in terms]
    print("output size:", sizes[0] if len(sizes) == 1 else tuple(sizes))
    return 0


def _check_writable(path: str | os.PathLike, what: str, *, folder: bool = False) -> Path:
    """Refuse, before any work, an output path that cannot be written.

    The nearest existing folder on the way must be a folder in which a file can be created
    (missing folders below it are created when the output is written).
    """
    target = Path(path)
    if folder and target.exists() and not target.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a file, not a folder")
    if not folder and target.is_dir():
        raise ValueError(f"{what} {str(path)!r} is a folder, not a file")
    parent = target if folder else target.parent
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


_SOLVE_SHOWN = (
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "dilation",
    "even_overlap",
    "clean_init_exists",
    "holes",
    "overlap_contrast",
)


def _text(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def _print_table(rows: list[dict], columns: Sequence[str]) -> None:
    """Right-aligned columns, like ``DataFrame.to_string(index=False)``, without pandas."""
    cells = [[_text(row[c]) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))


def _cmd_solve(args) -> int:
    import csv
    import io

    from .calculator import COLUMNS, _solve_rows

    if args.output:
        _check_writable(args.output, "--output")
    rows = _solve_rows(
        args.input_size,
        args.output_size,
        kernel_sizes=args.kernel_sizes,
        strides=args.strides,
        dilations=args.dilations,
        paddings=args.paddings,
        output_paddings=args.output_paddings,
        all_output_paddings=args.all_output_paddings,
    )
    if args.even_overlap:
        rows = [r for r in rows if r["even_overlap"]]
    if args.clean_init:
        rows = [r for r in rows if r["clean_init_exists"]]
    if args.output:
        from ._io import write_atomic

        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(
            {k: repr(v) if isinstance(v, float) else v for k, v in r.items()} for r in rows
        )
        write_atomic(Path(args.output), buf.getvalue())
        print(f"{len(rows)} configurations written to {args.output}")
        return 0
    if not rows:
        print("no configuration in the given ranges produces that size")
        return 1
    shown = rows if args.limit <= 0 else rows[: args.limit]
    columns = _SOLVE_SHOWN + (("output_size_ok",) if args.all_output_paddings else ())
    _print_table(shown, columns)
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more (use --limit 0 to show all)")
    return 0


def _cmd_overlap(args) -> int:
    import numpy as np

    from .overlap import overlap

    st = overlap(
        args.input_size,
        args.kernel_size,
        args.stride,
        args.padding,
        args.output_padding,
        args.dilation,
        method=args.method,
    )
    with np.printoptions(linewidth=120, threshold=10_000):
        print(st.map)
    print(
        f"phase counts: {st.phase_counts.tolist()}  overlap_contrast: {st.contrast:.4f}  "
        f"holes: {st.holes}  interior values: {st.interior_values.tolist()}"
    )
    return 0


def _cmd_sweep(args) -> int:
    import io

    from ._io import write_atomic
    from .sweep import sweep

    out = Path(args.output)
    if out.suffix not in (".parquet", ".csv"):
        raise ValueError(f"--output must end in .parquet or .csv, got {args.output!r}")
    _check_writable(out, "--output")
    if args.cache:
        _check_writable(args.cache, "--cache", folder=True)
    inputs = (
        ()
        if args.inputs.strip() == "none"
        else tuple(x.strip() for x in args.inputs.split(",") if x.strip())
    )
    table = sweep(
        kernel_sizes=args.kernel_sizes,
        strides=args.strides,
        paddings=args.paddings,
        dilations=args.dilations,
        output_paddings=args.output_paddings,
        ndim=args.ndim,
        kernels=tuple(k.strip() for k in args.kernels.split(",")),
        seeds=args.seeds,
        input_size=args.input_size,
        batch=args.batch,
        inputs=inputs,
        method=args.method,
        device=args.device,
        cache=args.cache,
        progress=not args.quiet,
        dtype=args.dtype,
    )
    if out.suffix == ".csv":
        write_atomic(out, table.to_csv(index=False))
    else:
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        write_atomic(out, buf.getvalue())
    print(f"{len(table)} rows written to {out}")
    return 0


def _cmd_audit(args) -> int:
    from ._io import write_atomic
    from .audit import audit, load_model
    from .zoo import ZOO, build

    shape = args.input_shape if isinstance(args.input_shape, tuple) else (args.input_shape,)
    for option, path in (("--html", args.html), ("--png", args.png)):
        if path:
            _check_writable(path, option)
    if args.target in ZOO:
        if args.checkpoint:
            raise ValueError("--checkpoint applies to your own models, not to zoo names")
        model = build(args.target, width=args.width)
    elif ":" in args.target:
        model = load_model(args.target, checkpoint=args.checkpoint)
    else:
        raise ValueError(
            f"target {args.target!r} is neither a zoo name ({', '.join(ZOO)}) nor 'module:factory'"
        )
    result = audit(
        model, shape, name=args.target, measure=not args.no_measure, direction=args.direction
    )
    print(result.summary())
    if args.html:
        write_atomic(Path(args.html), result.to_html())
        print(f"HTML report: {args.html}")
    if args.png:
        import io

        import matplotlib

        matplotlib.use("Agg")
        buf = io.BytesIO()
        result.figure().savefig(buf, format="png", dpi=120)
        write_atomic(Path(args.png), buf.getvalue())
        print(f"figure: {args.png}")
    return 0


def _cmd_zoo(args) -> int:
    import pandas as pd

    from .zoo import zoo_table

    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        print(zoo_table().to_string(index=False))
    return 0


def _cmd_report(args) -> int:
    from .report import build_report

    if args.timeout < 1:
        raise ValueError(f"--timeout must be at least 1 second, got {args.timeout}")
    _check_writable(args.output, "--output", folder=True)
    build_report(
        Path(args.notebooks),
        Path(args.output),
        pdf=not args.no_pdf,
        show_code=args.show_code,
        timeout=args.timeout,
        progress=lambda line: print(line, flush=True),  # stderr is for the one-line error
    )
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="artifact-lab",
        description="Explain and measure checkerboard artifacts of upsampling layers.",
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser(
        "size",
        help="output size of one transposed convolution, term by term",
        description="Output size of one transposed convolution (torch's formula), "
        "with the formula's terms shown.",
    )
    _geometry_args(p)
    p.set_defaults(func=_cmd_size)

    rng = _typed(p, parse_range, "range")
    ints = _typed(p, parse_ints, "ints")
    p = sub.add_parser(
        "solve",
        help="every layer that maps one size to another",
        description="Every transposed-convolution geometry that turns INPUT into "
        "OUTPUT, cleanest first: even overlap (all-ones rule), then those where some "
        "initialisation starts without a checkerboard (every phase gets a tap).",
    )
    p.add_argument("input_size", type=ints, help="input size, e.g. 16 or 16,24")
    p.add_argument("output_size", type=ints, help="wanted output size, e.g. 32 or 32,48")
    p.add_argument("--kernel-sizes", type=rng, default=list(range(1, 9)), help="default 1-8")
    p.add_argument("--strides", type=rng, default=list(range(1, 9)), help="default 1-8")
    p.add_argument("--dilations", type=rng, default=[1], help="default 1")
    p.add_argument("--paddings", type=rng, default=None, help="default 0 to d*(k-1)")
    p.add_argument(
        "--output-paddings", type=rng, default=None, help="default every value below the stride"
    )
    p.add_argument(
        "--all-output-paddings",
        action="store_true",
        help="also output paddings in [s, d-1], which torch's forward(output_size=) refuses",
    )
    p.add_argument("--even-overlap", action="store_true", help="only rows with even overlap")
    p.add_argument(
        "--clean-init", action="store_true", help="only rows where a clean initialisation exists"
    )
    p.add_argument("--limit", type=int, default=20, help="rows to print (0: all; default 20)")
    p.add_argument("-o", "--output", help="write the whole table as CSV instead")
    p.set_defaults(func=_cmd_solve)

    p = sub.add_parser(
        "overlap",
        help="overlap map of one layer",
        description="Overlap map (number of input-tap pairs per output) of one "
        "layer, with phase counts and overlap contrast.",
    )
    _geometry_args(p)
    p.add_argument("--method", choices=["analytic", "torch"], default="analytic")
    p.set_defaults(func=_cmd_overlap)

    p = sub.add_parser(
        "sweep",
        help="score a whole grid of geometries into a table (Parquet or CSV)",
        description="Score every kernel size x stride x padding x dilation (x kernel family x "
        "seed x input) and write one tidy table. Ranges like 1-12 or 2,4,8.",
    )
    p.add_argument("--kernel-sizes", type=rng, required=True, help="e.g. 1-12")
    p.add_argument("--strides", type=rng, required=True, help="e.g. 1-6")
    p.add_argument("--paddings", type=rng, default=None, help="default 0..k-1 per kernel")
    p.add_argument("--dilations", type=rng, default=[1], help="default 1")
    p.add_argument("--output-paddings", type=rng, default=[0], help="default 0")
    p.add_argument("--ndim", type=int, default=2, help="spatial axes, 1-3 (default 2)")
    p.add_argument(
        "--kernels",
        default="ones,default,bilinear",
        help="families, comma separated (default ones,default,bilinear)",
    )
    p.add_argument("--seeds", type=rng, default=[0], help="default 0")
    p.add_argument(
        "--inputs",
        default="constant,noise",
        help="constant, noise and/or images, comma separated; 'none' for closed form only",
    )
    p.add_argument(
        "--method",
        choices=["auto", "moments", "conv"],
        default="auto",
        help="measured scores from input moments (exact, no convolution), from real "
        "conv_transpose, or (default) whichever the plan estimates faster",
    )
    p.add_argument("--input-size", type=int, default=64, help="default 64")
    p.add_argument("--batch", type=int, default=8, help="noise images (default 8)")
    p.add_argument("--device", default=None, help="cpu, cuda, mps or auto")
    p.add_argument("--cache", default=None, help="folder for finished chunks (resumable)")
    p.add_argument("--dtype", default="float32", help="float32 (default) or float64")
    p.add_argument("-o", "--output", required=True, help="atlas.parquet or atlas.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser(
        "audit",
        help="find and score every upsampling layer of a torch model",
        description="Audit a model: TARGET is a zoo name (see `artifact-lab zoo`), "
        "'package.module:factory' or 'path/to/file.py:factory'.",
    )
    p.add_argument("target", help="zoo name, package.module:factory or file.py:factory")
    p.add_argument("--input-shape", type=ints, required=True, help="N,C,H,W e.g. 1,100,4,4")
    p.add_argument("--checkpoint", help="state dict, read with torch.load(weights_only=True)")
    p.add_argument("--width", type=float, default=1.0, help="zoo models: channel scale")
    p.add_argument("--html", help="write an HTML report here")
    p.add_argument("--png", help="write the per-layer figure here")
    p.add_argument("--no-measure", action="store_true", help="closed form only")
    p.add_argument(
        "--direction",
        choices=("forward", "backward"),
        default="forward",
        help="forward: upsampling and the output (default); backward: downsampling and the "
        "gradient with respect to the input",
    )
    p.set_defaults(func=_cmd_audit)

    p = sub.add_parser(
        "zoo",
        help="list the built-in architectures",
        description="The zoo of real upsampling stacks, with their sources.",
    )
    p.set_defaults(func=_cmd_zoo)

    p = sub.add_parser(
        "report",
        help="execute the notebooks and write HTML and PDF",
        description="Execute every notebook headlessly and write one HTML and one "
        "PDF per notebook plus index.html.",
    )
    p.add_argument(
        "--notebooks", default="notebooks", help="folder or notebook (default notebooks)"
    )
    p.add_argument("-o", "--output", default="reports", help="output folder (default reports)")
    p.add_argument("--no-pdf", action="store_true", help="skip the PDFs")
    p.add_argument("--show-code", action="store_true", help="keep code cells in the report")
    p.add_argument("--timeout", type=int, default=600, help="seconds per cell (default 600)")
    p.set_defaults(func=_cmd_report)

    from ._cli_inspect import add_parser  # one module per command from here on

    add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``artifact-lab``; returns the exit code.

    Every failure becomes one line on stderr: 2 for usage errors (``ValueError`` and
    ``TypeError`` from the argument checks), 1 for failures during the run, 130 for Ctrl-C.
    """
    prog = "artifact-lab"
    try:
        parser = _build_parser()
        args = parser.parse_args(argv)
        prog = f"artifact-lab {args.command}"
        return args.func(args)
    except SystemExit as exc:  # --help and --version: argparse's own exit
        return exc.code if isinstance(exc.code, int) else 0
    except _UsageError as exc:
        return _fail(_one_line(exc), 2)
    except KeyboardInterrupt:
        return _fail(f"{prog}: interrupted", 130)
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


if __name__ == "__main__":
    sys.exit(main())
