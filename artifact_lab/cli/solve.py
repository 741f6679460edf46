"""``artifact-lab solve``: every transposed-convolution geometry that maps one size to another."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import check_writable, parse_ints, parse_range, print_table, typed

_SHOWN = (
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "dilation",
    "even_overlap",
    "clean_init_exists",
    "holes",
)


def add_parser(sub) -> None:
    rng = typed(parse_range, "range")
    ints = typed(parse_ints, "ints")
    p = sub.add_parser(
        "solve",
        help="every layer that maps one size to another",
        description="Every transposed-convolution geometry that turns INPUT into "
        "OUTPUT, cleanest first: even overlap (all-ones rule), then those where some "
        "initialisation starts without a checkerboard (every phase gets a tap). Sizes given "
        "as one int are one axis (a 1-D layer); the overlap contrast of a 2-D layer of the "
        "same geometry differs: pass --ndim 2 or per-axis sizes such as 16,16 32,32. The "
        "printed column names the dimension (overlap_contrast_1d, _2d, _3d).",
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
    p.add_argument(
        "--ndim",
        type=int,
        default=None,
        help="spatial axes, 1-3, for sizes given as one int (default: 1 per size given)",
    )
    p.add_argument("--limit", type=int, default=20, help="rows to print (0: all; default 20)")
    p.add_argument("-o", "--output", help="write the whole table as CSV instead")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import csv
    import io

    from ..core.calculator import COLUMNS, solve_rows

    if args.output:
        check_writable(args.output, "--output")
    n, L = args.input_size, args.output_size
    if args.ndim is not None:
        from .._util.checks import check_ndim, per_axis

        nd = check_ndim(args.ndim)
        n, L = per_axis("input_size", n, nd, minimum=1), per_axis("output_size", L, nd, minimum=1)
    rows = solve_rows(
        n,
        L,
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
        from .._util.io import write_atomic

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
    nd = len(n) if isinstance(n, tuple) else 1
    contrast = f"overlap_contrast_{nd}d"  # the contrast depends on the dimension: say which
    shown = [{**r, contrast: r["overlap_contrast"]} for r in shown]
    columns = (*_SHOWN, contrast) + (("output_size_ok",) if args.all_output_paddings else ())
    print_table(shown, columns)
    if len(shown) < len(rows):
        print(f"... {len(rows) - len(shown)} more (use --limit 0 to show all)")
    return 0
