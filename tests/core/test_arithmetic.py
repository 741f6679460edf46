import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.core.arithmetic import conv_transpose_by_zero_insertion
from tests._oracles import CONV_T
from tests._strategies import examples, geometry


def torch_shape(n, k, s, p, op, d):
    nd = len(n)
    x = torch.ones((1, 1, *n), dtype=torch.float64)
    w = torch.ones((1, 1, *k), dtype=torch.float64)
    return tuple(CONV_T[nd](x, w, stride=s, padding=p, output_padding=op, dilation=d).shape[2:])


@settings(max_examples=examples(3000))
@given(geometry(valid=False, max_p=8))
def test_output_size_agrees_with_torch_and_rejects_what_torch_rejects(g):
    nd, n, k, s, p, op, d = g
    try:
        expected = torch_shape(n, k, s, p, op, d)
    except RuntimeError:
        expected = None
    if expected is None:
        with pytest.raises(ValueError):
            al.output_size(n, k, s, p, op, d)
    else:
        assert al.output_size(n, k, s, p, op, d) == expected
        assert al.TransposedConv(k, s, p, op, d, ndim=nd).output_size(n) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(stride=0),
        dict(dilation=0),
        dict(kernel_size=0),
        dict(padding=-1),
        dict(output_padding=-1),
        dict(input_size=0),
        dict(output_padding=2, stride=2),
    ],
)
def test_nonpositive_and_negative_arguments_are_rejected_like_torch(kwargs):
    args = dict(input_size=5, kernel_size=3, stride=1, padding=0, output_padding=0, dilation=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        al.output_size(**args)
    x = torch.ones(1, 1, args.pop("input_size"))
    w = torch.ones(1, 1, args.pop("kernel_size")) if kwargs.get("kernel_size", 1) else None
    if w is not None:
        with pytest.raises(RuntimeError):
            F.conv_transpose1d(x, w, **args)


def test_int_and_tuple_forms():
    assert al.output_size(16, 4, 2, 1) == 32
    assert al.output_size((16, 8), 4, 2, 1) == (32, 16)
    assert al.output_size(16, (4, 3), 2, (1, 1), (0, 1)) == (32, 32)
    with pytest.raises(ValueError, match="disagree"):
        al.output_size((16, 8), (4, 4, 4))


@pytest.mark.parametrize("bad", [2.0, "3", True, None])
def test_non_integer_arguments_raise_type_error_naming_the_argument(bad):
    with pytest.raises(TypeError, match="kernel_size"):
        al.output_size(8, bad)


def test_output_size_terms_sum_to_the_size():
    for t in al.output_size_terms((9, 16), (3, 4), 2, 1, (1, 0), (1, 2)):
        assert t["stretch"] + t["crop"] + t["reach"] + t["extra"] + 1 == t["size"]


@settings(max_examples=examples(300))
@given(geometry(), st.integers(1, 3), st.integers(1, 3))
def test_transposed_conv_module_round_trip(g, cin, cout):
    nd, n, k, s, p, op, d = g
    layer = al.TransposedConv(k, s, p, op, d, ndim=nd)
    module = layer.to_module(cin, cout)
    assert al.TransposedConv.from_module(module) == layer
    y = module(torch.zeros(1, cin, *n))
    assert tuple(y.shape[2:]) == layer.output_size(n)
    assert y.shape[1] == cout


def test_transposed_conv_rejects_bad_values():
    with pytest.raises(ValueError, match="ndim"):
        al.TransposedConv(3, ndim=4)
    with pytest.raises(ValueError, match="kernel_size"):
        al.TransposedConv((3, 3, 3), ndim=2)
    with pytest.raises(ValueError, match="output_padding"):
        al.TransposedConv(3, 2, output_padding=2)
    with pytest.raises(TypeError, match="ConvTranspose"):
        al.TransposedConv.from_module(torch.nn.Conv2d(1, 1, 3))


@settings(max_examples=examples(300))
@given(st.integers(1, 3), st.data())
def test_zero_insert_matches_brute_force(nd, data):
    shape = tuple(data.draw(st.integers(1, 5)) for _ in range(nd))
    s = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    x = np.random.default_rng(0).integers(1, 9, size=(2, *shape))
    out = al.zero_insert(x, s)
    expected = np.zeros((2, *((m - 1) * st_ + 1 for m, st_ in zip(shape, s))), dtype=x.dtype)
    for idx in np.ndindex(*x.shape):
        expected[(idx[0], *(i * st_ for i, st_ in zip(idx[1:], s)))] = x[idx]
    np.testing.assert_array_equal(out, expected)
    t = al.zero_insert(torch.as_tensor(x), s)
    np.testing.assert_array_equal(t.numpy(), expected)


@settings(max_examples=examples(600))
@given(
    geometry(max_n=6, max_k=5, max_s=4), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2**16)
)
def test_zero_insertion_equivalence_with_torch(g, cin, cout, seed):
    nd, n, k, s, p, op, d = g
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn((2, cin, *n), generator=gen, dtype=torch.float64)
    w = torch.randn((cin, cout, *k), generator=gen, dtype=torch.float64)
    ours = conv_transpose_by_zero_insertion(
        x, w, stride=s, padding=p, output_padding=op, dilation=d
    )
    ref = CONV_T[nd](x, w, stride=s, padding=p, output_padding=op, dilation=d)
    assert ours.shape == ref.shape
    torch.testing.assert_close(ours, ref, rtol=1e-12, atol=1e-12)


def test_zero_insertion_errors():
    with pytest.raises(ValueError, match=r"weight\.shape"):
        conv_transpose_by_zero_insertion(torch.ones(1, 2, 4), torch.ones(3, 1, 3))
    with pytest.raises(TypeError):
        al.zero_insert([1, 2, 3], 2)


CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


@settings(max_examples=examples(600))
@given(geometry(valid=False, max_n=12))
def test_conv_output_size_agrees_with_torch(g):
    nd, n, k, s, p, _, d = g
    try:
        x = torch.ones((1, 1, *n), dtype=torch.float64)
        w = torch.ones((1, 1, *k), dtype=torch.float64)
        expected = tuple(CONV[nd](x, w, stride=s, padding=p, dilation=d).shape[2:])
    except RuntimeError:
        with pytest.raises(ValueError):
            al.arithmetic.conv_output_size(n, k, s, p, d)
        return
    assert al.arithmetic.conv_output_size(n, k, s, p, d) == expected
