"""Chance levels of the measured scores: the closed form against white noise itself."""

import numpy as np
import pytest

from artifact_lab.core.spectral import harmonic_fraction
from artifact_lab.studies.compare import white_noise_levels


@pytest.mark.parametrize(
    "shape,factor,ndim", [((48, 48), 2, 2), ((30, 60), 3, 2), ((8, 256), 4, 1)]
)
def test_harmonic_chance_is_what_white_noise_scores(shape, factor, ndim):
    rng = np.random.default_rng(1)
    maps = rng.standard_normal((400, *shape))
    measured = harmonic_fraction(maps, (factor,) * ndim, ndim=ndim, remove_dc=True)
    if ndim == 1:
        measured = measured.ravel()
    chance = white_noise_levels(shape, factor, ndim=ndim)["harmonic_fraction"]
    assert np.mean(measured) == pytest.approx(chance, rel=0.08)


def test_white_noise_has_no_peak_and_replicas_in_three_quadrants():
    levels = white_noise_levels((96, 96), 2, draws=4)
    assert 0 < levels["peak_db"] < 6  # the largest of three noisy ratios, not a line
    assert levels["replica_fraction"] == pytest.approx(0.75, abs=0.03)  # 3 of 4 quadrants


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="multiple of factor"):
        white_noise_levels((33, 32), 2)
