import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import TransposedConv as T
from tests._strategies import examples


@st.composite
def stack(draw, nd):
    """1-3 layers; each padding drawn up to the largest torch accepts for its input size."""
    n = tuple(draw(st.integers(1, 8)) for _ in range(nd))
    layers, kernels, size = [], [], n
    for _ in range(draw(st.integers(1, 3))):
        k = tuple(draw(st.integers(1, 5)) for _ in range(nd))
        s = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        d = tuple(draw(st.integers(1, 3)) for _ in range(nd))
        op = tuple(draw(st.integers(0, max(sa, da) - 1)) for sa, da in zip(s, d))
        full = [(m - 1) * sa + da * (ka - 1) + o + 1 for m, ka, sa, da, o in zip(size, k, s, d, op)]
        p = tuple(draw(st.integers(0, (f - 1) // 2)) for f in full)  # output size >= 1
        layer = T(k, s, p, op, d, ndim=nd)
        layers.append(layer)
        kernels.append(np.random.default_rng(draw(st.integers(0, 999))).standard_normal(k))
        size = layer.output_size(size)
    return n, layers, kernels


def _composite_interior(n, c, shape):
    mask = np.ones(shape, dtype=bool)
    for a, (kc, S, P) in enumerate(zip(c.kernel.shape, c.stride, c.padding)):
        o = np.arange(shape[a])
        keep = (o >= kc - 1 - P) & (o <= (n[a] - 1) * S - P)
        mask &= keep.reshape([-1 if b == a else 1 for b in range(len(shape))])
    return mask


@settings(max_examples=examples(300))
@given(st.integers(1, 2).flatmap(lambda nd: stack(nd)))
def test_stack_interior_holds_against_torch_over_every_padding_torch_accepts(nlk):
    n, layers, kernels = nlk
    by_layers = al.stack_response(n, layers, kernels, method="layers", device="cpu")
    by_composite = al.stack_response(n, layers, kernels, method="composite", device="cpu")
    assert by_composite.shape == by_layers.shape
    c = al.composite(layers, kernels)
    mask = al.stack_interior(n, layers)
    interior = _composite_interior(n, c, by_layers.shape)
    assert mask.shape == by_layers.shape and not (mask & ~interior).any()
    # on the stack's interior the layers equal the composite, and the steady state: the
    # composite's phase gain at each output's phase (constant input)
    np.testing.assert_allclose(by_composite[mask], by_layers[mask], atol=1e-9)
    gains = c.phase_gains
    phase = tuple(np.indices(by_layers.shape)[a] % c.stride[a] for a in range(len(n)))
    np.testing.assert_allclose(by_layers[mask], gains[phase][mask], atol=1e-9)
    if all(
        p <= d * (k - 1) for L in layers for k, p, d in zip(L.kernel_size, L.padding, L.dilation)
    ):
        # intermediate crops take only borders: the composite's whole interior holds
        assert (mask == interior).all()
    if all(max(layer.padding) == 0 for layer in layers):  # nothing cropped: equal everywhere
        np.testing.assert_allclose(by_composite, by_layers, atol=1e-9)


def test_the_issue_example_a_padding_beyond_reach_crops_into_the_interior():
    layers = [T(1, 3, 1, ndim=1), T(2, 1, 1, 0, 2, ndim=1)]
    by_layers = al.stack_response(10, layers)
    by_composite = al.stack_response(10, layers, method="composite")
    c = al.composite(layers)
    interior = _composite_interior((10,), c, by_layers.shape)
    assert interior.all()  # the composite interior claims every output ...
    differ = by_layers != by_composite
    assert differ.any()  # ... but the cropped sample changes some of them
    mask = al.stack_interior(10, layers)
    assert not (mask & differ).any() and mask.sum() == len(mask) - differ.sum()


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
    with pytest.raises(TypeError, match="layers must be a sequence"):
        al.stack_interior(8, T(3, 2, ndim=1))
    with pytest.raises(ValueError, match="method"):
        al.stack_response(8, [T(3, 2, ndim=1)], method="fast")
    with pytest.raises(ValueError, match="limit"):
        al.stack_interior(10**8, [T(3, 2, ndim=1)] * 2)


def test_composite_crop_larger_than_the_full_output_is_zero_filled_not_refused():
    # composite padding 2 on a one-sample full output: torch's pad would refuse the crop
    layers = [T((1, 1), (3, 1), (1, 0), (2, 0), ndim=2), T((1, 1), (2, 1), ndim=2)]
    k = [np.array([[0.5]]), np.array([[0.5]])]
    by_layers = al.stack_response((1, 1), layers, k, method="layers", device="cpu")
    by_composite = al.stack_response((1, 1), layers, k, method="composite", device="cpu")
    assert by_composite.shape == by_layers.shape == (1, 1)
    mask = al.stack_interior((1, 1), layers)
    np.testing.assert_allclose(by_composite[mask], by_layers[mask])
