"""``artifact-lab size``: the output size of one transposed convolution, term by term."""

from __future__ import annotations

import argparse

from ._common import geometry_args


def add_parser(sub) -> None:
    p = sub.add_parser(
        "size",
        help="output size of one transposed convolution, term by term",
        description="Output size of one transposed convolution (torch's formula), "
        "with the formula's terms shown.",
    )
    geometry_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..core.arithmetic import output_size_terms

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
