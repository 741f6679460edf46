"""Periods against brute force: the cumulative stride of every downsampling operation is the
smallest input shift that moves its output by one sample (no stride arithmetic of ours), and
the forward period of branches that merge is their LCM, found as the exact period of the
output. Branching models, unpadded convolutions, ceil_mode and odd sizes included."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from artifact_lab.models.audit import audit, fix
from artifact_lab.models.periods import backward_period, lcm_period, model_period, op_period
from artifact_lab.models.trace import run_trace, trace
from tests._strategies import examples


@st.composite
def chains(draw):
    """A random 1-D chain of convolutions and pools valid for its input length (every
    padding, stride 1 to 3, dilation, ceil_mode), the last output at least 12 long."""
    n = draw(st.integers(150, 400))
    layers, length = [], n
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "max", "avg"]))
        k = draw(st.integers(1, 5))
        s = draw(st.integers(1, 3))
        p = draw(st.integers(0, k // 2))
        if kind == "conv":
            d = draw(st.integers(1, 2))
            layer = nn.Conv1d(1, 1, k, s, p, dilation=d)
            out = (length + 2 * p - d * (k - 1) - 1) // s + 1
        else:
            ceil = draw(st.booleans())
            layer = (nn.MaxPool1d if kind == "max" else nn.AvgPool1d)(k, s, p, ceil_mode=ceil)
            out = len(layer(torch.zeros(1, 1, length))[0, 0])
        if out < 12:
            break
        layers.append(layer)
        length = out
    return layers, n


def shift_step(layers: list[nn.Module], n: int, index: int, limit: int = 100) -> int:
    """The smallest input shift moving layer ``index``'s output by exactly one sample in the
    interior (a quarter dropped at each end). Random weights and input, float64."""
    g = torch.Generator().manual_seed(index)
    for m in layers:
        if isinstance(m, nn.Conv1d):
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=g))
    net = nn.Sequential(*layers[: index + 1]).double()
    x = torch.randn(1, 1, n, dtype=torch.float64, generator=g)
    with torch.no_grad():
        y = net(x)[0, 0]
        q = len(y) // 4
        for shift in range(1, limit):
            z = net(torch.roll(x, -shift, dims=-1))[0, 0]
            if torch.allclose(z[q : len(y) - q - 1], y[q + 1 : len(y) - q], atol=1e-9):
                return shift
    return -1


@settings(max_examples=examples(40), deadline=None)
@given(chains())
def test_backward_cumulative_stride_is_the_shift_that_moves_one_output(chain):
    layers, n = chain
    ops, _ = trace(nn.Sequential(*layers), torch.zeros(1, 1, n), direction="backward")

    def stride(m):
        return m.stride if isinstance(m.stride, int) else m.stride[0]

    resampling = [i for i, m in enumerate(layers) if stride(m) > 1]
    assert len(ops) == len(resampling)
    for op, i in zip(ops, resampling, strict=True):
        assert op_period(op, "backward") == (shift_step(list(layers), n, i),), layers
    assert backward_period(ops, (n,)) == (
        math.lcm(*(shift_step(list(layers), n, i) for i in resampling)) if resampling else 1,
    )


class Branches(nn.Module):
    """A tiny feature pyramid: A = nearest x sb then ConvTranspose sa, B = nearest x sa then
    ConvTranspose sb, added. The transposed layers paint periods sa and sb on the output."""

    def __init__(self, sa: int, sb: int, seed: int) -> None:
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.sa, self.sb = sa, sb
        self.a, self.b = nn.ConvTranspose1d(1, 1, sa, sa), nn.ConvTranspose1d(1, 1, sb, sb)
        for m in (self.a, self.b):
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=g))
                m.bias.copy_(torch.randn(m.bias.shape, generator=g))

    def forward(self, x):
        up = F.interpolate
        return self.a(up(x, scale_factor=self.sb)) + self.b(up(x, scale_factor=self.sa))


def exact_period(y: torch.Tensor) -> int:
    c = y.reshape(-1)[y.shape[-1] // 4 : -y.shape[-1] // 4]
    for p in range(1, len(c) // 2):
        if torch.allclose(c[p:], c[:-p], atol=1e-6, rtol=0):
            return p
    return -1


@settings(max_examples=examples(15), deadline=None)
@given(st.sampled_from([(2, 3), (2, 4), (4, 6), (3, 3), (2, 5)]), st.integers(0, 100))
def test_forward_period_of_merged_branches_is_the_lcm_not_the_product(strides, seed):
    sa, sb = strides
    model = Branches(sa, sb, seed).double()
    result = audit(model, (1, 1, 16), measure=False)
    painting = sorted(f.period for f in result.layers if f.kind == "transposed")
    assert painting == sorted([(sa,), (sb,)])
    with torch.no_grad():
        y = model(torch.ones(1, 1, 16, dtype=torch.float64))  # generic weights: full period
    assert model_period(result.layers, 1) == (exact_period(y),) == (math.lcm(sa, sb),)
    assert math.lcm(sa, sb) < sa * sb * sa * sb  # what multiplying every factor gave


class ResBlock(nn.Module):
    """A ResNet downsampling block: a 1x1/s2 shortcut beside a 3x3/s2 then 3x3/s1 path."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(2, 4, 3, 2, 1), nn.Conv2d(4, 4, 3, 1, 1)
        self.short = nn.Conv2d(2, 4, 1, 2)
        self.pool = nn.Conv2d(4, 4, 3, 2, 1)

    def forward(self, x):
        return self.pool(torch.relu(self.conv2(torch.relu(self.conv1(x))) + self.short(x)))


def test_a_resnet_shortcut_is_one_level_with_its_main_path():
    ops, _ = trace(ResBlock(), torch.zeros(1, 2, 33, 33), direction="backward")
    periods = {op.name: op_period(op, "backward") for op in ops}
    assert periods == {"conv1": (2, 2), "short": (2, 2), "pool": (4, 4)}
    # the shift brute force on the sequential path through conv1 and pool gives the same
    chain = [nn.Conv1d(1, 1, 3, 2, 1), nn.Conv1d(1, 1, 3, 1, 1), nn.Conv1d(1, 1, 3, 2, 1)]
    assert [shift_step(chain, 200, 0), shift_step(chain, 200, 2)] == [2, 4]


class UNet(nn.Module):
    """Down by 2 twice, up by transposed convolutions, skips concatenated (odd size 37)."""

    def __init__(self) -> None:
        super().__init__()
        self.d1, self.d2 = nn.Conv1d(1, 2, 3, 2, 1), nn.Conv1d(2, 2, 3, 2, 1)
        self.u2, self.u1 = (
            nn.ConvTranspose1d(2, 2, 3, 2, 1, 1),
            nn.ConvTranspose1d(4, 1, 3, 2, 1, 1),
        )

    def forward(self, x):
        a = self.d1(x)
        b = self.d2(a)
        up = self.u2(b)[..., : a.shape[-1]]
        return self.u1(torch.cat([up, a], dim=1))


def test_a_unet_has_the_cumulative_periods_of_its_levels():
    model = UNet()
    traced = run_trace(model, torch.zeros(1, 1, 36))
    assert [op_period(op, "forward", traced.output_step) for op in traced.ops] == [(4,), (2,)]
    back = run_trace(model, torch.zeros(1, 1, 37), direction="backward")
    assert [op_period(op, "backward") for op in back.ops] == [(2,), (4,)]


def test_pixel_shuffle_and_unshuffle_divide_and_multiply_the_step():
    model = nn.Sequential(nn.PixelUnshuffle(2), nn.Conv2d(4, 16, 1), nn.PixelShuffle(4))
    back = run_trace(model, torch.zeros(1, 1, 8, 8), direction="backward")
    assert [op.step_out for op in back.ops] == [(2, 2)]
    assert back.output_step == (0.5, 0.5)
    fwd = run_trace(model, torch.zeros(1, 1, 8, 8))
    assert [op_period(op, "forward", fwd.output_step) for op in fwd.ops] == [(4, 4)]


@pytest.mark.parametrize("pool", [nn.MaxPool2d, nn.AvgPool2d])
def test_a_ceil_mode_pool_wider_than_its_input_neither_crashes_nor_breaks_the_fix(pool):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), pool(3, 2, ceil_mode=True))
    shape = (1, 1, 4, 4)
    result = audit(model, shape, direction="backward")
    (f,) = result.layers
    assert f.period is None and not f.flagged  # one window: nothing periodic
    fixed = fix(model, shape, direction="backward")
    with torch.no_grad():
        assert fixed(torch.ones(shape)).shape == model(torch.ones(shape)).shape
    with pytest.raises(ValueError, match="wider than its padded input"):
        fix(model, shape, direction="backward", layers=["1"])


def test_lcm_period_and_the_model_period_rules():
    assert lcm_period([None, (2, 3), (4, 1)]) == (4, 3) and lcm_period([None]) is None
    # a nearest upsampling paints nothing: the model's period is its transposed layer's
    m = nn.Sequential(nn.Upsample(scale_factor=4), nn.ConvTranspose1d(1, 1, 3, 2))
    result = audit(m, (1, 1, 16), measure=False)
    assert [f.period for f in result.layers] == [(8,), (2,)]
    assert model_period(result.layers, 1) == (2,)
    # only clean operations: their LCM, so the measurement still checks that nothing shows
    clean = nn.Sequential(nn.Upsample(scale_factor=2), nn.Upsample(scale_factor=3))
    assert model_period(audit(clean, (1, 1, 8), measure=False).layers, 1) == (6,)
