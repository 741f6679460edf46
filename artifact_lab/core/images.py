"""Test inputs, offline: scikit-image's bundled real images and synthetic probes.

Everything is returned as float64 torch tensors in [0, 1] (probes: documented ranges), at a
chosen size, with no download at run time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .._util.checks import IntOrTuple, as_names, check_bool, check_choice, check_int, per_axis

__all__ = ["IMAGES", "PROBES", "face", "load_image", "load_images", "probe"]

# Bundled with scikit-image (no pooch download), chosen for texture variety.
IMAGES = (
    "camera",
    "astronaut",
    "brick",
    "grass",
    "gravel",
    "coins",
    "moon",
    "text",
    "coffee",
    "chelsea",
    "rocket",
    "clock",
    "page",
    "cell",
    "immunohistochemistry",
)
PROBES = ("constant", "noise", "pink", "edges", "chirp")


def _to_gray(img: np.ndarray) -> np.ndarray:
    from skimage.color import rgb2gray, rgba2rgb

    if img.ndim == 3 and img.shape[-1] == 4:
        img = rgba2rgb(img)
    if img.ndim == 3:
        img = rgb2gray(img)
    return img


def _fit(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Centre-crop to the target aspect ratio, then resize with anti-aliasing."""
    from skimage.transform import resize

    h, w = img.shape[:2]
    th, tw = size
    if h * tw > w * th:  # too tall
        ch = max(1, round(w * th / tw))
        top = (h - ch) // 2
        img = img[top : top + ch]
    else:
        cw = max(1, round(h * tw / th))
        left = (w - cw) // 2
        img = img[:, left : left + cw]
    return resize(img, (th, tw, *img.shape[2:]), anti_aliasing=True, preserve_range=True)


def load_image(name: str, size: IntOrTuple | None = 64, *, gray: bool = True) -> torch.Tensor:
    """One of scikit-image's bundled images as a float64 tensor in [0, 1].

    Parameters
    ----------
    name : str
        One of :data:`IMAGES` (e.g. ``"camera"``, ``"brick"``, ``"grass"``, ``"gravel"``).
    size : int or (int, int) or None
        Output size (centre crop to the aspect ratio, then anti-aliased resize);
        None keeps the original.
    gray : bool
        Convert colour images to luminance.

    Returns
    -------
    torch.Tensor, shape ``(H, W)`` (gray) or ``(3, H, W)``

    Examples
    --------
    >>> img = load_image("camera", 32)
    >>> tuple(img.shape), float(img.min()) >= 0, float(img.max()) <= 1
    ((32, 32), True, True)
    """
    import skimage.data

    check_choice("name", name, IMAGES)
    gray = check_bool("gray", gray)
    if size is not None:
        size = per_axis("size", size, 2, minimum=1)
    img = getattr(skimage.data, name)()
    img = img.astype(np.float64) / (255.0 if img.dtype == np.uint8 else 1.0)
    if gray:
        img = _to_gray(img)
    elif img.ndim == 2:
        img = np.stack([img] * 3, axis=-1)
    elif img.shape[-1] == 4:
        img = _to_gray(img)[..., None].repeat(3, -1)
    if size is not None:
        img = _fit(img, size)
    img = np.clip(img, 0.0, 1.0)
    t = torch.from_numpy(np.ascontiguousarray(img))
    return t if gray else t.permute(2, 0, 1).contiguous()


def load_images(
    names: Sequence[str] = ("camera", "brick", "grass", "gravel"), size: IntOrTuple = 64
) -> torch.Tensor:
    """Several gray images as a batch ``(N, 1, H, W)``.

    Examples
    --------
    >>> tuple(load_images(("camera", "brick"), 16).shape)
    (2, 1, 16, 16)
    """
    names = as_names("names", names, allowed=IMAGES)  # one string is one picture
    size = per_axis("size", size, 2, minimum=1)  # one size for all: they are stacked
    return torch.stack([load_image(n, size) for n in names])[:, None]


def face(index: int = 0, size: IntOrTuple | None = None) -> torch.Tensor:
    """A face from scikit-image's LFW subset (100 faces, 25×25), gray float64 in [0, 1].

    Examples
    --------
    >>> tuple(face(3).shape)
    (25, 25)
    """
    import skimage.data

    index = check_int("index", index, minimum=0)
    if index >= 100:
        raise ValueError(f"index must be < 100 (the LFW subset's faces), got {index}")
    img = skimage.data.lfw_subset()[index].astype(np.float64)
    img = (img - img.min()) / max(img.max() - img.min(), 1e-12)
    if size is not None:
        img = _fit(img, per_axis("size", size, 2, minimum=1))
    return torch.from_numpy(np.clip(img, 0, 1))


def probe(kind: str, size: IntOrTuple = 64, *, seed: int = 0) -> torch.Tensor:
    """A synthetic probe signal of any dimension (1-D for audio-like tests, 2-D images).

    ``constant`` (all 0.5), ``noise`` (white, N(0, 1)), ``pink`` (1/f amplitude spectrum,
    unit variance), ``edges`` (a step in every axis: 0/1 quadrants), ``chirp`` (cosine whose
    frequency rises from 0 to the Nyquist frequency along the distance from the origin).

    Examples
    --------
    >>> tuple(probe("noise", (8, 8)).shape), tuple(probe("chirp", (100,)).shape)
    ((8, 8), (100,))
    """
    check_choice("kind", kind, PROBES)
    shape = per_axis("size", size, None if isinstance(size, Sequence) else 2, minimum=1)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    if kind == "constant":
        arr = np.full(shape, 0.5)
    elif kind == "noise":
        arr = rng.standard_normal(shape)
    elif kind == "pink":
        spec = np.fft.fftn(rng.standard_normal(shape))
        freqs = np.meshgrid(*(np.fft.fftfreq(n) for n in shape), indexing="ij")
        radius = np.sqrt(sum(f**2 for f in freqs))
        radius[(0,) * len(shape)] = np.inf  # no DC
        arr = np.real(np.fft.ifftn(spec / radius))
        arr = (arr - arr.mean()) / max(arr.std(), 1e-12)
    elif kind == "edges":
        grids = np.meshgrid(*(np.arange(n) >= n // 2 for n in shape), indexing="ij")
        arr = np.logical_xor.reduce(grids).astype(np.float64) if len(shape) > 1 else grids[0] * 1.0
    else:  # chirp: instantaneous frequency r/R * 0.5 cycles/sample
        grids = np.meshgrid(*(np.arange(n, dtype=float) for n in shape), indexing="ij")
        r = np.sqrt(sum(g**2 for g in grids))
        arr = 0.5 + 0.5 * np.cos(np.pi * r**2 / (2 * max(r.max(), 1.0)))
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float64))
