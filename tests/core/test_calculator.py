import itertools

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.atlas.decision import clean_init_exists, verdict
from tests._strategies import examples


def _brute(n, target, ks, ss, ds, op_limit):
    """Every (k, s, p, op, d) torch accepts that gives ``target``, by enumeration."""
    found = set()
    for k, s, d in itertools.product(ks, ss, ds):
        for p in range(d * (k - 1) + 1):
            for op in range(op_limit(s, d)):
                try:
                    if al.output_size(n, k, s, p, op, d) == target:
                        found.add((k, s, p, op, d))
                except ValueError:
                    pass
    return found


def _found(table):
    cols = ["kernel_size", "stride", "padding", "output_padding", "dilation"]
    return set(table[cols].itertuples(index=False, name=None))


@settings(max_examples=examples(60))
@given(st.integers(1, 20), st.integers(1, 70))
def test_solve_finds_exactly_the_configs_that_hit_the_size(n, target):
    ks, ss, ds = range(1, 7), range(1, 5), [1, 2, 3]
    every = al.solve(n, target, kernel_sizes=ks, strides=ss, dilations=ds, all_output_paddings=True)
    assert _found(every) == _brute(n, target, ks, ss, ds, lambda s, d: max(s, d))
    default = al.solve(n, target, kernel_sizes=ks, strides=ss, dilations=ds)
    assert _found(default) == _brute(n, target, ks, ss, ds, lambda s, d: s)
    assert default.output_size_ok.all()
    assert (every.output_size_ok == (every.output_padding < every.stride)).all()


@settings(max_examples=examples(40))
@given(st.integers(1, 12), st.integers(1, 40), st.lists(st.integers(0, 12), min_size=1))
def test_solve_with_given_paddings_and_output_paddings(n, target, paddings):
    ks, ss, ds = range(1, 6), range(1, 4), [1, 2]
    ops = [0, 1]
    table = al.solve(
        n,
        target,
        kernel_sizes=ks,
        strides=ss,
        dilations=ds,
        paddings=paddings,
        output_paddings=ops,
        all_output_paddings=True,
    )
    brute = set()
    for k, s, d, p, op in itertools.product(ks, ss, ds, set(paddings), ops):
        if op < max(s, d):
            try:
                if al.output_size(n, k, s, p, op, d) == target:
                    brute.add((k, s, p, op, d))
            except ValueError:
                pass
    assert _found(table) == brute


def test_solve_rows_give_the_size_in_torch_also_through_output_size():
    table = al.solve(
        16,
        32,
        kernel_sizes=range(1, 9),
        strides=range(1, 5),
        dilations=[1, 2, 3],
        all_output_paddings=True,
    )
    assert len(table) > 5 and (~table.output_size_ok).any()
    x = torch.zeros(1, 1, 16)
    for row in table.itertuples():
        layer = al.TransposedConv(
            row.kernel_size, row.stride, row.padding, row.output_padding, row.dilation, ndim=1
        )
        module = layer.to_module(1, 1)
        assert module(x).shape[-1] == 32
        if row.output_size_ok:
            assert module(x, output_size=[32]).shape[-1] == 32
        else:  # torch's forward(output_size=) refuses output paddings >= stride
            with pytest.raises(ValueError):
                module(x, output_size=[32])


def test_even_overlap_and_clean_init_columns_against_brute_force():
    table = al.solve(16, 32, kernel_sizes=range(1, 13), strides=range(1, 7), dilations=[1, 2, 3])
    for row in table.itertuples():
        k, s, d = row.kernel_size, row.stride, row.dilation
        counts = np.zeros(s, dtype=int)
        for j in range(k):  # where each tap of the kernel lands, by enumeration
            counts[(j * d - row.padding) % s] += 1
        assert row.even_overlap == (counts.min() == counts.max())
        assert row.holes == (counts.min() == 0)
        assert row.overlap_contrast == pytest.approx((counts.max() - counts.min()) / counts.mean())
        _check_clean_init(k, s, d, row.padding, row.clean_init_exists, counts)
    # cleanest first: even overlap, then a clean initialisation, then the rest
    rank = (~table.even_overlap).astype(int) + (~table.clean_init_exists).astype(int)
    assert (np.diff(rank.to_numpy()) >= 0).all()


def _check_clean_init(k, s, d, p, says_yes, counts):
    phase = (np.arange(k) * d - p) % s
    if says_yes:  # taps normalised per phase: every phase gain is 1, the score 0
        kernel = 1.0 / counts[phase]
        assert np.allclose(al.phase_gains(kernel, s, d, p), 1.0)
        assert al.checkerboard_score(kernel, s, d) < 1e-12
    else:  # a phase with no tap: its gain is 0 for every kernel of this geometry
        empty = int(np.flatnonzero(counts == 0)[0])
        kernel = np.random.default_rng(k * 100 + s * 10 + d).standard_normal(k) + 3.0
        assert al.phase_gains(kernel, s, d, p)[empty] == 0
        assert al.checkerboard_score(kernel, s, d) > 0


def test_clean_init_rule_over_a_grid_against_brute_force_constructions():
    for k, s, d in itertools.product(range(1, 13), range(1, 7), range(1, 4)):
        counts = np.bincount((np.arange(k) * d) % s, minlength=s)
        table = al.solve(
            20,
            (20 - 1) * s + d * (k - 1) + 1,
            kernel_sizes=[k],
            strides=[s],
            dilations=[d],
            paddings=[0],
            output_paddings=[0],
        )
        row = table.iloc[0]
        assert row.clean_init_exists == (counts.min() > 0) == clean_init_exists(k, s, d, ndim=1)
        _check_clean_init(k, s, d, 0, row.clean_init_exists, counts)
        assert row.even_overlap == (counts.min() == counts.max())
        assert row.even_overlap == (verdict(k, s, d, ndim=1) == "even"), (k, s, d)


def test_solve_tuple_sizes_fit_every_axis():
    table = al.solve((16, 24), (32, 48), kernel_sizes=range(1, 7))
    assert not table.empty
    for row in table.itertuples():
        assert al.output_size(
            (16, 24), row.kernel_size, row.stride, row.padding, row.output_padding, row.dilation
        ) == (32, 48)
        counts = al.phase_counts((row.kernel_size,) * 2, row.stride, row.dilation)
        assert row.overlap_contrast == pytest.approx((counts.max() - counts.min()) / counts.mean())


def test_solve_answers_huge_strides_in_closed_form_and_refuses_huge_ranges():
    # a stride of 10**9 used to loop over 10**9 output paddings
    assert al.solve(16, 32, strides=10**9).empty
    big = al.solve(2, 10**9 + 2, kernel_sizes=[3], strides=[10**9], dilations=[1])
    assert set(zip(big.padding, big.output_padding)) == {(1, 1), (2, 3)}  # 2p - op = 1, p <= 2
    for row in big.itertuples():
        assert al.output_size(2, 3, 10**9, row.padding, row.output_padding) == 10**9 + 2
    with pytest.raises(ValueError, match="kernel_sizes holds 99999999 values"):
        al.solve(16, 32, kernel_sizes=range(1, 10**8))
    with pytest.raises(ValueError, match="narrow"):
        al.solve(16, 32, kernel_sizes=range(1, 2000), strides=range(1, 2000))


def test_solve_empty_and_errors():
    empty = al.solve(16, 17, kernel_sizes=[2], strides=[2])
    assert isinstance(empty, pd.DataFrame) and empty.empty
    assert list(empty.columns) == list(al.calculator.COLUMNS)
    with pytest.raises(ValueError, match="strides"):
        al.solve(16, 32, strides=[])
    with pytest.raises(ValueError, match="kernel_sizes entry"):
        al.solve(16, 32, kernel_sizes=[0, 1])
    with pytest.raises(ValueError, match="same number of axes"):
        al.solve((16, 16), 32)
    with pytest.raises(TypeError, match="kernel_sizes must be an int or an iterable"):
        al.solve(16, 32, kernel_sizes="1-8")  # a string is not a range
    # like sweep: an output padding that no stride or dilation accepts is an error
    with pytest.raises(ValueError, match="output_paddings entry 5"):
        al.solve(16, 32, strides=[2], output_paddings=[5])
    with pytest.raises(ValueError, match="output_paddings entry 2"):
        al.solve(16, 32, strides=[2], dilations=[3], output_paddings=[2])
    ok = al.solve(16, 32, strides=[2], dilations=[3], output_paddings=[2], all_output_paddings=True)
    assert (ok.output_padding == 2).all()
    with pytest.raises(TypeError, match="all_output_paddings"):
        al.solve(16, 32, all_output_paddings="yes")
