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
"""

from __future__ import annotations

import functools
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
    check_mapping,
    check_module,
    check_ndim,
    per_axis,
)

__all__ = [
    "CHANNELS",
    "DIRECTIONS",
    "REDUCTIONS",
    "PenaltyLayer",
    "checkerboard_penalty",
    "find_layers",
    "layer_scores",
]

CHANNELS = ("pairs", "sum")
DIRECTIONS = ("forward", "backward", "both")
REDUCTIONS = ("mean", "sum", "none")
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


@functools.lru_cache(maxsize=256)
def _phase_matrix(k: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]):
    """One-hot ``(prod(k), prod(s))`` matrix sending each tap to its output phase.

    Tap ``j`` lands on phase ``(j*d - p) mod s`` per axis; padding only rolls the phases,
    which changes no score, so ``p = 0``. Phase sums of a whole weight are then one matmul.
    """
    index = np.zeros(k, dtype=np.int64)
    for a, (ka, sa, da) in enumerate(zip(k, stride, dilation)):
        shape = [1] * len(k)
        shape[a] = ka
        index = index * sa + ((np.arange(ka) * da) % sa).reshape(shape)
    onehot = np.zeros((math.prod(k), math.prod(stride)))
    onehot[np.arange(onehot.shape[0]), index.ravel()] = 1.0
    onehot.flags.writeable = False
    return onehot


@functools.lru_cache(maxsize=256)
def _phase_matrix_t(k, stride, dilation, device, dtype) -> torch.Tensor:
    return torch.from_numpy(_phase_matrix(k, stride, dilation).copy()).to(device, dtype)


def _gain_scores(
    w: torch.Tensor, stride, dilation, groups: int, pairs: bool = False
) -> tuple[torch.Tensor, ...]:
    """(score, harmonic power, total power) of one transposed weight's pooled gains.

    ``pairs``: pool over (input, output) channel pairs instead of output channels.
    """
    cin, per_group, *k = w.shape
    P = _phase_matrix_t(tuple(k), tuple(stride), tuple(dilation), w.device, w.dtype)
    if pairs:  # every entry of the (grouped) weight is one connected pair
        G = w.reshape(cin * per_group, -1) @ P
    else:
        # phase sums are linear: sum each group's input channels first (cin times less work)
        summed = w.reshape(groups, cin // groups, per_group * math.prod(k)).sum(1)
        G = summed.reshape(groups * per_group, -1) @ P  # (out, prod(s)): output gains
    harmonic = (G - G.mean(1, keepdim=True)).square().mean(1).sum()
    power = G.square().mean(1).sum()
    positive = power > 0
    score = torch.where(positive, harmonic / torch.where(positive, power, 1), 0)
    return score, harmonic, power


def _scores(
    w: torch.Tensor, stride, dilation, groups: int, pairs: bool = False
) -> tuple[torch.Tensor, ...]:
    """(score, harmonic power, noise_checkerboard, total power) of one transposed weight.

    ``pairs``: pool over (input, output) channel pairs instead of output channels.
    """
    score, harmonic, power = _gain_scores(w, stride, dilation, groups, pairs)
    _, _, *k = w.shape
    P = _phase_matrix_t(tuple(k), tuple(stride), tuple(dilation), w.device, w.dtype)
    e = w.square().sum((0, 1)).reshape(-1) @ P
    e_mean = e.mean()
    noise = torch.where(e_mean > 0, e.std(correction=0) / torch.where(e_mean > 0, e_mean, 1), 0)
    return score, harmonic, noise, power


def _pooled_numpy(G: np.ndarray) -> tuple[float, float, float]:
    """(score, harmonic power, total power) of gains ``G`` (rows: channels, cols: phases)."""
    n_phases = G.shape[1]
    centred = G - G.sum(1, keepdims=True) / n_phases
    harmonic = float(np.vdot(centred, centred)) / n_phases
    power = float(np.vdot(G, G)) / n_phases
    return (harmonic / power if power > 0 else 0.0), harmonic, power


def weight_scores_numpy(w: np.ndarray, stride, dilation, groups: int) -> tuple[float, ...]:
    """The monitor's fast path, float64 numpy without autograd: ``(score, harmonic power,
    noise_checkerboard, total power, pair score)``, the first four as :func:`_scores`."""
    cin, per_group, *k = w.shape
    P = _phase_matrix(tuple(k), tuple(stride), tuple(dilation))
    n_phases = P.shape[1]
    flat = w.reshape(cin * per_group, -1)
    summed = flat.reshape(groups, cin // groups, -1).sum(1)
    score, harmonic, power = _pooled_numpy(summed.reshape(groups * per_group, -1) @ P)
    pair_score = _pooled_numpy(flat @ P)[0]
    e = (flat * flat).sum(0) @ P
    e_mean = float(e.sum()) / n_phases
    e_dev = e - e_mean
    noise = math.sqrt(float(e_dev @ e_dev) / n_phases) / e_mean if e_mean > 0 else 0.0
    return score, harmonic, noise, power, pair_score


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
    return torch.stack(_scores(w, s, d, groups, pairs=pairs))


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

    def weight(self) -> torch.Tensor:
        """The equivalent transposed-convolution weight ``(in, out/groups, *k)``, live."""
        if self.tensor is not None:
            return self.tensor
        w = self.module.weight
        if self.kind != "subpixel":
            return w
        from ..core.kernels import subpixel_as_transposed

        conv = self.module
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
    if any(x != 1 for x in conv.stride) or any(x != 1 for x in conv.dilation):
        return None  # not the plain sub-pixel arrangement the mapping covers
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
    values = [_gain_scores(x.weight(), x.stride, x.dilation, x.groups, pairs)[pick] for x in layers]
    dtype = torch.promote_types(values[0].dtype, torch.float32)
    out = torch.stack([v.to(dtype=dtype, device=values[0].device) for v in values])
    if reduction == "mean":
        return out.mean()
    if reduction == "sum":
        return out.sum()
    return out
