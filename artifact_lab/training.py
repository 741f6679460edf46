"""What learning does to artifacts: train small upsamplers on real images, track the scores.

Each variant is a small super-resolution network ``conv3 -> ReLU -> upsampler -> ReLU ->
conv3`` (or a small convolutional autoencoder whose decoder uses the upsampler twice),
trained with Adam on random patches of scikit-image's bundled pictures. At chosen steps the
run records PSNR and SSIM on held-out pictures (scikit-image metrics), the closed-form
scores of the upsampler's learned effective kernel, and the harmonic fraction and peak dB
measured on the outputs. Deterministic for a seed: training runs with
``torch.use_deterministic_algorithms(True)`` (restored afterwards) and, on CUDA, the cuBLAS
workspace setting that deterministic matrix products need.

Checkpoints (``checkpoint=``) hold each finished run with its key and a checksum of its
rows; a damaged, truncated or misplaced file is recomputed and replaced with a warning that
names it, and temporary files left by a killed run are removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from ._checks import as_names, check_bool, check_choice, check_float, check_int
from ._io import write_atomic
from .backend import select_device
from .images import IMAGES, load_image
from .spectral import harmonic_fraction, peak_db
from .upsamplers import Upsampler, make_upsampler, standard_upsamplers

__all__ = [
    "BUDGETS",
    "COLUMNS",
    "VARIANTS",
    "Budget",
    "summarize",
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


def _downsample(hr: torch.Tensor, factor: int) -> torch.Tensor:
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
class _Run:
    task: str
    variant: str
    factor: int
    seed: int
    budget: Budget
    train_images: tuple[str, ...]
    held_out: tuple[str, ...]

    def key(self) -> str:
        spec = asdict(self)
        spec["version"] = 1
        return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]


def _evaluate(
    model, up: Upsampler, run: _Run, hr_eval: torch.Tensor, fixed_lr, fixed_hr, dev
) -> dict[str, float]:
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    model.eval()
    with torch.no_grad():
        loss = F.mse_loss(model(fixed_lr), fixed_hr).item()
        inp = hr_eval if run.task == "autoencoder" else _downsample(hr_eval, run.factor)
        out = model(inp.to(dev)).double().cpu()
    model.train()
    scale = run.factor if run.task == "sr" else 4
    m = 2 * scale
    crop = out[:, 0, m:-m, m:-m]
    ref = hr_eval[:, 0, m:-m, m:-m].double()
    length = (crop.shape[-1] // scale) * scale
    crop, ref = crop[..., :length, :length], ref[..., :length, :length]
    clipped = crop.clamp(0, 1).numpy()
    psnr = np.mean(
        [
            peak_signal_noise_ratio(r, c, data_range=1.0)
            for r, c in zip(ref.numpy(), clipped, strict=True)
        ]
    )
    ssim = np.mean(
        [
            structural_similarity(r, c, data_range=1.0)
            for r, c in zip(ref.numpy(), clipped, strict=True)
        ]
    )
    scores = up.scores()
    return {
        "loss": loss,
        "psnr": float(psnr),
        "ssim": float(ssim),
        "checkerboard_score": scores.checkerboard_score,
        "noise_checkerboard": scores.noise_checkerboard,
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
    :class:`~artifact_lab.upsamplers.ResizeConv`). cuDNN's benchmark mode, which picks
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


def _train_one(run: _Run, dev: torch.device, bar, keep_model: bool = False):
    with _deterministic(dev):
        return _train_one_deterministic(run, dev, bar, keep_model)


def _train_one_deterministic(run: _Run, dev: torch.device, bar, keep_model: bool):
    b = run.budget
    train = torch.stack([load_image(n, TRAIN_SIZE) for n in run.train_images]).float()
    hr_eval = torch.stack([load_image(n, b.eval_size) for n in run.held_out])[:, None].float()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(run.seed)
        if run.task == "sr":
            up = make_upsampler(run.variant, run.factor, b.channels, seed=run.seed)
            model = _SR(up, b.channels)
        else:
            model = _AutoEncoder(
                lambda i: make_upsampler(run.variant, 2, b.channels, seed=run.seed + 1000 * i),
                b.channels,
            )
            up = model.up2
    model = model.to(dev).float()
    gen = torch.Generator().manual_seed(run.seed)
    size = b.patch
    fixed_hr = _patches(train, b.batch, size, torch.Generator().manual_seed(10**6 + run.seed))
    to_input = (
        (lambda hr: hr) if run.task == "autoencoder" else (lambda hr: _downsample(hr, run.factor))
    )
    fixed_lr, fixed_hr = to_input(fixed_hr).to(dev), fixed_hr.to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=b.lr)
    points = sorted({round(i * b.steps / b.evals) for i in range(b.evals + 1)})
    rows = []
    start = time.perf_counter()
    for step in range(b.steps + 1):
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
        opt.zero_grad()
        loss.backward()
        opt.step()
        if bar is not None:
            bar.update(1)
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return (frame, model.eval()) if keep_model else frame


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
    run = _run_spec(task, factor, variant, budget, seed, train_images, held_out)
    _, model = _train_one(run, select_device(device), None, keep_model=True)
    return model


def _run_spec(task, factor, variant, budget, seed, train_images, held_out) -> _Run:
    # the autoencoder's upsampler always works at factor 2 (twice)
    return _Run(
        task,
        variant,
        factor if task == "sr" else 2,
        seed,
        budget,
        tuple(train_images),
        tuple(held_out),
    )


def _budget(budget: str | Budget, task: str, factor: int) -> Budget:
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


def _check_study(task, factor, budget, variant_names, seeds, train_images, held_out):
    """Every argument of a study checked before any work; returns them normalised."""
    task = check_choice("task", task, ("sr", "autoencoder"))
    factor = check_int("factor", factor, minimum=2)
    if task == "autoencoder" and factor != 2:
        raise ValueError(f"the autoencoder upsamples by 2 twice; factor must be 2, got {factor}")
    budget = _budget(budget, task, factor)
    if variant_names is None:
        names = variants(factor)
    else:  # one string is one variant, not a sequence of letters
        names = as_names("variant_names", variant_names)
    known = set(standard_upsamplers(factor))
    for name in names:
        if name not in known:
            raise ValueError(
                f"variant_names: variant {name!r} unknown at factor {factor}; choose from "
                f"{sorted(known)}"
            )
    if isinstance(seeds, int) and not isinstance(seeds, bool):
        seeds = (seeds,)
    if not isinstance(seeds, (Sequence, range)) or isinstance(seeds, (str, bytes)):
        raise TypeError(f"seeds must be an int or a sequence of ints, got {seeds!r}")
    if not seeds:
        raise ValueError("seeds must not be empty")
    seeds = tuple(check_int(f"seeds[{i}]", s, minimum=0) for i, s in enumerate(seeds))
    train_images = as_names("train_images", train_images, allowed=IMAGES)
    held_out = as_names("held_out", held_out, allowed=IMAGES)
    if set(train_images) & set(held_out):
        raise ValueError("train_images and held_out must be disjoint")
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
        bilinear, sub-pixel with and without ICNR).
    task : {"sr", "autoencoder"}
        ``sr``: map an area-downsampled patch back to the original (factor 2 or 4).
        ``autoencoder``: reconstruct patches through two stride-2 convs and the upsampler
        twice (factor 2 each).
    budget : {"tiny", "default"} or Budget
        ``tiny`` runs in well under a minute for every variant on a laptop CPU; ``default``
        in a few minutes on 2 cores.
        One string is one variant.
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
        _run_spec(task, factor, v, budget, s, train_images, held_out) for s in seeds for v in names
    ]
    folder = Path(checkpoint) if checkpoint is not None else None
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_temporaries(folder)
    frames = []
    bar = tqdm(total=len(runs) * budget.steps, disable=not progress, desc="training", unit="step")
    try:
        for run in runs:
            path = folder / f"run-{run.key()}.parquet" if folder else None
            if path is not None and path.exists():
                frame = _read_checkpoint(path, run.key())
                if frame is not None:
                    frames.append(frame)
                    bar.update(budget.steps)
                    continue
            bar.set_postfix_str(f"{run.variant}, seed {run.seed}")
            frame = _train_one(run, dev, bar)
            if path is not None:
                _write_checkpoint(path, run.key(), frame)
            frames.append(frame)
    finally:
        bar.close()
    return pd.concat(frames, ignore_index=True)


_STALE_SECONDS = 60.0  # a checkpoint is written in one go: an older temporary is a killed run's


def _remove_stale_temporaries(folder: Path) -> None:
    """Delete temporary files that a killed run left behind (``write_atomic``'s names)."""
    now = time.time()
    for tmp in folder.glob(".run-*.parquet.*.tmp"):
        with contextlib.suppress(OSError):  # a concurrent run may remove it first
            if now - tmp.stat().st_mtime > _STALE_SECONDS:
                tmp.unlink()


def _digest(frame: pd.DataFrame) -> str:
    """Checksum of a run's rows: columns, dtypes and every value (floats exactly)."""
    text = json.dumps([list(frame.columns), [str(t) for t in frame.dtypes]])
    return hashlib.sha256((text + frame.to_csv(index=False)).encode()).hexdigest()


_META = b"artifact_lab"


def _write_checkpoint(path: Path, key: str, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_META] = json.dumps({"key": key, "sha256": _digest(frame)}).encode()
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    write_atomic(path, buf.getvalue())


def _read_checkpoint(path: Path, key: str) -> pd.DataFrame | None:
    """The stored run, or None (with a warning naming the file) when it cannot be trusted."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
        stamp = json.loads((table.schema.metadata or {})[_META])
        frame = table.to_pandas()
        if stamp.get("key") != key:
            reason = f"it holds run {stamp.get('key')!r}, not {key!r}"
        elif stamp.get("sha256") != _digest(frame) or list(frame.columns) != list(COLUMNS):
            reason = "its rows do not match their checksum"
        else:
            return frame
    except Exception as exc:  # truncated, empty, random bytes, no stamp: all untrustworthy
        reason = f"it cannot be read ({type(exc).__name__}: {' '.join(str(exc).split())[:120]})"
    warnings.warn(
        f"checkpoint {path} is damaged ({reason}); recomputing and replacing it",
        RuntimeWarning,
        stacklevel=3,
    )
    return None


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
