"""Transposed-convolution arithmetic: output sizes, layer geometry, and zero insertion.

Everything follows PyTorch's ``conv_transpose{1,2,3}d`` (no kernel flip): one axis with
input length ``n``, kernel size ``k``, stride ``s``, padding ``p``, output padding ``op``
and dilation ``d`` gives

    L = (n - 1)*s - 2*p + d*(k - 1) + op + 1

and N-d layers apply this per axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._util.checks import (
    MAX_ELEMENTS,
    IntOrTuple,
    check_bool,
    check_elements,
    check_int,
    check_ndim,
    infer_ndim,
    is_tensor,
    per_axis,
)
from .._util.dims import functional, module, module_ndim

if TYPE_CHECKING:  # numpy and torch load only where arrays are made: sizes need neither
    import torch

__all__ = [
    "TransposedConv",
    "conv_output_size",
    "conv_transpose_by_zero_insertion",
    "output_size",
    "output_size_terms",
    "zero_insert",
]


def check_geometry(
    kernel_size: IntOrTuple,
    stride: IntOrTuple,
    padding: IntOrTuple,
    output_padding: IntOrTuple,
    dilation: IntOrTuple,
    ndim: int,
) -> tuple[tuple[int, ...], ...]:
    """Check one layer's per-axis geometry exactly as torch does; return the 5 tuples
    ``(k, s, p, op, d)``.

    Examples
    --------
    >>> check_geometry(3, 2, 1, 1, 1, 2)
    ((3, 3), (2, 2), (1, 1), (1, 1), (1, 1))
    """
    k = per_axis("kernel_size", kernel_size, ndim, minimum=1)
    s = per_axis("stride", stride, ndim, minimum=1)
    p = per_axis("padding", padding, ndim, minimum=0)
    op = per_axis("output_padding", output_padding, ndim, minimum=0)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    for a in range(ndim):
        if op[a] >= max(s[a], d[a]):
            axis = f" on axis {a}" if ndim > 1 else ""
            raise ValueError(
                f"output_padding must be smaller than either stride or dilation{axis}: "
                f"got output_padding={op[a]}, stride={s[a]}, dilation={d[a]}"
            )
    return k, s, p, op, d


def axis_count_range(k: int, s: int, d: int) -> tuple[int, int]:
    """Fewest and most taps on one phase of one axis, in closed form.

    Tap ``j`` lands on ``(j*d - p) mod s``. With ``g = gcd(d, s)`` the taps cycle through
    the ``s/g`` phases that are multiples of ``g`` (shifted by ``-p``) with period ``s/g``:
    each of them gets ``k // (s/g)`` or one more; the other phases get none when ``g > 1``.
    Padding only rolls the phases, so it changes neither number.

    Examples
    --------
    >>> axis_count_range(3, 2, 1), axis_count_range(4, 2, 2)
    ((1, 2), (0, 4))
    """
    g = math.gcd(d, s)
    cycle = s // g
    q, r = divmod(k, cycle)
    return (0 if g > 1 else q), q + (1 if r else 0)


def phase_count_contrast(k: Sequence[int], s: Sequence[int], d: Sequence[int]) -> float:
    """The overlap contrast ``(max c - min c) / mean c`` of the N-d phase counts ``c``, from
    checked per-axis tuples, in closed form (no array): the N-d counts are products over axes,
    so their extremes are the products of :func:`axis_count_range`'s, and their mean is
    ``prod(k) / prod(s)``. The one home of the formula (overlap maps, ``solve``, the sweep).

    Examples
    --------
    >>> phase_count_contrast((3,), (2,), (1,)), phase_count_contrast((3, 3), (2, 2), (1, 1))
    (0.6666666666666666, 1.3333333333333333)
    """
    ranges = [axis_count_range(ka, sa, da) for ka, sa, da in zip(k, s, d, strict=True)]
    low = math.prod(r[0] for r in ranges)
    high = math.prod(r[1] for r in ranges)
    return float((high - low) / (math.prod(k) / math.prod(s)))


def output_sizes(n: tuple[int, ...], k, s, p, op, d) -> tuple[int, ...]:
    """Output sizes of checked per-axis tuples (torch's formula); refuses a size below 1.

    Examples
    --------
    >>> output_sizes((16,), (4,), (2,), (1,), (0,), (1,))
    (32,)
    """
    out = tuple((n[a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + op[a] + 1 for a in range(len(n)))
    for a, length in enumerate(out):
        if length < 1:
            axis = f" on axis {a}" if len(n) > 1 else ""
            raise ValueError(
                f"output size{axis} would be {length} (< 1): padding={p[a]} removes more than "
                f"the {(n[a] - 1) * s[a] + d[a] * (k[a] - 1) + op[a] + 1} positions that "
                f"input_size={n[a]}, kernel_size={k[a]}, stride={s[a]}, dilation={d[a]}, "
                f"output_padding={op[a]} produce"
            )
    return out


def output_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Spatial output size of a transposed convolution, as torch computes it.

    Parameters
    ----------
    input_size, kernel_size, stride, padding, output_padding, dilation : int or tuple of int
        Per-axis values; an int applies to every axis. Tuples fix the number of spatial
        axes (1, 2 or 3 for torch; any number here).

    Returns
    -------
    int or tuple of int
        ``L = (n-1)*s - 2*p + d*(k-1) + op + 1`` per axis: an int when every argument is an
        int, else a tuple.

    Raises
    ------
    TypeError
        A non-integer argument.
    ValueError
        Exactly the configurations torch rejects: kernel size, stride or dilation < 1,
        negative padding or output padding, ``output_padding >= max(stride, dilation)``,
        input size < 1, or an output size < 1.

    Notes
    -----
    Tested against the shapes ``torch.nn.functional.conv_transpose{1,2,3}d`` returns, and
    against the errors it raises, on thousands of random configurations.

    Examples
    --------
    >>> output_size(16, kernel_size=4, stride=2, padding=1)
    32
    >>> output_size((16, 9), kernel_size=3, stride=2, padding=1, output_padding=(1, 0))
    (32, 17)
    """
    args = (input_size, kernel_size, stride, padding, output_padding, dilation)
    ndim = infer_ndim(*args)
    dims = 1 if ndim is None else ndim
    geom = check_geometry(kernel_size, stride, padding, output_padding, dilation, dims)
    n = per_axis("input_size", input_size, dims, minimum=1)
    out = output_sizes(n, *geom)
    return out[0] if ndim is None else out


def conv_output_size(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> int | tuple[int, ...]:
    """Output size of an ordinary (forward) convolution, for contrast with the transposed one.

    ``floor((n + 2p - d*(k-1) - 1) / s) + 1`` per axis, as ``torch.nn.functional.conv{1,2,3}d``
    returns (tested against torch). Raises ``ValueError`` when the result is below 1.

    Examples
    --------
    >>> conv_output_size(32, 4, stride=2, padding=1), output_size(16, 4, stride=2, padding=1)
    (16, 32)
    """
    args = (input_size, kernel_size, stride, padding, dilation)
    ndim = infer_ndim(*args)
    dims = 1 if ndim is None else ndim
    n = per_axis("input_size", input_size, dims, minimum=1)
    k = per_axis("kernel_size", kernel_size, dims, minimum=1)
    s = per_axis("stride", stride, dims, minimum=1)
    p = per_axis("padding", padding, dims, minimum=0)
    d = per_axis("dilation", dilation, dims, minimum=1)
    out = []
    for a in range(dims):
        span = n[a] + 2 * p[a] - d[a] * (k[a] - 1)
        if span < 1:
            raise ValueError(
                f"kernel_size={k[a]} with dilation={d[a]} reaches {d[a] * (k[a] - 1) + 1} "
                f"samples, more than the padded input_size {n[a] + 2 * p[a]} on axis {a}"
            )
        out.append((span - 1) // s[a] + 1)
    return out[0] if ndim is None else tuple(out)


def output_size_terms(
    input_size: IntOrTuple,
    kernel_size: IntOrTuple,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> list[dict[str, int]]:
    """The terms of torch's output-size formula, one dict per axis.

    Keys: ``n, k, s, p, op, d`` (the inputs), ``stretch = (n-1)*s``, ``crop = -2*p``,
    ``reach = d*(k-1)``, ``op`` again as ``extra``, and ``size`` (their sum plus one).

    Examples
    --------
    >>> t = output_size_terms(16, 3, 2, 1, 1)[0]
    >>> t["stretch"], t["crop"], t["reach"], t["extra"], t["size"]
    (30, -2, 2, 1, 32)
    """
    args = (input_size, kernel_size, stride, padding, output_padding, dilation)
    dims = infer_ndim(*args) or 1
    k, s, p, op, d = check_geometry(kernel_size, stride, padding, output_padding, dilation, dims)
    n = per_axis("input_size", input_size, dims, minimum=1)
    sizes = output_sizes(n, k, s, p, op, d)
    return [
        {
            "n": n[a],
            "k": k[a],
            "s": s[a],
            "p": p[a],
            "op": op[a],
            "d": d[a],
            "stretch": (n[a] - 1) * s[a],
            "crop": -2 * p[a],
            "reach": d[a] * (k[a] - 1),
            "extra": op[a],
            "size": sizes[a],
        }
        for a in range(dims)
    ]


@dataclass(frozen=True)
class TransposedConv:
    """Geometry of one transposed-convolution layer (per-axis tuples after construction).

    Parameters
    ----------
    kernel_size, stride, padding, output_padding, dilation : int or tuple of int
        As in ``torch.nn.ConvTranspose{1,2,3}d``.
    ndim : int
        Number of spatial axes, 1 to 3. Tuples must have this length.

    Examples
    --------
    >>> layer = TransposedConv(4, stride=2, padding=1)
    >>> layer.kernel_size, layer.output_size((16, 16))
    ((4, 4), (32, 32))
    >>> TransposedConv.from_module(layer.to_module(8, 3)) == layer
    True
    """

    kernel_size: IntOrTuple
    stride: IntOrTuple = 1
    padding: IntOrTuple = 0
    output_padding: IntOrTuple = 0
    dilation: IntOrTuple = 1
    ndim: int = 2

    def __post_init__(self) -> None:
        ndim = check_ndim(self.ndim)
        geom = check_geometry(
            self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation, ndim
        )
        for name, value in zip(
            ("kernel_size", "stride", "padding", "output_padding", "dilation"), geom, strict=True
        ):
            object.__setattr__(self, name, value)

    def output_size(self, input_size: IntOrTuple) -> tuple[int, ...]:
        """Output spatial size for ``input_size`` (int or tuple of length ``ndim``)."""
        n = per_axis("input_size", input_size, self.ndim, minimum=1)
        return output_sizes(
            n, self.kernel_size, self.stride, self.padding, self.output_padding, self.dilation
        )

    @property
    def reach(self) -> tuple[int, ...]:
        """Span of the dilated kernel per axis, ``d*(k-1) + 1``."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel_size, self.dilation, strict=True))

    def to_module(
        self, in_channels: int, out_channels: int, *, bias: bool = True, groups: int = 1
    ) -> torch.nn.Module:
        """Build the matching ``torch.nn.ConvTranspose{ndim}d`` (torch's default init)."""
        in_channels = check_int("in_channels", in_channels, minimum=1)
        out_channels = check_int("out_channels", out_channels, minimum=1)
        groups = check_int("groups", groups, minimum=1)
        bias = check_bool("bias", bias)
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"groups={groups} must divide in_channels={in_channels} and "
                f"out_channels={out_channels}"
            )
        check_elements(  # torch allocates the weight at construction
            "in_channels x out_channels/groups x kernel_size: the weight",
            (in_channels, out_channels // groups, *self.kernel_size),
            MAX_ELEMENTS,
            "use fewer channels",
        )
        return module("ConvTranspose", self.ndim)(
            in_channels,
            out_channels,
            self.kernel_size,
            stride=self.stride,
            padding=self.padding,
            output_padding=self.output_padding,
            dilation=self.dilation,
            groups=groups,
            bias=bias,
        )

    @classmethod
    def from_module(cls, module: torch.nn.Module) -> TransposedConv:
        """Geometry of an existing ``torch.nn.ConvTranspose{1,2,3}d``."""
        ndim = module_ndim(module, "ConvTranspose")
        if ndim is None:
            raise TypeError(
                f"module must be a torch.nn.ConvTranspose1d/2d/3d, got {type(module).__name__}"
            )
        if isinstance(module.padding, str):
            raise ValueError(f"module padding must be numeric, got {module.padding!r}")
        return cls(
            module.kernel_size,
            module.stride,
            module.padding,
            module.output_padding,
            module.dilation,
            ndim=ndim,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ndim": self.ndim,
            "kernel_size": self.kernel_size,
            "stride": self.stride,
            "padding": self.padding,
            "output_padding": self.output_padding,
            "dilation": self.dilation,
        }


def zero_insert(x: Any, stride: IntOrTuple, *, ndim: int | None = None) -> Any:
    """Insert ``stride - 1`` zeros between neighbouring samples along the last axes.

    Parameters
    ----------
    x : numpy.ndarray or torch.Tensor
        Any shape ``(..., n_1, ..., n_ndim)``.
    stride : int or tuple of int
        Per-axis stride ``s >= 1``.
    ndim : int, optional
        How many trailing axes to expand. Default: ``len(stride)`` for a tuple, else every
        axis of ``x``.

    Returns
    -------
    Same type as ``x``, shape ``(..., (n_1-1)*s_1 + 1, ...)``: ``out[..., i*s] = x[..., i]``
    and zeros elsewhere.

    Examples
    --------
    >>> import numpy as np
    >>> zero_insert(np.array([1, 2, 3]), 2)
    array([1, 0, 2, 0, 3])
    """
    import numpy as np

    if not isinstance(x, np.ndarray) and not is_tensor(x):
        raise TypeError(f"x must be a numpy array or torch tensor, got {type(x).__name__}")
    if ndim is None:
        is_seq = isinstance(stride, Sequence) and not isinstance(stride, str)
        ndim = len(stride) if is_seq else x.ndim  # type: ignore[arg-type]
        if is_seq and not 1 <= ndim <= x.ndim:
            raise ValueError(f"stride {stride!r} must have between 1 and x.ndim={x.ndim} entries")
    ndim = check_int("ndim", ndim)
    if not 1 <= ndim <= x.ndim:
        raise ValueError(f"ndim must be between 1 and x.ndim={x.ndim}, got {ndim}")
    s = per_axis("stride", stride, ndim, minimum=1)
    lead = x.shape[: x.ndim - ndim]
    spatial = x.shape[x.ndim - ndim :]
    if min(spatial) < 1:
        raise ValueError(f"x must have at least one sample per expanded axis, got {x.shape}")
    shape = (*lead, *((n - 1) * st + 1 for n, st in zip(spatial, s, strict=True)))
    check_elements("stride: the zero-inserted array", shape, MAX_ELEMENTS, "use a smaller stride")
    index = (Ellipsis, *(slice(None, None, st) for st in s))
    if is_tensor(x):
        out = x.new_zeros(shape)
    else:
        out = np.zeros(shape, dtype=x.dtype)
    out[index] = x
    return out


def conv_transpose_by_zero_insertion(
    x: torch.Tensor,
    weight: torch.Tensor,
    *,
    stride: IntOrTuple = 1,
    padding: IntOrTuple = 0,
    output_padding: IntOrTuple = 0,
    dilation: IntOrTuple = 1,
) -> torch.Tensor:
    """Transposed convolution explained as zero insertion + an ordinary convolution.

    Inserts ``s-1`` zeros between inputs, pads each side by ``d*(k-1) - p`` (the high side
    by ``op`` more; negative padding crops), and correlates with the spatially flipped kernel
    whose in/out channel axes are swapped. The result equals
    ``torch.nn.functional.conv_transpose{1,2,3}d(x, weight, ...)`` exactly in exact
    arithmetic (tested on random configurations, 1-D to 3-D).

    Parameters
    ----------
    x : torch.Tensor, shape ``(N, C_in, *spatial)``
    weight : torch.Tensor, shape ``(C_in, C_out, *kernel)`` (torch's ConvTranspose layout)

    Returns
    -------
    torch.Tensor, shape ``(N, C_out, *output_size(spatial, kernel, ...))``

    Examples
    --------
    >>> import torch
    >>> x, w = torch.randn(1, 2, 5, dtype=torch.float64), torch.randn(2, 3, 4, dtype=torch.float64)
    >>> y = conv_transpose_by_zero_insertion(x, w, stride=2, padding=1)
    >>> torch.allclose(y, torch.nn.functional.conv_transpose1d(x, w, stride=2, padding=1))
    True
    """
    import torch
    import torch.nn.functional as F

    for name, value in (("x", x), ("weight", weight)):
        if not isinstance(value, torch.Tensor):
            raise TypeError(f"{name} must be a torch tensor, got {type(value).__name__}")
        if value.is_complex() or not value.is_floating_point():
            raise TypeError(f"{name} must be a real floating-point tensor, got {value.dtype}")
    if x.dtype != weight.dtype:
        raise TypeError(f"x ({x.dtype}) and weight ({weight.dtype}) must have the same dtype")
    ndim = x.ndim - 2
    if ndim not in (1, 2, 3) or weight.ndim != x.ndim:
        raise ValueError(
            f"x must be (N, C, *spatial) with 1-3 spatial axes and weight (C_in, C_out, *kernel) "
            f"of the same rank; got x {tuple(x.shape)} and weight {tuple(weight.shape)}"
        )
    if weight.shape[0] != x.shape[1]:
        raise ValueError(
            f"weight.shape[0] ({weight.shape[0]}) must equal the input channels x.shape[1] "
            f"({x.shape[1]})"
        )
    k = tuple(weight.shape[2:])
    _, s, p, op, d = check_geometry(k, stride, padding, output_padding, dilation, ndim)
    output_sizes(tuple(x.shape[2:]), k, s, p, op, d)  # torch's errors, before any work
    padded = [(n - 1) * sa + 1 + 2 * da * (ka - 1) for n, sa, da, ka in zip(x.shape[2:], s, d, k)]
    check_elements(
        "stride and dilation: the zero-inserted, padded input",
        (*x.shape[:2], *padded),
        MAX_ELEMENTS,
        "use a smaller stride or dilation",
    )
    up = zero_insert(x, s)
    pad: list[int] = []
    for a in reversed(range(ndim)):  # F.pad lists the last axis first
        edge = d[a] * (k[a] - 1) - p[a]
        pad += [edge, edge + op[a]]
    up = F.pad(up, pad)
    flipped = weight.flip(list(range(2, weight.ndim))).transpose(0, 1)
    return functional("conv", ndim)(up, flipped, dilation=d)
