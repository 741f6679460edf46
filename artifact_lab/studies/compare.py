"""The field's upsamplers compared on equal terms: same factor, same inputs, same scores."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from .._util.checks import (
    as_names,
    check_bool,
    check_choice,
    check_elements,
    check_int,
    check_seeds,
)
from ..backend import select_device
from ..core.images import IMAGES, PROBES, load_image, probe
from ..core.spectral import filtering_db, harmonic_fraction, peak_db, replica_fraction
from ..layers.upsamplers import Upsampler, standard_upsamplers

__all__ = [
    "COLUMNS",
    "compare_upsamplers",
    "input_image",
    "rank_upsamplers",
    "white_noise_levels",
]

#: Largest upsampled picture compared (float64, a few copies in flight): 4096 x 4096.
MAX_OUTPUT = 1 << 24

COLUMNS = {
    "upsampler": "name of the upsampler",
    "image": "input: a scikit-image picture or a synthetic probe",
    "seed": "seed of the upsampler's initialisation (and of a random probe)",
    "factor": "upsampling factor s",
    "checkerboard_score": "closed form, effective kernel, constant input in every channel",
    "noise_checkerboard": "closed form, uneven output variance on white noise",
    "harmonic_fraction": "measured power share at the non-zero stride harmonics, interior crop "
    "(total includes DC for the constant probe, excludes it otherwise)",
    "peak_db": "measured largest peak-to-neighbourhood ratio at a stride harmonic (tonal)",
    "replica_fraction": "measured output power above the input's Nyquist, harmonics excluded",
    "filtering_db": "measured pass-band tilt, upper against lower half of the input band",
}


def input_image(name: str, size: int, *, seed: int = 0) -> torch.Tensor:
    """A named input as a ``(size, size)`` float64 tensor: a probe or a bundled image."""
    check_choice("name", name, PROBES + IMAGES)
    size = check_int("size", size, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    if name in PROBES:
        return probe(name, (size, size), seed=seed)
    if name in IMAGES:
        return load_image(name, size)


def _crop(y: torch.Tensor, margin: int, factor: int) -> torch.Tensor:
    h, w = y.shape[-2:]
    hh = (h - 2 * margin) // factor * factor
    ww = (w - 2 * margin) // factor * factor
    if hh < factor or ww < factor:
        raise ValueError(f"input too small for a border margin of {margin} output samples")
    return y[..., margin : margin + hh, margin : margin + ww]


def compare_upsamplers(
    upsamplers: Mapping[str, Upsampler] | Sequence[Upsampler] | None = None,
    images: Sequence[str] = ("constant", "noise", "camera", "brick", "grass", "gravel"),
    *,
    factor: int = 2,
    size: int = 64,
    seeds: Sequence[int] = (0, 1, 2),
    device: str | torch.device | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Score every upsampler on every input, closed form and measured, as a tidy frame.

    Parameters
    ----------
    upsamplers : mapping or sequence of Upsampler, optional
        Already built modules (then ``seeds`` only seeds the random probes), or None for
        :func:`~artifact_lab.layers.upsamplers.standard_upsamplers` built once per seed.
    images : sequence of str
        Probes (``constant``, ``noise``, ``pink``, ``edges``, ``chirp``) and bundled images.
    factor, size : int
        Upsampling factor and input side length (2-D, single channel).
    device : optional
        Where the forward passes run (float64).

    Returns
    -------
    pandas.DataFrame
        One row per upsampler × image × seed, columns :data:`COLUMNS`. Pons et al.'s three
        artifact kinds: tonal (``harmonic_fraction``, ``peak_db``), filtering
        (``filtering_db``) and spectral replicas (``replica_fraction``); the last two are NaN
        for the constant probe, which has no spectrum to filter.
    """
    images = as_names("images", images, allowed=PROBES + IMAGES)  # one string is one image
    factor = check_int("factor", factor, minimum=1)
    size = check_int("size", size, minimum=1)
    seeds = check_seeds("seeds", seeds)
    progress = check_bool("progress", progress)
    given = _checked_upsamplers(upsamplers, factor)
    check_elements(
        f"the upsampled picture of size={size} at factor={factor}",
        (size * factor, size * factor),
        MAX_OUTPUT,
        f"use size <= {math.isqrt(MAX_OUTPUT) // factor}",
    )
    margin = 4 * factor
    if (size * factor - 2 * margin) // factor < 1:
        raise ValueError(
            f"size={size} is too small: the crop drops a border of {margin} output samples per "
            f"side at factor {factor}, so size must be at least {2 * margin // factor + 1}"
        )
    dev = select_device(device)
    rows: list[dict[str, Any]] = []
    jobs = [(seed, name) for seed in seeds for name in images]
    for seed, image in tqdm(jobs, disable=not progress, desc="compare", leave=False):
        ups = given if given is not None else standard_upsamplers(factor, 1, ndim=2, seed=seed)
        x = input_image(image, size, seed=seed)
        for name, up in ups.items():
            scores = up.scores()
            module = up.to(dev, torch.float64).eval()
            with torch.no_grad():
                y = module(x.to(dev)[None, None])[0, 0].cpu()
            crop = _crop(y, margin, factor)
            flat = image == "constant"
            rows.append(
                {
                    "upsampler": name,
                    "image": image,
                    "seed": seed,
                    "factor": factor,
                    "checkerboard_score": scores.checkerboard_score,
                    "noise_checkerboard": scores.noise_checkerboard,
                    "harmonic_fraction": harmonic_fraction(
                        crop, (factor, factor), remove_dc=not flat
                    ),
                    "peak_db": np.nan if flat else peak_db(crop, (factor, factor)),
                    "replica_fraction": np.nan if flat else replica_fraction(y, (factor,) * 2),
                    "filtering_db": np.nan if flat else filtering_db(x, y, (factor, factor)),
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _checked_upsamplers(upsamplers: Any, factor: int) -> dict[str, Upsampler] | None:
    """The given upsamplers by name (None: the standard ones), each checked up front."""
    if upsamplers is None:
        return None
    if isinstance(upsamplers, Mapping):
        ups = dict(upsamplers)
    elif isinstance(upsamplers, Sequence) and not isinstance(upsamplers, (str, bytes)):
        ups = {getattr(u, "name", str(i)): u for i, u in enumerate(upsamplers)}
    else:
        raise TypeError(
            "upsamplers must be a mapping or sequence of Upsampler modules, or None, got "
            f"{type(upsamplers).__name__}"
        )
    if not ups:
        raise ValueError("upsamplers must not be empty")
    for name, up in ups.items():
        if not isinstance(up, Upsampler):
            raise TypeError(f"upsamplers[{name!r}] must be an Upsampler, got {type(up).__name__}")
        if up.factor != factor or up.ndim != 2 or up.channels != 1:
            raise ValueError(
                f"upsamplers[{name!r}] must be 2-D, 1 channel, factor {factor}; got "
                f"{up.ndim}-D, {up.channels} channels, factor {up.factor}"
            )
    return ups


def rank_upsamplers(table: pd.DataFrame, *, exclude: Sequence[str] = ("constant",)) -> pd.DataFrame:
    """Mean scores per upsampler over images and seeds, most artifact-prone first.

    Real images and textured probes only by default (the constant probe has no spectrum
    for the measured filtering and replica scores). Sorted by measured ``peak_db``.
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"table must be compare_upsamplers' DataFrame, got {type(table).__name__}")
    exclude = (
        () if isinstance(exclude, (tuple, list)) and not exclude else as_names("exclude", exclude)
    )
    missing = set(COLUMNS) - set(table.columns)
    if missing:
        raise ValueError(
            f"table lacks the columns {sorted(missing)}; pass compare_upsamplers' output"
        )
    rows = table[~table.image.isin(exclude)]
    metrics = [
        "checkerboard_score",
        "noise_checkerboard",
        "harmonic_fraction",
        "peak_db",
        "replica_fraction",
        "filtering_db",
    ]
    return rows.groupby("upsampler")[metrics].mean().sort_values("peak_db", ascending=False)


def white_noise_levels(
    shape: tuple[int, ...],
    factor: int,
    *,
    ndim: int = 2,
    draws: int = 8,
    seed: int = 0,
) -> dict[str, float]:
    """Chance levels: each measured score on white noise, a map with no pattern at all.

    A measured fraction means something only beside what a structureless map of the same
    size scores. For ``shape`` (leading axes a batch, the last ``ndim`` spatial, each a
    multiple of ``factor``) this returns:

    - ``harmonic_fraction`` (DC removed, as measured on pictures): ``(M - 1) / (N - 1)`` for
      ``M = factor**ndim`` harmonic bins among ``N`` samples per map, the expected share of
      white noise's AC power on the harmonic bins (its power is spread evenly over the
      ``N - 1`` non-DC bins);
    - ``peak_db`` and ``replica_fraction``, measured on ``draws`` maps of standard white
      noise and averaged (``filtering_db`` has no chance level: its reference is a flat pass
      band, 0 dB).

    Examples
    --------
    >>> chance = white_noise_levels((64, 64), 2)
    >>> round(chance["harmonic_fraction"] * (64 * 64 - 1), 6), round(chance["replica_fraction"], 1)
    (3.0, 0.8)
    """
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of ints, got {shape!r}")
    shape = tuple(check_int(f"shape[{i}]", n, minimum=1) for i, n in enumerate(shape))
    factor = check_int("factor", factor, minimum=1)
    ndim = check_int("ndim", ndim, minimum=1)
    if ndim > len(shape):
        raise ValueError(f"ndim={ndim} exceeds the {len(shape)} axes of shape {shape}")
    if any(n % factor for n in shape[-ndim:]):
        raise ValueError(
            f"shape {shape} must have {ndim} spatial axes, each a multiple of factor {factor}"
        )
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    draws = check_int("draws", draws, minimum=1)
    stride = (factor,) * ndim
    samples = int(np.prod(shape[-ndim:]))
    out = {"harmonic_fraction": (factor**ndim - 1) / (samples - 1) if samples > 1 else 0.0}
    measured = {"peak_db": 0.0, "replica_fraction": 0.0}
    for _ in range(draws):
        y = rng.standard_normal(shape)
        measured["peak_db"] += peak_db(y, stride, ndim=ndim)
        measured["replica_fraction"] += replica_fraction(y, stride, ndim=ndim)
    return out | {name: value / draws for name, value in measured.items()}
