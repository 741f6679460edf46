"""What learning does to artifacts: train small upsamplers on real images, track the scores.

Each variant is a small super-resolution network ``conv3 -> ReLU -> upsampler -> ReLU ->
conv3`` (or a small convolutional autoencoder whose decoder uses the upsampler twice),
trained with Adam on random patches of scikit-image's bundled pictures. At chosen steps the
run records PSNR and SSIM on held-out pictures (scikit-image metrics), the closed-form
scores of the upsampler's learned effective kernel, and the harmonic fraction and peak dB
measured on the outputs. Deterministic for a seed: training runs with
``torch.use_deterministic_algorithms(True)`` (restored afterwards) and, on CUDA, the cuBLAS
workspace setting that deterministic matrix products need.

The prevention study (penalty, constrained layer) lives in :mod:`.prevention` and trains
its runs through :func:`train_run`.

Checkpoints (``checkpoint=``) hold each finished run in the package's verified store
(:mod:`artifact_lab._util.store`): a damaged, truncated or misplaced file is recomputed and
replaced with a warning that names it, temporary files left by a killed run are removed, and
a folder that cannot be written is refused before any training.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .._util.checks import (
    MAX_ELEMENTS,
    as_names,
    check_bool,
    check_choice,
    check_elements,
    check_float,
    check_instance,
    check_int,
    check_seeds,
    check_str,
    check_tensor,
    check_values,
)
from .._util.store import VerifiedStore
from ..backend import select_device
from ..core.images import IMAGES, load_image
from ..core.spectral import harmonic_fraction, peak_db
from ..layers.upsamplers import Upsampler, make_upsampler, recipes
from ..prevent.losses import checkerboard_penalty, find_layers
from ..prevent.monitor import monitor

__all__ = [
    "BUDGETS",
    "COLUMNS",
    "HELD_OUT",
    "TRAIN_IMAGES",
    "VARIANTS",
    "Budget",
    "RunResult",
    "RunSpec",
    "check_budget",
    "check_images",
    "constrained_variants",
    "downsample",
    "held_out_quality",
    "pictures",
    "run_spec",
    "summarize",
    "train_run",
    "train_upsamplers",
    "trained_model",
    "variants",
]

TRAIN_IMAGES = ("camera", "astronaut", "brick", "grass", "gravel", "coffee", "rocket", "cell")
HELD_OUT = ("coins", "moon", "clock", "page")


def variants(factor: int = 2) -> tuple[str, ...]:
    """The upsampler variants trained by default (names of :func:`make_upsampler`).

    Examples
    --------
    >>> variants(2)[:2]
    ('transposed k=3', 'transposed k=4')
    """
    s = check_int("factor", factor, minimum=2)
    return (
        f"transposed k={2 * s - 1}",
        f"transposed k={2 * s}",
        f"transposed k={2 * s - s % 2} bilinear init",
        f"transposed k={s} hold init",
        "resize-conv nearest",
        "resize-conv bilinear",
        "sub-pixel",
        "sub-pixel ICNR",
    )


VARIANTS = variants(2)

COLUMNS = {
    "task": "sr (super-resolution) or autoencoder",
    "variant": "upsampler variant",
    "factor": "upsampling factor of the upsampler",
    "seed": "seed of the initialisation and of the patch sampling",
    "step": "optimiser steps taken",
    "loss": "MSE on a fixed training batch",
    "psnr": "mean PSNR (dB) on the held-out pictures",
    "ssim": "mean SSIM on the held-out pictures",
    "checkerboard_score": "closed form of the upsampler's effective kernel (all channels)",
    "noise_checkerboard": "closed form, uneven output variance on white noise",
    "harmonic_fraction": "measured on the held-out outputs, interior crop, DC removed",
    "peak_db": "measured peak-to-neighbourhood ratio at the stride harmonics of the outputs",
    "seconds": "wall time of the run so far",
}


TRAIN_SIZE = 256  # side of the training pictures the patches are cut from


@dataclass(frozen=True)
class Budget:
    """How long to train: steps, evaluation points, batch, patch size, channels, rate.

    Parameters
    ----------
    steps : int
        Optimiser steps, at least 1.
    evals : int
        Evaluations after the one at step 0, between 1 and ``steps``.
    batch : int
        Patches per step, at least 1.
    patch : int
        Side of the high-resolution training patches, at least 8 and at most the
        256-pixel training pictures; a multiple of the factor (checked per task).
    channels : int
        Feature channels of the small models, at least 1.
    lr : float
        Adam's learning rate, finite and > 0.
    eval_size : int
        Side of the held-out pictures, large enough for a border margin and SSIM's window
        (checked per task).

    Raises
    ------
    TypeError, ValueError
        At construction, naming the field, the value and the rule.

    Examples
    --------
    >>> Budget(steps=10, evals=2, batch=4, patch=16, channels=4, lr=1e-3, eval_size=32).steps
    10
    """

    steps: int
    evals: int
    batch: int
    patch: int
    channels: int
    lr: float
    eval_size: int

    def __post_init__(self) -> None:
        steps = check_int("Budget.steps", self.steps, minimum=1)
        evals = check_int("Budget.evals", self.evals, minimum=1)
        if evals > steps:
            raise ValueError(f"Budget.evals must be at most Budget.steps={steps}, got {evals}")
        check_int("Budget.batch", self.batch, minimum=1)
        patch = check_int("Budget.patch", self.patch, minimum=8)
        if patch > TRAIN_SIZE:
            raise ValueError(
                f"Budget.patch must be at most {TRAIN_SIZE}, the side of the training "
                f"pictures, got {patch}"
            )
        check_int("Budget.channels", self.channels, minimum=1)
        check_float("Budget.lr", self.lr, positive=True)
        check_int("Budget.eval_size", self.eval_size, minimum=8)


BUDGETS = {
    # well under a minute for all variants: the tests and the quick report
    "tiny": Budget(steps=40, evals=2, batch=8, patch=32, channels=8, lr=3e-3, eval_size=64),
    # a few minutes on 2 CPU cores for 8 variants x 2 seeds
    "default": Budget(steps=400, evals=8, batch=16, patch=48, channels=16, lr=2e-3, eval_size=128),
    # the prevention study (notebook 8): 8 methods x 2 factors x 3 seeds in about a minute
    "prevention": Budget(steps=80, evals=2, batch=8, patch=32, channels=8, lr=3e-3, eval_size=64),
}


class _SR(nn.Module):
    def __init__(self, up: Upsampler, channels: int) -> None:
        super().__init__()
        conv = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[up.ndim]
        self.head = conv(1, channels, 3, padding=1, padding_mode="replicate")
        self.up = up
        self.tail = conv(channels, 1, 3, padding=1, padding_mode="replicate")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(F.relu(self.up(F.relu(self.head(x)))))


class _AutoEncoder(nn.Module):
    """Two stride-2 convolutions down, the upsampler (factor 2) twice up."""

    def __init__(self, make_up, channels: int) -> None:
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, channels, 4, 2, 1),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 4, 2, 1),
            nn.ReLU(),
        )
        self.up = make_up(1)
        self.up2 = make_up(2)
        self.tail = nn.Conv2d(channels, 1, 3, padding=1, padding_mode="replicate")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.tail(F.relu(self.up2(F.relu(self.up(self.enc(x))))))


def pictures(names: Sequence[str] | str, size: int) -> torch.Tensor:
    """Bundled pictures as one float32 tensor ``(len(names), size, size)`` in [0, 1].

    Loaded once per process (runs only read it: do not write into the result).

    Examples
    --------
    >>> tuple(pictures(("coins", "moon"), 32).shape)
    (2, 32, 32)
    """
    names = as_names("names", names, allowed=IMAGES)
    size = check_int("size", size, minimum=8)
    check_elements("size", (len(names), size, size), MAX_ELEMENTS, "ask for smaller pictures")
    return _pictures(names, size)


@functools.lru_cache(maxsize=8)
def _pictures(names: tuple[str, ...], size: int) -> torch.Tensor:
    return torch.stack([load_image(n, size) for n in names]).float()


def downsample(hr: torch.Tensor, factor: int) -> torch.Tensor:
    """Area downsampling of ``(N, C, H, W)`` by ``factor``: the studies' low-resolution input.

    Examples
    --------
    >>> downsample(torch.arange(16.0).reshape(1, 1, 4, 4), 2).flatten().tolist()
    [2.5, 4.5, 10.5, 12.5]
    """
    check_tensor("hr", hr, min_ndim=4, shape="(N, C, H, W)")
    factor = check_int("factor", factor, minimum=1)
    if min(hr.shape[-2:]) < factor:
        raise ValueError(f"hr of shape {tuple(hr.shape)} is smaller than factor={factor}")
    return F.avg_pool2d(hr, factor)


def _patches(images: torch.Tensor, n: int, size: int, gen: torch.Generator) -> torch.Tensor:
    k, h, w = images.shape
    idx = torch.randint(0, k, (n,), generator=gen)
    ys = torch.randint(0, h - size + 1, (n,), generator=gen)
    xs = torch.randint(0, w - size + 1, (n,), generator=gen)
    flips = torch.rand(n, generator=gen) < 0.5
    out = torch.stack(
        [
            images[i, y : y + size, x : x + size]
            for i, y, x in zip(idx.tolist(), ys.tolist(), xs.tolist(), strict=True)
        ]
    )
    out[flips] = out[flips].flip(-1)
    return out[:, None]


@dataclass(frozen=True)
class RunSpec:
    """Everything that decides one training run (and names its checkpoint).

    Build it with :func:`run_spec`, which checks the seed; ``penalty`` and
    ``penalty_channels`` add ``penalty * checkerboard_penalty(model, channels=...)`` to the
    loss (:func:`dataclasses.replace` a spec to set them).
    """

    task: str
    variant: str
    factor: int
    seed: int
    budget: Budget
    train_images: tuple[str, ...]
    held_out: tuple[str, ...]
    penalty: float = 0.0  # weight of losses.checkerboard_penalty in the training loss
    penalty_channels: str = "pairs"  # its channels= option

    def key(self) -> str:
        """A stable 20-hex-digit digest of the spec: the run's checkpoint name."""
        spec = asdict(self)
        if not spec["penalty"]:  # runs without a penalty keep their checkpoint names
            del spec["penalty"], spec["penalty_channels"]
        spec["version"] = 1
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]


def _evaluate(
    model, up: Upsampler, run: RunSpec, hr_eval: torch.Tensor, fixed_lr, fixed_hr, dev
) -> dict[str, float]:
    model.eval()
    with torch.no_grad():
        loss = F.mse_loss(model(fixed_lr), fixed_hr).item()
        inp = hr_eval if run.task == "autoencoder" else downsample(hr_eval, run.factor)
        out = model(inp.to(dev)).double().cpu()
    model.train()
    scale = run.factor if run.task == "sr" else 4
    quality = held_out_quality(out, hr_eval, scale)
    scores = up.scores()
    return {
        "loss": loss,
        "psnr": quality["psnr"],
        "ssim": quality["ssim"],
        "checkerboard_score": scores.checkerboard_score,
        "noise_checkerboard": scores.noise_checkerboard,
        "harmonic_fraction": quality["harmonic_fraction"],
        "peak_db": quality["peak_db"],
    }


def held_out_quality(
    out: torch.Tensor, hr_eval: torch.Tensor, scale: int, *, metrics: bool = True
) -> dict[str, float]:
    """PSNR, SSIM, harmonic fraction and peak dB of outputs against the pictures.

    Parameters
    ----------
    out, hr_eval : Tensor
        Outputs and pictures, ``(N, 1, H, W)``, values in [0, 1] (outputs are clipped to it
        for PSNR and SSIM, not for the spectral measures).
    scale : int
        The period looked for: a centre crop of whole periods, two periods dropped per side.
    metrics : bool
        False skips PSNR and SSIM (NaN): for measuring the pictures themselves.

    Returns
    -------
    dict
        ``psnr`` (dB) and ``ssim`` (means over the pictures), ``harmonic_fraction`` (DC
        removed, mean) and ``peak_db``.

    Examples
    --------
    >>> hr = pictures(("coins",), 64)[:, None]
    >>> q = held_out_quality(hr, hr, 2, metrics=False)
    >>> bool(0 < q["harmonic_fraction"] < 0.01), q["psnr"] != q["psnr"]
    (True, True)
    """
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    for name, value in (("out", out), ("hr_eval", hr_eval)):
        check_values(name, check_tensor(name, value, shape="(N, 1, H, W)"))
        if value.ndim != 4 or value.shape[1] != 1:
            raise ValueError(f"{name} must have shape (N, 1, H, W), got {tuple(value.shape)}")
    if out.shape != hr_eval.shape:
        raise ValueError(
            f"out {tuple(out.shape)} and hr_eval {tuple(hr_eval.shape)} differ in shape"
        )
    scale = check_int("scale", scale, minimum=1)
    metrics = check_bool("metrics", metrics)
    # a crop of two periods per side and, for SSIM, its 7-pixel window must fit
    if min(out.shape[-2:]) < 4 * scale + (7 if metrics else scale):
        raise ValueError(
            f"out of {tuple(out.shape[-2:])} pixels is too small for scale={scale}: at least "
            f"{4 * scale + (7 if metrics else scale)} per side"
        )
    m = 2 * scale
    crop = out.double().cpu()[:, 0, m:-m, m:-m]
    ref = hr_eval[:, 0, m:-m, m:-m].double()
    length = (crop.shape[-1] // scale) * scale
    crop, ref = crop[..., :length, :length], ref[..., :length, :length]
    clipped = crop.clamp(0, 1).numpy()
    pairs = list(zip(ref.numpy(), clipped, strict=True)) if metrics else []
    return {
        "psnr": float(np.mean([peak_signal_noise_ratio(r, c, data_range=1.0) for r, c in pairs]))
        if metrics
        else float("nan"),
        "ssim": float(np.mean([structural_similarity(r, c, data_range=1.0) for r, c in pairs]))
        if metrics
        else float("nan"),
        "harmonic_fraction": float(
            np.mean(harmonic_fraction(crop.numpy(), (scale, scale), remove_dc=True))
        ),
        "peak_db": peak_db(crop.numpy(), (scale, scale)),
    }


@contextlib.contextmanager
def _deterministic(dev: torch.device) -> Iterator[None]:
    """Deterministic algorithms while training; the caller's settings restored afterwards.

    On CUDA, cuBLAS needs ``CUBLAS_WORKSPACE_CONFIG`` for deterministic matrix products;
    it is set (if unset) before the first product, and ops without a deterministic CUDA
    kernel warn rather than fail (bilinear interpolation has a deterministic path in
    :class:`~artifact_lab.layers.upsamplers.ResizeConv`). cuDNN's benchmark mode, which picks
    algorithms by timing, is off while training.
    """
    if dev.type == "cuda":
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    was = torch.are_deterministic_algorithms_enabled()
    was_warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    benchmark = torch.backends.cudnn.benchmark
    torch.use_deterministic_algorithms(True, warn_only=dev.type != "cpu")
    torch.backends.cudnn.benchmark = False
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(was, warn_only=was_warn_only)
        torch.backends.cudnn.benchmark = benchmark


@dataclass(frozen=True)
class RunResult:
    """One finished training run.

    Attributes
    ----------
    frame : DataFrame
        One row per evaluation point, columns :data:`COLUMNS`.
    scores : DataFrame or None
        The monitor's records (``scores_every`` given): the run's ``task``, ``variant``,
        ``factor``, ``seed``, then :func:`artifact_lab.prevent.monitor.monitor`'s columns and
        ``microseconds_per_layer``; None without a monitor.
    model : Module or None
        The trained model in eval mode (``keep_model=True``), else None.
    """

    frame: pd.DataFrame
    scores: pd.DataFrame | None = None
    model: nn.Module | None = field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()


def train_run(
    run: RunSpec,
    *,
    device: str | torch.device | None = None,
    keep_model: bool = False,
    scores_every: int | None = None,
    bar=None,
) -> RunResult:
    """Train the model one :class:`RunSpec` describes, deterministically, and evaluate it.

    Parameters
    ----------
    run : RunSpec
        From :func:`run_spec` (arguments checked there).
    device : optional
        Where to train (:func:`artifact_lab.backend.select_device`'s choice by default).
    keep_model : bool
        Keep the trained model in the result.
    scores_every : int, optional
        Record the upsampler's closed-form scores with the monitor every this many steps.
    bar : tqdm, optional
        A progress bar to advance by one per optimiser step.

    Returns
    -------
    RunResult

    Examples
    --------
    >>> tiny = Budget(steps=2, evals=1, batch=2, patch=16, channels=2, lr=1e-3, eval_size=32)
    >>> spec = run_spec("sr", "sub-pixel", 2, 0, tiny, ("camera",), ("coins",))
    >>> r = train_run(spec, keep_model=True)
    >>> r.frame.step.tolist(), r.scores is None, r.model is not None
    ([0, 2], True, True)
    """
    check_instance("run", run, RunSpec, hint="run_spec() builds one")
    keep_model = check_bool("keep_model", keep_model)
    if scores_every is not None:
        scores_every = check_int("scores_every", scores_every, minimum=1)
    return _train_one(run, select_device(device), bar, keep_model, scores_every)


def _train_one(
    run: RunSpec,
    dev: torch.device,
    bar,
    keep_model: bool = False,
    scores_every: int | None = None,
) -> RunResult:
    with _deterministic(dev):
        return _train_one_deterministic(run, dev, bar, keep_model, scores_every)


def _train_one_deterministic(
    run: RunSpec, dev: torch.device, bar, keep_model: bool, scores_every: int | None
) -> RunResult:
    b = run.budget
    train = pictures(run.train_images, TRAIN_SIZE)
    hr_eval = pictures(run.held_out, b.eval_size)[:, None]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(run.seed)
        if run.task == "sr":
            up = _make_upsampler(run.variant, run.factor, b.channels, seed=run.seed)
            model = _SR(up, b.channels)
        else:
            model = _AutoEncoder(
                lambda i: _make_upsampler(run.variant, 2, b.channels, seed=run.seed + 1000 * i),
                b.channels,
            )
            up = model.up2
    model = model.to(dev).float()
    gen = torch.Generator().manual_seed(run.seed)
    size = b.patch
    fixed_hr = _patches(train, b.batch, size, torch.Generator().manual_seed(10**6 + run.seed))
    to_input = (
        (lambda hr: hr) if run.task == "autoencoder" else (lambda hr: downsample(hr, run.factor))
    )
    fixed_lr, fixed_hr = to_input(fixed_hr).to(dev), fixed_hr.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=b.lr)
    points = sorted({round(i * b.steps / b.evals) for i in range(b.evals + 1)})
    # found once: the penalty and the monitor read the live weights, no forward pass
    penalized = find_layers(model) if run.penalty else ()
    mon = monitor(model, every=scores_every) if scores_every else None
    rows = []
    start = time.perf_counter()
    for step in range(b.steps + 1):
        if mon is not None:
            mon(step)
        if step in points:
            rows.append(
                {
                    "task": run.task,
                    "variant": run.variant,
                    "factor": run.factor,
                    "seed": run.seed,
                    "step": step,
                    **_evaluate(model, up, run, hr_eval, fixed_lr, fixed_hr, dev),
                    "seconds": time.perf_counter() - start,
                }
            )
        if step == b.steps:
            break
        hr = _patches(train, b.batch, size, gen).to(dev)
        loss = F.mse_loss(model(to_input(hr)), hr)
        if penalized:
            loss = loss + run.penalty * checkerboard_penalty(
                penalized, channels=run.penalty_channels
            )
        opt.zero_grad()
        loss.backward()
        opt.step()
        if bar is not None:
            bar.update(1)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    scores = None
    if mon is not None:
        scores = mon.to_frame()
        head = {"task": run.task, "variant": run.variant, "factor": run.factor, "seed": run.seed}
        for i, (col, value) in enumerate(head.items()):
            scores.insert(i, col, value)
        scores["microseconds_per_layer"] = mon.microseconds_per_layer
    return RunResult(frame, scores, model.eval() if keep_model else None)


def trained_model(
    variant: str,
    *,
    task: str = "sr",
    factor: int = 2,
    budget: str | Budget = "tiny",
    seed: int = 0,
    train_images: Sequence[str] = TRAIN_IMAGES,
    held_out: Sequence[str] = HELD_OUT,
    device: str | torch.device | None = None,
) -> nn.Module:
    """Train one variant exactly as :func:`train_upsamplers` does and return the model.

    Deterministic for a seed, so the model is the one whose scores the table holds.
    Arguments as in :func:`train_upsamplers` (``variant`` is one name, ``seed`` one int).
    """
    if not isinstance(variant, str):
        raise TypeError(f"variant must be one name (a str), got {type(variant).__name__}")
    seed = check_int("seed", seed, minimum=0)
    task, factor, budget, _, _, train_images, held_out = _check_study(
        task, factor, budget, variant, (seed,), train_images, held_out
    )
    run = run_spec(task, variant, factor, seed, budget, train_images, held_out)
    return _train_one(run, select_device(device), None, keep_model=True).model


def run_spec(
    task: str,
    variant: str,
    factor: int,
    seed: int,
    budget: Budget,
    train_images: tuple[str, ...],
    held_out: tuple[str, ...],
) -> RunSpec:
    """The :class:`RunSpec` of one run (the autoencoder's upsampler always works at factor 2,
    twice), every argument checked: ``budget`` a :class:`Budget` (:func:`check_budget` turns a
    name into one), the pictures as in :func:`check_images`.

    Examples
    --------
    >>> run_spec("sr", "sub-pixel", 2, 0, BUDGETS["tiny"], ("camera",), ("coins",)).factor
    2
    """
    task = check_choice("task", task, ("sr", "autoencoder"))
    check_str("variant", variant, empty_ok=False)
    factor = check_int("factor", factor, minimum=2)
    check_instance("budget", budget, Budget, hint="check_budget() turns a name into one")
    train_images, held_out = check_images(train_images, held_out)
    return RunSpec(
        task,
        variant,
        factor if task == "sr" else 2,
        check_int("seed", seed, minimum=0),
        budget,
        train_images,
        held_out,
    )


def check_budget(budget: str | Budget, task: str, factor: int) -> Budget:
    """A :data:`BUDGETS` name or a :class:`Budget`, checked against the task and factor.

    Raises ValueError naming the field when the patch or the evaluation size is not a
    multiple of the factor, or the evaluation pictures are too small for the crop and SSIM.

    Examples
    --------
    >>> check_budget("tiny", "sr", 2).steps
    40
    """
    task = check_choice("task", task, ("sr", "autoencoder"))
    factor = check_int("factor", factor, minimum=1)
    if isinstance(budget, str):
        if budget not in BUDGETS:
            raise ValueError(f"budget must be one of {sorted(BUDGETS)} or a Budget, got {budget!r}")
        budget = BUDGETS[budget]
    if not isinstance(budget, Budget):
        raise TypeError(f"budget must be a name or a Budget, got {type(budget).__name__}")
    scale = factor if task == "sr" else 4
    for name in ("patch", "eval_size"):
        value = getattr(budget, name)
        if value % scale:
            raise ValueError(
                f"Budget.{name}={value} must be a multiple of the factor ({scale} for task "
                f"{task!r})"
            )
    # the evaluation crops a margin of 2*scale per side and SSIM needs a 7-pixel window
    smallest = 4 * scale + 7
    if budget.eval_size < smallest:
        raise ValueError(
            f"Budget.eval_size={budget.eval_size} is too small for task {task!r} at factor "
            f"{scale}: at least {smallest} (a border margin of {2 * scale} per side and "
            "SSIM's 7-pixel window)"
        )
    return budget


def check_images(
    train_images: Sequence[str] | str, held_out: Sequence[str] | str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The picture names as tuples (one string is one picture), known and disjoint.

    Examples
    --------
    >>> check_images("camera", ("coins", "moon"))
    (('camera',), ('coins', 'moon'))
    """
    train_images = as_names("train_images", train_images, allowed=IMAGES)
    held_out = as_names("held_out", held_out, allowed=IMAGES)
    if set(train_images) & set(held_out):
        raise ValueError("train_images and held_out must be disjoint")
    return train_images, held_out


def _check_study(task, factor, budget, variant_names, seeds, train_images, held_out):
    """Every argument of a study checked before any work; returns them normalised."""
    task = check_choice("task", task, ("sr", "autoencoder"))
    factor = check_int("factor", factor, minimum=2)
    if task == "autoencoder" and factor != 2:
        raise ValueError(f"the autoencoder upsamples by 2 twice; factor must be 2, got {factor}")
    budget = check_budget(budget, task, factor)
    if variant_names is None:
        names = variants(factor)
    else:  # one string is one variant, not a sequence of letters
        names = as_names("variant_names", variant_names)
    known = set(recipes(factor)) | set(constrained_variants(factor))
    for name in names:
        if name not in known:
            raise ValueError(
                f"variant_names: variant {name!r} unknown at factor {factor}; choose from "
                f"{sorted(known)}"
            )
    seeds = check_seeds("seeds", seeds)
    train_images, held_out = check_images(train_images, held_out)
    return task, factor, budget, names, seeds, train_images, held_out


def train_upsamplers(
    variant_names: Sequence[str] | None = None,
    *,
    task: str = "sr",
    factor: int = 2,
    budget: str | Budget = "tiny",
    seeds: Sequence[int] = (0,),
    train_images: Sequence[str] = TRAIN_IMAGES,
    held_out: Sequence[str] = HELD_OUT,
    device: str | torch.device | None = None,
    checkpoint: str | Path | None = None,
    progress: bool = True,
) -> pd.DataFrame:
    """Train one small model per upsampler variant and seed; return the tracked scores.

    Parameters
    ----------
    variant_names : sequence of str, optional
        Upsampler names (default :func:`variants` for the factor: transposed k=2s-1 and k=2s
        with default init, k=2s bilinear and k=s hold initialisations, resize-conv nearest and
        bilinear, sub-pixel with and without ICNR). One string is one variant.
    task : {"sr", "autoencoder"}
        ``sr``: map an area-downsampled patch back to the original (factor 2 or 4).
        ``autoencoder``: reconstruct patches through two stride-2 convs and the upsampler
        twice (factor 2 each).
    budget : {"tiny", "default"} or Budget
        ``tiny`` runs in well under a minute for every variant on a laptop CPU; ``default``
        in a few minutes on 2 cores.
    seeds : int or sequence of int
    train_images, held_out : str or sequence of str
        scikit-image pictures for training patches and for evaluation (disjoint).
    checkpoint : path, optional
        Folder where each finished (variant, seed) run is stored (Parquet, atomically, with
        its key and a checksum of its rows); a rerun skips what is there, so an interrupted
        study resumes. A damaged or misplaced file is recomputed and replaced with a
        warning naming it; temporary files left by a killed run are removed.

    Raises
    ------
    TypeError, ValueError
        Any bad argument, naming it, before any training.

    Returns
    -------
    pandas.DataFrame
        One row per variant x seed x evaluation step; columns :data:`COLUMNS`.
    """
    task, factor, budget, names, seeds, train_images, held_out = _check_study(
        task, factor, budget, variant_names, seeds, train_images, held_out
    )
    progress = check_bool("progress", progress)
    dev = select_device(device)
    runs = [
        run_spec(task, v, factor, s, budget, train_images, held_out) for s in seeds for v in names
    ]
    store = None
    if checkpoint is not None:  # checked before any training, so no run is lost at the end
        store = VerifiedStore(checkpoint, prefix="run", what="checkpoint", name="checkpoint")
    frames = []
    bar = tqdm(total=len(runs) * budget.steps, disable=not progress, desc="training", unit="step")
    try:
        for run in runs:
            frame = None if store is None else store.read(run.key(), list(COLUMNS))
            if frame is not None:
                frames.append(frame)
                bar.update(budget.steps)
                continue
            bar.set_postfix_str(f"{run.variant}, seed {run.seed}")
            frame = _train_one(run, dev, bar).frame
            if store is not None:
                store.write(run.key(), frame)
            frames.append(frame)
    finally:
        bar.close()
    return pd.concat(frames, ignore_index=True)


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """First and last evaluation per variant (mean over seeds): quality and artifact scores."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be train_upsamplers' DataFrame, got {type(frame).__name__}")
    missing = sorted(set(COLUMNS) - set(frame.columns))
    if missing:
        raise ValueError(f"frame must be train_upsamplers' output: missing columns {missing}")
    if frame.empty:
        raise ValueError("frame must not be empty")
    keys = ["task", "variant"]
    first = frame[frame.step == frame.step.min()].groupby(keys).mean(numeric_only=True)
    last = frame[frame.step == frame.step.max()].groupby(keys).mean(numeric_only=True)
    out = pd.DataFrame(
        {
            "score at init": first.checkerboard_score,
            "score trained": last.checkerboard_score,
            "harmonic fraction trained": last.harmonic_fraction,
            "peak dB trained": last.peak_db,
            "PSNR trained": last.psnr,
            "SSIM trained": last.ssim,
            "loss init": first.loss,
            "loss trained": last.loss,
        }
    )
    return out.sort_values("score trained", ascending=False)


def constrained_variants(factor: int = 2) -> tuple[str, ...]:
    """Transposed variants whose layer is :mod:`artifact_lab.prevent.nn`'s constrained one.

    ``"transposed k=2s-1 constrained"`` and ``"transposed k=2s constrained"``: the geometry
    of the plain variant, the weight ``h0 ∗ hold`` (closed-form score 0 at every step), with
    the constrained layer's own seeded initialisation and a zero bias.

    Examples
    --------
    >>> constrained_variants(2)
    ('transposed k=3 constrained', 'transposed k=4 constrained')
    """
    s = check_int("factor", factor, minimum=1)
    return tuple(f"transposed k={k} constrained" for k in (max(2 * s - 1, 1), 2 * s))


def _make_upsampler(name: str, factor: int, channels: int, *, seed: int) -> Upsampler:
    from ..prevent.nn import CONSTRAINED_CLASSES

    suffix = " constrained"
    if not name.endswith(suffix):
        return make_upsampler(name, factor, channels, seed=seed)
    up = make_upsampler(name.removesuffix(suffix), factor, channels, seed=seed)
    conv = up.conv
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        layer = CONSTRAINED_CLASSES[up.ndim](
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            stride=conv.stride,
            padding=conv.padding,
            output_padding=conv.output_padding,
        )
    with torch.no_grad():
        layer.bias.zero_()
    up.conv, up.init = layer, "constrained"
    up.name = f"transposed k={up.kernel_size} (constrained)"
    return up
