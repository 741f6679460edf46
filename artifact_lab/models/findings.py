"""Score each resampling operation a trace found: one :class:`LayerFinding` per operation.

Forward (upsampling): a ConvTranspose from its weights (grouped layers per group), a pixel
shuffle through the convolution that feeds it, an interpolation by its factor. Backward
(downsampling): each operation's adjoint, the gradient it hands back for a constant upstream
gradient (:mod:`artifact_lab.core.adjoint`): strided convolutions from their weights (through the
depthwise blur that feeds them, if any), average and LP pools as all-ones kernels, max pools
measured by autograd at the input they received, ``interpolate`` measured exactly by
autograd (it is linear).

Each operation kind has one scorer, registered in :data:`FORWARD` or :data:`BACKWARD`; a
new kind plugs in with the decorator :func:`scorer`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from .._util.checks import check_instance
from .._util.dims import functional
from ..core.adjoint import adjoint_interior, measured_gains, pool_kernel
from ..core.kernels import subpixel_as_transposed
from ..core.overlap import has_holes, overlap_contrast
from ..core.scores import checkerboard_score, noise_checkerboard, weight_scores
from .severity import band
from .trace import Op

__all__ = [
    "BACKWARD",
    "FLAG",
    "FORWARD",
    "MEASURED_FLAG",
    "SEVERITIES",
    "LayerFinding",
    "backward_finding",
    "closed_form_severity",
    "forward_finding",
]

FLAG = ("visible", "strong")  # the severities that flag an operation
MEASURED_FLAG = 4.0  # a measured score counts only above this many times its chance level
#: An operation's severity: a band of :data:`artifact_lab.models.severity.BANDS`, or
#: ``"unknown"`` (not scored, and no whole-model measurement to say).
SEVERITIES = ("none", "faint", "visible", "strong", "unknown")


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
    period: tuple[int, ...] | None = None
    severity: str = "unknown"
    location: str = ""

    @property
    def flagged(self) -> bool:
        return self.severity in FLAG


def closed_form_severity(f: LayerFinding) -> str:
    """The band of an operation's own score: its harmonic fraction for a constant input (a
    measured score counts only above :data:`MEASURED_FLAG` times its chance level).

    Examples
    --------
    >>> import torch
    >>> from artifact_lab.models.trace import trace
    >>> layer = torch.nn.ConvTranspose1d(1, 1, 3, 2)
    >>> _ = torch.nn.init.ones_(layer.weight)
    >>> ops, _ = trace(layer, torch.zeros(1, 1, 8))
    >>> closed_form_severity(forward_finding(ops[0]))
    'strong'
    """
    check_instance("f", f, LayerFinding)
    score = f.checkerboard_score
    if np.isnan(score):
        return "unknown"
    if f.method == "measured" and not score > MEASURED_FLAG * f.chance:
        return "none"
    return band(score)


def geometry_text(f: LayerFinding) -> str:
    g = f.geometry
    if f.kind == "transposed":
        return (
            f"k{compact(g['kernel_size'])}/s{compact(g['stride'])}/p{compact(g['padding'])}"
            f"/op{compact(g['output_padding'])}/d{compact(g['dilation'])}"
        )
    if "kernel_size" in g and "stride" in g and f.kind != "pixel_shuffle":
        k, st, p = g["kernel_size"], g["stride"], g.get("padding", 0)
        text = f"k{compact(k)}/s{compact(st)}/p{compact(p)}"
        if any(d != 1 for d in g.get("dilation") or ()):
            text += f"/d{compact(g['dilation'])}"
        if g.get("groups", 1) != 1:
            text += f"/g{g['groups']}"
        return text
    if f.kind == "interpolate":
        return f"{g.get('mode')} x{compact(_inverse(f))}"
    return f"x{compact(_inverse(f))}"


def _inverse(f: LayerFinding) -> tuple[float, ...]:
    if f.direction == "backward":
        return tuple(round(1 / v, 4) if v else v for v in f.factor)
    return f.factor


def compact(v):
    if isinstance(v, tuple) and len(set(v)) == 1:
        v = v[0]
    if isinstance(v, float) and v.is_integer():
        return int(v)
    return v


# --------------------------------------------------------------------------- the registry

Scorer = Callable[[Op, dict[str, Any]], "LayerFinding"]
#: operation kind -> the scorer of its forward (output) finding
FORWARD: dict[str, Scorer] = {}
#: operation kind -> the scorer of its backward (input gradient) finding
BACKWARD: dict[str, Scorer] = {}


def scorer(direction: str, *kinds: str):
    """Register a scorer ``f(op, base) -> LayerFinding`` for ``kinds`` (a decorator).

    ``base`` holds the fields every finding shares (name, kind, shapes, factor, direction,
    functional); the scorer adds the geometry and the scores.
    """
    table = FORWARD if direction == "forward" else BACKWARD

    def register(fn: Scorer) -> Scorer:
        for kind in kinds:
            table[kind] = fn
        return fn

    return register


def _base(op: Op, direction: str) -> dict[str, Any]:
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    if direction == "forward":
        factor = tuple(o / i for o, i in zip(n_out, n_in, strict=True))
    else:
        factor = tuple(i / o for i, o in zip(n_in, n_out, strict=True))
    return {
        "name": op.name,
        "kind": op.kind,
        "input_shape": op.input_shape,
        "output_shape": op.output_shape,
        "factor": factor,
        "direction": direction,
        "functional": op.module is None,
        "location": op.location,
    }


def _rated(f: LayerFinding) -> LayerFinding:
    return dataclasses.replace(f, severity=closed_form_severity(f))


def forward_finding(op: Op) -> LayerFinding:
    """The finding of one upsampling operation (its output's checkerboard), with the
    severity of its closed form (the audit caps it by what the model's output carries)."""
    check_instance("op", op, Op, hint="artifact_lab.models.trace.trace records them")
    return _rated(FORWARD.get(op.kind, _interpolate_forward)(op, _base(op, "forward")))


def backward_finding(op: Op) -> LayerFinding:
    """The finding of one downsampling operation (its input gradient's checkerboard), with
    the severity of its closed form (the audit caps it by what the gradient carries)."""
    check_instance("op", op, Op, hint="artifact_lab.models.trace.trace records them")
    return _rated(BACKWARD.get(op.kind, _pixel_unshuffle)(op, _base(op, "backward")))


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


def _unscored(base: dict[str, Any], note: str, geometry: dict[str, Any], **extra: Any):
    nan = float("nan")
    fields = {"overlap_contrast": nan, "holes": False, "checkerboard_score": nan}
    fields |= {"noise_checkerboard": nan} | extra
    return LayerFinding(**base, geometry=geometry, note=note, **fields)


# --------------------------------------------------------------------------- forward findings


@scorer("forward", "transposed")
def _transposed(op: Op, base: dict[str, Any]) -> LayerFinding:
    """A transposed convolution (module or ``F.conv_transpose*d``) from its weight."""
    P = op.params
    nd = len(op.input_shape) - 2
    keys = ("kernel_size", "stride", "padding", "output_padding", "dilation", "groups")
    geom = {k: P[k] for k in keys}
    k, s, p, d = (P[x] for x in ("kernel_size", "stride", "padding", "dilation"))
    ws = weight_scores(P["weight"], s, d, ndim=nd, groups=P["groups"])
    return LayerFinding(
        **base,
        geometry=geom,
        overlap_contrast=overlap_contrast(k, s, d, p),
        holes=has_holes(k, s, d),
        checkerboard_score=ws.checkerboard_score,
        noise_checkerboard=ws.noise_checkerboard,
        pairs=ws.pairs,
        note=op.note,
    )


@scorer("forward", "pixel_shuffle")
def _pixel_shuffle(op: Op, base: dict[str, Any]) -> LayerFinding:
    nd = len(op.input_shape) - 2
    r = int(op.params["factor"])
    geom: dict[str, Any] = {"stride": (r,) * nd}
    unscored = {"overlap_contrast": 0.0}
    if op.producer is None:
        return _unscored(base, "no convolution feeds it directly: not scored", geom, **unscored)
    cname, conv = op.producer
    if any(s != 1 for s in conv["stride"]) or isinstance(conv["padding"], str):
        return _unscored(
            base, f"{cname} is strided or padded by name: not scored", geom, **unscored
        )
    if conv["groups"] != 1:
        return _unscored(base, f"{cname} is grouped: not scored", geom, **unscored)
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
        note=_join(f"with {cname}", op.note),
    )


@scorer("forward", "interpolate")
def _interpolate_forward(op: Op, base: dict[str, Any]) -> LayerFinding:
    """Nearest and (bi/tri)linear interpolation at integer factors have equal phase gains."""
    mode = op.params.get("mode", "nearest")
    integer = all(abs(f - round(f)) < 1e-9 for f in base["factor"])
    return LayerFinding(
        **base,
        geometry={"mode": mode},
        overlap_contrast=0.0,
        holes=False,
        checkerboard_score=0.0 if integer else float("nan"),
        noise_checkerboard=0.0
        if integer and mode in ("nearest", "nearest-exact")
        else float("nan"),
        note=_join("" if integer else "non-integer factor: not periodic", op.note),
    )


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
    full = functional("conv_transpose", nd)(
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
    pool = functional("max_pool", nd)
    k, s, p, d, c = g["kernel_size"], g["stride"], g["padding"], g["dilation"], g["ceil_mode"]
    return lambda t: pool(t, k, s, p, d, ceil_mode=c)


@scorer("backward", "conv", "blur_pool")
def _strided_conv(op: Op, base: dict[str, Any]) -> LayerFinding:
    nd = len(op.input_shape) - 2
    geom = _conv_geometry(op.params, nd)
    weight, note = op.params["weight"], op.note
    if op.producer is not None:
        pname, blur = op.producer
        weight, pad = _compose(weight, geom, blur | _conv_geometry(blur, nd))
        geom |= {"kernel_size": tuple(weight.shape[2:]), "padding": pad}
        geom |= {"dilation": (1,) * nd, "blur": pname}
        note = _join(f"scored with the blur {pname} that feeds it", note)
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


@scorer("backward", "adaptive_avg_pool", "adaptive_max_pool")
def _adaptive_pool(op: Op, base: dict[str, Any]) -> LayerFinding:
    """An adaptive pool with equal windows is the fixed pool of that window: scored as one."""
    nd = len(op.input_shape) - 2
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    if not all(i % o == 0 for i, o in zip(n_in, n_out)):
        note = _join("windows of unequal size: not periodic, not scored", op.note)
        return _unscored(base, note, {})
    s = tuple(i // o for i, o in zip(n_in, n_out))
    P = {"kernel_size": s, "stride": s, "padding": (0,) * nd, "dilation": (1,) * nd}
    P |= {"ceil_mode": False, "count_include_pad": True, "divisor_override": None}
    note = _join("global pooling", op.note) if all(o == 1 for o in n_out) else op.note
    kind = "avg_pool" if op.kind == "adaptive_avg_pool" else "max_pool"
    fixed = Op(kind, op.name, op.module, op.input_shape, op.output_shape, P, op.input, None, note)
    return dataclasses.replace(backward_finding(fixed), kind=op.kind)


@scorer("backward", "avg_pool", "lp_pool")
def _linear_pool(op: Op, base: dict[str, Any]) -> LayerFinding:
    """Average pools (and LP pools, linearised) are all-ones kernels: closed form."""
    nd = len(op.input_shape) - 2
    P, note = op.params, op.note
    geom = {x: P[x] for x in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    k, s, p = geom["kernel_size"], geom["stride"], geom["padding"]
    if op.kind == "avg_pool":
        kern = pool_kernel("avg", k, ndim=nd, divisor_override=P.get("divisor_override"))
        geom["count_include_pad"] = P["count_include_pad"]
    else:
        norm = P["norm_type"]
        if not 0 < norm < math.inf:  # p = inf is a max pool, and reads as one
            as_max = Op(
                "max_pool", op.name, op.module, op.input_shape, op.output_shape, P, op.input
            )
            return backward_finding(as_max)
        kern = pool_kernel("lp", k, ndim=nd, norm_type=norm)
        geom["norm_type"] = norm
        note = _join("adjoint linearised at a constant positive input", note)
    return LayerFinding(
        **base,
        geometry=geom,
        overlap_contrast=overlap_contrast(k, s, 1, p),
        holes=has_holes(k, s, 1),
        checkerboard_score=float(checkerboard_score(kern, s)),
        noise_checkerboard=float(noise_checkerboard(kern, s)),
        note=note,
    )


@scorer("backward", "max_pool")
def _max_pool(op: Op, base: dict[str, Any]) -> LayerFinding:
    """A max pool routes the gradient to its argmax: measured at the input it received."""
    nd = len(op.input_shape) - 2
    geom = {x: op.params[x] for x in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    k, s, p, d = geom["kernel_size"], geom["stride"], geom["padding"], geom["dilation"]
    common = {
        "geometry": geom,
        "overlap_contrast": overlap_contrast(k, s, d, p),
        "holes": has_holes(k, s, d),
        "noise_checkerboard": float("nan"),
        "method": "measured",
    }
    n_in = op.input_shape[2:]
    try:
        mask = adjoint_interior(n_in, k, s, p, d, ceil_mode=geom["ceil_mode"], whole_windows=True)
        m = measured_gains(_max_pool_fn(nd, geom), op.input, s, mask)
    except ValueError:
        note = _join("input too small to measure the data-dependent adjoint", op.note)
        return LayerFinding(**base, **common, checkerboard_score=float("nan"), note=note)
    zeros = float((op.input == 0).float().mean())
    ties = (
        f"{zeros:.0%} of its input is exactly 0 (after a ReLU?): torch sends a tied "
        "window's gradient to its first position"
        if zeros >= 0.25
        else ""
    )
    return LayerFinding(
        **base,
        **common,
        checkerboard_score=m.score,
        chance=m.chance,
        note=_join("argmax routing measured at the input it received", ties, op.note),
    )


@scorer("backward", "fractional_max_pool")
def _fractional_max_pool(op: Op, base: dict[str, Any]) -> LayerFinding:
    """Fractional max pooling (Graham 2014) draws its windows' starts pseudo-randomly at every
    call: no fixed period, so no per-operation score; the whole model's gradient shows what
    it does."""
    geom = {"kernel_size": op.params.get("kernel_size")}
    note = _join("pseudo-random windows (fractional max pooling): no fixed period, not scored",
                 op.note)  # fmt: skip
    return _unscored(base, note, geom, method="measured")


@scorer("backward", "pixel_unshuffle")
def _pixel_unshuffle(op: Op, base: dict[str, Any]) -> LayerFinding:
    nd = len(op.input_shape) - 2
    geom = {"stride": (int(op.params.get("factor", 1)),) * nd}
    note = _join("a permutation (its adjoint is a pixel shuffle): not scored", op.note)
    return _unscored(base, note, geom)


def inverse_scale(P: dict[str, Any], n_in, n_out) -> tuple[float, ...]:
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


@scorer("backward", "interpolate")
def _interpolate_backward(op: Op, base: dict[str, Any]) -> LayerFinding:
    """Interpolation is linear: its adjoint is measured exactly by autograd (the call replayed
    on ones) wherever its sampling step is an integer."""
    P = op.params
    nd = len(op.input_shape) - 2
    n_in, n_out = op.input_shape[2:], op.output_shape[2:]
    nan = float("nan")
    geom = {"mode": P.get("mode"), "align_corners": P.get("align_corners")}
    unscored = {"overlap_contrast": nan, "holes": False, "checkerboard_score": nan}
    unscored |= {"noise_checkerboard": nan, "geometry": geom}
    ratio = inverse_scale(P, n_in, n_out)
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
        note=op.note,
    )
