"""Keeping upsamplers clean while they train: the penalty, the constrained layer, and what
they cost (the study behind notebook 8).

Trains the ×``factor`` super-resolution model of :mod:`.training` with each method of
:func:`prevention_methods`: plain transposed convolution, the same plus
``λ · checkerboard_penalty(model)``, the constrained layer of :mod:`artifact_lab.prevent.nn`,
ICNR sub-pixel convolution and nearest resize-convolution; the monitor records the
upsampler's closed-form scores while it trains.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .._util.checks import (
    as_names,
    check_bool,
    check_frame,
    check_instance,
    check_int,
    check_items,
    check_seeds,
    check_str,
)
from ..backend import select_device
from ..core.images import IMAGES
from ..prevent.losses import layer_scores
from .claims import Claim
from .training import (
    COLUMNS,
    HELD_OUT,
    TRAIN_IMAGES,
    Budget,
    RunSpec,
    check_budget,
    check_images,
    downsample,
    held_out_quality,
    pictures,
    run_spec,
    train_run,
)

__all__ = [
    "CLEAN_LEVEL",
    "PENALTIES",
    "PREVENTION_COLUMNS",
    "SUM_PENALTIES",
    "PreventionResult",
    "collapsed_runs",
    "label_run",
    "prevention_choices",
    "prevention_claims",
    "prevention_methods",
    "prevention_reference",
    "prevention_runs",
    "prevention_study",
]

PENALTIES = (1e-3, 1e-1, 1.0)  # channels="pairs", the penalty's default
SUM_PENALTIES = (0.1,)  # channels="sum": weight_scores' aggregate

PREVENTION_COLUMNS = {
    "method": "what keeps the artifacts away (or nothing: plain transposed)",
    "penalty": "weight of losses.checkerboard_penalty in the loss (0: none)",
    "channels": "the penalty's channels= option (pairs or sum)",
    **COLUMNS,
}


def _check_lambdas(name: str, lambdas: Sequence[float]) -> tuple[float, ...]:
    if isinstance(lambdas, (str, bytes)) or not isinstance(lambdas, (Sequence, range)):
        raise TypeError(f"{name} must be a sequence of positive numbers, got {lambdas!r}")
    out = []
    for lam in lambdas:
        if isinstance(lam, bool) or not isinstance(lam, (int, float)) or not lam > 0:
            raise ValueError(f"{name} must be positive numbers, got {lam!r}")
        if not np.isfinite(lam):
            raise ValueError(f"{name} must be finite, got {lam!r}")
        out.append(float(lam))
    return tuple(out)


def prevention_methods(
    factor: int = 2,
    lambdas: Sequence[float] = PENALTIES,
    sum_lambdas: Sequence[float] = SUM_PENALTIES,
) -> pd.DataFrame:
    """The methods compared by :func:`prevention_study`.

    Plain transposed convolution ``k = 2s`` (torch's init); the same with the penalty
    (``channels="pairs"``, the default) at each of ``lambdas`` and with its
    ``channels="sum"`` variant at each of ``sum_lambdas``; the constrained layer of the same
    geometry; ICNR sub-pixel convolution; nearest resize-convolution.

    Returns
    -------
    DataFrame with columns ``method``, ``variant``, ``penalty``, ``channels``.

    Examples
    --------
    >>> print(prevention_methods(2, (0.1,), (1.0,)).to_string(index=False))
                method                   variant  penalty channels
            transposed            transposed k=4      0.0    pairs
         penalty λ=0.1            transposed k=4      0.1    pairs
     penalty (sum) λ=1            transposed k=4      1.0      sum
           constrained transposed k=4 constrained      0.0    pairs
        sub-pixel ICNR            sub-pixel ICNR      0.0    pairs
           resize-conv       resize-conv nearest      0.0    pairs
    """
    s = check_int("factor", factor, minimum=2)
    plain = f"transposed k={2 * s}"
    rows = [("transposed", plain, 0.0, "pairs")]
    rows += [(f"penalty λ={x:g}", plain, x, "pairs") for x in _check_lambdas("lambdas", lambdas)]
    rows += [
        (f"penalty (sum) λ={x:g}", plain, x, "sum")
        for x in _check_lambdas("sum_lambdas", sum_lambdas)
    ]
    rows += [
        ("constrained", f"{plain} constrained", 0.0, "pairs"),
        ("sub-pixel ICNR", "sub-pixel ICNR", 0.0, "pairs"),
        ("resize-conv", "resize-conv nearest", 0.0, "pairs"),
    ]
    return pd.DataFrame(rows, columns=["method", "variant", "penalty", "channels"])


@dataclass(frozen=True)
class PreventionResult:
    """What :func:`prevention_study` measured.

    Attributes
    ----------
    quality : DataFrame
        One row per method x factor x seed x evaluation step; :data:`PREVENTION_COLUMNS`.
    scores : DataFrame
        The monitor's records (:func:`artifact_lab.monitor`), every ``scores_every`` steps,
        for every method with a transposed or sub-pixel layer (resize-convolution has none:
        its effective kernel is a convolution smoothed by the hold, score 0 by construction),
        with ``method``, ``penalty``, ``factor``, ``seed`` columns.
    reference : DataFrame
        Per factor, what the numbers are to be read against: PSNR and SSIM of bicubic
        interpolation of the same inputs (no training), the harmonic fraction of the pictures
        themselves (the measured fraction's chance level), and the mean and standard deviation
        of the score of torch's default initialisation of the plain layer over 100 seeds (the
        score's chance level; about ``1 - 1/s^2``).
    budget : Budget
    models : dict
        ``(factor, method)`` -> the trained model of the first seed (``keep_models=True``).
    """

    quality: pd.DataFrame
    scores: pd.DataFrame
    reference: pd.DataFrame
    budget: Budget
    models: dict[tuple[int, str], nn.Module] = field(default_factory=dict, repr=False)

    def to_frame(self) -> pd.DataFrame:
        return self.quality.copy()

    def summary(self) -> pd.DataFrame:
        """Final evaluation per factor and method over seeds: mean and spread.

        Columns: score at initialisation (mean), final score (mean, max over seeds), final
        pair score from the monitor (mean, max; NaN for resize-convolution, which has no
        weight to score and is 0 by construction), PSNR and SSIM (mean, std, min, max), the
        harmonic fraction measured on the held-out outputs (mean), and the PSNR difference to
        plain transposed convolution paired by seed (mean, std, standard error of the mean).
        """
        q = self.quality
        last = q[q.step == q.step.max()]
        plain = last[last.method == "transposed"].set_index(["factor", "seed"]).psnr
        last = last.assign(
            dpsnr=last.psnr.to_numpy()
            - plain.reindex(pd.MultiIndex.from_frame(last[["factor", "seed"]])).to_numpy()
        )
        order = {m: i for i, m in enumerate(dict.fromkeys(q.method))}
        g = last.groupby(["factor", "method"], sort=False)
        first = q[q.step == q.step.min()].groupby(["factor", "method"], sort=False)
        m = self.scores
        pair = m[m.step == m.step.max()].groupby(["factor", "method"]).pair_score
        out = pd.DataFrame(
            {
                "score at init": first.checkerboard_score.mean(),
                "score mean": g.checkerboard_score.mean(),
                "score max": g.checkerboard_score.max(),
                "pair score mean": pair.mean(),
                "pair score max": pair.max(),
                "PSNR mean": g.psnr.mean(),
                "PSNR std": g.psnr.std(ddof=1),
                "PSNR min": g.psnr.min(),
                "PSNR max": g.psnr.max(),
                "SSIM mean": g.ssim.mean(),
                "SSIM std": g.ssim.std(ddof=1),
                "harmonic fraction": g.harmonic_fraction.mean(),
                "ΔPSNR vs plain": g.dpsnr.mean(),
                "ΔPSNR std": g.dpsnr.std(ddof=1),
                "ΔPSNR se": g.dpsnr.std(ddof=1) / np.sqrt(g.seed.nunique()),
                "seeds": g.seed.nunique(),
            }
        ).reset_index()
        out["_o"] = out.method.map(order)
        return out.sort_values(["factor", "_o"]).drop(columns="_o").reset_index(drop=True)


def prevention_reference(
    factor: int, budget: str | Budget = "prevention", held_out: Sequence[str] = HELD_OUT
) -> dict[str, float]:
    """What the study's numbers are read against, at one factor (no training).

    Bicubic interpolation's PSNR, SSIM and harmonic fraction on the held-out pictures; the
    pictures' own harmonic fraction; the closed-form score (aggregate and pairs) of torch's
    default initialisation of the plain ``k = 2s`` layer over seeds 0-99 (its chance level,
    about ``1 - 1/s^2``).

    Examples
    --------
    >>> ref = prevention_reference(2)
    >>> round(ref["1 - 1/s^2"], 2), bool(ref["bicubic PSNR"] > 20)
    (0.75, True)
    """
    from ..core.kernels import default_weight
    from ..core.scores import weight_scores

    factor = check_int("factor", factor, minimum=2)
    budget = check_budget(budget, "sr", factor)
    held_out = as_names("held_out", held_out, allowed=IMAGES)
    hr = pictures(held_out, budget.eval_size)[:, None]
    bicubic = F.interpolate(
        downsample(hr, factor), scale_factor=factor, mode="bicubic", align_corners=False
    )
    q = held_out_quality(bicubic, hr, factor)
    truth = held_out_quality(hr, hr, factor, metrics=False)
    weights = [
        default_weight(budget.channels, budget.channels, 2 * factor, seed=seed)
        for seed in range(100)
    ]
    chance = [weight_scores(w, factor).checkerboard_score for w in weights]
    pairs = [float(layer_scores(w, factor, channels="pairs")[0]) for w in weights]
    return {
        "factor": factor,
        "bicubic PSNR": q["psnr"],
        "bicubic SSIM": q["ssim"],
        "pictures harmonic fraction": truth["harmonic_fraction"],
        "bicubic harmonic fraction": q["harmonic_fraction"],
        "random-init score mean": float(np.mean(chance)),
        "random-init score std": float(np.std(chance, ddof=1)),
        "random-init pair score mean": float(np.mean(pairs)),
        "1 - 1/s^2": 1 - 1 / factor**2,
    }


def prevention_study(
    factors: Sequence[int] = (2, 4),
    *,
    lambdas: Sequence[float] = PENALTIES,
    sum_lambdas: Sequence[float] = SUM_PENALTIES,
    seeds: Sequence[int] = (0, 1, 2),
    budget: str | Budget = "prevention",
    scores_every: int = 5,
    train_images: Sequence[str] = TRAIN_IMAGES,
    held_out: Sequence[str] = HELD_OUT,
    device: str | torch.device | None = None,
    keep_models: bool = False,
    progress: bool = True,
) -> PreventionResult:
    """Does the penalty keep artifacts away, at what cost, and where do the others stand?

    Trains the ×``factor`` super-resolution model of :func:`train_upsamplers` with each
    method of :func:`prevention_methods` (plain transposed ``k = 2s``; the same plus
    ``λ · checkerboard_penalty(model)`` for each ``λ``; the constrained layer; ICNR sub-pixel;
    nearest resize-convolution), once per seed, recording the scores with the monitor every
    ``scores_every`` steps and PSNR/SSIM on the held-out pictures at the budget's evaluation
    points. Same seed, same initialisation and same patches for every method.

    Parameters
    ----------
    factors : sequence of int
        Upsampling factors (each >= 2; the budget's patch must be a multiple of each).
    lambdas : sequence of float
        Penalty weights (positive) for ``checkerboard_penalty(..., channels="pairs")``; the
        loss is ``MSE + λ · penalty``, with the MSE of pictures in [0, 1] (about 1e-2).
    sum_lambdas : sequence of float
        Weights for the ``channels="sum"`` variant (``weight_scores``'s aggregate).
    seeds : sequence of int
    budget : str or Budget
        ``"prevention"`` (default: 80 steps, 32-pixel patches, 8 channels; about 30 s of CPU
        for 2 factors x 8 methods x 3 seeds) or any :data:`BUDGETS` entry.
    scores_every : int
        Monitor period in steps.
    keep_models : bool
        Keep the first seed's trained model of each factor and method (in eval mode).

    Returns
    -------
    PreventionResult
        ``.quality``, ``.scores``, ``.reference``; ``.summary()`` for the final table.

    Examples
    --------
    >>> tiny = Budget(steps=4, evals=1, batch=2, patch=16, channels=2, lr=1e-3, eval_size=32)
    >>> r = prevention_study((2,), lambdas=(0.1,), seeds=(0,), budget=tiny, progress=False)
    >>> table = r.summary().set_index("method")
    >>> bool(table.loc[["constrained", "resize-conv"], "score max"].max() < 1e-9)
    True
    >>> bool(table.loc["transposed", "score max"] > 0.1)
    True
    """
    runs = prevention_runs(
        factors,
        lambdas=lambdas,
        sum_lambdas=sum_lambdas,
        seeds=seeds,
        budget=budget,
        train_images=train_images,
        held_out=held_out,
    )
    seeds = check_seeds("seeds", seeds, scalar=False)
    factors = tuple(dict.fromkeys(run.factor for _, run in runs))
    keep_models = check_bool("keep_models", keep_models)
    progress = check_bool("progress", progress)
    scores_every = check_int("scores_every", scores_every, minimum=1)
    dev = select_device(device)
    quality, scores, models = [], [], {}
    total = sum(r.budget.steps for _, r in runs)
    bar = tqdm(total=total, disable=not progress, desc="prevention", unit="step")
    try:
        for method, run in runs:
            bar.set_postfix_str(f"x{run.factor} {method}, seed {run.seed}")
            keep = keep_models and run.seed == seeds[0]
            result = train_run(run, device=dev, keep_model=keep, scores_every=scores_every, bar=bar)
            if keep:
                models[run.factor, method] = result.model
            frame, monitored = label_run(result.frame, method, run), result.scores
            quality.append(frame)
            scores.append(label_run(monitored, method, run))
    finally:
        bar.close()
    budgets = {run.factor: run.budget for _, run in runs}
    held = runs[0][1].held_out
    reference = pd.DataFrame([prevention_reference(f, budgets[f], held) for f in factors])
    return PreventionResult(
        pd.concat(quality, ignore_index=True),
        pd.concat(scores, ignore_index=True),
        reference,
        budgets[factors[0]],
        models,
    )


def label_run(frame: pd.DataFrame, method: str, run: RunSpec) -> pd.DataFrame:
    """``frame`` (a copy) with the prevention study's ``method``, ``penalty`` and ``channels``
    columns in front, as in :data:`PREVENTION_COLUMNS`.

    Examples
    --------
    >>> tiny = check_budget("tiny", "sr", 2)
    >>> spec = run_spec("sr", "transposed k=4", 2, 0, tiny, "camera", "coins")
    >>> spec = replace(spec, penalty=0.1)
    >>> [str(v) for v in label_run(pd.DataFrame({"x": [1]}), "penalty λ=0.1", spec).iloc[0]]
    ['penalty λ=0.1', '0.1', 'pairs', '1']
    """
    check_frame("frame", frame)
    check_str("method", method, empty_ok=False)
    check_instance("run", run, RunSpec, hint="run_spec() builds one")
    part = frame.copy()
    part.insert(0, "channels", run.penalty_channels if run.penalty else "")
    part.insert(0, "penalty", run.penalty)
    part.insert(0, "method", method)
    return part


def prevention_runs(
    factors: Sequence[int] = (2, 4),
    *,
    lambdas: Sequence[float] = PENALTIES,
    sum_lambdas: Sequence[float] = SUM_PENALTIES,
    seeds: Sequence[int] = (0, 1, 2),
    budget: str | Budget = "prevention",
    train_images: Sequence[str] = TRAIN_IMAGES,
    held_out: Sequence[str] = HELD_OUT,
) -> list[tuple[str, RunSpec]]:
    """The runs of :func:`prevention_study`, in its order: ``(method, RunSpec)`` per factor,
    seed and method (arguments as there, checked before any work).

    Train one with :func:`artifact_lab.studies.training.train_run`: the experiment runner
    does so to checkpoint each run on its own.

    Examples
    --------
    >>> runs = prevention_runs((2,), lambdas=(0.1,), sum_lambdas=(), seeds=(0,))
    >>> [(method, run.variant, run.penalty) for method, run in runs][:2]
    [('transposed', 'transposed k=4', 0.0), ('penalty λ=0.1', 'transposed k=4', 0.1)]
    """
    if isinstance(factors, (str, bytes)) or not isinstance(factors, (Sequence, range)):
        raise TypeError(f"factors must be a sequence of ints, got {factors!r}")
    factors = tuple(check_int("factors", f, minimum=2) for f in factors)
    if not factors:
        raise ValueError("factors must not be empty")
    methods = {f: prevention_methods(f, lambdas, sum_lambdas) for f in factors}
    seeds = check_seeds("seeds", seeds, scalar=False)
    budgets = {}
    for f in factors:
        try:
            budgets[f] = check_budget(budget, "sr", f)
        except ValueError as exc:  # the budget was fine before this factor: name the factor
            raise ValueError(f"factors: {f} does not fit the budget: {exc}") from None
    train_images, held_out = check_images(train_images, held_out)
    runs = []
    for f in factors:
        for seed in seeds:
            for m in methods[f].itertuples():
                run = run_spec("sr", m.variant, f, seed, budgets[f], train_images, held_out)
                runs.append(
                    (m.method, replace(run, penalty=m.penalty, penalty_channels=m.channels))
                )
    return runs


#: A pair score below this after training counts as clean weights.
CLEAN_LEVEL = 0.01


def prevention_claims(
    quality: pd.DataFrame, scores: pd.DataFrame, reference: pd.DataFrame
) -> dict[str, list]:
    """Notebook 8's claims, by section, from the ``prevention`` experiment's tables.

    Parameters
    ----------
    quality, scores, reference : DataFrame
        :attr:`PreventionResult.quality`, ``.scores`` and ``.reference`` (or the stored
        tables ``prevention_quality``, ``prevention_scores``, ``prevention_reference``).

    Returns
    -------
    dict
        ``"weights"``: the pair score after training per method and factor, against
        :data:`CLEAN_LEVEL` (the constrained layer: its largest pair score over all steps
        against 1e-9; ICNR: the drift claim notebook 5 makes too); ``"outputs"``: each
        method's outputs against the pictures' own harmonic fraction (log scale); ``"quality"``:
        the PSNR difference to the plain layer, paired by seed (a cost when below 0).

    Examples
    --------
    >>> tiny = Budget(steps=2, evals=1, batch=2, patch=16, channels=2, lr=1e-3, eval_size=32)
    >>> r = prevention_study((2,), lambdas=(1.0,), sum_lambdas=(), seeds=(0, 1), budget=tiny,
    ...                      progress=False)
    >>> claims = prevention_claims(r.quality, r.scores, r.reference)
    >>> sorted(claims), claims["weights"][0].id
    (['outputs', 'quality', 'weights'], '08-clean-transposed-x2')
    """
    from .claims import claim
    from .learning import drift_claims

    for name, frame, need in (
        ("quality", quality, PREVENTION_COLUMNS),
        ("scores", scores, ("method", "factor", "seed", "step", "pair_score")),
        ("reference", reference, ("factor", "pictures harmonic fraction")),
    ):
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"{name} must be a DataFrame, got {type(frame).__name__}")
        missing = sorted(set(need) - set(frame.columns))
        if missing:
            raise ValueError(f"{name} lacks the columns {missing}")
    unknown = sorted(set(quality.factor) - set(reference.factor))
    if unknown:
        raise ValueError(f"reference lacks the factors {unknown} that quality holds")
    if len(quality) and "transposed" not in set(quality.method):
        raise ValueError("quality must hold the plain layer (method 'transposed'): the reference")
    ref = reference.set_index("factor")
    last = quality[quality.step == quality.step.max()]
    final = scores[scores.step == scores.step.max()]
    methods = list(dict.fromkeys(quality.method))
    out: dict[str, list] = {"weights": [], "outputs": [], "quality": []}
    for f in sorted(quality.factor.unique()):
        at = last[last.factor == f]
        q = at.pivot(index="seed", columns="method", values="psnr")
        hf = at.pivot(index="seed", columns="method", values="harmonic_fraction")
        pair = final[final.factor == f].pivot(index="seed", columns="method", values="pair_score")
        level = float(ref.loc[f, "pictures harmonic fraction"])
        for m in methods:
            slug = f"{_slug(m)}-x{f}"
            if m == "constrained":
                top = scores[(scores.factor == f) & (scores.method == m)].groupby("seed")
                out["weights"].append(
                    claim(
                        f"08-zero-{slug}",
                        f"the constrained layer's pair score stays 0 at every step at ×{f} "
                        "(below 1e-9)",
                        top.pair_score.max().to_numpy(),
                        statistic="largest pair score over the steps",
                        rule="below",
                        threshold=1e-9,
                    )
                )
            elif m == "resize-conv":  # no weight to monitor: its effective kernel's score
                top = quality[(quality.factor == f) & (quality.method == m)].groupby("seed")
                out["weights"].append(
                    claim(
                        f"08-zero-{slug}",
                        f"resize-convolution's effective kernel scores 0 at every evaluation at "
                        f"×{f} (below 1e-9)",
                        top.checkerboard_score.max().to_numpy(),
                        statistic="largest score over the evaluations",
                        rule="below",
                        threshold=1e-9,
                    )
                )
            elif m in pair.columns and m != "sub-pixel ICNR":
                out["weights"].append(
                    claim(
                        f"08-clean-{slug}",
                        f"{_name(m)} ends with clean weights at ×{f}: pair score below "
                        f"{CLEAN_LEVEL:g}",
                        pair[m].to_numpy(),
                        statistic="pair score after training",
                        rule="below",
                        threshold=CLEAN_LEVEL,
                    )
                )
                if m.startswith("penalty (sum)"):
                    agg = at.pivot(index="seed", columns="method", values="checkerboard_score")
                    out["weights"].append(
                        claim(
                            f"08-aggregate-{slug}",
                            f"{_name(m)} brings the aggregate score (the one it penalises) below "
                            f"{CLEAN_LEVEL:g} at ×{f}",
                            agg[m].to_numpy(),
                            statistic="aggregate score after training",
                            rule="below",
                            threshold=CLEAN_LEVEL,
                        )
                    )
            alive = hf[m][hf[m] > 0]  # a collapsed run's constant output has no grid to weigh
            dropped = len(hf[m]) - len(alive)
            out["outputs"].append(
                claim(
                    f"08-outputs-{slug}",
                    f"{_name(m)}'s outputs at ×{f} carry more harmonic power than the pictures",
                    alive.to_numpy() / level,
                    statistic="harmonic fraction of the outputs / the pictures' own"
                    + (f" (seeds whose output is not constant: {dropped} collapsed)" if dropped
                       else ""),
                    threshold=1,
                    scale="log",
                )
            )  # fmt: skip
            if m != "transposed":
                out["quality"].append(
                    claim(
                        f"08-cost-{slug}",
                        f"{_name(m)} costs PSNR against the plain layer at ×{f}",
                        q[m].to_numpy(),
                        minus=q["transposed"].to_numpy(),
                        statistic="PSNR minus the plain layer's, dB",
                        rule="below",
                    )
                )
        if "sub-pixel ICNR" in pair.columns:
            icnr = scores[(scores.factor == f) & (scores.method == "sub-pixel ICNR")]
            out["weights"] += drift_claims(
                icnr, ["sub-pixel ICNR"], prefix=f"08-x{f}", where=f" at ×{f}"
            )
    return out


def collapsed_runs(quality: pd.DataFrame) -> pd.DataFrame:
    """The runs whose trained model puts out a constant picture (every ReLU of a layer off):
    their outputs carry no power beside DC, so their harmonic fraction is exactly 0.

    Returns the last evaluation of each such run (``method``, ``factor``, ``seed``, ``psnr``,
    ``loss``); empty when none collapsed.

    Examples
    --------
    >>> collapsed_runs(pd.DataFrame({"method": ["a"], "factor": [2], "seed": [0], "step": [5],
    ...                              "psnr": [11.0], "loss": [0.05],
    ...                              "harmonic_fraction": [0.0]})).seed.tolist()
    [0]
    """
    check_frame("quality", quality, ("method", "factor", "seed", "step", "psnr", "loss",
                                      "harmonic_fraction"))  # fmt: skip
    last = quality[quality.step == quality.step.max()]
    dead = last[last.harmonic_fraction == 0]
    return dead[["method", "factor", "seed", "psnr", "loss"]].reset_index(drop=True)


def prevention_choices(claims: dict[str, list]) -> pd.DataFrame:
    """Which methods meet all three tests, per factor, by a stated rule.

    A method meets them when its weights are clean (its ``08-clean`` or ``08-zero`` claim
    holds, or its drift claim does not hold), its outputs carry no more harmonic power than
    the pictures (its ``08-outputs`` claim does not hold) and no PSNR cost against the plain
    layer is resolved (its ``08-cost`` claim does not hold or is unresolved; the plain layer
    is the reference and has none).

    Parameters
    ----------
    claims : dict
        :func:`prevention_claims`' sections.

    Returns
    -------
    DataFrame
        One row per factor and method: ``factor``, ``method``, the claim id and verdict of
        each test (``weights``, ``outputs``, ``cost``; ``cost`` empty for the plain layer),
        ``weights_ok``, ``outputs_ok``, ``cost_ok`` and ``meets``.
    """
    import re

    if not isinstance(claims, dict):
        raise TypeError(f"claims must be prevention_claims()' dict of sections, got {claims!r}")
    if not {"weights", "outputs", "quality"} <= set(claims):
        raise ValueError(f"claims must hold the sections weights, outputs, quality: {claims!r}")
    for key, part in claims.items():
        check_items(f"claims[{key!r}]", part, Claim, hint="prevention_claims() gives them")
    by_id = {c.id: c for part in claims.values() for c in part}
    rows = []
    for c in claims["outputs"]:
        hit = re.fullmatch(r"08-outputs-(.+)-x(\d+)", c.id)
        slug, f = hit.group(1), int(hit.group(2))
        weights = next(
            (by_id[i] for i in (f"08-clean-{slug}-x{f}", f"08-zero-{slug}-x{f}",
                                f"08-x{f}-drift-subpixel-icnr") if i in by_id
             and (not i.startswith(f"08-x{f}-drift") or slug == "sub-pixel-icnr")),
            None,
        )  # fmt: skip
        cost = by_id.get(f"08-cost-{slug}-x{f}")
        drift = weights is not None and "-drift-" in weights.id
        w_ok = weights is not None and weights.verdict == ("does not hold" if drift else "holds")
        rows.append(
            {
                "factor": f,
                "method": c.statement.split("'s outputs")[0],
                "weights": weights.id if weights else "",
                "weights verdict": weights.verdict if weights else "",
                "outputs": c.id,
                "outputs verdict": c.verdict,
                "cost": cost.id if cost else "",
                "cost verdict": cost.verdict if cost else "",
                "weights_ok": w_ok,
                "outputs_ok": c.verdict == "does not hold",
                "cost_ok": cost is None or cost.verdict != "holds",
            }
        )
    out = pd.DataFrame(rows)
    out["meets"] = out.weights_ok & out.outputs_ok & out.cost_ok
    return out


def _slug(method: str) -> str:
    return (
        method.replace("penalty (sum) ", "sum-")
        .replace("penalty ", "penalty-")
        .replace(" ", "-")
        .replace("=", "")
        .replace("λ", "l")
        .lower()
    )


def _name(method: str) -> str:
    """The method as a sentence names it."""
    if method == "transposed":
        return "the plain transposed convolution"
    if method.startswith("penalty (sum)"):
        return "the sum penalty " + method.removeprefix("penalty (sum) ")
    if method.startswith("penalty"):
        return "the penalty " + method.removeprefix("penalty ")
    if method == "constrained":
        return "the constrained layer"
    return method
