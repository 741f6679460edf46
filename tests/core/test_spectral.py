import numpy as np
import pytest
import torch
import torch.nn.functional as F

import artifact_lab as al
from artifact_lab import spectral


def _hold_transfer(f, s):
    """|H(f)|^2 of the zero-order hold of length s (f in output cycles/sample)."""
    return np.abs(np.exp(-2j * np.pi * np.outer(f, np.arange(s))).sum(axis=1)) ** 2


def _ideal_upsample(x, s):
    """Band-limited interpolation by FFT zero padding (1-D, last axis)."""
    n = x.shape[-1]
    spec = np.fft.fft(x, axis=-1)
    out = np.zeros((*x.shape[:-1], n * s), dtype=complex)
    half = n // 2
    out[..., :half] = spec[..., :half]
    out[..., -(half - 1) :] = spec[..., -(half - 1) :]  # drop the ambiguous Nyquist bin
    return np.real(np.fft.ifft(out, axis=-1)) * s


def test_peaks_sit_exactly_on_the_stride_harmonics_of_a_periodic_pattern():
    rng = np.random.default_rng(0)
    for s in (2, 3, 4):
        tile = rng.standard_normal((s, s))
        y = np.tile(tile, (48 // s * 2, 48 // s * 2)) + 0.3 * rng.standard_normal((96, 96))
        power = spectral.power_spectrum(y, window=None)
        harmonic = np.zeros_like(power, dtype=bool)
        harmonic[:: 96 // s, :: 96 // s] = True
        harmonic[0, 0] = False
        tile_power = np.abs(np.fft.fft2(tile)) ** 2
        tile_power[0, 0] = 0
        strong = int((tile_power > 0.01 * tile_power.max()).sum())
        strongest = np.argsort(power.ravel())[::-1][:strong]
        assert set(strongest) <= set(np.flatnonzero(harmonic.ravel()))
        assert power[~harmonic].max() < np.sort(power[harmonic])[-strong]
        assert al.spectral.peak_db(y, s) > 15
        peaks = spectral.harmonic_peaks(y, s)
        assert len(peaks) == s * s - 1
        assert all(
            p["db"] > 10 for p in peaks if tile_power[p["harmonic"]] > 0.01 * tile_power.max()
        )


def test_no_peak_for_a_smooth_image_upsampled_bilinearly():
    from skimage.filters import gaussian

    for name in ("camera", "brick", "grass"):
        smooth = gaussian(al.images.load_image(name, 64).numpy(), sigma=2)
        up = F.interpolate(
            torch.as_tensor(smooth)[None, None],
            scale_factor=2,
            mode="bilinear",
            align_corners=False,
        )[0, 0]
        crop = up[8:-8, 8:-8]
        assert spectral.peak_db(crop, 2) < 3, name
        assert al.harmonic_fraction(crop, 2, remove_dc=True) < 1e-3


def test_replicas_and_filtering_against_theory_for_hold_and_ideal_interpolation():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((400, 128))
    s = 2
    hold = np.repeat(x, s, axis=-1)
    f = np.fft.fftfreq(128 * s)
    h2 = _hold_transfer(f, s)
    outside = np.abs(f) >= 0.5 / s
    harm = np.isclose((f * s) % 1, 0)
    expected_replica = h2[outside & ~harm].sum() / h2[~harm].sum()
    assert spectral.replica_fraction(hold, s, ndim=1) == pytest.approx(expected_replica, abs=0.01)
    fin = np.abs(np.fft.fftfreq(128))
    gain = _hold_transfer(fin / s, s)  # input frequency f lands at f/s in the output
    low, high = gain[(fin > 0) & (fin < 0.25)], gain[(fin >= 0.25) & (fin < 0.5)]
    expected_tilt = 10 * np.log10(high.mean() / low.mean())
    assert spectral.filtering_db(x, hold, s, ndim=1) == pytest.approx(expected_tilt, abs=0.3)
    ideal = _ideal_upsample(x, s)
    assert spectral.replica_fraction(ideal, s, ndim=1) < 1e-3
    assert abs(spectral.filtering_db(x, ideal, s, ndim=1)) < 0.3


def test_radial_spectrum_of_white_noise_is_flat_and_1d_is_one_sided():
    noise = np.random.default_rng(2).standard_normal((64, 64, 64))
    f, p = spectral.radial_spectrum(noise, window=None)
    assert len(f) == 32 and np.nanmax(p[1:]) / np.nanmin(p[1:]) < 1.3  # bin 0: DC removed
    f1, p1 = spectral.radial_spectrum(noise[0, 0], ndim=1)
    assert len(f1) == len(p1) == 33 and f1[-1] == 0.5


def test_pink_probe_has_a_one_over_f_power_law():
    f, p = spectral.radial_spectrum(al.images.probe("pink", (128, 128)), window=None)
    keep = (f > 0.02) & (f < 0.4)
    slope = np.polyfit(np.log(f[keep]), np.log(p[keep]), 1)[0]
    assert slope == pytest.approx(-2, abs=0.35)  # amplitude 1/f is power 1/f^2


def test_harmonic_fraction_options_and_errors():
    y = np.tile([3.0, 1.0], 8)
    assert al.harmonic_fraction(y, 2) == pytest.approx(1 - 4 / 5)
    assert al.harmonic_fraction(y, 2, remove_dc=True) == pytest.approx(1.0)
    assert al.harmonic_fraction(np.zeros(8), 2) == 0.0
    with pytest.raises(ValueError, match="whole number of periods"):
        al.harmonic_fraction(np.ones(7), 2)
    with pytest.raises(ValueError, match="window"):
        spectral.power_spectrum(np.ones(8), window="kaiser")
    with pytest.raises(ValueError, match="upsampled"):
        spectral.filtering_db(np.ones(8), np.ones(15), 2, ndim=1)


def test_measured_ratios_are_scale_free_at_the_ends_of_the_float_range():
    rng = np.random.default_rng(0)
    y = np.tile([2.0, 1.0], 8)
    noise = rng.standard_normal((4, 32, 32))
    x = rng.standard_normal((8, 32))
    for scale in (1e200, 1e-200, 1e300):
        assert al.harmonic_fraction(y * scale, 2) == pytest.approx(0.1)
        assert al.harmonic_fraction(y * scale, 2, remove_dc=True) == pytest.approx(1.0)
        assert spectral.peak_db(noise * scale, 2) == pytest.approx(spectral.peak_db(noise, 2))
        assert spectral.harmonic_stats(noise * scale, 2) == pytest.approx(
            spectral.harmonic_stats(noise, 2)
        )
        up = np.repeat(x, 2, axis=-1)
        assert spectral.replica_fraction(up * scale, 2, ndim=1) == pytest.approx(
            spectral.replica_fraction(up, 2, ndim=1)
        )
        assert spectral.filtering_db(x / scale, up * scale, 2, ndim=1) == pytest.approx(
            spectral.filtering_db(x, up, 2, ndim=1)
        )


@pytest.mark.parametrize(
    "y, error, needle",
    [
        (torch.tensor([1.0, float("nan"), 1.0, 1.0]), ValueError, "NaN"),
        (np.array([1.0, np.inf, 1.0, 1.0]), ValueError, "NaN"),
        (np.array([1 + 1j, 2, 3, 4]), TypeError, "complex"),
        (torch.tensor([1 + 1j, 2, 3, 4]), TypeError, "complex"),
        ("signal", TypeError, "numpy array"),
    ],
)
def test_every_signal_is_checked_the_same_way(y, error, needle):
    funcs = [
        lambda v: al.harmonic_fraction(v, 2),
        lambda v: spectral.harmonic_stats(v, 2),
        lambda v: spectral.peak_db(v, 2, ndim=1),
        lambda v: spectral.power_spectrum(v, ndim=1),
        lambda v: spectral.replica_fraction(v, 2, ndim=1),
        lambda v: spectral.radial_spectrum(v, ndim=1),
    ]
    for func in funcs:
        with pytest.raises(error, match=needle):
            func(y)


@pytest.mark.parametrize("ndim", [0, -1, 3, 2.0, True])
def test_ndim_is_checked_against_the_signal(ndim):
    y = np.ones((4, 8))
    for func in (al.harmonic_fraction, spectral.harmonic_stats, spectral.peak_db):
        with pytest.raises((ValueError, TypeError), match="ndim"):
            func(y, 2, ndim=ndim)
    with pytest.raises(ValueError, match="stride"):
        al.harmonic_fraction(y, (2, 2, 2))  # more per-axis strides than axes
