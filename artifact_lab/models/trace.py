"""Find a model's resampling operations as they run, with the sampling step of every tensor.

One pass of the model (no gradient; the model is not changed) records, in execution order,
every operation of interest with its real input and output shapes:

- ``direction="forward"`` (upsampling, which paints the output): ``ConvTranspose1d/2d/3d``
  and ``F.conv_transpose1d/2d/3d``; ``Upsample`` and ``F.interpolate``; ``PixelShuffle`` (and
  :class:`~artifact_lab.layers.shuffle.PixelShuffleND`), ``F.pixel_shuffle`` and
  ``torch.pixel_shuffle``, each with the convolution that feeds it.
- ``direction="backward"`` (downsampling, whose adjoint paints the gradient): ``Conv1d/2d/3d``
  and ``F.conv1d/2d/3d`` with a stride above 1; average, max, LP, adaptive and fractional max
  pools, as modules or functions; ``Upsample`` and ``F.interpolate`` that shrink an axis;
  ``PixelUnshuffle`` and ``F.pixel_unshuffle``; the :class:`~artifact_lab.layers.blur.BlurPool`
  that :func:`~artifact_lab.models.audit.fix` inserts. A strided convolution fed directly by a
  depthwise stride-1 convolution (a blur, as in StyleGAN2) carries that producer, so the pair
  is scored as one composite kernel.

How it sees them. A :class:`torch.overrides.TorchFunctionMode` sees every torch function the
pass calls, whatever name it was reached by (``F.max_pool2d``, ``torch.max_pool2d``, a
function bound before the pass, a Tensor method), once per call: the mode is off while the
function runs, so ``lp_pool2d``'s inner ``avg_pool2d`` is not counted again. The mode is
local to the calling thread and to the call, so audits in parallel threads do not see each
other's operations, and nothing in ``torch.nn.functional`` is replaced. Module hooks, which
check the thread they run in, keep the stack of module names: a resampling module is one
operation named after the module, and a functional call is named ``F.<function>#<n>`` with
the module whose ``forward`` makes it and the ``file:line`` of the call (``Op.location``).

Steps. Every tensor carries its **step**: the distance between its samples in model-input
samples, per axis, as an exact :class:`~fractions.Fraction`. The input has step 1; a
stride-``s`` convolution or pool multiplies it by ``s`` (a pool's ``stride=None`` is its
kernel size); a transposed convolution, an ``interpolate`` (by its ``scale_factor``, else the
size ratio) or a pixel shuffle divides it; every other operation (elementwise, ``cat``, pad,
crop, batch norm, a stride-1 convolution, padded or not) keeps the step of its inputs: of
those with the output's spatial shape, else of any input whose spatial sizes are not all 1
(a global pool's output multiplied in, as in squeeze-and-excitation, carries no grid).
Steps come from the operations' arguments, never from size ratios, so unpadded convolutions,
``ceil_mode`` pools and odd sizes do not disturb them. :mod:`artifact_lab.models.periods`
turns them into each operation's period.
"""

from __future__ import annotations

import inspect
import os
import threading
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .._util.checks import check_direction, check_module, check_tensor
from ..layers.blur import BlurPool
from ..layers.shuffle import PixelShuffleND

__all__ = ["KINDS", "Op", "Traced", "run_trace", "select_output", "trace"]

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
    "fractional_max_pool",
    "pixel_unshuffle",
    "blur_pool",
)
_FORWARD_KINDS = frozenset(("transposed", "interpolate", "pixel_shuffle"))

Step = tuple[Fraction, ...]

_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_AVG = (nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)
_MAX = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
_LP = tuple(getattr(nn, f"LPPool{n}d") for n in (1, 2, 3) if hasattr(nn, f"LPPool{n}d"))
_ADAPTIVE_AVG = (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d)
_ADAPTIVE_MAX = (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)
_FRACTIONAL = (nn.FractionalMaxPool2d, nn.FractionalMaxPool3d)
_DATA_DEPENDENT = ("max_pool", "adaptive_max_pool")
_SQUASHING = {"sigmoid": "sigmoid", "softmax": "softmax", "log_softmax": None}
# Layout changes: their output's axes are not the input's, so no step is carried across.
_LAYOUT = frozenset(
    "permute transpose t reshape view view_as flatten unflatten movedim moveaxis swapaxes "
    "swapdims squeeze unsqueeze contiguous_format as_strided unfold fold".split()
)


@dataclass
class Op:
    """One operation as it ran.

    ``params`` holds per-axis tuples (``kernel_size``, ``stride``, ``padding``,
    ``dilation``, ...) and, for convolutions, the ``weight``; ``input`` is kept only where
    the adjoint depends on the data (max pools); ``producer`` is ``(name, params)`` of the
    convolution that produced this op's input, where the op is scored through it.
    ``step_in`` and ``step_out`` are the sampling steps of its input and output in model-input
    samples (None where the input is not on the model input's grid); ``location`` is the
    ``file:line`` of a functional call in the user's code.
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
    step_in: Step | None = None
    step_out: Step | None = None
    location: str = ""


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


def _transposed_params(m_or_args: Any, nd: int) -> dict[str, Any]:
    get = m_or_args.get if isinstance(m_or_args, dict) else lambda k: getattr(m_or_args, k)
    weight = get("weight").detach()
    groups = int(get("groups"))
    return {
        "kernel_size": tuple(weight.shape[2:]),
        "stride": _tuple(get("stride"), nd),
        "padding": _tuple(get("padding"), nd),
        "output_padding": _tuple(get("output_padding"), nd),
        "dilation": _tuple(get("dilation"), nd),
        "groups": groups,
        "weight": weight,
        "out_channels": int(weight.shape[1]) * groups,
    }


def _module_params(kind: str, m: nn.Module, nd: int) -> dict[str, Any]:
    if kind == "conv":
        return _conv_params(m, nd) | {"padding_mode": m.padding_mode}
    if kind == "transposed":
        return _transposed_params(m, nd)
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
    if kind == "fractional_max_pool":
        return {"kernel_size": _tuple(m.kernel_size, nd), "output_size": m.output_size}
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
def _sig_conv_t(
    input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1
): ...
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
def _sig_fractional(
    input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
    _random_samples=None,
): ...  # fmt: skip
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
    if kind == "transposed":
        return _transposed_params(a, nd)
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
    if kind == "fractional_max_pool":
        return {"kernel_size": _tuple(a["kernel_size"], nd), "output_size": a["output_size"]}
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


def _table() -> dict[str, tuple[str, inspect.Signature]]:
    """Torch function name -> (kind, signature): every spelling (``F.*``, ``torch.*``,
    ``torch._C._nn.*``, the ``_with_indices`` forms) shares its ``__name__``."""
    sig = {f: inspect.signature(f) for f in (_sig_conv, _sig_conv_t, _sig_avg, _sig_max,
           _sig_lp, _sig_adaptive, _sig_fractional, _sig_interpolate, _sig_unshuffle,
           _sig_shuffle)}  # fmt: skip
    t: dict[str, tuple[str, inspect.Signature]] = {}
    for n in (1, 2, 3):
        t[f"conv{n}d"] = ("conv", sig[_sig_conv])
        t[f"conv_transpose{n}d"] = ("transposed", sig[_sig_conv_t])
        t[f"avg_pool{n}d"] = ("avg_pool", sig[_sig_avg])
        t[f"max_pool{n}d"] = ("max_pool", sig[_sig_max])
        t[f"max_pool{n}d_with_indices"] = ("max_pool", sig[_sig_max])
        t[f"lp_pool{n}d"] = ("lp_pool", sig[_sig_lp])
        for pre in ("adaptive_avg_pool", "adaptive_max_pool"):
            t[f"{pre}{n}d"] = (pre, sig[_sig_adaptive])
        t[f"adaptive_max_pool{n}d_with_indices"] = ("adaptive_max_pool", sig[_sig_adaptive])
        t[f"fractional_max_pool{n}d"] = ("fractional_max_pool", sig[_sig_fractional])
        t[f"fractional_max_pool{n}d_with_indices"] = ("fractional_max_pool", sig[_sig_fractional])
    t["interpolate"] = ("interpolate", sig[_sig_interpolate])
    t["pixel_shuffle"] = ("pixel_shuffle", sig[_sig_shuffle])
    t["pixel_unshuffle"] = ("pixel_unshuffle", sig[_sig_unshuffle])
    return t


_TABLE = _table()
_BASE_NAME = {k: k.removesuffix("_with_indices") for k in _TABLE}


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
        (_FRACTIONAL, "fractional_max_pool"),
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


def _factor(kind: str, params: dict[str, Any], n_in, n_out) -> Step:
    """``step_out / step_in`` per axis, from the operation's arguments (size ratio only for
    adaptive and fractional pools and for ``interpolate`` to a size)."""
    nd = len(n_in)
    if kind in ("conv", "avg_pool", "max_pool", "lp_pool", "blur_pool"):
        return tuple(Fraction(int(s)) for s in params["stride"])
    if kind == "transposed":
        return tuple(Fraction(1, int(s)) for s in params["stride"])
    if kind == "pixel_shuffle":
        return (Fraction(1, params["factor"]),) * nd
    if kind == "pixel_unshuffle":
        return (Fraction(params["factor"]),) * nd
    if kind == "interpolate":
        sf = params.get("scale_factor")
        if sf is not None and not params.get("recompute_scale_factor"):
            # torch samples at 1 / scale_factor when one is given
            return tuple(1 / Fraction(float(v)).limit_denominator(1 << 20) for v in _tuple(sf, nd))
    return tuple(Fraction(int(i), int(o)) for i, o in zip(n_in, n_out))


def _user_frame() -> str:
    """``file:line`` of the innermost frame outside torch and the audit's own machinery: the
    line that made a functional call."""
    torch_dir = os.path.dirname(torch.__file__)
    here = os.path.dirname(__file__)
    own = {os.path.join(here, f) for f in ("trace.py", "audit.py", "measure.py", "severity.py")}
    for frame in reversed(traceback.extract_stack()):
        name = frame.filename
        if name.startswith(torch_dir) or name in own or name.endswith("contextlib.py"):
            continue
        return f"{name}:{frame.lineno}"
    return ""


class _Stop(Exception):
    """Raised by the output hook to end the pass once the selected module has run."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def select_output(out: Any, output_index: int | str | None) -> Any:
    """The element ``output_index`` of a tuple, list or dict output (None: ``out`` itself).

    Examples
    --------
    >>> select_output((1, 2), 1), select_output({"a": 3}, "a"), select_output(4, None)
    (2, 3, 4)
    """
    if output_index is None:
        return out
    if isinstance(output_index, np.integer):  # numpy's ints mean what Python's do
        output_index = int(output_index)
    if isinstance(output_index, bool) or not isinstance(output_index, (int, str)):
        raise TypeError(f"output_index must be an int or a str (dict key), got {output_index!r}")
    if isinstance(out, dict):
        if output_index not in out:
            raise ValueError(
                f"output_index {output_index!r} is not a key of the model's dict output; "
                f"keys: {list(out)}"
            )
        return out[output_index]
    if isinstance(out, (tuple, list)):
        if isinstance(output_index, bool) or not isinstance(output_index, int):
            raise TypeError(
                f"output_index must be an int for a {type(out).__name__} output, got "
                f"{output_index!r}"
            )
        if not -len(out) <= output_index < len(out):
            raise ValueError(
                f"output_index {output_index} is out of range for a {type(out).__name__} of "
                f"{len(out)} items"
            )
        return out[output_index]
    raise ValueError(
        f"output_index {output_index!r} was given, but the model returns a "
        f"{type(out).__name__}, not a tuple, list or dict"
    )


def check_output(model: nn.Module, output: Any, output_index: Any) -> None:
    """Refuse, before any work, an ``output`` that is not a submodule's name or an
    ``output_index`` that is neither an int nor a str."""
    if output is not None:
        if not isinstance(output, str):
            raise TypeError(f"output must be a submodule name (str) or None, got {output!r}")
        names = [n for n, _ in model.named_modules() if n]
        if output not in names:
            close = [n for n in names if output and (output in n or n in output)][:5]
            hint = f"; close: {close}" if close else f"; submodules: {names[:8]}"
            raise ValueError(f"output {output!r} is not a submodule of the model{hint}")
    if output_index is not None and (
        isinstance(output_index, bool) or not isinstance(output_index, (int, str))
    ):
        raise TypeError(
            f"output_index must be an int (tuple or list output), a str (dict key) or None, "
            f"got {output_index!r}"
        )


def call_model(
    model: nn.Module, x: torch.Tensor, *, output: str | None = None, output_index=None
) -> Any:
    """``model(x)``, or the output of its submodule ``output`` (the pass stops there), then
    element ``output_index`` of that (see :func:`select_output`).

    Examples
    --------
    >>> m = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    >>> tuple(call_model(m, torch.zeros(1, 2), output="0").shape)
    (1, 3)
    """
    if output is None:
        return select_output(model(x), output_index)
    target = dict(model.named_modules()).get(output)
    if target is None:
        raise ValueError(f"output {output!r} is not a submodule of the model")
    owner = threading.get_ident()

    def stop(m, i, o):
        if threading.get_ident() == owner:
            raise _Stop(o)

    handle = target.register_forward_hook(stop)
    try:
        model(x)
    except _Stop as done:
        return select_output(done.value, output_index)
    finally:
        handle.remove()
    raise ValueError(f"output {output!r}: the module did not run in the model's forward")


@dataclass
class Traced:
    """What one traced pass gives: the operations, the (selected) output and its step, the
    squashing function that produced the output (``"sigmoid"``, ``"softmax"`` or None) with
    the module whose output it squashed, and any step conflicts at merges."""

    ops: list[Op]
    output: Any
    output_step: Step | None
    squashed_by: str | None = None
    logits_module: str | None = None
    conflicts: list[str] = field(default_factory=list)


class _Tracer(TorchFunctionMode):
    """The per-call recorder: steps by tensor identity, functional operations, squashing."""

    def __init__(self, direction: str, record_op: Callable, stack: list[str]) -> None:
        super().__init__()
        self.direction = direction
        self.record_op = record_op
        self.stack = stack
        self.inside = 0  # > 0 while a recorded resampling module runs
        self.calls = 0
        self.blur_calls = 0
        self.steps: dict[int, tuple[weakref.ref, Step]] = {}
        self.squash: dict[int, tuple[weakref.ref, str, str | None]] = {}
        self.made_by: dict[int, tuple[weakref.ref, str]] = {}  # tensor -> innermost module
        self.conflicts: list[str] = []

    def made(self, t: torch.Tensor, name: str) -> None:
        if id(t) not in self.made_by or self.made_by[id(t)][0]() is not t:
            self.made_by[id(t)] = (weakref.ref(t), name)

    def maker_of(self, t: torch.Tensor) -> str | None:
        hit = self.made_by.get(id(t))
        return hit[1] if hit is not None and hit[0]() is t else None

    def set_step(self, t: torch.Tensor, step: Step | None) -> None:
        if step is not None and len(step) == t.ndim - 2:
            self.steps[id(t)] = (weakref.ref(t), step)

    def step_of(self, t: Any) -> Step | None:
        if not isinstance(t, torch.Tensor):
            return None
        hit = self.steps.get(id(t))
        return hit[1] if hit is not None and hit[0]() is t else None

    def _carried(self, func_name: str, args, kwargs, out: torch.Tensor) -> Step | None:
        same: list[Step] = []
        other: list[Step] = []

        def visit(v: Any) -> None:
            if isinstance(v, torch.Tensor):
                s = self.step_of(v)
                if s is None or v.ndim != out.ndim:
                    return
                if v.shape[2:] == out.shape[2:]:
                    same.append(s)
                elif any(n > 1 for n in v.shape[2:]):
                    other.append(s)
            elif isinstance(v, (list, tuple)):
                for u in v:
                    visit(u)

        visit(args)
        if kwargs:
            visit(list(kwargs.values()))
        steps = same or other
        if not steps:
            return None
        if len(set(steps)) > 1:
            self.conflicts.append(f"{func_name}: input steps {sorted(set(steps))}")
        return max(steps)

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        first = _first(out)
        if first is None:
            return out
        name = getattr(func, "__name__", "")
        if name in _SQUASHING and args and isinstance(args[0], torch.Tensor):
            self.squash[id(first)] = (weakref.ref(first), name, self.maker_of(args[0]))
        if first.ndim < 3:
            return out
        entry = _TABLE.get(name)
        if entry is None:
            if name in _LAYOUT or (name == "__getitem__" and _strided_index(args)):
                return out
            step = self._carried(name, args, kwargs, first)
            if step is not None:
                for t in out if isinstance(out, (tuple, list)) else (out,):
                    if isinstance(t, torch.Tensor) and t.ndim == first.ndim:
                        self.set_step(t, step)
            return out
        kind, sig = entry
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError:
            return out  # torch accepted a form the signature does not know: skip it
        bound.apply_defaults()
        a = dict(bound.arguments)
        inp = a["input"]
        if not isinstance(inp, torch.Tensor) or inp.ndim != first.ndim or inp.ndim < 3:
            return out
        nd = inp.ndim - 2
        params = _functional_params(kind, a, nd)
        step_in = self.step_of(inp)
        step_out = None
        if step_in is not None:
            factor = _factor(kind, params, inp.shape[2:], first.shape[2:])
            step_out = tuple(s * f for s, f in zip(step_in, factor))
            self.set_step(first, step_out)
        if self.direction == "backward" and _is_blur(kind, params, inp):
            self.blur_calls += 1
            self.record_op.producer(first, f"F.{name}@{self.blur_calls - 1}", params)
        if self.inside or not self._of_direction(kind):
            return out
        where = self.stack[-1] if self.stack else ""
        note = f"called in {where or 'the model'}'s forward"
        base = _BASE_NAME[name]
        recorded = self.record_op(
            kind, f"F.{base}#{self.calls}", None, inp, first, params, note=note,
            step_in=step_in, step_out=step_out, location=_user_frame(),
        )  # fmt: skip
        if recorded:
            self.calls += 1
        return out

    def _of_direction(self, kind: str) -> bool:
        if kind == "interpolate":
            return True
        return (kind in _FORWARD_KINDS) == (self.direction == "forward")


def _strided_index(args) -> bool:
    """``x[..., ::2]``: a subsampling the tracer does not model, so no step is carried."""
    if len(args) < 2:
        return False
    index = args[1] if isinstance(args[1], tuple) else (args[1],)
    return any(isinstance(i, slice) and i.step not in (None, 1) for i in index)


class _Recorder:
    """Collects :class:`Op` records and the producers (blur or feeding convolutions)."""

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.ops: list[Op] = []
        self.producers: dict[int, tuple[weakref.ref, str, dict[str, Any]]] = {}

    def producer(self, out: torch.Tensor, name: str, params: dict[str, Any]) -> None:
        self.producers[id(out)] = (weakref.ref(out), name, params)

    def producer_of(self, inp: torch.Tensor) -> tuple[str, dict[str, Any]] | None:
        hit = self.producers.get(id(inp))
        if hit is None or hit[0]() is not inp:
            return None
        return hit[1], hit[2]

    def __call__(self, kind, name, module, inp, out, params, *, note="", step_in=None,
                 step_out=None, location="") -> bool:  # fmt: skip
        if not isinstance(inp, torch.Tensor) or out is None or inp.ndim - 2 < 1:
            return False
        if self.direction == "backward" and not _downsamples(kind, params, inp, out):
            return False
        op = Op(kind, name, module, tuple(inp.shape), tuple(out.shape), params, note=note,
                step_in=step_in, step_out=step_out, location=location)  # fmt: skip
        if kind in _DATA_DEPENDENT:
            op.input = inp.detach()
        if kind in ("pixel_shuffle", "conv"):
            op.producer = self.producer_of(inp)
        self.ops.append(op)
        return True


def run_trace(
    model: nn.Module,
    x: torch.Tensor,
    *,
    direction: str = "forward",
    output: str | None = None,
    output_index: int | str | None = None,
) -> Traced:
    """Run ``model(x)`` once without gradient; record its resampling operations and steps.

    Parameters
    ----------
    model : torch.nn.Module
    x : torch.Tensor
        The input, ``(N, C, *spatial)``.
    direction : {"forward", "backward"}
        Upsampling operations (forward) or downsampling ones (backward).
    output : str, optional
        A submodule whose output is the one to audit (the pass stops after it runs).
    output_index : int or str, optional
        The element of a tuple, list or dict output to audit.

    Returns
    -------
    Traced

    Examples
    --------
    >>> m = nn.Sequential(nn.Conv1d(1, 1, 3), nn.MaxPool1d(2), nn.Upsample(scale_factor=4))
    >>> t = run_trace(m, torch.zeros(1, 1, 30), direction="backward")
    >>> [(op.name, op.step_out) for op in t.ops], t.output_step
    ([('1', (Fraction(2, 1),))], (Fraction(1, 2),))
    """
    check_module("model", model)
    check_tensor("x", x, min_ndim=3, shape="(N, C, *spatial)")
    check_direction(direction)
    check_output(model, output, output_index)
    owner = threading.get_ident()
    stack: list[str] = []
    record = _Recorder(direction)
    tracer = _Tracer(direction, record, stack)
    handles = []
    for name, module in model.named_modules():
        kind = _module_kind(module, direction)

        def push(m, i, n=name):
            if threading.get_ident() == owner:
                stack.append(n)

        def pop(m, i, o, n=name):
            if threading.get_ident() != owner:
                return
            if stack:
                stack.pop()
            first = _first(o)
            if first is not None:
                tracer.made(first, n)

        handles.append(module.register_forward_pre_hook(push))
        handles.append(module.register_forward_hook(pop))
        if kind is not None:

            def pre(m, i):
                if threading.get_ident() == owner:
                    tracer.inside += 1

            def post(m, i, o, n=name, k=kind):
                if threading.get_ident() != owner:
                    return
                tracer.inside -= 1
                inp, out = (i[0] if i else None), _first(o)
                if not isinstance(inp, torch.Tensor) or out is None:
                    return
                params = _module_params(k, m, inp.ndim - 2)
                if direction == "backward" and _is_blur(k, params, inp):
                    record.producer(out, n, params)
                step_in = tracer.step_of(inp)
                step_out = None
                if step_in is not None and inp.ndim == out.ndim:
                    factor = _factor(k, params, inp.shape[2:], out.shape[2:])
                    step_out = tuple(s * f for s, f in zip(step_in, factor))
                    tracer.set_step(out, step_out)
                record(k, n, m, inp, out, params, step_in=step_in, step_out=step_out)

            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post))
        elif direction == "forward" and isinstance(module, _CONV):

            def conv_post(m, i, o, n=name):
                if threading.get_ident() != owner:
                    return
                if isinstance(o, torch.Tensor) and i and isinstance(i[0], torch.Tensor):
                    record.producer(o, n, _conv_params(m, i[0].ndim - 2))

            handles.append(module.register_forward_hook(conv_post))
    try:
        with torch.no_grad(), tracer:
            tracer.set_step(x, (Fraction(1),) * (x.ndim - 2))
            out = call_model(model, x, output=output, output_index=output_index)
    finally:
        for h in handles:
            h.remove()
    first = _first(out)
    squashed_by = logits = None
    if first is not None:
        hit = tracer.squash.get(id(first))
        if hit is not None and hit[0]() is first and _SQUASHING[hit[1]]:
            squashed_by, logits = _SQUASHING[hit[1]], hit[2] or None
    return Traced(record.ops, out, tracer.step_of(first), squashed_by, logits, tracer.conflicts)


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
        The :class:`Op` records in execution order, and the model's output (see
        :func:`run_trace` for the output's step and the rest).

    Examples
    --------
    >>> m = nn.Sequential(nn.Conv2d(1, 2, 3, 2, 1), nn.ReLU(), nn.MaxPool2d(2))
    >>> ops, y = trace(m, torch.zeros(1, 1, 8, 8), direction="backward")
    >>> [(op.name, op.kind, op.output_shape[2:]) for op in ops]
    [('0', 'conv', (4, 4)), ('2', 'max_pool', (2, 2))]
    """
    traced = run_trace(model, x, direction=direction)
    return traced.ops, traced.output
