"""The decision table: verdicts, clean initialisations and default scores, against brute force."""

import itertools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.atlas.decision import (
    RECOMMENDATIONS,
    clean_init_exists,
    clean_kernel,
    decision_table,
    recommendation,
    verdict,
)
from artifact_lab.core.kernels import make_kernel
from tests._strategies import examples

GRID = list(itertools.product(range(1, 13), range(1, 7), range(1, 4)))  # k, s, d


def _constant_response(kernel: np.ndarray, s, d) -> np.ndarray:
    """torch's interior output for a constant input, one period per axis: the phase gains."""
    nd = kernel.ndim
    k = kernel.shape
    s = (s,) * nd if isinstance(s, int) else s
    d = (d,) * nd if isinstance(d, int) else d
    n = [math.ceil(((ka - 1) * da + 2 * sa) / sa) + 2 for ka, sa, da in zip(k, s, d)]
    conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[nd]
    y = conv(
        torch.ones((1, 1, *n), dtype=torch.float64),
        torch.as_tensor(kernel)[None, None],
        stride=s,
        dilation=d,
    )[0, 0]
    # the interior starts at (k-1)*d; one whole period of it, indexed by phase o mod s
    index = []
    for ka, sa, da in zip(k, s, d):
        lo = (ka - 1) * da
        start = lo + (-lo) % sa  # first interior output of phase 0
        index.append(slice(start, start + sa))
    return y[tuple(index)].numpy()


@pytest.mark.parametrize("k,s,d", GRID)
def test_clean_init_exists_is_proved_by_a_kernel_or_a_dead_phase(k, s, d):
    """Yes: a kernel whose constant response (torch) is flat and non-zero, scoring 0.
    No: whatever the kernel, torch's constant response has a phase that is exactly 0."""
    if clean_init_exists(k, s, d, ndim=2):
        for seed in (None, 0, 1):
            kern = clean_kernel(k, s, d, ndim=2, seed=seed)
            assert kern.shape == (k, k)
            response = _constant_response(kern, s, d)
            np.testing.assert_allclose(response, 1.0, atol=1e-12)
            assert al.checkerboard_score(kern, s, d) < 1e-12
    else:
        with pytest.raises(ValueError, match="no clean kernel"):
            clean_kernel(k, s, d, ndim=2)
        for seed in range(3):
            kern = np.random.default_rng(seed).standard_normal((k, k)) + 2.0
            response = _constant_response(kern, s, d)
            assert (response == 0).any(), "some phase must receive no tap"
            assert np.abs(response).max() > 0


@pytest.mark.parametrize("k,s,d", GRID)
def test_verdict_counts_the_taps_of_an_all_ones_kernel(k, s, d):
    response = _constant_response(np.ones((k, k)), s, d)  # torch: the interior overlap
    expected = (
        "holes"
        if response.min() == 0
        else ("even" if response.min() == response.max() else "uneven")
    )
    assert verdict(k, s, d) == expected
    # the all-ones rule: even iff s == 1, or gcd(d, s) == 1 and s divides k
    assert (expected == "even") == (s == 1 or (math.gcd(d, s) == 1 and k % s == 0))
    # holes are exactly the geometries without a clean initialisation
    assert (expected == "holes") == (not clean_init_exists(k, s, d))


@settings(max_examples=examples(200), deadline=None)
@given(
    st.integers(1, 3).flatmap(
        lambda nd: st.tuples(
            st.just(nd),
            st.lists(st.integers(1, 7), min_size=nd, max_size=nd),
            st.lists(st.integers(1, 4), min_size=nd, max_size=nd),
            st.lists(st.integers(1, 3), min_size=nd, max_size=nd),
            st.integers(0, 2**31 - 1),
        )
    )
)
def test_anisotropic_geometries_in_any_dimension(args):
    nd, k, s, d, seed = args
    k, s, d = tuple(k), tuple(s), tuple(d)
    every_phase = (al.phase_counts(k, s, d, ndim=nd) > 0).all()
    assert clean_init_exists(k, s, d, ndim=nd) == every_phase
    if every_phase:
        kern = clean_kernel(k, s, d, ndim=nd, seed=seed % 1000)
        np.testing.assert_allclose(al.phase_gains(kern, s, d), 1.0, atol=1e-12)
        np.testing.assert_allclose(_constant_response(kern, s, d), 1.0, atol=1e-12)


def test_decision_table_matches_scores_of_the_default_kernels():
    seeds = range(4)
    table = decision_table([1, 3, 4], [1, 2, 3], [1, 2], seeds=seeds)
    assert len(table) == 18
    assert not table.isna().any().any()
    for row in table.itertuples():
        scores = [
            al.checkerboard_score(
                make_kernel("default", row.kernel_size, row.stride, ndim=2, seed=seed),
                row.stride,
                row.dilation,
            )
            for seed in seeds
        ]
        assert row.default_score == pytest.approx(np.mean(scores), abs=1e-9)
        assert row.default_spread == pytest.approx(np.std(scores, ddof=1), abs=1e-9)
        assert row.default_min == pytest.approx(min(scores), abs=1e-9)
        assert row.verdict == verdict(row.kernel_size, row.stride, row.dilation)
        assert row.clean_init_exists == clean_init_exists(row.kernel_size, row.stride, row.dilation)
        assert row.recommendation == recommendation(row.kernel_size, row.stride, row.dilation)
        if row.stride == 1:
            assert row.default_score == 0


def test_repeated_seeds_count_once():
    """sweep scores each distinct seed once: one seed twice is one seed (spread 0, not NaN)."""
    twice = decision_table([3, 4], [2], [1], seeds=[0, 0])
    once = decision_table([3, 4], [2], [1], seeds=[0])
    assert not twice.isna().any().any()
    assert (twice.default_spread == 0).all()
    assert twice.equals(once)
    several = decision_table([3, 4], [2], [1], seeds=[0, 1, 1])
    assert several.equals(decision_table([3, 4], [2], [1], seeds=[0, 1]))


def test_recommendations_follow_the_geometry():
    assert recommendation(5, 1) == RECOMMENDATIONS["stride 1"]
    assert recommendation(4, 2) == RECOMMENDATIONS["bilinear"]
    assert recommendation(5, 3) == RECOMMENDATIONS["bilinear"]  # 2s - 1 for odd s
    assert recommendation(3, 3) == RECOMMENDATIONS["hold"]
    assert recommendation(3, 2) == RECOMMENDATIONS["equal gains"]
    assert recommendation(3, 2, 2) == RECOMMENDATIONS["holes"]
    assert recommendation(1, 2) == RECOMMENDATIONS["holes"]
    assert al.kernels.bilinear(3, ndim=1).shape == (5,)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="stride"):
        clean_init_exists(3, 0)
    with pytest.raises(ValueError, match="kernel_size"):
        verdict(0, 2)
    with pytest.raises(TypeError, match="dilation"):
        recommendation(3, 2, 1.5)
    with pytest.raises(ValueError, match="seeds"):
        decision_table([3], [2], [1], seeds=[])
