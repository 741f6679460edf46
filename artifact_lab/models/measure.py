"""Whole-model measurements: the output's fixed pattern and responses, and the input gradient.

Every row of :attr:`artifact_lab.models.audit.AuditResult.model_scores` is one measured map, cropped
to its interior (an eighth of each axis dropped at both ends, then cut to whole periods) and
scored the same way: the harmonic power fraction at the period ``P`` (the stack's total
resampling factor) **with DC kept** in the total, pooled over batch and channels, so that
for a linear layer and a constant input it equals :func:`artifact_lab.checkerboard_score`.

Forward (the output ``y`` of the model):

- ``y(0)``: the fixed pattern, what biases paint with a zero input;
- ``y(1) - y(0)``: the response to a constant input of 1;
- ``y(noise) - y(0)``: the response to white noise.

Backward (the input gradient of ``sum(y)``, or of a fixed random projection ``<r, y>``): at
white-noise inputs and at real images (scikit-image's, 2-D inputs only).

Each row carries its **chance level**: the fraction that a map without a periodic pattern
gives. A deterministic map without a pattern is flat in the interior, so for ``y(0)`` and
``y(1) - y(0)`` chance is 0. For maps driven by random input the reference is white noise:
with ``M = prod(P)`` harmonic bins (DC among them) and ``N = prod(crop)`` samples per map,

    chance = (M - 1) / N

exactly, for zero-mean Gaussian white noise of any variance per map: the crop's ``N``
real degrees of freedom are exchangeable and ``M - 1`` of them span the non-zero harmonics,
so ``E[on / total] = (M - 1) / N`` for the pooled ratio (tested by simulation). A smooth
(low-pass) map falls below it, a checkerboard rises above it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch import nn

from .._util.checks import (
    as_real_array,
    check_bool,
    check_choice,
    check_int,
    check_items,
    check_module,
    check_shape,
    check_tensor,
    per_axis,
)
from ..core.spectral import harmonic_stats

__all__ = [
    "COLUMNS",
    "MeasuredMap",
    "backward_maps",
    "backward_scores",
    "chance_level",
    "crop_periods",
    "fit_period",
    "forward_maps",
    "forward_scores",
    "input_gradient",
    "noise_batch",
    "scores_frame",
]

COLUMNS = ("input", "measured", "factor", "harmonic_fraction", "chance", "peak_db", "power")
IMAGE_NAMES = ("camera", "brick", "grass", "gravel")
MAX_ELEMENTS = 1 << 28  # largest input the audit runs and measures
PROJECTIONS = ("sum", "random")
GRADIENT_LABELS = {"sum": "grad sum(y)", "random": "grad <r, y>"}  # "measured", per projection
LEGACY_BATCH = 4  # noise items of the COLUMNS rows (the rows of earlier versions, unchanged)
NOISE_SAMPLES = 1 << 16  # the significance tables' noise batch holds about this many samples
MAX_BATCH = 256


@dataclass(frozen=True)
class MeasuredMap:
    """One whole-model map: ``values`` ``(N, C, *spatial)``, ``random`` when driven by random
    inputs, ``legacy`` the leading items the :data:`COLUMNS` rows score (None: all)."""

    input: str
    measured: str
    values: torch.Tensor
    random: bool
    legacy: int | None = None


def noise_batch(map_shape: Sequence[int], input_shape: Sequence[int]) -> int:
    """Noise items for the significance tables: about :data:`NOISE_SAMPLES` samples of the
    measured map (its spatial shape), at least 16 and at most 256, a multiple of 8, and
    within :data:`MAX_ELEMENTS` of input.

    Examples
    --------
    >>> noise_batch((256, 256), (1, 3, 256, 256)), noise_batch((1024,), (1, 1, 1024))
    (16, 64)
    """
    map_shape = per_axis("map_shape", map_shape, None, minimum=1)
    input_shape = check_shape("input_shape", input_shape, max_elements=MAX_ELEMENTS)
    want = -(-NOISE_SAMPLES // math.prod(map_shape))
    batch = min(MAX_BATCH, max(16, -(-want // 8) * 8))
    fits = MAX_ELEMENTS // max(1, math.prod(input_shape[1:]))
    return max(LEGACY_BATCH, min(batch, fits // 8 * 8 or fits))


def _check_run(model, shape, period, batch, seed, device, dtype):
    """The arguments every whole-model measurement shares, checked before any work."""
    from ..backend import select_device

    check_module("model", model)
    shape = check_shape("shape", shape, max_elements=MAX_ELEMENTS)
    period = per_axis("period", period, len(shape) - 2, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    if math.prod((batch, *shape[1:])) > MAX_ELEMENTS:
        raise ValueError(f"batch={batch} of {shape[1:]} is above the limit of {MAX_ELEMENTS}")
    seed = check_int("seed", seed, minimum=0)
    if device is not None:
        device = select_device(device)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"dtype must be a floating torch.dtype (torch.float32), got {dtype!r}")
    return shape, period, batch, seed, device


def chance_level(period: Sequence[int], crop_shape: Sequence[int]) -> float:
    """Expected harmonic fraction (DC kept, pooled) of zero-mean white Gaussian noise.

    Parameters
    ----------
    period : sequence of int
        Period per axis (the harmonics are ``m / P``).
    crop_shape : sequence of int
        Samples per axis of each map, each a multiple of its period.

    Returns
    -------
    float
        ``(prod(P) - 1) / prod(crop_shape)``.

    Examples
    --------
    >>> chance_level((2, 2), (48, 48))
    0.0013020833333333333
    """
    period = per_axis("period", period, None, minimum=1)
    crop_shape = per_axis("crop_shape", crop_shape, None, minimum=1)
    if len(period) != len(crop_shape):
        raise ValueError(
            f"period {tuple(period)} and crop_shape {tuple(crop_shape)} differ in length"
        )
    for p, n in zip(period, crop_shape, strict=True):
        if n % p:
            raise ValueError(
                f"crop_shape {tuple(crop_shape)} must hold whole periods {tuple(period)}"
            )
    return (math.prod(period) - 1) / math.prod(crop_shape)


def _margin(n: int) -> int:
    return n // 8


def fit_period(period: Sequence[int], spatial: Sequence[int]) -> tuple[int, ...] | None:
    """The period to measure at: ``period`` where the crop holds two of them, else its
    largest divisor that fits (its harmonics are a subset); None when not even 2 fits.

    Examples
    --------
    >>> fit_period((32, 32), (64, 64)), fit_period((3,), (5,))
    ((16, 16), None)
    """
    period = per_axis("period", period, None, minimum=1)
    spatial = per_axis("spatial", spatial, None, minimum=1)
    if len(period) != len(spatial):
        raise ValueError(f"period {period} and spatial {spatial} differ in length")
    out = []
    for p, n in zip(period, spatial, strict=True):
        length = n - 2 * _margin(n)
        # only divisors that fit twice: the loop is bounded by the crop, not by the period
        fits = [d for d in range(min(p, length // 2), 1, -1) if p % d == 0]
        if p == 1:
            fits = [1]
        if not fits:
            return None
        out.append(fits[0])
    return tuple(out)


def crop_periods(y: torch.Tensor | np.ndarray, period: Sequence[int]) -> np.ndarray:
    """Interior crop of ``(N, C, *spatial)`` maps: an eighth dropped at both ends, then cut to
    whole periods; returned as float64 ``(N*C, *crop)``.

    Examples
    --------
    >>> crop_periods(torch.zeros(2, 3, 16, 20), (4, 4)).shape
    (6, 12, 16)
    """
    arr = as_real_array("y", y, min_ndim=3)
    try:
        period = per_axis("period", period, arr.ndim - 2, minimum=1)
    except ValueError as exc:  # a length mismatch is y's as much as period's
        raise ValueError(f"y of shape {arr.shape} and period {period!r}: {exc}") from None
    return _crop(arr, period)


def _crop(y: torch.Tensor | np.ndarray, period: Sequence[int]) -> np.ndarray:
    arr = y.detach().to("cpu", torch.float64).numpy() if isinstance(y, torch.Tensor) else y
    arr = np.asarray(arr, dtype=np.float64)
    index: list[slice] = [slice(None), slice(None)]
    for a, p in enumerate(period):
        n = arr.shape[2 + a]
        m = _margin(n)
        length = (n - 2 * m) // p * p
        if length < p:
            raise ValueError(f"axis {a} of y ({n} samples) holds no whole period {p} in its crop")
        index.append(slice(m, m + length))
    crop = arr[tuple(index)]
    return crop.reshape(-1, *crop.shape[2:])


def score_row(input_kind: str, measured: str, y, period, chance_random: bool) -> dict:
    crop = _crop(y, period)
    if not np.isfinite(crop).all():
        raise ValueError(f"the model's {measured} holds NaN or infinite values")
    return row_from_crop(input_kind, measured, crop, period, chance_random)


def row_from_crop(
    input_kind: str, measured: str, crop: np.ndarray, period, chance_random: bool
) -> dict:
    """One row of :data:`COLUMNS` from a map already cropped to whole periods."""
    frac, db = harmonic_stats(crop, tuple(period), ndim=len(period))
    return {
        "input": input_kind,
        "measured": measured,
        "factor": tuple(period),
        "harmonic_fraction": frac,
        "chance": chance_level(period, crop.shape[1:]) if chance_random else 0.0,
        "peak_db": db,
        "power": float((crop**2).mean()),
    }


def empty_row(input_kind: str, measured: str, period) -> dict:
    nan = float("nan")
    return {
        "input": input_kind,
        "measured": measured,
        "factor": tuple(period),
        "harmonic_fraction": nan,
        "chance": nan,
        "peak_db": nan,
        "power": nan,
    }


def _frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _as_tensor(y, what: str) -> torch.Tensor:
    if not isinstance(y, torch.Tensor):
        raise TypeError(
            f"the model must return a tensor to measure its {what}, got {type(y).__name__}"
        )
    return y


def forward_scores(
    model: nn.Module,
    shape: Sequence[int],
    period: Sequence[int],
    *,
    batch: int = 4,
    seed: int = 0,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> pd.DataFrame:
    """The output's fixed pattern ``y(0)``, constant response ``y(1) - y(0)`` and noise
    response ``y(noise) - y(0)``, each scored at ``period`` (columns :data:`COLUMNS`).

    Rows whose crop holds fewer than two periods are NaN (see :func:`fit_period`).

    Examples
    --------
    >>> m = nn.ConvTranspose1d(1, 1, 3, 2).double()
    >>> t = forward_scores(m, (1, 1, 32), (2,), dtype=torch.float64)
    >>> list(t.measured)
    ['y(0)', 'y(1) - y(0)', 'y(noise) - y(0)']
    """
    return measure_forward(
        model, shape, period, None, batch=batch, seed=seed, device=device, dtype=dtype
    )


def measure_forward(
    model: nn.Module,
    shape: Sequence[int],
    period: Sequence[int],
    y0: torch.Tensor | None,
    *,
    batch: int = 4,
    seed: int = 0,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> pd.DataFrame:
    """:func:`forward_scores`, with ``y0`` the model's output at zeros when the caller already
    has it (the audit's trace ran the model on zeros in eval mode, without gradient)."""
    shape, period, batch, seed, device = _check_run(
        model, shape, period, batch, seed, device, dtype
    )
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if y0 is None:
            y0 = _as_tensor(model(torch.zeros(shape, dtype=dtype, device=device)), "output")
        y1 = _as_tensor(model(torch.ones(shape, dtype=dtype, device=device)), "output")
        noise = torch.randn((batch, *shape[1:]), generator=gen, dtype=dtype).to(device)
        yn = _as_tensor(model(noise), "output")
    spec = [
        ("zero", "y(0)", y0, False),
        ("constant", "y(1) - y(0)", y1 - y0, False),
        ("noise", "y(noise) - y(0)", yn - y0[:1], True),
    ]
    used = fit_period(period, y0.shape[2:])
    if used is None:
        return _frame([empty_row(i, m, period) for i, m, _, _ in spec])
    return _frame([score_row(i, m, y, used, r) for i, m, y, r in spec])


def _noise(gen, batch: int, shape, device, dtype) -> list[torch.Tensor]:
    """The legacy items first, from one draw (as earlier versions drew them), then the rest."""
    first = torch.randn((min(batch, LEGACY_BATCH), *shape[1:]), generator=gen, dtype=dtype)
    parts = [first.to(device)]
    if batch > LEGACY_BATCH:
        rest = torch.randn((batch - LEGACY_BATCH, *shape[1:]), generator=gen, dtype=dtype)
        parts.append(rest.to(device))
    return parts


def forward_maps(
    model: nn.Module,
    shape: Sequence[int],
    y0: torch.Tensor | None,
    *,
    batch: int = LEGACY_BATCH,
    seed: int = 0,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[MeasuredMap]:
    """The output's fixed pattern ``y(0)``, constant response ``y(1) - y(0)`` and noise
    response ``y(noise) - y(0)`` as maps (``batch`` noise items; the first four are the
    ones :func:`forward_scores` scores).

    Examples
    --------
    >>> m = nn.ConvTranspose1d(1, 1, 3, 2)
    >>> [(v.measured, tuple(v.values.shape)) for v in forward_maps(m, (1, 1, 8), None)]
    [('y(0)', (1, 1, 17)), ('y(1) - y(0)', (1, 1, 17)), ('y(noise) - y(0)', (4, 1, 17))]
    """
    shape, _, batch, seed, device = _check_run(model, shape, 1, batch, seed, device, dtype)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        if y0 is None:
            y0 = _as_tensor(model(torch.zeros(shape, dtype=dtype, device=device)), "output")
        y1 = _as_tensor(model(torch.ones(shape, dtype=dtype, device=device)), "output")
        yn = [_as_tensor(model(x), "output") for x in _noise(gen, batch, shape, device, dtype)]
    noise = torch.cat([y - y0[:1] for y in yn]) if len(yn) > 1 else yn[0] - y0[:1]
    return [
        MeasuredMap("zero", "y(0)", y0, False),
        MeasuredMap("constant", "y(1) - y(0)", y1 - y0, False),
        MeasuredMap("noise", "y(noise) - y(0)", noise, True, LEGACY_BATCH),
    ]


def scores_frame(maps: Sequence[MeasuredMap], period: Sequence[int]) -> pd.DataFrame:
    """The :data:`COLUMNS` rows of measured maps at ``period`` (cut by :func:`fit_period`
    where it does not fit twice): one row per map, its legacy items only.

    Examples
    --------
    >>> m = nn.ConvTranspose1d(1, 1, 3, 2)
    >>> scores_frame(forward_maps(m, (1, 1, 32), None), (2,)).measured.tolist()
    ['y(0)', 'y(1) - y(0)', 'y(noise) - y(0)']
    """
    maps = check_items("maps", maps, MeasuredMap, hint="forward_maps or backward_maps give them")
    if not maps:
        return _frame([])
    period = per_axis("period", period, maps[0].values.ndim - 2, minimum=1)
    used = fit_period(period, maps[0].values.shape[2:])
    rows = []
    for m in maps:
        values = m.values if m.legacy is None else m.values[: m.legacy]
        if used is None:
            rows.append(empty_row(m.input, m.measured, period))
        else:
            rows.append(score_row(m.input, m.measured, values, used, m.random))
    return _frame(rows)


def input_gradient(
    model: nn.Module, x: torch.Tensor, *, projection: str | torch.Tensor = "sum", seed: int = 0
) -> torch.Tensor:
    """Gradient of a scalar of the model's output with respect to its input ``x``.

    Parameters
    ----------
    model : torch.nn.Module
        Used as it is (call ``model.eval()`` first for inference behaviour).
    x : torch.Tensor
        ``(N, C, *spatial)``; not modified.
    projection : {"sum", "random"} or torch.Tensor
        ``"sum"``: the gradient of ``sum(y)`` (a constant upstream gradient, which shows the
        adjoint's phase pattern); ``"random"``: of ``<r, y>`` with a fixed standard normal
        ``r`` (seeded, the same for every item of the batch); a tensor ``u`` of the
        output's shape: of ``<u, y>`` (one-hot labels give the saliency of the true class).

    Returns
    -------
    torch.Tensor, the shape of ``x``

    Examples
    --------
    >>> conv = nn.Conv1d(1, 1, 3, stride=2, bias=False)
    >>> with torch.no_grad():
    ...     _ = conv.weight.fill_(1.0)
    >>> input_gradient(conv, torch.zeros(1, 1, 9))[0, 0].tolist()
    [1.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 1.0]
    """
    check_module("model", model)
    check_tensor("x", x, min_ndim=3, shape="(N, C, *spatial)")
    if not isinstance(projection, (str, torch.Tensor)) or (
        isinstance(projection, str) and projection not in PROJECTIONS
    ):
        raise ValueError(f"projection must be 'sum', 'random' or a tensor, got {projection!r}")
    seed = check_int("seed", seed, minimum=0)
    leaf = x.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        y = _as_tensor(model(leaf), "input gradient")
        if isinstance(projection, torch.Tensor):
            if projection.shape != y.shape:
                raise ValueError(
                    f"projection must have the output's shape {tuple(y.shape)}, got "
                    f"{tuple(projection.shape)}"
                )
            scalar = (y * projection.to(y.device, y.dtype)).sum()
        elif projection == "sum":
            scalar = y.sum()
        else:
            gen = torch.Generator().manual_seed(seed)
            r = torch.randn(tuple(y.shape[1:]), generator=gen, dtype=torch.float64)
            scalar = (y * r.to(y.device, y.dtype)).sum()
        (grad,) = torch.autograd.grad(scalar, leaf)
    return grad.detach()


def _images(shape: tuple[int, ...], dtype, device) -> torch.Tensor:
    from ..core.images import load_images

    imgs = load_images(IMAGE_NAMES, size=shape[2:])  # (B, 1, H, W) in [0, 1]
    mean = imgs.mean(dim=(2, 3), keepdim=True)
    std = imgs.std(dim=(2, 3), keepdim=True).clamp_min(1e-6)
    imgs = ((imgs - mean) / std).expand(-1, shape[1], -1, -1)
    return imgs.to(device=device, dtype=dtype).contiguous()


def backward_scores(
    model: nn.Module,
    shape: Sequence[int],
    period: Sequence[int],
    *,
    batch: int = 4,
    seed: int = 0,
    projection: str = "sum",
    images: bool = True,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> pd.DataFrame:
    """The input gradient at white noise (and at real images, 2-D inputs), scored at ``period``.

    ``images`` uses scikit-image's camera, brick, grass and gravel pictures, resized to the
    input's spatial shape, standardised per picture, copied to every channel.

    Examples
    --------
    >>> conv = nn.Conv2d(1, 1, 3, stride=2)
    >>> t = backward_scores(conv, (1, 1, 32, 32), (2, 2), images=False)
    >>> list(t.input), bool(t.harmonic_fraction[0] > t.chance[0])
    (['noise'], True)
    """
    shape, period, batch, seed, device = _check_run(
        model, shape, period, batch, seed, device, dtype
    )
    check_choice("projection", projection, PROJECTIONS)
    images = check_bool("images", images)
    label = GRADIENT_LABELS[projection]
    gen = torch.Generator().manual_seed(seed)
    inputs = [("noise", torch.randn((batch, *shape[1:]), generator=gen).to(device, dtype))]
    if images and len(shape) == 4:
        inputs.append(("images", _images(shape, dtype, device)))
    used = fit_period(period, shape[2:])
    rows = []
    for kind, x in inputs:
        if used is None:
            rows.append(empty_row(kind, label, period))
            continue
        g = input_gradient(model, x, projection=projection, seed=seed)
        rows.append(score_row(kind, label, g, used, True))
    return _frame(rows)


def backward_maps(
    model: nn.Module,
    shape: Sequence[int],
    *,
    batch: int = LEGACY_BATCH,
    seed: int = 0,
    projection: str = "sum",
    images: bool = True,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[MeasuredMap]:
    """The input gradient at ``batch`` white-noise inputs (the first four are those
    :func:`backward_scores` scores) and, for 2-D inputs, at the real images, as maps.

    Examples
    --------
    >>> conv = nn.Conv1d(1, 1, 3, stride=2)
    >>> [(v.input, tuple(v.values.shape)) for v in backward_maps(conv, (1, 1, 16), batch=8)]
    [('noise', (8, 1, 16))]
    """
    shape, _, batch, seed, device = _check_run(model, shape, 1, batch, seed, device, dtype)
    check_choice("projection", projection, PROJECTIONS)
    images = check_bool("images", images)
    label = GRADIENT_LABELS[projection]
    gen = torch.Generator().manual_seed(seed)
    # backward_scores draws float32 noise and converts it: the same draws here
    first = torch.randn((min(batch, LEGACY_BATCH), *shape[1:]), generator=gen).to(device, dtype)
    parts = [first]
    if batch > LEGACY_BATCH:
        rest = torch.randn((batch - LEGACY_BATCH, *shape[1:]), generator=gen).to(device, dtype)
        parts.append(rest)
    grads = [input_gradient(model, x, projection=projection, seed=seed) for x in parts]
    out = [MeasuredMap("noise", label, torch.cat(grads), True, LEGACY_BATCH)]
    if images and len(shape) == 4:
        g = input_gradient(model, _images(shape, dtype, device), projection=projection, seed=seed)
        out.append(MeasuredMap("images", label, g, True))
    return out
