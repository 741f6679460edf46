"""Reading images and audio: every format and depth against the array that was written."""

import struct
import sys
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image
from scipy.io import wavfile

from artifact_lab.inspection import files
from artifact_lab.inspection.detect import inspect


def _png16(path, arr, filters):
    """A 16-bit PNG written with the given filter per row (0-4), from first principles."""
    arr = np.asarray(arr, dtype=">u2")
    h, w = arr.shape[:2]
    channels = 1 if arr.ndim == 2 else arr.shape[2]
    colour = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
    bpp = 2 * channels
    rows = arr.reshape(h, -1).view(np.uint8).astype(np.int64).reshape(h, w * bpp)
    out = []
    prior = np.zeros(w * bpp, np.int64)
    for y in range(h):
        kind = filters[y % len(filters)]
        cur = rows[y]
        left = np.r_[np.zeros(bpp, np.int64), cur[:-bpp]]
        upleft = np.r_[np.zeros(bpp, np.int64), prior[:-bpp]]
        if kind == 0:
            pred = 0
        elif kind == 1:
            pred = left
        elif kind == 2:
            pred = prior
        elif kind == 3:
            pred = (left + prior) // 2
        else:
            p = left + prior - upleft
            pa, pb, pc = abs(p - left), abs(p - prior), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prior, upleft))
        out.append(bytes([kind]) + ((cur - pred) % 256).astype(np.uint8).tobytes())
        prior = cur

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    head = struct.pack(">IIBBBBB", w, h, 16, colour, 0, 0, 0)
    data = zlib.compress(b"".join(out))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", head) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png16_decoder_undoes_every_filter(tmp_path, channels):
    rng = np.random.default_rng(channels)
    shape = (7, 9) if channels == 1 else (7, 9, channels)
    arr = rng.integers(0, 65536, shape).astype(np.uint16)
    _png16(tmp_path / "a.png", arr, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(files.read_png16(tmp_path / "a.png"), arr)


def test_sixteen_bit_colour_png_keeps_its_precision(tmp_path):
    rng = np.random.default_rng(0)
    arr = rng.integers(0, 65536, (12, 10, 3)).astype(np.uint16)
    _png16(tmp_path / "c.png", arr, [4, 1])
    maps = files.read(tmp_path / "c.png", channels="mean").maps
    np.testing.assert_allclose(maps[0], arr.mean(-1) / 65535, atol=1e-12)
    luma = files.read(tmp_path / "c.png").maps[0]
    np.testing.assert_allclose(luma, arr @ np.array([0.299, 0.587, 0.114]) / 65535, atol=1e-12)


def test_eight_and_sixteen_bit_grey_png_and_tiff(tmp_path):
    rng = np.random.default_rng(1)
    g8 = rng.integers(0, 256, (10, 12)).astype(np.uint8)
    g16 = rng.integers(0, 65536, (10, 12)).astype(np.uint16)
    Image.fromarray(g8).save(tmp_path / "g8.png")
    Image.fromarray(g16).save(tmp_path / "g16.png")
    tifffile.imwrite(tmp_path / "g16.tif", g16)
    c16 = rng.integers(0, 65536, (10, 12, 3)).astype(np.uint16)
    tifffile.imwrite(tmp_path / "c16.tiff", c16)
    np.testing.assert_allclose(files.read(tmp_path / "g8.png").maps[0], g8 / 255)
    np.testing.assert_allclose(files.read(tmp_path / "g16.png").maps[0], g16 / 65535)
    np.testing.assert_allclose(files.read(tmp_path / "g16.tif").maps[0], g16 / 65535)
    each = files.read(tmp_path / "c16.tiff", channels="each").maps
    np.testing.assert_allclose(each, np.moveaxis(c16, -1, 0) / 65535)


def test_rgba_drops_alpha_and_palette_images_read(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[..., 3] = 10
    Image.fromarray(rgba).save(tmp_path / "a.png")
    np.testing.assert_allclose(files.read(tmp_path / "a.png", channels="mean").maps, 200 / 255 / 3)
    Image.fromarray(rgba[..., :3]).convert("P").save(tmp_path / "p.png")
    assert files.read(tmp_path / "p.png").maps.shape == (1, 8, 8)


def test_jpeg_reports_its_block_grid(tmp_path):
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    Image.fromarray(rgb).save(tmp_path / "c.jpg", subsampling=2)  # 4:2:0
    Image.fromarray(rgb[..., 0]).save(tmp_path / "g.jpeg")
    assert files.read(tmp_path / "c.jpg").jpeg_grid == (8, 8)  # luma: the 8x8 blocks
    assert files.read(tmp_path / "c.jpg", channels="each").jpeg_grid == (16, 16)  # the MCU
    assert files.read(tmp_path / "g.jpeg").jpeg_grid == (8, 8)
    assert files.read(tmp_path / "c.jpg").maps.shape == (1, 32, 32)


def test_jpeg_files_get_their_grid_attributed(tmp_path):
    """A strongly compressed JPEG's block grid is the JPEG's, never a model's period."""
    rng = np.random.default_rng(3)
    for i in range(6):
        x = np.clip(128 + 40 * rng.standard_normal((96, 96)), 0, 255).astype(np.uint8)
        Image.fromarray(x).save(tmp_path / f"{i}.jpg", quality=20)
    res = inspect(tmp_path)
    assert set(res.found.source) <= {"JPEG block grid"} and res.jpeg == (8, 8)


@pytest.mark.parametrize(
    ("dtype", "scale"),
    [(np.int16, 32768.0), (np.int32, 2.0**31), (np.float32, 1.0)],
)
def test_wav_scales_and_channels(tmp_path, dtype, scale):
    rng = np.random.default_rng(4)
    data = (rng.uniform(-0.9, 0.9, (1000, 2)) * scale).astype(dtype)
    wavfile.write(tmp_path / "a.wav", 16000, data)
    item = files.read(tmp_path / "a.wav", channels="each")
    assert item.sample_rate == 16000
    np.testing.assert_allclose(item.maps, data.T / scale, rtol=1e-6)
    mono = files.read(tmp_path / "a.wav", channels="mean").maps
    np.testing.assert_allclose(mono[0], data.mean(1) / scale, rtol=1e-5, atol=1e-6)


def test_uint8_wav(tmp_path):
    data = np.array([0, 128, 255], np.uint8)
    wavfile.write(tmp_path / "u.wav", 8000, data)
    np.testing.assert_allclose(files.read(tmp_path / "u.wav").maps[0], [-1.0, 0.0, 127 / 128])


def test_flac_reads_with_soundfile(tmp_path):
    sf = pytest.importorskip("soundfile")
    rng = np.random.default_rng(5)
    data = rng.uniform(-0.5, 0.5, (2000, 1))
    sf.write(tmp_path / "a.flac", data, 22050, subtype="PCM_24")
    item = files.read(tmp_path / "a.flac")
    np.testing.assert_allclose(item.maps[0], data[:, 0], atol=2**-22)


def test_flac_without_soundfile_says_what_to_install(tmp_path, monkeypatch):
    (tmp_path / "a.flac").write_bytes(b"fLaC")
    monkeypatch.setitem(sys.modules, "soundfile", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'artifact_lab\[audio\]'"):
        files.list_files([tmp_path / "a.flac"])


def test_listing_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        files.list_files([tmp_path / "none.png"])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="neither an image"):
        files.list_files([tmp_path / "notes.txt"])
    with pytest.raises(ValueError, match="holds no image"):
        files.list_files([tmp_path])
    (tmp_path / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"bad\.png"):
        files.read(tmp_path / "bad.png")
    with pytest.raises(ValueError, match="channels"):
        files.read(tmp_path / "bad.png", channels="red")


def test_images_and_audio_do_not_mix(tmp_path):
    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "a.png")
    wavfile.write(tmp_path / "b.wav", 8000, np.zeros(5000, np.int16))
    with pytest.raises(ValueError, match="mixes images and audio"):
        inspect(tmp_path)
    with pytest.raises(ValueError, match="luma"):
        inspect(tmp_path / "b.wav", channels="luma")
