"""Figures of audits: per-layer scores, input-gradient maps and their spectra."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .._util.checks import (
    check_instance,
    check_int,
    check_mapping,
    check_str,
)
from .style import (
    FONT_PT,
    SUPERSCRIPT,
    TEXT_WIDTH,
    as_array,
    check_args,
    check_maps,
    house_style,
    new_figure,
    pixel_axes,
    wrap,
)

__all__ = ["plot_gradient_maps", "plot_gradient_spectra", "plot_layer_scores"]


# -- audits and training ---------------------------------------------------------------------


@house_style
def plot_layer_scores(
    results: Mapping[str, Any],
    *,
    ncols: int = 3,
    suptitle: str | None = None,
) -> Figure:
    """Per-layer closed-form scores of several audits, bars labelled by layer geometry.

    ``results`` maps a model name to an :class:`artifact_lab.models.audit.AuditResult`; flagged
    layers are red, clean ones green. Bars are labelled ``k4 s2 p1`` (or the operation).
    """
    from ..models.audit import AuditResult

    check_mapping("results", results)
    for name, res in results.items():
        check_instance(f"results[{name!r}]", res, AuditResult, hint="audit() gives one")
    check_args(ncols=ncols, suptitle=suptitle)
    ncols = min(ncols, len(results))
    nrows = -(-len(results) // ncols)
    fig, axes = new_figure(nrows, ncols, height=2.2 * nrows + 0.4, squeeze=False)
    flat = axes.ravel()
    for ax, (name, res) in zip(flat, results.items(), strict=False):
        layers = list(res.layers)
        values = [f.checkerboard_score for f in layers]
        ax.bar(
            range(len(values)),
            values,
            color=["#d62728" if f.flagged else "#2ca02c" for f in layers],
        )
        for i, v in enumerate(values):  # a zero bar is invisible: write every value
            ax.text(
                i,
                (0 if np.isnan(v) else v) + 0.02,
                "—" if np.isnan(v) else f"{v:.2f}",
                ha="center",
                va="bottom",
                fontsize=FONT_PT,
            )
        ax.set_xticks(
            range(len(values)), [_layer_label(f) for f in layers], rotation=45, ha="right"
        )
        ax.set_ylim(0, 1.18)
        ax.set_yticks([0, 0.5, 1])
        ax.set_title(name)
    for ax in flat[len(results) :]:
        ax.axis("off")
    fig.supylabel("checkerboard score (closed form)")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _layer_label(finding: Any) -> str:
    g = getattr(finding, "geometry", None) or {}

    def one(v):
        if isinstance(v, (tuple, list)) and len(set(v)) == 1:
            return v[0]
        return "×".join(str(x) for x in v) if isinstance(v, (tuple, list)) else v

    if getattr(finding, "kind", "") == "transposed" and "kernel_size" in g:
        text = f"k{one(g['kernel_size'])} s{one(g['stride'])}"
        if any(np.atleast_1d(g.get("padding", 0))):
            text += f" p{one(g['padding'])}"
        if any(np.atleast_1d(g.get("dilation", 1)) != 1):
            text += f" d{one(g['dilation'])}"
        return text
    kind = str(getattr(finding, "kind", "layer"))
    if kind == "pixel_shuffle" and "stride" in g:
        return f"shuffle ×{one(g['stride'])}"
    return kind.replace("_", " ")


# --------------------------------------------------------------------------- gradients (07)
# Input-gradient figures for notebook 07, in the house style: A4 text width, fonts of at
# least 8 pt, a diverging map centred on 0 for signed gradients, a colour bar per panel.


@house_style
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
    check_maps("maps", maps)
    check_args(ncols=ncols)
    if zoom is not None:
        check_int("zoom", zoom, minimum=1)
    if not isinstance(units, str):
        check_mapping("units", units, empty_ok=True)
        for name, unit in units.items():
            check_str(f"units[{name!r}]", unit)
    if zoom is not None:
        for name, m in maps.items():
            if zoom > min(np.shape(m)[-2:]):
                raise ValueError(
                    f"zoom must be at most the smaller side of every map, got {zoom} for map "
                    f"{name!r} of shape {tuple(np.shape(m))}"
                )
    ncols = min(ncols, len(maps))
    nrows = -(-len(maps) // ncols)
    side = TEXT_WIDTH / ncols
    fig, axes = new_figure(  # square panels are as wide as a column allows: no more height
        nrows, ncols, height=side * nrows * 0.85, layout="constrained"
    )
    axes = np.atleast_1d(axes).ravel()
    for i, (ax, (name, m)) in enumerate(zip(axes, maps.items(), strict=False)):
        arr = as_array(m)
        if zoom is not None:
            top, left = max(0, (arr.shape[0] - zoom) // 2), max(0, (arr.shape[1] - zoom) // 2)
            arr = arr[top : top + zoom, left : left + zoom]
        lim = float(np.abs(arr).max()) or 1.0
        exponent = math.floor(math.log10(lim)) if not 1e-2 <= lim < 1e3 else 0
        arr, lim = arr / 10.0**exponent, lim / 10.0**exponent  # no "1e-5" offset on the bar
        im = ax.imshow(arr, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(wrap(name, side - 1.0, FONT_PT), fontsize=FONT_PT)
        pixel_axes(ax, ylabel=i % ncols == 0)
        bar = fig.colorbar(im, ax=ax, shrink=0.8)
        bar.ax.tick_params(labelsize=FONT_PT)
        label = units.get(name, "gradient") if isinstance(units, dict) else units
        if exponent:
            label += f" (×10{str(exponent).translate(SUPERSCRIPT)})"
        bar.set_label(label, fontsize=FONT_PT)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    return fig


@house_style
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
    check_maps("maps", maps, max_ndim=4)
    check_int("period", period, minimum=1)
    check_args(ncols=ncols, window=window)
    from ..core.spectral import power_spectrum

    for name, m in maps.items():
        # the rings mark the harmonics on the spectrum's own bins, or they mark nothing
        if any(n % period for n in np.shape(m)[-2:]):
            raise ValueError(
                f"period must divide both sides of every map, got {period} for map {name!r} "
                f"of shape {tuple(np.shape(m))}"
            )
    ncols = min(ncols, len(maps))
    nrows = -(-len(maps) // ncols)
    side = TEXT_WIDTH / ncols
    fig, axes = new_figure(nrows, ncols, height=side * nrows * 0.95, layout="constrained")
    axes = np.atleast_1d(axes).ravel()
    marks = np.arange(-period // 2, period // 2 + 1) / period
    marks = marks[np.abs(marks) <= 0.5]
    im = None
    for i, (ax, (name, m)) in enumerate(zip(axes, maps.items(), strict=False)):
        arr = as_array(m)
        power = np.fft.fftshift(power_spectrum(arr, ndim=2, window=window))
        db = 10 * np.log10(power / (power.max() or 1.0) + 1e-12)
        # upright axes: negative frequencies below and left of the centre, as in plot_spectra
        im = ax.imshow(
            db, cmap="viridis", vmin=-60, vmax=0, extent=(-0.5, 0.5, -0.5, 0.5),
            origin="lower", interpolation="nearest",
        )  # fmt: skip
        fx, fy = np.meshgrid(marks, marks)
        keep = (fx != 0) | (fy != 0)
        ax.scatter(fx[keep], fy[keep], s=14, facecolors="none", edgecolors="white", lw=0.6)
        ax.set_title(wrap(name, side - 0.7, FONT_PT), fontsize=FONT_PT)
        ax.set_xticks([-0.5, 0, 0.5])
        ax.set_yticks([-0.5, 0, 0.5])
        ax.set_xlabel("frequency x (cycles/pixel)", fontsize=FONT_PT)
        if i % ncols == 0:
            ax.set_ylabel("frequency y (cycles/pixel)", fontsize=FONT_PT)
        ax.tick_params(labelsize=FONT_PT)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    bar = fig.colorbar(im, ax=axes[: len(maps)].tolist(), shrink=0.6)  # one shared dB scale
    bar.ax.tick_params(labelsize=FONT_PT)
    bar.set_label("power (dB re each map's peak)", fontsize=FONT_PT)
    return fig
