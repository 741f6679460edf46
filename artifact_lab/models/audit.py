"""Audit a torch model: find every resampling operation, score it, say how severe it is, and
propose fixes that keep what the model learned.

``direction="forward"`` looks at the output: every upsampling operation (ConvTranspose1d/2d/3d
as a module or a function, ``Upsample`` and ``interpolate``, pixel shuffle with the
convolution that feeds it) is scored in closed form from its actual weights.
``direction="backward"`` looks at the gradient with respect to the input: every downsampling
operation (strided convolutions, pools, shrinking ``interpolate``, in modules or called
functionally) is scored through its adjoint (:mod:`artifact_lab.core.adjoint`), in closed
form where one exists and measured by autograd where the adjoint depends on the data (max
pools).

Each operation gets the **period** it paints (:mod:`artifact_lab.models.periods`, from the
exact sampling steps the trace saw) and a **severity** (:mod:`artifact_lab.models.severity`):
the band of its own score (the harmonic fraction it gives a constant input), capped, when the
whole model is measured, by what the model's output or gradient really carries at that
period on the audit's inputs. ``flagged`` means visible or strong. The whole model is
measured at every distinct period of its operations (:attr:`AuditResult.periods`), each
period's own harmonics against their spectral neighbours, and at the least common multiple
of the periods that paint (:attr:`AuditResult.model_scores`, each beside its chance level).

The parts live in modules of their own: :mod:`~artifact_lab.models.trace` finds the operations
as they run, :mod:`~artifact_lab.models.findings` scores each one, this module gathers them into
:class:`AuditResult` and replaces the flagged ones (:func:`fix`, with the replacements of
:mod:`~artifact_lab.models.strategies` and the report and distillation of
:mod:`~artifact_lab.models.distill`); :mod:`~artifact_lab.models.loading` builds a user's
model (a Python factory or an ONNX file).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._util.checks import (
    as_names,
    check_bool,
    check_direction,
    check_float,
    check_int,
    check_module,
    check_shape,
    check_values,
)
from ..backend import select_device
from .distill import FixReport, change_report, distill, distill_loss
from .findings import (
    LayerFinding,
    backward_finding,
    compact,
    forward_finding,
    geometry_text,
)
from .measure import (
    COLUMNS,
    MAX_ELEMENTS,
    PROJECTIONS,
    MeasuredMap,
    backward_maps,
    fit_period,
    forward_maps,
    noise_batch,
    scores_frame,
)
from .periods import model_period, op_period
from .recommend import REC_COLUMNS, recommend_backward, recommend_forward
from .severity import NEGLIGIBLE, PERIOD_COLUMNS, band_rank, period_table
from .strategies import resolve_strategy
from .trace import Traced, call_model, check_output, run_trace

__all__ = ["AuditResult", "FixReport", "LayerFinding", "audit", "audit_zoo", "fix"]

_NOUN = {"forward": "upsampling", "backward": "downsampling"}
SATURATED = (
    0.5  # share of squashed outputs with p(1 - p) < 1e-6 above which the output is saturated
)


_GEOMETRY_KEYS = (
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "dilation",
    "groups",
    "ceil_mode",
    "mode",
)


@dataclass(frozen=True)
class AuditResult:
    """Findings per operation and for the whole model.

    Attributes
    ----------
    layers : tuple of LayerFinding
        One per operation, with its ``period``, ``severity`` and ``flagged``.
    model_scores : DataFrame
        One row per measured map (see :mod:`artifact_lab.models.measure`): ``input`` (``"zero"``,
        ``"constant"``, ``"noise"``; backward ``"noise"``, ``"images"``), ``measured``
        (``"y(0)"``, ``"y(1) - y(0)"``, ``"y(noise) - y(0)"``; backward ``"grad sum(y)"`` or
        ``"grad <r, y>"``), ``factor`` (the period measured at, per axis: :attr:`period`, or
        its largest divisor that fits twice, with a warning), ``harmonic_fraction`` (power at
        the non-zero harmonics over all power, DC kept), ``chance`` (the same fraction for a
        map without a periodic pattern), ``peak_db`` (strongest harmonic over the mean
        non-harmonic bin) and ``power`` (mean square).
    recommendations : DataFrame
        ``layer, strategy, option, kernel_size, stride, padding, output_padding,
        replaceable`` (whether :func:`fix` can apply it: modules only).
    direction : {"forward", "backward"}
    periods : DataFrame
        Every distinct period of the operations, on every measured map (columns
        :data:`artifact_lab.models.severity.PERIOD_COLUMNS`): each period's new harmonics
        against their neighbours, whether a pattern is present, its strength ``h`` and band.
    period : tuple of int
        The least common multiple of the painting operations' periods.
    warnings : tuple of str
        What makes a number mean less than it seems: a saturated or negligible output, a
        period cut to fit, steps that disagree at a merge.
    output : str
        Which output was audited (the model's, an element of it, or a submodule's).
    """

    model_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[LayerFinding, ...]
    model_scores: pd.DataFrame
    recommendations: pd.DataFrame
    direction: str = "forward"
    periods: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=PERIOD_COLUMNS))
    period: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    output: str = "the model's output"

    def to_frame(self) -> pd.DataFrame:
        """One row per operation: shapes, geometry, scores, period, severity, flag, method,
        location and note."""
        rows = []
        for f in self.layers:
            rows.append(
                {
                    "layer": f.name,
                    "kind": f.kind,
                    "input_shape": f.input_shape,
                    "output_shape": f.output_shape,
                    "factor": f.factor,
                    **{k: f.geometry.get(k) for k in _GEOMETRY_KEYS},
                    "overlap_contrast": f.overlap_contrast,
                    "holes": f.holes,
                    "checkerboard_score": f.checkerboard_score,
                    "noise_checkerboard": f.noise_checkerboard,
                    "method": f.method,
                    "chance": f.chance,
                    "flagged": f.flagged,
                    "period": f.period,
                    "severity": f.severity,
                    "location": f.location,
                    "note": f.note,
                }
            )
        return pd.DataFrame(rows, columns=[*_FRAME_COLUMNS])

    @property
    def flagged(self) -> list[str]:
        """Names of the operations whose severity is visible or strong."""
        return [f.name for f in self.layers if f.flagged]

    def summary(self) -> str:
        """A few lines of plain text: what was found, how severe, what to do."""
        noun = _NOUN[self.direction]
        what = "gradient" if self.direction == "backward" else "output"
        head = (
            f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}; "
            f"{len(self.layers)} {noun} operation(s)"
        )
        if self.output != "the model's output":
            head += f" (audited: {self.output})"
        if not self.layers:
            looked = (
                "strided Conv1d/2d/3d, Avg/Max/LP/adaptive/fractional pools, shrinking "
                "interpolate, PixelUnshuffle, in modules or functional calls"
                if self.direction == "backward"
                else "ConvTranspose1d/2d/3d and F.conv_transpose*d, Upsample and interpolate, "
                "PixelShuffle and pixel_shuffle"
            )
            return head + f". No {noun} operation found (looked for {looked})."
        lines = [head + f", {len(self.flagged)} flagged ({what} checkerboard)."]
        label = "adjoint checkerboard" if self.direction == "backward" else "checkerboard"
        for f in self.layers:
            mark = "FLAG" if f.flagged else "ok  "
            score = (
                "not scored"
                if np.isnan(f.checkerboard_score)
                else f"{label} {f.checkerboard_score:.3f}"
                + (f" (measured; chance {f.chance:.3f})" if f.method == "measured" else "")
            )
            contrast = (
                ""
                if np.isnan(f.overlap_contrast)
                else f", overlap contrast {f.overlap_contrast:.3f}"
            )
            period = "" if f.period is None else f", period {compact(f.period)}"
            lines.append(
                f"  {mark} {f.name or '(model)'} [{f.kind} {geometry_text(f)}]: {score}{contrast}"
                + (", HOLES" if f.holes else "")
                + f"{period}, {f.severity}"
                + (f" ({f.note})" if f.note else "")
                + (f" at {f.location}" if f.location else "")
            )
        for row in self.model_scores.itertuples():
            where = f"whole model, {row.measured} at {row.input} input"
            if np.isnan(row.harmonic_fraction):
                lines.append(
                    f"  {where}: not measured (fewer than two periods of {compact(row.factor)})"
                )
                continue
            lines.append(
                f"  {where}: harmonic fraction {row.harmonic_fraction:.3f} "
                f"(chance {row.chance:.3f}), peak {row.peak_db:.1f} dB at period "
                f"{compact(row.factor)}, power {row.power:.3g}"
            )
        for row in self.periods[self.periods.present.astype(bool)].itertuples():
            spread = "" if not np.isfinite(row.ratio_se) else f" ± {row.ratio_se:.2f}"
            lines.append(
                f"  pattern at period {compact(row.period)} in the {row.measured} at "
                f"{row.input} input: {row.ratio:.2f}{spread} × its spectral neighbours, "
                f"strength {row.h:.2g}: {row.band}"
            )
        for name, group in self.recommendations.groupby("layer", sort=False):
            options = "; ".join(group.option.head(3))
            lines.append(f"  fix {name or '(model)'}: {options}")
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def figure(self):
        """Bar chart of each operation's score, flagged ones in red."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(
            figsize=(min(6.3, max(4, 0.45 * len(self.layers) + 2)), 3.2), layout="constrained"
        )
        names = [f.name for f in self.layers] or ["(none)"]
        values = [
            0.0 if np.isnan(f.checkerboard_score) else f.checkerboard_score for f in self.layers
        ] or [0]
        colors = ["C3" if f.flagged else "C2" for f in self.layers] or ["0.7"]
        ax.bar(range(len(names)), values, color=colors)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        which = "adjoint (gradient)" if self.direction == "backward" else "closed-form"
        ax.set_ylabel(f"{which} checkerboard score", fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{self.model_name}: per-operation score (red: flagged)", fontsize=9)
        return fig


_FRAME_COLUMNS = (
    "layer",
    "kind",
    "input_shape",
    "output_shape",
    "factor",
    *_GEOMETRY_KEYS,
    "overlap_contrast",
    "holes",
    "checkerboard_score",
    "noise_checkerboard",
    "method",
    "chance",
    "flagged",
    "period",
    "severity",
    "location",
    "note",
)


# --------------------------------------------------------------------------- failures


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else f"{type(exc).__name__} (no message)"


@contextlib.contextmanager
def model_step(model_name: str, step: str, shape: tuple[int, ...]) -> Iterator[None]:
    """Turn any failure of the user's model inside ``step`` into one ValueError that names
    the model, the step, the input shape and torch's message."""
    try:
        yield
    except (ValueError, TypeError) as exc:
        if "the model " in str(exc)[:200]:
            raise
        raise ValueError(
            f"the model {model_name} failed on input_shape {shape} while {step}: {_reason(exc)}"
        ) from None
    except Exception as exc:
        raise ValueError(
            f"the model {model_name} failed on input_shape {shape} while {step}: {_reason(exc)}"
        ) from None


def _describe_output(output: str | None, output_index: Any) -> str:
    parts = []
    if output is not None:
        parts.append(f"the output of {output!r}")
    if output_index is not None:
        parts.append(f"element {output_index!r}")
    return ", ".join(parts) if parts else "the model's output"


class _Selected(nn.Module):
    """Runs the model and returns the selected output (the model is not a registered child,
    so this wrapper adds no name to the model's module tree)."""

    def __init__(self, model: nn.Module, output: str | None, output_index: Any) -> None:
        super().__init__()
        object.__setattr__(self, "inner", model)
        self.output_name, self.output_index = output, output_index

    def forward(self, x: torch.Tensor) -> Any:
        return call_model(self.inner, x, output=self.output_name, output_index=self.output_index)


def _as_output(out: Any, label: str, output: str | None) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)):
        kinds = ", ".join(type(v).__name__ for v in out[:4])
        raise TypeError(
            f"the model {label} returns a {type(out).__name__} of {len(out)} ({kinds}): pass "
            f"output_index=0..{len(out) - 1} to audit one element (CLI: --output-index)"
        )
    if isinstance(out, dict):
        raise TypeError(
            f"the model {label} returns a dict ({list(out)[:6]}): pass output_index=<key> to "
            "audit one element (CLI: --output-index)"
        )
    where = f"submodule {output!r}" if output else f"the model {label}"
    raise TypeError(
        f"{where} returns {type(out).__name__}, not a tensor: pass output= a submodule whose "
        "output is a tensor"
    )


# --------------------------------------------------------------------------- severity


def _saturation(y: torch.Tensor) -> float:
    p = y.detach().double()
    return float(((p * (1 - p)) < 1e-6).double().mean()) if p.numel() else 0.0


def _warnings(
    traced: Traced, maps: Sequence[MeasuredMap], period, used, out: torch.Tensor
) -> list[str]:
    found = []
    if traced.squashed_by is not None:
        # forward: y(0) and y(noise) = the noise response + y(0); backward: the traced output
        seen = [out] + [m.values + out[:1] for m in maps if m.measured == "y(noise) - y(0)"]
        share = max(_saturation(y) for y in seen)
        if share > SATURATED:
            where = (
                f"output={traced.logits_module!r}"
                if traced.logits_module
                else "output= the module that computes them"
            )
            found.append(
                f"the output is saturated: {share:.0%} of the {traced.squashed_by}'s values have "
                f"p(1 - p) < 1e-6, so a pattern in what feeds it cannot show; audit the logits "
                f"with {where}"
            )
    for m in maps:
        power = float(m.values.detach().double().pow(2).mean())
        if 0 < power < NEGLIGIBLE:  # an exactly zero map carries no pattern, and says so
            why = ""
            if traced.squashed_by == "softmax" and m.measured == "grad sum(y)":
                why = (
                    " (a softmax's outputs sum to 1, so sum(y) has no gradient: pass "
                    "projection='random', or audit one class or the logits)"
                )
            found.append(
                f"the {m.measured} at {m.input} input is negligible (mean power {power:.1g}): "
                f"a pattern there means nothing{why}"
            )
    if used is not None and tuple(used) != tuple(period):
        found.append(
            f"the period {compact(tuple(period))} does not fit twice in the measured crop: the "
            f"whole-model rows are measured at its divisor {compact(tuple(used))}"
        )
    if traced.conflicts:
        found.append(
            "sampling steps disagree where branches merge ("
            + "; ".join(traced.conflicts[:3])
            + "): the periods after them may be wrong"
        )
    return found


def _with_severity(
    findings: Sequence[LayerFinding], table: pd.DataFrame | None
) -> tuple[LayerFinding, ...]:
    """Cap each finding's closed-form severity by the strongest band the measured maps carry
    at its period (no period: nothing periodic to paint)."""
    out = []
    for f in findings:
        cap = f.severity
        note = f.note
        if f.period is None:  # one window, or no fixed grid: nothing periodic, but holes are
            severity = cap if f.holes or cap == "unknown" else "none"
        elif table is None or table.empty:
            severity = cap
        else:
            rows = table[table.period.map(lambda p, q=f.period: tuple(p) == tuple(q))]
            measured = rows[~rows.h.isna()]
            if measured.empty:
                severity = cap
                note = "; ".join(x for x in (note, "its period was not measured") if x)
            else:
                seen = max((r for r in measured.band), key=band_rank)
                severity = seen if cap == "unknown" else min(cap, seen, key=band_rank)
        out.append(dataclasses.replace(f, severity=severity, note=note))
    return tuple(out)


# --------------------------------------------------------------------------- audit


def audit(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    direction: str = "forward",
    name: str | None = None,
    device: str | torch.device | None = None,
    measure: bool = True,
    projection: str = "sum",
    images: bool = True,
    seed: int = 0,
    output: str | None = None,
    output_index: int | str | None = None,
    batch: int | None = None,
) -> AuditResult:
    """Find, score and explain every resampling operation of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Run in eval mode (then restored to its mode); never modified. Safe to audit from
        several threads at once (different models; one model object is not, as its mode is
        switched to eval while it runs).
    input_shape : sequence of int
        ``(N, C, *spatial)`` with 1 to 3 spatial axes; numpy ints are accepted, bools are
        not.
    direction : {"forward", "backward"}
        ``"forward"``: upsampling operations and the output's checkerboard (one pass on
        zeros). ``"backward"``: downsampling operations and the checkerboard of the gradient
        with respect to the input (one pass on seeded white noise, so that data-dependent
        adjoints such as max pools are measured at realistic activations).
    name : str, optional
        For the summary and messages (default: the model's class name).
    device : str or torch.device, optional
        Where a model without parameters runs (one with parameters runs where they are).
    measure : bool
        Also measure the whole model (see :mod:`artifact_lab.models.measure`): forward, the fixed
        pattern ``y(0)``, the constant and the noise responses; backward, the input
        gradient at noise and at real images; each beside its chance level, and each period
        against its spectral neighbours (:attr:`AuditResult.periods`). Without it, each
        severity is that of the operation's closed form alone.
    projection : {"sum", "random"}
        Backward: the gradient of ``sum(y)`` or of a fixed random projection ``<r, y>``.
    images : bool
        Backward, 2-D inputs: also measure the gradient at scikit-image's pictures.
    seed : int
        For the noise inputs and the projection.
    output : str, optional
        Audit the output of this submodule instead of the model's (its logits before a
        saturated sigmoid, for example); the pass stops there.
    output_index : int or str, optional
        Audit this element of a tuple, list (int) or dict (key) output.
    batch : int, optional
        Noise items for the significance tables (default: about 2**16 samples of the
        measured map, 16 to 256, see :func:`~artifact_lab.models.measure.noise_batch`).

    Returns
    -------
    AuditResult
        ``.layers``, ``.to_frame()``, ``.summary()``, ``.figure()``, ``.model_scores``,
        ``.periods``, ``.warnings`` and ``.recommendations`` (replacements of identical
        output size).

    Raises
    ------
    TypeError, ValueError
        A bad argument (before any work); a model that fails at any step (one ValueError
        naming the model, the step and torch's message).

    Notes
    -----
    Backward scores are those of each operation's adjoint: a strided convolution's input
    gradient is the transposed convolution with the same weight and geometry, so its phase
    gains and scores are computed from the weight exactly as for an upsampling layer
    (checked against ``torch.autograd`` in tests/core/test_adjoint.py). Grouped layers are
    scored per group, then aggregated like channels.

    References
    ----------
    Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 4, 3, 2, 1, 1), nn.ConvTranspose2d(4, 3, 4, 2, 1))
    >>> res = audit(m, (1, 4, 8, 8), measure=False)
    >>> res.flagged, [(f.period, f.severity) for f in res.layers]
    (['0', '1'], [((4, 4), 'strong'), ((2, 2), 'strong')])
    >>> enc = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 1, 2))
    >>> res = audit(enc, (1, 3, 32, 32), direction="backward", measure=False)
    >>> [(f.name, f.holes, f.period) for f in res.layers]
    [('0', False, (2, 2)), ('2', True, (4, 4))]
    """
    check_module("model", model)
    shape = check_shape("input_shape", input_shape, max_elements=MAX_ELEMENTS)
    check_direction(direction)
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {name!r}")
    measure = check_bool("measure", measure)
    images = check_bool("images", images)
    if projection not in PROJECTIONS:
        raise ValueError(f"projection must be 'sum' or 'random', got {projection!r}")
    seed = check_int("seed", seed, minimum=0)
    check_output(model, output, output_index)
    if batch is not None:
        batch = check_int("batch", batch, minimum=1)
    dev = select_device(device)
    label = name or type(model).__name__
    check_values(f"the model {label}", model)
    nd = len(shape) - 2
    was_training = model.training
    selected = _Selected(model, output, output_index)
    what_out = _describe_output(output, output_index)
    model.eval()
    try:
        param = next(model.parameters(), None)
        dev = param.device if param is not None else dev
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        if direction == "forward":
            x = torch.zeros(shape, dtype=dtype, device=dev)
        else:
            gen = torch.Generator().manual_seed(seed)
            x = torch.randn(shape, generator=gen).to(device=dev, dtype=dtype)
        with model_step(label, "running", shape):
            traced = run_trace(
                model, x, direction=direction, output=output, output_index=output_index
            )
        del x
        out = _as_output(traced.output, label, output)
        if direction == "forward" and measure and out.ndim < 3:
            raise ValueError(
                f"the model {label}'s {what_out} has shape {tuple(out.shape)}: no spatial axes "
                "to measure a pattern on; pass output= a submodule whose output is a map, or "
                "measure=False"
            )
        score = forward_finding if direction == "forward" else backward_finding
        with model_step(label, "scoring its operations", shape):
            findings = tuple(
                dataclasses.replace(score(op), period=op_period(op, direction, traced.output_step))
                for op in traced.ops
            )
        map_nd = out.ndim - 2 if direction == "forward" else nd
        period = model_period(findings, max(map_nd, 1))
        scores = pd.DataFrame(columns=list(COLUMNS))
        table = None
        notes: list[str] = []
        if measure and findings:
            map_shape = out.shape[2:] if direction == "forward" else shape[2:]
            n_noise = batch or noise_batch(map_shape, shape)
            if direction == "forward":
                with model_step(label, "measuring the output", shape):
                    maps = forward_maps(
                        selected, shape, out, batch=n_noise, seed=seed, device=dev, dtype=dtype
                    )
            else:
                with model_step(label, "measuring the input gradient", shape):
                    maps = backward_maps(
                        selected, shape, batch=n_noise, seed=seed, projection=projection,
                        images=images, device=dev, dtype=dtype,
                    )  # fmt: skip
            with model_step(label, "scoring the measured maps", shape):
                scores = scores_frame(maps, period)
                periods = [f.period for f in findings if f.period is not None]
                periods = [p for p in periods if len(p) == maps[0].values.ndim - 2]
                table = pd.concat(
                    [
                        period_table(
                            m.values.detach().cpu(),
                            periods,
                            random=m.random,
                            label=(m.input, m.measured),
                        )
                        for m in maps
                    ],
                    ignore_index=True,
                )
                notes = _warnings(traced, maps, period, fit_period(period, map_shape), out)
            del maps
        elif traced.squashed_by or traced.conflicts:
            notes = _warnings(traced, [], period, None, out)
        findings = _with_severity(findings, table)
    finally:
        model.train(was_training)
    recommend = recommend_forward if direction == "forward" else recommend_backward
    recs = pd.DataFrame([r for f in findings for r in recommend(f)], columns=list(REC_COLUMNS))
    recs["replaceable"] = recs["replaceable"].astype(bool)
    return AuditResult(
        label,
        shape,
        tuple(out.shape),
        findings,
        scores,
        recs,
        direction,
        table if table is not None else pd.DataFrame(columns=list(PERIOD_COLUMNS)),
        period,
        tuple(notes),
        what_out,
    )


def audit_zoo(
    names: Sequence[str] | None = None,
    *,
    direction: str = "forward",
    width: float = 0.125,
    seed: int = 0,
) -> tuple[pd.DataFrame, dict[str, AuditResult]]:
    """Audit every zoo architecture of one direction (or ``names``) and rank them.

    Returns a table with one row per model (operations found, flagged ones, the worst
    operation's score and severity, the whole model's measured harmonic fraction with its
    chance level: forward, of the noise response ``y(noise) - y(0)``; backward, of the input
    gradient at noise), sorted most artifact-prone first, and the full results by name.

    Examples
    --------
    >>> table, results = audit_zoo(["resnet18"], direction="backward", width=1 / 16)
    >>> int(table.flagged[0]) > 0
    True
    """
    from .zoo import ZOO, build, check_width, input_shape

    check_direction(direction)
    if names is None:
        names = [n for n, e in ZOO.items() if e.direction == direction]
    names = as_names("names", names, allowed=sorted(ZOO))
    width = check_width(width)
    seed = check_int("seed", seed, minimum=0)
    results, rows = {}, []
    for name in names:
        model = build(name, width=width, seed=seed)
        res = audit(model, input_shape(name, width=width), name=name, direction=direction)
        results[name] = res
        noise = res.model_scores[res.model_scores.input == "noise"]
        scores = [f.checkerboard_score for f in res.layers if not np.isnan(f.checkerboard_score)]
        rows.append(
            {
                "model": name,
                "operations": len(res.layers),
                "flagged": len(res.flagged),
                "worst score": max(scores, default=0.0),
                "harmonic fraction (noise)": float(noise.harmonic_fraction.iloc[0])
                if len(noise)
                else np.nan,
                "chance": float(noise.chance.iloc[0]) if len(noise) else np.nan,
                "period": compact(noise.factor.iloc[0]) if len(noise) else None,
                "worst severity": max(
                    (f.severity for f in res.layers), key=band_rank, default="none"
                ),
            }
        )
    table = pd.DataFrame(rows).sort_values(["worst score", "flagged"], ascending=False)
    return table.reset_index(drop=True), results


# --------------------------------------------------------------------------- fix


def _check_layers(layers) -> list[str] | None:
    if layers is None:
        return None
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a sequence of module names (e.g. ['up.0']), got {layers!r}"
        )
    for i, name in enumerate(layers):
        if not isinstance(name, str):
            raise TypeError(f"layers[{i}] must be a module name (str), got {name!r}")
    return list(layers)


def _match(new: nn.Module, old: nn.Module) -> nn.Module:
    """Put the replacement on the old layer's device and floating dtype."""
    ref = next(iter(old.parameters()), None)
    if ref is None:
        ref = next(iter(old.buffers()), None)
    if ref is not None and ref.is_floating_point():
        new = new.to(device=ref.device, dtype=ref.dtype)
    return new.train(old.training)


def _check_data(data: Any, shape: tuple[int, ...]) -> torch.Tensor | None:
    if data is None:
        return None
    if not isinstance(data, torch.Tensor):
        raise TypeError(
            f"data must be a torch.Tensor of inputs (N, {', '.join(map(str, shape[1:]))}), got "
            f"{type(data).__name__}"
        )
    if data.ndim != len(shape) or tuple(data.shape[1:]) != tuple(shape[1:]) or not len(data):
        raise ValueError(
            f"data must hold inputs of shape (N, {', '.join(map(str, shape[1:]))}) like "
            f"input_shape {shape}, got {tuple(data.shape)}"
        )
    if not data.is_floating_point() or not bool(torch.isfinite(data).all()):
        raise ValueError("data must be finite floating-point inputs")
    return data


def fix(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    direction: str = "forward",
    layers: Sequence[str] | None = None,
    strategy: str | None = None,
    seed: int = 0,
    output: str | None = None,
    output_index: int | str | None = None,
    distill_steps: int = 0,
    data: torch.Tensor | None = None,
    metric: Callable[[torch.Tensor, torch.Tensor], float] | None = None,
    lr: float = 2e-3,
    report: bool = False,
) -> nn.Module | FixReport:
    """A copy of ``model`` with flagged resampling layers replaced by artifact-free ones.

    Parameters
    ----------
    model : torch.nn.Module
        Not modified.
    input_shape : sequence of int
        ``(N, C, *spatial)``, as for :func:`artifact_lab.models.audit.audit`.
    direction : {"forward", "backward"}
        Fix the output's checkerboard (upsampling layers) or the gradient's (downsampling
        layers).
    layers : sequence of str, optional
        Module names to replace. Default: every flagged module the strategy can replace,
        by an audit without measurement (each operation's closed form); pass
        ``audit(model, shape).flagged`` to replace only those whose period carries a
        measured pattern. Functional calls cannot be replaced: the audit gives the line of
        the ``forward`` to change.
    strategy : str, optional
        A name in :data:`~artifact_lab.models.strategies.STRATEGIES` for ``direction``;
        default ``"transposed"`` (forward), ``"blur"`` (backward). Forward: ``transposed`` (an
        artifact-free geometry with the same stride and output size, hold-smoothed
        initialisation: retrain), ``resize`` (nearest + 3x3 conv, seeded), ``subpixel`` (3x3
        conv with ICNR + pixel shuffle), ``constrained`` (the same geometry as a constrained
        layer fitted to the learned weight; needs ``k >= s`` and ``gcd(d, s) == 1``),
        ``project`` (the learned layer first embedded in a kernel ``s`` taps wider, the same
        function, then projected onto the clean set: it keeps the most of a trained ``k = s``
        layer). Backward: ``blur`` (stride 1 + :class:`BlurPool`, keeps the weights),
        ``even`` (``k % s == 0`` with a hold-smoothed initialisation, retrain), ``pool``
        (stride-1 conv + average pool).
    seed : int
        For the new random initialisations and the distillation's noise.
    output, output_index
        Which output the fix keeps (see :func:`audit`); its shape is checked, and the
        change and distillation are measured on it.
    distill_steps : int
        Adam steps training only the replaced layers to reproduce the original model's
        outputs (binary cross-entropy for a sigmoid output, squared error otherwise), on
        ``data`` or, without it, on seeded white noise of ``input_shape``. Constrained and
        projected layers stay artifact-free at every step (the constraint is their
        parametrisation).
    data : torch.Tensor, optional
        Inputs ``(N, C, *spatial)`` the user cares about: the change is reported on them,
        and the distillation trains on them (``max(2, input_shape[0])`` items a step).
    metric : callable, optional
        ``metric(original_output, new_output) -> float``, the model's task metric (a mask
        IoU, an accuracy), reported before and after the distillation.
    lr : float
        The distillation's learning rate.
    report : bool
        Return a :class:`~artifact_lab.models.distill.FixReport` (the model, the replaced
        layers, the relative output change and the metric on the audit's inputs and on
        ``data``, the distillation's losses) instead of the model alone.

    Returns
    -------
    torch.nn.Module or FixReport
        Output shapes identical to the original's (checked). A
        :class:`~artifact_lab.models.distill.FixWarning` is issued when the fix changes the
        output by more than 10% (relative L2) on the audit's inputs or on ``data``.

    Raises
    ------
    TypeError, ValueError
        Any bad argument, before any work; a layer that is not a replaceable finding; a
        strategy that cannot keep a layer's output size; a model that fails at any step
        (one ValueError naming the model, the step and torch's message).

    References
    ----------
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.
    Hinton, Vinyals, Dean, "Distilling the Knowledge in a Neural Network", 2015.

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, 2, 1, 1))
    >>> fixed = fix(m, (1, 4, 8, 8))
    >>> fixed[0].kernel_size, audit(fixed, (1, 4, 8, 8), measure=False).flagged
    ((4, 4), [])
    >>> enc = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1))
    >>> fixed = fix(enc, (1, 3, 16, 16), direction="backward")
    >>> type(fixed[0][1]).__name__, audit(fixed, (1, 3, 16, 16), direction="backward").flagged
    ('BlurPool', [])
    >>> r = fix(nn.ConvTranspose1d(2, 2, 2, 2), (1, 2, 16), strategy="project", report=True)
    >>> r.replaced, r.model.kernel_size
    ([''], (4,))
    """
    check_module("model", model)
    shape = check_shape("input_shape", input_shape, max_elements=MAX_ELEMENTS)
    chosen = resolve_strategy(strategy, direction)
    seed = check_int("seed", seed, minimum=0)
    targets = _check_layers(layers)
    check_output(model, output, output_index)
    distill_steps = check_int("distill_steps", distill_steps, minimum=0)
    data = _check_data(data, shape)
    if metric is not None and not callable(metric):
        raise TypeError(
            f"metric must be callable(original_output, new_output) or None, got {metric!r}"
        )
    lr = check_float("lr", lr, positive=True)
    report = check_bool("report", report)
    label = type(model).__name__
    result = audit(
        model, shape, direction=direction, measure=False, output=output, output_index=output_index
    )
    by_name = {f.name: f for f in result.layers}
    modules = dict(model.named_modules())
    if targets is None:
        targets = [
            f.name
            for f in result.layers
            if f.flagged and f.kind in chosen.kinds and f.name in modules
        ]
    for name in targets:
        f = by_name.get(name)
        if f is None or name not in modules or f.kind not in chosen.kinds:
            replaceable = [
                g.name for g in result.layers if g.kind in chosen.kinds and g.name in modules
            ]
            raise ValueError(
                f"layers entry {name!r} is not a module that strategy {chosen.name!r} can replace; "
                f"replaceable: {replaceable}"
            )
    try:
        new = copy.deepcopy(model)
    except Exception as exc:
        raise ValueError(
            f"the model {label} cannot be copied (copy.deepcopy): {_reason(exc)}"
        ) from None
    new_modules = dict(new.named_modules())
    targets = list(dict.fromkeys(targets))
    for name in targets:
        if name == "":  # the model is the layer itself
            new = _match(chosen.build(new, by_name[name], seed), model)
            break
        parent_name, _, attr = name.rpartition(".")
        parent = new_modules[parent_name] if parent_name else new
        old = new_modules[name]
        replacement = _match(chosen.build(old, by_name[name], seed), old)
        if isinstance(parent, (nn.Sequential, nn.ModuleList)) and attr.isdigit():
            parent[int(attr)] = replacement
        else:
            setattr(parent, attr, replacement)
    try:
        check = audit(
            new, shape, direction=direction, measure=False, output=output,
            output_index=output_index, name=f"{label} (fixed)",
        )  # fmt: skip
    except ValueError as exc:
        raise ValueError(f"the fix of {targets} gives a model that does not run: {exc}") from None
    if check.output_shape != result.output_shape:
        raise ValueError(
            f"fix changed the output shape {result.output_shape} -> {check.output_shape}"
        )
    original, fixed = _Selected(model, output, output_index), _Selected(new, output, output_index)
    loss = distill_loss(_output_squash(model, shape, output, output_index))
    with model_step(label, "measuring the fix's change", shape):
        changes = [change_report(original, fixed, shape, data, metric, seed, "replaced")]
    losses: list[float] = []
    if distill_steps:
        replaced = [new if n == "" else dict(new.named_modules())[n] for n in targets]
        with model_step(label, "distilling the replaced layers", shape):
            losses = distill(
                original, fixed, replaced, shape, steps=distill_steps, data=data, loss=loss,
                lr=lr, seed=seed,
            )  # fmt: skip
            changes.append(change_report(original, fixed, shape, data, metric, seed, "distilled"))
    fix_report = FixReport(
        new, targets, chosen.name, pd.concat(changes, ignore_index=True), tuple(losses)
    )
    fix_report.warn()
    return fix_report if report else new


def _output_squash(model, shape, output, output_index) -> str | None:
    """Which squashing function produces the audited output (one cheap traced pass)."""
    param = next(model.parameters(), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    dev = param.device if param is not None else torch.device("cpu")
    was = model.training
    model.eval()
    try:
        with model_step(type(model).__name__, "running", shape):
            traced = run_trace(
                model, torch.zeros((1, *shape[1:]), dtype=dtype, device=dev),
                output=output, output_index=output_index,
            )  # fmt: skip
    finally:
        model.train(was)
    return traced.squashed_by
