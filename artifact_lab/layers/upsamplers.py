"""Upsamplers under one interface: transposed, resize-convolution and sub-pixel convolution.

Every upsampler is a ``torch.nn.Module`` mapping ``(N, C, *n)`` to ``(N, C, *(n*factor))``
for odd and even ``n`` alike, with ``name``, ``factor`` and ``ndim`` attributes and
:meth:`Upsampler.effective_kernel`, the exact transposed-convolution kernel of its linear
part (probed with impulses, so it holds for any of them), from which the closed-form scores
follow. Construction is seeded and deterministic.

References
----------
Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.
Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
Convolutional Neural Network", CVPR 2016.
Aitken et al., "Checkerboard artifact free sub-pixel convolution", arXiv:1707.02937, 2017.
Sugawara et al., "Checkerboard artifacts free convolutional neural networks", APSIPA 2019.
"""

from __future__ import annotations

import copy
import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import (
    MAX_ELEMENTS,
    check_bool,
    check_choice,
    check_elements,
    check_int,
    check_ndim,
)
from ..core.calculator import times_stride_padding
from ..core.kernels import bilinear, default_weight, hold, icnr
from ..core.scores import WeightScores, weight_scores
from .shuffle import pixel_shuffle

__all__ = [
    "ResizeConv",
    "SubPixelConv",
    "TransposedUpsampler",
    "Upsampler",
    "make_upsampler",
    "standard_upsamplers",
]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
_MODES = {
    "nearest": "nearest",
    "bilinear": {1: "linear", 2: "bilinear", 3: "trilinear"},
    "bicubic": {2: "bicubic"},
}


class Upsampler(nn.Module):
    """Base class: ``name``, ``factor``, ``ndim``, ``channels``; :meth:`effective_kernel`."""

    name: str = "upsampler"

    def __init__(self, channels: int, factor: int, ndim: int, seed: int = 0) -> None:
        super().__init__()
        self.channels = check_int("channels", channels, minimum=1)
        self.factor = check_int("factor", factor, minimum=1)
        self.ndim = check_ndim(ndim)
        check_int("seed", seed, minimum=0)

    def _check_weight(self, *shape: int) -> None:
        """Refuse, before torch allocates it, a weight beyond ``MAX_ELEMENTS``."""
        check_elements(
            "channels, factor and kernel_size: the weight",
            shape,
            MAX_ELEMENTS,
            "use fewer channels, a smaller factor or a smaller kernel_size",
        )

    def output_size(self, input_size: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(n * self.factor for n in input_size)

    @torch.no_grad()
    def effective_kernel(self, *, reach: int = 6) -> np.ndarray:
        """The linear part as a transposed-convolution weight ``(C_in, C_out, *k)``.

        Probes the module with a unit impulse in each input channel at the centre of an
        input of ``2*reach + 9`` samples and reads ``k = (2*reach + 1) * factor`` outputs per
        axis, starting at a multiple of the stride, so output phases are preserved: the
        result is the kernel of an equivalent ``conv_transpose`` with padding
        ``reach*factor``. Any bias is removed by subtracting the response to zeros. Exact
        for every linear upsampler whose impulse response fits in ``reach`` input samples.
        """
        reach = check_int("reach", reach, minimum=1)
        n = 2 * reach + 9
        centre = n // 2
        param = next(self.parameters(), None)
        dtype = torch.float64
        device = param.device if param is not None else torch.device("cpu")
        module = copy.deepcopy(self).to(dtype).eval()  # the caller's module stays as it is
        zero = module(
            torch.zeros((1, self.channels, *(n,) * self.ndim), dtype=dtype, device=device)
        )
        x = torch.zeros(
            (self.channels, self.channels, *(n,) * self.ndim), dtype=dtype, device=device
        )
        for c in range(self.channels):
            x[(c, c, *(centre,) * self.ndim)] = 1.0
        y = module(x) - zero
        start = (centre - reach) * self.factor
        size = (2 * reach + 1) * self.factor
        index = (slice(None), slice(None), *(slice(start, start + size),) * self.ndim)
        return y[index].cpu().numpy()

    def scores(self) -> WeightScores:
        """Closed-form scores of the effective kernel (per channel pair and aggregated)."""
        return weight_scores(self.effective_kernel(), self.factor, ndim=self.ndim)


def _odd_kernel(kernel_size: int) -> int:
    k = check_int("kernel_size", kernel_size, minimum=1)
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd for 'same' padding, got {k}")
    return k


class TransposedUpsampler(Upsampler):
    """Transposed convolution with stride ``factor``, padded to give exactly ``n*factor``.

    ``init``: ``"default"`` (torch's), ``"normal"`` (N(0, 1/fan)), ``"bilinear"`` or
    ``"hold"`` (the artifact-free fixes: per-channel bilinear / nearest kernel on the channel
    diagonal, so the layer starts as exact interpolation; ``kernel_size`` must be ``2s - s%2``
    or ``s`` respectively).
    """

    def __init__(
        self,
        channels: int = 1,
        factor: int = 2,
        kernel_size: int = 4,
        *,
        init: str = "default",
        ndim: int = 2,
        seed: int = 0,
        bias: bool = True,
    ) -> None:
        super().__init__(channels, factor, ndim, seed)
        k = check_int("kernel_size", kernel_size, minimum=1)
        bias = check_bool("bias", bias)
        check_choice("init", init, ("default", "normal", "bilinear", "hold"))
        self._check_weight(channels, channels, *(k,) * self.ndim)
        p, op = times_stride_padding(k, self.factor)
        self.conv = _CONV_T[self.ndim](
            channels, channels, k, stride=self.factor, padding=p, output_padding=op, bias=bias
        )
        if init == "default":
            w = default_weight(channels, channels, k, ndim=self.ndim, seed=seed)
        elif init == "normal":
            gen = torch.Generator().manual_seed(seed)
            w = torch.randn(self.conv.weight.shape, generator=gen) / math.sqrt(channels * k**ndim)
        else:  # "bilinear" or "hold" (check_choice above refuses anything else)
            kern = (
                bilinear(self.factor, ndim=self.ndim)
                if init == "bilinear"
                else hold(self.factor, ndim=self.ndim)
            )
            if kern.shape[0] != k:
                raise ValueError(
                    f"init={init!r} at factor {self.factor} needs kernel_size="
                    f"{kern.shape[0]}, got {k}"
                )
            w = torch.zeros(self.conv.weight.shape)
            for c in range(channels):
                w[c, c] = torch.from_numpy(kern)
        with torch.no_grad():
            self.conv.weight.copy_(w)
            if bias:
                self.conv.bias.zero_()
        self.kernel_size, self.init = k, init
        self.name = f"transposed k={k} ({init})"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class ResizeConv(Upsampler):
    """Interpolation (``nearest``, ``bilinear`` or ``bicubic``) followed by a convolution
    with "same" padding (Odena et al. 2016)."""

    def __init__(
        self,
        channels: int = 1,
        factor: int = 2,
        mode: str = "nearest",
        kernel_size: int = 3,
        *,
        ndim: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__(channels, factor, ndim, seed)
        k = _odd_kernel(kernel_size)
        modes = _MODES[check_choice("mode", mode, tuple(_MODES))]
        self.mode = modes if isinstance(modes, str) else modes.get(self.ndim)
        if self.mode is None:
            raise ValueError(f"mode {mode!r} is not available in {self.ndim}-D")
        self._check_weight(channels, channels, *(k,) * self.ndim)
        self.conv = _CONV[self.ndim](
            channels, channels, k, padding=k // 2, padding_mode="replicate"
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.conv.reset_parameters()
            nn.init.zeros_(self.conv.bias)
        self.name = f"resize-conv {mode}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if (
            self.mode != "nearest"
            and x.is_cuda
            and x.requires_grad
            and torch.are_deterministic_algorithms_enabled()
        ):
            # CUDA has no deterministic backward for linear interpolation: the same map as
            # per-axis matrix products, whose backward is deterministic
            return self.conv(_interpolate_by_matrices(x, self.factor, self.mode, self.ndim))
        kwargs = {} if self.mode == "nearest" else {"align_corners": False}
        up = F.interpolate(x, scale_factor=self.factor, mode=self.mode, **kwargs)
        return self.conv(up)


def _axis_matrix(n: int, factor: int, mode: str) -> torch.Tensor:
    """``(n*factor, n)`` matrix of one axis of ``F.interpolate`` (align_corners=False).

    Linear, bilinear, trilinear and bicubic interpolation are separable: each axis is the
    1-D interpolation of that axis, read off by interpolating the unit vectors.
    """
    eye = torch.eye(n, dtype=torch.float64)
    if mode == "bicubic":  # no 1-D cubic mode: a 2-D image whose other axis is 1 wide
        cols = F.interpolate(
            eye[:, None, :, None], scale_factor=(factor, 1), mode="bicubic", align_corners=False
        )[:, 0, :, 0]
    else:
        cols = F.interpolate(
            eye[:, None, :], scale_factor=factor, mode="linear", align_corners=False
        )[:, 0, :]
    return cols.T.contiguous()


@functools.lru_cache(maxsize=32)
def _axis_matrix_t(n: int, factor: int, mode: str, device, dtype) -> torch.Tensor:
    """:func:`_axis_matrix` on ``device`` in ``dtype``, built once per key (only read).

    Built outside inference mode: an inference tensor could not be saved for a later
    backward pass.
    """
    with torch.inference_mode(False):
        return _axis_matrix(n, factor, mode).to(device, dtype)


def _interpolate_by_matrices(x: torch.Tensor, factor: int, mode: str, ndim: int) -> torch.Tensor:
    """``F.interpolate(x, scale_factor=factor, mode=mode)`` as one matrix product per axis."""
    for a in range(ndim):
        axis = x.ndim - ndim + a
        m = _axis_matrix_t(x.shape[axis], factor, mode, x.device, x.dtype)
        x = torch.movedim(torch.tensordot(x, m, dims=([axis], [1])), -1, axis)
    return x


class SubPixelConv(Upsampler):
    """Convolution to ``C * factor**ndim`` channels, then pixel shuffle (Shi et al. 2016).

    ``icnr=True`` initialises with ICNR (Aitken et al. 2017); ``blur=True`` adds the
    replicate-pad + average-pool blur that removes what checkerboard remains after training.
    """

    def __init__(
        self,
        channels: int = 1,
        factor: int = 2,
        kernel_size: int = 3,
        *,
        icnr: bool = False,
        blur: bool = False,
        ndim: int = 2,
        seed: int = 0,
    ) -> None:
        super().__init__(channels, factor, ndim, seed)
        k = _odd_kernel(kernel_size)
        icnr, blur = check_bool("icnr", icnr), check_bool("blur", blur)
        blocks = self.factor**self.ndim
        self._check_weight(channels * blocks, channels, *(k,) * self.ndim)
        self.conv = _CONV[self.ndim](
            channels, channels * blocks, k, padding=k // 2, padding_mode="replicate"
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.conv.reset_parameters()
        with torch.no_grad():
            if icnr:
                self.conv.weight.copy_(_icnr_weight(channels, k, self.factor, self.ndim, seed))
            self.conv.bias.zero_()
        self.blur = blur
        self.name = "sub-pixel" + (" ICNR" if icnr else "") + (" + blur" if blur else "")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = pixel_shuffle(self.conv(x), self.factor, ndim=self.ndim)
        if self.blur:
            pad = [1, 0] * self.ndim
            y = F.pad(y, pad, mode="replicate")
            pool = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}[self.ndim]
            y = pool(y, 2, stride=1)
        return y


def _icnr_weight(channels: int, k: int, factor: int, ndim: int, seed: int) -> torch.Tensor:
    return icnr(channels, channels, k, factor, ndim=ndim, seed=seed)


def make_upsampler(
    name: str, factor: int = 2, channels: int = 1, *, ndim: int = 2, seed: int = 0
) -> Upsampler:
    """One of the standard upsamplers by name (see :func:`standard_upsamplers`)."""
    table = recipes(factor)
    check_choice("name", name, sorted(table))
    cls, kwargs = table[name]
    return cls(channels, factor, **kwargs, ndim=ndim, seed=seed)


def recipes(factor: int) -> dict[str, tuple[type, dict]]:
    s = check_int("factor", factor, minimum=1)
    return {
        f"transposed k={2 * s - 1}": (TransposedUpsampler, {"kernel_size": max(2 * s - 1, 1)}),
        f"transposed k={2 * s}": (TransposedUpsampler, {"kernel_size": 2 * s}),
        f"transposed k={2 * s - s % 2} bilinear init": (
            TransposedUpsampler,
            {"kernel_size": 2 * s - s % 2, "init": "bilinear"},
        ),
        f"transposed k={s} hold init": (TransposedUpsampler, {"kernel_size": s, "init": "hold"}),
        "resize-conv nearest": (ResizeConv, {"mode": "nearest"}),
        "resize-conv bilinear": (ResizeConv, {"mode": "bilinear"}),
        "resize-conv bicubic": (ResizeConv, {"mode": "bicubic"}),
        "sub-pixel": (SubPixelConv, {}),
        "sub-pixel ICNR": (SubPixelConv, {"icnr": True}),
        "sub-pixel ICNR + blur": (SubPixelConv, {"icnr": True, "blur": True}),
    }


def standard_upsamplers(
    factor: int = 2, channels: int = 1, *, ndim: int = 2, seed: int = 0
) -> dict[str, Upsampler]:
    """The field's upsamplers, all mapping ``n`` to ``n*factor``, keyed by name.

    Transposed convolution with ``k = 2s-1`` (the k=3/s=2 of pix2pixHD) and ``k = 2s``
    (DCGAN's k=4/s=2), both with torch's default init; the artifact-free fixes (``k % s == 0``
    with bilinear or hold init); resize-convolution after nearest, bilinear and bicubic
    interpolation (bicubic in 2-D only); sub-pixel convolution plain, with ICNR, and with
    ICNR + blur.

    Examples
    --------
    >>> ups = standard_upsamplers(2)
    >>> {name: tuple(u(torch.zeros(1, 1, 5, 6)).shape[2:]) for name, u in ups.items()}["sub-pixel"]
    (10, 12)
    """
    out = {}
    for name in recipes(factor):
        if "bicubic" in name and ndim != 2:
            continue
        out[name] = make_upsampler(name, factor, channels, ndim=ndim, seed=seed)
    return out
