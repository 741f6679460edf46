"""``artifact-lab sweep``: score a whole grid of geometries into one table."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import check_writable, parse_range, typed


def add_parser(sub) -> None:
    rng = typed(parse_range, "range")
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
    p.add_argument(
        "--memory-mb",
        type=int,
        default=None,
        help="bound on one chunk's working memory in MiB (default: half the free memory)",
    )
    p.add_argument(
        "--max-seconds",
        type=_seconds,
        default=600.0,
        help="refuse, before any work, a plan estimated to take longer (default 600; "
        "'none': no limit)",
    )
    p.add_argument("-o", "--output", required=True, help="atlas.parquet or atlas.csv")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def _seconds(text: str) -> float | None:
    if text.strip().lower() == "none":
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds or 'none'") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0 seconds or 'none', got {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    import io

    from .._util.io import write_atomic
    from ..atlas.sweep import sweep

    out = Path(args.output)
    if out.suffix not in (".parquet", ".csv"):
        raise ValueError(f"--output must end in .parquet or .csv, got {args.output!r}")
    check_writable(out, "--output")
    if args.cache:
        check_writable(args.cache, "--cache", folder=True)
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
        memory_mb=args.memory_mb,
        max_seconds=args.max_seconds,
    )
    if out.suffix == ".csv":
        write_atomic(out, table.to_csv(index=False))
    else:
        buf = io.BytesIO()
        table.to_parquet(buf, index=False)
        write_atomic(out, buf.getvalue())
    print(f"{len(table)} rows written to {out}")
    return 0
