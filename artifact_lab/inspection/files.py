"""Read the files a user has: images (PNG, JPEG, TIFF; 8 or 16 bit; grey or colour) and audio
(WAV; FLAC with the ``audio`` extra) as float64 maps.

Images come back in [0, 1] (8-bit values over 255, 16-bit over 65535, floating-point TIFFs as
stored), audio in [-1, 1] (integers over their full scale). Colour is reduced as
:func:`read`'s ``channels`` says; alpha channels are dropped. Pillow reads PNG and JPEG,
tifffile reads TIFF, scipy reads WAV and soundfile (optional) reads FLAC. Pillow reduces
16-bit colour PNGs to 8 bits, so those are decoded here (non-interlaced; every PNG filter).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._util.checks import check_choice, check_int

__all__ = [
    "AUDIO",
    "CHANNELS",
    "IMAGES",
    "Item",
    "kind_of",
    "list_files",
    "read",
    "read_png16",
    "reduce_channels",
]

IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
#: How colour reaches the statistics: one luma map (ITU-R BT.601 weights), the mean of the
#: channels, or each channel as a map of its own.
CHANNELS = ("luma", "mean", "each")
LUMA = (0.299, 0.587, 0.114)
AUDIO = (".wav", ".flac")
_AUDIO_HINT = "pip install 'artifact_lab[audio]'"


@dataclass(frozen=True)
class Item:
    """One file as maps.

    Attributes
    ----------
    maps : ndarray, shape ``(k, H, W)`` for an image, ``(k, n)`` for audio
        ``k`` is 1 unless ``channels="each"`` (or a multi-page TIFF).
    jpeg_grid : tuple of int or None
        The block grid of a JPEG file in these maps: ``(8, 8)`` for the luma, the MCU
        (``(16, 16)`` for 4:2:0, ``(8, 16)`` for 4:2:2) for colour channels.
    sample_rate : int or None
        Audio only.
    """

    maps: np.ndarray
    jpeg_grid: tuple[int, int] | None = None
    sample_rate: int | None = None


def kind_of(path: str | os.PathLike) -> str:
    """``"image"`` or ``"audio"``, from the file's suffix.

    Examples
    --------
    >>> kind_of("out/sample.FLAC"), kind_of("a.tif")
    ('audio', 'image')
    """
    suffix = _as_path("path", path).suffix.lower()
    if suffix in IMAGES:
        return "image"
    if suffix in AUDIO:
        return "audio"
    raise ValueError(
        f"path {str(path)!r} is neither an image ({', '.join(IMAGES)}) nor audio "
        f"({', '.join(AUDIO)})"
    )


def _as_path(name: str, value: Any, *, exists: bool = False) -> Path:
    """``value`` as a Path if it is a non-empty str or os.PathLike (and, with ``exists``, an
    existing file); bytes are refused rather than decoded with a guessed encoding."""
    if isinstance(value, os.PathLike):
        value = os.fspath(value)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a file path (str or os.PathLike), got {value!r}")
    if not value:
        raise ValueError(f"{name} must not be empty")
    path = Path(value)
    if exists and not path.is_file():
        raise ValueError(f"{name} {value!r} is not an existing file")
    return path


def list_files(paths: Sequence[str | os.PathLike], *, name: str = "paths") -> list[Path]:
    """The files to read: each path a file, or a folder whose supported files are taken in
    name order (not recursive). Checked before anything is read.

    Raises
    ------
    ValueError
        A path that does not exist, a file of another kind, a folder without supported files.
    ModuleNotFoundError
        FLAC files without soundfile installed.
    """
    if isinstance(paths, (str, bytes, os.PathLike)) or not isinstance(paths, Sequence):
        raise TypeError(f"{name} must be a sequence of file or folder paths, got {paths!r}")
    if not paths:
        raise ValueError(f"{name} must not be empty")
    out: list[Path] = []
    for raw in paths:
        if not isinstance(raw, (str, os.PathLike)) or not str(raw):
            raise TypeError(f"{name} must hold file or folder paths, got {raw!r}")
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGES + AUDIO
            )
            if not found:
                raise ValueError(
                    f"{name}: folder {str(path)!r} holds no image or audio file "
                    f"({', '.join(IMAGES + AUDIO)})"
                )
            out.extend(found)
        elif path.is_file():
            kind_of(path)
            out.append(path)
        else:
            raise ValueError(f"{name}: {str(path)!r} does not exist")
    if any(p.suffix.lower() == ".flac" for p in out):
        _soundfile()
    return out


def _soundfile():
    try:
        import soundfile
    except ImportError:
        raise ModuleNotFoundError(
            f"reading FLAC needs the soundfile package: {_AUDIO_HINT}"
        ) from None
    return soundfile


def _scale(arr: np.ndarray) -> np.ndarray:
    """Integers over their full scale, floats as they are, as float64."""
    if arr.dtype == np.bool_:
        return arr.astype(np.float64)
    if arr.dtype.kind == "u":
        return arr.astype(np.float64) / np.iinfo(arr.dtype).max
    if arr.dtype.kind == "i":
        return arr.astype(np.float64) / np.iinfo(arr.dtype).max
    if arr.dtype.kind == "f":
        return arr.astype(np.float64)
    raise ValueError(f"unsupported sample type {arr.dtype}")


def _image_maps(arr: np.ndarray, channels: str, path: Path) -> np.ndarray:
    """``(H, W)``, ``(H, W, C)`` or pages ``(k, H, W[, C])`` as maps ``(k', H, W)``."""
    if arr.ndim == 2:
        return arr[None]
    if arr.ndim == 3 and arr.shape[-1] in (2, 3, 4):
        return reduce_channels(arr, 2, channels)
    if arr.ndim == 3:  # pages of grey
        return arr
    if arr.ndim == 4 and arr.shape[-1] in (2, 3, 4):
        return np.concatenate([reduce_channels(page, 2, channels) for page in arr])
    raise ValueError(f"{str(path)!r}: an image of shape {arr.shape} is not grey or colour")


def _jpeg_grid(img: Any, channels: str) -> tuple[int, int]:
    from PIL import JpegImagePlugin

    if img.mode in ("L", "1") or channels == "luma":
        return (8, 8)
    sampling = JpegImagePlugin.get_sampling(img)
    return {1: (8, 16), 2: (16, 16)}.get(sampling, (8, 8))


def _pil_array(img: Any) -> np.ndarray:
    mode = img.mode
    if mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV"):
        img = img.convert("RGBA" if "A" in mode or "transparency" in img.info else "RGB")
    elif mode == "1":
        img = img.convert("L")
    arr = np.asarray(img)
    if mode.startswith("I;16"):
        arr = arr.astype(np.uint16)
    elif mode == "I":  # Pillow opens 16-bit grey PNGs as 32-bit ints holding 0..65535
        arr = arr.astype(np.int64)
        arr = (arr.clip(0, 65535) / 65535.0) if arr.max(initial=0) > 255 else arr / 255.0
    return arr


def _png_header(path: Path) -> tuple[int, int, int, int] | None:
    """(bit depth, colour type, interlace, width) of a PNG, or None for another file."""
    with open(path, "rb") as fh:
        head = fh.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return None
    width, _, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", head[16:29])
    return depth, colour, interlace, width


def read_png16(path: str | os.PathLike) -> np.ndarray:
    """A 16-bit PNG as uint16 ``(H, W)`` or ``(H, W, C)``, decoded with zlib and numpy.

    Every PNG filter (none, sub, up, average, Paeth) is undone; interlaced files are
    refused. Used for the colour (and grey + alpha) 16-bit PNGs that Pillow reduces to 8 bits.
    """
    path = _as_path("path", path, exists=True)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"path {str(path)!r} cannot be read: {exc}") from None
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{str(path)!r} is not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    if header is None:
        raise ValueError(f"{str(path)!r}: PNG without a header")
    width, height, depth, colour, _, _, interlace = header
    if depth != 16:
        raise ValueError(f"{str(path)!r}: read_png16 reads 16-bit PNGs, this one has {depth} bits")
    if interlace:
        raise ValueError(f"{str(path)!r}: interlaced 16-bit PNGs are not supported; save it plain")
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if channels is None:
        raise ValueError(f"{str(path)!r}: PNG colour type {colour} is not grey or colour")
    bpp = 2 * channels
    stride = width * bpp
    try:
        raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8)
    except zlib.error as exc:
        raise ValueError(f"{str(path)!r}: damaged PNG data ({exc})") from None
    if raw.size != height * (stride + 1):
        raise ValueError(f"{str(path)!r}: PNG data of {raw.size} bytes, expected more")
    rows = raw.reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prior = np.zeros(stride, np.int64)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int64)
        if kind == 0:
            cur = line
        elif kind == 1:
            cur = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) % 256
        elif kind == 2:
            cur = (line + prior) % 256
        elif kind in (3, 4):
            cur = np.zeros(stride, np.int64)
            left = np.zeros(bpp, np.int64)
            for x in range(width):
                s = slice(x * bpp, (x + 1) * bpp)
                up = prior[s]
                if kind == 3:
                    pred = (left + up) // 2
                else:
                    upleft = prior[s.start - bpp : s.start] if x else np.zeros(bpp, np.int64)
                    p = left + up - upleft
                    pa, pb, pc = np.abs(p - left), np.abs(p - up), np.abs(p - upleft)
                    pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, up, upleft))
                left = (line[s] + pred) % 256
                cur[s] = left
        else:
            raise ValueError(f"{str(path)!r}: unknown PNG filter {kind} in row {y}")
        out[y] = cur
        prior = cur
    arr = out.reshape(height, width, channels * 2).view(">u2").astype(np.uint16)
    return arr[..., 0] if channels == 1 else arr


def read(path: str | os.PathLike, *, channels: str = "luma") -> Item:
    """One image or audio file as float64 maps (see the module docstring for scales).

    Parameters
    ----------
    path : str or os.PathLike
    channels : {"luma", "mean", "each"}
        Colour images: luma (Rec. 601), the channel mean, or every channel a map. Audio:
        ``"mean"`` (mono) or ``"each"``; ``"luma"`` means mono there too.

    Returns
    -------
    Item

    Raises
    ------
    ValueError
        An unsupported or damaged file, named.

    Examples
    --------
    >>> import tempfile
    >>> from PIL import Image
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     Image.fromarray(np.full((8, 8), 255, np.uint8)).save(f"{tmp}/white.png")
    ...     read(f"{tmp}/white.png").maps.shape
    (1, 8, 8)
    """
    check_choice("channels", channels, CHANNELS)
    kind = kind_of(path)
    path = _as_path("path", path, exists=True)
    try:
        if kind == "audio":
            return _read_audio(path, channels)
        return _read_image(path, channels)
    except (OSError, SyntaxError, struct.error) as exc:
        raise ValueError(f"{str(path)!r} cannot be read: {exc}") from None


def _read_image(path: Path, channels: str) -> Item:
    suffix = path.suffix.lower()
    if suffix in (".tif", ".tiff"):
        import tifffile

        try:
            arr = tifffile.imread(path)
        except (ValueError, tifffile.TiffFileError) as exc:
            raise ValueError(f"{str(path)!r} cannot be read as TIFF: {exc}") from None
        return Item(_image_maps(_scale(np.asarray(arr)), channels, path))
    header = _png_header(path) if suffix == ".png" else None
    if header is not None and header[0] == 16 and header[1] in (2, 4, 6):
        return Item(_image_maps(_scale(read_png16(path)), channels, path))
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img.load()
            grid = _jpeg_grid(img, channels) if img.format == "JPEG" else None
            arr = _pil_array(img)
    except UnidentifiedImageError:
        raise ValueError(f"{str(path)!r} is not an image Pillow can read") from None
    arr = arr if arr.dtype == np.float64 else _scale(arr)
    return Item(_image_maps(arr, channels, path), grid)


def _read_audio(path: Path, channels: str) -> Item:
    if path.suffix.lower() == ".wav":
        from scipy.io import wavfile

        try:
            rate, arr = wavfile.read(path)
        except ValueError as exc:
            raise ValueError(f"{str(path)!r} cannot be read as WAV: {exc}") from None
        if arr.dtype == np.uint8:
            arr = (arr.astype(np.float64) - 128.0) / 128.0
        elif arr.dtype.kind == "i":
            arr = arr.astype(np.float64) / -float(np.iinfo(arr.dtype).min)
        else:
            arr = arr.astype(np.float64)
    else:
        sf = _soundfile()
        try:
            arr, rate = sf.read(path, dtype="float64", always_2d=True)
        except RuntimeError as exc:
            raise ValueError(f"{str(path)!r} cannot be read as FLAC: {exc}") from None
    arr = arr.reshape(len(arr), -1).T  # (channels, samples)
    if len(arr) > 1 and channels != "each":
        arr = arr.mean(axis=0, keepdims=True)
    return Item(arr, None, int(rate))


def reduce_channels(arr: np.ndarray, axis: int, channels: str) -> np.ndarray:
    """Colour channels on ``axis`` reduced to one map (luma, mean) or kept as maps (each).

    Examples
    --------
    >>> reduce_channels(np.ones((3, 4, 4)), 0, "luma").shape
    (1, 4, 4)
    """
    if not isinstance(arr, np.ndarray) or arr.dtype.kind not in "biuf":
        raise TypeError(f"arr must be a numpy array of real numbers, got {type(arr).__name__}")
    axis = check_int("axis", axis)
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis must be between {-arr.ndim} and {arr.ndim - 1}, got {axis}")
    check_choice("channels", channels, CHANNELS)
    c = arr.shape[axis]
    arr = np.moveaxis(arr, axis, 0)
    if c in (2, 4):  # grey + alpha, RGB + alpha: the alpha channel is not the picture
        arr = arr[: c - 1]
        c -= 1
    if channels == "each" or c == 1:
        return arr
    if channels == "luma":
        if c != 3:
            raise ValueError(
                f"channels='luma' needs 3 colour channels (RGB), got {c}: use 'mean' or 'each'"
            )
        return np.tensordot(np.array(LUMA), arr, axes=1)[None]
    return arr.mean(axis=0, keepdims=True)
