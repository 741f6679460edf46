import numpy as np
import pytest

from artifact_lab import images


@pytest.mark.parametrize("name", images.IMAGES)
def test_every_bundled_image_loads_offline_at_any_size(name):
    img = images.load_image(name, (33, 48))
    assert tuple(img.shape) == (33, 48)
    assert 0 <= float(img.min()) and float(img.max()) <= 1 and float(img.std()) > 0.01
    color = images.load_image(name, 16, gray=False)
    assert tuple(color.shape) == (3, 16, 16)


@pytest.mark.parametrize("kind", images.PROBES)
@pytest.mark.parametrize("size", [(31,), (16, 17), (8, 8, 9)])
def test_probes_have_the_requested_shape_and_are_seeded(kind, size):
    a = images.probe(kind, size, seed=1)
    assert tuple(a.shape) == size and np.isfinite(a.numpy()).all()
    assert np.array_equal(a, images.probe(kind, size, seed=1))


def test_chirp_sweeps_to_nyquist_and_faces_load():
    c = images.probe("chirp", (512,)).numpy()
    crossings = np.flatnonzero(np.diff(np.sign(c - 0.5)))
    gaps = np.diff(crossings)
    assert gaps[0] > 10 * gaps[-1]  # frequency rises along the signal
    assert tuple(images.face(5, 32).shape) == (32, 32)
    assert images.load_images(("camera", "grass"), 8).shape == (2, 1, 8, 8)


def test_image_errors():
    with pytest.raises(ValueError, match="name"):
        images.load_image("lena")
    with pytest.raises(ValueError, match="kind"):
        images.probe("sine")
    with pytest.raises(ValueError, match="index"):
        images.face(100)
