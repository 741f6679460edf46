"""How small a grid :func:`artifact_lab.inspection` finds, and how often it finds one not there.

Checkerboards of known amplitude are planted into random crops of scikit-image's bundled
pictures (grey, native resolution; all of :data:`PICTURES`, which leaves out ``text``: it
carries a real print raster) and into white noise, the maps are rounded to 8 bits as a
PNG would store them, and :func:`~artifact_lab.inspection.detect.inspect` runs on each trial's
set of maps. The planted grid is the constant response of a 3 x 3, stride-2 transposed
convolution with equal taps (phase gains ``[[4, 2], [2, 1]]``, the classic checkerboard), made
zero-mean and scaled to a root-mean-square **amplitude in grey levels of 255**.

- :func:`detection_rate`: the share of trials in which the planted period is found (a
  period is reported whose harmonics include the planted grid's: the period or a multiple).
- :func:`smallest_amplitude`: the smallest amplitude on a grid of steps of sqrt(2) found in
  at least ``target`` of the trials (a binary search: the rate grows with the amplitude, and
  every amplitude sees the same crops).
- :func:`false_alarm_rate`: the share of trials without a planted grid in which some period
  is reported; for JPEG-compressed pictures, a period other than the JPEG block grid.
- :func:`power_table` and :func:`false_alarm_table`: these over image counts and sizes.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._util.checks import (
    MAX_ELEMENTS,
    as_names,
    as_real_array,
    check_bool,
    check_choice,
    check_float,
    check_int,
    int_values,
)

__all__ = [
    "KINDS",
    "PICTURES",
    "compress_jpeg",
    "detection_rate",
    "false_alarm_rate",
    "false_alarm_table",
    "maps",
    "plant",
    "planted_pattern",
    "power_table",
    "smallest_amplitude",
]

KINDS = ("pictures", "noise")
NOISE_GREY = 0.2  # white noise's standard deviation, in [0, 1] units (51 grey levels)
AMPLITUDES = tuple(0.125 * math.sqrt(2) ** k for k in range(19))  # 0.125 .. 64 grey levels
# Largest planted period: its box kernel has (2 * period - 1)**2 taps (4 million at 1024),
# far beyond the periods 2-16 inspect tests by default.
MAX_PERIOD = 1024


def _check_period(period: object) -> int:
    period = check_int("period", period, minimum=2)
    if period > MAX_PERIOD:
        raise ValueError(f"period must be at most {MAX_PERIOD}, got {period}")
    return period


def _check_quality(name: str, quality: object, *, none_ok: bool = False) -> int | None:
    """A JPEG quality: an int 1-100 (or None, no compression, where ``none_ok``)."""
    if quality is None and none_ok:
        return None
    quality = check_int(name, quality, minimum=1)
    if quality > 100:
        raise ValueError(f"{name} must be at most 100, got {quality}")
    return quality


def _check_target(target: object) -> float:
    target = check_float("target", target, positive=True)
    if target > 1:
        raise ValueError(f"target must be a share of trials in (0, 1], got {target}")
    return target


def _check_maps(
    kind: str, count: int, size: int, *, names: tuple[str, str] = ("count", "size")
) -> None:
    """Refuse, before any map is drawn, maps that would not fit (memory) or not be cut (a
    size beyond every bundled picture); ``names`` are the arguments the values came from."""
    values = count * size * size
    if values > MAX_ELEMENTS:
        raise ValueError(
            f"{names[0]}={count} maps of {names[1]}={size} x {size} would hold {values:,} "
            f"values, more than the limit of {MAX_ELEMENTS:,}; use fewer or smaller maps"
        )
    if kind == "pictures":
        largest = max(min(p.shape) for p in _pictures())
        if size > largest:
            raise ValueError(
                f"{names[1]}={size} is larger than every bundled picture (at most {largest})"
            )


def planted_pattern(period: int = 2) -> np.ndarray:
    """The zero-mean, unit-RMS phase pattern planted: a ``(period-1)*2+1`` box kernel's
    constant response at stride ``period`` (``[[4, 2], [2, 1]]`` for period 2).

    Examples
    --------
    >>> planted_pattern(2).round(3)
    array([[ 1.606, -0.229],
           [-0.229, -1.147]])
    """
    from ..core.scores import phase_gains

    period = _check_period(period)
    g = phase_gains(np.ones((2 * period - 1,) * 2), period)
    g = g - g.mean()
    return g / np.sqrt((g**2).mean())


# "text" is left out: it is a photograph of print with a real raster, a periodic grid that
# inspect finds (period about 6.4 x 3.2 pixels, its strongest bin 370 times its background).
PICTURES = (
    "camera",
    "astronaut",
    "brick",
    "grass",
    "gravel",
    "coins",
    "moon",
    "coffee",
    "chelsea",
    "rocket",
    "clock",
    "page",
    "cell",
    "immunohistochemistry",
)


@functools.lru_cache(maxsize=1)
def _pictures() -> tuple[np.ndarray, ...]:
    from ..core.images import load_image

    return tuple(load_image(name, None).numpy() for name in PICTURES)


def maps(
    kind: str, count: int, size: int, *, seed: int = 0, jpeg_quality: int | None = None
) -> np.ndarray:
    """``count`` maps of ``size x size`` in [0, 1]: random crops of the bundled pictures
    (each from a random picture at least ``size`` on a side) or white noise around 0.5.

    ``jpeg_quality`` compresses each map as a grey JPEG at that quality and decodes it.
    """
    check_choice("kind", kind, KINDS)
    count = check_int("count", count, minimum=1)
    size = check_int("size", size, minimum=8)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    jpeg_quality = _check_quality("jpeg_quality", jpeg_quality, none_ok=True)
    _check_maps(kind, count, size)
    if kind == "noise":
        out = 0.5 + NOISE_GREY * rng.standard_normal((count, size, size))
    else:
        pics = [p for p in _pictures() if min(p.shape) >= size]
        out = np.empty((count, size, size))
        for i in range(count):
            pic = pics[rng.integers(len(pics))]
            y = rng.integers(pic.shape[0] - size + 1)
            x = rng.integers(pic.shape[1] - size + 1)
            out[i] = pic[y : y + size, x : x + size]
    if jpeg_quality is not None:
        out = compress_jpeg(out, jpeg_quality)
    return out


def _quantise(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x * 255), 0, 255) / 255


def compress_jpeg(x: np.ndarray, quality: int) -> np.ndarray:
    """Each map of ``x`` (``(..., H, W)`` in [0, 1]) saved as a grey JPEG at ``quality`` (1-100)
    and decoded again; the result has the shape of ``x``.

    Examples
    --------
    >>> y = compress_jpeg(np.full((1, 16, 16), 0.5), 75)
    >>> y.shape, float(np.abs(y - 0.5).max()) < 0.01
    ((1, 16, 16), True)
    """
    from PIL import Image

    quality = _check_quality("quality", quality)
    x = as_real_array("x", x, min_ndim=2)
    flat = x.reshape(-1, *x.shape[-2:])
    out = np.empty_like(flat)
    for i, m in enumerate(flat):
        buf = io.BytesIO()
        Image.fromarray((_quantise(m) * 255).astype(np.uint8)).save(buf, "JPEG", quality=quality)
        out[i] = np.asarray(Image.open(io.BytesIO(buf.getvalue())), dtype=np.float64) / 255
    return out.reshape(x.shape)


def plant(x: np.ndarray, amplitude: float, *, period: int = 2) -> np.ndarray:
    """``x`` (``(..., H, W)`` in [0, 1]) plus the planted grid of RMS ``amplitude`` grey
    levels, phase 0 at the top-left corner, rounded to 8 bits.

    Examples
    --------
    >>> y = plant(np.full((1, 8, 8), 0.5), 10.0)
    >>> round(float(np.sqrt(((y - y.mean()) ** 2).mean()) * 255), 1)  # 10, rounded to 8 bits
    10.2
    """
    amplitude = check_float("amplitude", amplitude, minimum=0.0)
    period = _check_period(period)
    x = as_real_array("x", x, min_ndim=2)
    h, w = x.shape[-2:]
    pat = planted_pattern(period)
    grid = np.tile(pat, (-(-h // period), -(-w // period)))[:h, :w]
    return _quantise(x + amplitude / 255 * grid)


def _check_study(kind, count, size, trials, period, seed) -> tuple[str, int, int, int, int, int]:
    """The arguments every study shares, checked before the first map is drawn."""
    check_choice("kind", kind, KINDS)
    count = check_int("count", count, minimum=1)
    size = check_int("size", size, minimum=8)
    trials = check_int("trials", trials, minimum=1)
    period = _check_period(period)
    seed = check_int("seed", seed, minimum=0)
    _check_maps(kind, count, size)
    return kind, count, size, trials, period, seed


def _found(x: np.ndarray, period: int, jpeg: bool) -> tuple[bool, bool]:
    """(planted period found, some other period found) for one trial's maps."""
    from .detect import inspect

    res = inspect(x, jpeg=jpeg)
    periods = [p for p, s in zip(res.found.period, res.found.source, strict=True) if s == "grid"]
    # found: a period whose harmonics include the planted grid's (a multiple of it)
    hit = [p for p in periods if all(q % period == 0 for q in p)]
    return bool(hit), len(hit) < len(periods)


def detection_rate(
    kind: str,
    count: int,
    size: int,
    amplitude: float,
    *,
    trials: int = 20,
    period: int = 2,
    seed: int = 0,
) -> float:
    """Share of ``trials`` (each ``count`` fresh maps) in which the planted period is found.

    Examples
    --------
    >>> detection_rate("noise", 2, 64, 32.0, trials=2)
    1.0
    """
    kind, count, size, trials, period, seed = _check_study(kind, count, size, trials, period, seed)
    amplitude = check_float("amplitude", amplitude, minimum=0.0)
    hits = 0
    for t in range(trials):
        x = plant(maps(kind, count, size, seed=seed + t), amplitude, period=period)
        hits += _found(x, period, False)[0]
    return hits / trials


def smallest_amplitude(
    kind: str,
    count: int,
    size: int,
    *,
    target: float = 0.9,
    trials: int = 20,
    period: int = 2,
    seed: int = 0,
) -> float:
    """The smallest amplitude of :data:`AMPLITUDES` (grey levels) whose detection rate
    reaches ``target``; ``inf`` if none does. Binary search over the grid."""
    target = _check_target(target)
    kind, count, size, trials, period, seed = _check_study(kind, count, size, trials, period, seed)
    lo, hi = 0, len(AMPLITUDES) - 1

    def ok(i: int) -> bool:
        rate = detection_rate(
            kind, count, size, AMPLITUDES[i], trials=trials, period=period, seed=seed
        )
        return rate >= target

    if not ok(hi):
        return math.inf
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return AMPLITUDES[lo]


def false_alarm_rate(
    kind: str,
    count: int,
    size: int,
    *,
    trials: int = 100,
    jpeg_quality: int | None = None,
    seed: int = 10_000,
) -> tuple[float, float]:
    """``(false alarms, JPEG grids)``: the share of trials without a planted grid in which a
    period is reported as a grid, and (JPEG only) in which the JPEG block grid is reported.

    Examples
    --------
    >>> false_alarm_rate("noise", 1, 32, trials=3)
    (0.0, 0.0)
    """
    kind, count, size, trials, _, seed = _check_study(kind, count, size, trials, 2, seed)
    jpeg_quality = _check_quality("jpeg_quality", jpeg_quality, none_ok=True)
    alarms = grids = 0
    for t in range(trials):
        x = _quantise(maps(kind, count, size, seed=seed + t, jpeg_quality=jpeg_quality))
        from .detect import inspect

        res = inspect(x, jpeg=jpeg_quality is not None)
        alarms += bool((res.found.source == "grid").any())
        grids += bool((res.found.source != "grid").any())
    return alarms / trials, grids / trials


def power_table(
    counts: Sequence[int] = (1, 4, 16),
    sizes: Sequence[int] = (64, 128, 256),
    *,
    kinds: Sequence[str] = KINDS,
    trials: int = 20,
    target: float = 0.9,
    seed: int = 0,
    progress: bool = False,
) -> pd.DataFrame:
    """Smallest amplitude found in ``target`` of the trials, per kind, image count and size.

    Columns ``kind, images, size, amplitude`` (RMS grey levels of 255) and ``contrast_db``
    (the amplitude over the maps' mean RMS contrast, in dB).
    """
    from tqdm.auto import tqdm

    counts = int_values("counts", counts, minimum=1)
    sizes = int_values("sizes", sizes, minimum=8)
    kinds = as_names("kinds", kinds, allowed=KINDS)
    trials = check_int("trials", trials, minimum=1)
    target = _check_target(target)
    seed = check_int("seed", seed, minimum=0)
    progress = check_bool("progress", progress)
    for kind in kinds:  # the contrast is measured on 16 maps of each size
        for size in sizes:
            _check_maps(kind, max(*counts, 16), size, names=("counts", "sizes"))
    rows = []
    jobs = [(k, n, s) for k in kinds for s in sizes for n in counts]
    for kind, n, size in tqdm(jobs, disable=not progress, desc="power", leave=False):
        amp = smallest_amplitude(kind, n, size, target=target, trials=trials, seed=seed)
        contrast = 255 * float(np.mean([m.std() for m in maps(kind, 16, size, seed=seed)]))
        rows.append(
            {
                "kind": kind,
                "images": n,
                "size": size,
                "amplitude": amp,
                "contrast_db": 20 * math.log10(amp / contrast) if np.isfinite(amp) else np.nan,
            }
        )
    return pd.DataFrame(rows)


def false_alarm_table(
    counts: Sequence[int] = (1, 4, 16),
    sizes: Sequence[int] = (64, 256),
    *,
    conditions: Sequence[tuple[str, int | None]] = (
        ("pictures", None),
        ("pictures", 90),
        ("pictures", 50),
        ("noise", None),
    ),
    trials: int = 100,
    seed: int = 10_000,
    progress: bool = False,
) -> pd.DataFrame:
    """False-alarm rate per condition (kind and JPEG quality), image count and size.

    Columns ``kind, jpeg_quality, images, size, trials, false_alarms`` (share of trials
    reporting a grid), ``interval`` (95 % Wilson interval of that share) and ``jpeg_grid``
    (share reporting the JPEG block grid).
    """
    from tqdm.auto import tqdm

    counts = int_values("counts", counts, minimum=1)
    sizes = int_values("sizes", sizes, minimum=8)
    conditions = _check_conditions(conditions)
    trials = check_int("trials", trials, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    progress = check_bool("progress", progress)
    for kind, _ in conditions:
        for size in sizes:
            _check_maps(kind, max(counts), size, names=("counts", "sizes"))
    rows = []
    jobs = [(c, n, s) for c in conditions for s in sizes for n in counts]
    for (kind, quality), n, size in tqdm(jobs, disable=not progress, desc="alarms", leave=False):
        fa, grid = false_alarm_rate(kind, n, size, trials=trials, jpeg_quality=quality, seed=seed)
        rows.append(
            {
                "kind": kind,
                "jpeg_quality": quality,
                "images": n,
                "size": size,
                "trials": trials,
                "false_alarms": fa,
                "interval": _wilson(fa, trials),
                "jpeg_grid": grid if quality is not None else np.nan,
            }
        )
    return pd.DataFrame(rows)


def _check_conditions(conditions: object) -> tuple[tuple[str, int | None], ...]:
    """``(kind, jpeg_quality)`` pairs: a kind of :data:`KINDS` and None or a quality 1-100."""
    rule = "conditions must be a sequence of (kind, jpeg_quality) pairs"
    if isinstance(conditions, (str, bytes)) or not isinstance(conditions, Sequence):
        raise TypeError(f"{rule}, got {conditions!r}")
    if not conditions:
        raise ValueError("conditions must not be empty")
    out = []
    for i, pair in enumerate(conditions):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise TypeError(f"{rule}; conditions[{i}] is {pair!r}")
        kind = check_choice(f"conditions[{i}] kind", pair[0], KINDS)
        out.append((kind, _check_quality(f"conditions[{i}] jpeg_quality", pair[1], none_ok=True)))
    return tuple(out)


def _wilson(p: float, n: int, z: float = 1.96) -> tuple[float, float]:
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def main(argv: Sequence[str] | None = None) -> None:  # pragma: no cover - the documented tables
    """Print both tables: ``python -m artifact_lab.inspection.power [--trials 10 ...]``."""
    import argparse

    import torch

    parser = argparse.ArgumentParser(description="power and false alarms of inspect")
    parser.add_argument("--counts", default="1,4,16", help="image counts (default 1,4,16)")
    parser.add_argument("--sizes", default="64,128,256", help="sizes (default 64,128,256)")
    parser.add_argument("--trials", type=int, default=10, help="trials per amplitude")
    parser.add_argument("--alarm-sizes", default="64,256", help="false alarms: sizes")
    parser.add_argument("--alarm-counts", default="1,4", help="false alarms: image counts")
    parser.add_argument("--alarm-trials", type=int, default=50, help="false alarms: trials")
    args = parser.parse_args(argv)
    ints = lambda text: [int(v) for v in text.split(",")]  # noqa: E731
    torch.set_num_threads(1)
    table = power_table(ints(args.counts), ints(args.sizes), trials=args.trials, progress=True)
    print(table.to_string(index=False), flush=True)
    alarms = false_alarm_table(
        ints(args.alarm_counts), ints(args.alarm_sizes), trials=args.alarm_trials, progress=True
    )
    print(alarms.to_string(index=False), flush=True)


if __name__ == "__main__":  # pragma: no cover
    main()
