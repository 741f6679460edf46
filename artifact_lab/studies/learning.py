"""What learning does to artifacts, decided from the stored runs (notebook 5).

:func:`learning_claims` turns the tables of the ``learning`` experiment
(:mod:`artifact_lab.studies.experiments`) into claims, each decided by its stated rule over
the seeds (:mod:`artifact_lab.studies.claims`); :func:`drift_claims` is the one claim
notebooks 5 and 8 share: a clean initialisation does not stay exactly clean.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._util.checks import (
    MAX_ELEMENTS,
    as_names,
    check_elements,
    check_float,
    check_frame,
    check_int,
    check_str,
)
from ..core.images import IMAGES
from .claims import Claim, claim
from .training import COLUMNS, HELD_OUT, held_out_quality, pictures

__all__ = [
    "DEFAULT_INIT",
    "DRIFT_LEVEL",
    "QUALITY_MARGIN_DB",
    "QUALITY_PAIRS",
    "drift_claims",
    "final_values",
    "learning_claims",
    "pictures_level",
]

#: The default-initialised variants at ×2, and the clean variant of each one's geometry.
DEFAULT_INIT = {
    "transposed k=3": "resize-conv nearest",
    "transposed k=4": "transposed k=4 bilinear init",
    "sub-pixel": "sub-pixel ICNR",
}
#: Pairs compared for quality (default first, the clean replacement second).
QUALITY_PAIRS = tuple(DEFAULT_INIT.items())
#: A trained closed-form score above this is a checkerboard that training brought in.
DRIFT_LEVEL = 0.01
#: A PSNR difference within this many dB counts as no difference in quality.
QUALITY_MARGIN_DB = 0.5


def pictures_level(factor: int, eval_size: int, held_out: Sequence[str] = HELD_OUT) -> float:
    """The held-out pictures' own harmonic fraction at period ``factor``, measured on the
    crop the training runs measure their outputs on: what a perfect upsampler scores.

    Examples
    --------
    >>> round(pictures_level(2, 64), 5)
    0.0011
    """
    factor = check_int("factor", factor, minimum=1)
    eval_size = check_int("eval_size", eval_size, minimum=8)
    if eval_size < 4 * factor + factor:
        raise ValueError(
            f"eval_size={eval_size} leaves no whole period of {factor} inside a crop of two "
            f"periods per side: at least {5 * factor}"
        )
    held_out = as_names("held_out", held_out, allowed=IMAGES)
    shape = (len(held_out), eval_size, eval_size)
    check_elements("eval_size", shape, MAX_ELEMENTS, "measure a smaller crop")
    hr = pictures(held_out, eval_size)[:, None]
    return held_out_quality(hr, hr, factor, metrics=False)["harmonic_fraction"]


def final_values(frame: pd.DataFrame, column: str, *, step: str = "last") -> pd.DataFrame:
    """``column`` at the first or last evaluation, one row per seed, one column per variant.

    Examples
    --------
    >>> f = pd.DataFrame({"variant": ["a", "a", "b", "b"], "seed": [0, 0, 0, 0],
    ...                   "step": [0, 5, 0, 5], "psnr": [1.0, 2.0, 3.0, 4.0]})
    >>> final_values(f, "psnr").loc[0].tolist()
    [2.0, 4.0]
    """
    check_frame("frame", frame)
    check_str("column", column, empty_ok=False)
    for name in ("variant", "seed", "step", column):
        if name not in frame.columns:
            raise ValueError(f"frame lacks the column {name!r}")
    if step not in ("first", "last"):
        raise ValueError(f"step must be 'first' or 'last', got {step!r}")
    at = frame.step.min() if step == "first" else frame.step.max()
    part = frame[frame.step == at]
    return part.pivot(index="seed", columns="variant", values=column).sort_index()


def drift_claims(
    frame: pd.DataFrame, variants: Sequence[str], *, prefix: str, where: str = ""
) -> list[Claim]:
    """For each clean-initialised variant: its trained closed-form score is above
    :data:`DRIFT_LEVEL` (training brings a checkerboard into a layer that started without).

    ``frame`` has ``variant``, ``seed``, ``step`` and a score column, ``checkerboard_score``
    or the monitor's ``pair_score`` (preferred when present: it is the score the penalty
    and the constrained layer are about); ``where`` is added to each statement.
    """
    check_frame("frame", frame)
    variants = as_names("variants", variants)
    check_str("prefix", prefix, empty_ok=False)
    check_str("where", where)
    column = "pair_score" if "pair_score" in frame.columns else "checkerboard_score"
    last = final_values(frame, column)
    missing = [v for v in variants if v not in last.columns]
    if missing:
        raise ValueError(f"variants {missing} are not in frame (it holds {list(last.columns)})")
    what = "pair score" if column == "pair_score" else "closed-form score"
    out = []
    for v in variants:
        out.append(
            claim(
                f"{prefix}-drift-{_slug(v)}",
                f"{v} does not stay clean{where}: its {what} after training is above "
                f"{DRIFT_LEVEL:g}",
                last[v].to_numpy(),
                statistic=f"{what} after training",
                rule="above",
                threshold=DRIFT_LEVEL,
            )
        )
    return out


def _slug(name: str) -> str:
    return (
        name.replace("transposed ", "t")
        .replace("resize-conv ", "resize-")
        .replace(" init", "")
        .replace("sub-pixel", "subpixel")
        .replace(" ", "-")
        .replace("=", "")
        .lower()
    )


def learning_claims(
    sr: pd.DataFrame,
    errors: pd.DataFrame,
    autoencoder: pd.DataFrame,
    *,
    level_x2: float,
    level_x4: float,
) -> dict[str, list[Claim]]:
    """Notebook 5's claims, by section, from the ``learning`` experiment's three tables.

    Parameters
    ----------
    sr, errors, autoencoder : DataFrame
        The tables ``learning``, ``learning_errors`` and ``learning_autoencoder``.
    level_x2, level_x4 : float
        The held-out pictures' own harmonic fraction at periods 2 and 4
        (:func:`pictures_level`): the level a perfect output carries.

    Returns
    -------
    dict
        Section name (``"closed form"``, ``"outputs"``, ``"error"``, ``"quality"``,
        ``"autoencoder"``) -> its claims, every one decided over all seeds of the tables.
    """
    for name, frame in (("sr", sr), ("autoencoder", autoencoder)):
        check_frame(name, frame)
        missing = sorted(set(COLUMNS) - set(frame.columns))
        if missing:
            raise ValueError(f"{name} lacks the columns {missing}: pass the stored table")
    check_frame("errors", errors, ("variant", "seed", "times_chance"))
    level_x2 = check_float("level_x2", level_x2, positive=True)
    level_x4 = check_float("level_x4", level_x4, positive=True)
    for name, frame in (("sr", sr), ("autoencoder", autoencoder)):
        if frame.empty:
            raise ValueError(f"{name} must not be empty")
    score0 = final_values(sr, "checkerboard_score", step="first")
    score = final_values(sr, "checkerboard_score")
    hf0 = final_values(sr, "harmonic_fraction", step="first")
    hf = final_values(sr, "harmonic_fraction")
    psnr = final_values(sr, "psnr")
    out: dict[str, list[Claim]] = {}

    closed = []
    for v, clean in DEFAULT_INIT.items():
        closed.append(
            claim(
                f"05-lowers-{_slug(v)}",
                f"training lowers the score of default-initialised {v}",
                score0[v].to_numpy(),
                minus=score[v].to_numpy(),
                statistic="score at initialisation minus after training",
            )
        )
        closed.append(
            claim(
                f"05-above-clean-{_slug(v)}",
                f"after training, {v} still scores above {clean}",
                score[v].to_numpy(),
                minus=score[clean].to_numpy(),
                statistic=f"score of {v} minus {clean}, after training",
            )
        )
    clean_init = [v for v in score0.columns if float(score0[v].abs().max()) < 1e-9]
    resize = [v for v in clean_init if v.startswith("resize")]
    closed += drift_claims(sr, [v for v in clean_init if v not in resize], prefix="05")
    steps_max = sr.groupby(["variant", "seed"]).checkerboard_score.max()
    for v in resize:
        closed.append(
            claim(
                f"05-zero-{_slug(v)}",
                f"{v} scores 0 at every step (below 1e-9)",
                steps_max.loc[v].to_numpy(),
                statistic="largest score over the steps",
                rule="below",
                threshold=1e-9,
            )
        )
    out["closed form"] = closed

    outputs = []
    for v in DEFAULT_INIT:
        outputs.append(
            claim(
                f"05-init-outputs-{_slug(v)}",
                f"at initialisation, {v}'s outputs carry more harmonic power than the pictures",
                hf0[v].to_numpy() / level_x2,
                statistic="harmonic fraction of the outputs / the pictures' own",
                threshold=1,
                scale="log",
            )
        )
    for v in hf.columns:
        outputs.append(
            claim(
                f"05-trained-outputs-{_slug(v)}",
                f"after training, {v}'s outputs carry more harmonic power than the pictures",
                hf[v].to_numpy() / level_x2,
                statistic="harmonic fraction of the outputs / the pictures' own",
                threshold=1,
                scale="log",
            )
        )
    outputs.append(
        claim(
            "05-icnr-outputs",
            "after training, ICNR sub-pixel's outputs carry less harmonic power than default "
            "sub-pixel's",
            hf["sub-pixel ICNR"].to_numpy(),
            minus=hf["sub-pixel"].to_numpy(),
            statistic="harmonic fraction, ICNR / default",
            rule="below",
            threshold=1,
            scale="log",
        )
    )
    out["outputs"] = outputs

    grid = errors.pivot(index="seed", columns="variant", values="times_chance").sort_index()
    out["error"] = [
        claim(
            f"05-error-grid-{_slug(v)}",
            f"a grid remains in {v}'s error on coins: more harmonic power than white noise",
            grid[v].to_numpy(),
            statistic="harmonic fraction of the error / white noise's",
            threshold=1,
            scale="log",
        )
        for v in grid.columns
    ]

    out["quality"] = [
        claim(
            f"05-quality-{_slug(clean)}",
            f"{clean} matches {v}'s PSNR within ±{QUALITY_MARGIN_DB:g} dB",
            psnr[clean].to_numpy(),
            minus=psnr[v].to_numpy(),
            statistic=f"PSNR of {clean} minus {v}, dB",
            rule="within",
            margin=QUALITY_MARGIN_DB,
        )
        for v, clean in QUALITY_PAIRS
    ]

    ae_score = final_values(autoencoder, "checkerboard_score")
    ae_hf = final_values(autoencoder, "harmonic_fraction")
    ae = []
    for v in ("transposed k=3", "transposed k=4"):
        ae.append(
            claim(
                f"05-ae-score-{_slug(v)}",
                f"in the decoder, {v} ends with a higher score than sub-pixel ICNR",
                ae_score[v].to_numpy(),
                minus=ae_score["sub-pixel ICNR"].to_numpy(),
                statistic=f"score of {v} minus sub-pixel ICNR, after training",
            )
        )
    for v in ("transposed k=3", "transposed k=4", "sub-pixel ICNR", "resize-conv nearest"):
        ae.append(
            claim(
                f"05-ae-outputs-{_slug(v)}",
                f"the decoder's outputs with {v} carry more harmonic power (period 4) than "
                "the pictures",
                ae_hf[v].to_numpy() / level_x4,
                statistic="harmonic fraction of the outputs / the pictures' own",
                threshold=1,
                scale="log",
            )
        )
    out["autoencoder"] = ae
    _same_seeds(sr, errors, autoencoder)
    return out


def _same_seeds(*frames: pd.DataFrame) -> None:
    seeds = [tuple(sorted(np.unique(f.seed))) for f in frames]
    if len(set(seeds)) != 1:
        raise ValueError(f"the tables hold different seeds: {seeds}")
