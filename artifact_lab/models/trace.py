"""Find a model's resampling operations as they run: module hooks and patched functional calls.

One pass of the model (no gradient; the model is not changed) records, in execution order,
every operation of interest with its real input and output shapes:

- ``direction="forward"`` (upsampling, which paints the output): ``ConvTranspose1d/2d/3d``;
  ``Upsample`` and ``F.interpolate``; ``PixelShuffle`` (and
  :class:`~artifact_lab.layers.shuffle.PixelShuffleND`) and ``F.pixel_shuffle``, each with the
  convolution that feeds it.
- ``direction="backward"`` (downsampling, whose adjoint paints the gradient): ``Conv1d/2d/3d``
  and ``F.conv1d/2d/3d`` with a stride above 1; ``AvgPool``, ``MaxPool``, ``LPPool`` and
  ``F.avg_pool*``, ``F.max_pool*``, ``F.lp_pool*``; adaptive pools; ``Upsample`` and
  ``F.interpolate`` that shrink an axis; ``PixelUnshuffle`` and ``F.pixel_unshuffle``; the
  :class:`~artifact_lab.layers.blur.BlurPool` that :func:`~artifact_lab.models.audit.fix`
  inserts. A strided convolution fed directly by a depthwise stride-1 convolution (a blur, as
  in StyleGAN2) carries that producer, so the pair is scored as one composite kernel.

Functional calls are seen by replacing the ``torch.nn.functional`` attributes for the
duration of the pass. Calls made inside a hooked module, or inside another patched function
(``lp_pool2d`` calls ``avg_pool2d``), are not counted twice. A function bound to another name
before the pass (``from torch.nn.functional import max_pool2d``) is not seen.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import check_direction, check_module, check_tensor
from ..layers.blur import BlurPool
from ..layers.shuffle import PixelShuffleND

__all__ = ["KINDS", "Op", "trace"]

#: The operation kinds :func:`trace` records (``Op.kind``): forward, then backward.
KINDS = (
    "transposed",
    "interpolate",
    "pixel_shuffle",
    "conv",
    "avg_pool",
    "max_pool",
    "lp_pool",
    "adaptive_avg_pool",
    "adaptive_max_pool",
    "pixel_unshuffle",
    "blur_pool",
)

_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_AVG = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_MAX = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_LP = tuple(getattr(nn, f"LPPool{n}d") for n in (1, 2, 3) if hasattr(nn, f"LPPool{n}d"))
_ADAPTIVE_AVG = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
_ADAPTIVE_MAX = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
_DATA_DEPENDENT = ("max_pool", "adaptive_max_pool")


@dataclass
class Op:
    """One operation as it ran.

    ``params`` holds per-axis tuples (``kernel_size``, ``stride``, ``padding``,
    ``dilation``, ...) and, for convolutions, the ``weight``; ``input`` is kept only where
    the adjoint depends on the data (max pools); ``producer`` is ``(name, params)`` of the
    convolution that produced this op's input, where the op is scored through it.
    """

    kind: str
    name: str
    module: nn.Module | None
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    params: dict[str, Any] = field(default_factory=dict)
    input: torch.Tensor | None = None
    producer: tuple[str, dict[str, Any]] | None = None
    note: str = ""


def _tuple(value: Any, nd: int) -> tuple:
    if isinstance(value, (tuple, list)):
        if len(value) == 1 and nd > 1:
            return tuple(value) * nd
        return tuple(value)
    return (value,) * nd


def _pool_geometry(nd: int, kernel_size, stride, padding=0, dilation=1) -> dict[str, tuple]:
    k = _tuple(kernel_size, nd)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    return {
        "kernel_size": k,
        "stride": k if empty else _tuple(stride, nd),
        "padding": _tuple(padding, nd),
        "dilation": _tuple(dilation, nd),
    }


def _conv_params(m_or_args: Any, nd: int) -> dict[str, Any]:
    get = m_or_args.get if isinstance(m_or_args, dict) else lambda k: getattr(m_or_args, k)
    weight = get("weight").detach()
    padding = get("padding")
    return {
        "kernel_size": tuple(weight.shape[2:]),
        "stride": _tuple(get("stride"), nd),
        "padding": padding if isinstance(padding, str) else _tuple(padding, nd),
        "dilation": _tuple(get("dilation"), nd),
        "groups": int(get("groups")),
        "weight": weight,
    }


def _module_params(kind: str, m: nn.Module, nd: int) -> dict[str, Any]:
    if kind == "conv":
        return _conv_params(m, nd) | {"padding_mode": m.padding_mode}
    if kind == "avg_pool":
        geo = _pool_geometry(nd, m.kernel_size, m.stride, m.padding)
        return geo | {
            "ceil_mode": bool(m.ceil_mode),
            "count_include_pad": bool(m.count_include_pad),
            "divisor_override": getattr(m, "divisor_override", None),
        }
    if kind == "max_pool":
        geo = _pool_geometry(nd, m.kernel_size, m.stride, m.padding, m.dilation)
        return geo | {"ceil_mode": bool(m.ceil_mode)}
    if kind == "lp_pool":
        geo = _pool_geometry(nd, m.kernel_size, m.stride)
        return geo | {"ceil_mode": bool(m.ceil_mode), "norm_type": float(m.norm_type)}
    if kind == "blur_pool":
        return m.geometry(nd)
    if kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        return {"output_size": m.output_size}
    if kind == "interpolate":
        return {
            "mode": m.mode,
            "align_corners": m.align_corners,
            "size": m.size,
            "scale_factor": m.scale_factor,
            "recompute_scale_factor": m.recompute_scale_factor,
            "antialias": False,
        }
    if kind == "pixel_unshuffle":
        return {"factor": int(m.downscale_factor)}
    if kind == "pixel_shuffle":
        return {"factor": int(getattr(m, "upscale_factor", getattr(m, "factor", 1)))}
    return {}


# Functional signatures (torch's are builtins without introspectable signatures).
def _sig_conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1): ...
def _sig_avg(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
): ...
def _sig_max(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
): ...
def _sig_lp(input, norm_type, kernel_size, stride=None, ceil_mode=False): ...
def _sig_adaptive(input, output_size, return_indices=False): ...
def _sig_interpolate(
    input,
    size=None,
    scale_factor=None,
    mode="nearest",
    align_corners=None,
    recompute_scale_factor=None,
    antialias=False,
): ...
def _sig_unshuffle(input, downscale_factor): ...
def _sig_shuffle(input, upscale_factor): ...


def _functional_params(kind: str, a: dict[str, Any], nd: int) -> dict[str, Any]:
    if kind == "conv":
        return _conv_params(a, nd)
    if kind == "avg_pool":
        geo = _pool_geometry(nd, a["kernel_size"], a["stride"], a["padding"])
        return geo | {
            "ceil_mode": bool(a["ceil_mode"]),
            "count_include_pad": bool(a["count_include_pad"]),
            "divisor_override": a["divisor_override"],
        }
    if kind == "max_pool":
        geo = _pool_geometry(nd, a["kernel_size"], a["stride"], a["padding"], a["dilation"])
        return geo | {"ceil_mode": bool(a["ceil_mode"])}
    if kind == "lp_pool":
        geo = _pool_geometry(nd, a["kernel_size"], a["stride"])
        return geo | {"ceil_mode": bool(a["ceil_mode"]), "norm_type": float(a["norm_type"])}
    if kind in ("adaptive_avg_pool", "adaptive_max_pool"):
        return {"output_size": a["output_size"]}
    if kind == "interpolate":
        return {
            "mode": a["mode"],
            "align_corners": a["align_corners"],
            "size": a["size"],
            "scale_factor": a["scale_factor"],
            "recompute_scale_factor": a["recompute_scale_factor"],
            "antialias": bool(a["antialias"]),
        }
    if kind == "pixel_unshuffle":
        return {"factor": int(a["downscale_factor"])}
    if kind == "pixel_shuffle":
        return {"factor": int(a["upscale_factor"])}
    return {}


def _functionals(direction: str) -> dict[str, tuple[str, Any]]:
    """``torch.nn.functional`` attribute -> (kind, signature stub)."""
    if direction == "forward":
        return {
            "interpolate": ("interpolate", _sig_interpolate),
            "pixel_shuffle": ("pixel_shuffle", _sig_shuffle),
        }
    table: dict[str, tuple[str, Any]] = {"interpolate": ("interpolate", _sig_interpolate)}
    for n in (1, 2, 3):
        table[f"conv{n}d"] = ("conv", _sig_conv)
        table[f"avg_pool{n}d"] = ("avg_pool", _sig_avg)
        table[f"max_pool{n}d"] = ("max_pool", _sig_max)
        table[f"adaptive_avg_pool{n}d"] = ("adaptive_avg_pool", _sig_adaptive)
        table[f"adaptive_max_pool{n}d"] = ("adaptive_max_pool", _sig_adaptive)
        if hasattr(F, f"lp_pool{n}d"):
            table[f"lp_pool{n}d"] = ("lp_pool", _sig_lp)
    table["pixel_unshuffle"] = ("pixel_unshuffle", _sig_unshuffle)
    return {k: v for k, v in table.items() if hasattr(F, k)}


def _module_kind(m: nn.Module, direction: str) -> str | None:
    if direction == "forward":
        if isinstance(m, _CONV_T):
            return "transposed"
        if isinstance(m, nn.Upsample):
            return "interpolate"
        if isinstance(m, (nn.PixelShuffle, PixelShuffleND)):
            return "pixel_shuffle"
        return None
    for classes, kind in (
        (_CONV, "conv"),
        (_AVG, "avg_pool"),
        (_MAX, "max_pool"),
        (_LP, "lp_pool"),
        (_ADAPTIVE_AVG, "adaptive_avg_pool"),
        (_ADAPTIVE_MAX, "adaptive_max_pool"),
        ((nn.Upsample,), "interpolate"),
        ((nn.PixelUnshuffle,), "pixel_unshuffle"),
        ((BlurPool,), "blur_pool"),
    ):
        if classes and isinstance(m, classes):
            return kind
    return None


def _first(out: Any) -> torch.Tensor | None:
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], torch.Tensor):
        return out[0]  # max pool with return_indices
    return None


def _downsamples(kind: str, params: dict[str, Any], inp: torch.Tensor, out: torch.Tensor) -> bool:
    """Whether a backward-direction op really subsamples (a stride-1 conv or pool does not)."""
    if kind in ("conv", "avg_pool", "max_pool", "lp_pool", "blur_pool"):
        return any(s > 1 for s in params["stride"])
    if kind == "pixel_unshuffle":
        return params["factor"] > 1
    return any(o < i for o, i in zip(out.shape[2:], inp.shape[2:], strict=False))


def _is_blur(kind: str, params: dict[str, Any], inp: torch.Tensor) -> bool:
    """A depthwise stride-1 convolution: one fixed filter per channel (a blur)."""
    if kind != "conv" or any(s != 1 for s in params["stride"]):
        return False
    w = params["weight"]
    return params["groups"] == inp.shape[1] == w.shape[0] and w.shape[1] == 1


@contextlib.contextmanager
def _patched(direction: str, on_call) -> Iterator[None]:
    import inspect

    originals = {}
    for attr, (kind, stub) in _functionals(direction).items():
        orig = getattr(F, attr)
        originals[attr] = orig
        sig = inspect.signature(stub)

        def wrapper(*args, _orig=orig, _attr=attr, _kind=kind, _sig=sig, **kwargs):
            return on_call(_orig, _attr, _kind, _sig, args, kwargs)

        setattr(F, attr, wrapper)
    try:
        yield
    finally:
        for attr, orig in originals.items():
            setattr(F, attr, orig)


def trace(
    model: nn.Module, x: torch.Tensor, *, direction: str = "forward"
) -> tuple[list[Op], torch.Tensor]:
    """Run ``model(x)`` once without gradient and record its resampling operations.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor
        The input, ``(N, C, *spatial)``.
    direction : {"forward", "backward"}
        Upsampling operations (forward) or downsampling ones (backward).

    Returns
    -------
    (ops, output)
        The :class:`Op` records in execution order, and the model's output.

    Examples
    --------
    >>> m = nn.Sequential(nn.Conv2d(1, 2, 3, 2, 1), nn.ReLU(), nn.MaxPool2d(2))
    >>> ops, y = trace(m, torch.zeros(1, 1, 8, 8), direction="backward")
    >>> [(op.name, op.kind, op.output_shape[2:]) for op in ops]
    [('0', 'conv', (4, 4)), ('2', 'max_pool', (2, 2))]
    """
    check_module("model", model)
    check_tensor("x", x, min_ndim=3, shape="(N, C, *spatial)")
    check_direction(direction)
    ops: list[Op] = []
    state = {"inside": 0, "calls": 0, "producer_calls": 0, "stack": []}
    producers: dict[int, tuple[Any, str, dict[str, Any]]] = {}

    def producer_of(inp: torch.Tensor) -> tuple[str, dict[str, Any]] | None:
        hit = producers.get(id(inp))
        if hit is None or hit[0]() is not inp:
            return None
        return hit[1], hit[2]

    def add_producer(out: torch.Tensor, name: str, params: dict[str, Any]) -> None:
        producers[id(out)] = (weakref.ref(out), name, params)

    def record(kind, name, module, inp, out, params, note=""):
        if not isinstance(inp, torch.Tensor) or out is None:
            return
        nd = inp.ndim - 2
        if nd < 1:
            return
        if direction == "backward" and not _downsamples(kind, params, inp, out):
            return
        op = Op(kind, name, module, tuple(inp.shape), tuple(out.shape), params, note=note)
        if kind in _DATA_DEPENDENT:
            op.input = inp.detach()
        if kind in ("pixel_shuffle", "conv"):
            op.producer = producer_of(inp)
        ops.append(op)

    def on_call(orig, attr, kind, sig, args, kwargs):
        outer = state["inside"] == 0
        state["inside"] += 1
        try:
            out = orig(*args, **kwargs)
        finally:
            state["inside"] -= 1
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return out  # torch itself accepted a form the stub does not know: skip it
        bound.apply_defaults()
        a = dict(bound.arguments)
        inp, first = a["input"], _first(out)
        if not isinstance(inp, torch.Tensor) or first is None or inp.ndim < 3:
            return out
        params = _functional_params(kind, a, inp.ndim - 2)
        if direction == "backward" and _is_blur(kind, params, inp):
            state["producer_calls"] += 1
            add_producer(first, f"F.{attr}@{state['producer_calls'] - 1}", params)
        if outer:
            where = state["stack"][-1] if state["stack"] else ""
            note = f"called in {where or 'the model'}'s forward"
            before = len(ops)
            record(kind, f"F.{attr}#{state['calls']}", None, inp, first, params, note)
            if len(ops) > before:
                state["calls"] += 1
        return out

    handles = []
    for name, module in model.named_modules():
        kind = _module_kind(module, direction)

        def push(m, i, n=name):
            state["stack"].append(n)

        def pop(m, i, o):
            if state["stack"]:
                state["stack"].pop()

        handles.append(module.register_forward_pre_hook(push))
        handles.append(module.register_forward_hook(pop))
        if kind is not None:

            def pre(m, i):
                state["inside"] += 1

            def post(m, i, o, n=name, k=kind):
                state["inside"] -= 1
                inp, out = (i[0] if i else None), _first(o)
                if not isinstance(inp, torch.Tensor) or out is None:
                    return
                params = _module_params(k, m, inp.ndim - 2)
                if direction == "backward" and _is_blur(k, params, inp):
                    add_producer(out, n, params)
                record(k, n, m, inp, out, params)

            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        elif direction == "forward" and isinstance(module, _CONV):

            def conv_post(m, i, o, n=name):
                if isinstance(o, torch.Tensor) and i and isinstance(i[0], torch.Tensor):
                    add_producer(o, n, _conv_params(m, i[0].ndim - 2))

            handles.append(module.register_forward_hook(conv_post))
    try:
        with _patched(direction, on_call), torch.no_grad():
            out = model(x)
    finally:
        for h in handles:
            h.remove()
    return ops, out
