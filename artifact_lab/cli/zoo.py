"""``artifact-lab zoo``: the built-in architectures, with their sources."""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser(
        "zoo",
        help="list the built-in architectures",
        description="The zoo of real upsampling stacks, with their sources.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..models.zoo import zoo_table

    with pd.option_context("display.width", 160, "display.max_colwidth", 70):
        print(zoo_table().to_string(index=False))
    return 0
