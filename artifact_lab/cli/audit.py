"""``artifact-lab audit``: find and score every resampling layer of a torch model."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import check_writable, parse_ints, typed


def add_parser(sub) -> None:
    ints = typed(parse_ints, "ints")
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
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._util.io import write_atomic
    from ..models.audit import audit
    from ..models.loading import load_model
    from ..models.zoo import ZOO, build

    shape = args.input_shape if isinstance(args.input_shape, tuple) else (args.input_shape,)
    for option, path in (("--html", args.html), ("--png", args.png)):
        if path:
            check_writable(path, option)
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
