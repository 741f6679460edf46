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
from matplotlib.figure import Figure

from .._util.checks import as_names, check_mapping, check_str
from ..studies.claims import COLUMNS, Claim, claims_frame
from .style import FONT_PT, house_style, new_figure, wrap
from .tables import Table, format_value, significant_decimals, table

__all__ = [
    "VERDICT_COLOURS",
    "Sentences",
    "answer_table",
    "claim_sentence",
    "claim_sentences",
    "claims_table",
    "claims_texts",
    "plot_claims",
    "results_table",
]

#: How a figure colours each verdict (colour-blind safe: blue, vermilion, grey).
VERDICT_COLOURS = {"holds": "#0072b2", "does not hold": "#d55e00", "unresolved": "#8c8c8c"}


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
    """The claims table of a notebook, one claim per row, sized for the page.

    Columns: the claim with what is measured per seed; the mean (geometric mean for a claim on
    the log scale); the 95% CI; the number of seeds; the verdict and the rule that gives it
    (for an undecided claim, also the seeds that would decide it). The claim ids stay in the
    data (:func:`claims_texts`), not on the page.

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> t = claims_table([claim("a", "x is positive", [1.0, 1.1, 0.9], statistic="x")])
    >>> list(t.frame.columns)
    ['claim (measured per seed)', 'mean', '95% CI', 'seeds', 'verdict, by the rule']
    >>> t.frame.iloc[0, -1]
    'holds — rule: holds when the 95% CI lies above 0'
    >>> len(t.parts)
    1
    """
    check_str("caption", caption, none_ok=True)
    texts = claims_texts(claims)
    shown = pd.DataFrame(
        {
            "claim (measured per seed)": [
                f"{r.statement[:1].upper()}{r.statement[1:]} ({r.statistic})"
                for r in texts.itertuples(index=False)
            ],
            "mean": texts.estimate,
            "95% CI": texts.ci,
            "seeds": texts.seeds,
            "verdict, by the rule": [_verdict(r) for r in texts.itertuples(index=False)],
        }
    )
    return table(shown, caption=caption)


def _verdict(r: Any) -> str:
    text = f"{r.verdict} — rule: {r.rule}"
    return f"{text}; {r.needed}" if r.needed else text


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
    needed = f"; {r.needed}" if r.needed else ""
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


@house_style
def plot_claims(
    claims: Sequence[Claim] | pd.DataFrame,
    *,
    labels: dict[str, str] | None = None,
    xlabel: str,
    title: str | None = None,
) -> Figure:
    """Each claim's estimate and 95% interval against its threshold, one row per claim.

    The interval is a bar coloured by the verdict (:data:`VERDICT_COLOURS`), the estimate a
    dot, the claim's threshold a short black tick on its own row (a dashed line across the
    panel when every row has the same one). Claims decided on the log scale are drawn on a
    log axis (then every claim of the figure must be on that scale).

    Parameters
    ----------
    claims : sequence of Claim or claims frame
    labels : dict, optional
        Claim id -> the row's label (default: the id).
    xlabel : str
        What the axis measures, in words with units.
    title : str, optional

    Examples
    --------
    >>> from artifact_lab.studies.claims import claim
    >>> cs = [claim("a", "x above 1", [2.0, 2.2, 1.9], statistic="x", threshold=1,
    ...             scale="log")]
    >>> fig = plot_claims(cs, xlabel="× chance")
    >>> fig.axes[0].get_xscale()
    'log'
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    check_str("xlabel", xlabel, empty_ok=False)
    check_str("title", title, none_ok=True)
    frame = _frame(claims)
    if frame.empty:
        raise ValueError("claims must not be empty")
    if labels is not None:
        check_mapping("labels", labels, empty_ok=True)
        for key, text in labels.items():
            check_str(f"labels[{key!r}]", text)
    scales = set(frame["scale"]) if "scale" in frame.columns else {"linear"}
    if len(scales) > 1:
        raise ValueError(f"claims must share one scale to share an axis, got {sorted(scales)}")
    log = scales == {"log"}
    thresholds = [_threshold(r) for r in frame.rule]
    n = len(frame)
    fig, ax = new_figure(height=0.9 + 0.26 * n)
    for i, r in enumerate(frame.itertuples(index=False)):
        y = n - 1 - i
        colour = VERDICT_COLOURS[r.verdict]
        if np.isfinite(r.low) and np.isfinite(r.high):
            ax.plot([r.low, r.high], [y, y], color=colour, lw=3.0, solid_capstyle="butt")
        ax.plot([r.estimate], [y], "o", color=colour, ms=4, mec="white", mew=0.6)
        if thresholds[i] is not None and len(set(thresholds)) > 1:
            ax.plot([thresholds[i]] * 2, [y - 0.35, y + 0.35], color="black", lw=1.2)
    if len(set(thresholds)) == 1 and thresholds[0] is not None:
        ax.axvline(thresholds[0], color="black", ls="--", lw=1)
    if log:  # plain numbers at 1, 2, 5 times the powers of ten: a ratio reads as a ratio
        import matplotlib.ticker as ticker

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    names = [(labels or {}).get(i, i) for i in frame.id]
    ax.set_yticks(range(n), [wrap(t, 2.6, FONT_PT) for t in reversed(names)])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel(xlabel)
    ax.tick_params(axis="y", length=0)
    if title:
        ax.set_title(wrap(title, fig.get_figwidth() - 1.0))
    handles = [
        Line2D([], [], color=c, lw=3, label=f"95% CI, {v}") for v, c in VERDICT_COLOURS.items()
    ]
    handles.append(Line2D([], [], color="black", ls="--" if len(set(thresholds)) == 1 else "-",
                          lw=1, label="the claim's threshold"))  # fmt: skip
    fig.legend(handles=handles, loc="outside lower center", ncol=4, fontsize=FONT_PT)
    plt.setp(ax.get_xticklabels(), fontsize=FONT_PT)
    return fig


def _threshold(rule: str) -> float | None:
    """The threshold a rule text of :data:`artifact_lab.studies.claims.RULES` names."""
    import re

    hit = re.search(r"lies (?:above|below|within) (-?[0-9.e+-]+)", rule)
    return float(hit.group(1)) if hit else None


def results_table(tables: dict[str, Any], *, caption: str | None = None) -> Table:
    """Where each stored result table comes from: seeds, rows, the command that made it, the
    date, torch's version and threads.

    ``tables`` maps a name to :func:`artifact_lab.studies.experiments.read_results`'s
    :class:`~artifact_lab.studies.experiments.ResultTable`.
    """
    check_mapping("tables", tables)
    check_str("caption", caption, none_ok=True)
    rows = []
    for name, t in tables.items():
        meta = getattr(t, "meta", None)
        if not isinstance(meta, dict):
            raise TypeError(f"tables[{name!r}] must be a ResultTable (read_results())")
        seeds = meta["seeds"]
        rows.append(
            {
                "table": name,
                "seeds": f"{len(seeds)} ({_ranges(seeds)})",
                "rows": meta["rows"],
                "made by": meta["command"],
                "on": f"{meta['date'][:10]}, torch {meta['packages']['torch']}, "
                f"{meta['machine']['torch_threads']} thread(s) on {meta['machine']['device']}",
            }
        )
    return table(pd.DataFrame(rows), caption=caption, keys=["table"])


def _ranges(seeds: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``"0–2, 5"``."""
    out, run = [], []
    for s in sorted(seeds):
        if run and s != run[-1] + 1:
            out.append(run)
            run = []
        run.append(s)
    out.append(run)
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in out)


def answer_table(rows: Sequence[Any], *, caption: str | None = None) -> Table:
    """The answer page: one row per situation (:func:`artifact_lab.studies.answer.answer_rows`),
    its numbers printed as the claims tables print them, sized for the page.

    Columns: the situation and what to use in it; the closed-form score of torch's default
    layer against the recommended one; what the experiments measured for the recommended layer
    (the grid left, its cost in quality: mean and 95% CI over seeds, with units); the notebook
    that backs it and its verdict.
    """
    from .._util.checks import check_items
    from ..studies.answer import AnswerRow

    check_str("caption", caption, none_ok=True)
    rows = check_items("rows", rows, AnswerRow, hint="answer_rows() gives them")
    if not rows:
        raise ValueError("rows must not be empty")
    out = []
    for r in rows:
        out.append(
            {
                "situation: use": f"{r.situation[:1].upper()}{r.situation[1:]}: {r.use}",
                "closed-form score, torch default → this": f"{r.default_score:.2f} → "
                f"{format_value(r.recommended_score, decimals=2, digits=3)}",
                "measured, mean (95% CI)": f"grid: {_measured(r.grid, r.grid_unit)}; quality: "
                f"{_measured(r.cost, r.cost_unit)}",
                "backed by": (
                    f"notebook {r.notebook}: {r.passes}"
                    if r.notebook[:1].isdigit()
                    else f"{r.notebook}: {r.passes}"
                ),
            }
        )
    return table(pd.DataFrame(out), caption=caption)


def _measured(c: Claim | None, unit: str) -> str:
    if c is None:
        return unit
    t = claims_texts([c]).iloc[0]
    return f"{t.estimate} ({t.ci}) {unit}, {t.seeds} seeds"
