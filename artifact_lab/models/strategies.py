"""Replace the layers an audit flags by artifact-free ones of identical output size.

A strategy is one small function ``build(module, finding, seed) -> nn.Module`` registered in
:data:`STRATEGIES` with the decorator :func:`strategy`, which names the direction it serves
and the finding kinds it can replace. :func:`fix` validates every argument first, audits the
model, replaces each target in a deep copy and checks that the output shape is unchanged.

Forward (upsampling) strategies: ``transposed`` (an artifact-free geometry of the same size
with a hold-smoothed initialisation), ``resize`` (nearest + 3x3 conv, seeded), ``subpixel``
(3x3 conv with ICNR + pixel shuffle), ``constrained`` (the same geometry as a
:mod:`artifact_lab.prevent.nn` constrained layer, weight ``h0 ∗ hold``, fitted to the learned
weight by least squares: clean at every later training step), ``project`` (the learned layer
first embedded, with the same function, in a kernel ``2 * ceil(s / 2)`` taps wider, then
fitted as ``constrained``: the wider ``h0`` keeps more of a trained ``k = s`` layer, whose own
clean projection has a single tap). Backward (downsampling) strategies,
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

import torch
from torch import nn

from .._util.checks import (
    DIRECTIONS,
    as_names,
    check_choice,
    check_direction,
    check_str,
)
from ..core.calculator import even_conv_options, is_times_stride, transposed_options
from ..core.kernels import default_weight, icnr
from ..layers.blur import BlurPool
from ..layers.shuffle import PixelShuffleND
from ..prevent.nn import constrained_replacement, hold_compose
from .findings import LayerFinding
from .trace import KINDS

__all__ = ["DEFAULT_STRATEGY", "STRATEGIES", "Strategy", "resolve_strategy", "strategy"]

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


def _hold_smoothed(a: int, b: int, k: Sequence[int], s: Sequence[int], seed: int) -> torch.Tensor:
    """A weight ``(a, b, *k)`` whose every kernel has equal phase gains at stride ``s``:
    random sub-kernels of size ``k - s + 1`` convolved with the hold kernel ``ones(s)``.
    Each phase sums the sub-kernel once, so it scores 0 for any ``k >= s`` (forward for a
    ConvTranspose weight ``(in, out, *k)``, backward for a Conv weight ``(out, in, *k)``)."""
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
    axes, common = transposed_options(*sizes_and_stride(finding))
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


def sizes_and_stride(finding: LayerFinding) -> tuple[tuple[int, ...], ...]:
    """``(n, L, s)``: a finding's spatial input and output sizes and its stride, the three
    numbers the size solvers of :mod:`artifact_lab.core.calculator` take."""
    return finding.input_shape[2:], finding.output_shape[2:], finding.geometry["stride"]


def _init_like(new: nn.Module, module: nn.Module, weight: torch.Tensor) -> nn.Module:
    """``new`` with ``weight`` and, if ``module`` has one, ``module``'s bias."""
    with torch.no_grad():
        new.weight.copy_(weight)
        if module.bias is not None:
            new.bias.copy_(module.bias)
    return new


def _times_stride(finding: LayerFinding, strategy_name: str) -> int:
    s = finding.geometry["stride"]
    if not is_times_stride(*sizes_and_stride(finding)):
        raise ValueError(
            f"{strategy_name} gives n*{s[0]}, but {finding.name} gives "
            f"{finding.output_shape[2:]} from {finding.input_shape[2:]}"
        )
    return s[0]


@strategy("resize", "forward", ("transposed",), "nearest upsampling + 3x3 convolution")
def _resize(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    s = _times_stride(finding, "resize")
    nd = len(finding.input_shape) - 2
    with torch.random.fork_rng(devices=[]):  # torch's default initialisation, seeded
        torch.manual_seed(seed)
        conv = _CONV[nd](module.in_channels, module.out_channels, 3, padding=1)
    return nn.Sequential(nn.Upsample(scale_factor=s, mode="nearest"), conv)


@strategy("subpixel", "forward", ("transposed",), "3x3 convolution with ICNR + pixel shuffle")
def _subpixel(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
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
    return constrained_replacement(module)


def embed(module: nn.Module, extra: Sequence[int]) -> nn.Module:
    """A transposed convolution computing the same function with ``extra[a]`` zero taps on
    each side of axis ``a`` (its padding grows by ``extra * dilation``).

    Examples
    --------
    >>> m = nn.ConvTranspose1d(1, 1, 2, stride=2)
    >>> e = embed(m, (1,))
    >>> e.kernel_size, e.padding, bool(torch.equal(m(torch.ones(1, 1, 5)), e(torch.ones(1, 1, 5))))
    ((4,), (1,), True)
    """
    extra = tuple(int(e) for e in extra)
    k = tuple(ka + 2 * e for ka, e in zip(module.kernel_size, extra))
    pad = tuple(p + e * d for p, e, d in zip(module.padding, extra, module.dilation))
    new = type(module)(
        module.in_channels, module.out_channels, k, stride=module.stride, padding=pad,
        output_padding=module.output_padding, groups=module.groups,
        bias=module.bias is not None, dilation=module.dilation,
    )  # fmt: skip
    new = new.to(device=module.weight.device, dtype=module.weight.dtype)
    with torch.no_grad():
        new.weight.zero_()
        index = (
            slice(None),
            slice(None),
            *(slice(e, e + ka) for e, ka in zip(extra, module.kernel_size)),
        )
        new.weight[index] = module.weight
        if module.bias is not None:
            new.bias.copy_(module.bias)
    return new


@strategy(
    "project",
    "forward",
    ("transposed",),
    "the learned layer embedded in a wider kernel (same function), then its closest clean layer",
)
def _project(module: nn.Module, finding: LayerFinding, seed: int) -> nn.Module:
    if finding.functional or not hasattr(module, "weight"):
        raise ValueError(f"{finding.name} is a functional call: change the forward instead")
    s = finding.geometry["stride"]
    return constrained_replacement(embed(module, tuple(-(-st // 2) for st in s)))


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
    n_in = finding.input_shape[2:]
    reach = [da * (k - 1) + 1 for k, da in zip(g["kernel_size"], g.get("dilation") or (1,) * nd)]
    if any(r > n + 2 * p for r, n, p in zip(reach, n_in, g["padding"])):
        raise ValueError(
            f"{finding.name}: its window {tuple(reach)} is wider than its padded input "
            f"{tuple(n + 2 * p for n, p in zip(n_in, g['padding']))} (a ceil-mode pool), so a "
            "stride-1 pool cannot run there; it pools everything into one output: leave it"
        )
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
    picks = even_conv_options(*sizes_and_stride(finding))
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


# --------------------------------------------------------------------------- choosing one


def resolve_strategy(strategy: str | None, direction: str) -> Strategy:
    """The registered :class:`Strategy` called ``strategy`` for ``direction`` (None: the
    direction's default), or a ValueError naming the strategies that direction has.

    Examples
    --------
    >>> resolve_strategy(None, "backward").name
    'blur'
    """
    check_direction(direction)
    name = DEFAULT_STRATEGY[direction] if strategy is None else strategy
    own = sorted(k for k, v in STRATEGIES.items() if v.direction == direction)
    if not isinstance(name, str) or name not in STRATEGIES:
        raise ValueError(f"strategy must be one of {own} for direction={direction!r}, got {name!r}")
    if STRATEGIES[name].direction != direction:
        raise ValueError(
            f"strategy {name!r} fixes the {STRATEGIES[name].direction} pass; for "
            f"direction={direction!r} use one of {own}"
        )
    return STRATEGIES[name]
