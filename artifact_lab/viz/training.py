"""Figures of training runs: curves over steps, and the prevention study's scores against
quality."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .._util.checks import (
    as_names,
    check_column,
    check_float,
    check_frame,
    check_instance,
    check_mapping,
    check_str,
)
from .style import (
    house_style,
    new_figure,
)
from .tables import label

__all__ = ["plot_prevention", "plot_training_curves"]


@house_style
def plot_training_curves(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    *,
    hue: str = "variant",
    x: str = "step",
    titles: Sequence[str] | None = None,
    chance: Mapping[str, float] | None = None,
    chance_label: str = "chance level",
    log: Sequence[str] = (),
) -> Figure:
    """Metrics against training steps, one panel each, one line per ``hue`` (mean over
    seeds, band = range over seeds).

    ``chance`` draws a dashed reference level per metric, named ``chance_label`` in the
    legend (for example the pictures' own harmonic fraction); the metrics in ``log`` are
    drawn on a log scale (means then are geometric means, so one large seed does not
    dominate).
    """
    check_frame("frame", frame)
    for metric in as_names("metrics", metrics):
        check_column("metrics entry", metric, frame)
    check_column("hue", hue, frame)
    check_column("x", x, frame)
    if titles is not None and (
        isinstance(titles, str) or len(as_names("titles", titles)) != len(metrics)
    ):
        raise ValueError(f"titles must hold one title per metric ({len(metrics)}), got {titles!r}")
    if chance is not None:
        check_mapping("chance", chance, empty_ok=True)
        for name, level in chance.items():
            check_float(f"chance[{name!r}]", level)
    if not metrics:
        raise ValueError("metrics must not be empty")
    check_str("chance_label", chance_label, empty_ok=False)
    log = () if isinstance(log, (tuple, list)) and not log else as_names("log", log)
    for name in log:
        if name not in metrics:
            raise ValueError(f"log entry {name!r} is not among the metrics {list(metrics)}")
    for col in (*metrics, hue, x):
        if col not in frame.columns:
            raise ValueError(f"column {col!r} not in frame (columns: {list(frame.columns)})")
    names = list(dict.fromkeys(frame[hue]))
    fig, axes = new_figure(1, len(metrics), height=2.6 + 0.17 * -(-len(names) // 3), squeeze=False)
    palette = plt.get_cmap("tab10")
    for j, metric in enumerate(metrics):
        ax = axes[0, j]
        for i, name in enumerate(names):
            g = frame[frame[hue] == name].groupby(x)[metric]
            if metric in log:  # geometric mean: a log axis's own centre
                mean = np.exp(
                    np.log(frame[frame[hue] == name][metric])
                    .groupby(frame[frame[hue] == name][x])
                    .mean()
                )
            else:
                mean = g.mean()
            lo, hi = g.min(), g.max()
            ax.plot(mean.index, mean.to_numpy(), color=palette(i % 10), label=name)
            ax.fill_between(
                mean.index, lo.to_numpy(), hi.to_numpy(), color=palette(i % 10), alpha=0.15, lw=0
            )
        if chance and metric in chance:
            ax.axhline(chance[metric], color="0.3", ls="--", lw=1, label=chance_label)
        if metric in log:
            ax.set_yscale("log")
        ax.set_xlabel(label(x))
        ax.set_ylabel(label(metric))
        if titles:
            ax.set_title(titles[j])
    handles, labels = [], []
    for ax in axes[0]:  # every line once, the reference level from whichever panel has it
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig


# --- prevention study (notebook 08) -------------------------------------------------------


@house_style
def plot_prevention(result: Any, *, score: str = "pair_score") -> Figure:
    """Scores over training (top) and artifacts against quality at the end (bottom), one
    column per factor.

    ``result`` is a :class:`artifact_lab.studies.prevention.PreventionResult`. Top: the monitor's
    closed-form ``score`` (``"pair_score"`` or ``"checkerboard_score"``) per method, mean
    over seeds, band = range over seeds, a random initialisation's score dashed (the chance
    level). Bottom: each seed's final held-out PSNR against the harmonic fraction measured on
    its outputs (log scale); dashed: bicubic interpolation's PSNR and the pictures' own
    harmonic fraction. Sized for an A4 text width (6.9 in), fonts of 8 pt and more.
    """
    from ..studies.prevention import PreventionResult

    check_instance("result", result, PreventionResult, hint="prevention_study() gives one")
    from matplotlib.lines import Line2D

    if score not in ("pair_score", "checkerboard_score"):
        raise ValueError(f"score must be 'pair_score' or 'checkerboard_score', got {score!r}")
    scores, quality, ref = result.scores, result.quality, result.reference.set_index("factor")
    factors = sorted(quality.factor.unique())
    methods = list(dict.fromkeys(quality.method))
    colours = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(methods)}
    chance = "random-init pair score mean" if score == "pair_score" else "random-init score mean"
    fig, axes = new_figure(2, len(factors), height=6.0, layout="constrained", squeeze=False)
    for j, f in enumerate(factors):
        ax = axes[0, j]
        for m in methods:
            g = scores[(scores.factor == f) & (scores.method == m)].groupby("step")[score]
            if not len(g):
                continue
            mean = g.mean()
            ax.plot(mean.index, mean.to_numpy(), color=colours[m], label=m, lw=1.4)
            ax.fill_between(
                mean.index,
                g.min().to_numpy(),
                g.max().to_numpy(),
                color=colours[m],
                alpha=0.15,
                lw=0,
            )
        ax.axhline(ref.loc[f, chance], color="0.3", ls="--", lw=1)
        ax.set_ylim(-0.02, 1.0)
        ax.set_xlabel("training step (optimiser steps)", fontsize=8)
        ax.set_ylabel(
            ("pair" if score == "pair_score" else "checkerboard") + " score (0 = none)", fontsize=8
        )
        ax.set_title(f"×{f}: closed-form score while training", fontsize=9)
        ax = axes[1, j]
        last = quality[(quality.factor == f) & (quality.step == quality.step.max())]
        for m in methods:
            part = last[last.method == m]
            ax.plot(part.psnr, part.harmonic_fraction, "o", color=colours[m], ms=4, alpha=0.85)
        ax.axvline(ref.loc[f, "bicubic PSNR"], color="0.3", ls="--", lw=1)
        ax.axhline(ref.loc[f, "pictures harmonic fraction"], color="0.3", ls=":", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("held-out PSNR after training (dB)", fontsize=8)
        ax.set_ylabel("harmonic fraction of the outputs", fontsize=8)
        ax.set_title(f"×{f}: artifacts against quality, per seed", fontsize=9)
    for ax in axes.ravel():
        ax.tick_params(labelsize=8)
    handles = [Line2D([], [], color=colours[m], lw=1.4, marker="o", ms=4) for m in methods]
    labels = list(methods)
    handles += [
        Line2D([], [], color="0.3", ls="--", lw=1),
        Line2D([], [], color="0.3", ls=":", lw=1),
    ]
    labels += ["random init (top), bicubic (bottom)", "the pictures' own harmonic fraction"]
    fig.legend(handles, labels, loc="outside upper center", ncol=3, fontsize=8)
    return fig
