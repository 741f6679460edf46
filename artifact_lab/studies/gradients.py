"""Checkerboards in gradients: the study behind notebook 07.

A small texture classifier (scikit-image's brick, grass and gravel pictures, disjoint regions
for training and testing), trained for a few seconds of CPU, with its input gradients
measured before and after training, and with the backward fixes of
:func:`artifact_lab.models.audit.fix` trained the same way; plus :func:`adjoint_check`, the closed
forms of :mod:`artifact_lab.core.adjoint` beside autograd on a few layers.

References
----------
Odena, Dumoulin, Olah, "Deconvolution and Checkerboard Artifacts", Distill 2016.
Zhang, "Making Convolutional Networks Shift-Invariant Again", ICML 2019.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from .._util.checks import (
    as_names,
    check_float,
    check_int,
    check_mapping,
    check_module,
    check_tensor,
    per_axis,
)
from ..core.adjoint import adjoint_interior, adjoint_pattern, measured_gains_and_maps, pool_kernel
from ..core.overlap import has_holes
from ..core.scores import checkerboard_score
from ..models.measure import (
    COLUMNS,
    GRADIENT_LABELS,
    crop_periods,
    input_gradient,
    row_from_crop,
    score_row,
)

__all__ = [
    "FIXES",
    "TEXTURES",
    "ZOO_LEVEL",
    "FixStudy",
    "SmallClassifier",
    "TrainedClassifier",
    "adjoint_check",
    "collapsed_saliency",
    "fix_study",
    "gradient_claims",
    "gradient_scores",
    "recommended_fix",
    "texture_patches",
    "train_classifier",
]

TEXTURES = ("brick", "grass", "gravel")
#: The backward fixes the classifier study compares (``fix_study``'s default strategies).
FIXES = ("blur", "even", "pool")


def texture_patches(
    names: Sequence[str] = TEXTURES,
    *,
    size: int = 32,
    per_class: int = 256,
    test_size: int | None = None,
    test_per_class: int = 32,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """Random patches of scikit-image's texture pictures, one class per picture.

    Training patches come from the left three quarters of each (512 x 512, gray) picture,
    test patches from the right quarter, so the two never overlap. Each patch is
    standardised (zero mean, unit variance): the classes differ in texture, not brightness.

    Returns
    -------
    dict with ``train_x`` ``(n, 1, size, size)``, ``train_y``, ``test_x``
    ``(m, 1, test_size, test_size)`` and ``test_y`` (float32 / int64 tensors).

    Examples
    --------
    >>> d = texture_patches(per_class=4, test_per_class=2, size=16)
    >>> tuple(d["train_x"].shape), d["test_y"].tolist()
    ((12, 1, 16, 16), [0, 0, 1, 1, 2, 2])
    """
    from ..core.images import IMAGES, load_image

    names = as_names("names", names, allowed=IMAGES)
    size = check_int("size", size, minimum=8)
    test_size = size if test_size is None else check_int("test_size", test_size, minimum=8)
    per_class = check_int("per_class", per_class, minimum=1)
    test_per_class = check_int("test_per_class", test_per_class, minimum=1)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    out: dict[str, list] = {"train_x": [], "train_y": [], "test_x": [], "test_y": []}
    for label, name in enumerate(names):
        img = load_image(name, None).numpy()
        split = img.shape[1] * 3 // 4
        if split < size or img.shape[1] - split < test_size:
            raise ValueError(f"size {size} / test_size {test_size} do not fit {name}")
        for part, count, side, (lo, hi) in (
            ("train", per_class, size, (0, split)),
            ("test", test_per_class, test_size, (split, img.shape[1])),
        ):
            rows = rng.integers(0, img.shape[0] - side + 1, count)
            cols = rng.integers(lo, hi - side + 1, count)
            for r, c in zip(rows, cols, strict=True):
                patch = img[r : r + side, c : c + side]
                out[f"{part}_x"].append((patch - patch.mean()) / max(patch.std(), 1e-6))
                out[f"{part}_y"].append(label)
    return {
        key: torch.tensor(np.array(v), dtype=torch.float32)[:, None]
        if key.endswith("x")
        else torch.tensor(v, dtype=torch.int64)
        for key, v in out.items()
    }


MAX_SIDE = 512  # adjoint_check's largest maps


def _check_data(data: object) -> None:
    """The dict :func:`texture_patches` returns: four tensors."""
    check_mapping("data", data)
    for key in ("train_x", "train_y", "test_x", "test_y"):
        if key not in data:  # type: ignore[operator]
            raise ValueError(f"data lacks {key!r}: pass texture_patches()'s dict")
        check_tensor(f"data[{key!r}]", data[key], min_ndim=4 if key.endswith("x") else 1)  # type: ignore[index]


def _check_training(steps: object, batch: object, lr: object) -> tuple[int, int, float]:
    steps = check_int("steps", steps, minimum=1)
    batch = check_int("batch", batch, minimum=1)
    return steps, batch, check_float("lr", lr, positive=True)


class SmallClassifier(nn.Module):
    """Three 3x3 stride-2 convolutions (ReLU), global average pooling, a linear layer.

    Fully convolutional up to the pooling, so it classifies any input size; its input
    gradient has the period 8 of the strides' product. The 3x3/s2 layers are the textbook
    downsampling whose adjoint is uneven (k % s != 0).

    Examples
    --------
    >>> tuple(SmallClassifier()(torch.zeros(2, 1, 32, 32)).shape)
    (2, 3)
    """

    def __init__(self, classes: int = 3, width: int = 16, in_ch: int = 1) -> None:
        super().__init__()
        classes = check_int("classes", classes, minimum=2)
        width = check_int("width", width, minimum=1)
        in_ch = check_int("in_ch", in_ch, minimum=1)
        c = [in_ch, width, 2 * width, 2 * width]
        layers: list[nn.Module] = []
        for i in range(3):
            layers += [nn.Conv2d(c[i], c[i + 1], 3, stride=2, padding=1), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(c[3], classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


@dataclass(frozen=True)
class TrainedClassifier:
    """A trained copy of a classifier with its training curve and test accuracy."""

    model: nn.Module
    history: pd.DataFrame
    accuracy: float
    seconds: float


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(1) == y).float().mean())


def train_classifier(
    model: nn.Module,
    data: dict[str, torch.Tensor],
    *,
    steps: int = 300,
    batch: int = 32,
    lr: float = 3e-3,
    seed: int = 0,
    evals: int = 10,
) -> TrainedClassifier:
    """Train a copy of ``model`` with Adam and cross-entropy on :func:`texture_patches` data.

    Returns
    -------
    TrainedClassifier
        ``history`` has ``step, loss, train_accuracy, test_accuracy`` at ``evals`` points.

    Examples
    --------
    >>> d = texture_patches(per_class=8, test_per_class=4, size=16)
    >>> t = train_classifier(SmallClassifier(width=4), d, steps=4, evals=2)
    >>> list(t.history.columns), 0 <= t.accuracy <= 1
    (['step', 'loss', 'train_accuracy', 'test_accuracy'], True)
    """
    import time

    check_module("model", model)
    _check_data(data)
    steps, batch, lr = _check_training(steps, batch, lr)
    evals = check_int("evals", evals, minimum=1)
    net = copy.deepcopy(model).train()
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x, y = data["train_x"], data["train_y"]
    marks = set(np.linspace(0, steps, evals + 1).round().astype(int)[1:])
    rows = []
    start = time.perf_counter()
    for step in range(1, steps + 1):
        idx = torch.randint(0, len(x), (batch,), generator=gen)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in marks:
            net.eval()
            rows.append(
                {
                    "step": step,
                    "loss": loss.item(),
                    "train_accuracy": _accuracy(net, x[:512], y[:512]),
                    "test_accuracy": _accuracy(net, data["test_x"], data["test_y"]),
                }
            )
            net.train()
    seconds = time.perf_counter() - start
    net.eval()
    return TrainedClassifier(
        net, pd.DataFrame(rows), _accuracy(net, data["test_x"], data["test_y"]), seconds
    )


def gradient_scores(
    model: nn.Module,
    inputs: dict[str, torch.Tensor],
    period: Sequence[int],
    *,
    projection: str | dict[str, torch.Tensor] = "sum",
    seed: int = 0,
) -> pd.DataFrame:
    """Harmonic fraction of the model's input gradient at each named input batch.

    Columns as :data:`artifact_lab.models.measure.COLUMNS`; ``chance`` is the white-noise level
    of the crop. ``projection`` is ``"sum"``, ``"random"`` or, per input name, an upstream
    gradient of the output's shape (e.g. one-hot labels: the gradient of the true class's
    logit, a saliency map).

    Examples
    --------
    >>> m = SmallClassifier(width=4)
    >>> t = gradient_scores(m, {"noise": torch.randn(2, 1, 32, 32)}, (8, 8))
    >>> list(t.columns) == list(COLUMNS)
    True
    """
    check_module("model", model)
    check_mapping("inputs", inputs)
    for name, x in inputs.items():
        check_tensor(f"inputs[{name!r}]", x, min_ndim=3, shape="(N, C, *spatial)")
    period = per_axis("period", period, None, minimum=1)
    if isinstance(projection, dict):
        for name in inputs:
            if not isinstance(projection.get(name), torch.Tensor):
                raise TypeError(f"projection[{name!r}] must be a tensor of the output's shape")
    elif projection not in ("sum", "random"):
        raise ValueError(
            f"projection must be 'sum', 'random' or a dict of tensors, got {projection!r}"
        )
    seed = check_int("seed", seed, minimum=0)
    model.eval()
    rows = []
    for name, x in inputs.items():
        proj = projection[name] if isinstance(projection, dict) else projection
        g = input_gradient(model, x, projection=proj, seed=seed)
        measured = GRADIENT_LABELS[proj] if isinstance(proj, str) else "grad <u, y>"
        rows.append(row_from_crop(name, measured, crop_periods(g, period), period, True))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def adjoint_check(n: int = 24, *, seed: int = 0) -> pd.DataFrame:
    """Closed-form adjoint beside autograd for typical downsampling layers (2-D, ``n x n``).

    One row per layer: its closed-form adjoint score (NaN where none exists: max pool), the
    score of the gradient torch computes for an upstream gradient of ones (interior, per
    phase), the largest difference between the closed-form interior pattern and torch's,
    and whether some phase gets nothing (holes).

    Examples
    --------
    >>> t = adjoint_check(16)
    >>> bool((t.max_difference.dropna() < 1e-12).all())
    True
    """
    n = check_int("n", n, minimum=8)
    if n > MAX_SIDE:
        raise ValueError(f"n must be at most {MAX_SIDE} (64 maps of n x n), got {n}")
    gen = torch.Generator().manual_seed(check_int("seed", seed, minimum=0))
    w3 = torch.randn(1, 1, 3, 3, generator=gen, dtype=torch.float64)
    w4 = torch.randn(1, 1, 4, 4, generator=gen, dtype=torch.float64)
    w1 = torch.randn(1, 1, 1, 1, generator=gen, dtype=torch.float64)
    layers = [  # name, kernel (None: no closed form), k, s, p, op
        ("Conv 3x3/s2/p1 (random)", w3[0, 0], 3, 2, 1, lambda t: F.conv2d(t, w3, None, 2, 1)),
        ("Conv 4x4/s2/p1 (random)", w4[0, 0], 4, 2, 1, lambda t: F.conv2d(t, w4, None, 2, 1)),
        ("Conv 1x1/s2 (shortcut)", w1[0, 0], 1, 2, 0, lambda t: F.conv2d(t, w1, stride=2)),
        ("AvgPool 3x3/s2", pool_kernel("avg", 3, ndim=2), 3, 2, 0, lambda t: F.avg_pool2d(t, 3, 2)),
        ("AvgPool 2x2/s2", pool_kernel("avg", 2, ndim=2), 2, 2, 0, lambda t: F.avg_pool2d(t, 2, 2)),
        ("MaxPool 3x3/s2 (noise)", None, 3, 2, 0, lambda t: F.max_pool2d(t, 3, 2)),
        ("MaxPool 2x2/s2 (noise)", None, 2, 2, 0, lambda t: F.max_pool2d(t, 2, 2)),
    ]
    rows = []
    for name, kern, k, s, p, op in layers:
        mask = adjoint_interior((n, n), k, s, p, whole_windows=kern is None or "Pool" in name)
        if kern is None:
            x = torch.randn(64, 1, n, n, generator=gen, dtype=torch.float64)
        else:
            x = torch.zeros(1, 1, n, n, dtype=torch.float64)
        m, maps = measured_gains_and_maps(op, x, s, mask)
        row = {
            "layer": name,
            "closed_form_score": np.nan,
            "autograd_score": m.score,
            "max_difference": np.nan,
            "holes": has_holes(k, s),
        }
        if kern is not None:
            pattern = adjoint_pattern(kern, (n, n), s, p, whole_windows="Pool" in name)
            diff = np.abs(maps[0] - pattern)[mask].max()  # x is one map: (1, 1, n, n)
            row |= {"closed_form_score": float(checkerboard_score(kern, s)), "max_difference": diff}
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class FixStudy:
    """The classifier trained as it is and with each backward fix.

    Attributes
    ----------
    accuracy : DataFrame
        One row per variant: ``variant``, ``flagged`` (downsampling ops the audit flags at
        initialisation), ``test_accuracy``, ``seconds`` (training time).
    gradients : DataFrame
        One row per variant, stage (``"init"``, ``"trained"``) and period: the saliency
        (gradient of the true class's logit) on the test patches, with the columns of
        :data:`artifact_lab.models.measure.COLUMNS`.
    models : dict
        ``variant -> (initial model, TrainedClassifier)``.
    """

    accuracy: pd.DataFrame
    gradients: pd.DataFrame
    models: dict


def fix_study(
    data: dict[str, torch.Tensor],
    *,
    strategies: Sequence[str] = FIXES,
    width: int = 8,
    steps: int = 120,
    batch: int = 32,
    lr: float = 3e-3,
    periods: Sequence[tuple[int, int]] = ((2, 2), (8, 8)),
    seed: int = 0,
    evals: int = 10,
) -> FixStudy:
    """Train :class:`SmallClassifier` as it is and with each backward fix, the same way.

    Each fix is applied to the same initial model by :func:`artifact_lab.models.audit.fix`
    (``direction="backward"``) before training; all variants see the same batches.
    ``evals`` is passed to :func:`train_classifier` (points of each training history; 1
    keeps only the final accuracy, which spares the time of the intermediate ones).

    Examples
    --------
    >>> d = texture_patches(per_class=8, test_per_class=2, size=16, test_size=32)
    >>> study = fix_study(d, strategies=("pool",), width=4, steps=2)
    >>> list(study.accuracy.variant)
    ['original', 'pool']
    """
    from ..models.audit import audit, fix
    from ..models.strategies import STRATEGIES

    _check_data(data)
    backward = sorted(k for k, v in STRATEGIES.items() if v.direction == "backward")
    strategies = as_names("strategies", strategies, allowed=backward)
    steps, batch, lr = _check_training(steps, batch, lr)
    if isinstance(periods, (str, bytes)) or not isinstance(periods, Sequence) or not periods:
        raise TypeError(f"periods must be a non-empty sequence of (P_h, P_w), got {periods!r}")
    periods = [per_axis(f"periods[{i}]", p, 2, minimum=1) for i, p in enumerate(periods)]
    seed = check_int("seed", seed, minimum=0)
    evals = check_int("evals", evals, minimum=1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        base = SmallClassifier(width=check_int("width", width, minimum=1))
    size = tuple(data["train_x"].shape)
    shape = (1, *size[1:])
    variants = {"original": base}
    for name in strategies:
        variants[name] = fix(base, shape, direction="backward", strategy=name, seed=seed)
    upstream = F.one_hot(data["test_y"], int(data["test_y"].max()) + 1).float()
    acc_rows, grad_rows, models = [], [], {}
    for name, model in variants.items():
        flagged = len(audit(model, shape, direction="backward", measure=False).flagged)
        trained = train_classifier(
            model, data, steps=steps, batch=batch, lr=lr, seed=seed, evals=evals
        )
        models[name] = (model, trained)
        acc_rows.append(
            {
                "variant": name,
                "flagged": flagged,
                "test_accuracy": trained.accuracy,
                "seconds": trained.seconds,
            }
        )
        for stage, net in (("init", model), ("trained", trained.model)):
            g = input_gradient(net, data["test_x"], projection=upstream)
            for period in periods:
                row = score_row("test patches", "grad <u, y>", g, tuple(period), True)
                grad_rows.append({"variant": name, "stage": stage, **row})
    return FixStudy(pd.DataFrame(acc_rows), pd.DataFrame(grad_rows), models)


#: A whole model's gradient counts as carrying the grid above this multiple of chance.
ZOO_LEVEL = 2.0


def collapsed_saliency(saliency: pd.DataFrame) -> pd.DataFrame:
    """The runs whose saliency is zero everywhere (the network stopped passing a gradient):
    one row per seed, variant and stage, as in ``saliency``.

    :func:`gradient_claims` leaves them out of the saliency's claims, where a harmonic
    fraction of a zero map means nothing; their accuracy stays in the cost claims.

    Examples
    --------
    >>> f = pd.DataFrame({"seed": [0, 0, 1], "variant": ["even"] * 3, "stage": ["trained"] * 3,
    ...                   "period": [2, 8, 2], "power": [0.0, 0.0, 1e-5]})
    >>> collapsed_saliency(f).to_dict("records")
    [{'seed': 0, 'variant': 'even', 'stage': 'trained'}]
    """
    from .._util.checks import check_frame

    check_frame("saliency", saliency, ("seed", "variant", "stage", "power"))
    dead = saliency[~(saliency.power > 0)]
    return dead[["seed", "variant", "stage"]].drop_duplicates().reset_index(drop=True)


def recommended_fix(claims: dict[str, list], *, fixes: Sequence[str] = FIXES) -> str | None:
    """The backward fix to use, by notebook 7's rule: of the ``fixes`` whose trained saliency
    stays below chance at every period measured, the one that loses least test accuracy
    (None when none qualifies).

    Parameters
    ----------
    claims : dict
        :func:`gradient_claims`' claims by section.
    fixes : sequence of str
        The fixes to choose from (the study's variants).

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> c = {
    ...     "classifier": [
    ...         claim("07-blur-trained-p2", "s", [0.5, 0.6, 0.55], statistic="x", rule="below",
    ...               threshold=1),
    ...         claim("07-pool-trained-p2", "s", [0.5, 0.7, 0.6], statistic="x", rule="below",
    ...               threshold=1),
    ...     ],
    ...     "cost": [
    ...         claim("07-cost-blur", "s", [0.2, 0.21, 0.2], statistic="x"),
    ...         claim("07-cost-pool", "s", [0.1, 0.12, 0.11], statistic="x"),
    ...     ],
    ... }
    >>> recommended_fix(c, fixes=("blur", "pool"))
    'pool'
    """
    from .._util.checks import as_names
    from .claims import Claim

    if not isinstance(claims, dict):
        raise TypeError(f"claims must be gradient_claims' dict, got {type(claims).__name__}")
    by_id = {}
    for key, part in claims.items():
        if isinstance(part, Claim) or not isinstance(part, (list, tuple)):
            raise TypeError(f"claims[{key!r}] must be a list of Claim, got {type(part).__name__}")
        for c in part:
            if not isinstance(c, Claim):
                raise TypeError(f"claims[{key!r}] must hold Claim, got {type(c).__name__}")
            by_id[c.id] = c
    fixes = as_names("fixes", fixes, allowed=FIXES)
    ok = []
    for v in fixes:
        grids = [c for i, c in by_id.items() if i.startswith(f"07-{v}-trained-p")]
        if grids and all(c.verdict == "holds" for c in grids) and f"07-cost-{v}" in by_id:
            ok.append(v)
    return min(ok, key=lambda v: by_id[f"07-cost-{v}"].estimate) if ok else None


def gradient_claims(
    accuracy: pd.DataFrame,
    saliency: pd.DataFrame,
    *,
    zoo: pd.DataFrame | None = None,
    adjoint: Sequence[float] | None = None,
) -> dict[str, list]:
    """Notebook 7's claims, by section, each decided over the seeds.

    Parameters
    ----------
    accuracy, saliency : DataFrame
        The ``gradients`` experiment's tables (``gradients_accuracy``,
        ``gradients_saliency``): :class:`FixStudy`'s frames over seeds, with ``seed`` and
        (saliency) ``period`` columns.
    zoo : DataFrame, optional
        :func:`artifact_lab.studies.architectures.zoo_audits`' frame of the backward
        audits: one claim per model, its gradient at noise above :data:`ZOO_LEVEL` × chance.
    adjoint : sequence of float, optional
        :func:`adjoint_check`'s largest difference, one per seed: the closed form agrees
        with autograd.

    Returns
    -------
    dict
        ``"layers"``, ``"zoo"``, ``"classifier"``, ``"cost"`` -> claims.
    """
    from .._util.checks import as_real_array, check_frame
    from .claims import claim

    check_frame("accuracy", accuracy, ("seed", "variant", "test_accuracy"))
    check_frame("saliency", saliency, ("seed", "variant", "stage", "period",
                                       "harmonic_fraction", "chance", "power"))  # fmt: skip
    if zoo is not None:
        check_frame("zoo", zoo, ("model", "seed", "input", "period", "times_chance"))
    if adjoint is not None:
        adjoint = as_real_array("adjoint", adjoint)
        if adjoint.ndim != 1:
            raise ValueError(f"adjoint must hold one value per seed (1-D), got {adjoint.shape}")
    for name, frame in (("accuracy", accuracy), ("saliency", saliency)):
        if "original" not in set(frame.variant):
            raise ValueError(f"{name} must hold the classifier as it is (variant 'original')")
    out: dict[str, list] = {"layers": [], "zoo": [], "classifier": [], "cost": []}
    if adjoint is not None:
        out["layers"].append(
            claim(
                "07-adjoint",
                "autograd's gradient of every strided convolution and average pool is its "
                "closed-form adjoint (largest difference below 1e-12)",
                np.asarray(adjoint, dtype=float),
                statistic="largest difference, closed form against autograd",
                rule="below",
                threshold=1e-12,
            )
        )
    if zoo is not None:
        noise = zoo[zoo.input == "noise"]
        for name, part in noise.groupby("model", sort=False):
            out["zoo"].append(
                claim(
                    f"07-zoo-{name}",
                    f"the input gradient of {name} at noise carries more than {ZOO_LEVEL:g}× "
                    f"chance at its period {part.period.iloc[0]}",
                    part.sort_values("seed").times_chance.to_numpy(),
                    statistic="harmonic fraction / chance",
                    threshold=ZOO_LEVEL,
                    scale="log",
                )
            )
    # a saliency that is zero everywhere has no harmonic fraction: its run collapsed (a dead
    # network); it is left out of the grid's claims and named by collapsed_saliency()
    s = saliency[saliency.power > 0]
    s = s.assign(x=s.harmonic_fraction / s.chance)
    x = s.pivot_table(index="seed", columns=["variant", "stage", "period"], values="x")
    x = x.reindex(sorted(set(saliency.seed)))
    periods = sorted(s.period.unique())
    cl = out["classifier"]
    for p in periods:
        cl.append(
            claim(
                f"07-init-p{p}",
                f"the untrained classifier's saliency carries more than chance at period {p}",
                x[("original", "init", p)].to_numpy(),
                statistic="harmonic fraction / chance",
                threshold=1,
                scale="log",
            )
        )
        cl.append(
            claim(
                f"07-training-raises-p{p}",
                f"training raises the classifier's grid at period {p}",
                x[("original", "trained", p)].to_numpy(),
                minus=x[("original", "init", p)].to_numpy(),
                statistic="× chance trained / untrained",
                threshold=1,
                scale="log",
            )
        )
    fixes = [v for v in dict.fromkeys(s.variant) if v != "original"]
    for v in fixes:
        for p in periods:
            cl.append(
                claim(
                    f"07-{v}-trained-p{p}",
                    f"with the {v} fix, the trained saliency stays below chance at period {p}",
                    x[(v, "trained", p)].dropna().to_numpy(),
                    statistic="harmonic fraction / chance",
                    rule="below",
                    threshold=1,
                    scale="log",
                )
            )
    acc = accuracy.pivot(index="seed", columns="variant", values="test_accuracy")
    for v in fixes:
        out["cost"].append(
            claim(
                f"07-cost-{v}",
                f"the {v} fix costs test accuracy",
                acc["original"].to_numpy(),
                minus=acc[v].to_numpy(),
                statistic="accuracy as it is minus with the fix",
            )
        )
    for i, a in enumerate(fixes):
        for b in fixes[i + 1 :]:
            out["cost"].append(
                claim(
                    f"07-order-{a}-{b}",
                    f"the {a} fix keeps more test accuracy than the {b} fix",
                    acc[a].to_numpy(),
                    minus=acc[b].to_numpy(),
                    statistic=f"accuracy with {a} minus with {b}",
                )
            )
    return out
