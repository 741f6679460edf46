"""The experiments behind notebooks 5 to 8, run apart from the report and stored in
``results/``.

Each experiment is a list of *units* (one training run, or one seed of a study), each
computed deterministically from a small spec and kept in the verified store
(:mod:`artifact_lab._util.store`) under a digest of that spec: an interrupted run resumes
where it stopped, two runs on the same folder share the work (each claims a unit before
computing it), and a damaged checkpoint is recomputed. When every unit is there, the
experiment's tables are written to ``results/<table>.csv`` with ``results/<table>.json``
beside each: the command, the experiment's parameters and seeds, the package versions, the
machine, the date, the compute time and the CSV's SHA-256. The notebooks read the tables with
:func:`read_results` (which checks that checksum) and compute their claims from them, so the
report re-renders in minutes while the experiments take as long as their seeds need.

Run them with ``make experiments`` or::

    python -m artifact_lab.studies.experiments [learning gradients zoo prevention] [--seeds 0-9]

Training runs on the CPU with one torch thread by default: the stored numbers are then the
ones this package recomputes on any CPU with the same torch build (a second thread, or
another device, changes the order of floating-point sums and so the last digits).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import io
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from .._util.checks import as_names, check_bool, check_int, check_seeds, check_str
from .._util.io import write_atomic
from .._util.store import VerifiedStore, check_folder

__all__ = [
    "EXPERIMENTS",
    "LEARNING_BUDGET",
    "PREVENTION_BUDGET",
    "Experiment",
    "ResultTable",
    "Unit",
    "compute_unit",
    "find_results",
    "main",
    "read_results",
    "run_experiments",
]

FORMAT = 1  # of the JSON beside each table
RESULTS_ENV = "ARTIFACT_LAB_RESULTS"
STALE_CLAIM_SECONDS = 6 * 3600  # a unit takes seconds to minutes; a claim this old is dead

# --- the experiments -----------------------------------------------------------------------


def _budgets():
    from .training import Budget

    return (
        Budget(steps=600, evals=6, batch=8, patch=32, channels=8, lr=3e-3, eval_size=64),
        Budget(steps=320, evals=4, batch=8, patch=32, channels=8, lr=3e-3, eval_size=64),
    )


#: Notebook 5's budget: 600 Adam steps of 8 patches of 32 pixels, 8 channels.
#: Notebook 8's: 320 steps, otherwise the same (four times the quick ``"prevention"`` budget).
LEARNING_BUDGET, PREVENTION_BUDGET = _budgets()
LEARNING_AUTOENCODER = (
    "transposed k=3",
    "transposed k=4",
    "sub-pixel ICNR",
    "resize-conv nearest",
)
ERROR_PICTURE, ERROR_SIZE = "coins", 96  # notebook 5's close-up: coins at 96 x 96, ×2
GRADIENT_STUDY = {  # notebook 7's classifier study
    "size": 24,
    "per_class": 256,
    "test_size": 64,
    "test_per_class": 32,
    "data_seed": 0,
    "width": 8,
    "steps": 100,
    "batch": 32,
    "lr": 1e-2,
    "strategies": ["blur", "even", "pool"],
    "periods": [2, 8],
}
PREVENTION_SCORES_EVERY = 5


@dataclass(frozen=True)
class Unit:
    """One piece of an experiment: computed at once, stored at once.

    ``spec`` (JSON-able) decides the unit's numbers and, with the experiment's version,
    names its checkpoint; ``tables`` are the result tables it adds rows to.
    """

    experiment: str
    label: str
    spec: dict = field(hash=False)
    tables: tuple[str, ...]

    def key(self, table: str, version: int) -> str:
        text = json.dumps(
            {"unit": self.spec, "table": table, "version": version}, sort_keys=True, default=str
        )
        return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Experiment:
    """An experiment: its units for a set of seeds, how one unit is computed, its tables.

    ``version`` goes into every checkpoint key: raise it when a change of the code changes
    the numbers, and every unit is recomputed.
    """

    name: str
    notebook: str
    description: str
    version: int
    tables: dict[str, dict[str, str]]
    params: Callable[[], dict]
    units: Callable[[tuple[int, ...]], list[Unit]]
    compute: Callable[[Unit, torch.device], dict[str, pd.DataFrame]]
    timing_columns: tuple[str, ...] = ()


def _learning_units(seeds: tuple[int, ...]) -> list[Unit]:
    from .training import variants

    units = [
        Unit(
            "learning",
            f"sr ×2 {v}, seed {s}",
            {"task": "sr", "variant": v, "seed": s, "budget": asdict(LEARNING_BUDGET)},
            ("learning", "learning_errors"),
        )
        for s in seeds
        for v in variants(2)
    ]
    units += [
        Unit(
            "learning",
            f"autoencoder {v}, seed {s}",
            {"task": "autoencoder", "variant": v, "seed": s, "budget": asdict(LEARNING_BUDGET)},
            ("learning_autoencoder",),
        )
        for s in seeds
        for v in LEARNING_AUTOENCODER
    ]
    return units


def _coins_error(model: torch.nn.Module, dev: torch.device) -> dict[str, float]:
    """The trained ×2 model's error on the held-out coins picture, and its grid."""
    from ..core.images import load_image
    from ..core.spectral import harmonic_fraction
    from .compare import white_noise_levels

    hr = load_image(ERROR_PICTURE, ERROR_SIZE).float()
    lr = torch.nn.functional.avg_pool2d(hr[None, None], 2)
    with torch.no_grad():
        out = model(lr.to(dev))[0, 0].cpu()
    error = (out - hr)[4:-4, 4:-4].double().numpy()
    chance = white_noise_levels(error.shape, 2)["harmonic_fraction"]
    fraction = float(harmonic_fraction(error, 2, remove_dc=True))
    return {
        "error_rms": float(np.sqrt((error**2).mean())),
        "harmonic_fraction": fraction,
        "chance": chance,
        "times_chance": fraction / chance,
    }


def _learning_compute(unit: Unit, dev: torch.device) -> dict[str, pd.DataFrame]:
    from .training import HELD_OUT, TRAIN_IMAGES, run_spec, train_run

    sp = unit.spec
    run = run_spec(
        sp["task"], sp["variant"], 2, sp["seed"], LEARNING_BUDGET, TRAIN_IMAGES, HELD_OUT
    )
    result = train_run(run, device=dev, keep_model=sp["task"] == "sr")
    if sp["task"] == "autoencoder":
        return {"learning_autoencoder": result.frame}
    errors = {"variant": sp["variant"], "seed": sp["seed"], **_coins_error(result.model, dev)}
    return {"learning": result.frame, "learning_errors": pd.DataFrame([errors])}


def _learning_params() -> dict:
    from .training import HELD_OUT, TRAIN_IMAGES, variants

    return {
        "budget": asdict(LEARNING_BUDGET),
        "factor": 2,
        "variants": list(variants(2)),
        "autoencoder_variants": list(LEARNING_AUTOENCODER),
        "train_images": list(TRAIN_IMAGES),
        "held_out": list(HELD_OUT),
        "error_picture": f"{ERROR_PICTURE} at {ERROR_SIZE}x{ERROR_SIZE}, area-downsampled ×2",
    }


def _gradients_units(seeds: tuple[int, ...]) -> list[Unit]:
    return [
        Unit(
            "gradients",
            f"classifier study, seed {s}",
            {**GRADIENT_STUDY, "seed": s},
            ("gradients_accuracy", "gradients_saliency"),
        )
        for s in seeds
    ]


def _texture_data(spec: dict) -> dict[str, torch.Tensor]:
    from .gradients import texture_patches

    return texture_patches(
        size=spec["size"],
        per_class=spec["per_class"],
        test_size=spec["test_size"],
        test_per_class=spec["test_per_class"],
        seed=spec["data_seed"],
    )


def _gradients_compute(unit: Unit, dev: torch.device) -> dict[str, pd.DataFrame]:
    from .gradients import fix_study

    sp = unit.spec
    study = fix_study(
        _texture_data(sp),
        strategies=tuple(sp["strategies"]),
        width=sp["width"],
        steps=sp["steps"],
        batch=sp["batch"],
        lr=sp["lr"],
        periods=[(p, p) for p in sp["periods"]],
        seed=sp["seed"],
        evals=1,
    )
    acc = study.accuracy.assign(seed=sp["seed"])
    g = study.gradients.assign(seed=sp["seed"], period=[f[0] for f in study.gradients.factor])
    return {
        "gradients_accuracy": acc[list(EXPERIMENTS_TABLES["gradients_accuracy"])],
        "gradients_saliency": g[list(EXPERIMENTS_TABLES["gradients_saliency"])],
    }


def _gradients_params() -> dict:
    return {"study": GRADIENT_STUDY, "device": "cpu (the classifier trains on the CPU)"}


def _prevention_units(seeds: tuple[int, ...]) -> list[Unit]:
    from .prevention import prevention_runs

    units = [
        Unit(
            "prevention",
            f"reference ×{f}",
            {"reference": f, "budget": asdict(PREVENTION_BUDGET)},
            ("prevention_reference",),
        )
        for f in (2, 4)
    ]
    for method, run in prevention_runs((2, 4), seeds=seeds, budget=PREVENTION_BUDGET):
        spec = {"method": method, "run": asdict(run), "scores_every": PREVENTION_SCORES_EVERY}
        units.append(
            Unit(
                "prevention",
                f"×{run.factor} {method}, seed {run.seed}",
                spec,
                ("prevention_quality", "prevention_scores"),
            )
        )
    return units


def _prevention_compute(unit: Unit, dev: torch.device) -> dict[str, pd.DataFrame]:
    from .prevention import label_run, prevention_reference, prevention_runs
    from .training import train_run

    sp = unit.spec
    if "reference" in sp:
        ref = prevention_reference(sp["reference"], PREVENTION_BUDGET)
        return {"prevention_reference": pd.DataFrame([ref])}
    run_dict = sp["run"]
    runs = prevention_runs(
        (run_dict["factor"],), seeds=(run_dict["seed"],), budget=PREVENTION_BUDGET
    )
    run = next(r for m, r in runs if m == sp["method"])
    if asdict(run) != run_dict:  # the spec must be the run it names
        raise RuntimeError(f"unit {unit.label}: its spec is not the prevention study's run")
    result = train_run(run, device=dev, scores_every=sp["scores_every"])
    scores = result.scores
    if scores.empty:  # resize-convolution has no weight to monitor: no rows, same columns
        scores = pd.DataFrame(columns=list(scores.columns))
    return {
        "prevention_quality": label_run(result.frame, sp["method"], run),
        "prevention_scores": label_run(scores, sp["method"], run),
    }


def _prevention_params() -> dict:
    from .prevention import PENALTIES, SUM_PENALTIES
    from .training import HELD_OUT, TRAIN_IMAGES

    return {
        "budget": asdict(PREVENTION_BUDGET),
        "factors": [2, 4],
        "lambdas_pairs": list(PENALTIES),
        "lambdas_sum": list(SUM_PENALTIES),
        "scores_every": PREVENTION_SCORES_EVERY,
        "train_images": list(TRAIN_IMAGES),
        "held_out": list(HELD_OUT),
    }


ZOO_WIDTH = 1 / 8  # channel widths of the zoo's models, as notebooks 6 and 7 build them


def _zoo_units(seeds: tuple[int, ...]) -> list[Unit]:
    return [
        Unit(
            "zoo",
            f"{d} audits, seed {s}",
            {"direction": d, "seed": s, "width": ZOO_WIDTH},
            (f"zoo_{d}",),
        )
        for d in ("forward", "backward")
        for s in seeds
    ]


def _zoo_compute(unit: Unit, dev: torch.device) -> dict[str, pd.DataFrame]:
    from .architectures import zoo_audits

    sp = unit.spec
    frame = zoo_audits(sp["direction"], (sp["seed"],), width=sp["width"])
    return {f"zoo_{sp['direction']}": frame}


def _zoo_params() -> dict:
    from ..models.zoo import ZOO

    return {
        "width": ZOO_WIDTH,
        "forward": [n for n, e in ZOO.items() if e.direction == "forward"],
        "backward": [n for n, e in ZOO.items() if e.direction == "backward"],
        "device": "cpu (the audit measures on the CPU)",
    }


def _tables() -> dict[str, dict[str, str]]:
    from ..prevent.monitor import COLUMNS as MONITOR
    from .prevention import PREVENTION_COLUMNS
    from .training import COLUMNS

    head = {
        "method": PREVENTION_COLUMNS["method"],
        "penalty": PREVENTION_COLUMNS["penalty"],
        "channels": PREVENTION_COLUMNS["channels"],
        "task": COLUMNS["task"],
        "variant": COLUMNS["variant"],
        "factor": COLUMNS["factor"],
        "seed": COLUMNS["seed"],
    }
    zoo = {
        "model": "zoo architecture",
        "seed": "seed of its random weights",
        "input": "what is measured: zero, constant, noise (forward); noise, images (backward)",
        "operations": "upsampling (forward) or downsampling (backward) operations found",
        "flagged": "operations the audit flags",
        "period": "period the whole model is measured at",
        "harmonic_fraction": "share of the output's (gradient's) power at its harmonics",
        "chance": "the same share for a pattern-free map (0 where that is exact)",
        "times_chance": "harmonic_fraction / chance (empty where chance is 0)",
        "peak_db": "largest peak-to-neighbourhood ratio at a harmonic",
    }
    return {
        "zoo_forward": zoo,
        "zoo_backward": zoo,
        "learning": dict(COLUMNS),
        "learning_errors": {
            "variant": COLUMNS["variant"],
            "seed": COLUMNS["seed"],
            "error_rms": f"RMS of output minus original, {ERROR_PICTURE} ×2, interior",
            "harmonic_fraction": "share of the error's power at the stride harmonics, DC removed",
            "chance": "the same share for white noise of the error's size",
            "times_chance": "harmonic_fraction / chance",
        },
        "learning_autoencoder": dict(COLUMNS),
        "gradients_accuracy": {
            "seed": "seed of the initial weights and of the batches",
            "variant": "the classifier as it is (original) or with a backward fix",
            "flagged": "downsampling operations the backward audit flags at initialisation",
            "test_accuracy": "share of the test patches classified right after training",
            "seconds": "training time",
        },
        "gradients_saliency": {
            "seed": "seed of the initial weights and of the batches",
            "variant": "the classifier as it is (original) or with a backward fix",
            "stage": "init (before training) or trained",
            "period": "period looked for in the saliency map (both axes)",
            "harmonic_fraction": "share of the saliency's power at the period's harmonics",
            "chance": "the same share for a white, pattern-free map of the same crop",
            "peak_db": "largest peak-to-neighbourhood ratio at a harmonic",
            "power": "mean squared saliency",
        },
        "prevention_quality": dict(PREVENTION_COLUMNS),
        "prevention_scores": {
            **head,
            **{k: v for k, v in MONITOR.items()},
            "microseconds_per_layer": "monitor cost per layer and record",
        },
        "prevention_reference": {
            "factor": "upsampling factor",
            "bicubic PSNR": "bicubic interpolation's PSNR on the held-out pictures (dB)",
            "bicubic SSIM": "bicubic interpolation's SSIM",
            "pictures harmonic fraction": "the held-out pictures' own harmonic fraction",
            "bicubic harmonic fraction": "bicubic interpolation's harmonic fraction",
            "random-init score mean": "default-initialised plain layer, seeds 0-99",
            "random-init score std": "its standard deviation",
            "random-init pair score mean": "the same, pair score",
            "1 - 1/s^2": "expected score of independent random phase gains",
        },
    }


EXPERIMENTS_TABLES: dict[str, dict[str, str]] = {}


def _experiments() -> dict[str, Experiment]:
    EXPERIMENTS_TABLES.update(_tables())
    t = EXPERIMENTS_TABLES
    pick = lambda *names: {n: t[n] for n in names}  # noqa: E731
    return {
        "learning": Experiment(
            "learning",
            "05_learning.ipynb",
            "every upsampler variant trained in a small ×2 super-resolution network and in a "
            "small autoencoder, scores and quality over training",
            1,
            pick("learning", "learning_errors", "learning_autoencoder"),
            _learning_params,
            _learning_units,
            _learning_compute,
            ("seconds",),
        ),
        "gradients": Experiment(
            "gradients",
            "07_gradients.ipynb",
            "a small texture classifier trained as it is and with each backward fix: "
            "accuracy and the saliency's grid before and after training",
            1,
            pick("gradients_accuracy", "gradients_saliency"),
            _gradients_params,
            _gradients_units,
            _gradients_compute,
            ("seconds",),
        ),
        "zoo": Experiment(
            "zoo",
            "06_real_architectures.ipynb, 07_gradients.ipynb",
            "every zoo architecture audited forward or backward at random weights, one "
            "initialisation per seed: flags and the whole model's measurement",
            1,
            pick("zoo_forward", "zoo_backward"),
            _zoo_params,
            _zoo_units,
            _zoo_compute,
        ),
        "prevention": Experiment(
            "prevention",
            "08_prevention.ipynb",
            "plain transposed convolution, the penalty at several weights, the constrained "
            "layer, ICNR sub-pixel and resize-convolution trained at ×2 and ×4",
            1,
            pick("prevention_quality", "prevention_scores", "prevention_reference"),
            _prevention_params,
            _prevention_units,
            _prevention_compute,
            ("seconds", "microseconds_per_layer"),
        ),
    }


#: The experiments by name (``learning``: notebook 5, ``zoo``: 6 and 7, ``gradients``: 7,
#: ``prevention``: 8).
EXPERIMENTS: dict[str, Experiment] = _experiments()
#: Seeds run by default: enough for most claims of the notebooks to be decided.
DEFAULT_SEEDS = tuple(range(10))


# --- running -------------------------------------------------------------------------------


@contextlib.contextmanager
def _threads(n: int | None) -> Iterator[None]:
    if n is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def compute_unit(
    unit: Unit, *, device: str | torch.device = "cpu", threads: int | None = 1
) -> dict[str, pd.DataFrame]:
    """Compute one unit as the runner does (same device and thread count give the same
    numbers); returns its tables.

    Examples
    --------
    >>> unit = EXPERIMENTS["prevention"].units((0,))[0]
    >>> unit.label, list(compute_unit(unit))
    ('reference ×2', ['prevention_reference'])
    """
    from ..backend import select_device

    if not isinstance(unit, Unit):
        raise TypeError(f"unit must be a Unit (from EXPERIMENTS[...].units()), got {unit!r}")
    if unit.experiment not in EXPERIMENTS:
        raise ValueError(f"unit names the experiment {unit.experiment!r}, not one of EXPERIMENTS")
    threads = _check_threads(threads)
    dev = select_device(device)
    experiment = EXPERIMENTS[unit.experiment]
    with _threads(threads):
        out = experiment.compute(unit, dev)
    for table in unit.tables:
        out[table] = out[table][list(experiment.tables[table])].reset_index(drop=True)
    return out


def _check_threads(threads: object) -> int | None:
    if threads is None:
        return None
    return check_int("threads", threads, minimum=1)


def _claim_is_stale(store: VerifiedStore, key: str) -> bool:
    path = store.folder / f".{store.prefix}-{key}.claim"
    try:
        host, pid, stamp = path.read_text().split()
        if host == platform.node() and int(pid) != os.getpid():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                return True
            except PermissionError:
                return False
        return time.time() - float(stamp) > STALE_CLAIM_SECONDS
    except (OSError, ValueError):
        return True


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for package in ("artifact_lab", "torch", "numpy", "pandas", "scipy", "scikit-image"):
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[package] = "not installed"
    return out


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    # repr-precision floats: read back with float_precision="round_trip", the same numbers
    return frame.to_csv(index=False, lineterminator="\n", na_rep="nan").encode()


def run_experiments(
    names: Sequence[str] | None = None,
    *,
    seeds: Sequence[int] = DEFAULT_SEEDS,
    results: str | os.PathLike = "results",
    checkpoints: str | os.PathLike | None = None,
    device: str | torch.device = "cpu",
    threads: int | None = 1,
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Path]:
    """Run (or resume) experiments and write their tables to ``results``.

    Parameters
    ----------
    names : sequence of str, optional
        Keys of :data:`EXPERIMENTS` (all by default).
    seeds : sequence of int
    results : path
        Where ``<table>.csv`` and ``<table>.json`` go.
    checkpoints : path, optional
        The verified store of finished units (default ``<results>/.checkpoints``).
    device : str or torch.device
        ``"cpu"`` by default, for numbers any CPU reproduces.
    threads : int or None
        torch threads while computing (1 by default; None keeps the current setting).
    command : str, optional
        The command recorded in the JSON (default: this process's command line).

    Returns
    -------
    dict
        Table name -> the CSV written.
    """
    from tqdm.auto import tqdm

    from ..backend import select_device

    names = tuple(EXPERIMENTS) if names is None else as_names("names", names, allowed=EXPERIMENTS)
    seeds = check_seeds("seeds", seeds, scalar=False)
    progress = check_bool("progress", progress)
    results = check_folder("results", results)
    checkpoints = check_folder(
        "checkpoints", results / ".checkpoints" if checkpoints is None else checkpoints
    )
    dev = select_device(device)
    threads = _check_threads(threads)
    check_str("command", command, none_ok=True)
    results.mkdir(parents=True, exist_ok=True)
    command = command or " ".join([Path(sys.executable).name, *sys.argv])
    written: dict[str, Path] = {}
    for name in names:
        experiment = EXPERIMENTS[name]
        store = VerifiedStore(checkpoints, prefix=name, what="checkpoint", name="checkpoints")
        units = experiment.units(seeds)
        frames: dict[int, dict[str, pd.DataFrame]] = {}
        spent = 0.0
        bar = tqdm(total=len(units), disable=not progress, desc=name, unit="unit")
        try:
            pending = list(range(len(units)))
            while pending:
                waiting = []
                for i in pending:
                    unit = units[i]
                    got = _read_unit(store, experiment, unit)
                    if got is None:
                        key = unit.key(unit.tables[0], experiment.version)
                        if not store.claim(key):
                            if not _claim_is_stale(store, key):
                                waiting.append(i)  # another run is computing it
                                continue
                            store.release(key)
                            (store.folder / f".{store.prefix}-{key}.claim").unlink(missing_ok=True)
                            store.claim(key)
                        bar.set_postfix_str(unit.label)
                        start = time.perf_counter()
                        try:
                            got = compute_unit(unit, device=dev, threads=threads)
                        finally:
                            if got is None:
                                store.release(key)
                        spent += time.perf_counter() - start
                        for table in unit.tables:
                            store.write(unit.key(table, experiment.version), got[table])
                        store.release(key)
                    frames[i] = got
                    bar.update(1)
                if waiting:
                    time.sleep(5)
                pending = waiting
        finally:
            bar.close()
            store.release_all()
        for table, columns in experiment.tables.items():
            parts = [frames[i][table] for i in range(len(units)) if table in units[i].tables]
            frame = pd.concat([p for p in parts if not p.empty], ignore_index=True)
            frame = frame[list(columns)]
            written[table] = _write_table(
                results, table, frame, experiment, seeds, dev, threads, command, spent
            )
    return written


def _read_unit(store: VerifiedStore, experiment: Experiment, unit: Unit):
    out = {}
    for table in unit.tables:
        frame = store.read(unit.key(table, experiment.version), list(experiment.tables[table]))
        if frame is None:
            return None
        out[table] = frame
    return out


def _write_table(results, table, frame, experiment, seeds, dev, threads, command, spent) -> Path:
    data = _csv_bytes(frame)
    csv_path, json_path = results / f"{table}.csv", results / f"{table}.json"
    digest = hashlib.sha256(data).hexdigest()
    old = _read_meta(json_path)
    if old is not None and old.get("sha256") == digest and csv_path.is_file():
        return csv_path  # the same numbers: keep the file and the date they were first made
    meta = {
        "format": FORMAT,
        "table": table,
        "experiment": experiment.name,
        "version": experiment.version,
        "notebook": experiment.notebook,
        "description": experiment.description,
        "command": command,
        "seeds": list(seeds),
        "parameters": experiment.params(),
        "rows": len(frame),
        "columns": experiment.tables[table],
        "timing_columns": [c for c in experiment.timing_columns if c in frame.columns],
        "packages": _versions(),
        "machine": {
            "device": str(dev),
            "torch_threads": threads if threads is not None else torch.get_num_threads(),
            "platform": platform.platform(),
            "processor": platform.machine(),
        },
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "compute_seconds_this_run": round(spent, 1),
        "sha256": digest,
    }
    write_atomic(csv_path, data)
    write_atomic(json_path, json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return csv_path


def _parse_csv(data: bytes) -> pd.DataFrame:
    """The frame :func:`_csv_bytes` wrote: the same floats, "nan" for NaN, "" kept as text."""
    return pd.read_csv(
        io.BytesIO(data), float_precision="round_trip", keep_default_na=False, na_values=["nan"]
    )


def _read_meta(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


# --- reading -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultTable:
    """A stored result table and what made it (the JSON beside it)."""

    frame: pd.DataFrame
    meta: dict = field(repr=False)
    path: Path

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(self.meta["seeds"])


def find_results(start: str | os.PathLike | None = None) -> Path:
    """The ``results`` folder: ``$ARTIFACT_LAB_RESULTS`` if set, else the first
    ``results/`` that holds result tables in ``start`` (default: the working directory) or
    a folder above it (a notebook runs in ``notebooks/``, the tables live beside it)."""
    if start is not None and (not isinstance(start, (str, os.PathLike)) or not str(start)):
        raise TypeError(f"start must be a folder path or None, got {start!r}")
    env = os.environ.get(RESULTS_ENV)
    if env:
        return Path(env)
    here = Path.cwd() if start is None else Path(start)
    for folder in (here, *here.resolve().parents):
        candidate = folder / "results"
        if candidate.is_dir() and any(candidate.glob("*.json")):
            return candidate
    raise FileNotFoundError(
        f"no results/ folder with result tables in {str(here)!r} or above it; run "
        "`make experiments` (python -m artifact_lab.studies.experiments) or set "
        f"{RESULTS_ENV}"
    )


def read_results(table: str, *, folder: str | os.PathLike | None = None) -> ResultTable:
    """Read one stored result table, checked against the checksum in its JSON.

    Raises
    ------
    ValueError
        ``table`` is not a table of :data:`EXPERIMENTS`, or its file does not match its
        checksum or its columns (edited by hand, or half copied).
    FileNotFoundError
        The table has not been computed: the message says how to compute it.

    Examples
    --------
    >>> import tempfile
    >>> read_results("learning", folder=tempfile.mkdtemp())  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileNotFoundError: result table 'learning' is not in ...: run `make experiments` ...
    """
    tables = {t: e for e in EXPERIMENTS.values() for t in e.tables}
    if not isinstance(table, str) or table not in tables:
        raise ValueError(f"table must be one of {sorted(tables)}, got {table!r}")
    if folder is not None and (not isinstance(folder, (str, os.PathLike)) or not str(folder)):
        raise TypeError(f"folder must be a folder path or None, got {folder!r}")
    folder = find_results() if folder is None else Path(folder)
    csv_path, json_path = folder / f"{table}.csv", folder / f"{table}.json"
    if not csv_path.is_file() or not json_path.is_file():
        raise FileNotFoundError(
            f"result table {table!r} is not in {str(folder)!r}: run `make experiments` "
            f"(python -m artifact_lab.studies.experiments {tables[table].name})"
        )
    meta = _read_meta(json_path)
    data = csv_path.read_bytes()
    if meta is None or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise ValueError(
            f"{str(csv_path)!r} does not match the checksum in {json_path.name}: recompute it "
            f"with python -m artifact_lab.studies.experiments {tables[table].name}"
        )
    frame = _parse_csv(data)
    expected = list(tables[table].tables[table])
    if list(frame.columns) != expected:
        raise ValueError(f"{str(csv_path)!r} has columns {list(frame.columns)}, not {expected}")
    return ResultTable(frame, meta, csv_path)


# --- command line --------------------------------------------------------------------------


def _seed_list(text: str) -> tuple[int, ...]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        try:
            lo, hi = int(a), int(b or a)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"seeds must read like 0-9 or 0,2,5, got {text!r}"
            ) from None
        if lo < 0 or hi < lo:
            raise argparse.ArgumentTypeError(f"seeds must be ranges lo-hi, 0 <= lo <= hi: {text!r}")
        out += range(lo, hi + 1)
    return tuple(dict.fromkeys(out))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m artifact_lab.studies.experiments``: run or resume the experiments."""
    parser = argparse.ArgumentParser(
        prog="python -m artifact_lab.studies.experiments",
        description="Run (or resume) the experiments behind notebooks 5 to 8 and write "
        "their tables to results/.",
    )
    listing = ", ".join(EXPERIMENTS)
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"experiments to run: {listing} (default: all)"
    )
    parser.add_argument(
        "--seeds",
        type=_seed_list,
        default=DEFAULT_SEEDS,
        help="seeds, e.g. 0-9 or 0,3,5 (default 0-9)",
    )
    parser.add_argument("--results", default="results", help="output folder (default results)")
    parser.add_argument(
        "--checkpoints", default=None, help="finished units (default RESULTS/.checkpoints)"
    )
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment {unknown[0]!r}; choose from {', '.join(EXPERIMENTS)}")
    try:
        written = run_experiments(
            args.names or None,
            seeds=args.seeds,
            results=args.results,
            checkpoints=args.checkpoints,
            device=None if args.device == "auto" else args.device,
            threads=args.threads,
            command=" ".join(
                ["python -m artifact_lab.studies.experiments", *(argv or sys.argv[1:])]
            ),
        )
    except KeyboardInterrupt:
        print("interrupted: finished units are kept; run again to resume", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for table, path in written.items():
        print(f"{table}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
