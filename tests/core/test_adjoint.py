"""The adjoint closed forms against torch.autograd: conv, average and LP pools in 1-, 2-, 3-D."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lab.core.adjoint import (
    adjoint_geometry,
    adjoint_interior,
    adjoint_pattern,
    downsample_size,
    measured_gains,
    pool_kernel,
)
from artifact_lab.core.scores import checkerboard_score, phase_gains
from tests._oracles import AVG_POOL as AVG
from tests._oracles import CONV_T
from tests._oracles import LP_POOL as LP
from tests._strategies import examples

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
EXAMPLES = examples(300)  # 3 x 100 configurations in make test-all


def _grad(op, x):
    x = x.clone().requires_grad_(True)
    y = op(x)
    (g,) = torch.autograd.grad(y, x, torch.ones_like(y))
    return g.detach()


def _phase_index(n, s):
    return np.ix_(*(np.arange(na) % sa for na, sa in zip(n, s, strict=True)))


@st.composite
def conv_config(draw):
    nd = draw(st.integers(1, 3))
    axes = []
    for _ in range(nd):
        k, s, d = draw(st.integers(1, 5)), draw(st.integers(2, 4)), draw(st.integers(1, 3))
        reach = d * (k - 1)
        p = draw(st.integers(0, reach + s + 1))  # beyond the reach: torch accepts any
        n = draw(st.integers(max(1, reach + 1 - 2 * p), reach + 3 * s + (6 if nd < 3 else 2)))
        axes.append((n, k, s, p, d))
    groups = draw(st.sampled_from([1, 2]))
    cin, cout = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    return nd, *zip(*axes, strict=True), groups, cin, cout, draw(st.integers(0, 2**16))


@settings(max_examples=EXAMPLES)
@given(conv_config())
def test_conv_adjoint_is_the_transposed_convolution_and_its_interior_the_phase_gains(cfg):
    nd, n, k, s, p, d, groups, cin, cout, seed = cfg
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(cout, cin // groups, *k, generator=gen, dtype=torch.float64)
    x = torch.randn(1, cin, *n, generator=gen, dtype=torch.float64)

    def op(t):
        return CONV[nd](t, w, stride=s, padding=p, dilation=d, groups=groups)

    grad = _grad(op, x)[0].numpy()
    # 1. the whole gradient is conv_transpose of the upstream ones with the same weight
    geo = adjoint_geometry(n, k, s, p, d)
    assert tuple(op(x).shape[2:]) == geo["upstream_size"] == downsample_size(n, k, s, p, d)
    g = torch.ones(1, cout, *geo["upstream_size"], dtype=torch.float64)
    assert all(0 <= o < max(sa, da) for o, sa, da in zip(geo["output_padding"], s, d))
    ct = CONV_T[nd](
        g, w, stride=s, padding=p, output_padding=geo["output_padding"], dilation=d, groups=groups
    )
    np.testing.assert_allclose(ct[0].numpy(), grad, rtol=0, atol=1e-12)
    # 2. in the interior, input channel c gets the phase gains summed over its group's outputs
    mask = adjoint_interior(n, k, s, p, d)
    per_group = cout // groups
    for c in range(cin):
        grp = c // (cin // groups)
        kern = w[grp * per_group : (grp + 1) * per_group, c % (cin // groups)].sum(0).numpy()
        gains = phase_gains(kern, s, d, p)
        expected = gains[_phase_index(n, s)]
        np.testing.assert_allclose(grad[c][mask], expected[mask], rtol=0, atol=1e-12)
        pattern = adjoint_pattern(kern, n, s, p, d)
        assert np.array_equal(np.isnan(pattern), ~mask)


@st.composite
def pool_config(draw, kind):
    nd = draw(st.integers(1, 3))
    axes = []
    for _ in range(nd):
        k, s = draw(st.integers(1, 4)), draw(st.integers(2, 4))
        p = draw(st.integers(0, k // 2)) if kind == "avg" else 0  # torch: p <= k/2
        n = draw(st.integers(2 * (k - 1) + s, 2 * (k - 1) + 3 * s + (5 if nd < 3 else 1)))
        axes.append((n, k, s, p))
    ceil = draw(st.booleans())
    extra = {}
    if kind == "avg":
        extra["count_include_pad"] = draw(st.booleans())
        if nd > 1 and draw(st.booleans()):  # avg_pool1d has no divisor_override
            extra["divisor_override"] = draw(st.integers(1, 9))
    else:
        extra["norm_type"] = draw(st.sampled_from([1.0, 2.0, 3.0, 1.5]))
    return nd, *zip(*axes, strict=True), ceil, extra, draw(st.floats(0.25, 3.0))


@settings(max_examples=EXAMPLES)
@given(pool_config("avg"))
def test_avg_pool_adjoint_is_an_all_ones_kernel_per_channel(cfg):
    nd, n, k, s, p, ceil, extra, _ = cfg
    x = torch.randn(2, 3, *n, dtype=torch.float64)

    def op(t):
        return AVG[nd](t, k, s, p, ceil_mode=ceil, **extra)

    grad = _grad(op, x).numpy()
    kern = pool_kernel("avg", k, ndim=nd, divisor_override=extra.get("divisor_override"))
    mask = adjoint_interior(n, k, s, p, ceil_mode=ceil, whole_windows=True)
    pattern = adjoint_pattern(kern, n, s, p, ceil_mode=ceil, whole_windows=True)
    assert mask.any()
    for b in range(2):
        for c in range(3):
            np.testing.assert_allclose(grad[b, c][mask], pattern[mask], rtol=1e-12, atol=1e-14)


@settings(max_examples=EXAMPLES)
@given(pool_config("lp"))
def test_lp_pool_adjoint_at_a_constant_is_an_all_ones_kernel(cfg):
    nd, n, k, s, _, ceil, extra, level = cfg
    x = torch.full((1, 2, *n), level, dtype=torch.float64)

    def op(t):  # lp_pool1d takes ints only
        kk, ss = (k[0], s[0]) if nd == 1 else (k, s)
        return LP[nd](t, extra["norm_type"], kk, ss, ceil_mode=ceil)

    grad = _grad(op, x).numpy()
    kern = pool_kernel("lp", k, ndim=nd, norm_type=extra["norm_type"])
    mask = adjoint_interior(n, k, s, ceil_mode=ceil, whole_windows=True)
    pattern = adjoint_pattern(kern, n, s, ceil_mode=ceil, whole_windows=True)
    assert mask.any()
    for c in range(2):
        np.testing.assert_allclose(grad[0, c][mask], pattern[mask], rtol=1e-9)


def test_avg_pool_k3_s2_is_uneven_and_k_equal_s_is_even():
    assert checkerboard_score(pool_kernel("avg", 3, ndim=2), 2) > 0.1
    assert checkerboard_score(pool_kernel("avg", 2, ndim=2), 2) == 0.0
    x = torch.randn(1, 1, 20, 20, dtype=torch.float64)
    uneven = measured_gains(
        lambda t: F.avg_pool2d(t, 3, 2), x, 2, adjoint_interior((20, 20), 3, 2, whole_windows=True)
    )
    np.testing.assert_allclose(uneven.gains * 9, [[4, 2], [2, 1]], atol=1e-12)
    assert uneven.score == pytest.approx(checkerboard_score(np.ones((3, 3)), 2))
    even = measured_gains(
        lambda t: F.avg_pool2d(t, 2, 2), x, 2, adjoint_interior((20, 20), 2, 2, whole_windows=True)
    )
    np.testing.assert_allclose(even.gains, 0.25, atol=1e-15)
    assert even.score == pytest.approx(0.0, abs=1e-15) and even.spread < 1e-12


def test_max_pool_is_measured_and_depends_on_the_data():
    with pytest.raises(ValueError, match="argmax"):
        pool_kernel("max", 3)
    mask = adjoint_interior((40, 40), 3, 2, 1, whole_windows=True)

    def op(t):
        return F.max_pool2d(t, 3, 2, 1)

    # iid continuous noise: every position of a window is the argmax equally often, so the
    # expected gradient is the average pool's all-ones kernel
    noise = torch.randn(64, 4, 40, 40, generator=torch.Generator().manual_seed(0))
    m = measured_gains(op, noise, 2, mask)
    expected = phase_gains(np.ones((3, 3)), 2, 1, 1) / 9
    np.testing.assert_allclose(m.gains, expected, atol=0.01)
    assert m.chance < 0.01 < m.score
    # ties (a constant input): torch routes each window's gradient to its first position
    # inside the input, o*s - p: phase (-1 mod 2) = 1 on both axes gets everything
    flat = measured_gains(op, torch.zeros(1, 1, 40, 40), 2, mask)
    np.testing.assert_array_equal(flat.gains, [[0.0, 0.0], [0.0, 1.0]])
    assert flat.score != pytest.approx(m.score, abs=0.05)


def test_measured_gains_is_exact_for_a_linear_op_and_checks_its_arguments():
    x = torch.ones(1, 1, 12, dtype=torch.float64)
    mask = adjoint_interior(12, 4, 2, 1)
    w = torch.tensor([[[1.0, 2.0, 3.0, 5.0]]], dtype=torch.float64)
    m = measured_gains(lambda t: F.conv1d(t, w, stride=2, padding=1), x, 2, mask)
    np.testing.assert_allclose(m.gains, phase_gains(w[0, 0], 2, 1, 1), atol=1e-12)
    assert m.chance == 0.0 and m.spread < 1e-12
    with pytest.raises(ValueError, match="interior must have"):
        measured_gains(lambda t: t, x, 2, np.ones(5, bool))
    with pytest.raises(ValueError, match="no position of some phase"):
        measured_gains(lambda t: t, x, 2, np.eye(1, 12, 4, dtype=bool)[0])
    with pytest.raises(TypeError, match="x must be a tensor"):
        measured_gains(lambda t: t, np.ones((1, 1, 4)), 2, np.ones(4, bool))


def test_closed_form_argument_checks():
    with pytest.raises(ValueError, match="kind must be"):
        pool_kernel("median", 3)
    with pytest.raises(ValueError, match="norm_type"):
        pool_kernel("lp", 3, norm_type=math.inf)
    with pytest.raises(ValueError, match="exceeds the padded input"):
        adjoint_geometry(3, 5, 2)
    with pytest.raises(ValueError, match="stride"):
        adjoint_interior(8, 3, 0)
    with pytest.raises(TypeError, match="kernel_size"):
        downsample_size(8, 2.5, 2)
    assert pool_kernel("lp", (2, 2), norm_type=1.0).tolist() == [[1.0, 1.0], [1.0, 1.0]]


@pytest.mark.parametrize(
    ("x", "error", "match"),
    [
        (torch.ones(1, 1, 12, dtype=torch.int64), TypeError, "x must be a real floating-point"),
        (torch.ones(1, 1, 12, dtype=torch.complex128), TypeError, "x must be a real floating"),
        (torch.ones(0, 1, 12), ValueError, "x must not be empty"),
        (torch.ones(1, 0, 12), ValueError, "x must not be empty"),
        (torch.ones(12), ValueError, r"x must have shape \(N, C, \*spatial\)"),
        (torch.ones(1, 1, 12, device="meta"), ValueError, "x is on the meta device"),
        (torch.full((1, 1, 12), math.nan), ValueError, "x contains NaN or infinite"),
        ([[[1.0] * 12]], TypeError, "x must be a tensor"),
    ],
)
def test_measured_gains_refuses_unusable_inputs_naming_x(x, error, match):
    mask = adjoint_interior(12, 3, 2, whole_windows=True)
    with pytest.raises(error, match=match):
        measured_gains(lambda t: F.avg_pool1d(t, 3, 2), x, 2, mask)


@pytest.mark.parametrize(
    ("op", "match"),
    [
        (lambda t: F.avg_pool1d(t, 3, 2).detach(), "op's output does not depend on x"),
        (lambda t: F.avg_pool1d(t, 3, 2).argmax(-1), "op's output does not depend on x"),
        (lambda t: torch.ones(3), "op's output does not depend on x"),
        (lambda t: t.numpy(), "op must return a tensor"),
        (lambda t: F.avg_pool2d(t, 3, 2), "op failed on x of shape"),
        (lambda t: t.add_(1), "op failed on x of shape"),
        (lambda t: t.to(torch.complex128) * 2, "op returned a complex tensor"),
    ],
)
def test_measured_gains_names_op_when_it_cannot_be_differentiated(op, match):
    x = torch.ones(2, 1, 12, dtype=torch.float64)
    mask = adjoint_interior(12, 3, 2, whole_windows=True)
    with pytest.raises((ValueError, TypeError), match=match):
        measured_gains(op, x, 2, mask)
    with pytest.raises(TypeError, match="interior must be a bool numpy array"):
        measured_gains(lambda t: F.avg_pool1d(t, 3, 2), x, 2, mask.astype(int))
