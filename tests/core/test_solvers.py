"""The size solvers the fixes use, against torch and against brute-force enumeration."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from artifact_lab.core.arithmetic import conv_output_size, output_size
from artifact_lab.core.calculator import (
    even_conv_geometry,
    even_conv_options,
    is_times_stride,
    times_stride_padding,
    transposed_geometry,
    transposed_options,
)


@given(st.integers(1, 12), st.integers(1, 6), st.integers(1, 9))
def test_times_stride_padding_gives_n_times_s_in_torch(k, s, n):
    possible = any(
        (n - 1) * s - 2 * p + k - 1 + op + 1 == n * s for p in range(k) for op in range(s)
    )
    if not possible:  # e.g. an even kernel at stride 1: refused, naming the rule
        with pytest.raises(ValueError, match="output_padding < stride"):
            times_stride_padding(k, s)
        return
    p, op = times_stride_padding(k, s)
    layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op)
    assert layer(torch.zeros(1, 1, n)).shape[-1] == n * s


@given(st.integers(1, 12), st.integers(1, 40), st.integers(1, 5))
def test_transposed_geometry_is_every_clean_layer_of_that_size(n, L, s):
    found = transposed_geometry(n, L, s)
    brute = {
        (k, p, op)
        for k in range(s, 4 * s + 1)
        for p in range(k)
        for op in range(s)
        if (n - 1) * s - 2 * p + (k - 1) + op + 1 == L
    }
    assert set(found) == brute and len(found) == len(brute)
    for k, p, op in found[:3]:
        layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op)
        assert layer(torch.zeros(1, 1, n)).shape[-1] == L == output_size(n, k, s, p, op)
    keys = [(k % s != 0, abs(k - 2 * s), op, k) for k, _, op in found]
    assert keys == sorted(keys)  # k % s == 0 first, then nearest 2s, then the smallest op


@given(st.integers(1, 40), st.integers(1, 20), st.integers(1, 5))
def test_even_conv_geometry_prefers_2s_and_exists_exactly_when_brute_force_finds_one(n, L, s):
    got = even_conv_geometry(n, L, s)
    order = (2 * s, s, 3 * s, 4 * s)
    brute = [
        (k, p)
        for k in order
        for p in range(k)
        if n + 2 * p - k >= 0 and conv_output_size(n, k, s, p) == L
    ]
    assert got == (brute[0] if brute else None)
    if got is not None:
        k, p = got
        assert k % s == 0
        assert nn.Conv1d(1, 1, k, stride=s, padding=p)(torch.zeros(1, 1, n)).shape[-1] == L


@given(st.lists(st.tuples(st.integers(1, 9), st.integers(1, 4)), min_size=1, max_size=3))
def test_per_axis_options_are_the_per_axis_solvers(axes):
    n = tuple(a for a, _ in axes)
    s = tuple(b for _, b in axes)
    L = tuple(a * b for a, b in axes)
    per_axis, common = transposed_options(n, L, s)
    assert per_axis == [transposed_geometry(a, la, b) for a, la, b in zip(n, L, s, strict=True)]
    assert all(all(g in options for options in per_axis) for g in common)
    assert even_conv_options(L, n, s) == [
        even_conv_geometry(la, a, b) for a, la, b in zip(n, L, s, strict=True)
    ]
    assert is_times_stride(n, L, s) == (len(set(s)) == 1)
