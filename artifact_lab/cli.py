"""``artifact-lab``: the command line. Bad input: one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .report import NotebookError

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
    values: set[int] = set()
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


def _cmd_solve(args) -> int:
    import pandas as pd

    from .calculator import solve

    table = solve(
        args.input_size,
        args.output_size,
        kernel_sizes=args.kernel_sizes,
        strides=args.strides,
        dilations=args.dilations,
        paddings=args.paddings,
        output_paddings=args.output_paddings,
    )
    if args.artifact_free:
        table = table[table["artifact_free"]]
    if args.output:
        from ._io import write_atomic

        write_atomic(Path(args.output), table.to_csv(index=False))
        print(f"{len(table)} configurations written to {args.output}")
        return 0
    if table.empty:
        print("no configuration in the given ranges produces that size")
        return 1
    shown = table if args.limit <= 0 else table.head(args.limit)
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(shown.to_string(index=False))
    if len(shown) < len(table):
        print(f"... {len(table) - len(shown)} more (use --limit 0 to show all)")
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

    build_report(
        Path(args.notebooks),
        Path(args.output),
        pdf=not args.no_pdf,
        show_code=args.show_code,
        timeout=args.timeout,
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
        "OUTPUT, artifact-free (all-ones rule) first.",
    )
    p.add_argument("input_size", type=ints, help="input size, e.g. 16 or 16,24")
    p.add_argument("output_size", type=ints, help="wanted output size, e.g. 32 or 32,48")
    p.add_argument("--kernel-sizes", type=rng, default=list(range(1, 9)), help="default 1-8")
    p.add_argument("--strides", type=rng, default=list(range(1, 9)), help="default 1-8")
    p.add_argument("--dilations", type=rng, default=[1], help="default 1")
    p.add_argument("--paddings", type=rng, default=None, help="default 0 to d*(k-1)")
    p.add_argument(
        "--output-paddings", type=rng, default=None, help="default every value torch accepts"
    )
    p.add_argument("--artifact-free", action="store_true", help="only artifact-free rows")
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
        help="constant and/or noise, comma separated; 'none' for closed form only",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``artifact-lab``; returns the exit code."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except _UsageError as exc:
        print(_one_line(exc), file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:
        print(f"artifact-lab: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except NotebookError as exc:
        print(f"artifact-lab report: error: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


if __name__ == "__main__":
    sys.exit(main())
