"""``artifact-lab overlap``: the overlap map of one layer."""

from __future__ import annotations

import argparse

from ._common import geometry_args


def add_parser(sub) -> None:
    p = sub.add_parser(
        "overlap",
        help="overlap map of one layer",
        description="Overlap map (number of input-tap pairs per output) of one "
        "layer, with phase counts and overlap contrast.",
    )
    geometry_args(p)
    p.add_argument("--method", choices=["analytic", "torch"], default="analytic")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..core.overlap import overlap

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
