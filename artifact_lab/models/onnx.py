"""Load an ONNX file as a torch module, two ways, so that a model shipped as ONNX can be
audited and fixed like any torch model.

``route="modules"`` (recommended): our own interpreter of the ONNX graph. Every node becomes
a real ``torch.nn`` module (``nn.Conv2d``, ``nn.ConvTranspose2d``, ``nn.Upsample``,
``nn.MaxPool2d``, ``nn.PixelShuffle``, ...) registered under the node's name, and the
module's ``forward`` walks the nodes in the file's (topological) order. Module hooks, and so
the audit's tracer, see every resampling layer with its trained weight; ``fix`` can replace
them by name. Needs only ``onnx`` (to parse the file): ``pip install onnx``.
Weights are read from initializers *and* from ``Constant`` nodes (paddle2onnx, which wrote
PP-OCR, stores every weight as a Constant node). Supported operators: :data:`SUPPORTED`
(the convolutional upsamplers' set); any other raises one ``NotImplementedError`` that lists
every unsupported operator of the file, before anything is built. A ``DepthToSpace`` in DCR
order (ONNX's default) whose input comes straight from a convolution has that convolution's
output channels permuted, so that it is a plain ``nn.PixelShuffle`` fed by the convolution
and the audit scores the pair. Checked against onnxruntime (tests/models/test_onnx.py).

``route="onnx2torch"``: the ``onnx2torch`` converter (``pip install --no-deps onnx2torch``,
with ``onnx``). Two obstacles handled here without touching the user's environment:

- ``onnx2torch`` reads weights only from initializers, so ``Constant`` nodes whose output is
  a float tensor feeding a ``Conv``/``ConvTranspose``/... are moved into initializers
  (on a copy of the graph in memory; the file is not changed);
- ``onnx2torch`` imports ``torchvision`` (for its NMS and RoIAlign converters). PyPI's
  torchvision wheels are built against PyPI's torch; beside a local torch build their
  ``_C`` extension does not load and the import fails with ``operator torchvision::nms
  does not exist``. When, and only when, the real ``import torchvision`` fails, a stub
  ``torchvision`` (whose ``ops`` functions raise) sits in ``sys.modules`` while
  ``onnx2torch`` is imported, and is removed afterwards, together with any half-imported
  ``torchvision.*`` modules, so that a later ``import torchvision`` behaves as before.

Both routes return a module in eval mode whose ``forward`` takes the graph's inputs in order
and returns one tensor (one graph output) or a tuple.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from .._util.checks import check_choice, check_str

__all__ = ["ROUTES", "SUPPORTED", "OnnxGraphModule", "load_onnx", "onnx2torch_module"]

ROUTES = ("modules", "onnx2torch")
_INSTALL = {
    "onnx": "pip install 'artifact_lab[onnx]' (or pip install onnx)",
    "onnx2torch": "pip install --no-deps onnx2torch (with pip install 'artifact_lab[onnx]')",
}


def _require(name: str):
    try:
        return __import__(name)
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            f"loading an ONNX file needs the package {name!r}: {_INSTALL[name]}"
        ) from None


def _tensor(arr: np.ndarray) -> torch.Tensor:
    """A torch copy of a (possibly read-only) numpy array from the ONNX file."""
    return torch.from_numpy(np.array(arr))


# --------------------------------------------------------------------------- small modules
# Each holds only what the node needs (constants as buffers), so that the traced module
# tree reads like the ONNX graph.


class Binary(nn.Module):
    """``Add``/``Sub``/``Mul``/``Div``/``Pow`` with either operand possibly a constant."""

    _OPS: ClassVar[dict[str, Any]] = {
        "Add": torch.add,
        "Sub": torch.sub,
        "Mul": torch.mul,
        "Div": torch.div,
        "Pow": torch.pow,
    }

    def __init__(self, op: str, left: np.ndarray | None, right: np.ndarray | None) -> None:
        super().__init__()
        self.op = op
        self.left_const = left is not None
        self.right_const = right is not None
        if left is not None:
            self.register_buffer("left", _tensor(left))
        if right is not None:
            self.register_buffer("right", _tensor(right))

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        it = iter(xs)
        a = self.left if self.left_const else next(it)
        b = self.right if self.right_const else next(it)
        return self._OPS[self.op](a, b)

    def extra_repr(self) -> str:
        return self.op


class HardSigmoid(nn.Module):
    """ONNX ``HardSigmoid``: ``clamp(alpha * x + beta, 0, 1)`` with the file's alpha, beta
    (torch's ``nn.Hardsigmoid`` fixes alpha = 1/6, which a converter may store as another
    float32)."""

    def __init__(self, alpha: float, beta: float) -> None:
        super().__init__()
        self.alpha, self.beta = float(alpha), float(beta)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x * self.alpha + self.beta).clamp(0.0, 1.0)


class Concat(nn.Module):
    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = int(axis)

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=self.axis)


class Crop(nn.Module):
    """Drop ``begin`` and ``end`` samples of each spatial axis (an asymmetric ONNX padding of
    a ConvTranspose is torch's padding 0 followed by this crop)."""

    def __init__(self, begin: Sequence[int], end: Sequence[int]) -> None:
        super().__init__()
        self.begin, self.end = tuple(begin), tuple(end)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = [slice(None), slice(None)]
        index += [slice(b, n - e) for b, e, n in zip(self.begin, self.end, x.shape[2:])]
        return x[tuple(index)]


class ChannelPermute(nn.Module):
    """Reorder channels: ``y[:, i] = x[:, perm[i]]`` (DCR <-> CRD for DepthToSpace)."""

    def __init__(self, perm: Sequence[int]) -> None:
        super().__init__()
        self.register_buffer("perm", torch.as_tensor(list(perm), dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.index_select(1, self.perm)


class Reshape(nn.Module):
    def __init__(self, shape: Sequence[int]) -> None:
        super().__init__()
        self.shape = tuple(int(v) for v in shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # ONNX: 0 copies the input's size on that axis, -1 is inferred
        shape = [x.shape[i] if v == 0 else v for i, v in enumerate(self.shape)]
        return x.reshape(shape)


class Transpose(nn.Module):
    def __init__(self, perm: Sequence[int]) -> None:
        super().__init__()
        self.perm = tuple(int(v) for v in perm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.permute(self.perm)


class Gemm(nn.Linear):
    """ONNX ``Gemm`` with a constant ``B`` (and ``C``): ``alpha * A @ B' + beta * C``."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray | None, alpha: float, beta: float):
        super().__init__(weight.shape[1], weight.shape[0], bias=bias is not None)
        with torch.no_grad():
            self.weight.copy_(torch.from_numpy(weight * alpha))
            if bias is not None:
                self.bias.copy_(torch.from_numpy(np.broadcast_to(bias * beta, (weight.shape[0],))))


# --------------------------------------------------------------------------- the interpreter

SUPPORTED = (
    "Add", "AveragePool", "BatchNormalization", "Clip", "Concat", "Constant", "Conv",
    "ConvTranspose", "DepthToSpace", "Div", "Flatten", "Gemm", "GlobalAveragePool",
    "GlobalMaxPool", "HardSigmoid", "HardSwish", "Identity", "LeakyRelu", "MaxPool", "Mul",
    "Pow", "PRelu", "Relu", "Reshape", "Resize", "Sigmoid", "Softmax", "SpaceToDepth", "Sub",
    "Tanh", "Transpose", "Upsample",
)  # fmt: skip

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
_BN = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
_MAX = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
_AVG = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
_GAVG = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}
_GMAX = {1: nn.AdaptiveMaxPool1d, 2: nn.AdaptiveMaxPool2d, 3: nn.AdaptiveMaxPool3d}
_PAD = {1: nn.ConstantPad1d, 2: nn.ConstantPad2d, 3: nn.ConstantPad3d}


def _attrs(node) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def _constant_value(node) -> np.ndarray:
    from onnx import numpy_helper

    a = node.attribute[0]
    if a.name == "value":
        return numpy_helper.to_array(a.t)
    scalar = {"value_float": np.float32, "value_int": np.int64}
    if a.name in scalar:
        return np.array(a.f if a.name == "value_float" else a.i, dtype=scalar[a.name])
    if a.name == "value_floats":
        return np.array(list(a.floats), dtype=np.float32)
    if a.name == "value_ints":
        return np.array(list(a.ints), dtype=np.int64)
    raise NotImplementedError(f"Constant node {node.name!r} with attribute {a.name!r}")


def _split_pads(pads: Sequence[int] | None, nd: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    pads = list(pads or [0] * 2 * nd)
    return tuple(pads[:nd]), tuple(pads[nd:])


def _torch_pad_order(begin: Sequence[int], end: Sequence[int]) -> tuple[int, ...]:
    """ONNX (b1.., e1..) as torch's F.pad order: last axis first, (begin, end) each."""
    out: list[int] = []
    for b, e in zip(reversed(begin), reversed(end)):
        out += [b, e]
    return tuple(out)


def _check_auto_pad(node, a: dict[str, Any]) -> None:
    if a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise NotImplementedError(
            f"node {node.name!r} ({node.op_type}) uses auto_pad={a['auto_pad']!r}: "
            "only explicit pads are supported"
        )


def _with_pad(nd: int, begin, end, layer: nn.Module) -> nn.Module:
    """``layer`` after a zero pad where ONNX pads are asymmetric (torch's are symmetric)."""
    if begin == end:
        return layer
    return nn.Sequential(_PAD[nd](_torch_pad_order(begin, end), 0.0), layer)


class OnnxGraphModule(nn.Module):
    """An ONNX graph as a tree of torch modules, run in the file's node order.

    ``layers`` is a ``ModuleDict`` keyed by the node names (non-word characters replaced by
    ``_``); ``steps`` lists ``(layer name, input names, output names)``; ``input_shape`` is
    the first input's shape when the file fixes it.
    """

    def __init__(self, model, *, name: str = "onnx") -> None:
        super().__init__()
        onnx = _require("onnx")
        from onnx import numpy_helper, shape_inference

        if not isinstance(model, onnx.ModelProto):
            raise TypeError(
                f"model must be an onnx.ModelProto (onnx.load gives one), got {model!r}"
            )
        check_str("name", name)

        graph = model.graph
        unsupported = sorted({n.op_type for n in graph.node} - set(SUPPORTED))
        if unsupported:
            raise NotImplementedError(
                f"{name}: operators {unsupported} are not supported by the module route "
                f"(supported: {', '.join(SUPPORTED)}); try route='onnx2torch'"
            )
        consts: dict[str, np.ndarray] = {
            t.name: numpy_helper.to_array(t) for t in graph.initializer
        }
        for node in graph.node:
            if node.op_type == "Constant":
                consts[node.output[0]] = _constant_value(node)
        try:  # ranks of intermediate tensors (batch norm and pools need the spatial ndim)
            inferred = shape_inference.infer_shapes(model).graph
        except Exception:  # a graph onnx cannot infer: fall back to the weights' ranks
            inferred = graph
        self._dims = {  # per tensor: each axis's static size, None where dynamic
            v.name: [d.dim_value or None for d in v.type.tensor_type.shape.dim]
            for v in [*inferred.value_info, *inferred.input, *inferred.output]
            if v.type.tensor_type.HasField("shape")
        }
        self._rank = {k: len(v) for k, v in self._dims.items()}
        self._consumers: dict[str, int] = {}
        for node in graph.node:
            for n in node.input:
                self._consumers[n] = self._consumers.get(n, 0) + 1
        for o in graph.output:
            self._consumers[o.name] = self._consumers.get(o.name, 0) + 1
        self.input_names = [i.name for i in graph.input if i.name not in consts]
        first = self._dims.get(self.input_names[0]) if self.input_names else None
        #: the first input's shape when the file fixes every axis (None: some are dynamic)
        self.input_shape = tuple(first) if first and all(first) else None
        self.output_names = [o.name for o in graph.output]
        self.layers = nn.ModuleDict()
        self.steps: list[tuple[str, list[str], list[str]]] = []
        for i, node in enumerate(graph.node):
            if node.op_type == "Constant":
                continue
            layer, inputs = self._build(node, consts)
            key = re.sub(r"\W", "_", node.name or f"{node.op_type}_{i}")
            while key in self.layers:
                key += "_"
            self.layers[key] = layer
            self.steps.append((key, inputs, list(node.output)))
        del self._dims, self._rank, self._consumers  # build-time only
        self.eval()

    # ---------------------------------------------------------------- building
    def _nd(self, node, fallback: int | None = None) -> int:
        rank = self._rank.get(node.input[0]) or self._rank.get(node.output[0])
        if rank:
            return rank - 2
        if fallback is not None:
            return fallback
        return 2

    def _build(self, node, consts) -> tuple[nn.Module, list[str]]:
        op, a = node.op_type, _attrs(node)
        ins = [n for n in node.input]
        live = [n for n in ins if n and n not in consts]  # tensors computed at run time

        def const(i: int) -> np.ndarray | None:
            return consts.get(ins[i]) if i < len(ins) and ins[i] else None

        if op in ("Conv", "ConvTranspose"):
            _check_auto_pad(node, a)
            w, b = const(1), const(2)
            if w is None:
                raise NotImplementedError(f"node {node.name!r}: a {op} whose weight is computed")
            nd = w.ndim - 2
            begin, end = _split_pads(a.get("pads"), nd)
            stride = tuple(a.get("strides", [1] * nd))
            dilation = tuple(a.get("dilations", [1] * nd))
            groups = int(a.get("group", 1))
            if op == "Conv":
                layer = _CONV[nd](
                    w.shape[1] * groups, w.shape[0], w.shape[2:], stride=stride,
                    padding=begin if begin == end else 0, dilation=dilation, groups=groups,
                    bias=b is not None,
                )  # fmt: skip
            else:
                if "output_shape" in a:
                    raise NotImplementedError(
                        f"node {node.name!r}: ConvTranspose with output_shape (give pads)"
                    )
                layer = _CONV_T[nd](
                    w.shape[0], w.shape[1] * groups, w.shape[2:], stride=stride,
                    padding=begin if begin == end else 0,
                    output_padding=tuple(a.get("output_padding", [0] * nd)),
                    dilation=dilation, groups=groups, bias=b is not None,
                )  # fmt: skip
            with torch.no_grad():
                layer.weight.copy_(_tensor(w))
                if b is not None:
                    layer.bias.copy_(_tensor(b))
            if begin != end:
                if op == "Conv":
                    layer = _with_pad(nd, begin, end, layer)
                else:
                    layer = nn.Sequential(layer, Crop(begin, end))
            return layer, live[:1]
        if op == "BatchNormalization":
            scale, bias, mean, var = (const(i) for i in range(1, 5))
            nd = self._nd(node)
            layer = _BN[max(nd, 1)](scale.shape[0], eps=float(a.get("epsilon", 1e-5)))
            with torch.no_grad():
                layer.weight.copy_(_tensor(scale))
                layer.bias.copy_(_tensor(bias))
                layer.running_mean.copy_(_tensor(mean))
                layer.running_var.copy_(_tensor(var))
            return layer, live[:1]
        if op in ("Add", "Sub", "Mul", "Div", "Pow"):
            return Binary(op, const(0), const(1)), live
        if op == "Relu":
            return nn.ReLU(), live
        if op == "LeakyRelu":
            return nn.LeakyReLU(float(a.get("alpha", 0.01))), live
        if op == "PRelu":
            slope = const(1)
            layer = nn.PReLU(int(slope.size))
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(slope.reshape(-1)))
            return layer, live[:1]
        if op == "Sigmoid":
            return nn.Sigmoid(), live
        if op == "Tanh":
            return nn.Tanh(), live
        if op == "HardSigmoid":
            return HardSigmoid(a.get("alpha", 0.2), a.get("beta", 0.5)), live
        if op == "HardSwish":
            return nn.Hardswish(), live
        if op == "Clip":
            lo = const(1) if len(ins) > 1 else None
            hi = const(2) if len(ins) > 2 else None
            lo = a.get("min", -math.inf) if lo is None else float(lo)
            hi = a.get("max", math.inf) if hi is None else float(hi)
            return nn.Hardtanh(lo, hi), live[:1]
        if op == "Softmax":
            return nn.Softmax(dim=int(a.get("axis", -1))), live
        if op == "Identity":
            return nn.Identity(), live
        if op == "Concat":
            return Concat(a["axis"]), live
        if op in ("Resize", "Upsample"):
            return self._resize(node, a, ins, consts), live[:1]
        if op in ("MaxPool", "AveragePool"):
            _check_auto_pad(node, a)
            k = tuple(a["kernel_shape"])
            nd = len(k)
            begin, end = _split_pads(a.get("pads"), nd)
            stride = tuple(a.get("strides", [1] * nd))
            ceil = bool(a.get("ceil_mode", 0))
            if begin != end:
                raise NotImplementedError(f"node {node.name!r}: {op} with asymmetric pads")
            if op == "MaxPool":
                layer = _MAX[nd](k, stride, begin, tuple(a.get("dilations", [1] * nd)),
                                 ceil_mode=ceil)  # fmt: skip
            else:
                layer = _AVG[nd](k, stride, begin, ceil_mode=ceil,
                                 count_include_pad=bool(a.get("count_include_pad", 0)))  # fmt: skip
            return layer, live[:1]
        if op in ("GlobalAveragePool", "GlobalMaxPool"):
            nd = self._nd(node)
            return (_GAVG if op == "GlobalAveragePool" else _GMAX)[nd](1), live
        if op in ("DepthToSpace", "SpaceToDepth"):
            return self._depth_space(node, a), live
        if op == "Flatten":
            if int(a.get("axis", 1)) != 1:
                raise NotImplementedError(f"node {node.name!r}: Flatten with axis != 1")
            return nn.Flatten(), live
        if op == "Gemm":
            w, c = const(1), const(2)
            if w is None or a.get("transA", 0):
                raise NotImplementedError(f"node {node.name!r}: Gemm needs a constant B, no transA")
            w = w if a.get("transB", 0) else w.T
            return Gemm(np.ascontiguousarray(w), c, a.get("alpha", 1.0), a.get("beta", 1.0)), live
        if op == "Reshape":
            shape = const(1)
            if shape is None:
                raise NotImplementedError(f"node {node.name!r}: Reshape to a computed shape")
            return Reshape(shape.tolist()), live[:1]
        if op == "Transpose":
            return Transpose(a["perm"]), live
        raise NotImplementedError(op)  # unreachable: SUPPORTED was checked

    def _resize(self, node, a, ins, consts) -> nn.Module:
        """``Resize``/``Upsample`` with constant scales or sizes as ``nn.Upsample``."""
        mode = a.get("mode", "nearest")
        scales = sizes = None
        if node.op_type == "Upsample":
            scales = consts.get(ins[1]) if len(ins) > 1 else np.array(a["scales"])
        else:
            if len(ins) > 2 and ins[2] and consts.get(ins[2]) is not None and consts[ins[2]].size:
                scales = consts[ins[2]]
            if len(ins) > 3 and ins[3]:
                sizes = consts.get(ins[3])
                if sizes is None:
                    raise NotImplementedError(f"node {node.name!r}: Resize to computed sizes")
        if scales is None and sizes is None:
            raise NotImplementedError(f"node {node.name!r}: Resize without constant scales")
        ctm = a.get("coordinate_transformation_mode", "half_pixel")
        if mode == "nearest":
            nearest = a.get("nearest_mode", "round_prefer_floor")
            if node.op_type == "Resize" and (ctm, nearest) != ("asymmetric", "floor"):
                raise NotImplementedError(
                    f"node {node.name!r}: nearest Resize with {ctm}/{nearest}; torch's "
                    "'nearest' is asymmetric/floor"
                )
            kwargs: dict[str, Any] = {"mode": "nearest"}
        elif mode in ("linear", "bilinear"):
            if ctm not in ("half_pixel", "pytorch_half_pixel", "align_corners"):
                raise NotImplementedError(f"node {node.name!r}: linear Resize with {ctm}")
            nd = len(scales if scales is not None else sizes) - 2
            kwargs = {"mode": {1: "linear", 2: "bilinear", 3: "trilinear"}[nd]}
            kwargs["align_corners"] = ctm == "align_corners"
        else:
            raise NotImplementedError(f"node {node.name!r}: Resize mode {mode!r}")
        if sizes is not None:
            return nn.Upsample(size=tuple(int(v) for v in sizes[2:]), **kwargs)
        if not np.all(scales[:2] == 1):
            raise NotImplementedError(f"node {node.name!r}: Resize of batch or channels")
        factors = tuple(float(v) for v in scales[2:])
        return nn.Upsample(scale_factor=factors, **kwargs)

    def _depth_space(self, node, a) -> nn.Module:
        """ONNX DepthToSpace (DCR default, or CRD) and SpaceToDepth (DCR order) as torch's
        pixel (un)shuffle, whose channel order is CRD, with a channel permutation where the
        orders differ (its size needs the channel count: taken from shape inference)."""
        b = int(a["blocksize"])
        mode = a.get("mode", "DCR")
        if node.op_type == "DepthToSpace" and mode == "CRD":
            return nn.PixelShuffle(b)
        if node.op_type == "DepthToSpace":
            conv = self._sole_conv(node.input[0])
            channels = conv.out_channels if conv is not None else self._channels(node)
            c = channels // (b * b)
            # CRD index c*b*b + i*b + j holds what DCR keeps at (i*b + j)*c + c'
            perm = [(ij * c) + cc for cc in range(c) for ij in range(b * b)]
            if conv is not None:  # fold the order into the convolution that feeds it
                with torch.no_grad():
                    index = torch.as_tensor(perm)
                    conv.weight.copy_(conv.weight[index].clone())
                    if conv.bias is not None:
                        conv.bias.copy_(conv.bias[index].clone())
                return nn.PixelShuffle(b)
            return nn.Sequential(ChannelPermute(perm), nn.PixelShuffle(b))
        channels = self._channels(node)
        c = channels
        # pixel_unshuffle gives c'*b*b + ij; ONNX wants ij*c + c'
        perm = [cc * b * b + ij for ij in range(b * b) for cc in range(c)]
        return nn.Sequential(nn.PixelUnshuffle(b), ChannelPermute(perm))

    def _sole_conv(self, tensor: str) -> nn.Module | None:
        """The plain convolution that produces ``tensor``, when nothing else reads it."""
        if self._consumers.get(tensor, 0) != 1:
            return None
        for key, _, outs in self.steps:
            if tensor in outs:
                layer = self.layers[key]
                return layer if isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Conv3d)) else None
        return None

    def _channels(self, node) -> int:
        dims = self._dims.get(node.input[0])
        if not dims or len(dims) < 2 or dims[1] is None:
            raise NotImplementedError(
                f"node {node.name!r}: {node.op_type} in DCR order needs the channel count, "
                "which shape inference could not give"
            )
        return int(dims[1])

    # ---------------------------------------------------------------- running
    def forward(self, *inputs: torch.Tensor):
        if len(inputs) != len(self.input_names):
            raise TypeError(
                f"the graph takes {len(self.input_names)} input(s) {self.input_names}, "
                f"got {len(inputs)}"
            )
        env: dict[str, torch.Tensor] = dict(zip(self.input_names, inputs))
        for key, names, outs in self.steps:
            out = self.layers[key](*(env[n] for n in names))
            if len(outs) == 1:
                env[outs[0]] = out
            else:  # e.g. MaxPool with indices: only the first output is used here
                env[outs[0]] = out[0] if isinstance(out, tuple) else out
        result = tuple(env[n] for n in self.output_names)
        return result[0] if len(result) == 1 else result


# --------------------------------------------------------------------------- onnx2torch route


def _constants_to_initializers(model) -> int:
    """Move every ``Constant`` node's tensor into the graph's initializers (in place, on the
    in-memory model); returns how many moved. onnx2torch expects weights there."""
    from onnx import numpy_helper

    graph = model.graph
    keep, moved = [], 0
    for node in graph.node:
        if node.op_type == "Constant" and node.attribute[0].name == "value":
            arr = numpy_helper.to_array(node.attribute[0].t)
            graph.initializer.append(numpy_helper.from_array(arr, node.output[0]))
            moved += 1
        else:
            keep.append(node)
    del graph.node[:]
    graph.node.extend(keep)
    return moved


@contextlib.contextmanager
def _torchvision_for_import() -> Iterator[str]:
    """Make ``import torchvision`` succeed for the duration, without changing the
    environment: the real package when it imports, else a stub removed afterwards.

    Yields ``"real"`` or ``"stub"``.
    """
    try:
        import torchvision  # noqa: F401

        yield "real"
        return
    except Exception:  # ImportError, or RuntimeError 'operator torchvision::nms does not exist'
        pass
    # a failed import can leave submodules (torchvision.extension, ...) behind: drop them
    before = {
        k: v for k, v in sys.modules.items() if k == "torchvision" or k.startswith("torchvision.")
    }
    for k in before:
        del sys.modules[k]

    def unavailable(*args, **kwargs):
        raise RuntimeError(
            "torchvision does not import beside this torch build: the ONNX graph's NMS or "
            "RoIAlign cannot run"
        )

    stub = types.ModuleType("torchvision")
    stub.__path__ = []  # a package, so that 'from torchvision.ops import x' resolves
    ops = types.ModuleType("torchvision.ops")
    for fn in ("nms", "batched_nms", "box_convert", "roi_align"):
        setattr(ops, fn, unavailable)
    stub.ops = ops
    sys.modules["torchvision"] = stub
    sys.modules["torchvision.ops"] = ops
    try:
        yield "stub"
    finally:
        for k in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
            del sys.modules[k]


def onnx2torch_module(model) -> tuple[nn.Module, dict[str, Any]]:
    """``onnx2torch.convert`` of an in-memory ``onnx.ModelProto`` (copied, Constant nodes
    moved to initializers); returns the module and what was done."""
    import copy

    onnx = _require("onnx")
    if not isinstance(model, onnx.ModelProto):
        raise TypeError(f"model must be an onnx.ModelProto (onnx.load gives one), got {model!r}")
    model = copy.deepcopy(model)
    moved = _constants_to_initializers(model)
    with _torchvision_for_import() as tv:
        try:
            import onnx2torch
        except ModuleNotFoundError:
            raise ModuleNotFoundError(
                f"route='onnx2torch' needs onnx2torch: {_INSTALL['onnx2torch']}"
            ) from None
    return onnx2torch.convert(model).eval(), {"constants_moved": moved, "torchvision": tv}


# --------------------------------------------------------------------------- entry point


def load_onnx(path: str | os.PathLike, *, route: str = "modules") -> nn.Module:
    """An ONNX file as a torch module in eval mode.

    Parameters
    ----------
    path : str or path
        An ``.onnx`` file (weights inside it).
    route : {"modules", "onnx2torch"}
        Our interpreter (real torch layers named after the ONNX nodes, see the module
        docstring; needs ``onnx``) or onnx2torch (``pip install --no-deps onnx2torch``).

    Returns
    -------
    torch.nn.Module
        ``forward`` takes the graph's inputs in order and returns one tensor or a tuple.

    Raises
    ------
    ModuleNotFoundError
        ``onnx`` (or ``onnx2torch``) missing: the message names the install command.
    NotImplementedError
        The graph uses operators the route does not support (all listed at once).
    ValueError
        ``path`` is not a file, or not an ONNX model.

    Examples
    --------
    >>> import onnx
    >>> from onnx import helper, numpy_helper, TensorProto
    >>> w = numpy_helper.from_array(np.ones((1, 1, 2, 2), np.float32), "w")
    >>> node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2, 2], name="up")
    >>> graph = helper.make_graph([node], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 3, 3])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 6, 6])], [w])
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "up.onnx")
    >>> onnx.save(helper.make_model(graph), path)
    >>> m = load_onnx(path)
    >>> type(m.layers.up).__name__, tuple(m(torch.ones(1, 1, 3, 3)).shape)
    ('ConvTranspose2d', (1, 1, 6, 6))
    """
    check_choice("route", route, ROUTES)
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a path to an .onnx file, got {path!r}")
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path {str(path)!r} is not a file")
    onnx = _require("onnx")
    try:
        model = onnx.load(str(path))
    except Exception as exc:
        text = " ".join(str(exc).split())
        raise ValueError(
            f"{str(path)!r} is not a readable ONNX model: {type(exc).__name__}: {text}"
        ) from None
    if not len(model.graph.node):
        raise ValueError(f"{str(path)!r} holds no graph nodes (not an ONNX model?)")
    if route == "modules":
        return OnnxGraphModule(model, name=path.name)
    module, _ = onnx2torch_module(model)
    return module
