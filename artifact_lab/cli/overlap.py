"""``artifact-lab overlap``: the overlap map of one layer, printed or drawn."""

from __future__ import annotations

import argparse
from pathlib import Path

from ._common import check_writable, geometry_args

_FORMATS = (".png", ".svg", ".pdf")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "overlap",
        help="overlap map of one layer (printed, or drawn with -o map.png)",
        description="Overlap map (number of input-tap pairs per output) of one layer, with "
        "phase counts and overlap contrast. Sizes given as one int are 1-D; '16,16' (or "
        "--ndim 2) is a 2-D layer, whose contrast differs from the 1-D one.",
    )
    geometry_args(p)
    p.add_argument(
        "--ndim",
        type=int,
        default=None,
        help="spatial axes, 1-3 (default: as many as the sizes give, 1 for plain ints)",
    )
    p.add_argument("--method", choices=["analytic", "torch"], default="analytic")
    p.add_argument(
        "-o",
        "--output",
        help="draw the map (1-D bars or 2-D cells) to a .png, .svg or .pdf file instead",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from .._util.checks import check_ndim, infer_ndim

    geometry = (
        args.input_size,
        args.kernel_size,
        args.stride,
        args.padding,
        args.output_padding,
        args.dilation,
    )
    ndim = (infer_ndim(*geometry) or 1) if args.ndim is None else check_ndim(args.ndim)
    if args.output:
        out = Path(args.output)
        if out.suffix.lower() not in _FORMATS:
            raise ValueError(f"--output must end in {', '.join(_FORMATS)}, got {args.output!r}")
        if ndim == 3:
            raise ValueError("--output draws 1-D and 2-D maps; a 3-D map is printed only")
        check_writable(out, "--output")
    import numpy as np

    from ..core.overlap import overlap

    st = overlap(*geometry, method=args.method, ndim=ndim)
    if args.output:
        _draw(st, geometry, ndim, Path(args.output))
        return 0
    with np.printoptions(linewidth=120, threshold=10_000):
        print(st.map)
    print(
        f"phase counts: {st.phase_counts.tolist()}  overlap_contrast ({ndim}-D): "
        f"{st.contrast:.4f}  holes: {st.holes}  interior values: {st.interior_values.tolist()}"
    )
    return 0


def _draw(st, geometry, ndim: int, out: Path) -> None:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from .._util.io import write_atomic
    from ..viz.maps import plot_overlap
    from ..viz.style import TEXT_WIDTH, house_rc, wrap

    n, k, s, p, op, d = (_text(v) for v in geometry)
    title = (
        f"Overlap of a {ndim}-D transposed convolution (n={n}, k={k}, s={s}, p={p}, op={op}, "
        f"d={d}): overlap contrast {st.contrast:.3f}" + (", holes" if st.holes else "")
    )
    width = TEXT_WIDTH * (0.9 if ndim == 1 else 0.5)  # a square 2-D map leaves less room
    fig = plot_overlap(st.map, interior=st.interior, title=wrap(title, width))
    buf = io.BytesIO()
    with matplotlib.rc_context(house_rc()):  # SVG text stays text, PNG at print resolution
        fig.savefig(buf, format=out.suffix.lower()[1:])
    write_atomic(out, buf.getvalue())
    print(f"overlap map ({'x'.join(map(str, st.map.shape))} outputs) drawn to {out}")


def _text(value) -> str:
    return str(value) if isinstance(value, int) else ",".join(map(str, value))
