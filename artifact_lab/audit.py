"""Audit a torch model: find every upsampling operation, score it, and propose fixes.

One forward pass with hooks (the model is not changed) records every ConvTranspose1d/2d/3d,
every ``Upsample`` module and functional ``interpolate`` call, and every pixel shuffle with
the convolution that feeds it, with their real input and output shapes. Each is scored in
closed form from its actual weights; the whole model is measured on constant and noise
inputs at its total upsampling factor. :func:`fix` replaces flagged layers by artifact-free
ones of identical output size, so the audit can be run again on the result.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .backend import select_device
from .calculator import solve
from .kernels import default_weight, hold, icnr, subpixel_as_transposed
from .overlap import has_holes, overlap_contrast
from .scores import weight_scores
from .spectral import harmonic_stats

__all__ = ["AuditResult", "LayerFinding", "audit", "audit_zoo", "fix", "load_model"]

_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
FLAG = 1e-6  # closed-form score above which a layer is flagged


@dataclass(frozen=True)
class LayerFinding:
    """One upsampling operation as it ran."""

    name: str
    kind: str  # "transposed", "interpolate", "pixel_shuffle"
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    factor: tuple[float, ...]
    geometry: dict[str, Any]
    overlap_contrast: float
    holes: bool
    checkerboard_score: float
    noise_checkerboard: float
    pairs: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    note: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.holes or self.checkerboard_score > FLAG)


@dataclass(frozen=True)
class AuditResult:
    """Findings per layer and for the whole model."""

    model_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[LayerFinding, ...]
    model_scores: pd.DataFrame
    recommendations: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per upsampling operation."""
        rows = []
        for f in self.layers:
            rows.append(
                {
                    "layer": f.name,
                    "kind": f.kind,
                    "input_shape": f.input_shape,
                    "output_shape": f.output_shape,
                    "factor": f.factor,
                    **{
                        k: f.geometry.get(k)
                        for k in (
                            "kernel_size",
                            "stride",
                            "padding",
                            "output_padding",
                            "dilation",
                            "mode",
                        )
                    },
                    "overlap_contrast": f.overlap_contrast,
                    "holes": f.holes,
                    "checkerboard_score": f.checkerboard_score,
                    "noise_checkerboard": f.noise_checkerboard,
                    "flagged": f.flagged,
                    "note": f.note,
                }
            )
        return pd.DataFrame(rows)

    @property
    def flagged(self) -> list[str]:
        return [f.name for f in self.layers if f.flagged]

    def summary(self) -> str:
        """A few lines of plain text: what was found, what is flagged, what to do."""
        head = (
            f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}; "
            f"{len(self.layers)} upsampling operation(s)"
        )
        if not self.layers:
            return (
                head + ". No upsampling operation found (looked for ConvTranspose1d/2d/3d, "
                "Upsample and interpolate, PixelShuffle)."
            )
        lines = [head + f", {len(self.flagged)} flagged."]
        for f in self.layers:
            mark = "FLAG" if f.flagged else "ok  "
            lines.append(
                f"  {mark} {f.name} [{f.kind} {_geom_text(f)}]: checkerboard "
                f"{f.checkerboard_score:.3f}, overlap contrast {f.overlap_contrast:.3f}"
                + (", HOLES" if f.holes else "")
                + (f" ({f.note})" if f.note else "")
            )
        for row in self.model_scores.itertuples():
            if np.isnan(row.harmonic_fraction):
                lines.append(
                    f"  whole model, {row.input} input: not measured (the output "
                    f"holds fewer than two periods of {_one(row.factor)})"
                )
                continue
            lines.append(
                f"  whole model, {row.input} input: harmonic fraction "
                f"{row.harmonic_fraction:.3f}, peak {row.peak_db:.1f} dB at period "
                f"{_one(row.factor)}"
            )
        for name, group in self.recommendations.groupby("layer", sort=False):
            options = "; ".join(group.option.head(3))
            lines.append(f"  fix {name}: {options}")
        return "\n".join(lines)

    def figure(self):
        """Bar chart of each layer's closed-form score, flagged layers in red."""
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(
            figsize=(max(4, 0.9 * len(self.layers) + 2), 3.2), layout="constrained"
        )
        names = [f.name for f in self.layers] or ["(none)"]
        values = [f.checkerboard_score for f in self.layers] or [0]
        colors = ["C3" if f.flagged else "C2" for f in self.layers] or ["0.7"]
        ax.bar(range(len(names)), values, color=colors)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel("checkerboard score")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{self.model_name}: per-layer closed-form score", fontsize=9)
        return fig

    def to_html(self) -> str:
        import base64
        import io

        buf = io.BytesIO()
        fig = self.figure()
        fig.savefig(buf, format="png", dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
        img = base64.b64encode(buf.getvalue()).decode()
        return (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>audit: "
            f"{self.model_name}</title></head><body><h1>Audit: {self.model_name}</h1>"
            f"<pre>{self.summary()}</pre><img src='data:image/png;base64,{img}'>"
            f"<h2>Layers</h2>{self.to_frame().to_html()}<h2>Whole model</h2>"
            f"{self.model_scores.to_html()}<h2>Replacements</h2>"
            f"{self.recommendations.to_html()}</body></html>"
        )


def _geom_text(f: LayerFinding) -> str:
    g = f.geometry
    if f.kind == "transposed":
        return (
            f"k{_one(g['kernel_size'])}/s{_one(g['stride'])}/p{_one(g['padding'])}"
            f"/op{_one(g['output_padding'])}/d{_one(g['dilation'])}"
        )
    if f.kind == "interpolate":
        return f"{g.get('mode')} x{_one(f.factor)}"
    return f"x{_one(f.factor)}"


def _one(v):
    if isinstance(v, tuple) and len(set(v)) == 1:
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


@contextlib.contextmanager
def _patched(record: list, state: dict) -> Iterator[None]:
    """Record functional interpolate / pixel_shuffle calls made outside hooked modules."""
    orig_interp, orig_shuffle = F.interpolate, F.pixel_shuffle

    def interpolate(input, *args, **kwargs):
        out = orig_interp(input, *args, **kwargs)
        if not state["inside"]:
            mode = kwargs.get("mode", args[2] if len(args) > 2 else "nearest")
            record.append(
                ("interpolate", f"F.interpolate#{state['calls']}", None, input, out, {"mode": mode})
            )
            state["calls"] += 1
        return out

    def pixel_shuffle(input, upscale_factor):
        out = orig_shuffle(input, upscale_factor)
        if not state["inside"]:
            record.append(
                (
                    "pixel_shuffle",
                    f"F.pixel_shuffle#{state['calls']}",
                    None,
                    input,
                    out,
                    {"factor": upscale_factor},
                )
            )
            state["calls"] += 1
        return out

    F.interpolate, F.pixel_shuffle = interpolate, pixel_shuffle
    try:
        yield
    finally:
        F.interpolate, F.pixel_shuffle = orig_interp, orig_shuffle


def _trace(model: nn.Module, x: torch.Tensor) -> tuple[list, dict, torch.Tensor]:
    record: list = []
    producers: dict[int, tuple[str, nn.Module]] = {}
    state = {"inside": 0, "calls": 0}
    handles = []
    from .zoo import PixelShuffleND

    for name, module in model.named_modules():
        if isinstance(module, _CONV_T):
            handles.append(
                module.register_forward_hook(
                    lambda m, i, o, n=name: record.append(("transposed", n, m, i[0], o, {}))
                )
            )
        elif isinstance(module, (nn.Upsample, nn.PixelShuffle, PixelShuffleND)):
            kind = "interpolate" if isinstance(module, nn.Upsample) else "pixel_shuffle"

            def pre(m, i):
                state["inside"] += 1

            def post(m, i, o, n=name, k=kind):
                state["inside"] -= 1
                extra = (
                    {"mode": m.mode}
                    if k == "interpolate"
                    else {"factor": getattr(m, "upscale_factor", getattr(m, "factor", None))}
                )
                record.append((k, n, m, i[0], o, extra))

            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        elif isinstance(module, _CONV):
            handles.append(
                module.register_forward_hook(
                    lambda m, i, o, n=name: producers.__setitem__(id(o), (n, m))
                )
            )
    try:
        with _patched(record, state), torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return record, producers, out


def _finding(kind, name, module, inp, out, extra, producers) -> LayerFinding:
    in_shape, out_shape = tuple(inp.shape), tuple(out.shape)
    nd = len(in_shape) - 2
    factor = tuple(o / i for o, i in zip(out_shape[2:], in_shape[2:], strict=True))
    if kind == "transposed":
        geom = {
            "kernel_size": module.kernel_size,
            "stride": module.stride,
            "padding": module.padding,
            "output_padding": module.output_padding,
            "dilation": module.dilation,
        }
        note = "" if module.groups == 1 else f"groups={module.groups}: groups pooled"
        ws = weight_scores(module.weight.detach(), module.stride, module.dilation, ndim=nd)
        contrast = overlap_contrast(
            module.kernel_size, module.stride, module.dilation, module.padding
        )
        holes = has_holes(module.kernel_size, module.stride, module.dilation)
        return LayerFinding(
            name,
            kind,
            in_shape,
            out_shape,
            factor,
            geom,
            contrast,
            holes,
            ws.checkerboard_score,
            ws.noise_checkerboard,
            ws.pairs,
            note,
        )
    if kind == "pixel_shuffle":
        r = int(extra["factor"])
        conv = producers.get(id(inp))
        geom = {"stride": (r,) * nd}

        def unscored(note: str) -> LayerFinding:
            nan = float("nan")
            return LayerFinding(
                name, kind, in_shape, out_shape, factor, geom, 0.0, False, nan, nan, None, note
            )

        if conv is None:
            return unscored("no convolution feeds it directly: not scored")
        cname, cmod = conv
        if any(s != 1 for s in cmod.stride) or isinstance(cmod.padding, str):
            return unscored(f"{cname} is strided or padded by name: not scored")
        wt, pad = subpixel_as_transposed(
            cmod.weight.detach().double(), r, padding=cmod.padding, ndim=nd
        )
        ws = weight_scores(wt, r, ndim=nd)
        geom |= {"kernel_size": tuple(wt.shape[2:]), "padding": pad, "conv": cname}
        return LayerFinding(
            name,
            kind,
            in_shape,
            out_shape,
            factor,
            geom,
            0.0,
            False,
            ws.checkerboard_score,
            ws.noise_checkerboard,
            ws.pairs,
            f"with {cname}",
        )
    # interpolation: nearest and (bi/tri)linear at integer factors have equal phase gains
    mode = extra.get("mode", "nearest")
    geom = {"mode": mode}
    integer = all(abs(f - round(f)) < 1e-9 for f in factor)
    score = 0.0 if integer else float("nan")
    return LayerFinding(
        name,
        kind,
        in_shape,
        out_shape,
        factor,
        geom,
        0.0,
        False,
        score,
        0.0 if integer and mode in ("nearest", "nearest-exact") else float("nan"),
        None,
        "" if integer else "non-integer factor: not periodic",
    )


def _period(findings: Sequence[LayerFinding], nd: int) -> tuple[int, ...]:
    """The total upsampling factor as the product of every layer's stride (transposed) or
    integer factor: the period of any checkerboard the stack can paint."""
    period = [1] * nd
    for f in findings:
        steps = f.geometry.get("stride") if f.kind == "transposed" else f.factor
        for a in range(nd):
            if abs(steps[a] - round(steps[a])) < 1e-9:
                period[a] *= round(steps[a])
    return tuple(period)


def _model_scores(model, shape, out_shape, dev, factor, batch=4) -> pd.DataFrame:
    nd = len(shape) - 2
    if any(o % f for o, f in zip(out_shape[2:], factor, strict=True)):
        return pd.DataFrame(columns=["input", "factor", "harmonic_fraction", "peak_db"])
    rows = []
    gen = torch.Generator().manual_seed(0)
    for kind in ("constant", "noise"):
        if kind == "constant":
            x = torch.ones(shape)
        else:
            x = torch.randn((batch, *shape[1:]), generator=gen)
        with torch.no_grad():
            y = model(x.to(dev)).detach().double().cpu()
        # interior: drop an eighth of each axis at both ends, keep whole periods
        index = [slice(None), slice(None)]
        ok = True
        for a, f in enumerate(factor):
            n = y.shape[2 + a]
            m = n // 8
            length = (n - 2 * m) // f * f
            ok &= length >= 2 * f
            index.append(slice(m, m + length))
        if not ok:
            rows.append(
                {
                    "input": kind,
                    "factor": tuple(factor),
                    "harmonic_fraction": np.nan,
                    "peak_db": np.nan,
                }
            )
            continue
        crop = y[tuple(index)].reshape(-1, *y[tuple(index)].shape[2:]).numpy()
        if kind == "noise":
            crop = crop - crop.mean(axis=tuple(range(1, crop.ndim)), keepdims=True)
        frac, db = harmonic_stats(crop, tuple(factor), ndim=nd)
        rows.append(
            {"input": kind, "factor": tuple(factor), "harmonic_fraction": frac, "peak_db": db}
        )
    return pd.DataFrame(rows)


def _recommend(f: LayerFinding) -> list[dict[str, Any]]:
    if f.kind != "transposed" or not f.flagged:
        return []
    nd = len(f.input_shape) - 2
    n, L = f.input_shape[2:], f.output_shape[2:]
    s = f.geometry["stride"]
    out = []
    if len(set(s)) == 1 and len(set(f.geometry["dilation"])) == 1:
        table = solve(
            n if nd > 1 else n[0],
            L if nd > 1 else L[0],
            kernel_sizes=range(1, 4 * s[0] + 1),
            strides=[s[0]],
            dilations=[1],
        )
        clean = table[table.artifact_free].copy()
        # prefer k = 2s (smooth, like the bilinear kernel) over k = s (plain hold)
        clean["_pref"] = (clean.kernel_size - 2 * s[0]).abs()
        clean = clean.sort_values(["_pref", "output_padding"], kind="stable")
        for row in clean.head(3).itertuples():
            out.append(
                {
                    "layer": f.name,
                    "strategy": "transposed",
                    "option": f"ConvTranspose k{row.kernel_size}/s{row.stride}/"
                    f"p{row.padding}/op{row.output_padding} (hold-smoothed init)",
                    "kernel_size": row.kernel_size,
                    "stride": row.stride,
                    "padding": row.padding,
                    "output_padding": row.output_padding,
                }
            )
    if all(o == i * st for o, i, st in zip(L, n, s, strict=True)):
        out.append(
            {
                "layer": f.name,
                "strategy": "resize",
                "option": f"nearest x{_one(s)} + conv3 (resize-conv)",
            }
        )
        out.append(
            {
                "layer": f.name,
                "strategy": "subpixel",
                "option": f"conv3 + pixel shuffle x{_one(s)}, ICNR init",
            }
        )
    return out


def audit(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    name: str | None = None,
    device: str | torch.device | None = None,
    measure: bool = True,
) -> AuditResult:
    """Find, score and explain every upsampling operation of ``model``.

    Parameters
    ----------
    model : torch.nn.Module
        Run once in eval mode on zeros of ``input_shape`` (then restored to its mode).
    input_shape : sequence of int
        ``(N, C, *spatial)``.
    measure : bool
        Also measure the whole model's output on constant and noise inputs.

    Returns
    -------
    AuditResult
        ``.layers``, ``.to_frame()``, ``.summary()``, ``.figure()``, ``.model_scores`` and
        ``.recommendations`` (artifact-free replacements of identical output size).

    Raises
    ------
    ValueError
        A bad input shape, or a model that fails on it (the message quotes torch's error).

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 4, 3, 2, 1, 1), nn.ConvTranspose2d(4, 3, 4, 2, 1))
    >>> result = audit(m, (1, 4, 8, 8), measure=False)
    >>> result.flagged
    ['0', '1']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    shape = tuple(input_shape)
    if len(shape) < 3 or any(not isinstance(v, int) or v < 1 for v in shape):
        raise ValueError(f"input_shape must be (N, C, *spatial) positive ints, got {input_shape!r}")
    dev = select_device(device)
    was_training = model.training
    model.eval()
    try:
        param = next(model.parameters(), None)
        dev = param.device if param is not None else dev
        dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
        try:
            record, producers, out = _trace(model, torch.zeros(shape, dtype=dtype, device=dev))
        except Exception as exc:  # a model that cannot run on this shape
            raise ValueError(
                f"the model failed on input_shape {shape}: "
                f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            ) from None
        findings = tuple(_finding(*r, producers) for r in record)
        scores = (
            _model_scores(model, shape, tuple(out.shape), dev, _period(findings, len(shape) - 2))
            if measure and findings
            else pd.DataFrame(columns=["input", "factor", "harmonic_fraction", "peak_db"])
        )
    finally:
        model.train(was_training)
    recs = [r for f in findings for r in _recommend(f)]
    rec_frame = pd.DataFrame(
        recs,
        columns=[
            "layer",
            "strategy",
            "option",
            "kernel_size",
            "stride",
            "padding",
            "output_padding",
        ],
    )
    return AuditResult(
        name or type(model).__name__, shape, tuple(out.shape), findings, scores, rec_frame
    )


def _hold_smoothed(in_ch: int, out_ch: int, k: int, s: int, nd: int, seed: int) -> torch.Tensor:
    """A ConvTranspose weight with equal phase gains: random sub-kernels of size ``k-s+1``
    convolved with the hold kernel ``ones(s)``. Any such kernel scores 0 (each phase sums
    the sub-kernel once), so it is artifact-free at initialisation for any ``k >= s``."""
    sub = default_weight(in_ch, out_ch, k - s + 1, ndim=nd, seed=seed).double()
    box = torch.from_numpy(hold(s, ndim=nd))[None, None]
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    flat = sub.reshape(in_ch * out_ch, 1, *sub.shape[2:])
    w = conv(flat, box).reshape(in_ch, out_ch, *(k,) * nd)  # full convolution
    return (w / s**nd).float()


def _replacement(module: nn.Module, finding: LayerFinding, strategy: str, seed: int) -> nn.Module:
    if strategy == "constrained":
        from .nn import constrained_replacement

        return constrained_replacement(module)
    nd = len(finding.input_shape) - 2
    s = finding.geometry["stride"][0]
    cin, cout = module.in_channels, module.out_channels
    if strategy == "transposed":
        recs = [r for r in _recommend(finding) if r["strategy"] == "transposed"]
        if not recs:
            raise ValueError(
                f"no artifact-free transposed geometry of the same size for {finding.name}"
            )
        r = recs[0]
        k = int(r["kernel_size"])
        new = type(module)(
            cin,
            cout,
            k,
            stride=s,
            padding=int(r["padding"]),
            output_padding=int(r["output_padding"]),
            bias=module.bias is not None,
        )
        with torch.no_grad():
            new.weight.copy_(_hold_smoothed(cin, cout, k, s, nd, seed))
            if module.bias is not None:
                new.bias.copy_(module.bias)
        return new
    if not all(
        o == i * s for o, i in zip(finding.output_shape[2:], finding.input_shape[2:], strict=True)
    ):
        raise ValueError(
            f"{strategy} gives n*{s}, but {finding.name} gives "
            f"{finding.output_shape[2:]} from {finding.input_shape[2:]}"
        )
    conv_cls = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[nd]
    if strategy == "resize":
        return nn.Sequential(
            nn.Upsample(scale_factor=s, mode="nearest"), conv_cls(cin, cout, 3, padding=1)
        )
    if strategy == "subpixel":
        from .zoo import PixelShuffleND

        conv = conv_cls(cin, cout * s**nd, 3, padding=1)
        with torch.no_grad():
            conv.weight.copy_(icnr(cout, cin, 3, s, ndim=nd, seed=seed))
            conv.bias.zero_()
        return nn.Sequential(conv, PixelShuffleND(s, nd))
    raise ValueError(
        f"strategy must be 'transposed', 'resize', 'subpixel' or 'constrained', got {strategy!r}"
    )


def fix(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    layers: Sequence[str] | None = None,
    strategy: str = "transposed",
    seed: int = 0,
) -> nn.Module:
    """A copy of ``model`` with upsampling layers replaced by artifact-free ones.

    Parameters
    ----------
    layers : sequence of str, optional
        Module names to replace (default: every flagged ConvTranspose).
    strategy : {"transposed", "resize", "subpixel", "constrained"}
        ``transposed``: the first artifact-free geometry from :func:`solve` with the same
        stride and output size, initialised with hold-smoothed random kernels (closed-form
        score 0); ``resize``: nearest upsampling + 3x3 convolution; ``subpixel``: 3x3
        convolution with ICNR + pixel shuffle; ``constrained``: the same geometry as a
        :mod:`artifact_lab.nn` constrained layer (weight ``h0 ∗ hold``, score 0 through any
        training) fitted to the learned weight by least squares (needs ``k >= s`` and
        ``gcd(d, s) == 1``). Output shapes stay identical (checked).

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, 2, 1, 1))
    >>> fixed = fix(m, (1, 4, 8, 8))
    >>> fixed[0].kernel_size, audit(fixed, (1, 4, 8, 8), measure=False).flagged
    ((4, 4), [])
    """
    result = audit(model, input_shape, measure=False)
    by_name = {f.name: f for f in result.layers}
    targets = (
        list(layers)
        if layers is not None
        else [f.name for f in result.layers if f.flagged and f.kind == "transposed"]
    )
    new = copy.deepcopy(model)
    modules = dict(new.named_modules())
    for name in targets:
        if name not in by_name or by_name[name].kind != "transposed":
            raise ValueError(
                f"layer {name!r} is not a ConvTranspose the audit found; "
                f"found: {[f.name for f in result.layers]}"
            )
        parent_name, _, attr = name.rpartition(".")
        parent = modules[parent_name] if parent_name else new
        replacement = _replacement(modules[name], by_name[name], strategy, seed)
        if isinstance(parent, (nn.Sequential, nn.ModuleList)) and attr.isdigit():
            parent[int(attr)] = replacement
        else:
            setattr(parent, attr, replacement)
    check = audit(new, input_shape, measure=False)
    if check.output_shape != result.output_shape:
        raise ValueError(
            f"fix changed the output shape {result.output_shape} -> {check.output_shape}"
        )
    return new


def load_model(
    target: str, *, checkpoint: str | Path | None = None, kwargs: dict[str, Any] | None = None
) -> nn.Module:
    """Build a user's model from ``package.module:factory`` or ``path/to/file.py:factory``.

    ``checkpoint`` is read with ``torch.load(..., weights_only=True)``: a state dict, or a
    dict holding one under ``state_dict`` or ``model``. A checkpoint that does not fit the
    model raises ``ValueError`` naming the missing, unexpected and mis-shaped keys.
    """
    module_part, sep, attr = target.rpartition(":")
    if not sep or not module_part or not attr:
        raise ValueError(
            f"target must look like 'package.module:factory' or 'file.py:factory', got {target!r}"
        )
    if module_part.endswith(".py"):
        path = Path(module_part)
        if not path.is_file():
            raise ValueError(f"model file {module_part!r} does not exist")
        spec = importlib.util.spec_from_file_location(f"_artifact_lab_user_{path.stem}", path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = mod
        spec.loader.exec_module(mod)
    else:
        try:
            mod = importlib.import_module(module_part)
        except ImportError as exc:
            raise ValueError(f"cannot import {module_part!r}: {exc}") from None
    factory = getattr(mod, attr, None)
    if factory is None:
        raise ValueError(f"{module_part!r} has no attribute {attr!r}")
    model = factory(**(kwargs or {})) if callable(factory) else factory
    if not isinstance(model, nn.Module):
        raise TypeError(f"{target} returned {type(model).__name__}, not a torch.nn.Module")
    if checkpoint is not None:
        try:
            state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise ValueError(
                f"cannot read checkpoint {str(checkpoint)!r}: {' '.join(str(exc).split())[:300]}"
            ) from None
        if isinstance(state, dict):
            for key in ("state_dict", "model"):
                if key in state and isinstance(state[key], dict):
                    state = state[key]
        if not isinstance(state, dict):
            raise ValueError(f"checkpoint {str(checkpoint)!r} holds no state dict")
        own = model.state_dict()
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        shapes = sorted(
            k
            for k in set(own) & set(state)
            if hasattr(state[k], "shape") and tuple(state[k].shape) != tuple(own[k].shape)
        )
        if missing or unexpected or shapes:

            def show(keys):
                return ", ".join(keys[:4]) + (f" (+{len(keys) - 4} more)" if len(keys) > 4 else "")

            parts = [
                f"missing keys: {show(missing)}" if missing else "",
                f"unexpected keys: {show(unexpected)}" if unexpected else "",
                f"shape mismatch: {show(shapes)}" if shapes else "",
            ]
            raise ValueError(
                f"checkpoint {str(checkpoint)!r} does not fit {target}: "
                + "; ".join(p for p in parts if p)
            )
        model.load_state_dict(state)
    return model


def audit_zoo(
    names: Sequence[str] | None = None, *, width: float = 0.125, seed: int = 0
) -> tuple[pd.DataFrame, dict[str, AuditResult]]:
    """Audit every zoo architecture (or ``names``) and rank them.

    Returns a table with one row per model (upsampling operations, flagged ones, the worst
    layer's closed-form score, the whole model's measured harmonic fraction on noise),
    sorted most artifact-prone first, and the full results by name.
    """
    from .zoo import ZOO, build, input_shape

    results, rows = {}, []
    for name in names or list(ZOO):
        model = build(name, width=width, seed=seed)
        res = audit(model, input_shape(name, width=width), name=name)
        results[name] = res
        noise = res.model_scores[res.model_scores.input == "noise"]
        scores = [f.checkerboard_score for f in res.layers if not np.isnan(f.checkerboard_score)]
        rows.append(
            {
                "model": name,
                "upsampling ops": len(res.layers),
                "flagged": len(res.flagged),
                "worst layer score": max(scores, default=0.0),
                "model harmonic fraction (noise)": float(noise.harmonic_fraction.iloc[0])
                if len(noise)
                else np.nan,
                "period": _one(noise.factor.iloc[0]) if len(noise) else None,
            }
        )
    table = pd.DataFrame(rows).sort_values(["worst layer score", "flagged"], ascending=False)
    return table.reset_index(drop=True), results
