import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.calculator import artifact_free_ones


@settings(max_examples=60)
@given(st.integers(1, 20), st.integers(1, 70))
def test_solve_finds_exactly_the_configs_that_hit_the_size(n, target):
    table = al.solve(n, target, kernel_sizes=range(1, 7), strides=range(1, 5), dilations=[1, 2])
    found = set(
        table[["kernel_size", "stride", "padding", "output_padding", "dilation"]].itertuples(
            index=False, name=None
        )
    )
    brute = set()
    for k, s, d in itertools.product(range(1, 7), range(1, 5), [1, 2]):
        for p in range(d * (k - 1) + 1):
            for op in range(max(s, d)):
                try:
                    if al.output_size(n, k, s, p, op, d) == target:
                        brute.add((k, s, p, op, d))
                except ValueError:
                    pass
    assert found == brute


def test_solve_rows_give_the_size_in_torch_and_artifact_free_rows_come_first():
    table = al.solve(16, 32, kernel_sizes=range(1, 9), strides=range(1, 5), dilations=[1, 2, 3])
    assert len(table) > 5
    for row in table.itertuples():
        layer = al.TransposedConv(
            row.kernel_size, row.stride, row.padding, row.output_padding, row.dilation, ndim=1
        )
        assert layer.to_module(1, 1)(torch.zeros(1, 1, 16)).shape[-1] == 32
        counts = al.phase_counts(row.kernel_size, row.stride, row.dilation)
        assert row.artifact_free == (counts.min() == counts.max())
        assert row.holes == (counts.min() == 0)
    flags = table["artifact_free"].to_numpy()
    assert not np.any(np.diff(flags.astype(int)) > 0)  # True block before False block


def test_solve_tuple_sizes_fit_every_axis():
    table = al.solve((16, 24), (32, 48), kernel_sizes=range(1, 7))
    assert not table.empty
    for row in table.itertuples():
        assert al.output_size(
            (16, 24), row.kernel_size, row.stride, row.padding, row.output_padding, row.dilation
        ) == (32, 48)


def test_solve_empty_and_errors():
    empty = al.solve(16, 17, kernel_sizes=[2], strides=[2])
    assert isinstance(empty, pd.DataFrame) and empty.empty
    with pytest.raises(ValueError, match="strides"):
        al.solve(16, 32, strides=[])
    with pytest.raises(ValueError, match="kernel_sizes entry"):
        al.solve(16, 32, kernel_sizes=[0, 1])
    with pytest.raises(ValueError, match="same number of axes"):
        al.solve((16, 16), 32)


def test_artifact_free_rule_matches_brute_force_phase_counts():
    for k, s, d in itertools.product(range(1, 13), range(1, 7), range(1, 5)):
        # brute force: where every tap of an all-ones kernel lands, by enumeration
        counts = np.zeros(s, dtype=int)
        for j in range(k):
            counts[(j * d) % s] += 1
        assert artifact_free_ones(k, s, d) == (counts.min() == counts.max()), (k, s, d)
