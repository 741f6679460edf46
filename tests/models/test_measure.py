"""Whole-model measurement: the chance level by simulation, crops, periods, the hifigan case."""

import numpy as np
import pytest
import torch
from torch import nn

from artifact_lab.core.spectral import harmonic_stats
from artifact_lab.models.audit import audit
from artifact_lab.models.measure import (
    backward_scores,
    chance_level,
    crop_periods,
    fit_period,
    forward_scores,
)
from artifact_lab.models.zoo import build, input_shape


@pytest.mark.parametrize(
    "period, crop, items",
    [
        ((2,), (4,), 1),
        ((2,), (64,), 3),
        ((4,), (12,), 1),
        ((2, 2), (16, 16), 4),
        ((4, 2), (8, 6), 2),
        ((2, 2, 2), (4, 4, 4), 2),
    ],
)
def test_chance_level_is_the_estimators_mean_on_white_noise(period, crop, items):
    """The pooled, DC-kept harmonic fraction of zero-mean Gaussian white noise averages
    (M - 1)/N, whatever the variance of each map (exchangeable degrees of freedom)."""
    rng = np.random.default_rng(0)
    trials = 1500
    scales = rng.uniform(0.1, 10.0, size=(trials, items) + (1,) * len(crop))
    noise = rng.standard_normal((trials, items, *crop)) * scales
    fractions = np.array([harmonic_stats(x, period, ndim=len(crop))[0] for x in noise])
    expected = chance_level(period, crop)
    se = fractions.std(ddof=1) / np.sqrt(trials)
    assert abs(fractions.mean() - expected) < 4 * se
    if crop == (4,):  # not the DC-removed level (M - 1)/(N - 1) = 1/3
        assert abs(fractions.mean() - 1 / 3) > 10 * se


def test_chance_level_and_periods_check_their_inputs():
    with pytest.raises(ValueError, match="whole periods"):
        chance_level((3,), (10,))
    with pytest.raises(ValueError, match="differ in length"):
        chance_level((2, 2), (8,))
    assert fit_period((32, 32), (128, 128)) == (32, 32)
    assert fit_period((12,), (40,)) == (12,)  # crop 30 holds two periods of 12
    assert fit_period((12,), (24,)) == (6,)
    assert fit_period((1, 2), (3, 16)) == (1, 2)
    with pytest.raises(ValueError, match="no whole period"):
        crop_periods(np.zeros((1, 1, 5)), (8,))


def test_forward_rows_are_nan_when_two_periods_do_not_fit():
    layer = nn.ConvTranspose1d(1, 1, 3, 3)  # 3 samples: not two periods of 3
    table = forward_scores(layer, (1, 1, 1), (3,))
    assert table.harmonic_fraction.isna().all() and list(table.input) == [
        "zero",
        "constant",
        "noise",
    ]
    assert "not measured" in audit(layer, (1, 1, 1)).summary()


def test_hifigan_fixed_pattern_is_reported_apart_from_the_noise_response():
    """Issue 10.4: at initialisation the biases paint most of the output; the noise row now
    measures the response alone, and each row has its chance level."""
    name = "hifigan-v1"
    res = audit(build(name, width=1 / 8), input_shape(name, width=1 / 8), name=name)
    t = res.model_scores.set_index("input")
    period = t.loc["noise", "factor"][0]
    n = res.output_shape[2]
    crop = (n - 2 * (n // 8)) // period * period
    assert t.loc["noise", "chance"] == pytest.approx(chance_level((period,), (crop,)))
    # the biases' fixed pattern outweighs the response by orders of magnitude: measured
    # together, it was all the old "noise" line saw; apart, the response stands above chance
    assert t.loc["zero", "power"] > 100 * t.loc["noise", "power"]
    assert t.loc["noise", "harmonic_fraction"] > 2 * t.loc["noise", "chance"]


def test_backward_scores_measure_images_only_for_2d_inputs():
    conv1 = nn.Conv1d(1, 1, 3, 2)
    assert list(backward_scores(conv1, (1, 1, 64), (2,)).input) == ["noise"]
    conv2 = nn.Conv2d(3, 1, 3, 2)
    t = backward_scores(conv2, (1, 3, 32, 32), (2, 2))
    assert list(t.input) == ["noise", "images"] and t.harmonic_fraction.notna().all()
    with pytest.raises(ValueError, match="projection"):
        backward_scores(conv2, (1, 3, 32, 32), (2, 2), projection="mean")

    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    with pytest.raises(TypeError, match="must return a tensor"):
        forward_scores(Pair(), (1, 1, 8), (2,))


def test_non_finite_outputs_are_refused_with_a_reason():
    class Bad(nn.Module):
        def __init__(self):
            super().__init__()
            self.up = nn.ConvTranspose1d(1, 1, 3, 2)

        def forward(self, x):
            return self.up(x) / 0.0

    with pytest.raises(ValueError, match="NaN or infinite"):
        forward_scores(Bad(), (1, 1, 32), (2,))
    assert torch.isfinite(torch.tensor(chance_level((2,), (8,))))
