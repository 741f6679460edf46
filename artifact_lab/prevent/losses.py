"""A differentiable checkerboard penalty, computed from the weights alone (no forward pass).

For every upsampling layer of a model (``ConvTranspose1d/2d/3d``, and the convolution that
feeds a pixel shuffle, seen as the transposed convolution it equals) and, for the backward
direction, every strided convolution (its input gradient is the transposed convolution with
the same weights and geometry), the penalty is a closed-form
checkerboard score of the layer, computed in torch so that it has a gradient:

    score = sum_c var_r(G_c) / sum_c mean_r(G_c^2)        (0 when all G_c are 0)

over the phases ``r`` and a set of gain vectors ``G_c``, pooled:

- ``channels="pairs"`` (the penalty's default): ``G_c = g_(i,o)``, one per (input, output)
  channel pair, the phase gains (sum of the taps landing on phase ``r``) of that pair's
  kernel. 0 exactly when every pair has equal phase gains, i.e. no checkerboard for an input
  that is constant in every channel *at any levels*, as features in a network are.
- ``channels="sum"``: ``G_o = sum over the input channels i of o's group of g_(i,o)``, one per
  output channel: the response to a constant 1 in every input channel, the same number as
  :func:`artifact_lab.core.scores.weight_scores`'s aggregate ``checkerboard_score``. It can be
  met by cancellation between input channels that real features do not respect.

``normalized=False`` returns the numerator ``sum_c var_r(G_c)`` (a harmonic power).

Why the score and not its numerator by default: the score is scale-invariant and lies in
[0, 1], so a weight ``λ`` means the same for every layer and weight scale, and the optimiser
cannot lower it by shrinking one layer and growing the next, which it can do with the
numerator. The price is a gradient that grows like ``1/||w||`` as the gains vanish; where a
layer's gains are all 0 the score is defined as 0 (as in ``weight_scores``) with a zero
gradient.

A NaN or infinite weight makes its layer's score NaN (torch's convention), never 0, so a
diverged run cannot read as clean. The scores are computed on the phase gains divided by the
power of two just above their largest magnitude (exact, and invisible to the gradient by
scale invariance): float32 weights of 1e-30 or 1e30 score what they would in float64.
Phases that receive no tap (a stride larger than the kernel) have gain 0 and enter the
scores through their number only, so no array is ever as long as the stride.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from .._util.checks import (
    IntOrTuple,
    check_choice,
    check_instance,
    check_mapping,
    check_module,
    check_ndim,
    per_axis,
)
from .._util.numeric import pow2_exponent

__all__ = [
    "CHANNELS",
    "DIRECTIONS",
    "REDUCTIONS",
    "PenaltyLayer",
    "checkerboard_penalty",
    "find_layers",
    "layer_scores",
    "record_scores",
]

CHANNELS = ("pairs", "sum")
DIRECTIONS = ("forward", "backward", "both")
REDUCTIONS = ("mean", "sum", "none")
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


# The scoring below runs on torch tensors (the penalty: differentiable, on the weights'
# device and dtype) and on float64 numpy arrays (the monitor: no autograd, microseconds a
# layer). The few calls that differ between the two go through these helpers.
def _cat(x: Any, extra: Any, dim: int) -> Any:
    if isinstance(x, np.ndarray):
        return np.concatenate([x, np.zeros(extra, x.dtype)], dim)
    return torch.cat([x, x.new_zeros(extra)], dim)


def _where_zero(den: Any, num: Any) -> Any:
    """``num / den``, 0 where ``den`` is exactly 0 (with a zero gradient); NaN stays NaN."""
    if isinstance(den, np.ndarray) or not isinstance(den, torch.Tensor):
        with np.errstate(invalid="ignore", divide="ignore"):
            return float(num / den) if den != 0 else 0.0
    zero = den == 0
    return torch.where(zero, 0, num / torch.where(zero, 1, den))


def _fold(x: Any, dim: int, k: int, s: int, d: int) -> Any:
    """Sum the taps of axis ``dim`` that land on the same output phase.

    Tap ``j`` lands on phase ``(j*d - p) mod s``; the phase repeats every
    ``T = s / gcd(d, s)`` taps and differs between taps closer than that. So ``k <= T`` taps
    each have a phase of their own (nothing to sum), and longer axes are cut into rows of
    ``T`` taps that are summed: ``min(k, T)`` columns, one per phase that gets a tap. No
    array is ever ``s`` long: a stride of 10**9 costs what a stride of 2 does. Padding only
    rolls the phases, which changes no score, so ``p = 0``; the order of the columns is a
    permutation of the phases, which changes no score either.
    """
    period = s // math.gcd(d, s)
    if k <= period:
        return x
    extra = (-k) % period
    if extra:
        x = _cat(x, (*x.shape[:dim], extra, *x.shape[dim + 1 :]), dim)
    shape = (*x.shape[:dim], x.shape[dim] // period, period, *x.shape[dim + 1 :])
    return x.reshape(shape).sum(dim)


def _fold_all(x: Any, first: int, k, stride, dilation) -> Any:
    """:func:`_fold` along every spatial axis, then the phase columns flattened into one."""
    for a, (ka, sa, da) in enumerate(zip(k, stride, dilation, strict=True)):
        x = _fold(x, first + a, ka, sa, da)
    return x.reshape(*x.shape[:first], -1)


def _scaled(x: Any) -> tuple[Any, Any]:
    """``x`` divided by the power of two just above its largest magnitude, and that power
    (as two factors, so that neither it nor its inverse overflows ``x``'s dtype).

    The scores are ratios of powers, so they are computed on this: float32 weights of 1e-30
    or 1e30 neither underflow nor overflow when squared, and the score is the float64 one.
    The divisor is exact and detached; by the scores' scale invariance the gradient is
    unchanged. NaN or infinite values stay NaN or infinite: their scores come out NaN.
    """
    if isinstance(x, np.ndarray):
        peak = np.abs(x).max() if x.size else 0.0
        exponent = float(pow2_exponent(peak)) if np.isfinite(peak) else 0.0
        half = exponent // 2
        up = 2.0**half, 2.0 ** (exponent - half)
        return x / up[0] / up[1], up
    exponent = torch.frexp(x.detach().abs().amax())[1].to(x.dtype)
    half = torch.floor(exponent / 2)
    up = torch.exp2(half), torch.exp2(exponent - half)
    return x / up[0] / up[1], up


def _phase_sums(layer: PenaltyLayer, w: Any) -> tuple[Any, int, int]:
    """``(X, groups, P)``: the phase gains ``X`` of every (input, output) channel pair of
    ``w`` (the layer's raw weight), shape ``(in, out/groups, M)`` over the ``M`` phases that
    get a tap, and ``P``, the number of phases in all (the others have gain 0)."""
    if layer.kind != "subpixel":
        X = _fold_all(w, 2, tuple(w.shape[2:]), layer.stride, layer.dilation)
        return X, layer.groups, math.prod(layer.stride)
    # a conv weight (C*R, in/groups, *k) before the shuffle: output phase r of channel c is
    # conv channel c*R + r, whose gain is the sum of its taps (their spacing is irrelevant)
    R = math.prod(layer.stride)
    sums = w.sum(tuple(range(2, w.ndim)))  # (C*R, in/groups)
    g = layer.module.groups
    if g > 1:  # pairs of different groups are zero taps
        rows, cols = sums.shape[0] // g, sums.shape[1]
        if isinstance(sums, np.ndarray):
            dense = np.zeros((sums.shape[0], cols * g))
            for q in range(g):
                dense[q * rows : (q + 1) * rows, q * cols : (q + 1) * cols] = sums[
                    q * rows : (q + 1) * rows
                ]
            sums = dense
        else:
            sums = torch.block_diag(*sums.reshape(g, rows, cols).unbind(0))
    X = sums.reshape(-1, R, sums.shape[1])
    X = np.moveaxis(X, 2, 0) if isinstance(X, np.ndarray) else X.movedim(2, 0)  # (in, C, R)
    return X, 1, R


def _noise_gains(layer: PenaltyLayer, w: Any) -> tuple[Any, int]:
    """The noise gains ``e`` (sum of squared taps per phase over every pair) of ``w``
    scaled to at most 1, over the phases that get a tap, and ``P``."""
    ws, _ = _scaled(w)
    squares = ws * ws
    if layer.kind == "subpixel":
        R = math.prod(layer.stride)
        return squares.sum(tuple(range(1, ws.ndim))).reshape(-1, R).sum(0), R
    e = _fold_all(squares.sum((0, 1)), 0, tuple(ws.shape[2:]), layer.stride, layer.dilation)
    return e, math.prod(layer.stride)


def _gains(X: Any, groups: int, pairs: bool) -> Any:
    """The pooled gain vectors: one per pair, or summed over each group's inputs."""
    if pairs:
        return X.reshape(-1, X.shape[-1])
    cin, per_group, M = X.shape
    return X.reshape(groups, cin // groups, per_group, M).sum(1).reshape(-1, M)


def _pooled(G: Any, P: int) -> tuple[Any, Any]:
    """(harmonic power, total power) of gains ``G`` (rows, M), over ``P >= M`` phases of
    which the ``P - M`` not in ``G`` have gain 0: ``sum_c var_r(G_c)`` and
    ``sum_c mean_r(G_c^2)``."""
    M = G.shape[-1]
    mean = G.sum(-1) / P
    centred = G - mean[..., None]
    spread = (centred * centred).sum(-1) + (P - M) * (mean * mean)
    return spread.sum() / P, (G * G).sum() / P


def _noise_score(e: Any, P: int) -> Any:
    """``std_r(e) / mean_r(e)`` over ``P`` phases (those not in ``e`` have 0)."""
    M = e.shape[-1]
    mean = e.sum() / P
    centred = e - mean
    var = ((centred * centred).sum() + (P - M) * (mean * mean)) / P
    return _where_zero(mean, var**0.5)


def _scores(layer: PenaltyLayer, pairs: bool, w: Any = None, noise: bool = True) -> tuple:
    """(score, harmonic power, total power[, noise_checkerboard]) of one layer, powers in
    squared weight units; scaled so that no square underflows or overflows."""
    w = layer.raw_weight() if w is None else w
    X, groups, P = _phase_sums(layer, w)
    X, up = _scaled(X)
    harmonic, power = _pooled(_gains(X, groups, pairs), P)
    unit = (up[0] * up[0]) * (up[1] * up[1])
    out = (_where_zero(power, harmonic), harmonic * unit, power * unit)
    return (*out, _noise_score(*_noise_gains(layer, w))) if noise else out


def record_scores(layer: PenaltyLayer) -> tuple[float, ...]:
    """The monitor's record of one layer, in float64 numpy (no autograd, microseconds):
    ``(score, harmonic power, noise_checkerboard, total power, pair score)``, the first four
    as :func:`layer_scores` with ``channels="sum"``."""
    check_instance("layer", layer, PenaltyLayer, hint="find_layers gives them")
    w = layer.raw_weight()
    if w.device.type == "meta":
        raise ValueError(f"layer {layer.name!r} is on the meta device: its weight holds no values")
    w = w.detach().to("cpu", torch.float64).numpy()
    # NaN or infinite weights give NaN scores (the monitor says so), and a power beyond
    # float64 in weight units is inf: numpy's warnings about either are not news
    with np.errstate(over="ignore", invalid="ignore"):
        X, groups, P = _phase_sums(layer, w)
        X, up = _scaled(X)
        harmonic, power = _pooled(_gains(X, groups, False), P)
        pair_harmonic, pair_power = _pooled(_gains(X, groups, True), P)
        unit = (up[0] * up[0]) * (up[1] * up[1])
        return (
            _where_zero(power, harmonic),
            float(harmonic * unit),
            float(_noise_score(*_noise_gains(layer, w))),
            float(power * unit),
            _where_zero(pair_power, pair_harmonic),
        )


def _check_weight(weight: Any, name: str = "weight") -> torch.Tensor:
    if not isinstance(weight, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(weight).__name__}")
    if not weight.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor, got dtype {weight.dtype}")
    if weight.ndim not in (3, 4, 5):
        raise ValueError(
            f"{name} must have shape (in, out/groups, *kernel) with 1 to 3 spatial axes, "
            f"got shape {tuple(weight.shape)}"
        )
    if 0 in weight.shape:
        raise ValueError(f"{name} must not be empty, got shape {tuple(weight.shape)}")
    return weight


def layer_scores(
    weight: torch.Tensor,
    stride: IntOrTuple,
    dilation: IntOrTuple = 1,
    *,
    groups: int = 1,
    channels: str = "sum",
) -> torch.Tensor:
    """Closed-form scores of one transposed-convolution weight, in torch (differentiable).

    Parameters
    ----------
    weight : torch.Tensor, shape ``(in, out/groups, *k)``
        ConvTranspose layout; a strided convolution's weight ``(out, in/groups, *k)`` read
        in the same layout gives the scores of its input gradient.
    stride, dilation : int or tuple of int
    groups : int
        ``in`` must be a multiple of ``groups``; each output channel sums the gains of the
        input channels of its group only.
    channels : {"sum", "pairs"}
        ``"sum"``: a constant 1 in every input channel, gains summed per output channel
        (``weight_scores``'s aggregate); ``"pairs"``: every (input, output) pair on its own,
        pooled (0 only when every pair has equal gains).

    Returns
    -------
    torch.Tensor, shape ``(4,)``
        ``checkerboard_score``, harmonic power (its numerator), ``noise_checkerboard`` and
        the total power (0 when nothing responds to a constant). With ``groups=1`` and
        ``channels="sum"`` the first and third equal ``weight_scores``'s aggregates.

    Examples
    --------
    >>> w = torch.ones(1, 1, 3, dtype=torch.float64)
    >>> layer_scores(w, 2).tolist()                   # gains (2, 1); squared gains (2, 1)
    [0.1, 0.25, 0.3333333333333333, 2.5]
    """
    w = _check_weight(weight)
    nd = w.ndim - 2
    s = per_axis("stride", stride, nd, minimum=1)
    d = per_axis("dilation", dilation, nd, minimum=1)
    groups = _check_groups(groups, w.shape[0])
    pairs = check_choice("channels", channels, CHANNELS) == "pairs"
    layer = PenaltyLayer("", "transposed", "forward", None, s, d, groups, w)
    score, harmonic, power, noise = _scores(layer, pairs)
    return torch.stack([score, harmonic, noise, power])


def _check_groups(groups: Any, channels: int) -> int:
    from .._util.checks import check_int

    groups = check_int("groups", groups, minimum=1)
    if channels % groups:
        raise ValueError(
            f"groups={groups} must divide the weight's first axis ({channels} channels)"
        )
    return groups


@dataclass(frozen=True)
class PenaltyLayer:
    """One layer the penalty scores: where its weight lives and how to read it.

    Attributes
    ----------
    name : str
        Module name in the model (``""`` for the model itself or a bare weight).
    kind : str
        ``"transposed"``, ``"subpixel"`` (a convolution feeding a pixel shuffle) or
        ``"strided_conv"`` (scored in the backward direction).
    direction : str
        ``"forward"`` or ``"backward"``.
    module : torch.nn.Module or None
        The module holding the weight (read on every call, so the score follows training).
    stride, dilation : tuple of int
        Of the equivalent transposed convolution.
    groups : int
    """

    name: str
    kind: str
    direction: str
    module: nn.Module | None
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    tensor: torch.Tensor | None = None

    def raw_weight(self) -> torch.Tensor:
        """The weight as the layer holds it, live: for ``"subpixel"`` the convolution's
        ``(C * prod(r), in/groups, *k)``, else the ConvTranspose layout."""
        return self.tensor if self.tensor is not None else self.module.weight

    def weight(self) -> torch.Tensor:
        """The equivalent transposed-convolution weight ``(in, out/groups, *k)``, live."""
        w = self.raw_weight()
        if self.kind != "subpixel":
            return w
        from ..core.kernels import subpixel_as_transposed

        conv = self.module
        if any(x != 1 for x in conv.dilation):  # a dilated kernel: its zero taps made explicit
            k = w.shape[2:]
            full = w.new_zeros(
                (*w.shape[:2], *((ka - 1) * da + 1 for ka, da in zip(k, conv.dilation)))
            )
            full[(..., *(slice(None, None, da) for da in conv.dilation))] = w
            w = full
        if conv.groups > 1:  # expand to a dense weight: absent pairs are zero taps
            out, per_group = w.shape[0] // conv.groups, w.shape[1]
            blocks = [
                torch.cat(
                    [
                        w[q * out : (q + 1) * out]
                        if c == q
                        else w.new_zeros((out, per_group, *w.shape[2:]))
                        for c in range(conv.groups)
                    ],
                    dim=1,
                )
                for q in range(conv.groups)
            ]
            w = torch.cat(blocks, dim=0)
        return subpixel_as_transposed(w, self.stride, padding=0, ndim=w.ndim - 2)[0]


def _subpixel_layer(name: str, conv: nn.Module, factor: Any) -> PenaltyLayer | None:
    nd = conv.weight.ndim - 2
    r = per_axis(f"factor of {name or 'the pixel shuffle'}", factor, nd, minimum=1)
    # a dilated conv is scored too, as the audit scores it: each output phase is one output
    # channel, whose gain is the sum of its taps however far apart they lie
    if any(x != 1 for x in conv.stride):
        return None  # not the sub-pixel arrangement: the audit leaves it unscored as well
    if conv.out_channels % math.prod(r):
        return None
    return PenaltyLayer(name, "subpixel", "forward", conv, r, (1,) * nd, 1)


def find_layers(
    model: nn.Module,
    *,
    direction: str = "forward",
    subpixel: Mapping[str, int] | None = None,
) -> tuple[PenaltyLayer, ...]:
    """The layers of ``model`` that :func:`checkerboard_penalty` scores, without running it.

    Forward: every ``ConvTranspose1d/2d/3d`` (and subclass, such as the constrained layers of
    :mod:`artifact_lab.prevent.nn`) with a stride above 1 on some axis, and every convolution
    feeding a pixel shuffle that is visible from the model's structure: a ``Conv`` directly
    followed by ``nn.PixelShuffle`` (or artifact_lab's ``PixelShuffleND``) in an
    ``nn.Sequential``, or an artifact_lab ``SubPixelConv``. Backward: every ``Conv1d/2d/3d``
    with a stride above 1. A pixel shuffle fed from ``forward`` code cannot be seen without
    running the model: name its convolution in ``subpixel``.

    Parameters
    ----------
    model : torch.nn.Module
    direction : {"forward", "backward", "both"}
    subpixel : mapping of str to int, optional
        Module name of a convolution -> the pixel-shuffle factor applied to its output.

    Returns
    -------
    tuple of PenaltyLayer, in ``model.named_modules()`` order (forward layers first).

    Examples
    --------
    >>> m = nn.Sequential(nn.Conv2d(1, 4, 4, 2), nn.ConvTranspose2d(4, 4, 4, 2),
    ...                   nn.Conv2d(4, 4, 3, padding=1), nn.PixelShuffle(2))
    >>> for x in find_layers(m, direction="both"):
    ...     print(x.name, x.kind, x.direction)
    1 transposed forward
    2 subpixel forward
    0 strided_conv backward
    """
    check_module("model", model)
    check_choice("direction", direction, DIRECTIONS)
    modules = dict(model.named_modules())
    subpixel = dict(check_mapping("subpixel", {} if subpixel is None else subpixel, empty_ok=True))
    for name, factor in subpixel.items():
        per_axis(f"subpixel[{name!r}]", factor, None, minimum=1)
        if name not in modules or not isinstance(modules[name], _CONV):
            raise ValueError(f"subpixel names {name!r}, which is not a Conv1d/2d/3d of the model")
    forward, backward = [], []
    if direction in ("forward", "both"):
        from ..layers.shuffle import PixelShuffleND
        from ..layers.upsamplers import SubPixelConv

        shuffles = {}
        for name, module in modules.items():
            if isinstance(module, nn.Sequential):
                children = list(module.named_children())
                for (a, first), (_, second) in itertools.pairwise(children):
                    if isinstance(first, _CONV) and isinstance(
                        second, (nn.PixelShuffle, PixelShuffleND)
                    ):
                        factor = getattr(second, "upscale_factor", getattr(second, "factor", 1))
                        shuffles[f"{name}.{a}" if name else a] = factor
            elif isinstance(module, SubPixelConv):
                shuffles[f"{name}.conv" if name else "conv"] = module.factor
        shuffles |= subpixel
        for name, module in modules.items():
            if isinstance(module, _CONV_T) and math.prod(module.stride) > 1:
                forward.append(
                    PenaltyLayer(
                        name, "transposed", "forward", module, module.stride,
                        module.dilation, module.groups,
                    )
                )  # fmt: skip
            elif name in shuffles:
                layer = _subpixel_layer(name, module, shuffles[name])
                if layer is not None:
                    forward.append(layer)
    if direction in ("backward", "both"):
        for name, module in modules.items():
            if isinstance(module, _CONV) and math.prod(module.stride) > 1:
                backward.append(
                    PenaltyLayer(
                        name, "strided_conv", "backward", module, module.stride,
                        module.dilation, module.groups,
                    )
                )  # fmt: skip
    return (*forward, *backward)


def checkerboard_penalty(
    model_or_weights: nn.Module | torch.Tensor | Sequence[PenaltyLayer],
    *,
    reduction: str = "mean",
    direction: str = "forward",
    channels: str = "pairs",
    normalized: bool = True,
    stride: IntOrTuple | None = None,
    dilation: IntOrTuple = 1,
    groups: int = 1,
    subpixel: Mapping[str, int] | None = None,
) -> torch.Tensor:
    """Differentiable closed-form checkerboard score of every upsampling layer of a model.

    Add ``lam * checkerboard_penalty(model)`` to the loss to push the learned kernels towards
    equal phase gains. No forward pass: it reads the weights, a few microseconds a layer.

    Parameters
    ----------
    model_or_weights : torch.nn.Module, torch.Tensor or sequence of PenaltyLayer
        A model (its layers found by :func:`find_layers`; find them once and pass the
        sequence to skip the search on every call), or one weight in ConvTranspose layout
        ``(in, out/groups, *k)`` with ``stride`` given.
    reduction : {"mean", "sum", "none"}
        Over layers; ``"none"`` returns one value per layer, in :func:`find_layers` order.
    direction : {"forward", "backward", "both"}
        Which layers of a model: upsampling layers, strided convolutions (whose input
        gradient is a transposed convolution with the same weights), or both.
    channels : {"pairs", "sum"}
        ``"pairs"`` (default): pool over every (input, output) channel pair, so the penalty
        is 0 only when every pair has equal phase gains: no checkerboard for any input whose
        channels are constant at any levels. ``"sum"``: a constant 1 in every input channel
        (gains summed per output channel), exactly ``weight_scores``'s aggregate; it can be
        met by cancelling between input channels, which real features, whose channels have
        different levels, do not respect (notebook 08 measures the difference).
    normalized : bool
        True: the score (in [0, 1], scale-invariant). False: its numerator, the harmonic
        power ``sum_c var_r(G_c)`` over the pooled channels (in squared weight units).
    stride, dilation, groups : int or tuple of int
        Geometry of a bare weight (ignored for a model).
    subpixel : mapping of str to int, optional
        Passed to :func:`find_layers`.

    Returns
    -------
    torch.Tensor
        A scalar (``"mean"``, ``"sum"``) or shape ``(n_layers,)``, on the weights' device and
        dtype, differentiable with respect to them.

    Raises
    ------
    ValueError
        Bad option, bad geometry, or a model in which no layer to score was found.
    TypeError
        ``model_or_weights`` is none of the accepted types.

    Notes
    -----
    Tested against ``weight_scores`` (``channels="sum"``, groups=1), against brute-force
    references built from ``phase_gains`` (both variants, with groups) and from torch's
    ``conv_transpose`` output for a constant input (per channel levels for ``"pairs"``), on
    random 1-D to 3-D layers; checked with ``torch.autograd.gradcheck`` in float64.

    References
    ----------
    Sugawara et al., "Checkerboard artifacts free convolutional neural networks", 2019.

    Examples
    --------
    >>> torch.manual_seed(0) and None
    >>> up = nn.ConvTranspose2d(8, 8, 4, stride=2, padding=1)
    >>> m = nn.Sequential(up, nn.ReLU(), nn.ConvTranspose2d(8, 3, 4, stride=2, padding=1))
    >>> p = checkerboard_penalty(m)
    >>> p.requires_grad, checkerboard_penalty(m, reduction="none").shape
    (True, torch.Size([2]))
    """
    check_choice("reduction", reduction, REDUCTIONS)
    check_choice("direction", direction, DIRECTIONS)
    pairs = check_choice("channels", channels, CHANNELS) == "pairs"
    if not isinstance(normalized, bool):
        raise TypeError(f"normalized must be True or False, got {normalized!r}")
    if isinstance(model_or_weights, torch.Tensor):
        w = _check_weight(model_or_weights, "model_or_weights")
        if subpixel is not None:
            raise ValueError("subpixel names convolutions of a model; a bare weight has none")
        if stride is None:
            raise ValueError("a bare weight needs its stride: checkerboard_penalty(w, stride=2)")
        nd = check_ndim(w.ndim - 2)
        layers = (
            PenaltyLayer(
                "",
                "transposed",
                "forward",
                None,
                per_axis("stride", stride, nd, minimum=1),
                per_axis("dilation", dilation, nd, minimum=1),
                _check_groups(groups, w.shape[0]),
                w,
            ),
        )
    elif isinstance(model_or_weights, nn.Module):
        layers = find_layers(model_or_weights, direction=direction, subpixel=subpixel)
        if not layers:
            raise ValueError(
                f"no layer to score in {type(model_or_weights).__name__} for "
                f"direction={direction!r}: looked for ConvTranspose1d/2d/3d and pixel-shuffle "
                "convolutions (forward) and strided Conv1d/2d/3d (backward); name a "
                "pixel-shuffle convolution with subpixel={name: factor}"
            )
    elif isinstance(model_or_weights, Sequence) and all(
        isinstance(x, PenaltyLayer) for x in model_or_weights
    ):
        layers = tuple(model_or_weights)
        if not layers:
            raise ValueError("model_or_weights is an empty sequence of layers")
    else:
        raise TypeError(
            "model_or_weights must be a torch.nn.Module, a weight tensor or a sequence of "
            f"PenaltyLayer, got {type(model_or_weights).__name__}"
        )
    pick = 0 if normalized else 1
    values = [_scores(x, pairs, noise=False)[pick] for x in layers]
    dtype = torch.promote_types(values[0].dtype, torch.float32)
    out = torch.stack([v.to(dtype=dtype, device=values[0].device) for v in values])
    if reduction == "mean":
        return out.mean()
    if reduction == "sum":
        return out.sum()
    return out
