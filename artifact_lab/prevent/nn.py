"""Transposed convolutions that cannot paint a checkerboard: the weight is h0 ∗ hold_s.

``CheckerboardFreeConvTranspose1d/2d/3d`` are drop-in replacements for
``torch.nn.ConvTranspose1d/2d/3d`` (same constructor, same output shape, ``output_size=``
in ``forward``, groups, dilation, output padding). Their weight is not a free parameter:
it is computed as the full convolution of a free sub-kernel ``h0`` of ``k - s + 1`` taps
per axis with the zero-order hold ``ones(s)`` (Sugawara et al. 2019; Kinoshita & Kiya
2020). Tap ``i`` of ``h0`` then reaches ``s`` consecutive taps of the weight, one on each
output phase, so every phase gain of every channel pair equals ``sum(h0)``: the closed-form
checkerboard score is 0 at initialisation and after any number of optimiser steps.

Seen as a signal path, ``conv_transpose(x, h0 ∗ hold)`` is ``conv_transpose(nearest(x), h0)``
with stride 1 (the hold repeats each input sample ``s`` times: nearest-neighbour upsampling),
so the layer is resize-convolution (nearest, then a ``k - s + 1``-tap kernel) inside a
ConvTranspose's interface: same arguments, same output shape and alignment, and a learned
weight can be projected onto it.

The rule, per axis: the stride must divide the phases among the taps, which needs
``k >= s`` (every phase gets a tap) and ``gcd(d, s) == 1`` (dilation does not skip phases;
with ``gcd(d, s) > 1`` some phases get no tap at all, so no kernel of that geometry is
artifact-free). Other geometries are refused with a ``ValueError`` naming the rule.

What the constraint costs
-------------------------
- Degrees of freedom: ``prod(k - s + 1)`` free taps per channel pair instead of
  ``prod(k)`` (k=4, s=2: 3 of 4 per axis, 9 of 16 in 2-D; k=8, s=4: 5 of 8, 25 of 64).
- Frequency response: the weight's response is ``H0(f) * prod_a Hold(f_a)`` with
  ``|Hold(f)| = |sin(pi s d f) / (s sin(pi d f))|`` (normalised to 1 at f = 0, ``f`` in
  cycles per output sample, see :func:`hold_response`). It has zeros at every non-zero
  stride harmonic ``m/s`` (that is what removes the checkerboard) and it attenuates the top
  of the band the layer creates: at ``f = 1/(2s)`` it passes 0.707 (s=2), 0.667 (s=3),
  0.653 (s=4) of the amplitude, which ``h0`` has to make up for.
- In 1-D the family is exactly the set of kernels with equal phase gains (a kernel has
  equal gains iff its polynomial is divisible by ``1 + z + ... + z^(s-1)``). In N-d it is
  the kernels that are clean *along each axis separately* (equal gains for any input that
  is constant along one axis: edges, stripes), a subset of those with equal N-d phase gains
  (``prod(k - s + 1)`` against ``prod(k) - prod(s) + 1`` dimensions). ICNR, bilinear and
  hold-smoothed kernels all belong to it.

References
----------
Sugawara, Shiota, Kiya, "Checkerboard artifacts free convolutional neural networks",
APSIPA Transactions on Signal and Information Processing 8, 2019. doi:10.1017/ATSIP.2019.2
Kinoshita, Kiya, "Fixed smooth convolutional layer for avoiding checkerboard artifacts in
CNNs", ICASSP 2020. doi:10.1109/ICASSP40776.2020.9054096
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import (
    MAX_DENSE_WORK,
    MAX_ELEMENTS,
    IntOrTuple,
    as_real_array,
    check_bool,
    check_elements,
    check_int,
    check_ndim,
    check_tensor,
    int_values,
    per_axis,
)
from .._util.numeric import pow2_exponent

__all__ = [
    "CheckerboardFreeConvTranspose1d",
    "CheckerboardFreeConvTranspose2d",
    "CheckerboardFreeConvTranspose3d",
    "Fit",
    "check_geometry",
    "constrained_replacement",
    "constraint_cost",
    "from_module",
    "hold_compose",
    "hold_fit",
    "hold_response",
]

_CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def check_geometry(
    kernel_size: IntOrTuple, stride: IntOrTuple, dilation: IntOrTuple = 1, *, ndim: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Check that a geometry admits an artifact-free h0 ∗ hold kernel; return it per axis.

    Raises
    ------
    ValueError
        Where ``k < s`` or ``gcd(d, s) > 1`` on some axis, naming the axis and the rule.

    Examples
    --------
    >>> check_geometry(4, 2, ndim=2)
    ((4, 4), (2, 2), (1, 1))
    >>> check_geometry(3, 2, 2, ndim=1)
    Traceback (most recent call last):
    ...
    ValueError: dilation=2 and stride=2 share the factor 2 on axis 0: ...
    """
    ndim = check_ndim(ndim)
    k = per_axis("kernel_size", kernel_size, ndim, minimum=1)
    s = per_axis("stride", stride, ndim, minimum=1)
    d = per_axis("dilation", dilation, ndim, minimum=1)
    for a in range(ndim):
        if math.gcd(d[a], s[a]) > 1:
            raise ValueError(
                f"dilation={d[a]} and stride={s[a]} share the factor {math.gcd(d[a], s[a])} "
                f"on axis {a}: some output phases get no tap at all (holes), so no kernel of "
                "this geometry is artifact-free; the rule is gcd(dilation, stride) == 1"
            )
        if k[a] < s[a]:
            raise ValueError(
                f"kernel_size={k[a]} is smaller than stride={s[a]} on axis {a}: some output "
                "phases get no tap, so no kernel of this geometry is artifact-free; the rule "
                "is kernel_size >= stride"
            )
    return k, s, d


def hold_compose(h0: torch.Tensor, stride: IntOrTuple, *, ndim: int) -> torch.Tensor:
    """The weight ``h0 ∗ ones(s)`` per axis (full convolution), differentiable.

    Parameters
    ----------
    h0 : torch.Tensor, shape ``(..., k_1 - s_1 + 1, ..., k_ndim - s_ndim + 1)``
    stride : int or tuple of int

    Returns
    -------
    torch.Tensor, shape ``(..., k_1, ..., k_ndim)``

    Examples
    --------
    >>> hold_compose(torch.tensor([1.0, 2.0, 3.0]), 2, ndim=1)
    tensor([1., 3., 5., 3.])
    """
    ndim = check_ndim(ndim)
    check_tensor("h0", h0, min_ndim=ndim, shape="(..., *taps)")
    s = per_axis("stride", stride, ndim, minimum=1)
    lead, taps = h0.shape[: h0.ndim - ndim], h0.shape[h0.ndim - ndim :]
    out = (*lead, *(t + sa - 1 for t, sa in zip(taps, s)))
    check_elements("stride: the composed weight", out, MAX_ELEMENTS, "use a smaller stride")
    flat = h0.reshape(-1, 1, *taps)
    box = torch.ones((1, 1, *s), dtype=h0.dtype, device=h0.device)
    return _CONV_T[ndim](flat, box).reshape(*lead, *(t + sa - 1 for t, sa in zip(taps, s)))


def _fit_matrices(k: tuple[int, ...], s: tuple[int, ...]) -> list[np.ndarray]:
    """Per axis, the least-squares inverse ``pinv(A)`` of ``A h0 = h0 ∗ ones(s)``."""
    out = []
    for ka, sa in zip(k, s):
        k0 = ka - sa + 1
        a = np.zeros((ka, k0))
        for i in range(k0):
            a[i : i + sa, i] = 1.0
        out.append(np.linalg.pinv(a))
    return out


def hold_fit(weight: Any, stride: IntOrTuple, *, ndim: int) -> np.ndarray:
    """The least-squares ``h0``: the one whose ``h0 ∗ hold`` is closest to ``weight``.

    ``A = A_1 ⊗ ... ⊗ A_ndim`` (one Toeplitz matrix of ones per axis) has full column rank,
    and the pseudo-inverse of a Kronecker product is the product of the pseudo-inverses, so
    the fit applies ``pinv(A_a)`` along each spatial axis in turn. Exact (to rounding) for a
    weight already of the form ``h0 ∗ hold``.

    Parameters
    ----------
    weight : array_like or torch.Tensor, shape ``(..., k_1, ..., k_ndim)``
    stride : int or tuple of int
        ``k_a >= s_a`` on every axis.

    Returns
    -------
    numpy.ndarray (float64), shape ``(..., k_1 - s_1 + 1, ...)``

    Examples
    --------
    >>> hold_fit([1.0, 3.0, 5.0, 3.0], 2, ndim=1).round(12)
    array([1., 2., 3.])
    """
    from ..core.scores import as_kernel

    w = as_kernel(weight, ndim=check_ndim(ndim), name="weight")
    k = w.shape[w.ndim - ndim :]
    s = per_axis("stride", stride, ndim, minimum=1)
    try:
        check_geometry(k, s, ndim=ndim)
    except ValueError as exc:  # the user passed a weight, not a kernel_size: say so
        raise ValueError(f"weight of kernel size {tuple(k)} at stride={s}: {exc}") from None
    for a, (ka, sa) in enumerate(zip(k, s)):
        work = ka * (ka - sa + 1) * min(ka, ka - sa + 1)
        if work > MAX_DENSE_WORK:
            raise ValueError(
                f"weight of kernel size {tuple(k)}: the fit's pseudo-inverse on axis {a} "
                f"({ka} x {ka - sa + 1}) needs about {work:,} multiply-adds, more than the limit "
                f"of {MAX_DENSE_WORK:,}; fit a kernel of at most "
                f"{int(MAX_DENSE_WORK ** (1 / 3))} taps per axis"
            )
    first = w.ndim - ndim
    for a, pinv in enumerate(_fit_matrices(k, s)):
        w = np.moveaxis(np.tensordot(w, pinv, axes=([first + a], [1])), -1, first + a)
    return w


def hold_response(
    frequency: Any, stride: int, dilation: int = 1, *, normalized: bool = True
) -> np.ndarray:
    """Amplitude response ``|sum_m exp(-2 pi i f d m)|`` of the hold ``ones(s)`` at dilation d.

    ``frequency`` in cycles per output sample. Zero at every non-zero stride harmonic
    ``m/s`` when ``gcd(d, s) == 1``. ``normalized`` divides by ``s`` (1 at ``f = 0``).

    Examples
    --------
    >>> hold_response([0, 0.25, 0.5], 2).round(3)       # s=2: band edge 1/4, harmonic 1/2
    array([1.   , 0.707, 0.   ])
    """
    s = check_int("stride", stride, minimum=1)
    d = check_int("dilation", dilation, minimum=1)
    f = as_real_array("frequency", frequency, min_ndim=0)
    normalized = check_bool("normalized", normalized)
    check_elements(
        "stride: the hold's taps at every frequency",
        (f.size, s),
        MAX_ELEMENTS,
        "use a smaller stride or fewer frequencies",
    )
    phases = np.exp(-2j * np.pi * np.multiply.outer(f, d * np.arange(s)))
    amp = np.abs(phases.sum(axis=-1))
    return amp / s if normalized else amp


def constraint_cost(
    kernel_sizes: Any = (4, 6, 8), strides: Any = (2, 3, 4), *, ndim: int = 2
) -> Any:
    """What the constraint takes away, per (kernel size, stride) with ``k >= s``.

    Columns: ``kernel_size``, ``stride``; ``free taps`` (``(k - s + 1)^ndim``, the size of
    ``h0``) against ``taps`` (``k^ndim``) and ``clean taps`` (``k^ndim - s^ndim + 1``, the
    dimension of all kernels with equal phase gains, of which the hold family is a subset in
    N-d and all in 1-D); ``kept`` (free / taps); ``band-edge gain``, the hold's amplitude at
    ``f = 1/(2s)`` on one axis (the top of the band the layer creates), which ``h0`` must
    make up for.

    Examples
    --------
    >>> print(constraint_cost((4, 8), (2, 4)).round(3).to_string(index=False))
     kernel_size  stride  free taps  taps  clean taps  kept  band-edge gain
               4       2          9    16          13 0.562           0.707
               8       2         49    64          61 0.766           0.707
               4       4          1    16           1 0.062           0.653
               8       4         25    64          49 0.391           0.653
    """
    import pandas as pd

    ndim = check_ndim(ndim)
    kernel_sizes = int_values("kernel_sizes", kernel_sizes, minimum=1)
    rows = []
    for s in int_values("strides", strides, minimum=1):
        for k in kernel_sizes:
            if k < s:
                continue
            rows.append(
                {
                    "kernel_size": k,
                    "stride": s,
                    "free taps": (k - s + 1) ** ndim,
                    "taps": k**ndim,
                    "clean taps": k**ndim - s**ndim + 1,
                    "kept": (k - s + 1) ** ndim / k**ndim,
                    "band-edge gain": float(hold_response(1 / (2 * s), s)),
                }
            )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Fit:
    """How far the closest clean layer is from the layer it was fitted to.

    Attributes
    ----------
    distance : float
        Frobenius norm ``||W - h0 ∗ hold||`` over the whole weight tensor.
    relative_distance : float
        ``distance / ||W||`` (0 for an all-zero weight): 0 for a layer already clean.
    checkerboard_score_before : float
        The original layer's closed-form aggregate score, as ``weight_scores`` (with its
        groups); the fitted layer scores 0, per channel pair as well.
    """

    distance: float
    relative_distance: float
    checkerboard_score_before: float


def _check_layer_args(args: dict[str, Any], s, d, nd: int, cls: str) -> None:
    """torch's rules for a ConvTranspose's other arguments, checked before anything is built
    (``args`` is updated with the checked values)."""
    from ..backend import select_device

    for name in ("in_channels", "out_channels", "groups"):
        args[name] = check_int(name, args[name], minimum=1)
    for name in ("in_channels", "out_channels"):
        if args[name] % args["groups"]:
            raise ValueError(f"groups={args['groups']} must divide {name}={args[name]}")
    args["padding"] = per_axis("padding", args["padding"], nd, minimum=0)
    op = args["output_padding"] = per_axis("output_padding", args["output_padding"], nd, minimum=0)
    for a in range(nd):
        if op[a] >= max(s[a], d[a]):
            raise ValueError(
                f"output_padding={op[a]} on axis {a} must be smaller than the stride ({s[a]}) "
                f"or the dilation ({d[a]}) (torch's rule)"
            )
    args["bias"] = check_bool("bias", args["bias"])
    if args["padding_mode"] != "zeros":
        raise ValueError(f"padding_mode must be 'zeros' for {cls}, got {args['padding_mode']!r}")
    if args["device"] is not None:
        args["device"] = select_device(args["device"])
    dtype = args["dtype"]
    if dtype is not None and (not isinstance(dtype, torch.dtype) or not dtype.is_floating_point):
        raise TypeError(f"dtype must be a floating torch.dtype or None, got {dtype!r}")


class _HoldFactored:
    """Shared machinery: ``h0`` is the parameter, ``weight`` is computed from it."""

    _ndim: int
    h0: nn.Parameter

    def _setup(self, base: type, args: dict[str, Any]) -> None:
        nd = self._ndim
        k, s, d = check_geometry(args["kernel_size"], args["stride"], args["dilation"], ndim=nd)
        _check_layer_args(args, s, d, nd, type(self).__name__)
        # torch allocates the (in, out/groups, *k) weight in its __init__: checked first
        check_elements(
            "in_channels x out_channels/groups x kernel_size: the weight",
            (args["in_channels"], args["out_channels"] // args["groups"], *k),
            MAX_ELEMENTS,
            "use a smaller kernel_size or fewer channels",
        )
        base.__init__(self, **args)
        del self._parameters["weight"]
        shape = (
            self.in_channels,
            self.out_channels // self.groups,
            *(a - b + 1 for a, b in zip(k, s)),
        )
        factory = {"device": args.get("device"), "dtype": args.get("dtype")}
        self.h0 = nn.Parameter(torch.empty(shape, **factory))
        self.fit: Fit | None = None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's default init, scaled so the output variance on white noise matches it.

        ``h0`` is drawn from ``U(-b', b')`` with ``b' = b sqrt(prod(k) / (prod(s) prod(k-s+1)))``
        where ``b = 1/sqrt(fan_in)`` is the bound of ``ConvTranspose``'s default
        ``kaiming_uniform_(a=sqrt(5))``; the bias is drawn as torch draws it.
        """
        if "h0" not in self._parameters:  # called by torch's __init__ before h0 exists
            return super().reset_parameters()
        k, s = self.kernel_size, self.stride
        fan_in = (self.out_channels // self.groups) * math.prod(k)
        bound = 1 / math.sqrt(fan_in)
        scale = math.sqrt(math.prod(k) / (math.prod(s) * math.prod(self.h0.shape[2:])))
        with torch.no_grad():
            nn.init.uniform_(self.h0, -bound * scale, bound * scale)
            if self.bias is not None:
                nn.init.uniform_(self.bias, -bound, bound)

    def __getattr__(self, name: str) -> Any:
        if name == "weight" and "h0" in self.__dict__.get("_parameters", {}):
            return hold_compose(self._parameters["h0"], self.stride, ndim=self._ndim)
        return super().__getattr__(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "weight" and "h0" in self.__dict__.get("_parameters", {}):
            raise AttributeError(
                f"the weight of {type(self).__name__} is computed as h0 ∗ hold; set h0, or "
                "call fit_(weight) to load the closest clean weight"
            )
        super().__setattr__(name, value)

    @torch.no_grad()
    def fit_(self, weight: Any) -> Fit:
        """Set ``h0`` to the least-squares fit of ``weight``; report the distance.

        Parameters
        ----------
        weight : torch.Tensor or array_like, the shape of ``self.weight``

        Returns
        -------
        Fit
            Also kept as ``self.fit``.

        Raises
        ------
        ValueError
            A weight of another shape, or with NaN or infinite values.

        Examples
        --------
        >>> layer = CheckerboardFreeConvTranspose1d(1, 1, 3, stride=2)
        >>> fit = layer.fit_(torch.tensor([[[1.0, 3.0, 2.0]]]))   # h0 ∗ hold = [a, a+b, b]
        >>> layer.h0.detach().flatten().tolist(), round(fit.relative_distance, 3)
        ([1.0, 2.0], 0.0)
        """
        from ..core.scores import as_kernel
        from .losses import layer_scores

        target = torch.from_numpy(as_kernel(weight, ndim=self._ndim, name="weight"))
        expected = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        if tuple(target.shape) != expected:
            raise ValueError(f"weight must have shape {expected}, got {tuple(target.shape)}")
        # the fit is linear: computed on the weight scaled to at most 1 (a power of two,
        # exact), so that norms of 1e-200 or 1e200 weights neither underflow nor overflow
        peak = math.ldexp(1.0, int(pow2_exponent(float(target.abs().max()))))
        h0 = torch.from_numpy(hold_fit(target / peak, self.stride, ndim=self._ndim))
        clean = hold_compose(h0, self.stride, ndim=self._ndim)
        dist = float(torch.linalg.vector_norm(target / peak - clean))
        norm = float(torch.linalg.vector_norm(target / peak))
        before = layer_scores(target, self.stride, self.dilation, groups=self.groups)
        self.h0.copy_((h0 * peak).to(self.h0))
        self.fit = Fit(dist * peak, dist / norm if norm > 0 else 0.0, float(before[0]))
        return self.fit

    def extra_repr(self) -> str:
        return super().extra_repr() + f", h0 taps={tuple(self.h0.shape[2:])}"

    @classmethod
    def from_module(cls, layer: nn.Module) -> nn.Module:
        """The closest clean layer to ``layer`` (see :func:`from_module`)."""
        return from_module(layer)


class CheckerboardFreeConvTranspose1d(_HoldFactored, nn.ConvTranspose1d):
    """``nn.ConvTranspose1d`` whose weight is ``h0 ∗ ones(s)``: checkerboard-free at every step.

    Same arguments as ``torch.nn.ConvTranspose1d``; the geometry must satisfy
    ``kernel_size >= stride`` and ``gcd(dilation, stride) == 1`` (:func:`check_geometry`).
    The free parameter is ``h0`` of shape ``(in, out/groups, k - s + 1)``; ``weight`` is
    computed from it on access (read-only: use :meth:`fit_` to load a weight).

    Shape:
        ``L_out = (L_in - 1) s - 2 p + d (k - 1) + op + 1``, as torch's.

    Examples
    --------
    >>> from artifact_lab.prevent.losses import checkerboard_penalty
    >>> layer = CheckerboardFreeConvTranspose1d(2, 3, 4, stride=2, padding=1)
    >>> layer(torch.zeros(1, 2, 5)).shape
    torch.Size([1, 3, 10])
    >>> checkerboard_penalty(layer).item() < 1e-12
    True
    """

    _ndim = 1

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrTuple = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        self._setup(nn.ConvTranspose1d, _args(locals()))


class CheckerboardFreeConvTranspose2d(_HoldFactored, nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` whose weight is ``h0 ∗ ones(s)`` per axis.

    See :class:`CheckerboardFreeConvTranspose1d`; ``h0`` has shape
    ``(in, out/groups, kh - sh + 1, kw - sw + 1)``.

    Examples
    --------
    >>> import artifact_lab as al
    >>> layer = CheckerboardFreeConvTranspose2d(4, 4, 4, stride=2, padding=1)
    >>> layer(torch.zeros(1, 4, 8, 8)).shape, tuple(layer.h0.shape)
    (torch.Size([1, 4, 16, 16]), (4, 4, 3, 3))
    >>> al.weight_scores(layer.weight, 2).checkerboard_score < 1e-12
    True
    """

    _ndim = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrTuple = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        self._setup(nn.ConvTranspose2d, _args(locals()))


class CheckerboardFreeConvTranspose3d(_HoldFactored, nn.ConvTranspose3d):
    """``nn.ConvTranspose3d`` whose weight is ``h0 ∗ ones(s)`` per axis.

    See :class:`CheckerboardFreeConvTranspose1d`.

    Examples
    --------
    >>> CheckerboardFreeConvTranspose3d(1, 1, 3, stride=2)(torch.zeros(1, 1, 2, 2, 2)).shape
    torch.Size([1, 1, 5, 5, 5])
    """

    _ndim = 3

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOrTuple,
        stride: IntOrTuple = 1,
        padding: IntOrTuple = 0,
        output_padding: IntOrTuple = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: IntOrTuple = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        self._setup(nn.ConvTranspose3d, _args(locals()))


def _args(scope: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in scope.items() if k not in ("self", "__class__")}


CONSTRAINED_CLASSES = {
    1: CheckerboardFreeConvTranspose1d,
    2: CheckerboardFreeConvTranspose2d,
    3: CheckerboardFreeConvTranspose3d,
}
_TORCH = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


def from_module(layer: nn.Module) -> nn.Module:
    """The closest clean layer: same geometry, ``h0`` fitted to ``layer.weight`` by least squares.

    Parameters
    ----------
    layer : torch.nn.ConvTranspose1d, ConvTranspose2d or ConvTranspose3d
        Any of them (or a constrained layer, copied as it is). Its geometry must satisfy
        :func:`check_geometry`.

    Returns
    -------
    CheckerboardFreeConvTranspose1d/2d/3d
        On the layer's device and dtype, in its training mode, with the same bias. Its
        ``fit`` attribute (:class:`Fit`) reports the distance from the original weight: 0 (to
        rounding) when the layer was already of the form ``h0 ∗ hold`` (every clean 1-D layer;
        ICNR, bilinear and hold-smoothed layers in N-d), in which case the new layer computes
        the same outputs.

    Raises
    ------
    TypeError
        ``layer`` is not a ConvTranspose.
    ValueError
        The geometry has ``k < s`` or ``gcd(d, s) > 1`` on some axis.

    Examples
    --------
    >>> from artifact_lab.core.kernels import bilinear
    >>> up = nn.ConvTranspose2d(1, 1, 4, stride=2, padding=1, bias=False)
    >>> with torch.no_grad():
    ...     _ = up.weight.copy_(torch.from_numpy(bilinear(2))[None, None])
    >>> clean = from_module(up)                     # bilinear is already clean: kept
    >>> round(clean.fit.relative_distance, 12), type(clean).__name__
    (0.0, 'CheckerboardFreeConvTranspose2d')
    """
    return _from_module(layer, "layer")


def _from_module(layer: nn.Module, name: str) -> nn.Module:
    nd = next((n for n, cls in _TORCH.items() if isinstance(layer, cls)), None)
    if nd is None:
        raise TypeError(
            f"{name} must be a torch.nn.ConvTranspose1d, 2d or 3d, got {type(layer).__name__}"
        )
    if layer.weight.device.type == "meta":
        raise ValueError(f"{name} is on the meta device: its weight holds no values to fit")
    try:
        check_geometry(layer.kernel_size, layer.stride, layer.dilation, ndim=nd)
    except ValueError as exc:
        raise ValueError(f"{name} cannot be made clean: {exc}") from None
    w = layer.weight.detach()
    new = CONSTRAINED_CLASSES[nd](
        layer.in_channels,
        layer.out_channels,
        layer.kernel_size,
        stride=layer.stride,
        padding=layer.padding,
        output_padding=layer.output_padding,
        groups=layer.groups,
        bias=layer.bias is not None,
        dilation=layer.dilation,
        padding_mode=layer.padding_mode,
        device=w.device,
        dtype=w.dtype,
    )
    with torch.no_grad():
        if isinstance(layer, _HoldFactored):
            new.h0.copy_(layer.h0)
            new.fit = Fit(0.0, 0.0, 0.0)
        else:
            new.fit_(w)
        if layer.bias is not None:
            new.bias.copy_(layer.bias)
    return new.train(layer.training)


def constrained_replacement(module: nn.Module) -> nn.Module:
    """What ``fix(..., strategy="constrained")`` puts in place of a ConvTranspose.

    The closest clean layer of :func:`from_module`: the same geometry, so the same output
    shape, and the learned weight kept as far as the constraint allows.

    Examples
    --------
    >>> constrained_replacement(nn.ConvTranspose1d(2, 2, 3, stride=2)).h0.shape
    torch.Size([2, 2, 2])
    """
    return _from_module(module, "module")
