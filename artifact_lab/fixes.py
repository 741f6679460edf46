"""Replace the layers an audit flags by artifact-free ones of identical output size.

A strategy is one small function ``build(module, finding, seed) -> nn.Module`` registered in
:data:`STRATEGIES` with the decorator :func:`strategy`, which names the direction it serves
and the finding kinds it can replace. :func:`fix` validates every argument first, audits the
model, replaces each target in a deep copy and checks that the output shape is unchanged.

Forward (upsampling) strategies: ``transposed`` (an artifact-free geometry of the same size
with a hold-smoothed initialisation), ``resize`` (nearest + 3x3 conv), ``subpixel`` (3x3 conv
with ICNR + pixel shuffle), ``constrained`` (the same geometry as a
:mod:`artifact_lab.nn` constrained layer, weight ``h0 ∗ hold``, fitted to the learned weight
by least squares: clean at every later training step). Backward (downsampling) strategies,
for the gradient:
``blur`` (the op at stride 1, then :class:`BlurPool`: blur before subsampling, Zhang 2019),
``even`` (a ``k % s == 0`` convolution with a hold-smoothed initialisation) and ``pool``
(stride-1 convolution followed by an average pool ``k = s``).

References
----------
Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.
Sugawara et al., "Checkerboard artifacts free convolutional neural networks", APSIPA 2019.
Aitken et al., "Checkerboard artifact free sub-pixel convolution", 2017 (ICNR).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import (
    as_names,
    check_choice,
    check_int,
    check_module,
    check_ndim,
    check_shape,
    check_str,
    int_values,
    per_axis,
)
from .kernels import _outer, default_weight, hold, icnr
from .tracing import DIRECTIONS, KINDS, _check_direction

if TYPE_CHECKING:
    from .findings import LayerFinding

__all__ = [
    "DEFAULT_STRATEGY",
    "STRATEGIES",
    "BlurPool",
    "Strategy",
    "even_conv_geometry",
    "fix",
    "strategy",
    "transposed_geometry",
]

_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}


@dataclass(frozen=True)
class Strategy:
    """One way to replace a flagged layer: ``build(module, finding, seed) -> nn.Module``."""

    name: str
    direction: str
    kinds: tuple[str, ...]
    build: Callable[[nn.Module, LayerFinding, int], nn.Module]
    summary: str


STRATEGIES: dict[str, Strategy] = {}
DEFAULT_STRATEGY = {"forward": "transposed", "backward": "blur"}


def strategy(name: str, direction: str, kinds: Sequence[str], summary: str):
    """Register ``build`` under ``name`` (a decorator): the one place a new strategy plugs in.

    Examples
    --------
    >>> @strategy("identity-demo", "backward", ("avg_pool",), "keep the layer as it is")
    ... def _keep(module, finding, seed):
    ...     return copy.deepcopy(module)
    >>> STRATEGIES.pop("identity-demo").kinds
    ('avg_pool',)
    """
    check_str("name", name, empty_ok=False)
    if name in STRATEGIES:
        raise ValueError(f"name {name!r} is taken: strategies are {sorted(STRATEGIES)}")
    check_choice("direction", direction, DIRECTIONS)
    kinds = as_names("kinds", kinds, allowed=KINDS)
    check_str("summary", summary)

    def register(build):
        STRATEGIES[name] = Strategy(name, direction, tuple(kinds), build, summary)
        return build

    return register


# --------------------------------------------------------------------------- geometry solvers


def transposed_geometry(
    n: int, L: int, s: int, *, kernel_sizes: Sequence[int] | None = None
) -> list[tuple[int, int, int]]:
    """ConvTranspose geometries ``(k, p, op)`` with stride ``s``, dilation 1, mapping ``n`` to
    ``L`` and admitting a clean initialisation (``k >= s``, the ``clean_init_exists`` rule
    of DESIGN.md for ``gcd(d, s) = 1``), best first: ``k % s == 0`` (even overlap), then
    ``k`` nearest ``2s`` (smooth like the bilinear kernel), then the smallest ``op``.

    Examples
    --------
    >>> transposed_geometry(16, 32, 2)[:2]
    [(4, 1, 0), (2, 0, 0)]
    """
    n, L, s = (check_int(k, v, minimum=1) for k, v in (("n", n), ("L", L), ("s", s)))
    if kernel_sizes is None:
        sizes = range(s, 4 * s + 1)
    else:
        sizes = int_values("kernel_sizes", kernel_sizes, minimum=1)
    found = []
    for k in sizes:
        if k < s:
            continue
        for op in range(s):
            twice_p = (n - 1) * s + (k - 1) + op + 1 - L
            if twice_p >= 0 and twice_p % 2 == 0 and twice_p // 2 <= k - 1:
                found.append((k, twice_p // 2, op))
    return sorted(found, key=lambda g: (g[0] % s != 0, abs(g[0] - 2 * s), g[2], g[0]))


def even_conv_geometry(n: int, L: int, s: int) -> tuple[int, int] | None:
    """A convolution ``(k, p)`` with ``k % s == 0`` and stride ``s`` mapping ``n`` to ``L``:
    ``k = 2s`` preferred, then ``s``, ``3s``, ``4s``; the smallest padding. None if none.

    Examples
    --------
    >>> even_conv_geometry(64, 32, 2), even_conv_geometry(7, 4, 2)
    ((4, 1), (4, 2))
    """
    n, L, s = (check_int(k, v, minimum=1) for k, v in (("n", n), ("L", L), ("s", s)))
    for k in (2 * s, s, 3 * s, 4 * s):
        for p in range(0, k):
            if n + 2 * p - k >= 0 and (n + 2 * p - k) // s + 1 == L:
                return k, p
    return None


# --------------------------------------------------------------------------- layers


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
        tents = [np.convolve(hold(st, ndim=1), hold(st, ndim=1)) / st**2 for st in s]
        kern = _outer(tents)
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
        nd = self.ndim
        spatial = x.shape[2:]
        pads: list[int] = []
        for a in reversed(range(nd)):  # F.pad lists the last axis first
            s, n = self.stride[a], spatial[a]
            pads += [s - 1, self._length(n, a) * s - n]
        channels = x.shape[1]
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[nd]
        w = self.kernel.to(x.dtype).expand(channels, 1, *self.kernel.shape)
        return conv(F.pad(x, pads), w, stride=self.stride, groups=channels)


def _hold_smoothed(a: int, b: int, k: Sequence[int], s: Sequence[int], seed: int) -> torch.Tensor:
    """A weight ``(a, b, *k)`` whose every kernel has equal phase gains at stride ``s``:
    random sub-kernels of size ``k - s + 1`` convolved with the hold kernel ``ones(s)``.
    Each phase sums the sub-kernel once, so it scores 0 for any ``k >= s`` (forward for a
    ConvTranspose weight ``(in, out, *k)``, backward for a Conv weight ``(out, in, *k)``)."""
    from .nn import hold_compose

    nd = len(k)
    sub = default_weight(a, b, tuple(ka - sa + 1 for ka, sa in zip(k, s)), ndim=nd, seed=seed)
    return (hold_compose(sub.double(), tuple(s), ndim=nd) / math.prod(s)).float()


# --------------------------------------------------------------------------- forward strategies


@strategy(
    "transposed",
    "forward",
    ("transposed",),
    "the same stride with an artifact-free size of the same output, hold-smoothed init",
)
def _transposed(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    nd = len(finding.input_shape) - 2
    s = finding.geometry["stride"]
    axes, common = _transposed_options(finding)
    if any(not options for options in axes):
        raise ValueError(
            f"no artifact-free transposed geometry of the same size for {finding.name}"
        )
    # prefer one geometry for every axis when one exists
    picks = [common[0]] * nd if common else [options[0] for options in axes]
    k = tuple(g[0] for g in picks)
    new = type(module)(
        module.in_channels,
        module.out_channels,
        k,
        stride=s,
        padding=tuple(g[1] for g in picks),
        output_padding=tuple(g[2] for g in picks),
        groups=module.groups,
        bias=module.bias is not None,
    )
    w = _hold_smoothed(module.in_channels, module.out_channels // module.groups, k, s, seed)
    return _init_like(new, module, w)


_Geometry = tuple[int, int, int]  # (k, p, op)


def _transposed_options(finding: LayerFinding) -> tuple[list[list[_Geometry]], list[_Geometry]]:
    """Per axis, the :func:`transposed_geometry` options of ``finding``'s sizes and stride,
    and those that every axis shares (best first)."""
    s = finding.geometry["stride"]
    n, L = finding.input_shape[2:], finding.output_shape[2:]
    axes = [transposed_geometry(n[a], L[a], s[a]) for a in range(len(n))]
    common = [g for g in axes[0] if all(g in options for options in axes[1:])]
    return axes, common


def _even_picks(finding: LayerFinding) -> list[tuple[int, int] | None]:
    """Per axis, the :func:`even_conv_geometry` ``(k, p)`` of ``finding``'s sizes and stride."""
    s = finding.geometry["stride"]
    n, L = finding.input_shape[2:], finding.output_shape[2:]
    return [even_conv_geometry(n[a], L[a], s[a]) for a in range(len(s))]


def _is_times_stride(finding: LayerFinding) -> bool:
    """Whether ``finding`` multiplies every axis by one stride (``L = n * s``)."""
    s = finding.geometry["stride"]
    n, L = finding.input_shape[2:], finding.output_shape[2:]
    return len(set(s)) == 1 and all(o == i * s[0] for o, i in zip(L, n, strict=True))


def _init_like(new: nn.Module, module: nn.Module, weight: torch.Tensor) -> nn.Module:
    """``new`` with ``weight`` and, if ``module`` has one, ``module``'s bias."""
    with torch.no_grad():
        new.weight.copy_(weight)
        if module.bias is not None:
            new.bias.copy_(module.bias)
    return new


def _times_stride(finding: LayerFinding, strategy_name: str) -> int:
    s = finding.geometry["stride"]
    if not _is_times_stride(finding):
        raise ValueError(
            f"{strategy_name} gives n*{s[0]}, but {finding.name} gives "
            f"{finding.output_shape[2:]} from {finding.input_shape[2:]}"
        )
    return s[0]


@strategy("resize", "forward", ("transposed",), "nearest upsampling + 3x3 convolution")
def _resize(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    s = _times_stride(finding, "resize")
    nd = len(finding.input_shape) - 2
    conv = _CONV[nd](module.in_channels, module.out_channels, 3, padding=1)
    return nn.Sequential(nn.Upsample(scale_factor=s, mode="nearest"), conv)


@strategy("subpixel", "forward", ("transposed",), "3x3 convolution with ICNR + pixel shuffle")
def _subpixel(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    from .zoo import PixelShuffleND

    s = _times_stride(finding, "subpixel")
    nd = len(finding.input_shape) - 2
    cin, cout = module.in_channels, module.out_channels
    conv = _CONV[nd](cin, cout * s**nd, 3, padding=1)
    with torch.no_grad():
        conv.weight.copy_(icnr(cout, cin, 3, s, ndim=nd, seed=seed))
        conv.bias.zero_()
    return nn.Sequential(conv, PixelShuffleND(s, nd))


@strategy(
    "constrained",
    "forward",
    ("transposed",),
    "the same geometry as a constrained layer (weight h0 ∗ hold), fitted to the learned weight",
)
def _constrained(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    from .nn import constrained_replacement

    return constrained_replacement(module)


# --------------------------------------------------------------------------- backward strategies


def _stride_one_conv(module: nn.Module) -> nn.Module:
    new = copy.deepcopy(module)
    new.stride = (1,) * len(module.stride)
    return new


def _pool_ceil_offset(finding: LayerFinding) -> tuple[int, ...]:
    """``d*(k-1) - p``: the replaced pool's input length (plus its left padding) is the
    stride-1 output length plus this, which torch's ceil-mode rule needs."""
    g = finding.geometry
    nd = len(g["kernel_size"])
    d = g.get("dilation") or (1,) * nd
    return tuple(da * (k - 1) - p for k, p, da in zip(g["kernel_size"], g["padding"], d))


@strategy(
    "blur",
    "backward",
    ("conv", "avg_pool", "max_pool", "lp_pool", "interpolate"),
    "the same layer at stride 1, then BlurPool (blur before subsampling, Zhang 2019)",
)
def _blur(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    nd = len(finding.input_shape) - 2
    g = finding.geometry
    s = g["stride"]
    if finding.kind == "interpolate":
        return BlurPool(s, ndim=nd, rule="resize", size=module.size)
    if finding.kind == "conv":
        return nn.Sequential(_stride_one_conv(module), BlurPool(s, ndim=nd))
    ceil = bool(g.get("ceil_mode"))
    offset = _pool_ceil_offset(finding) if ceil else 0
    one = copy.deepcopy(module)
    one.stride = 1 if isinstance(module.stride, int) else (1,) * nd
    one.ceil_mode = False
    return nn.Sequential(one, BlurPool(s, ndim=nd, rule="ceil" if ceil else "conv", offset=offset))


@strategy(
    "even",
    "backward",
    ("conv",),
    "a k % s == 0 convolution of the same output size, hold-smoothed init (retrain)",
)
def _even(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    nd = len(finding.input_shape) - 2
    s = finding.geometry["stride"]
    picks = _even_picks(finding)
    if any(p is None for p in picks):
        raise ValueError(f"no k % s == 0 convolution gives {finding.name}'s output size")
    k = tuple(p[0] for p in picks)
    new = _CONV[nd](
        module.in_channels,
        module.out_channels,
        k,
        stride=s,
        padding=tuple(p[1] for p in picks),
        groups=module.groups,
        bias=module.bias is not None,
    )
    w = _hold_smoothed(module.out_channels, module.in_channels // module.groups, k, s, seed)
    return _init_like(new, module, w)


@strategy(
    "pool",
    "backward",
    ("conv",),
    "the convolution at stride 1, then an average pool with k = s (ceil mode)",
)
def _pool(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    nd = len(finding.input_shape) - 2
    s = finding.geometry["stride"]
    pool = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}[nd](s, s, ceil_mode=True)
    return nn.Sequential(_stride_one_conv(module), pool)


# --------------------------------------------------------------------------- fix


def _check_layers(layers) -> list[str] | None:
    if layers is None:
        return None
    if isinstance(layers, str) or not isinstance(layers, Sequence):
        raise TypeError(
            f"layers must be a sequence of module names (e.g. ['up.0']), got {layers!r}"
        )
    for i, name in enumerate(layers):
        if not isinstance(name, str):
            raise TypeError(f"layers[{i}] must be a module name (str), got {name!r}")
    return list(layers)


def _resolve_strategy(strategy_name, direction: str) -> Strategy:
    _check_direction(direction)
    name = DEFAULT_STRATEGY[direction] if strategy_name is None else strategy_name
    own = sorted(k for k, v in STRATEGIES.items() if v.direction == direction)
    if not isinstance(name, str) or name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {own} for direction={direction!r}, got {name!r}")
    if STRATEGIES[name].direction != direction:
        raise ValueError(
            f"strategy {name!r} fixes the {STRATEGIES[name].direction} pass; for "
            f"direction={direction!r} use one of {own}"
        )
    return STRATEGIES[name]


def _match(new: nn.Module, old: nn.Module) -> nn.Module:
    """Put the replacement on the old layer's device and floating dtype."""
    ref = next(iter(old.parameters()), None)
    if ref is None:
        ref = next(iter(old.buffers()), None)
    if ref is not None and ref.is_floating_point():
        new = new.to(device=ref.device, dtype=ref.dtype)
    return new.train(old.training)


def fix(
    model: nn.Module,
    input_shape: Sequence[int],
    *,
    direction: str = "forward",
    layers: Sequence[str] | None = None,
    strategy: str | None = None,
    seed: int = 0,
) -> nn.Module:
    """A copy of ``model`` with flagged resampling layers replaced by artifact-free ones.

    Parameters
    ----------
    model : torch.nn.Module
        Not modified.
    input_shape : sequence of int
        ``(N, C, *spatial)``, as for :func:`artifact_lab.audit.audit`.
    direction : {"forward", "backward"}
        Fix the output's checkerboard (upsampling layers) or the gradient's (downsampling
        layers).
    layers : sequence of str, optional
        Module names to replace. Default: every flagged module the strategy can replace
        (functional calls cannot be replaced: change the model's ``forward``).
    strategy : str, optional
        A name in :data:`STRATEGIES` for ``direction``; default ``"transposed"`` (forward),
        ``"blur"`` (backward). Forward: ``transposed`` (an artifact-free geometry with the
        same stride and output size, hold-smoothed initialisation), ``resize`` (nearest +
        3x3 conv), ``subpixel`` (3x3 conv with ICNR + pixel shuffle), ``constrained`` (the
        same geometry as a constrained layer fitted to the learned weight; needs ``k >= s``
        and ``gcd(d, s) == 1``). Backward: ``blur``
        (stride 1 + :class:`BlurPool`, keeps the weights), ``even`` (``k % s == 0`` with a
        hold-smoothed initialisation, retrain), ``pool`` (stride-1 conv + average pool).
    seed : int
        For the new random initialisations.

    Returns
    -------
    torch.nn.Module
        Output shapes identical to the original's (checked).

    Raises
    ------
    TypeError, ValueError
        Any bad argument, before any work; a layer that is not a replaceable flagged
        finding; a strategy that cannot keep a layer's output size.

    References
    ----------
    Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.

    Examples
    --------
    >>> m = nn.Sequential(nn.ConvTranspose2d(4, 3, 3, 2, 1, 1))
    >>> fixed = fix(m, (1, 4, 8, 8))
    >>> from artifact_lab.audit import audit
    >>> fixed[0].kernel_size, audit(fixed, (1, 4, 8, 8), measure=False).flagged
    ((4, 4), [])
    >>> enc = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1))
    >>> fixed = fix(enc, (1, 3, 16, 16), direction="backward")
    >>> type(fixed[0][1]).__name__, audit(fixed, (1, 3, 16, 16), direction="backward").flagged
    ('BlurPool', [])
    """
    from .audit import audit
    from .measure import MAX_ELEMENTS

    check_module("model", model)
    shape = check_shape("input_shape", input_shape, max_elements=MAX_ELEMENTS)
    chosen = _resolve_strategy(strategy, direction)
    seed = check_int("seed", seed, minimum=0)
    targets = _check_layers(layers)
    result = audit(model, shape, direction=direction, measure=False)
    by_name = {f.name: f for f in result.layers}
    modules = dict(model.named_modules())
    if targets is None:
        targets = [
            f.name
            for f in result.layers
            if f.flagged and f.kind in chosen.kinds and f.name in modules
        ]
    for name in targets:
        f = by_name.get(name)
        if f is None or name not in modules or f.kind not in chosen.kinds:
            replaceable = [
                g.name for g in result.layers if g.kind in chosen.kinds and g.name in modules
            ]
            raise ValueError(
                f"layers entry {name!r} is not a module that strategy {chosen.name!r} can replace; "
                f"replaceable: {replaceable}"
            )
    new = copy.deepcopy(model)
    new_modules = dict(new.named_modules())
    for name in dict.fromkeys(targets):
        if name == "":  # the model is the layer itself
            new = _match(chosen.build(new, by_name[name], seed), model)
            break
        parent_name, _, attr = name.rpartition(".")
        parent = new_modules[parent_name] if parent_name else new
        old = new_modules[name]
        replacement = _match(chosen.build(old, by_name[name], seed), old)
        if isinstance(parent, (nn.Sequential, nn.ModuleList)) and attr.isdigit():
            parent[int(attr)] = replacement
        else:
            setattr(parent, attr, replacement)
    check = audit(new, shape, direction=direction, measure=False)
    if check.output_shape != result.output_shape:
        raise ValueError(
            f"fix changed the output shape {result.output_shape} -> {check.output_shape}"
        )
    return new
