"""Audit a torch model: find every resampling operation, score it, and propose fixes.

``direction="forward"`` looks at the output: every upsampling operation (ConvTranspose1d/2d/3d,
``Upsample`` and ``interpolate``, pixel shuffle with the convolution that feeds it) is scored
in closed form from its actual weights. ``direction="backward"`` looks at the gradient with
respect to the input: every downsampling operation (strided convolutions, pools, shrinking
``interpolate``, in modules or called functionally) is scored through its adjoint
(:mod:`artifact_lab.adjoint`), in closed form where one exists and measured by autograd
where the adjoint depends on the data (max pools). The whole model is then measured
(:mod:`artifact_lab.measure`) at its total period, each number beside its chance level.

The parts live in rooms of their own: :mod:`artifact_lab.tracing` finds the operations as
they run, this module scores them into :class:`AuditResult`, :mod:`artifact_lab.fixes`
replaces them (:func:`fix`) and :mod:`artifact_lab.loading` builds a user's model
(:func:`load_model`); both are re-exported here.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .adjoint import adjoint_interior, measured_gains, pool_kernel
from .backend import select_device
from .fixes import STRATEGIES, even_conv_geometry, fix, transposed_geometry
from .kernels import subpixel_as_transposed
from .loading import load_model
from .measure import COLUMNS, backward_scores, forward_scores
from .overlap import has_holes, overlap_contrast
from .scores import checkerboard_score, noise_checkerboard, weight_scores
from .tracing import Op, trace

__all__ = ["AuditResult", "LayerFinding", "audit", "audit_zoo", "fix", "load_model"]

FLAG = 1e-6  # closed-form score above which a layer is flagged
MEASURED_FLAG = 4.0  # a measured score is flagged above this many times its chance level
MAX_ELEMENTS = 1 << 28  # largest input the audit runs
REC_COLUMNS = (
    "layer",
    "strategy",
    "option",
    "kernel_size",
    "stride",
    "padding",
    "output_padding",
    "replaceable",
)
_NOUN = {"forward": "upsampling", "backward": "downsampling"}


@dataclass(frozen=True)
class LayerFinding:
    """One resampling operation as it ran, with its scores.

    For ``direction="backward"`` the scores are those of the operation's adjoint (the
    gradient it hands back for a constant upstream gradient); ``method`` says how they were
    obtained: ``"closed form"``, ``"autograd"`` (exact, for a linear operation without a
    closed form here, e.g. ``interpolate``) or ``"measured"`` (data-dependent: max pools, at
    the input the operation received), in which case ``chance`` is the score the
    measurement's own noise gives when the phases are truly equal.
    """

    name: str
    kind: str
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
    direction: str = "forward"
    method: str = "closed form"
    chance: float = 0.0
    functional: bool = False

    @property
    def flagged(self) -> bool:
        if self.holes:
            return True
        if np.isnan(self.checkerboard_score):
            return False
        if self.method == "measured":
            return bool(self.checkerboard_score > max(FLAG, MEASURED_FLAG * self.chance))
        return bool(self.checkerboard_score > FLAG)


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
        One row per measured map (see :mod:`artifact_lab.measure`): ``input`` (``"zero"``,
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
                f"  {mark} {f.name or '(model)'} [{f.kind} {_geom_text(f)}]: {score}{contrast}"
                + (", HOLES" if f.holes else "")
                + (f" ({f.note})" if f.note else "")
            )
        for row in self.model_scores.itertuples():
            where = f"whole model, {row.measured} at {row.input} input"
            if np.isnan(row.harmonic_fraction):
                lines.append(
                    f"  {where}: not measured (fewer than two periods of {_one(row.factor)})"
                )
                continue
            lines.append(
                f"  {where}: harmonic fraction {row.harmonic_fraction:.3f} "
                f"(chance {row.chance:.3f}), peak {row.peak_db:.1f} dB at period "
                f"{_one(row.factor)}, power {row.power:.3g}"
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


def _geom_text(f: LayerFinding) -> str:
    g = f.geometry
    if f.kind == "transposed":
        return (
            f"k{_one(g['kernel_size'])}/s{_one(g['stride'])}/p{_one(g['padding'])}"
            f"/op{_one(g['output_padding'])}/d{_one(g['dilation'])}"
        )
    if "kernel_size" in g and "stride" in g and f.kind != "pixel_shuffle":
        text = f"k{_one(g['kernel_size'])}/s{_one(g['stride'])}/p{_one(g.get('padding', 0))}"
        if any(d != 1 for d in g.get("dilation") or ()):
            text += f"/d{_one(g['dilation'])}"
        if g.get("groups", 1) != 1:
            text += f"/g{g['groups']}"
        return text
    if f.kind == "interpolate":
        return f"{g.get('mode')} x{_one(_inverse(f))}"
    return f"x{_one(_inverse(f))}"


def _inverse(f: LayerFinding) -> tuple[float, ...]:
    if f.direction == "backward":
        return tuple(round(1 / v, 4) if v else v for v in f.factor)
    return f.factor


def _one(v):
    if isinstance(v, tuple) and len(set(v)) == 1:
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# --------------------------------------------------------------------------- argument checks


def _check_model(model: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")


def _check_shape(input_shape: Any) -> tuple[int, ...]:
    """``(N, C, *spatial)`` with 1 to 3 spatial axes: ints (numpy ints too), never bools."""
    rule = "input_shape must be a sequence (N, C, *spatial) of positive ints"
    if input_shape is None or isinstance(input_shape, (str, bytes, numbers.Number)):
        raise TypeError(f"{rule}, got {input_shape!r}")
    if isinstance(input_shape, torch.Size):
        input_shape = tuple(input_shape)
    if isinstance(input_shape, np.ndarray):
        if input_shape.ndim != 1:
            raise TypeError(f"{rule}, got an array of shape {input_shape.shape}")
        input_shape = input_shape.tolist()
    if not isinstance(input_shape, Sequence):
        raise TypeError(f"{rule}, got {type(input_shape).__name__}")
    shape = []
    for i, v in enumerate(input_shape):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Integral):
            raise TypeError(f"input_shape[{i}] must be an int, got {v!r} ({type(v).__name__})")
        shape.append(int(v))
    if not 3 <= len(shape) <= 5:
        raise ValueError(
            f"input_shape must be (N, C, *spatial) with 1 to 3 spatial axes, got {tuple(shape)}"
        )
    if any(v < 1 for v in shape):
        raise ValueError(f"input_shape entries must be >= 1, got {tuple(shape)}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(
            f"input_shape {tuple(shape)} has {math.prod(shape)} elements, above the audit's "
            f"limit of {MAX_ELEMENTS}: use a smaller batch or spatial size"
        )
    return tuple(shape)


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


# --------------------------------------------------------------------------- forward findings


def _forward_finding(op: Op) -> LayerFinding:
    in_shape, out_shape = op.input_shape, op.output_shape
    nd = len(in_shape) - 2
    factor = tuple(o / i for o, i in zip(out_shape[2:], in_shape[2:], strict=True))
    base = {"name": op.name, "kind": op.kind, "input_shape": in_shape, "output_shape": out_shape}
    base |= {"factor": factor, "functional": op.module is None}
    if op.kind == "transposed":
        m = op.module
        geom = {
            "kernel_size": m.kernel_size,
            "stride": m.stride,
            "padding": m.padding,
            "output_padding": m.output_padding,
            "dilation": m.dilation,
            "groups": m.groups,
        }
        ws = weight_scores(m.weight.detach(), m.stride, m.dilation, ndim=nd, groups=m.groups)
        return LayerFinding(
            **base,
            geometry=geom,
            overlap_contrast=overlap_contrast(m.kernel_size, m.stride, m.dilation, m.padding),
            holes=has_holes(m.kernel_size, m.stride, m.dilation),
            checkerboard_score=ws.checkerboard_score,
            noise_checkerboard=ws.noise_checkerboard,
            pairs=ws.pairs,
        )
    if op.kind == "pixel_shuffle":
        r = int(op.params["factor"])
        geom: dict[str, Any] = {"stride": (r,) * nd}

        def unscored(note: str) -> LayerFinding:
            nan = float("nan")
            return LayerFinding(
                **base,
                geometry=geom,
                overlap_contrast=0.0,
                holes=False,
                checkerboard_score=nan,
                noise_checkerboard=nan,
                note=note,
            )

        if op.producer is None:
            return unscored("no convolution feeds it directly: not scored")
        cname, conv = op.producer
        if any(s != 1 for s in conv["stride"]) or isinstance(conv["padding"], str):
            return unscored(f"{cname} is strided or padded by name: not scored")
        if conv["groups"] != 1:
            return unscored(f"{cname} is grouped: not scored")
        wt, pad = subpixel_as_transposed(
            conv["weight"].detach().cpu().double(), r, padding=conv["padding"], ndim=nd
        )
        ws = weight_scores(wt, r, ndim=nd)
        geom |= {"kernel_size": tuple(wt.shape[2:]), "padding": pad, "conv": cname}
        return LayerFinding(
            **base,
            geometry=geom,
            overlap_contrast=0.0,
            holes=False,
            checkerboard_score=ws.checkerboard_score,
            noise_checkerboard=ws.noise_checkerboard,
            pairs=ws.pairs,
            note=f"with {cname}",
        )
    # interpolation: nearest and (bi/tri)linear at integer factors have equal phase gains
    mode = op.params.get("mode", "nearest")
    integer = all(abs(f - round(f)) < 1e-9 for f in factor)
    return LayerFinding(
        **base,
        geometry={"mode": mode},
        overlap_contrast=0.0,
        holes=False,
        checkerboard_score=0.0 if integer else float("nan"),
        noise_checkerboard=0.0
        if integer and mode in ("nearest", "nearest-exact")
        else float("nan"),
        note="" if integer else "non-integer factor: not periodic",
    )


def _forward_period(findings: Sequence[LayerFinding], nd: int) -> tuple[int, ...]:
    """The total upsampling factor as the product of every layer's stride (transposed) or
    integer factor: the period of any checkerboard the stack can paint."""
    period = [1] * nd
    for f in findings:
        steps = f.geometry.get("stride") if f.kind == "transposed" else f.factor
        for a in range(nd):
            if abs(steps[a] - round(steps[a])) < 1e-9:
                period[a] *= round(steps[a])
    return tuple(period)


# --------------------------------------------------------------------------- backward findings


def _compose(weight: torch.Tensor, geom: dict[str, Any], blur: dict[str, Any]):
    """The strided conv's weight composed with the depthwise stride-1 conv that feeds it:
    ``C[o, i] = W[o, i] * B[i]`` (full convolution of the dilated kernels); padding adds."""
    nd = weight.ndim - 2
    out_ch, in_g = weight.shape[:2]
    groups = geom["groups"]

    def dilate(w: torch.Tensor, d: tuple[int, ...]) -> torch.Tensor:
        size = [(k - 1) * da + 1 for k, da in zip(w.shape[2:], d)]
        full = w.new_zeros((*w.shape[:2], *size))
        full[(slice(None), slice(None), *(slice(None, None, da) for da in d))] = w
        return full

    w = dilate(weight.detach().cpu().double(), geom["dilation"])
    b = dilate(blur["weight"].detach().cpu().double(), blur["dilation"])[:, 0]  # (C, *kb)
    # the blur of input channel i = group(o) * in_g + i_local, for each (o, i_local)
    chan = (torch.arange(out_ch)[:, None] // (out_ch // groups)) * in_g + torch.arange(in_g)
    bsel = b[chan.reshape(-1)]  # (out*in_g, *kb)
    conv_t = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    full = conv_t(
        w.reshape(1, out_ch * in_g, *w.shape[2:]), bsel[:, None], groups=out_ch * in_g
    ).reshape(out_ch, in_g, *(kw + kb - 1 for kw, kb in zip(w.shape[2:], b.shape[1:])))
    padding = tuple(p + q for p, q in zip(geom["padding"], blur["padding"]))
    return full, padding


def _conv_geometry(params: dict[str, Any], nd: int) -> dict[str, Any]:
    pad = params["padding"]
    if pad == "same":  # torch puts the odd one of d*(k-1) padded samples at the end
        pad = tuple(d * (k - 1) // 2 for k, d in zip(params["kernel_size"], params["dilation"]))
    elif isinstance(pad, str):  # 'valid'
        pad = (0,) * nd
    return {
        "kernel_size": tuple(params["kernel_size"]),
        "stride": tuple(params["stride"]),
        "padding": tuple(pad),
        "dilation": tuple(params["dilation"]),
        "groups": params.get("groups", 1),
    }


def _max_pool_fn(nd: int, g: dict[str, Any]):
    pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[nd]
    k, s, p, d, c = g["kernel_size"], g["stride"], g["padding"], g["dilation"], g["ceil_mode"]
    return lambda t: pool(t, k, s, p, d, ceil_mode=c)


def _backward_finding(op: Op) -> LayerFinding:
    in_shape, out_shape = op.input_shape, op.output_shape
    nd = len(in_shape) - 2
    n_in, n_out = in_shape[2:], out_shape[2:]
    factor = tuple(i / o for i, o in zip(n_in, n_out, strict=True))
    base = {"name": op.name, "kind": op.kind, "input_shape": in_shape, "output_shape": out_shape}
    base |= {"factor": factor, "direction": "backward", "functional": op.module is None}
    note = op.note
    nan = float("nan")
    P = op.params

    def join(*parts: str) -> str:
        return "; ".join(p for p in parts if p)

    if op.kind in ("conv", "blur_pool"):
        geom = _conv_geometry(P, nd)
        weight = P["weight"]
        if op.producer is not None:
            pname, blur = op.producer
            weight, pad = _compose(weight, geom, blur | _conv_geometry(blur, nd))
            geom |= {"kernel_size": tuple(weight.shape[2:]), "padding": pad}
            geom |= {"dilation": (1,) * nd, "blur": pname}
            note = join(f"scored with the blur {pname} that feeds it", note)
        ws = weight_scores(weight, geom["stride"], geom["dilation"], groups=geom["groups"])
        k, s, p, d = (geom[x] for x in ("kernel_size", "stride", "padding", "dilation"))
        return LayerFinding(
            **base,
            geometry=geom,
            overlap_contrast=overlap_contrast(k, s, d, p),
            holes=has_holes(k, s, d),
            checkerboard_score=ws.checkerboard_score,
            noise_checkerboard=ws.noise_checkerboard,
            pairs=ws.pairs,
            note=note,
        )
    if op.kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        if not all(i % o == 0 for i, o in zip(n_in, n_out)):
            return LayerFinding(
                **base,
                geometry={},
                overlap_contrast=nan,
                holes=False,
                checkerboard_score=nan,
                noise_checkerboard=nan,
                note=join("windows of unequal size: not periodic, not scored", note),
            )
        s = tuple(i // o for i, o in zip(n_in, n_out))
        P = {"kernel_size": s, "stride": s, "padding": (0,) * nd, "dilation": (1,) * nd}
        P |= {"ceil_mode": False, "count_include_pad": True, "divisor_override": None}
        if all(o == 1 for o in n_out):
            note = join("global pooling", note)
        kind = "avg_pool" if op.kind == "adaptive_avg_pool" else "max_pool"
        op = Op(kind, op.name, op.module, in_shape, out_shape, P, op.input, None, note)
        return dataclasses.replace(_backward_finding(op), kind=base["kind"])
    if op.kind in ("avg_pool", "lp_pool"):
        geom = {x: P[x] for x in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
        k, s, p = geom["kernel_size"], geom["stride"], geom["padding"]
        if op.kind == "avg_pool":
            kern = pool_kernel("avg", k, ndim=nd, divisor_override=P.get("divisor_override"))
            geom["count_include_pad"] = P["count_include_pad"]
        else:
            norm = P["norm_type"]
            if not 0 < norm < math.inf:
                return _backward_finding(
                    Op("max_pool", op.name, op.module, in_shape, out_shape, P, op.input)
                )
            kern = pool_kernel("lp", k, ndim=nd, norm_type=norm)
            geom["norm_type"] = norm
            note = join("adjoint linearised at a constant positive input", note)
        return LayerFinding(
            **base,
            geometry=geom,
            overlap_contrast=overlap_contrast(k, s, 1, p),
            holes=has_holes(k, s, 1),
            checkerboard_score=float(checkerboard_score(kern, s)),
            noise_checkerboard=float(noise_checkerboard(kern, s)),
            note=note,
        )
    if op.kind == "max_pool":
        geom = {x: P[x] for x in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
        k, s, p, d = geom["kernel_size"], geom["stride"], geom["padding"], geom["dilation"]
        common = {
            "geometry": geom,
            "overlap_contrast": overlap_contrast(k, s, d, p),
            "holes": has_holes(k, s, d),
            "noise_checkerboard": nan,
            "method": "measured",
        }
        mask = adjoint_interior(n_in, k, s, p, d, ceil_mode=geom["ceil_mode"], whole_windows=True)
        try:
            m = measured_gains(_max_pool_fn(nd, geom), op.input, s, mask)
        except ValueError:
            return LayerFinding(
                **base,
                **common,
                checkerboard_score=nan,
                note=join("input too small to measure the data-dependent adjoint", note),
            )
        return LayerFinding(
            **base,
            **common,
            checkerboard_score=m.score,
            chance=m.chance,
            note=join("argmax routing measured at the input it received", note),
        )
    if op.kind == "interpolate":
        return _interpolate_finding(op, base, note)
    return LayerFinding(  # pixel_unshuffle
        **base,
        geometry={"stride": (int(P.get("factor", 1)),) * nd},
        overlap_contrast=nan,
        holes=False,
        checkerboard_score=nan,
        noise_checkerboard=nan,
        note=join("a permutation (its adjoint is a pixel shuffle): not scored", note),
    )


def _inverse_scale(P: dict[str, Any], n_in, n_out) -> tuple[float, ...]:
    """The sampling step interpolate really uses: ``1 / scale_factor`` when one is given
    (and not recomputed), else the size ratio."""
    sf = P.get("scale_factor")
    if sf is not None and not P.get("recompute_scale_factor"):
        sf = sf if isinstance(sf, (tuple, list)) else (sf,) * len(n_in)
        return tuple(1 / float(v) for v in sf)
    return tuple(i / o for i, o in zip(n_in, n_out))


def _replay_interpolate(P: dict[str, Any], n_out):
    kwargs: dict[str, Any] = {"mode": P.get("mode", "nearest")}
    if P.get("scale_factor") is not None and not P.get("recompute_scale_factor"):
        kwargs["scale_factor"] = P["scale_factor"]
    else:
        kwargs["size"] = tuple(n_out)
    if P.get("align_corners") is not None:
        kwargs["align_corners"] = P["align_corners"]
    if P.get("antialias"):
        kwargs["antialias"] = True
    return lambda t: F.interpolate(t, **kwargs)


def _interpolate_finding(op: Op, base: dict[str, Any], note: str) -> LayerFinding:
    """Interpolation is linear: its adjoint is measured exactly by autograd (the call replayed
    on ones) wherever its sampling step is an integer."""
    P = op.params
    nd = len(op.input_shape) - 2
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    nan = float("nan")
    geom = {"mode": P.get("mode"), "align_corners": P.get("align_corners")}
    unscored = {"overlap_contrast": nan, "holes": False, "checkerboard_score": nan}
    unscored |= {"noise_checkerboard": nan, "geometry": geom}
    ratio = _inverse_scale(P, n_in, n_out)
    if not all(abs(r - round(r)) < 1e-9 and round(r) >= 1 for r in ratio):
        return LayerFinding(**base, **unscored, note="non-integer factor: not periodic")
    s = tuple(round(r) for r in ratio)
    geom["stride"] = s
    margin = [min(3 * st + 2, (n - st) // 2) for n, st in zip(n_in, s)]
    mask = np.ones(n_in, dtype=bool)
    for a, m in enumerate(margin):
        index = [slice(None)] * nd
        index[a] = np.r_[0:m, n_in[a] - m : n_in[a]]
        mask[tuple(index)] = False
    resize = _replay_interpolate(P, n_out)
    try:
        m = measured_gains(resize, torch.ones(1, 1, *n_in, dtype=torch.float64), s, mask)
    except (ValueError, RuntimeError, NotImplementedError):
        return LayerFinding(**base, **unscored, note="input too small to measure the adjoint")
    if m.spread > 1e-9:
        return LayerFinding(
            **base, **unscored, note="the adjoint is not periodic (e.g. align_corners): not scored"
        )
    scale = float(np.abs(m.gains).max()) or 1.0
    return LayerFinding(
        **base,
        geometry=geom,
        overlap_contrast=nan,
        holes=bool((np.abs(m.gains) <= 1e-12 * scale).any()),
        checkerboard_score=m.score,
        noise_checkerboard=nan,
        method="autograd",
        note=note,
    )


def _step(op: Op, nd: int) -> tuple[int, ...]:
    if "stride" in op.params and op.kind != "interpolate":
        return tuple(int(s) for s in op.params["stride"])
    if op.kind == "pixel_unshuffle":
        return (int(op.params["factor"]),) * nd
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    if op.kind == "interpolate":
        ratio = list(_inverse_scale(op.params, n_in, n_out))
    else:
        ratio = [i / o for i, o in zip(n_in, n_out)]
    return tuple(round(r) if abs(r - round(r)) < 1e-9 else 1 for r in ratio)


def _backward_period(ops: Sequence[Op], spatial: tuple[int, ...]) -> tuple[int, ...]:
    """Least common multiple, per axis, of each operation's cumulative stride from the input.

    A resolution level is known by its spatial shape: an op's input at a known shape
    inherits that level's cumulative stride (else the size ratio to the model's input), so
    parallel branches (a ResNet shortcut beside its strided conv) are not counted twice.
    Global pools (output 1) paint no period and are left out.
    """
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


# --------------------------------------------------------------------------- recommendations


def _rec(f: LayerFinding, strategy: str, option: str, **geometry: Any) -> dict[str, Any]:
    module_ok = not f.functional and strategy in STRATEGIES and f.kind in STRATEGIES[strategy].kinds
    if f.functional:
        option += " (a functional call: change the forward)"
    return {"layer": f.name, "strategy": strategy, "option": option, **geometry,
            "replaceable": module_ok}  # fmt: skip


def _recommend_forward(f: LayerFinding) -> list[dict[str, Any]]:
    if f.kind != "transposed" or not f.flagged:
        return []
    nd = len(f.input_shape) - 2
    n, L = f.input_shape[2:], f.output_shape[2:]
    s = f.geometry["stride"]
    out = []
    if len(set(s)) == 1:
        axes = [transposed_geometry(n[a], L[a], s[a]) for a in range(nd)]
        common = [g for g in axes[0] if all(g in options for options in axes[1:])]
        for k, p, op in common[:3]:
            out.append(
                _rec(
                    f,
                    "transposed",
                    f"ConvTranspose k{k}/s{s[0]}/p{p}/op{op} (hold-smoothed init)",
                    kernel_size=k,
                    stride=s[0],
                    padding=p,
                    output_padding=op,
                )
            )
    if len(set(s)) == 1 and all(o == i * s[0] for o, i in zip(L, n, strict=True)):
        out.append(_rec(f, "resize", f"nearest x{s[0]} + conv3 (resize-conv)"))
        out.append(_rec(f, "subpixel", f"conv3 + pixel shuffle x{s[0]}, ICNR init"))
    return out


def _recommend_backward(f: LayerFinding) -> list[dict[str, Any]]:
    if not f.flagged:
        return []
    g = f.geometry
    out = []
    if f.kind == "conv":
        k, s = g["kernel_size"], g["stride"]
        out.append(
            _rec(
                f,
                "blur",
                f"Conv k{_one(k)}/s1 + BlurPool s{_one(s)} (blur before subsampling, Zhang 2019)",
                kernel_size=k,
                stride=s,
            )
        )
        n, L = f.input_shape[2:], f.output_shape[2:]
        picks = [even_conv_geometry(n[a], L[a], s[a]) for a in range(len(s))]
        if all(p is not None for p in picks):
            ke, pe = tuple(p[0] for p in picks), tuple(p[1] for p in picks)
            out.append(
                _rec(
                    f,
                    "even",
                    f"Conv k{_one(ke)}/s{_one(s)}/p{_one(pe)} (k % s == 0), "
                    "hold-smoothed init (retrain)",
                    kernel_size=ke,
                    stride=s,
                    padding=pe,
                )
            )
        out.append(_rec(f, "pool", f"Conv k{_one(k)}/s1 + AvgPool k{_one(s)}/s{_one(s)}", stride=s))
    elif f.kind in ("avg_pool", "max_pool", "lp_pool"):
        name = {"avg_pool": "AvgPool", "max_pool": "MaxPool", "lp_pool": "LPPool"}[f.kind]
        k, s = g["kernel_size"], g["stride"]
        extra = " (MaxBlurPool)" if f.kind == "max_pool" else ""
        out.append(
            _rec(
                f,
                "blur",
                f"{name} k{_one(k)}/s1 + BlurPool s{_one(s)}{extra} (Zhang 2019)",
                kernel_size=k,
                stride=s,
            )
        )
    elif f.kind == "interpolate":
        s = f.geometry.get("stride")
        out.append(_rec(f, "blur", f"BlurPool s{_one(s)} of the same output size (Zhang 2019)"))
    elif f.kind == "adaptive_max_pool":
        out.append(_rec(f, "edit", "AdaptiveAvgPool instead (an even average)"))
    return out


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
        Also measure the whole model (see :mod:`artifact_lab.measure`): forward, the fixed
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
    _check_model(model)
    shape = _check_shape(input_shape)
    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"name must be a str or None, got {name!r}")
    measure = _check_bool("measure", measure)
    images = _check_bool("images", images)
    if projection not in ("sum", "random"):
        raise ValueError(f"projection must be 'sum' or 'random', got {projection!r}")
    from ._checks import check_int

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
            findings = tuple(_forward_finding(op) for op in ops)
            period = _forward_period(findings, nd)
        else:
            findings = tuple(_backward_finding(op) for op in ops)
            period = _backward_period(ops, shape[2:])
        scores = pd.DataFrame(columns=list(COLUMNS))
        if measure and findings:
            if direction == "forward":
                scores = forward_scores(model, shape, period, seed=seed, device=dev, dtype=dtype)
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
    recommend = _recommend_forward if direction == "forward" else _recommend_backward
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
    from .zoo import ZOO, build, input_shape

    if direction not in ("forward", "backward"):
        raise ValueError(f"direction must be 'forward' or 'backward', got {direction!r}")
    if names is None:
        names = [n for n, e in ZOO.items() if e.direction == direction]
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
                "period": _one(noise.factor.iloc[0]) if len(noise) else None,
            }
        )
    table = pd.DataFrame(rows).sort_values(["worst score", "flagged"], ascending=False)
    return table.reset_index(drop=True), results
