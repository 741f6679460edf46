"""Stacks of transposed convolutions, scored through their composite kernel.

The composite describes the stack's steady state. Intermediate padding crops samples that
a later layer would have read; up to ``d*(k-1)`` it crops only borders, but torch accepts
more, and then the crop eats into the steady state as well. :func:`stack_interior` gives
the outputs where the stack really equals its composite layer's steady state.

Two linear layers ``(K1, s1, p1)`` then ``(K2, s2, p2)`` equal one layer with stride
``s1*s2``, padding ``p1*s2 + p2``, output padding ``op1*s2 + op2`` and the composite kernel
``Kc = zero_insert(K1, s2) * K2`` (full convolution; dilated kernels are used with their
zeros). Scores of the stack are the scores of ``Kc`` on the product stride.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import signal

from .._util.checks import IntOrTuple, check_choice, check_elements, per_axis
from .._util.dims import functional
from ..backend import exact_dtype, select_device
from .arithmetic import TransposedConv, zero_insert
from .overlap import MAX_ELEMENTS
from .scores import as_kernel, checkerboard_score, noise_checkerboard, phase_gains

__all__ = ["Composite", "composite", "stack_interior", "stack_response"]


@dataclass(frozen=True)
class Composite:
    """One linear layer equivalent to a stack: kernel, stride, padding, output padding."""

    kernel: np.ndarray
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]

    @property
    def phase_gains(self) -> np.ndarray:
        return phase_gains(self.kernel, self.stride, 1, self.padding)

    @property
    def checkerboard_score(self) -> float:
        return float(checkerboard_score(self.kernel, self.stride))

    @property
    def noise_checkerboard(self) -> float:
        return float(noise_checkerboard(self.kernel, self.stride))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "kernel_size": self.kernel.shape,
                    "stride": self.stride,
                    "padding": self.padding,
                    "output_padding": self.output_padding,
                    "checkerboard_score": self.checkerboard_score,
                    "noise_checkerboard": self.noise_checkerboard,
                }
            ]
        )


def _dilated(kernel: np.ndarray, d: tuple[int, ...]) -> np.ndarray:
    return zero_insert(kernel, d) if max(d) > 1 else kernel


def _checked_layers(layers: Any) -> list[TransposedConv]:
    if isinstance(layers, TransposedConv) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a sequence of TransposedConv (a list, even for one layer), got "
            f"{type(layers).__name__}"
        )
    if not layers:
        raise ValueError("layers must contain at least one TransposedConv")
    for i, layer in enumerate(layers):
        if not isinstance(layer, TransposedConv):
            raise TypeError(f"layers[{i}] must be a TransposedConv, got {type(layer).__name__}")
        if layer.ndim != layers[0].ndim:
            raise ValueError(f"layers[{i}] has ndim={layer.ndim}, layers[0] has {layers[0].ndim}")
    return list(layers)


def _checked(layers: Sequence[TransposedConv], kernels: Sequence[Any] | None):
    layers = _checked_layers(layers)
    if kernels is None:
        kernels = [np.ones(layer.kernel_size) for layer in layers]
    if not isinstance(kernels, Sequence) or isinstance(kernels, str):
        raise TypeError(
            f"kernels must be a sequence with one kernel per layer, got {type(kernels).__name__}"
        )
    if len(kernels) != len(layers):
        raise ValueError(
            f"kernels must have one entry per layer ({len(layers)}), got {len(kernels)}"
        )
    out = []
    for i, (layer, kern) in enumerate(zip(layers, kernels, strict=True)):
        k = as_kernel(kern, name=f"kernels[{i}]")
        if k.shape != layer.kernel_size:
            raise ValueError(
                f"kernels[{i}] has shape {k.shape}, layer {i} has kernel_size {layer.kernel_size}"
            )
        out.append(k)
    return list(layers), out


def composite(layers: Sequence[TransposedConv], kernels: Sequence[Any] | None = None) -> Composite:
    """Composite single-layer equivalent of a stack of single-channel layers.

    Parameters
    ----------
    layers : sequence of TransposedConv
        Applied first to last.
    kernels : sequence of array_like, optional
        One kernel per layer, shaped like its ``kernel_size`` (default all ones).

    Examples
    --------
    >>> k3, k4 = TransposedConv(3, 2, ndim=1), TransposedConv(4, 2, ndim=1)
    >>> composite([k3, k4]).phase_gains, composite([k4, k3]).phase_gains
    (array([3., 3., 3., 3.]), array([4., 2., 4., 2.]))
    """
    layers, kernels = _checked(layers, kernels)
    kc = _dilated(kernels[0], layers[0].dilation)
    stride, pad, opad = layers[0].stride, layers[0].padding, layers[0].output_padding
    for layer, kern in zip(layers[1:], kernels[1:], strict=True):
        kc = signal.convolve(
            zero_insert(kc, layer.stride),
            _dilated(kern, layer.dilation),
            mode="full",
            method="direct",
        )
        stride = tuple(a * b for a, b in zip(stride, layer.stride, strict=True))
        pad = tuple(a * s + b for a, s, b in zip(pad, layer.stride, layer.padding, strict=True))
        opad = tuple(
            a * s + b for a, s, b in zip(opad, layer.stride, layer.output_padding, strict=True)
        )
    return Composite(np.ascontiguousarray(kc), stride, pad, opad)


def _stack_sizes(n: tuple[int, ...], layers: Sequence[TransposedConv]) -> list[tuple[int, ...]]:
    sizes = [n]
    for layer in layers:  # the same clear error as torch, before any work
        sizes.append(layer.output_size(sizes[-1]))
    return sizes


def stack_interior(input_size: IntOrTuple, layers: Sequence[TransposedConv]) -> np.ndarray:
    """Boolean mask of the stack's interior: where the stack is its composite's steady state.

    An output is interior when it lies in the composite layer's interior (every composite
    tap fed from a valid input) and, through every layer, reads only samples that the
    layer before really output. An intermediate padding up to ``d*(k-1)`` crops only
    borders, and then this is the composite interior; torch accepts paddings up to about
    half the output, and such a padding crops samples that the composite layer's interior
    depends on. There the layer-by-layer output differs from the composite's.

    Per axis, in N-d the outer AND. On this mask the layer-by-layer output equals the
    composite layer's output exactly, and for a constant input it equals the composite's
    phase gains (tested against torch, layer by layer, over every padding torch accepts).

    Examples
    --------
    The second layer reads sample -1 of the first layer's output for its first output:
    the first layer's padding cropped it, although the composite interior starts at 0.

    >>> layers = [TransposedConv(1, 3, 1, ndim=1), TransposedConv(2, 1, 1, 0, 2, ndim=1)]
    >>> stack_response(10, layers)[:3], stack_response(10, layers, method="composite")[:3]
    (array([0., 1., 0.]), array([1., 1., 0.]))
    >>> stack_interior(10, layers)[:3]
    array([False,  True,  True])
    """
    layers = _checked_layers(layers)
    ndim = layers[0].ndim
    n = per_axis("input_size", input_size, ndim, minimum=1)
    sizes = _stack_sizes(n, layers)
    check_elements("the stack's interior mask", sizes[-1], MAX_ELEMENTS, "use a smaller input_size")
    c = composite(layers)
    axes = []
    for a in range(ndim):
        ok = np.ones(sizes[1][a], dtype=bool)  # the first layer reads the input only
        for layer, prev, size in zip(layers[1:], sizes[1:-1], sizes[2:], strict=True):
            k, s, p, d = (
                layer.kernel_size[a],
                layer.stride[a],
                layer.padding[a],
                layer.dilation[a],
            )
            q = np.arange(size[a])
            now = np.ones(size[a], dtype=bool)
            for j in range(k):
                num = q + p - j * d
                hit = num % s == 0
                i = num // s
                inside = (i >= 0) & (i < prev[a])
                now &= ~hit | (inside & ok[np.clip(i, 0, prev[a] - 1)])
            ok = now
        o = np.arange(sizes[-1][a])
        kc, S, P = c.kernel.shape[a], c.stride[a], c.padding[a]
        axes.append(ok & (o >= kc - 1 - P) & (o <= (n[a] - 1) * S - P))
    return reduce(np.logical_and.outer, axes)


def stack_response(
    input_size: IntOrTuple,
    layers: Sequence[TransposedConv],
    kernels: Sequence[Any] | None = None,
    *,
    method: str = "layers",
    device: str | torch.device | None = None,
) -> np.ndarray:
    """Output of the stack for a constant input of ones (the stack's overlap map for ones).

    ``method="layers"`` runs each layer's ``conv_transpose`` in turn on the selected device;
    ``method="composite"`` runs one ``conv_transpose`` with the composite kernel. They agree
    exactly on :func:`stack_interior` (tested over every padding torch accepts), which is
    how the composite rule is checked, and everywhere when no layer has padding. Elsewhere
    they differ where an intermediate layer's padding crops samples that the next layer
    would have read: at the borders, and, for a padding above ``d*(k-1)``, inside the
    composite layer's interior too.

    Examples
    --------
    >>> layers = [TransposedConv(4, 2, ndim=1), TransposedConv(3, 2, ndim=1)]
    >>> stack_response(6, layers)[8:16]
    array([4., 2., 4., 2., 4., 2., 4., 2.])
    """
    check_choice("method", method, ("layers", "composite"))
    layers, kernels = _checked(layers, kernels)
    ndim = layers[0].ndim
    n = per_axis("input_size", input_size, ndim, minimum=1)
    sizes = _stack_sizes(n, layers)  # the same clear error for both methods, before any work
    for size in sizes[1:]:
        check_elements("a layer's output", size, MAX_ELEMENTS, "use a smaller input_size")
    dev = select_device(device)
    dtype = exact_dtype(dev)
    x = torch.ones((1, 1, *n), dtype=dtype, device=dev)
    conv_t = functional("conv_transpose", ndim)
    if method == "layers":
        for layer, kern in zip(layers, kernels, strict=True):
            w = torch.as_tensor(kern, dtype=dtype, device=dev)[None, None]
            x = conv_t(
                x,
                w,
                stride=layer.stride,
                padding=layer.padding,
                output_padding=layer.output_padding,
                dilation=layer.dilation,
            )
    else:
        c = composite(layers, kernels)
        w = torch.as_tensor(c.kernel, dtype=dtype, device=dev)[None, None]
        # Crop the padding-0 output by hand: the composite output padding may exceed the
        # stride, which torch refuses for a single layer. Positions past the full output
        # receive no tap and are zero.
        full = conv_t(x, w, stride=c.stride)
        out = sizes[-1]  # the composite layer's output size is the stack's
        # Output o is full-output sample o + padding. Copy the overlap into zeros: one
        # negative pad can crop more than the full output holds before the other side
        # pads it back, which torch refuses.
        x = full.new_zeros(full.shape[:2] + tuple(out))
        dst, src = [slice(None)] * 2, [slice(None)] * 2
        for a in range(ndim):
            lo, hi = c.padding[a], min(full.shape[2 + a], c.padding[a] + out[a])
            dst.append(slice(0, max(hi - lo, 0)))
            src.append(slice(lo, max(hi, lo)))
        x[tuple(dst)] = full[tuple(src)]
    return x[0, 0].cpu().numpy()
