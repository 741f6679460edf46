"""Claims as a reader sees them: one table per notebook and sentences quoted from it.

The numbers of a sentence and of the table are the same strings (three significant digits of
the claim's own largest magnitude), so a test can check that every number in the prose stands
in a table. Verdict words come only from the claims (:mod:`artifact_lab.studies.claims`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import as_names, check_str
from ..studies.claims import COLUMNS, Claim, claims_frame
from .tables import Table, format_value, significant_decimals, table

__all__ = ["Sentences", "claim_sentence", "claim_sentences", "claims_table", "claims_texts"]


def _frame(claims: Any) -> pd.DataFrame:
    if isinstance(claims, pd.DataFrame):
        missing = sorted(set(COLUMNS) - set(claims.columns))
        if missing:
            raise ValueError(f"claims must have the columns of claims_frame(); missing {missing}")
        return claims.reset_index(drop=True)
    if isinstance(claims, Claim):
        claims = [claims]
    return claims_frame(claims)


def claims_texts(claims: Sequence[Claim] | pd.DataFrame) -> pd.DataFrame:
    """The claims as text, one row per claim: the strings the table and the prose share.

    Columns ``id, statement, statistic, estimate, ci, seeds, rule, verdict, needed``; the
    estimate and the interval's ends carry three significant digits of the row's largest
    magnitude.

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> c = claim("a", "x is positive", [1.02, 1.13, 0.94], statistic="x")
    >>> claims_texts([c]).loc[0, ["estimate", "ci", "verdict"]].tolist()
    ['1.03', '0.79 to 1.27', 'holds']
    """
    frame = _frame(claims)
    rows = []
    for r in frame.itertuples(index=False):
        ends = np.array([r.estimate, r.low, r.high], dtype=float)
        dec = significant_decimals(ends, 3)
        fmt = [format_value(float(v), decimals=dec) for v in ends]
        ci = "—" if np.isnan(ends[1:]).any() else f"{fmt[1]} to {fmt[2]}"
        needed = r.needed
        if r.verdict != "unresolved":
            needed_text = ""
        elif int(r.seeds) < 2:
            needed_text = "an interval needs at least 2 seeds"
        elif needed is not None and not pd.isna(needed):
            needed_text = f"about {int(needed)} seeds would decide it"
        else:
            needed_text = "more seeds will not decide it: the mean sits on the threshold"
        rows.append(
            {
                "id": r.id,
                "statement": r.statement,
                "statistic": r.statistic,
                "estimate": fmt[0],
                "ci": ci,
                "seeds": str(int(r.seeds)),
                "rule": r.rule,
                "verdict": r.verdict,
                "needed": needed_text,
            }
        )
    return pd.DataFrame(rows)


def claims_table(claims: Sequence[Claim] | pd.DataFrame, *, caption: str | None = None) -> Table:
    """The claims table of a notebook: claim, statistic, mean, 95% CI, seeds, rule, verdict.

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> t = claims_table([claim("a", "x is positive", [1.0, 1.1, 0.9], statistic="x")])
    >>> list(t.frame.columns)[:3]
    ['claim', 'what is claimed', 'measured, per seed']
    """
    check_str("caption", caption, none_ok=True)
    texts = claims_texts(claims)
    shown = texts[["id", "statement", "statistic", "estimate", "ci", "seeds", "rule", "verdict"]]
    shown = shown.assign(verdict=[_verdict(r) for r in texts.itertuples(index=False)])
    labels = {
        "id": "claim",
        "statement": "what is claimed",
        "statistic": "measured, per seed",
        "estimate": "mean",
        "ci": "95% CI",
        "seeds": "seeds",
        "rule": "rule",
        "verdict": "verdict",
    }
    return table(shown, labels=labels, caption=caption, keys=["id"])


def _verdict(r: Any) -> str:
    return f"{r.verdict} ({r.needed})" if r.needed else r.verdict


def claim_sentence(claims: Sequence[Claim] | pd.DataFrame, id: str) -> str:
    """One claim as a sentence of Markdown, its numbers and verdict quoted from the table.

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> c = claim("a", "the penalty lowers the score", [0.2, 0.25, 0.22], statistic="drop")
    >>> print(claim_sentence([c], "a"))
    The penalty lowers the score: **holds** (drop 0.223, 95% CI 0.161 to 0.286, 3 seeds;
    holds when the 95% CI lies above 0).
    """
    check_str("id", id, empty_ok=False)
    texts = claims_texts(claims)
    hit = texts[texts.id == id]
    if hit.empty:
        raise ValueError(f"id {id!r} is not among the claims {texts.id.tolist()}")
    r = next(hit.itertuples(index=False))
    statement = r.statement[:1].upper() + r.statement[1:]
    ci = f", 95% CI {r.ci}" if r.ci != "—" else ""
    seeds = "1 seed" if r.seeds == "1" else f"{r.seeds} seeds"
    needed = (
        f"; {r.needed} would decide it"
        if r.needed.startswith("about")
        else (f"; {r.needed}" if r.needed else "")
    )
    return (
        f"{statement}: **{r.verdict}** ({r.statistic} {r.estimate}{ci}, {seeds}; {r.rule}{needed})."
    )


class Sentences(str):
    """Markdown text that notebooks display as Markdown (``_repr_markdown_``)."""

    def _repr_markdown_(self) -> str:
        return str(self)


def claim_sentences(
    claims: Sequence[Claim] | pd.DataFrame, ids: Sequence[str] | None = None
) -> Sentences:
    """Several claims as a Markdown list (every claim when ``ids`` is None).

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> cs = [claim("a", "x", [1.0, 1.2], statistic="x"), claim("b", "y", [3.0], statistic="y")]
    >>> print(claim_sentences(cs, ["b"]))
    - Y: **unresolved** (y 3.00, 1 seed; holds when the 95% CI lies above 0; an interval needs
    at least 2 seeds).
    """
    texts = claims_texts(claims)
    wanted = texts.id.tolist() if ids is None else as_names("ids", ids, allowed=texts.id.tolist())
    return Sentences("\n".join(f"- {claim_sentence(claims, i)}" for i in wanted))
