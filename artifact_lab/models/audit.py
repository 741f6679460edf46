"""Audit a torch model: find every resampling operation, score it, and propose fixes.

``direction="forward"`` looks at the output: every upsampling operation (ConvTranspose1d/2d/3d,
``Upsample`` and ``interpolate``, pixel shuffle with the convolution that feeds it) is scored
in closed form from its actual weights. ``direction="backward"`` looks at the gradient with
respect to the input: every downsampling operation (strided convolutions, pools, shrinking
``interpolate``, in modules or called functionally) is scored through its adjoint
(:mod:`artifact_lab.core.adjoint`), in closed form where one exists and measured by autograd
where the adjoint depends on the data (max pools). The whole model is then measured
(:mod:`artifact_lab.models.measure`) at its total period, each number beside its chance level.

The parts live in modules of their own: :mod:`~artifact_lab.models.trace` finds the operations
as they run, :mod:`~artifact_lab.models.findings` scores each one, this module gathers them into
:class:`AuditResult` and replaces the flagged ones (:func:`fix`, with the replacements of
:mod:`~artifact_lab.models.strategies`); :mod:`~artifact_lab.models.loading` builds a user's
model.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._util.checks import (
    as_names,
    check_bool,
    check_direction,
    check_int,
    check_module,
    check_shape,
)
from ..backend import select_device
from .findings import LayerFinding, backward_finding, compact, forward_finding, geometry_text
from .measure import COLUMNS, MAX_ELEMENTS, PROJECTIONS, backward_scores, measure_forward
from .periods import backward_period, forward_period
from .recommend import REC_COLUMNS, recommend_backward, recommend_forward
from .strategies import resolve_strategy
from .trace import trace

__all__ = ["AuditResult", "LayerFinding", "audit", "audit_zoo", "fix"]

_NOUN = {"forward": "upsampling", "backward": "downsampling"}


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
    model_scores : DataFrame
        One row per measured map (see :mod:`artifact_lab.models.measure`): ``input`` (``"zero"``,
        ``"constant"``, ``"noise"``; backward ``"noise"``, ``"images"``), ``measured``
        (``"y(0)"``, ``"y(1) - y(0)"``, ``"y(noise) - y(0)"``; backward ``"grad sum(y)"`` or
        ``"grad <r, y>"``), ``factor`` (the period measured at, per axis),
        ``harmonic_fraction`` (power at the non-zero harmonics over all power, DC kept),
        ``chance`` (the same fraction for a map without a periodic pattern), ``peak_db``
        (strongest harmonic over the mean non-harmonic bin) and ``power`` (mean square).
    recommendations : DataFrame
        ``layer, strategy, option, kernel_size, stride, padding, output_padding,
        replaceable`` (whether :func:`fix` can apply it: modules only).
    direction : {"forward", "backward"}
    """

    model_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[LayerFinding, ...]
    model_scores: pd.DataFrame
    recommendations: pd.DataFrame
    direction: str = "forward"

    def to_frame(self) -> pd.DataFrame:
        """One row per operation: shapes, geometry, scores, flag, method and note."""
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
                    "note": f.note,
                }
            )
        return pd.DataFrame(rows, columns=[*_FRAME_COLUMNS])

    @property
    def flagged(self) -> list[str]:
        return [f.name for f in self.layers if f.flagged]

    def summary(self) -> str:
        """A few lines of plain text: what was found, what is flagged, what to do."""
        noun = _NOUN[self.direction]
        what = "gradient" if self.direction == "backward" else "output"
        head = (
            f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}; "
            f"{len(self.layers)} {noun} operation(s)"
        )
        if not self.layers:
            looked = (
                "strided Conv1d/2d/3d, Avg/Max/LP/adaptive pools, shrinking interpolate, "
                "PixelUnshuffle, in modules or functional calls"
                if self.direction == "backward"
                else "ConvTranspose1d/2d/3d, Upsample and interpolate, PixelShuffle"
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
            lines.append(
                f"  {mark} {f.name or '(model)'} [{f.kind} {geometry_text(f)}]: {score}{contrast}"
                + (", HOLES" if f.holes else "")
                + (f" ({f.note})" if f.note else "")
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
        for name, group in self.recommendations.groupby("layer", sort=False):
            options = "; ".join(group.option.head(3))
            lines.append(f"  fix {name or '(model)'}: {options}")
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

    def to_html(self) -> str:
        import base64
        import html
        import io

        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        fig = self.figure()
        fig.savefig(buf, format="png", dpi=110)
        plt.close(fig)
        img = base64.b64encode(buf.getvalue()).decode()
        title = html.escape(self.model_name)
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>audit: "
            f"{title}</title></head><body><h1>Audit ({self.direction}): {title}</h1>"
            f"<pre>{html.escape(self.summary())}</pre><img src='data:image/png;base64,{img}'>"
            f"<h2>Operations</h2>{self.to_frame().to_html()}<h2>Whole model</h2>"
            f"{self.model_scores.to_html()}<h2>Replacements</h2>"
            f"{self.recommendations.to_html()}</body></html>"
        )


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
    "note",
)


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
) -> AuditResult:
    """Find, score and explain every resampling operation of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Run in eval mode (then restored to its mode); never modified.
    input_shape : sequence of int
        ``(N, C, *spatial)`` with 1 to 3 spatial axes; numpy ints are accepted, bools are
        not.
    direction : {"forward", "backward"}
        ``"forward"``: upsampling operations and the output's checkerboard (one pass on
        zeros). ``"backward"``: downsampling operations and the checkerboard of the gradient
        with respect to the input (one pass on seeded white noise, so that data-dependent
        adjoints such as max pools are measured at realistic activations).
    name : str, optional
        For the summary (default: the model's class name).
    device : str or torch.device, optional
        Where a model without parameters runs (one with parameters runs where they are).
    measure : bool
        Also measure the whole model (see :mod:`artifact_lab.models.measure`): forward, the fixed
        pattern ``y(0)``, the constant and the noise responses; backward, the input
        gradient at noise and at real images; each beside its chance level.
    projection : {"sum", "random"}
        Backward: the gradient of ``sum(y)`` or of a fixed random projection ``<r, y>``.
    images : bool
        Backward, 2-D inputs: also measure the gradient at scikit-image's pictures.
    seed : int
        For the noise inputs and the projection.

    Returns
    -------
    AuditResult
        ``.layers``, ``.to_frame()``, ``.summary()``, ``.figure()``, ``.model_scores`` and
        ``.recommendations`` (replacements of identical output size).

    Raises
    ------
    TypeError, ValueError
        A bad argument (before any work), or a model that fails on ``input_shape`` (the
        message quotes torch's error).

    Notes
    -----
    Backward scores are those of each operation's adjoint: a strided convolution's input
    gradient is the transposed convolution with the same weight and geometry, so its phase
    gains and scores are computed from the weight exactly as for an upsampling layer
    (checked against ``torch.autograd`` in tests/test_adjoint.py). Grouped layers are scored
    per group, then aggregated like channels.

    References
    ----------
    Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 4, 3, 2, 1, 1), nn.ConvTranspose2d(4, 3, 4, 2, 1))
    >>> audit(m, (1, 4, 8, 8), measure=False).flagged
    ['0', '1']
    >>> enc = nn.Sequential(nn.Conv2d(3, 8, 3, 2, 1), nn.ReLU(), nn.Conv2d(8, 8, 1, 2))
    >>> res = audit(enc, (1, 3, 32, 32), direction="backward", measure=False)
    >>> [(f.name, f.holes) for f in res.layers]
    [('0', False), ('2', True)]
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
    dev = select_device(device)
    nd = len(shape) - 2
    was_training = model.training
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
        try:
            ops, out = trace(model, x, direction=direction)
        except Exception as exc:  # a model that cannot run on this shape
            reason = " ".join(str(exc).split()) or repr(exc)
            raise ValueError(
                f"the model failed on input_shape {shape}: {type(exc).__name__}: {reason}"
            ) from None
        if not isinstance(out, torch.Tensor):
            raise TypeError(
                f"the model must return a tensor, got {type(out).__name__} (wrap it so that "
                "forward returns the output to audit)"
            )
        if direction == "forward":
            findings = tuple(forward_finding(op) for op in ops)
            period = forward_period(findings, nd)
        else:
            findings = tuple(backward_finding(op) for op in ops)
            period = backward_period(ops, shape[2:])
        scores = pd.DataFrame(columns=list(COLUMNS))
        if measure and findings:
            if direction == "forward":
                # the trace ran the model on zeros: its output is y(0)
                scores = measure_forward(
                    model, shape, period, out, seed=seed, device=dev, dtype=dtype
                )
            else:
                scores = backward_scores(
                    model,
                    shape,
                    period,
                    seed=seed,
                    projection=projection,
                    images=images,
                    device=dev,
                    dtype=dtype,
                )
    finally:
        model.train(was_training)
    recommend = recommend_forward if direction == "forward" else recommend_backward
    recs = pd.DataFrame([r for f in findings for r in recommend(f)], columns=list(REC_COLUMNS))
    recs["replaceable"] = recs["replaceable"].astype(bool)
    return AuditResult(
        name or type(model).__name__,
        shape,
        tuple(out.shape),
        findings,
        scores,
        recs,
        direction,
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
    operation's score, the whole model's measured harmonic fraction with its chance level:
    forward, of the noise response ``y(noise) - y(0)``; backward, of the input gradient at
    noise), sorted most artifact-prone first, and the full results by name.

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


def fix(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    direction: str = "forward",
    layers: Sequence[str] | None = None,
    strategy: str | None = None,
    seed: int = 0,
) -> nn.Module:
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
        Module names to replace. Default: every flagged module the strategy can replace
        (functional calls cannot be replaced: change the model's ``forward``).
    strategy : str, optional
        A name in :data:`STRATEGIES` for ``direction``; default ``"transposed"`` (forward),
        ``"blur"`` (backward). Forward: ``transposed`` (an artifact-free geometry with the
        same stride and output size, hold-smoothed initialisation), ``resize`` (nearest +
        3x3 conv), ``subpixel`` (3x3 conv with ICNR + pixel shuffle), ``constrained`` (the
        same geometry as a constrained layer fitted to the learned weight; needs ``k >= s``
        and ``gcd(d, s) == 1``). Backward: ``blur``
        (stride 1 + :class:`BlurPool`, keeps the weights), ``even`` (``k % s == 0`` with a
        hold-smoothed initialisation, retrain), ``pool`` (stride-1 conv + average pool).
    seed : int
        For the new random initialisations.

    Returns
    -------
    torch.nn.Module
        Output shapes identical to the original's (checked).

    Raises
    ------
    TypeError, ValueError
        Any bad argument, before any work; a layer that is not a replaceable flagged
        finding; a strategy that cannot keep a layer's output size.

    References
    ----------
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.

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
    """
    check_module("model", model)
    shape = check_shape("input_shape", input_shape, max_elements=MAX_ELEMENTS)
    chosen = resolve_strategy(strategy, direction)
    seed = check_int("seed", seed, minimum=0)
    targets = _check_layers(layers)
    result = audit(model, shape, direction=direction, measure=False)
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
    new = copy.deepcopy(model)
    new_modules = dict(new.named_modules())
    for name in dict.fromkeys(targets):
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
    check = audit(new, shape, direction=direction, measure=False)
    if check.output_shape != result.output_shape:
        raise ValueError(
            f"fix changed the output shape {result.output_shape} -> {check.output_shape}"
        )
    return new
