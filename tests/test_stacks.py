import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import TransposedConv as T


@st.composite
def stack(draw, nd):
    layers, kernels = [], []
    for _ in range(draw(st.integers(1, 3))):
        k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
        s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        d = tuple(draw(st.integers(1, 2)) for _ in range(nd))
        p = tuple(draw(st.integers(0, da * (ka - 1))) for ka, da in zip(k, d))
        op = tuple(draw(st.integers(0, max(sa, da) - 1)) for sa, da in zip(s, d))
        layers.append(T(k, s, p, op, d, ndim=nd))
        kernels.append(np.random.default_rng(draw(st.integers(0, 999))).standard_normal(k))
    return layers, kernels


@settings(max_examples=300)
@given(st.integers(1, 2).flatmap(lambda nd: stack(nd)), st.integers(4, 8))
def test_composite_kernel_reproduces_the_layer_by_layer_output(lk, n):
    layers, kernels = lk
    try:
        by_layers = al.stack_response(n, layers, kernels, method="layers", device="cpu")
    except ValueError:  # padding larger than an intermediate output: rejected both ways
        with pytest.raises(ValueError):
            al.stack_response(n, layers, kernels, method="composite")
        return
    by_composite = al.stack_response(n, layers, kernels, method="composite", device="cpu")
    assert by_composite.shape == by_layers.shape
    c = al.composite(layers, kernels)
    # interior of the composite layer: every composite tap fed by a valid input. There the
    # two agree exactly; at the borders intermediate padding crops samples a later layer
    # would have used, so only the interior is the stack's steady state.
    mask = np.ones(by_layers.shape, dtype=bool)
    for a, (kc, S, P) in enumerate(zip(c.kernel.shape, c.stride, c.padding)):
        o = np.arange(by_layers.shape[a])
        keep = (o >= kc - 1 - P) & (o <= (n - 1) * S - P)
        mask &= keep.reshape([-1 if b == a else 1 for b in range(by_layers.ndim)])
    np.testing.assert_allclose(by_composite[mask], by_layers[mask], atol=1e-9)
    if all(max(layer.padding) == 0 for layer in layers):  # nothing cropped: equal everywhere
        np.testing.assert_allclose(by_composite, by_layers, atol=1e-9)


def test_order_matters_k3_then_k4_is_even_k4_then_k3_is_not():
    k3, k4 = T(3, 2, ndim=1), T(4, 2, ndim=1)
    even = al.stack_response(16, [k3, k4])
    uneven = al.stack_response(16, [k4, k3])
    mid = slice(20, 40)
    assert len(set(even[mid])) == 1
    assert len(set(uneven[mid])) == 2
    assert al.composite([k3, k4]).checkerboard_score == 0
    assert al.composite([k4, k3]).checkerboard_score > 0
    # the composite's gains are the measured interior values, phase by phase
    g = al.composite([k4, k3]).phase_gains
    assert sorted(set(uneven[mid])) == sorted(set(g))


def test_one_odd_layer_contaminates_a_dcgan_like_stack():
    clean = [T(4, 2, 1, ndim=2)] * 4
    odd = [T(4, 2, 1, ndim=2)] * 3 + [T(3, 2, 1, 1, ndim=2)]
    assert al.composite(clean).checkerboard_score == 0
    assert al.composite(odd).checkerboard_score > 0
    assert al.composite(clean).stride == (16, 16)


def test_stack_errors():
    with pytest.raises(ValueError, match="at least one"):
        al.composite([])
    with pytest.raises(TypeError, match="TransposedConv"):
        al.composite([(3, 2)])
    with pytest.raises(ValueError, match="kernel_size"):
        al.composite([T(3, 2, ndim=1)], [np.ones(4)])
