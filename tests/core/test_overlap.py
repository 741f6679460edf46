import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings

import artifact_lab as al
from tests._strategies import examples, geometry


@settings(max_examples=examples(2500))
@given(geometry())
def test_analytic_and_torch_overlap_maps_are_identical(g):
    _, n, k, s, p, op, d = g
    analytic = al.overlap_map(n, k, s, p, op, d, method="analytic")
    measured = al.overlap_map(n, k, s, p, op, d, method="torch", device="cpu")
    assert analytic.dtype == measured.dtype == np.int64
    np.testing.assert_array_equal(analytic, measured)


@settings(max_examples=examples(400))
@given(geometry(max_n=12))
def test_interior_values_follow_phase_counts(g):
    _, n, k, s, p, op, d = g
    m = al.overlap_map(n, k, s, p, op, d, method="torch", device="cpu")
    mask = al.interior_mask(n, k, s, p, op, d)
    counts = al.phase_counts(k, s, d, p)
    for o in zip(*np.nonzero(mask), strict=True):
        assert m[o] == counts[tuple(oa % sa for oa, sa in zip(o, s))]
    # brute force: interior iff every tap j maps o back inside the input span
    for o in np.ndindex(*mask.shape):
        inside = all(
            0 <= oa + pa - j * da <= (na - 1) * sa
            for oa, na, ka, sa, pa, da in zip(o, n, k, s, p, d, strict=True)
            for j in range(ka)
        )
        assert mask[o] == inside


def _interior_values(n, k, s, d, p=0, op=0):
    m = al.overlap_map(n, k, s, p, op, d, method="torch", device="cpu")
    return m[al.interior_mask(n, k, s, p, op, d)]


def test_all_ones_even_iff_rule_and_holes_when_gcd_exceeds_one():
    for k, s, d in itertools.product(range(1, 13), range(1, 7), range(1, 5)):
        n = 2 * (k * d + s) + 4  # long enough for a full interior period
        vals = _interior_values(n, k, s, d)
        even = vals.min() == vals.max()
        rule = s == 1 or (math.gcd(d, s) == 1 and k % s == 0)
        assert even == rule, (k, s, d)
        if math.gcd(d, s) > 1:
            assert vals.min() == 0 and al.has_holes(k, s, d), (k, s, d)
        assert al.has_holes(k, s, d) == (vals.min() == 0)


def test_padding_and_output_padding_never_change_the_interior_pattern():
    for k, s, d in itertools.product(range(1, 8), range(1, 5), range(1, 3)):
        n = 3 * (k * d + s)
        base = np.sort(al.phase_counts(k, s, d))
        for p in range(d * (k - 1) + 1):
            for op in range(max(s, d)):
                vals = _interior_values(n, k, s, d, p, op)
                # the same multiset of per-phase values, only rolled
                period = np.sort(vals[:s]) if len(vals) >= s else None
                if period is not None:
                    np.testing.assert_array_equal(period, base)
                assert al.overlap_contrast(k, s, d, p) == al.overlap_contrast(k, s, d)


@settings(max_examples=examples(200))
@given(
    geometry(ndim=2),
)
def test_nd_box_overlap_is_outer_product_of_axes(g):
    _, n, k, s, p, op, d = g
    m2 = al.overlap_map(n, k, s, p, op, d, method="torch", device="cpu")
    rows = al.overlap_map(n[0], k[0], s[0], p[0], op[0], d[0], method="torch", device="cpu")
    cols = al.overlap_map(n[1], k[1], s[1], p[1], op[1], d[1], method="torch", device="cpu")
    np.testing.assert_array_equal(m2, np.outer(rows, cols))


def test_overlap_stats_and_frame():
    st = al.overlap((9, 9), 3, 2, 1, 1)
    assert st.map.shape == (18, 18)
    counts = np.outer([1, 2], [1, 2])  # taps 0 and 2 land on phase (j - p) % 2 = 1
    np.testing.assert_array_equal(st.phase_counts, counts)
    assert st.contrast == pytest.approx((4 - 1) / counts.mean())
    assert not st.holes
    frame = st.to_frame()
    assert len(frame) == 18 * 18
    inner = frame[frame.interior]
    assert (inner.groupby(["phase0", "phase1"]).overlap.nunique() == 1).all()
    assert st.border.sum() + st.interior.sum() == st.map.size


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(input_size=0, kernel_size=3), "input_size"),
        (dict(input_size=4, kernel_size=-1), "kernel_size"),
        (dict(input_size=4, kernel_size=3, method="fft"), "method"),
        (dict(input_size=(4, 4), kernel_size=3, ndim=3), "ndim"),
        (dict(input_size=10**6, kernel_size=300, stride=300, ndim=2), "limit"),
    ],
)
def test_overlap_map_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        al.overlap_map(**kwargs)


@settings(max_examples=examples(500))
@given(geometry(max_k=12, max_s=9, max_d=6))
def test_closed_form_holes_and_contrast_equal_brute_force_phase_counts(g):
    _, _, k, s, p, _, d = g
    # brute force: enumerate every N-d tap and the phase it lands on
    counts = np.zeros(s, dtype=int)
    for j in itertools.product(*(range(ka) for ka in k)):
        counts[tuple((ja * da - pa) % sa for ja, da, pa, sa in zip(j, d, p, s))] += 1
    assert al.has_holes(k, s, d) == bool((counts == 0).any())
    assert al.overlap_contrast(k, s, d, p) == pytest.approx(
        (counts.max() - counts.min()) / counts.mean(), rel=1e-12
    )
    np.testing.assert_array_equal(al.phase_counts(k, s, d, p), counts)


def test_huge_geometries_are_answered_in_closed_form_or_refused_before_allocating():
    # closed forms: no array at all
    assert al.has_holes(3 * 10**8, 2) is False
    assert al.has_holes(3, 10**9) is True
    assert al.overlap_contrast(3 * 10**8, 2) == 0.0
    assert al.overlap_contrast(3, 10**9, 7) == pytest.approx(10**9 / 3)
    # arrays: refused up front with the limit and what to do
    with pytest.raises(ValueError, match=r"interior mask .* limit"):
        al.interior_mask(10**8, 3, 2)
    with pytest.raises(ValueError, match=r"phase counts .* closed form"):
        al.phase_counts(3, 10**9)
    with pytest.raises(ValueError, match="limit"):
        al.overlap_map(10**8, 3, 2)


def test_overlap_stats_print_in_one_line_whatever_the_map_size():
    small, large = al.overlap(8, 3, 2), al.overlap((512, 512), (3, 5), (2, 4))
    assert repr(small).startswith("OverlapStats(1-D map of 17 outputs, stride (2,)")
    text = repr(large)
    assert "\n" not in text and len(text) < 200 and "2-D map of 1025x2049 outputs" in text
    assert f"contrast {large.contrast:.3g}" in text and "phase counts [[" in text
