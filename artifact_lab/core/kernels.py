"""Kernel families for transposed and sub-pixel convolution, 1-D to 3-D, seeded.

Single kernels are float64 numpy arrays of shape ``(k,)*ndim`` (or per-axis sizes);
whole weights are torch tensors in torch's layouts: ``(in, out, *k)`` for ConvTranspose,
``(out * r**ndim, in, *k)`` for the convolution before a pixel shuffle.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._util.checks import (
    MAX_ELEMENTS,
    IntOrTuple,
    as_real_array,
    check_choice,
    check_elements,
    check_int,
    check_ndim,
    per_axis,
)
from .._util.numeric import outer

__all__ = [
    "FAMILIES",
    "FAMILY_TRAITS",
    "FIXED_SIZE",
    "bilinear",
    "default_weight",
    "fixed_size",
    "hold",
    "icnr",
    "is_seeded",
    "make_kernel",
    "normal",
    "ones",
    "subpixel_as_transposed",
]


def _shape(name: str, value: IntOrTuple, ndim: int, *lead: int, hint: str = "") -> tuple[int, ...]:
    """Per-axis sizes of a kernel, refused before any allocation beyond ``MAX_ELEMENTS``."""
    k = per_axis(name, value, check_ndim(ndim), minimum=1)
    hint = hint or f"use a smaller {name}"
    check_elements(f"a kernel with {name}={value!r}", (*lead, *k), MAX_ELEMENTS, hint)
    return k


def ones(kernel_size: IntOrTuple, *, ndim: int = 2) -> np.ndarray:
    """All-ones (box) kernel: its response to a constant input is the overlap map.

    Examples
    --------
    >>> ones(3, ndim=1)
    array([1., 1., 1.])
    """
    return np.ones(_shape("kernel_size", kernel_size, ndim))


def normal(kernel_size: IntOrTuple, *, ndim: int = 2, seed: int = 0) -> np.ndarray:
    """Standard normal taps (numpy ``default_rng(seed)``).

    Examples
    --------
    >>> normal(4, ndim=2, seed=1).shape
    (4, 4)
    """
    k = _shape("kernel_size", kernel_size, ndim)
    return np.random.default_rng(check_int("seed", seed, minimum=0)).standard_normal(k)


def default_weight(
    in_channels: int,
    out_channels: int,
    kernel_size: IntOrTuple,
    *,
    ndim: int = 2,
    seed: int = 0,
) -> torch.Tensor:
    """The weight ``torch.nn.ConvTranspose{ndim}d`` draws at construction, for ``seed``.

    Same code path as the module (``kaiming_uniform_(a=sqrt(5))`` on an ``(in, out, *k)``
    tensor under ``torch.manual_seed(seed)``), so it matches the module bit for bit, without
    touching the caller's global RNG state.

    Examples
    --------
    >>> w = default_weight(4, 2, 3, ndim=2, seed=0)
    >>> _ = torch.manual_seed(0)
    >>> torch.equal(w, torch.nn.ConvTranspose2d(4, 2, 3).weight)
    True
    """
    a = check_int("in_channels", in_channels, minimum=1)
    b = check_int("out_channels", out_channels, minimum=1)
    k = _shape(
        "kernel_size", kernel_size, ndim, a, b, hint="use fewer channels or a smaller kernel_size"
    )
    w = torch.empty(a, b, *k)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, minimum=0))
        torch.nn.init.kaiming_uniform_(w, a=math.sqrt(5))
    return w.detach()


def bilinear(stride: IntOrTuple, *, ndim: int = 2) -> np.ndarray:
    """Bilinear (tent) upsampling kernel for factor ``s``: size ``2s - s % 2`` per axis.

    The classic FCN kernel (Long et al. 2015): ``1 - |x/f - c|`` with ``f = ceil(k/2)``.
    Every phase sums to 1 (at any padding), so it scores 0.

    Examples
    --------
    >>> bilinear(2, ndim=1)
    array([0.25, 0.75, 0.75, 0.25])
    """
    s = per_axis("stride", stride, check_ndim(ndim), minimum=1)
    size = tuple(2 * st - st % 2 for st in s)
    check_elements(
        f"the bilinear kernel of stride={stride!r}", size, MAX_ELEMENTS, "use a smaller stride"
    )
    axes = []
    for st in s:
        k = 2 * st - st % 2
        f = math.ceil(k / 2)
        c = (2 * f - 1 - f % 2) / (2 * f)
        axes.append(1 - np.abs(np.arange(k) / f - c))
    return outer(axes)


def hold(stride: IntOrTuple, *, ndim: int = 2) -> np.ndarray:
    """Zero-order hold (nearest-neighbour) kernel: ones of size ``s`` (Sugawara et al. 2019).

    Examples
    --------
    >>> hold(3, ndim=1)
    array([1., 1., 1.])
    """
    return np.ones(_shape("stride", stride, ndim))


def icnr(
    out_channels: int,
    in_channels: int,
    kernel_size: IntOrTuple,
    scale: IntOrTuple,
    *,
    ndim: int = 2,
    seed: int = 0,
) -> torch.Tensor:
    """ICNR weight for the convolution before a pixel shuffle (Aitken et al. 2017).

    A sub-kernel of shape ``(out, in, *k)`` is drawn with ``kaiming_normal_`` and each output
    channel is repeated ``prod(scale)`` times consecutively, so that the pixel shuffle sends
    the same kernel to every sub-pixel: at initialisation the layer equals nearest-neighbour
    upsampling followed by a convolution, and it has no checkerboard.

    Returns
    -------
    torch.Tensor, shape ``(out * prod(scale), in, *k)``

    Examples
    --------
    >>> icnr(3, 8, 3, 2).shape
    torch.Size([12, 8, 3, 3])
    """
    ndim = check_ndim(ndim)
    r = per_axis("scale", scale, ndim, minimum=1)
    a = check_int("out_channels", out_channels, minimum=1)
    b = check_int("in_channels", in_channels, minimum=1)
    hint = "use fewer channels, a smaller kernel_size or a smaller scale"
    k = _shape("kernel_size", kernel_size, ndim, a * math.prod(r), b, hint=hint)
    sub = torch.empty(a, b, *k)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(check_int("seed", seed, minimum=0))
        torch.nn.init.kaiming_normal_(sub)
    return sub.repeat_interleave(math.prod(r), dim=0).detach()


def subpixel_as_transposed(
    weight: torch.Tensor | np.ndarray,
    scale: IntOrTuple,
    *,
    padding: IntOrTuple | None = None,
    ndim: int | None = None,
) -> tuple[torch.Tensor, tuple[int, ...]]:
    """The transposed convolution that equals ``pixel_shuffle(conv(x, weight), r)``.

    A convolution with kernel ``k`` and padding ``q`` followed by a pixel shuffle by ``r`` is a
    transposed convolution with stride ``r``, kernel ``k*r`` and padding ``(k-1-q)*r``: phase
    ``r_a`` of the output gets the sub-kernel of channel ``c*prod(r) + ...``, flipped.

    Parameters
    ----------
    weight : tensor, shape ``(out * prod(r), in, *k)``
    scale : int or tuple of int
    padding : int or tuple, optional
        The convolution's padding ``q`` (default ``(k-1)//2``, "same" for odd ``k``).

    Returns
    -------
    (weight_t, padding_t)
        ``weight_t`` of shape ``(in, out, *(k*r))`` for ``conv_transpose`` and its padding.

    Examples
    --------
    >>> wt, p = subpixel_as_transposed(icnr(1, 1, 3, 2), 2)
    >>> tuple(wt.shape), p
    ((1, 1, 6, 6), (2, 2))
    """
    if isinstance(weight, torch.Tensor):  # checked where it lies; keeps its autograd graph
        if weight.is_complex():
            raise TypeError(f"weight must be real, got a complex tensor ({weight.dtype})")
        w = weight if weight.is_floating_point() else weight.double()
        if w.numel() == 0 or not bool(torch.isfinite(w).all()):
            raise ValueError(f"weight must be non-empty and finite, got shape {tuple(w.shape)}")
    else:  # complex, NaN, non-numeric and empty refused, naming weight
        w = torch.from_numpy(as_real_array("weight", weight))
    if ndim is None:
        if not 3 <= w.ndim <= 5:
            raise ValueError(
                f"weight must have shape (out*r**ndim, in, *k) with 1 to 3 spatial axes, got "
                f"{tuple(w.shape)}"
            )
        nd = w.ndim - 2
    else:
        nd = check_ndim(ndim)
    if w.ndim != nd + 2:
        raise ValueError(
            f"weight must have shape (out*r**ndim, in, *k) with ndim={nd}, got {tuple(w.shape)}"
        )
    r = per_axis("scale", scale, nd, minimum=1)
    k = tuple(w.shape[2:])
    q = per_axis(
        "padding", [(x - 1) // 2 for x in k] if padding is None else padding, nd, minimum=0
    )
    blocks = math.prod(r)
    if w.shape[0] % blocks:
        raise ValueError(f"weight.shape[0]={w.shape[0]} must be a multiple of prod(scale)={blocks}")
    c_out, c_in = w.shape[0] // blocks, w.shape[1]
    w = w.flip(list(range(2, w.ndim))).reshape(c_out, *r, c_in, *k)
    # axes now: 0=C, 1..nd = phases, nd+1 = in, nd+2.. = taps; want (in, C, t1, r1, t2, r2, ...)
    order = [nd + 1, 0]
    for a in range(nd):
        order += [nd + 2 + a, 1 + a]
    wt = w.permute(order).reshape(c_in, c_out, *(ka * ra for ka, ra in zip(k, r, strict=True)))
    pad = tuple((ka - 1 - qa) * ra for ka, qa, ra in zip(k, q, r, strict=True))
    if min(pad) < 0:
        raise ValueError(f"padding must be at most kernel_size - 1 per axis, got {q}")
    return wt, pad


#: Every kernel family: whether its size is fixed by the stride (bilinear ``2s - s % 2``,
#: hold ``s``), and whether it is random (one kernel per seed). The one table of families.
FAMILY_TRAITS: dict[str, tuple[bool, bool]] = {
    "ones": (False, False),
    "default": (False, True),
    "normal": (False, True),
    "bilinear": (True, False),
    "hold": (True, False),
    "icnr": (False, True),
}
FAMILIES = tuple(FAMILY_TRAITS)
#: The families whose kernel size the stride fixes.
FIXED_SIZE = tuple(f for f, (fixed, _) in FAMILY_TRAITS.items() if fixed)


def fixed_size(family: str, stride: int) -> int | None:
    """The kernel size a family has at ``stride`` when the stride fixes it, else None.

    Examples
    --------
    >>> fixed_size("bilinear", 3), fixed_size("hold", 3), fixed_size("ones", 3)
    (5, 3, None)
    """
    check_choice("family", family, FAMILIES)
    s = check_int("stride", stride, minimum=1)
    if not FAMILY_TRAITS[family][0]:
        return None
    return 2 * s - s % 2 if family == "bilinear" else s


def is_seeded(family: str) -> bool:
    """Whether a family is random (a seed picks the kernel).

    Examples
    --------
    >>> is_seeded("default"), is_seeded("bilinear")
    (True, False)
    """
    return FAMILY_TRAITS[check_choice("family", family, FAMILIES)][1]


def make_kernel(
    family: str,
    kernel_size: IntOrTuple | None = None,
    stride: IntOrTuple = 2,
    *,
    ndim: int = 2,
    seed: int = 0,
) -> np.ndarray:
    """One kernel of a named family as a float64 array, for scoring and overlap studies.

    ``"ones"``, ``"default"`` (torch's ConvTranspose init, one channel pair), ``"normal"``
    need ``kernel_size``. ``"bilinear"`` and ``"hold"`` are defined by ``stride`` (a given
    ``kernel_size`` must match). ``"icnr"`` returns the effective transposed-convolution
    kernel (size ``k*s``) of one ICNR sub-pixel channel with sub-kernel size ``kernel_size``.

    Examples
    --------
    >>> make_kernel("bilinear", stride=2, ndim=1)
    array([0.25, 0.75, 0.75, 0.25])
    """
    ndim = check_ndim(ndim)
    check_choice("family", family, FAMILIES)
    per_axis("stride", stride, ndim, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    k = None if kernel_size is None else per_axis("kernel_size", kernel_size, ndim, minimum=1)
    if FAMILY_TRAITS[family][0]:
        kern = bilinear(stride, ndim=ndim) if family == "bilinear" else hold(stride, ndim=ndim)
        if k is not None and k != kern.shape:
            raise ValueError(
                f"kernel_size={kernel_size!r} does not fit family {family!r} at stride "
                f"{stride!r}: it needs kernel_size={kern.shape}"
            )
        return kern
    if kernel_size is None:
        raise ValueError(f"family {family!r} needs a kernel_size")
    if family == "ones":
        return ones(kernel_size, ndim=ndim)
    if family == "normal":
        return normal(kernel_size, ndim=ndim, seed=seed)
    if family == "default":
        return default_weight(1, 1, kernel_size, ndim=ndim, seed=seed)[0, 0].double().numpy()
    w = icnr(1, 1, kernel_size, stride, ndim=ndim, seed=seed).double()
    return subpixel_as_transposed(w, stride)[0][0, 0].numpy()
