"""``artifact-lab check``: is this transposed convolution fine? The answer in words."""

from __future__ import annotations

import argparse

from ._common import parse_ints, typed


def add_parser(sub) -> None:
    ints = typed(parse_ints, "ints")
    p = sub.add_parser(
        "check",
        help="is this ConvTranspose fine? its score, explained, and what instead",
        description="Will this transposed convolution paint a checkerboard, how badly, and "
        "what to use instead? Give the layer as you write it in torch, e.g. "
        "'ConvTranspose2d(64, 32, 3, stride=2, padding=1)' (weights: torch's default "
        "initialisation, seed 0), or its geometry with -k and -s (scored for torch's default "
        "initialisation over 30 seeds, as in the decision table).",
    )
    p.add_argument(
        "layer",
        nargs="?",
        help="the layer's code, e.g. 'ConvTranspose2d(64, 32, 3, 2, 1, 1)' (quote it)",
    )
    p.add_argument("-k", "--kernel-size", type=ints, help="kernel size, e.g. 3 or 3,5")
    p.add_argument("-s", "--stride", type=ints, help="stride, e.g. 2")
    p.add_argument("-p", "--padding", type=ints, default=0, help="padding (default 0)")
    p.add_argument("--output-padding", type=ints, default=0, help="output padding (default 0)")
    p.add_argument("-d", "--dilation", type=ints, default=1, help="dilation (default 1)")
    p.add_argument(
        "--ndim", type=int, default=None, help="spatial axes of a geometry, 1-3 (default 2)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    geometry = (args.kernel_size, args.stride)
    if args.layer is None and None in geometry:
        raise ValueError(
            "give the layer, e.g. 'ConvTranspose2d(64, 32, 3, stride=2)', or its geometry "
            "with --kernel-size and --stride"
        )
    if args.layer is not None and geometry != (None, None):
        raise ValueError("give the layer or --kernel-size/--stride, not both")
    from ..models.advice import check_layer

    if args.layer is not None:
        answer = check_layer(args.layer)
    else:
        answer = check_layer(
            kernel_size=args.kernel_size,
            stride=args.stride,
            padding=args.padding,
            output_padding=args.output_padding,
            dilation=args.dilation,
            ndim=args.ndim,
        )
    print(answer)
    return 0
