"""Claims as data: every verdict a report states is decided by a stated rule from seeds.

A notebook does not type "holds" or "no cost": it measures one value per seed, hands the
values to :func:`claim` with the rule that decides them, and quotes the verdict and the
numbers from the resulting :class:`Claim` (rendered by :mod:`artifact_lab.viz.claims`). A
claim the seeds do not decide is printed as unresolved, with the number of seeds that would
decide it at the spread seen so far.

The rules compare the 95% confidence interval of the mean over seeds (Student's t, the
seeds taken as independent draws) with a threshold:

- ``"above"``: holds when the whole interval lies above the threshold, does not hold when
  it lies below, else unresolved;
- ``"below"``: the mirror image;
- ``"within"``: holds when the interval lies inside ``threshold ± margin`` (no effect larger
  than the margin), does not hold when it lies outside that band, else unresolved.

A difference between two methods is one claim on the paired per-seed differences
(:func:`claim` with ``minus=``), so seed-to-seed variation common to both cancels.

Ratios (an output's harmonic power against its chance level, one method's against
another's) are decided on a log scale (``scale="log"``): the interval is the t interval of
the mean log, mapped back, so the estimate is the geometric mean and the interval is not
dragged across 1 by one large ratio; with ``minus=`` the paired values are divided, not
subtracted.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from .._util.checks import as_real_array, check_choice, check_float, check_str

__all__ = ["COLUMNS", "RULES", "SCALES", "VERDICTS", "Claim", "claim", "claims_frame"]

#: How each rule decides (the words printed beside every verdict).
RULES = {
    "above": "holds when the 95% CI lies above {threshold}",
    "below": "holds when the 95% CI lies below {threshold}",
    "within": "holds when the 95% CI lies within {threshold} ± {margin}",
}
SCALES = ("linear", "log")
VERDICTS = ("holds", "does not hold", "unresolved")

#: The columns of :func:`claims_frame`, as a reader sees them.
COLUMNS = {
    "id": "claim id",
    "statement": "what is claimed",
    "statistic": "what is measured, per seed",
    "estimate": "mean over seeds (geometric mean on the log scale)",
    "low": "95% CI, lower end",
    "high": "95% CI, upper end",
    "seeds": "number of seeds",
    "rule": "the rule that decides the claim",
    "verdict": "what the rule gives: holds, does not hold or unresolved",
    "needed": "for an unresolved claim: seeds that would decide it at the spread seen",
    "scale": "linear, or log (ratios: geometric mean, interval of the mean log)",
}


@dataclass(frozen=True)
class Claim:
    """One claim, its evidence over seeds and the verdict its rule gives."""

    id: str
    statement: str
    statistic: str
    estimate: float
    low: float
    high: float
    seeds: int
    rule: str
    verdict: str
    needed: int | None = None
    scale: str = "linear"

    def to_frame(self) -> pd.DataFrame:
        return claims_frame([self])


def _t_quantile(df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(0.975, df))


def _interval(values: np.ndarray) -> tuple[float, float, float, float]:
    """Mean, CI ends and the standard error (NaN ends below 2 values)."""
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return mean, math.nan, math.nan, math.nan
    se = float(values.std(ddof=1) / math.sqrt(n))
    half = _t_quantile(n - 1) * se
    return mean, mean - half, mean + half, se


def _decide(rule: str, low: float, high: float, threshold: float, margin: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "unresolved"
    if rule == "above":
        return "holds" if low > threshold else "does not hold" if high < threshold else "unresolved"
    if rule == "below":
        return "holds" if high < threshold else "does not hold" if low > threshold else "unresolved"
    lo, hi = threshold - margin, threshold + margin
    if lo < low and high < hi:
        return "holds"
    return "does not hold" if high < lo or low > hi else "unresolved"


def _seeds_needed(
    rule: str, mean: float, values: np.ndarray, threshold: float, margin: float
) -> int | None:
    """Seeds at which the CI's half-width, at the spread seen, would clear the nearest
    boundary the mean is away from (None when no number of seeds can: the mean sits on it)."""
    if values.size < 2:
        return None
    sd = float(values.std(ddof=1))
    if rule == "within":
        gap = min(abs(mean - (threshold - margin)), abs(mean - (threshold + margin)))
    else:
        gap = abs(mean - threshold)
    if gap == 0 or sd == 0:
        return None

    def decides(n: int) -> bool:
        return _t_quantile(n - 1) * sd / math.sqrt(n) < gap

    hi = values.size
    while not decides(hi):  # the half-width shrinks as n grows: double, then bisect
        hi *= 2
        if hi > 1_000_000:
            return None
    lo = hi // 2 if hi > values.size else hi - 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if decides(mid) else (mid, hi)
    return hi


def claim(
    id: str,
    statement: str,
    values: Sequence[float] | np.ndarray,
    *,
    statistic: str,
    rule: str = "above",
    threshold: float = 0.0,
    margin: float = 0.0,
    minus: Sequence[float] | np.ndarray | None = None,
    scale: str = "linear",
) -> Claim:
    """Decide one claim from one value per seed.

    Parameters
    ----------
    id : str
        Short and stable (``"05-penalty-lowers-x2"``): prose and tests refer to it.
    statement : str
        The claim in words, as a reader will see it.
    values : sequence of float
        One value per seed (NaN values are refused: a diverged seed is a finding to report,
        not to average away).
    statistic : str
        What each value is, in words (``"PSNR with the penalty minus without, dB"``).
    rule : {"above", "below", "within"}
        See the module docstring; ``threshold`` and ``margin`` complete it.
    minus : sequence of float, optional
        Values of the same seeds to subtract first (a paired difference), or to divide by
        on the log scale (a paired ratio).
    scale : {"linear", "log"}
        ``"log"`` for ratios and other positive values: decided on their logs against
        ``log(threshold)`` (``threshold`` > 0), reported as the geometric mean and its
        interval; the rule ``"within"`` is linear only.

    Returns
    -------
    Claim

    Examples
    --------
    >>> c = claim("demo", "the fix lowers the score", [0.30, 0.28, 0.33, 0.31],
    ...           minus=[0.05, 0.04, 0.06, 0.05], statistic="score before minus after")
    >>> c.verdict, c.seeds, round(c.estimate, 4)
    ('holds', 4, 0.255)
    >>> claim("demo", "no effect", [0.1, -0.2], statistic="difference").verdict
    'unresolved'
    >>> r = claim("demo", "above chance", [3.0, 5.0, 4.0], statistic="× chance", threshold=1,
    ...           scale="log")
    >>> r.verdict, round(r.estimate, 6), r.rule
    ('holds', 3.914868, 'holds when the 95% CI of the geometric mean lies above 1')
    """
    for name, text in (("id", id), ("statement", statement), ("statistic", statistic)):
        check_str(name, text, empty_ok=False)
    check_choice("rule", rule, tuple(RULES))
    check_choice("scale", scale, SCALES)
    threshold = check_float("threshold", threshold)
    margin = check_float("margin", margin, minimum=0.0)
    if rule == "within" and margin <= 0:
        raise ValueError(f"rule 'within' needs a margin above 0, got margin={margin}")
    log = scale == "log"
    if log and rule == "within":
        raise ValueError("rule 'within' is for the linear scale; a ratio takes 'above' or 'below'")
    if log and threshold <= 0:
        raise ValueError(f"scale 'log' needs a threshold above 0, got threshold={threshold}")
    v = _per_seed("values", values)
    m = None
    if minus is not None:
        m = _per_seed("minus", minus)
        if m.size != v.size:
            raise ValueError(
                f"minus must hold one value per seed like values ({v.size}), got {m.size}"
            )
    if v.size == 0:
        raise ValueError("values must hold at least one value (one per seed)")
    if log:
        for name, arr in (("values", v), ("minus", m)):
            if arr is not None and not (arr > 0).all():
                raise ValueError(f"scale 'log' needs {name} above 0, got {arr[~(arr > 0)][0]!r}")
        v = np.log(v) - (np.log(m) if m is not None else 0.0)
        at = math.log(threshold)
    else:
        v = v - m if m is not None else v
        at = threshold
    mean, low, high, _ = _interval(v)
    verdict = _decide(rule, low, high, at, margin)
    needed = None if verdict != "unresolved" else _seeds_needed(rule, mean, v, at, margin)
    text = RULES[rule].format(threshold=_plain(threshold), margin=_plain(margin))
    if log:
        mean, low, high = math.exp(mean), math.exp(low), math.exp(high)
        text = text.replace("95% CI", "95% CI of the geometric mean")
    return Claim(
        id=id,
        statement=statement,
        statistic=statistic,
        estimate=mean,
        low=low,
        high=high,
        seeds=int(v.size),
        rule=text,
        verdict=verdict,
        needed=needed,
        scale=scale,
    )


def _plain(x: float) -> str:
    return f"{x:g}"


def _per_seed(name: str, values: object) -> np.ndarray:
    """One value per seed: a 1-D array (a column of a table), not a grid of values."""
    arr = np.asarray(as_real_array(name, values), dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one value per seed (1-D), got shape {arr.shape}")
    return arr


def claims_frame(claims: Sequence[Claim]) -> pd.DataFrame:
    """One row per claim, columns :data:`COLUMNS` (ids must be unique).

    Examples
    --------
    >>> f = claims_frame([claim("a", "x is positive", [1.0, 1.1, 0.9], statistic="x")])
    >>> f.loc[0, "verdict"], int(f.loc[0, "seeds"])
    ('holds', 3)
    """
    if isinstance(claims, Claim) or not isinstance(claims, Sequence):
        raise TypeError(f"claims must be a sequence of Claim, got {type(claims).__name__}")
    for i, c in enumerate(claims):
        if not isinstance(c, Claim):
            raise TypeError(f"claims[{i}] must be a Claim (from claim()), got {type(c).__name__}")
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"claim ids must be unique, got {twice} more than once")
    frame = pd.DataFrame([asdict(c) for c in claims], columns=list(COLUMNS))
    return frame.astype({"seeds": int})
