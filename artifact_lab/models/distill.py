"""What a fix costs a trained model's function, and a short distillation that gives it back.

:func:`~artifact_lab.models.audit.fix` replaces layers; on a trained model the replacement
changes what the model computes. :func:`change_report` measures it on the audit's own inputs
(seeded white noise of the input shape) and on the user's ``data``: the relative L2 change of
the output and, when given, the user's task metric. :func:`distill` then trains only the
replaced layers to reproduce the original model's outputs (knowledge distillation, Hinton et
al. 2015): every other parameter is frozen, so the backward pass stops at the replaced
layers, and a constrained or projected replacement stays artifact-free at every step because
the constraint is its parametrisation.

References
----------
Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network", 2015.
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import (
    check_callable,
    check_choice,
    check_float,
    check_int,
    check_items,
    check_module,
    check_shape,
    check_str,
    check_tensor,
    check_values,
)

__all__ = [
    "CHANGE_COLUMNS",
    "LARGE_CHANGE",
    "MAX_STEPS",
    "FixReport",
    "FixWarning",
    "change_report",
    "distill",
    "distill_loss",
    "relative_change",
]

#: Most Adam steps :func:`distill` takes: it adapts replaced layers, it does not train a model.
MAX_STEPS = 1_000_000

LARGE_CHANGE = 0.1  # relative L2 change of the output above which a fix warns
CHANGE_COLUMNS = ("inputs", "stage", "relative_change", "metric")
AUDIT_ITEMS = 4  # noise inputs the change is measured on (the audit's own noise items)
LOSSES = ("mse", "bce")


class FixWarning(UserWarning):
    """A fix changed the model's output a lot: retrain, or distil (``distill_steps=``)."""


def relative_change(before: torch.Tensor, after: torch.Tensor) -> float:
    """``||after - before|| / ||before||`` over every element (0 when both are 0).

    Examples
    --------
    >>> relative_change(torch.tensor([3.0, 4.0]), torch.tensor([3.0, 4.5]))
    0.1
    """
    check_values("before", check_tensor("before", before))
    check_values("after", check_tensor("after", after))
    a, b = before.detach().double(), after.detach().double()
    if a.shape != b.shape:
        raise ValueError(f"before {tuple(a.shape)} and after {tuple(b.shape)} differ in shape")
    norm = float(a.norm())
    diff = float((b - a).norm())
    if norm == 0:
        return 0.0 if diff == 0 else float("inf")
    return diff / norm


def _audit_inputs(shape: tuple[int, ...], seed: int, like: torch.Tensor | None) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((AUDIT_ITEMS, *shape[1:]), generator=gen)
    if like is not None:
        x = x.to(device=like.device, dtype=like.dtype)
    return x


def _reference(model: nn.Module) -> torch.Tensor | None:
    """A floating parameter of the model (of the model a selecting wrapper runs)."""
    model = getattr(model, "inner", model)
    return next((p for p in model.parameters() if p.is_floating_point()), None)


def _outputs(model: nn.Module, x: torch.Tensor, chunk: int) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([model(x[i : i + chunk]) for i in range(0, len(x), chunk)])


def change_report(
    original: nn.Module,
    fixed: nn.Module,
    shape: Sequence[int],
    data: torch.Tensor | None,
    metric: Callable[[torch.Tensor, torch.Tensor], float] | None,
    seed: int,
    stage: str,
) -> pd.DataFrame:
    """Rows of :data:`CHANGE_COLUMNS`: the relative output change (and ``metric``) on the
    audit's noise inputs and on ``data``, both models in eval mode, without gradient.

    Examples
    --------
    >>> a = nn.Conv1d(1, 1, 3)
    >>> t = change_report(a, a, (1, 1, 16), None, None, 0, "replaced")
    >>> t.values.tolist()
    [['audit noise', 'replaced', 0.0, nan]]
    """
    check_values("original", check_module("original", original))
    check_values("fixed", check_module("fixed", fixed))
    shape = check_shape("shape", shape, max_elements=1 << 28)
    seed = check_int("seed", seed, minimum=0)
    check_str("stage", stage, empty_ok=False)
    if metric is not None:
        check_callable("metric", metric)
    if data is not None:
        check_tensor("data", data, min_ndim=len(shape), shape="(N, C, *spatial)")
        check_values("data", data)
    ref = _reference(original)
    sets = [("audit noise", _audit_inputs(shape, seed, ref))]
    if data is not None:
        sets.append(
            ("data", data.to(device=ref.device, dtype=ref.dtype) if ref is not None else data)
        )
    modes = original.training, fixed.training
    original.eval()
    fixed.eval()
    rows = []
    try:
        for label, x in sets:
            chunk = max(1, shape[0])
            before, after = _outputs(original, x, chunk), _outputs(fixed, x, chunk)
            value = float("nan")
            if metric is not None:
                value = float(metric(before, after))
            rows.append((label, stage, relative_change(before, after), value))
    finally:
        original.train(modes[0])
        fixed.train(modes[1])
    return pd.DataFrame(rows, columns=list(CHANGE_COLUMNS))


def distill_loss(squashed_by: str | None) -> str:
    """``"bce"`` for an output a sigmoid produces (its values are probabilities), else
    ``"mse"``.

    Examples
    --------
    >>> distill_loss("sigmoid"), distill_loss(None)
    ('bce', 'mse')
    """
    check_str("squashed_by", squashed_by, none_ok=True)
    return "bce" if squashed_by == "sigmoid" else "mse"


def distill(
    teacher: nn.Module,
    student: nn.Module,
    replaced: Sequence[nn.Module],
    shape: Sequence[int],
    *,
    steps: int,
    data: torch.Tensor | None = None,
    loss: str = "mse",
    lr: float = 2e-3,
    seed: int = 0,
) -> list[float]:
    """Train the parameters of ``replaced`` (modules inside ``student``) so that ``student``
    reproduces ``teacher``'s outputs; every other parameter of ``student`` stays as it is.

    Parameters
    ----------
    teacher, student : torch.nn.Module
        Both run in eval mode (batch norms use their running statistics); the teacher
        without gradient.
    replaced : sequence of torch.nn.Module
        The modules to train (submodules of ``student``).
    shape : sequence of int
        ``(N, C, *spatial)``: each step takes ``max(2, N)`` items.
    steps : int
        Adam steps.
    data : torch.Tensor, optional
        Inputs to cycle through; default fresh seeded white noise every step.
    loss : {"mse", "bce"}
        Squared error, or binary cross-entropy against the teacher's probabilities.
    lr : float
        Adam's learning rate.
    seed : int
        For the noise inputs.

    Returns
    -------
    list of float
        The loss at every step.

    Examples
    --------
    >>> torch.manual_seed(0) and None
    >>> teacher, student = nn.Conv1d(1, 1, 3), nn.Conv1d(1, 1, 3)
    >>> losses = distill(teacher, student, [student], (2, 1, 32), steps=50, lr=0.05)
    >>> losses[-1] < 0.1 * losses[0]
    True
    """
    check_values("teacher", check_module("teacher", teacher))
    check_values("student", check_module("student", student))
    replaced = check_items("replaced", replaced, nn.Module)
    if data is not None:
        check_values("data", check_tensor("data", data, min_ndim=3, shape="(N, C, *spatial)"))
    shape = check_shape("shape", shape, max_elements=1 << 28)
    steps = check_int("steps", steps, minimum=1)
    if steps > MAX_STEPS:
        raise ValueError(
            f"steps must be at most {MAX_STEPS:,} (a distillation, not a training run), "
            f"got {steps:,}"
        )
    check_choice("loss", loss, LOSSES)
    lr = check_float("lr", lr, positive=True)
    seed = check_int("seed", seed, minimum=0)
    params = [p for m in replaced for p in m.parameters()]
    if not params:
        raise ValueError("the replaced layers have no parameters to train")
    trainable = {id(p) for p in params}
    frozen = [(p, p.requires_grad) for p in student.parameters() if id(p) not in trainable]
    for p, _ in frozen:
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    ref = _reference(student)
    gen = torch.Generator().manual_seed(seed)
    per_step = max(2, shape[0])
    if data is not None:
        order = itertools.cycle(range(len(data)))
    opt = torch.optim.Adam(params, lr=lr)
    modes = teacher.training, student.training
    teacher.eval()
    student.eval()
    losses = []
    try:
        for _ in range(steps):
            if data is None:
                x = torch.randn((per_step, *shape[1:]), generator=gen)
            else:
                x = data[[next(order) for _ in range(min(per_step, len(data)))]]
            if ref is not None:
                x = x.to(device=ref.device, dtype=ref.dtype)
            with torch.no_grad():
                target = teacher(x)
            y = student(x)
            if loss == "bce":
                value = F.binary_cross_entropy(y.clamp(1e-7, 1 - 1e-7), target.clamp(0, 1))
            else:
                value = F.mse_loss(y, target)
            if not value.requires_grad:  # checked on the first step, before any update
                raise ValueError(
                    "replaced: the student's output does not depend on these modules' "
                    "parameters; pass the layers of student that the fix replaced"
                )
            opt.zero_grad()
            value.backward()
            opt.step()
            losses.append(float(value.detach()))
    finally:
        for p, flag in frozen:
            p.requires_grad_(flag)
        teacher.train(modes[0])
        student.train(modes[1])
    return losses


@dataclass(frozen=True)
class FixReport:
    """A fixed model and what the fix cost its function.

    Attributes
    ----------
    model : torch.nn.Module
    replaced : list of str
        The replaced modules' names.
    strategy : str
    changes : DataFrame
        :data:`CHANGE_COLUMNS`: per input set (``"audit noise"``, ``"data"``) and stage
        (``"replaced"``; ``"distilled"`` after a distillation), the relative L2 change of the
        output against the original model's, and the user's metric.
    losses : tuple of float
        The distillation's loss per step.
    """

    model: nn.Module
    replaced: list[str]
    strategy: str
    changes: pd.DataFrame
    losses: tuple[float, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        return self.changes.copy()

    @property
    def final(self) -> pd.DataFrame:
        """The rows of the last stage (after the distillation, if any)."""
        return self.changes[self.changes.stage == self.changes.stage.iloc[-1]]

    def summary(self) -> str:
        """One line per input set and stage."""
        lines = [f"fix ({self.strategy}) replaced {', '.join(self.replaced) or 'nothing'}"]
        for r in self.changes.itertuples():
            metric = "" if pd.isna(r.metric) else f", metric {r.metric:.4g}"
            lines.append(
                f"  {r.inputs}, {r.stage}: relative output change {r.relative_change:.3g}{metric}"
            )
        if self.losses:
            lines.append(
                f"  distillation: {len(self.losses)} steps, loss {self.losses[0]:.3g} -> "
                f"{self.losses[-1]:.3g}"
            )
        return "\n".join(lines)

    def warn(self) -> None:
        """Issue a :class:`FixWarning` when the final change exceeds :data:`LARGE_CHANGE`."""
        worst = self.final.relative_change.max() if len(self.final) else 0.0
        if worst > LARGE_CHANGE:
            where = ", ".join(
                f"{r.inputs} {r.relative_change:.2f}"
                for r in self.final.itertuples()
                if r.relative_change > LARGE_CHANGE
            )
            advice = (
                "more distill_steps, or data= inputs like the model's"
                if self.losses
                else "retrain it, or pass distill_steps= (with data=) to fit the replaced layers"
            )
            warnings.warn(
                f"the fix ({self.strategy}) changes the model's output by more than "
                f"{LARGE_CHANGE:.0%} (relative L2: {where}): {advice}",
                FixWarning,
                stacklevel=3,
            )
