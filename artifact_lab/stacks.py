"""Stacks of transposed convolutions, scored through their composite kernel.

The composite describes the stack's steady state (interior); intermediate padding crops
samples and so changes the borders only.

Two linear layers ``(K1, s1, p1)`` then ``(K2, s2, p2)`` equal one layer with stride
``s1*s2``, padding ``p1*s2 + p2``, output padding ``op1*s2 + op2`` and the composite kernel
``Kc = zero_insert(K1, s2) * K2`` (full convolution; dilated kernels are used with their
zeros). Scores of the stack are the scores of ``Kc`` on the product stride.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from scipy import signal

from ._checks import IntOrTuple, per_axis
from .arithmetic import TransposedConv, zero_insert
from .backend import exact_dtype, select_device
from .overlap import _CONV_T
from .scores import as_kernel, checkerboard_score, noise_checkerboard, phase_gains

__all__ = ["Composite", "composite", "stack_response"]


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


def _checked(layers: Sequence[TransposedConv], kernels: Sequence[Any] | None):
    if not layers:
        raise ValueError("layers must contain at least one TransposedConv")
    for i, layer in enumerate(layers):
        if not isinstance(layer, TransposedConv):
            raise TypeError(f"layers[{i}] must be a TransposedConv, got {type(layer).__name__}")
        if layer.ndim != layers[0].ndim:
            raise ValueError(f"layers[{i}] has ndim={layer.ndim}, layers[0] has {layers[0].ndim}")
    if kernels is None:
        kernels = [np.ones(layer.kernel_size) for layer in layers]
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
    exactly in the composite layer's interior (tested), which is how the composite rule is
    checked, and everywhere when no layer has padding. At the borders they differ when an
    intermediate layer's padding crops samples that the next layer would have used: the
    composite kernel describes the stack's steady state, not its borders.

    Examples
    --------
    >>> layers = [TransposedConv(4, 2, ndim=1), TransposedConv(3, 2, ndim=1)]
    >>> stack_response(6, layers)[8:16]
    array([4., 2., 4., 2., 4., 2., 4., 2.])
    """
    layers, kernels = _checked(layers, kernels)
    ndim = layers[0].ndim
    n = per_axis("input_size", input_size, ndim, minimum=1)
    dev = select_device(device)
    dtype = exact_dtype(dev)
    x = torch.ones((1, 1, *n), dtype=dtype, device=dev)
    conv_t = _CONV_T[ndim]
    size = n
    for layer in layers:  # the same clear error for both methods, before any work
        size = layer.output_size(size)
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
    elif method == "composite":
        c = composite(layers, kernels)
        w = torch.as_tensor(c.kernel, dtype=dtype, device=dev)[None, None]
        # Crop the padding-0 output by hand: the composite output padding may exceed the
        # stride, which torch refuses for a single layer. Positions past the full output
        # receive no tap and are zero.
        full = conv_t(x, w, stride=c.stride)
        sizes = [
            (m - 1) * st - 2 * p + kc + op
            for m, st, p, kc, op in zip(
                n, c.stride, c.padding, c.kernel.shape, c.output_padding, strict=True
            )
        ]
        pad = []
        for a in reversed(range(ndim)):
            pad += [-c.padding[a], sizes[a] + c.padding[a] - full.shape[2 + a]]
        x = torch.nn.functional.pad(full, pad)
    else:
        raise ValueError(f"method must be 'layers' or 'composite', got {method!r}")
    return x[0, 0].cpu().numpy()
