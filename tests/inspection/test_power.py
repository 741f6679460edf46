"""The test's power and false-alarm rate on real pictures (small versions of the documented
study; no timing assertions)."""

import numpy as np
import pytest

from artifact_lab.core.scores import phase_gains
from artifact_lab.inspection import power


def test_planted_pattern_is_the_k3_s2_checkerboard_at_unit_rms():
    pat = power.planted_pattern(2)
    g = phase_gains(np.ones((3, 3)), 2)
    np.testing.assert_allclose(pat, (g - g.mean()) / (g - g.mean()).std())
    y = power.plant(np.full((2, 16, 16), 0.5), 8.0)
    assert abs((y - y.mean()).std() * 255 - 8.0) < 0.3  # 8 grey levels RMS, rounded to 8 bits
    assert np.all(y * 255 == np.round(y * 255))


def test_maps_are_crops_of_the_pictures_or_noise():
    x = power.maps("pictures", 3, 40, seed=1)
    assert x.shape == (3, 40, 40) and 0 <= x.min() and x.max() <= 1
    np.testing.assert_array_equal(x, power.maps("pictures", 3, 40, seed=1))  # seeded
    assert abs(power.maps("noise", 2, 64).std() - power.NOISE_GREY) < 0.01
    j = power.maps("pictures", 1, 40, jpeg_quality=30)
    assert np.all(j * 255 == np.round(j * 255))
    with pytest.raises(ValueError, match="larger than every"):
        power.maps("pictures", 1, 5000)


def test_false_alarms_on_clean_and_jpeg_pictures_and_noise_stay_near_alpha():
    """40 trials each: a false-alarm rate of 5 % gives at most 4 alarms with probability 0.95."""
    for kind, quality in (("pictures", None), ("pictures", 75), ("noise", None)):
        alarms, _ = power.false_alarm_rate(kind, 1, 64, trials=40, jpeg_quality=quality)
        assert alarms <= 0.1, (kind, quality, alarms)


def test_a_planted_grid_is_found_above_the_documented_amplitude():
    assert power.detection_rate("pictures", 4, 64, 8.0, trials=10) >= 0.9
    # one 64 x 64 noise map: the README's table gives 45 grey levels (found in 9 of 10)
    assert power.detection_rate("noise", 1, 64, power.AMPLITUDES[-2], trials=10) >= 0.9
    assert power.detection_rate("noise", 1, 64, power.AMPLITUDES[-1], trials=10) >= 0.9
    assert power.detection_rate("noise", 1, 64, 0.25, trials=10) <= 0.1  # far below: not found


def test_smallest_amplitude_is_on_the_grid_and_falls_with_more_images():
    one = power.smallest_amplitude("noise", 1, 64, trials=6)
    four = power.smallest_amplitude("noise", 4, 64, trials=6)
    assert one in power.AMPLITUDES and four in power.AMPLITUDES
    assert four < one


def test_compress_jpeg_takes_any_leading_axes_and_keeps_the_shape():
    x = power.maps("pictures", 2, 16, seed=3)
    three = power.compress_jpeg(x, 60)
    assert three.shape == x.shape
    np.testing.assert_array_equal(power.compress_jpeg(x[0], 60), three[0])
    np.testing.assert_array_equal(power.compress_jpeg(x[None], 60)[0], three)


def test_study_arguments_are_refused_before_any_map_is_drawn():
    with pytest.raises(ValueError, match="jpeg_quality must be at most 100"):
        power.false_alarm_rate("noise", 1, 16, jpeg_quality=101)
    with pytest.raises(ValueError, match=r"count=2147483648 maps of size=16"):
        power.detection_rate("noise", 2**31, 16, 1.0)
    with pytest.raises(ValueError, match="target"):
        power.smallest_amplitude("noise", 1, 16, target=1.5)
    with pytest.raises(TypeError, match=r"conditions\[0\]"):
        power.false_alarm_table(conditions=["noise"])
