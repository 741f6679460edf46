"""The period a stack can paint: the upsampling factors (forward) and the cumulative strides
of the downsampling operations (backward) that a whole-model measurement must use.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .._util.checks import check_int, check_items, per_axis
from .findings import LayerFinding, inverse_scale
from .trace import Op

__all__ = ["backward_period", "forward_period"]


def forward_period(findings: Sequence[LayerFinding], nd: int) -> tuple[int, ...]:
    """The total upsampling factor as the product of every layer's stride (transposed) or
    integer factor: the period of any checkerboard the stack can paint."""
    findings = check_items("findings", findings, LayerFinding)
    nd = check_int("nd", nd, minimum=1)
    for i, f in enumerate(findings):
        if len(f.input_shape) - 2 != nd:
            raise ValueError(
                f"nd={nd}, but findings[{i}] has {len(f.input_shape) - 2} spatial axes"
            )
    period = [1] * nd
    for f in findings:
        steps = f.geometry.get("stride") if f.kind == "transposed" else f.factor
        for a in range(nd):
            if abs(steps[a] - round(steps[a])) < 1e-9:
                period[a] *= round(steps[a])
    return tuple(period)


def _step(op: Op, nd: int) -> tuple[int, ...]:
    if "stride" in op.params and op.kind != "interpolate":
        return tuple(int(s) for s in op.params["stride"])
    if op.kind == "pixel_unshuffle":
        return (int(op.params["factor"]),) * nd
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    if op.kind == "interpolate":
        ratio = list(inverse_scale(op.params, n_in, n_out))
    else:
        ratio = [i / o for i, o in zip(n_in, n_out)]
    return tuple(round(r) if abs(r - round(r)) < 1e-9 else 1 for r in ratio)


def backward_period(ops: Sequence[Op], spatial: tuple[int, ...]) -> tuple[int, ...]:
    """Least common multiple, per axis, of each operation's cumulative stride from the input.

    A resolution level is known by its spatial shape: an op's input at a known shape
    inherits that level's cumulative stride (else the size ratio to the model's input), so
    parallel branches (a ResNet shortcut beside its strided conv) are not counted twice.
    Global pools (output 1) paint no period and are left out.
    """
    ops = check_items("ops", ops, Op, hint="artifact_lab.tracing.trace records them")
    spatial = per_axis("spatial", spatial, None, minimum=1)
    nd = len(spatial)
    level: dict[tuple[int, ...], tuple[int, ...]] = {tuple(spatial): (1,) * nd}
    period = [1] * nd
    for op in ops:
        n_in, n_out = tuple(op.input_shape[2:]), tuple(op.output_shape[2:])
        base = level.get(n_in) or tuple(max(1, round(n0 / n)) for n0, n in zip(spatial, n_in))
        cum = tuple(b * s for b, s in zip(base, _step(op, nd)))
        level.setdefault(n_out, cum)
        for a in range(nd):
            if n_out[a] > 1:
                period[a] = math.lcm(period[a], cum[a])
    return tuple(period)
