"""Heavier checks, run by `make test-all` (marked slow, left out of `make test`)."""

import numpy as np
import pytest

from artifact_lab.atlas.sweep import naive_sweep, sweep
from artifact_lab.studies.training import train_upsamplers

pytestmark = pytest.mark.slow

KEYS = ["kernel_size", "stride", "padding", "output_padding", "dilation", "kernel", "seed", "input"]


def test_engine_equals_naive_on_a_larger_float64_grid():
    kw = dict(
        kernel_sizes=range(1, 9),
        strides=range(1, 5),
        dilations=(1, 2, 3),
        output_paddings=(0, 1, 2),
        kernels=("ones", "default", "normal", "bilinear"),
        seeds=(0, 1),
        input_size=24,
        batch=4,
        dtype="float64",
    )
    a = sweep(**kw, progress=False).sort_values(KEYS).reset_index(drop=True)
    b = naive_sweep(**kw).sort_values(KEYS).reset_index(drop=True)
    assert len(a) == len(b) > 10_000
    for col in (
        "overlap_contrast",
        "checkerboard_score",
        "noise_checkerboard",
        "harmonic_fraction",
        "peak_db",
    ):
        np.testing.assert_allclose(a[col], b[col], atol=1e-8, equal_nan=True, err_msg=col)


def test_default_training_budget_learns():
    frame = train_upsamplers(["transposed k=4", "sub-pixel ICNR"], budget="default", progress=False)
    for _, group in frame.groupby("variant"):
        assert group.loss.iloc[-1] < 0.1 * group.loss.iloc[0]
        assert group.psnr.iloc[-1] > group.psnr.iloc[0] + 10
