import numpy as np
import pytest
import torch
import torch.nn.functional as F

import artifact_lab as al
from artifact_lab.layers.upsamplers import (
    ResizeConv,
    SubPixelConv,
    TransposedUpsampler,
    pixel_shuffle,
    standard_upsamplers,
)
from artifact_lab.studies.compare import compare_upsamplers


@pytest.mark.parametrize("ndim", [1, 2, 3])
@pytest.mark.parametrize("factor", [2, 3, 4])
def test_every_upsampler_gives_the_requested_size_for_odd_and_even_inputs(ndim, factor):
    for name, up in standard_upsamplers(factor, 2, ndim=ndim).items():
        for n in (5, 6) if ndim < 3 else (3, 4):
            shape = (n, n + 1, n)[:ndim]
            y = up(torch.zeros(1, 2, *shape))
            assert tuple(y.shape) == (1, 2, *(m * factor for m in shape)), name


def test_pixel_shuffle_matches_torch_in_2d():
    x = torch.randn(2, 12, 5, 7)
    assert torch.equal(pixel_shuffle(x, 2), F.pixel_shuffle(x, 2))
    with pytest.raises(ValueError, match="multiple"):
        pixel_shuffle(torch.randn(1, 3, 4, 4), 2)


def test_effective_kernel_reproduces_outputs_via_conv_transpose():
    """The probed kernel is exact: conv_transpose with it gives the module's interior output."""
    x = torch.randn(1, 2, 20, 20, dtype=torch.float64)
    for up in standard_upsamplers(2, 2, seed=3).values():
        k = up.effective_kernel()
        reach = (k.shape[-1] // 2 - 1) // 2
        y = F.conv_transpose2d(x, torch.as_tensor(k), stride=2, padding=(k.shape[-1] - 2) // 2)
        ref = up.to(torch.float64)(x)
        inner = (slice(None), slice(None), slice(16, -16), slice(16, -16))
        torch.testing.assert_close(y[inner], ref[inner], rtol=1e-10, atol=1e-10)
        assert reach >= 1


def test_transposed_effective_kernel_scores_equal_its_weight_scores():
    up = TransposedUpsampler(3, 2, 4, seed=5)
    w = up.conv.weight.detach().double()
    assert up.scores().checkerboard_score == pytest.approx(
        al.weight_scores(w, 2).checkerboard_score
    )


def test_initial_scores_as_the_literature_says():
    ups = standard_upsamplers(2, 1, seed=0)
    assert ups["resize-conv nearest"].scores().checkerboard_score < 1e-12
    assert ups["sub-pixel ICNR"].scores().checkerboard_score < 1e-12
    assert ups["transposed k=4 bilinear init"].scores().checkerboard_score < 1e-12
    for seed in range(5):
        up = standard_upsamplers(2, 1, seed=seed)["transposed k=4"]
        assert up.scores().checkerboard_score > 0.01


def test_measured_on_constant_input_equals_closed_form_for_every_upsampler():
    table = compare_upsamplers(images=("constant",), seeds=(0, 1), progress=False)
    np.testing.assert_allclose(table.harmonic_fraction, table.checkerboard_score, atol=1e-9)
    zero = table[
        table.upsampler.isin(
            ["resize-conv nearest", "sub-pixel ICNR", "transposed k=4 bilinear init"]
        )
    ]
    assert (zero.harmonic_fraction < 1e-12).all()
    assert (table[table.upsampler == "transposed k=4"].harmonic_fraction > 0).all()


def test_compare_table_columns_and_real_images():
    table = compare_upsamplers(images=("noise", "camera"), seeds=(0,), size=32, progress=False)
    assert list(table.columns) == list(al.compare.COLUMNS)
    assert len(table) == 2 * len(standard_upsamplers(2))
    real = table[table.image == "camera"]
    assert real[["peak_db", "replica_fraction", "filtering_db"]].notna().all().all()
    worst = real.set_index("upsampler").harmonic_fraction
    assert worst["transposed k=3"] > 0.1 > worst["resize-conv bilinear"]


def test_upsampler_bad_input():
    with pytest.raises(ValueError, match="kernel_size"):
        TransposedUpsampler(1, 2, 3, init="bilinear")
    with pytest.raises(ValueError, match="mode"):
        ResizeConv(1, 2, "area")
    with pytest.raises(ValueError, match="bicubic"):
        ResizeConv(1, 2, "bicubic", ndim=1)
    with pytest.raises(ValueError, match="odd"):
        SubPixelConv(1, 2, 4)
    with pytest.raises(ValueError, match="image"):
        compare_upsamplers(images=("nope",), progress=False)


@pytest.mark.parametrize(
    ("mode", "ndim"), [("linear", 1), ("bilinear", 2), ("bicubic", 2), ("trilinear", 3)]
)
def test_deterministic_interpolation_path_equals_torch_forward_and_backward(mode, ndim):
    from artifact_lab.layers.upsamplers import _interpolate_by_matrices

    shape = (2, 3, *(5, 4, 3)[:ndim])
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    ref = F.interpolate(x, scale_factor=3, mode=mode, align_corners=False)
    out = _interpolate_by_matrices(x, 3, mode, ndim)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-12)
    g = torch.randn_like(ref)
    (gx_ref,) = torch.autograd.grad(ref, x, g)
    (gx,) = torch.autograd.grad(out, x, g)
    torch.testing.assert_close(gx, gx_ref, rtol=0, atol=1e-12)
