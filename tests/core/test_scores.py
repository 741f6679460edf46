import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import kernels
from tests._oracles import CONV_T, harmonic_fraction_fft
from tests._strategies import examples, geometry


def constant_response(kernel, n, s, p=0, d=1, op=0):
    nd = kernel.ndim
    x = torch.ones((1, 1, *n), dtype=torch.float64)
    w = torch.as_tensor(kernel, dtype=torch.float64)[None, None]
    return CONV_T[nd](x, w, stride=s, padding=p, output_padding=op, dilation=d)[0, 0].numpy()


@settings(max_examples=examples(400))
@given(geometry(max_n=10), st.integers(0, 2**16))
def test_phase_gains_are_the_interior_response_to_a_constant(g, seed):
    _, n, k, s, p, op, d = g
    kern = np.random.default_rng(seed).standard_normal(k)
    y = constant_response(kern, n, s, p, d, op)
    mask = al.interior_mask(n, k, s, p, op, d)
    gains = al.phase_gains(kern, s, d, p)
    for o in zip(*np.nonzero(mask), strict=True):
        assert y[o] == pytest.approx(gains[tuple(oa % sa for oa, sa in zip(o, s))], abs=1e-9)


@settings(max_examples=examples(300))
@given(st.integers(1, 2), st.data())
def test_measured_harmonic_fraction_equals_checkerboard_score(nd, data):
    k = tuple(data.draw(st.integers(1, 7)) for _ in range(nd))
    s = tuple(data.draw(st.integers(1, 4)) for _ in range(nd))
    d = tuple(data.draw(st.integers(1, 2)) for _ in range(nd))
    p = tuple(data.draw(st.integers(0, da * (ka - 1))) for ka, da in zip(k, d))
    seed = data.draw(st.integers(0, 2**16))
    kern = np.random.default_rng(seed).standard_normal(k)  # non-separable in 2-D
    n = tuple(3 * (ka * da // sa + 2) + 6 for ka, da, sa in zip(k, d, s))
    y = constant_response(kern, n, s, p, d)
    crop = al.interior_crop(y, n, k, s, p, 0, d)
    measured = al.harmonic_fraction(crop, s)
    assert measured == pytest.approx(al.checkerboard_score(kern, s, d), abs=1e-6)


@pytest.mark.parametrize("nd", [1, 2])
def test_noise_gains_are_the_per_phase_output_variance(nd):
    rng = np.random.default_rng(7)
    k, s = (5,) * nd, (3,) * nd
    kern = rng.standard_normal(k)
    n = (4000,) if nd == 1 else (120, 120)
    gen = torch.Generator().manual_seed(3)
    x = torch.randn((16, 1, *n), generator=gen, dtype=torch.float64)
    y = CONV_T[nd](x, torch.as_tensor(kern)[None, None], stride=s)[:, 0].numpy()
    crop = al.interior_crop(y, n, k, s)
    e = al.noise_gains(kern, s)
    offset = tuple((ka - 1) % sa for ka, sa in zip(k, s))  # phase of the crop's first sample
    for r in itertools.product(*(range(sa) for sa in s)):
        start = tuple((ra - oa) % sa for ra, oa, sa in zip(r, offset, s))
        sl = tuple(slice(st_, None, sa) for st_, sa in zip(start, s))
        var = crop[(slice(None), *sl)].var()
        assert var == pytest.approx(e[r], rel=0.05)
    assert al.noise_checkerboard(kern, s) == pytest.approx(e.std() / e.mean())


def test_k_divisible_by_s_is_not_enough_for_random_or_default_kernels():
    for k, s, seed in itertools.product([2, 4, 6, 8], [2], range(20)):
        assert al.phase_counts(k, s).std() == 0  # overlap is even ...
        assert al.checkerboard_score(kernels.normal(k, ndim=2, seed=seed), s) > 1e-6
        assert al.checkerboard_score(kernels.make_kernel("default", k, s, seed=seed), s) > 1e-6


def test_ones_kernel_scores_zero_iff_rule():
    for k, s, d in itertools.product(range(1, 9), range(1, 5), range(1, 4)):
        score = al.checkerboard_score(np.ones(k), s, d)
        even = al.phase_counts(k, s, d).std() == 0
        assert (score < 1e-12) == even


@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("s", [1, 2, 3, 4, 5])
def test_bilinear_hold_and_icnr_score_zero(nd, s):
    for p in range(3):
        assert al.checkerboard_score(kernels.bilinear(s, ndim=nd), s, 1, p) < 1e-12
        assert al.noise_checkerboard(kernels.bilinear(s, ndim=nd), s) >= 0
    assert al.checkerboard_score(kernels.hold(s, ndim=nd), s) < 1e-12
    if nd < 3:
        for seed in range(3):
            eff = kernels.make_kernel("icnr", 3, s, ndim=nd, seed=seed)
            assert al.checkerboard_score(eff, s) < 1e-12
            # the noise gains of an ICNR layer are even as well: every phase, same sub-kernel
            assert al.noise_checkerboard(eff, s) < 1e-12


@settings(max_examples=examples(60))
@given(
    st.integers(1, 2),
    st.integers(1, 4),
    st.sampled_from([1, 3, 5]),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 100),
)
def test_subpixel_conv_equals_its_transposed_form(nd, r, k, cin, cout, seed):
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn((cout * r**nd, cin, *(k,) * nd), generator=gen, dtype=torch.float64)
    x = torch.randn((2, cin, *(6,) * nd), generator=gen, dtype=torch.float64)
    conv = F.conv1d if nd == 1 else F.conv2d
    z = conv(x, w, padding=(k - 1) // 2)
    if nd == 2:
        y = F.pixel_shuffle(z, r)
    else:  # 1-D pixel shuffle: channel c*r + i -> position t*r + i
        y = z.reshape(2, cout, r, -1).permute(0, 1, 3, 2).reshape(2, cout, -1)
    wt, pad = kernels.subpixel_as_transposed(w, r)
    yt = CONV_T[nd](x, wt, stride=r, padding=pad)
    torch.testing.assert_close(yt, y, rtol=1e-12, atol=1e-12)


def test_weight_scores_aggregate_is_the_measured_multichannel_fraction():
    w = kernels.default_weight(3, 4, 4, ndim=2, seed=1).double()
    ws = al.weight_scores(w, 2)
    assert len(ws.pairs) == 12
    for row in ws.pairs.itertuples():
        assert row.checkerboard_score == pytest.approx(
            al.checkerboard_score(w[row.in_channel, row.out_channel], 2)
        )
    n = (20, 20)
    y = F.conv_transpose2d(torch.ones(1, 3, *n, dtype=torch.float64), w, stride=2)[0].numpy()
    crop = al.interior_crop(y, n, 4, 2)
    assert ws.checkerboard_score == pytest.approx(harmonic_fraction_fft(crop, 2), abs=1e-9)
    assert 0 < ws.checkerboard_score < 1 and not ws.zero_gain


def test_default_weight_is_torch_init():
    for nd, cls in [
        (1, torch.nn.ConvTranspose1d),
        (2, torch.nn.ConvTranspose2d),
        (3, torch.nn.ConvTranspose3d),
    ]:
        torch.manual_seed(11)
        module = cls(3, 5, 3)
        state = torch.random.get_rng_state()
        assert torch.equal(kernels.default_weight(3, 5, 3, ndim=nd, seed=11), module.weight)
        assert torch.equal(state, torch.random.get_rng_state())  # caller's RNG untouched


def test_kernels_are_seeded():
    assert np.array_equal(kernels.normal(3, seed=4), kernels.normal(3, seed=4))
    assert not np.array_equal(kernels.normal(3, seed=4), kernels.normal(3, seed=5))
    assert torch.equal(kernels.icnr(2, 3, 3, 2, seed=1), kernels.icnr(2, 3, 3, 2, seed=1))


def test_zero_kernel_scores_zero_and_is_flagged():
    assert al.checkerboard_score(np.zeros(4), 2) == 0.0
    assert al.noise_checkerboard(np.zeros(4), 2) == 0.0
    assert al.weight_scores(np.zeros((1, 1, 4)), 2).zero_gain


def test_scores_accept_torch_and_batches():
    kern = torch.randn(5, 4, 4, dtype=torch.float64)
    batch = al.checkerboard_score(kern, 2, ndim=2)
    assert batch.shape == (5,)
    for i in range(5):
        assert batch[i] == pytest.approx(al.checkerboard_score(kern[i].numpy(), 2))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: al.checkerboard_score([1.0, np.nan], 2), ValueError, "NaN"),
        (lambda: al.checkerboard_score(np.ones((2, 2, 2, 2)), 2), ValueError, "weight_scores"),
        (lambda: al.checkerboard_score(np.ones(0), 2), ValueError, "at least one tap"),
        (lambda: al.checkerboard_score(np.ones(3), 0), ValueError, "stride"),
        (lambda: al.checkerboard_score(np.ones((3, 3)), 10**4), ValueError, "limit"),
        (lambda: al.checkerboard_score("abc", 2), TypeError, "kernel"),
        (lambda: al.weight_scores(np.ones((2, 3)), 2, ndim=2), ValueError, "weight"),
        (lambda: kernels.make_kernel("bilinear", 3, 2), ValueError, "kernel_size"),
        (lambda: kernels.make_kernel("sinc", 3, 2), ValueError, "family"),
    ],
)
def test_scores_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@settings(max_examples=examples(200))
@given(
    st.integers(1, 3).flatmap(lambda nd: st.tuples(*(st.integers(1, 5) for _ in range(nd)))),
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 999),
    st.integers(-300, 300),
)
def test_scale_free_scores_do_not_overflow_or_underflow(k, s, d, seed, exponent):
    kernel = np.random.default_rng(seed).standard_normal(k)
    scale = 10.0**exponent
    assert al.checkerboard_score(kernel * scale, s, d) == pytest.approx(
        al.checkerboard_score(kernel, s, d), rel=1e-9, abs=1e-12
    )
    assert al.noise_checkerboard(kernel * scale, s, d) == pytest.approx(
        al.noise_checkerboard(kernel, s, d), rel=1e-9, abs=1e-12
    )
    weight = np.stack([kernel, kernel[::-1]])[:, None]  # (in=2, out=1, *k)
    ws, ref = al.weight_scores(weight * scale, s, d), al.weight_scores(weight, s, d)
    assert ws.checkerboard_score == pytest.approx(ref.checkerboard_score, rel=1e-9, abs=1e-12)
    assert ws.noise_checkerboard == pytest.approx(ref.noise_checkerboard, rel=1e-9, abs=1e-12)


def test_the_issue_cases_of_extreme_scales():
    for value in (1e200, 1e-200, 1e308, 5e-324):
        assert al.checkerboard_score([value] * 3, 2) == pytest.approx(0.1)
        assert al.noise_checkerboard([value] * 3, 2) == pytest.approx(1 / 3)


@pytest.mark.parametrize(
    "kernel, error, needle",
    [
        (torch.tensor([1.0, float("nan"), 1.0]), ValueError, "NaN"),
        (torch.tensor([1.0, float("inf")]), ValueError, "NaN or infinite"),
        (np.array([1 + 1j, 2, 3]), TypeError, "complex"),
        (torch.tensor([1 + 1j, 2, 3]), TypeError, "complex"),
        (np.array(["a", "b"]), TypeError, "real numbers"),
        ([[1, 2], [3]], ValueError, "rectangular"),
        (np.float64(3.0), ValueError, "at least 1 axis"),
        ("kernel", TypeError, "numpy array"),
        (np.ones((0, 3)), ValueError, "at least one tap"),
        (np.ones((2, 2, 2, 2)), ValueError, "1-D to 3-D"),
    ],
)
def test_every_kernel_is_checked_the_same_way(kernel, error, needle):
    for func in (al.checkerboard_score, al.noise_checkerboard, al.phase_gains, al.noise_gains):
        with pytest.raises(error, match=needle):
            func(kernel, 2)


@pytest.mark.parametrize(
    "ndim, error",
    [
        (0, ValueError),
        (-1, ValueError),
        (4, ValueError),
        (3, ValueError),
        (1.0, TypeError),
        (True, TypeError),
    ],
)
def test_ndim_outside_the_kernel_is_refused_naming_it(ndim, error):
    with pytest.raises(error, match="ndim"):
        al.checkerboard_score(np.ones((3, 3)), 2, ndim=ndim)


def test_weight_scores_print_in_one_line_with_the_scores():
    w = np.random.default_rng(0).normal(size=(64, 32, 3, 3))
    ws = al.weight_scores(w, 2)
    text = repr(ws)
    assert "\n" not in text and len(text) < 160
    assert f"checkerboard_score={ws.checkerboard_score:.4g}" in text
    assert "pairs: 2048 rows, channels: 32 rows" in text
