"""Figures. Every function takes data, draws on an optional ``ax`` and returns the Figure;
none calls ``plt.show()``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = [
    "plot_contributions",
    "plot_gallery",
    "plot_heatmap",
    "plot_overlap",
    "plot_overlap_grid",
    "plot_radial_spectra",
    "plot_spectrum",
]


def _axes(ax, figsize=(5, 3.5)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
        return fig, ax
    return ax.figure, ax


def plot_overlap(
    overlap: np.ndarray,
    *,
    interior: np.ndarray | None = None,
    ax: Any = None,
    title: str | None = None,
    annotate: bool | None = None,
) -> Figure:
    """Draw a 1-D overlap map as bars or a 2-D one as an image (border hatched/dimmed).

    Parameters
    ----------
    overlap : ndarray, shape ``(L,)`` or ``(H, W)``
    interior : bool ndarray of the same shape, optional
        Border positions are drawn paler.
    annotate : bool, optional
        Write the count in each cell (default: when the map is small).
    """
    m = np.asarray(overlap)
    if m.ndim not in (1, 2):
        raise ValueError(f"overlap must be 1-D or 2-D to draw, got shape {m.shape}")
    fig, ax = _axes(ax)
    if m.ndim == 1:
        colors = ["C0" if interior is None or interior[i] else "0.75" for i in range(len(m))]
        ax.bar(np.arange(len(m)), m, color=colors, width=0.85)
        ax.set_xlabel("output position")
        ax.set_ylabel("overlap")
        ax.set_ylim(0, max(m.max(), 1) * 1.15)
        if annotate or (annotate is None and len(m) <= 40):
            for i, v in enumerate(m):
                ax.text(i, v, str(v), ha="center", va="bottom", fontsize=7)
    else:
        shown = m.astype(float)
        im = ax.imshow(shown, cmap="magma", vmin=0, interpolation="nearest")
        if interior is not None:
            ax.imshow(
                np.where(interior, np.nan, 1.0),
                cmap="Greys",
                alpha=0.45,
                vmin=0,
                vmax=1,
                interpolation="nearest",
            )
        fig.colorbar(im, ax=ax, shrink=0.8, label="overlap")
        if annotate or (annotate is None and m.size <= 256):
            for (r, c), v in np.ndenumerate(m):
                ax.text(
                    c,
                    r,
                    str(v),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if v < 0.6 * m.max() else "black",
                )
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_overlap_grid(
    maps: Sequence[tuple[str, np.ndarray, np.ndarray | None]], *, ncols: int = 3
) -> Figure:
    """Several overlap maps side by side: ``(title, map, interior)`` triples."""
    if not maps:
        raise ValueError("maps must not be empty")
    nrows = -(-len(maps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.6 * ncols, 3.2 * nrows), layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    for ax, (title, m, interior) in zip(axes, maps, strict=False):
        plot_overlap(m, interior=interior, ax=ax, title=title, annotate=False)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    return fig


def plot_contributions(
    x: Sequence[float], kernel: Sequence[float], stride: int, *, ax: Any = None
) -> Figure:
    """1-D transposed convolution drawn as the sum of one scaled kernel copy per input.

    Input ``i`` paints ``x[i] * kernel`` starting at output ``i*stride``; the black line is
    their sum (padding 0), which is exactly ``conv_transpose1d``'s output.
    """
    x = np.asarray(x, dtype=float)
    k = np.asarray(kernel, dtype=float)
    length = (len(x) - 1) * stride + len(k)
    fig, ax = _axes(ax, figsize=(7, 3))
    total = np.zeros(length)
    bottom_pos = np.zeros(length)
    for i, xi in enumerate(x):
        part = np.zeros(length)
        part[i * stride : i * stride + len(k)] = xi * k
        total += part
        ax.bar(
            np.arange(length),
            part,
            bottom=bottom_pos,
            width=0.8,
            alpha=0.8,
            label=f"x[{i}]·K at {i * stride}",
        )
        bottom_pos += part
    ax.plot(np.arange(length), total, "k.-", label="sum = output")
    ax.set_xlabel("output position")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


def plot_heatmap(
    frame: pd.DataFrame,
    *,
    index: str,
    columns: str,
    values: str,
    ax: Any = None,
    fmt: str = ".2f",
    cmap: str = "rocket_r",
    title: str | None = None,
) -> Figure:
    """Seaborn heatmap of ``values`` over ``index`` × ``columns`` of a tidy frame."""
    import seaborn as sns

    for name in (index, columns, values):
        if name not in frame.columns:
            raise ValueError(f"column {name!r} not in frame (columns: {list(frame.columns)})")
    table = frame.pivot_table(index=index, columns=columns, values=values, aggfunc="mean")
    fig, ax = _axes(ax, figsize=(1.0 + 0.55 * table.shape[1], 0.8 + 0.38 * table.shape[0]))
    sns.heatmap(
        table,
        annot=True,
        fmt=fmt,
        cmap=cmap,
        ax=ax,
        cbar_kws={"label": values},
        annot_kws={"fontsize": 7},
    )
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def _array(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def plot_spectrum(
    y: Any, *, ax: Any = None, title: str | None = None, window: str | None = "hann"
) -> Figure:
    """Log power spectrum of a 2-D output, DC at the centre, axes in cycles/sample."""
    from .spectral import power_spectrum

    arr = _array(y)
    if arr.ndim != 2:
        raise ValueError(f"y must be 2-D, got shape {arr.shape}")
    power = np.fft.fftshift(power_spectrum(arr, ndim=2, window=window))
    fig, ax = _axes(ax, figsize=(3.4, 3))
    ax.imshow(
        np.log10(power + 1e-12 * power.max()),
        cmap="viridis",
        extent=(-0.5, 0.5, 0.5, -0.5),
        interpolation="nearest",
    )
    ax.set_xlabel("cycles/sample")
    if title:
        ax.set_title(title, fontsize=8)
    return fig


def plot_radial_spectra(
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
    *,
    ax: Any = None,
    title: str | None = None,
    marks: Sequence[float] = (),
) -> Figure:
    """Radially averaged (or 1-D) power spectra on a log scale, one line per name.

    ``marks`` draws vertical lines, e.g. at the stride harmonics ``m/s``.
    """
    if not curves:
        raise ValueError("curves must not be empty")
    fig, ax = _axes(ax, figsize=(6, 3.5))
    for name, (f, p) in curves.items():
        ax.semilogy(f, p, label=name, lw=1.2)
    for m in marks:
        ax.axvline(m, color="0.6", ls=":", lw=1)
    ax.set_xlabel("frequency (cycles/sample)")
    ax.set_ylabel("power")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    if title:
        ax.set_title(title, fontsize=9)
    return fig


def plot_gallery(
    images: dict[str, Any],
    *,
    ncols: int = 4,
    crop: tuple[slice, slice] | None = None,
    cmap: str = "gray",
) -> Figure:
    """Images side by side without smoothing (``interpolation="nearest"``), so a grid shows.

    ``crop`` zooms every image to the same window; each image is scaled to its own range.
    """
    if not images:
        raise ValueError("images must not be empty")
    nrows = -(-len(images) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.6 * ncols, 2.7 * nrows), layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    for ax, (name, img) in zip(axes, images.items(), strict=False):
        arr = _array(img)
        if crop is not None:
            arr = arr[crop]
        ax.imshow(arr, cmap=cmap, interpolation="nearest")
        ax.set_title(name, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(images) :]:
        ax.axis("off")
    return fig


# --------------------------------------------------------------------------- gradients (07)
# Input-gradient figures for notebook 07, in the house style: A4 text width, fonts of at
# least 8 pt, a diverging map centred on 0 for signed gradients, a colour bar per panel.

_GRAD_WIDTH = 6.9  # inches: the text width of an A4 page with 14 mm margins
_GRAD_PT = 8


def plot_gradient_maps(
    maps: dict[str, Any],
    *,
    ncols: int = 4,
    zoom: int | None = None,
    units: str | dict[str, str] = "gradient",
) -> Figure:
    """Input gradients side by side, each on a diverging scale centred on 0 with its colour bar.

    Parameters
    ----------
    maps : dict of name -> 2-D array or tensor
        One gradient map per panel (a batch is not averaged: pass one map).
    ncols : int
        Panels per row.
    zoom : int, optional
        Show only the central ``zoom x zoom`` pixels (away from the borders), so a period-2
        grid is visible.
    units : str or dict of name -> str
        Colour-bar label, for every panel or per panel name (default ``"gradient"``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_gradient_maps({"a": np.eye(4), "b": -np.eye(4)}, ncols=2)
    >>> len(fig.axes)
    4
    """
    if not maps:
        raise ValueError("maps must not be empty")
    ncols = min(ncols, len(maps))
    nrows = -(-len(maps) // ncols)
    side = _GRAD_WIDTH / ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(_GRAD_WIDTH, side * nrows * 0.95), layout="constrained"
    )
    axes = np.atleast_1d(axes).ravel()
    for ax, (name, m) in zip(axes, maps.items(), strict=False):
        arr = _array(m)
        if arr.ndim != 2:
            raise ValueError(f"map {name!r} must be 2-D, got shape {arr.shape}")
        if zoom is not None:
            top, left = max(0, (arr.shape[0] - zoom) // 2), max(0, (arr.shape[1] - zoom) // 2)
            arr = arr[top : top + zoom, left : left + zoom]
        lim = float(np.abs(arr).max()) or 1.0
        im = ax.imshow(arr, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(name, fontsize=_GRAD_PT)
        ax.set_xlabel("x (pixels)", fontsize=_GRAD_PT)
        ax.set_ylabel("y (pixels)", fontsize=_GRAD_PT)
        ax.tick_params(labelsize=_GRAD_PT)
        bar = fig.colorbar(im, ax=ax, shrink=0.8)
        bar.ax.tick_params(labelsize=_GRAD_PT)
        label = units.get(name, "gradient") if isinstance(units, dict) else units
        bar.set_label(label, fontsize=_GRAD_PT)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    return fig


def plot_gradient_spectra(
    maps: dict[str, Any], period: int, *, ncols: int = 4, window: str | None = "hann"
) -> Figure:
    """Log power spectra of gradient maps (mean removed, batch-averaged), DC at the centre,
    with the harmonics ``m / period`` (the checkerboard's frequencies) ringed.

    Parameters
    ----------
    maps : dict of name -> array of shape ``(..., H, W)``
    period : int
        The product of the strides: harmonics at multiples of ``1 / period`` cycles/pixel.

    Examples
    --------
    >>> fig = plot_gradient_spectra({"noise": np.random.default_rng(0).normal(size=(16, 16))}, 2)
    >>> fig.axes[0].get_xlabel()
    'frequency x (cycles/pixel)'
    """
    from .spectral import power_spectrum

    if not maps:
        raise ValueError("maps must not be empty")
    ncols = min(ncols, len(maps))
    nrows = -(-len(maps) // ncols)
    side = _GRAD_WIDTH / ncols
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(_GRAD_WIDTH, side * nrows * 0.95), layout="constrained"
    )
    axes = np.atleast_1d(axes).ravel()
    marks = np.arange(-period // 2, period // 2 + 1) / period
    marks = marks[np.abs(marks) <= 0.5]
    im = None
    for ax, (name, m) in zip(axes, maps.items(), strict=False):
        arr = _array(m)
        power = np.fft.fftshift(power_spectrum(arr, ndim=2, window=window))
        db = 10 * np.log10(power / power.max() + 1e-12)
        im = ax.imshow(
            db, cmap="viridis", vmin=-60, vmax=0, extent=(-0.5, 0.5, 0.5, -0.5),
            interpolation="nearest",
        )  # fmt: skip
        fx, fy = np.meshgrid(marks, marks)
        keep = (fx != 0) | (fy != 0)
        ax.scatter(fx[keep], fy[keep], s=14, facecolors="none", edgecolors="white", lw=0.6)
        ax.set_title(name, fontsize=_GRAD_PT)
        ax.set_xlabel("frequency x (cycles/pixel)", fontsize=_GRAD_PT)
        ax.set_ylabel("frequency y (cycles/pixel)", fontsize=_GRAD_PT)
        ax.tick_params(labelsize=_GRAD_PT)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    bar = fig.colorbar(im, ax=axes[: len(maps)].tolist(), shrink=0.6)  # one shared dB scale
    bar.ax.tick_params(labelsize=_GRAD_PT)
    bar.set_label("power (dB re each map's peak)", fontsize=_GRAD_PT)
    return fig


__all__ += ["plot_gradient_maps", "plot_gradient_spectra"]


# --- prevention study (notebook 08) -------------------------------------------------------


def plot_prevention(result: Any, *, score: str = "pair_score") -> Figure:
    """Scores over training (top) and artifacts against quality at the end (bottom), one
    column per factor.

    ``result`` is a :class:`artifact_lab.training.PreventionResult`. Top: the monitor's
    closed-form ``score`` (``"pair_score"`` or ``"checkerboard_score"``) per method, mean
    over seeds, band = range over seeds, a random initialisation's score dashed (the chance
    level). Bottom: each seed's final held-out PSNR against the harmonic fraction measured on
    its outputs (log scale); dashed: bicubic interpolation's PSNR and the pictures' own
    harmonic fraction. Sized for an A4 text width (6.9 in), fonts of 8 pt and more.
    """
    from matplotlib.lines import Line2D

    if score not in ("pair_score", "checkerboard_score"):
        raise ValueError(f"score must be 'pair_score' or 'checkerboard_score', got {score!r}")
    scores, quality, ref = result.scores, result.quality, result.reference.set_index("factor")
    factors = sorted(quality.factor.unique())
    methods = list(dict.fromkeys(quality.method))
    colours = {m: plt.get_cmap("tab10")(i % 10) for i, m in enumerate(methods)}
    chance = "random-init pair score mean" if score == "pair_score" else "random-init score mean"
    fig, axes = plt.subplots(
        2, len(factors), figsize=(6.9, 6.0), layout="constrained", squeeze=False
    )
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
