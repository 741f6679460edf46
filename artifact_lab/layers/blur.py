"""Blur before subsampling (Zhang 2019), as a function and a Module: the fix for checkerboards
in the gradient of strided convolutions and pools.

References
----------
Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import check_int, check_ndim, check_tensor, per_axis
from .._util.dims import functional
from .._util.numeric import outer
from ..core.kernels import hold

__all__ = ["BlurPool", "blur_pool", "tent"]


def tent(stride: int | tuple[int, ...], *, ndim: int = 2) -> np.ndarray:
    """The blur-pool filter: per axis the hold kernel ``ones(s)`` convolved with itself
    (size ``2s - 1``), normalised to sum 1; the N-d filter is the outer product.

    Every phase of stride ``s`` receives the same gain (``1/s`` per axis), so the adjoint of a
    stride-``s`` blur-pool scores 0.

    Examples
    --------
    >>> tent(2, ndim=1).tolist()
    [0.25, 0.5, 0.25]
    """
    ndim = check_ndim(ndim)
    s = per_axis("stride", stride, ndim, minimum=1)
    return outer([np.convolve(hold(st, ndim=1), hold(st, ndim=1)) / st**2 for st in s])


def blur_pool(
    x: torch.Tensor,
    stride: int | tuple[int, ...],
    *,
    pad: tuple[tuple[int, int], ...] | None = None,
) -> torch.Tensor:
    """Blur with :func:`tent` and subsample by ``stride``, per channel (depthwise).

    Parameters
    ----------
    x : torch.Tensor
        ``(N, C, *n)``.
    stride : int or tuple of int
        Per spatial axis.
    pad : tuple of (before, after) per axis, optional
        Zero padding (negative: a crop) applied first; default ``(s - 1, s - 1)`` per axis.

    Returns
    -------
    torch.Tensor
        ``(N, C, *L)`` with ``L = floor((n + before + after - (2s - 1)) / s) + 1``.

    Examples
    --------
    >>> blur_pool(torch.ones(1, 1, 7), 2).flatten().tolist()
    [0.75, 1.0, 1.0, 0.75]
    """
    x = check_tensor("x", x, min_ndim=3, shape="(N, C, *spatial)")
    nd = check_ndim(x.ndim - 2)
    s = per_axis("stride", stride, nd, minimum=1)
    if pad is None:
        pad = tuple((st - 1, st - 1) for st in s)
    elif (
        not isinstance(pad, (tuple, list))
        or len(pad) != nd
        or not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in pad)
    ):
        raise ValueError(
            f"pad must hold one (before, after) pair per spatial axis ({nd}), got {pad!r}"
        )
    else:
        pad = tuple(tuple(check_int("pad", v) for v in p) for p in pad)
    flat: list[int] = []
    for before, after in reversed(pad):  # F.pad lists the last axis first
        flat += [before, after]
    # float32 taps, as BlurPool's buffer holds them, whatever the input's dtype
    kernel = torch.from_numpy(tent(s, ndim=nd).astype(np.float32)).to(x.dtype)
    channels = x.shape[1]
    w = kernel.to(x.device).expand(channels, 1, *kernel.shape)
    return functional("conv", nd)(F.pad(x, flat), w, stride=s, groups=channels)


class BlurPool(nn.Module):
    """Blur, then subsample: a depthwise tent filter of size ``2s - 1`` at stride ``s``.

    The tent (the hold kernel ``ones(s)`` convolved with itself, normalised to sum 1 per
    axis) gives every phase the same gain, so the adjoint of ``BlurPool``, and of any
    stride-1 layer followed by it, scores 0 (Zhang 2019 uses binomial filters; the tent is
    the one that stays even for every ``s``). Zero padding: ``s - 1`` before each axis, and
    after it as many (negative: a crop) as make the output length that of the layer it
    replaces, by ``rule``:

    - ``"conv"``: ``floor((n - 1)/s) + 1``, a strided convolution or floor-mode pool;
    - ``"ceil"``: torch's ceil-mode pool length, where the last window must start before
      ``n + offset`` (``offset = d*(k-1) - p`` of the replaced pool, whose stride-1 version
      outputs ``n``);
    - ``"resize"``: ``floor(n / s)``, an ``interpolate`` by ``1/s``; ``size`` fixes it instead.

    Shape
    -----
    ``(N, C, *n)`` -> ``(N, C, *L)``, the same filter for every channel.

    References
    ----------
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.

    Examples
    --------
    >>> bp = BlurPool(2, ndim=1)
    >>> bp.kernel.tolist(), tuple(bp(torch.ones(1, 1, 7)).shape)
    ([0.25, 0.5, 0.25], (1, 1, 4))
    """

    def __init__(self, stride, *, ndim: int = 2, rule: str = "conv", offset=0, size=None) -> None:
        super().__init__()
        if rule not in ("conv", "ceil", "resize"):
            raise ValueError(f"rule must be 'conv', 'ceil' or 'resize', got {rule!r}")
        ndim = check_ndim(ndim)
        s = per_axis("stride", stride, ndim, minimum=1)
        self.stride, self.ndim, self.rule = s, ndim, rule
        self.offset = per_axis("offset", offset, ndim)  # a pool's d*(k-1) - p: any sign
        self.size = None if size is None else per_axis("size", size, ndim, minimum=1)
        kern = tent(s, ndim=ndim)
        self.register_buffer("kernel", torch.from_numpy(np.asarray(kern, dtype=np.float32)))

    def geometry(self, nd: int) -> dict:
        """The adjoint geometry the audit scores: a depthwise kernel at stride ``s``."""
        return {
            "kernel_size": tuple(self.kernel.shape),
            "stride": self.stride,
            "padding": tuple(st - 1 for st in self.stride),
            "dilation": (1,) * nd,
            "groups": 1,
            "weight": self.kernel.detach()[None, None],
        }

    def _length(self, n: int, a: int) -> int:
        s = self.stride[a]
        if self.size is not None:
            return self.size[a]
        if self.rule == "resize":
            return n // s
        if self.rule == "conv":
            return (n - 1) // s + 1
        length = -(-(n - 1) // s) + 1
        if (length - 1) * s >= n + self.offset[a]:  # torch: last window starts in the input
            length -= 1
        return length

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spatial = x.shape[2:]
        pad = tuple(
            (s - 1, self._length(n, a) * s - n)
            for a, (s, n) in enumerate(zip(self.stride, spatial, strict=True))
        )
        return blur_pool(x, self.stride, pad=pad)
