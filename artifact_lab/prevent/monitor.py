"""Watch the checkerboard scores of a model's upsampling layers while it trains.

:func:`monitor` finds the layers once (:func:`artifact_lab.prevent.losses.find_layers`) and, every
``every`` steps, scores their current weights in closed form: no forward pass, no data,
tens of microseconds a layer. The records form a tidy DataFrame (one row per layer per
record) whose values equal :func:`artifact_lab.core.scores.weight_scores` of each layer at that
step, and can go to TensorBoard as they are made. A layer whose weights hold a NaN or an
infinity records NaN scores (never 0), with a ``RuntimeWarning`` naming it and the step.

Use it in any loop::

    mon = al.monitor(model, every=50)
    for step, batch in enumerate(loader):
        ...
        optimizer.step()
        mon(step)              # or mon.step(): records on steps 0, 50, 100, ...
    mon.to_frame()

With PyTorch Lightning (artifact_lab does not depend on it), a callback is four lines::

    import lightning.pytorch as pl

    class CheckerboardMonitor(pl.Callback):
        def __init__(self, every=50, **kwargs):
            self.every, self.kwargs, self.mon = every, kwargs, None

        def on_fit_start(self, trainer, pl_module):
            self.mon = al.monitor(pl_module, every=self.every, **self.kwargs)

        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            self.mon(trainer.global_step)

    trainer = pl.Trainer(callbacks=[cb := CheckerboardMonitor(every=100)])
    trainer.fit(model)
    cb.mon.to_frame()
"""

from __future__ import annotations

import math
import os
import time
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from torch import nn

from .._util.checks import check_choice, check_int, check_module
from .losses import DIRECTIONS, find_layers, record_scores

__all__ = ["COLUMNS", "Monitor", "monitor"]

COLUMNS = {
    "step": "training step of the record",
    "layer": "module name in the model",
    "kind": "transposed, subpixel (conv + pixel shuffle) or strided_conv",
    "direction": "forward (the layer's output) or backward (its input gradient)",
    "checkerboard_score": "closed form, as weight_scores(...).checkerboard_score",
    "pair_score": "closed form pooled over (input, output) channel pairs (0: every pair clean)",
    "noise_checkerboard": "closed form, as weight_scores(...).noise_checkerboard",
    "harmonic_power": "numerator of the score: harmonic power for a constant input of 1",
    "zero_gain": "True when no output channel responds to a constant input",
}

_DTYPES = {
    "step": "int64",
    "checkerboard_score": "float64",
    "pair_score": "float64",
    "noise_checkerboard": "float64",
    "harmonic_power": "float64",
    "zero_gain": "bool",
}


class Monitor:
    """Records closed-form scores of a model's layers; call it once per training step.

    Build it with :func:`monitor`. Attributes: ``layers`` (the scored layers), ``every``,
    ``records`` (how many records were made), ``seconds`` (time spent scoring).
    """

    def __init__(
        self,
        model: nn.Module,
        *,
        every: int = 1,
        direction: str = "forward",
        subpixel: Mapping[str, int] | None = None,
        log_dir: str | Path | None = None,
        writer: Any = None,
        tag: str = "checkerboard",
    ) -> None:
        self.every = check_int("every", every, minimum=1)
        check_choice("direction", direction, DIRECTIONS)
        if writer is not None and not callable(getattr(writer, "add_scalar", None)):
            raise TypeError(
                f"writer must have an add_scalar(tag, value, step) method (a TensorBoard "
                f"SummaryWriter), got {type(writer).__name__}"
            )
        if log_dir is not None and not isinstance(log_dir, (str, os.PathLike)):
            raise TypeError(f"log_dir must be a folder path or None, got {log_dir!r}")
        if writer is not None and log_dir is not None:
            raise ValueError("give log_dir or writer, not both")
        if not isinstance(tag, str) or not tag:
            raise ValueError(f"tag must be a non-empty string, got {tag!r}")
        self.layers = find_layers(model, direction=direction, subpixel=subpixel)
        self.tag = tag
        self.writer = writer
        self._own_writer = False
        if log_dir is not None:
            try:
                from torch.utils.tensorboard import SummaryWriter
            except ImportError as exc:
                warnings.warn(
                    f"TensorBoard logging is off ({exc}); install tensorboard to log scores "
                    "to log_dir. The scores are still recorded in the frame.",
                    stacklevel=3,
                )
            else:
                self.writer = SummaryWriter(str(log_dir))
                self._own_writer = True
        self._rows: list[tuple] = []
        self._next = 0
        self.records = 0
        self.seconds = 0.0

    def __call__(self, step: int | None = None) -> bool:
        """Count one training step; record when it is a multiple of ``every``.

        Parameters
        ----------
        step : int, optional
            The step number (e.g. ``trainer.global_step``); default: one more than the last
            call's (starting at 0).

        Returns
        -------
        bool
            Whether a record was made.
        """
        step = self._next if step is None else check_int("step", step, minimum=0)
        self._next = step + 1
        if step % self.every:
            return False
        self.record(step)
        return True

    step = __call__

    @torch.no_grad()
    def record(self, step: int) -> None:
        """Score every layer now, whatever ``every`` says, under the step number ``step``."""
        step = check_int("step", step, minimum=0)
        start = time.perf_counter()
        values = [record_scores(x) for x in self.layers]
        diverged = [
            x.name or "model" for x, v in zip(self.layers, values) if math.isnan(v[0] + v[4])
        ]
        if diverged:  # a NaN score: some weight is NaN or infinite
            warnings.warn(
                f"step {step}: layer(s) {', '.join(diverged)} hold NaN or infinite weights "
                "(training diverged?); their scores are recorded as NaN",
                RuntimeWarning,
                stacklevel=3,
            )
        for layer, v in zip(self.layers, values):
            self._rows.append(
                (step, layer.name, layer.kind, layer.direction, v[0], v[4], v[2], v[1], v[3] == 0)
            )
        self.seconds += time.perf_counter() - start
        self.records += 1
        if self.writer is not None:
            for layer, v in zip(self.layers, values):
                name = layer.name or "model"
                self.writer.add_scalar(f"{self.tag}/{name}/score", v[0], step)
                self.writer.add_scalar(f"{self.tag}/{name}/pair_score", v[4], step)
                self.writer.add_scalar(f"{self.tag}/{name}/noise", v[2], step)

    def to_frame(self) -> pd.DataFrame:
        """One row per layer per record; columns :data:`COLUMNS`."""
        return pd.DataFrame(self._rows, columns=list(COLUMNS)).astype(_DTYPES)

    @property
    def microseconds_per_layer(self) -> float:
        """Mean scoring time per layer and record (NaN before the first record)."""
        n = self.records * len(self.layers)
        return 1e6 * self.seconds / n if n else float("nan")

    def close(self) -> None:
        """Flush and close a writer this monitor opened (a given writer is left open)."""
        if self._own_writer and self.writer is not None:
            self.writer.close()

    def __repr__(self) -> str:
        return f"Monitor({len(self.layers)} layer(s), every={self.every}, records={self.records})"


def monitor(
    model: nn.Module,
    every: int = 1,
    *,
    direction: str = "forward",
    subpixel: Mapping[str, int] | None = None,
    log_dir: str | Path | None = None,
    writer: Any = None,
    tag: str = "checkerboard",
) -> Monitor:
    """Record each upsampling layer's closed-form scores during training.

    Parameters
    ----------
    model : torch.nn.Module
    every : int
        Record on steps that are multiples of ``every``.
    direction : {"forward", "backward", "both"}
        Upsampling layers (forward), strided convolutions (backward: the checkerboard of
        their input gradient), or both. See :func:`artifact_lab.prevent.losses.find_layers`.
    subpixel : mapping of str to int, optional
        Convolutions feeding a pixel shuffle from ``forward`` code: name -> factor.
    log_dir : str or path, optional
        Also log to TensorBoard there (``torch.utils.tensorboard``); if tensorboard is not
        installed, a warning says so and the scores are only kept in the frame.
    writer : object with ``add_scalar(tag, value, step)``, optional
        An open ``SummaryWriter`` (or anything like it) to log to instead.
    tag : str
        Prefix of the TensorBoard tags: ``{tag}/{layer}/score``, ``.../pair_score`` and
        ``.../noise``.

    Returns
    -------
    Monitor
        Call it (``mon(step)`` or ``mon.step()``) once per training step; ``mon.to_frame()``.
        A model without upsampling layers gives a monitor with no layers and an empty frame.

    Examples
    --------
    >>> import artifact_lab as al
    >>> model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ConvTranspose2d(8, 1, 4, 2, 1))
    >>> mon = al.monitor(model, every=2)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> for step in range(5):
    ...     loss = model(torch.randn(2, 1, 8, 8)).square().mean()
    ...     opt.zero_grad(); loss.backward(); opt.step()
    ...     _ = mon(step)
    >>> frame = mon.to_frame()
    >>> frame.step.tolist(), frame.layer.tolist(), bool(frame.checkerboard_score.gt(0).all())
    ([0, 2, 4], ['1', '1', '1'], True)
    """
    check_module("model", model)
    return Monitor(
        model,
        every=every,
        direction=direction,
        subpixel=subpixel,
        log_dir=log_dir,
        writer=writer,
        tag=tag,
    )
