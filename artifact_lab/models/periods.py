"""The period each resampling operation paints, and the periods a whole-model measurement uses.

Every period comes from the exact sampling steps the trace gave each tensor
(:mod:`artifact_lab.models.trace`), never from size ratios:

- **backward** (the input gradient): a downsampling operation's adjoint paints period ``s``
  on its input grid, whose samples are ``step_in`` model-input samples apart: period
  ``s * step_in = step_out`` model-input samples. A global pool (every output size 1) has no
  grid left and paints no period.
- **forward** (the output): an upsampling operation paints period ``s`` on its output grid,
  ``s * step_out / step_y = step_in / step_y`` output samples (``step_y`` the step of the
  model's output).

A period that is not a whole number of samples (a fractional pool, an ``interpolate`` by a
non-integer factor, an operation whose input is not on the model input's grid) is None.

The model's period is the least common multiple (LCM) of the periods of the operations that
can paint (a non-zero or unknown score); when none can, of every operation, so that the
measurement still checks that nothing shows. Parallel branches meet by LCM, not by the
product of every factor: a feature pyramid that upsamples by 8, 4 and 2 into one map has
period 8, not 64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import numpy as np

from .._util.checks import check_direction, check_instance, check_int, check_items, per_axis
from .findings import LayerFinding
from .trace import Op, Step

__all__ = ["backward_period", "forward_period", "lcm_period", "model_period", "op_period"]


def _whole(values: Sequence[Fraction]) -> tuple[int, ...] | None:
    if any(v.denominator != 1 or v < 1 for v in values):
        return None
    return tuple(int(v) for v in values)


def op_period(op: Op, direction: str, output_step: Step | None = None) -> tuple[int, ...] | None:
    """The period ``op`` paints, per axis: on the model's input (backward, in input samples)
    or on its output (forward, in output samples, given the output's step).

    Examples
    --------
    >>> from artifact_lab.models.trace import run_trace
    >>> import torch
    >>> m = torch.nn.Sequential(torch.nn.MaxPool1d(2), torch.nn.Conv1d(1, 1, 3, stride=3))
    >>> t = run_trace(m, torch.zeros(1, 1, 60), direction="backward")
    >>> [op_period(op, "backward") for op in t.ops]
    [(2,), (6,)]
    """
    check_instance("op", op, Op, hint="artifact_lab.models.trace.trace records them")
    check_direction(direction)
    if output_step is not None and (
        not isinstance(output_step, (tuple, list))
        or not all(isinstance(v, (int, Fraction)) and v > 0 for v in output_step)
    ):
        raise TypeError(
            f"output_step must be a tuple of positive Fractions (Traced.output_step), got "
            f"{output_step!r}"
        )
    if op.step_in is None or op.step_out is None or op.kind == "fractional_max_pool":
        return None  # (fractional pooling draws its windows at random: no fixed period)
    if direction == "backward":
        if all(n == 1 for n in op.output_shape[2:]):
            return None  # a global pool: no grid left
        if not any(o > i for o, i in zip(op.step_out, op.step_in)):
            return None
        return _whole(op.step_out)
    if output_step is None or len(output_step) != len(op.step_in):
        return None
    if not any(o < i for o, i in zip(op.step_out, op.step_in)):
        return None
    return _whole([i / y for i, y in zip(op.step_in, output_step)])


def lcm_period(periods: Sequence[tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """Per-axis least common multiple of the periods that are not None (None if none is).

    Examples
    --------
    >>> lcm_period([(4, 4), None, (6, 2)])
    (12, 4)
    """
    if isinstance(periods, (str, bytes)) or not isinstance(periods, Sequence):
        raise TypeError(f"periods must be a sequence of periods or None, got {periods!r}")
    known = [per_axis("periods", p, None, minimum=1) for p in periods if p is not None]
    if len({len(p) for p in known}) > 1 or any(len(p) > 3 for p in known):
        raise ValueError(f"periods must all have the same number of axes (1 to 3), got {periods!r}")
    if not known:
        return None
    return tuple(math.lcm(*axis) for axis in zip(*known, strict=True))


def _paints(f: LayerFinding) -> bool:
    score = f.checkerboard_score
    return bool(f.holes or np.isnan(score) or score > 0)


def model_period(findings: Sequence[LayerFinding], nd: int) -> tuple[int, ...]:
    """The period to measure the whole model at: the LCM of the periods of the findings that
    can paint, else of all of them; ``(1,) * nd`` when none has a period.

    Examples
    --------
    >>> from torch import nn
    >>> from artifact_lab.models.audit import audit
    >>> m = nn.Sequential(nn.Upsample(scale_factor=2), nn.ConvTranspose1d(1, 1, 3, 2))
    >>> model_period(audit(m, (1, 1, 16), measure=False).layers, 1)
    (2,)
    """
    findings = check_items("findings", findings, LayerFinding)
    nd = check_int("nd", nd, minimum=1)
    painting = [f.period for f in findings if _paints(f)]
    period = lcm_period(painting) or lcm_period([f.period for f in findings])
    return period if period is not None and len(period) == nd else (1,) * nd


def forward_period(findings: Sequence[LayerFinding], nd: int) -> tuple[int, ...]:
    """:func:`model_period` of forward findings, checked to have ``nd`` spatial axes.

    Examples
    --------
    >>> from torch import nn
    >>> from artifact_lab.models.audit import audit
    >>> m = nn.Sequential(nn.ConvTranspose1d(1, 1, 3, 2), nn.ConvTranspose1d(1, 1, 3, 3))
    >>> forward_period(audit(m, (1, 1, 8), measure=False).layers, 1)
    (6,)
    """
    findings = check_items("findings", findings, LayerFinding)
    nd = check_int("nd", nd, minimum=1)
    for i, f in enumerate(findings):
        if len(f.input_shape) - 2 != nd:
            raise ValueError(
                f"nd={nd}, but findings[{i}] has {len(f.input_shape) - 2} spatial axes"
            )
    return model_period(findings, nd)


def backward_period(ops: Sequence[Op], spatial: Sequence[int]) -> tuple[int, ...]:
    """Least common multiple, per axis, of the traced downsampling operations' periods (their
    cumulative strides from the input, see :func:`op_period`); ``(1,) * len(spatial)`` when
    none has one. Every operation counts, painting or not (use :func:`model_period` on
    scored findings for the painting ones).

    Examples
    --------
    >>> import torch
    >>> from artifact_lab.models.trace import trace
    >>> m = torch.nn.Sequential(torch.nn.Conv1d(1, 1, 3), torch.nn.MaxPool1d(3, 2, ceil_mode=True),
    ...                         torch.nn.Conv1d(1, 1, 3), torch.nn.MaxPool1d(3, 2, ceil_mode=True))
    >>> ops, _ = trace(m, torch.zeros(1, 1, 24), direction="backward")
    >>> backward_period(ops, (24,))  # R-Net's layout: 4, where size ratios gave 6
    (4,)
    """
    ops = check_items("ops", ops, Op, hint="artifact_lab.models.trace.trace records them")
    spatial = per_axis("spatial", spatial, None, minimum=1)
    period = lcm_period([op_period(op, "backward") for op in ops])
    return period if period is not None and len(period) == len(spatial) else (1,) * len(spatial)
