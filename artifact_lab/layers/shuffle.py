"""N-d pixel shuffle (sub-pixel convolution's rearrangement), as a function and a Module.

References
----------
Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
Convolutional Neural Network", CVPR 2016.
"""

from __future__ import annotations

import torch
from torch import nn

from .._util.checks import check_int, check_ndim

__all__ = ["PixelShuffleND", "pixel_shuffle"]


def pixel_shuffle(x: torch.Tensor, factor: int, *, ndim: int = 2) -> torch.Tensor:
    """N-d pixel shuffle: ``(N, C*r**ndim, *n)`` to ``(N, C, *(n*r))``, torch's channel order.

    Equals ``torch.nn.functional.pixel_shuffle`` in 2-D (tested) and extends it to 1-D, 3-D.

    Examples
    --------
    >>> pixel_shuffle(torch.arange(4.0).reshape(1, 4, 1), 2, ndim=1).flatten().tolist()
    [0.0, 1.0, 2.0, 3.0]
    """
    r = check_int("factor", factor, minimum=1)
    ndim = check_ndim(ndim)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch tensor, got {type(x).__name__}")
    if x.ndim != ndim + 2:
        raise ValueError(
            f"x must have shape (N, C, *spatial) with {ndim} spatial axes, got {tuple(x.shape)}"
        )
    n, c = x.shape[:2]
    blocks = r**ndim
    if c % blocks:
        raise ValueError(f"x has {c} channels: they must be a multiple of factor**ndim ({blocks})")
    spatial = x.shape[2:]
    x = x.reshape(n, c // blocks, *([r] * ndim), *spatial)
    # (N, C, r1..rd, n1..nd) -> (N, C, n1, r1, n2, r2, ...)
    order = [0, 1]
    for a in range(ndim):
        order += [2 + ndim + a, 2 + a]
    return x.permute(order).reshape(n, c // blocks, *(m * r for m in spatial))


class PixelShuffleND(nn.Module):
    """Pixel shuffle for 1-D, 2-D and 3-D feature maps (torch's channel order): the Module of
    :func:`pixel_shuffle`.

    Shape
    -----
    ``(N, C*r**ndim, *n)`` -> ``(N, C, *(n*r))``.

    Examples
    --------
    >>> tuple(PixelShuffleND(2, 1)(torch.zeros(1, 6, 5)).shape)
    (1, 3, 10)
    """

    def __init__(self, factor: int, ndim: int) -> None:
        super().__init__()
        self.factor = check_int("factor", factor, minimum=1)
        self.ndim = check_ndim(ndim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_shuffle(x, self.factor, ndim=self.ndim)
