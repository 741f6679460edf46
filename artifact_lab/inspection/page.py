"""Figures of an :class:`~artifact_lab.inspection.detect.Inspection` and its HTML page.

Three figures, in the house style of :mod:`artifact_lab.viz.plotting`: the averaged spectrum with
the harmonics of every period found marked, the azimuthally averaged spectrum against the
reference, and the phase-averaged pattern of each period (the mean over all positions of each
phase, which shows the grid's shape). The page embeds them as SVG, with the table of periods,
the notes and a short account of the method; it loads nothing from the network and escapes
every value (jinja2 with autoescape).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import TwoSlopeNorm
from matplotlib.figure import Figure

from .._util.checks import check_float, check_instance, check_str
from .detect import Inspection

__all__ = ["found_table", "plot_averaged_spectrum", "plot_patterns", "plot_radial", "render_page"]

_COLOURS = ("#4dd0e1", "#ffb74d", "#aed581", "#f06292")
_TEMPLATE = "page.html.j2"


def _check(result: Any):
    return check_instance("result", result, Inspection, hint="artifact_lab.inspect() gives one")


def _name(period: tuple[int, ...]) -> str:
    return " × ".join(str(p) for p in period)


def plot_averaged_spectrum(result: Any, *, vmin: float = -60.0) -> Figure:
    """The mean Hann-windowed power spectrum of the maps (dB re its maximum, zero
    frequency at the centre), with the harmonics of each period found marked; ``vmin``
    (dB, below 0) is the bottom of the colour scale.

    Examples
    --------
    >>> from artifact_lab.inspection.detect import inspect
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_averaged_spectrum(inspect(rng.standard_normal((2, 32, 32))))
    >>> fig.axes[0].get_xlabel()
    'horizontal frequency (cycles/sample)'
    """
    from ..viz.plotting import mark_harmonics, new_figure

    _check(result)
    vmin = check_float("vmin", vmin)
    if vmin >= 0:  # the colour scale ends at the maximum, 0 dB
        raise ValueError(f"vmin must be below 0 dB (the maximum), got {vmin}")
    spec = result.spectrum
    if spec is None:
        raise ValueError("result has no averaged spectrum (no map was measured)")
    periods = list(result.patterns)
    if result.ndim == 1:
        fig, ax = new_figure(height=2.8)
        n = len(spec)
        f = np.fft.rfftfreq(n)
        ax.semilogy(f[1:], np.maximum(spec[: len(f)][1:], 1e-30), color="0.2", lw=0.8)
        for i, p in enumerate(periods):
            for m in range(1, p[0] // 2 + 1):
                ax.axvline(m / p[0], color=_COLOURS[i % 4], ls=":", lw=1.2)
        ax.set_xlabel("frequency (cycles/sample); dotted: harmonics of the periods found")
        ax.set_ylabel("power (data units² per bin)")
        ax.set_xlim(0, 0.5)
        ax.set_title("Averaged spectrum of the frames")
        return fig
    fig, ax = new_figure(height=3.4, width=4.6)
    power = np.fft.fftshift(spec)
    db = 10 * np.log10(np.maximum(power / max(power.max(), 1e-300), 1e-12))
    h, w = db.shape
    fx = (np.arange(w) - w // 2) / w
    fy = (np.arange(h) - h // 2) / h
    im = ax.imshow(
        db,
        cmap="magma",
        vmin=vmin,
        vmax=0,
        origin="lower",
        extent=(fx[0] - 0.5 / w, fx[-1] + 0.5 / w, fy[0] - 0.5 / h, fy[-1] + 0.5 / h),
    )
    for i, p in enumerate(periods):
        mark_harmonics(ax, p, ndim=2, color=_COLOURS[i % 4])
    ax.set_xlabel("horizontal frequency (cycles/sample)")
    ax.set_ylabel("vertical frequency (cycles/sample)")
    ax.set_xticks([-0.5, -0.25, 0, 0.25, 0.5])
    ax.set_yticks([-0.5, -0.25, 0, 0.25, 0.5])
    cb = fig.colorbar(im, ax=ax, shrink=0.85)
    cb.set_label("power (dB re maximum)")
    marked = ", ".join(_name(p) for p in periods) if periods else "none found"
    ax.set_title(f"Averaged spectrum; circles: harmonics of {marked}")
    return fig


def plot_radial(result: Any) -> Figure:
    """The azimuthally averaged spectrum of the data (1-D: the spectrum), against the
    reference's when there is one; dotted lines at the harmonics ``m/P`` of the first axis
    of each period found.

    Examples
    --------
    >>> from artifact_lab.inspection.detect import inspect
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_radial(inspect(rng.standard_normal((2, 32, 32))))
    >>> fig.axes[0].get_yscale()
    'log'
    """
    from ..viz.plotting import plot_radial_spectra

    _check(result)
    if result.radial is None:
        raise ValueError("result has no radial spectrum (no map was measured)")
    curves = {f"data ({result.maps} maps)": _positive(result.radial)}
    if result.reference_radial is not None:
        curves[f"reference ({result.reference_maps} maps)"] = _positive(result.reference_radial)
    marks = sorted({m / p[-1] for p in result.patterns for m in range(1, p[-1] // 2 + 1)})
    what = "radial" if result.ndim == 2 else "one-sided"
    return plot_radial_spectra(
        curves,
        marks=marks,
        title=f"{what.capitalize()} spectrum, Hann window: a grid shows as peaks at the marks",
        ylabel="power (data units² per bin)",
    )


def _positive(curve: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    f, p = curve
    keep = (f > 0) & np.isfinite(p) & (p > 0)
    return f[keep], p[keep]


def plot_patterns(result: Any) -> Figure:
    """The phase-averaged pattern of each period found (mean over maps, in absolute phase:
    row and column index mod P), on a diverging scale centred at 0, in the data's units.

    Examples
    --------
    >>> from artifact_lab.inspection.detect import inspect
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((4, 64, 64)) + np.tile([[1.0, 0.0], [0.0, 0.0]], (32, 32))
    >>> plot_patterns(inspect(x)).axes[0].get_title()
    'period 2 × 2'
    """
    from ..viz.plotting import FONT_PT, annotate_cells, new_figure

    _check(result)
    periods = list(result.patterns)
    if not periods:
        fig, ax = new_figure(height=1.2)
        ax.axis("off")
        ax.text(0.5, 0.5, "No period found: no pattern to show.", ha="center", va="center")
        ax.set_title("Phase-averaged pattern")
        return fig
    n = len(periods)
    if result.ndim == 1:
        fig, axes = new_figure(1, n, height=2.4, squeeze=False)
        for ax, p in zip(axes[0], periods, strict=True):
            pat = result.patterns[p]
            ax.bar(np.arange(p[0]), pat, color="#3b6fb6")
            ax.axhline(0, color="0.3", lw=0.8)
            ax.set_xlabel("sample index mod P")
            ax.set_ylabel("mean deviation (data units)")
            ax.set_title(f"period {_name(p)}")
        fig.suptitle("Phase-averaged pattern: the grid's shape over one period")
        return fig
    side = min(2.6, 6.0 / n)
    width = min(6.9, n * (side + 1.1))
    panel = min(side, width / n - 1.1)  # inches each map really gets beside its colour bar
    fig, axes = new_figure(1, n, height=side + 1.0, width=width, squeeze=False)
    for ax, p in zip(axes[0], periods, strict=True):
        pat = result.patterns[p]
        lim = max(float(np.abs(pat).max()), 1e-12)
        norm = TwoSlopeNorm(0.0, -lim, lim)
        im = ax.imshow(pat, cmap="RdBu_r", norm=norm)
        fmt = _cell_format(lim)
        widest = max(len(fmt.format(v)) for v in pat.ravel())
        # numbers only where they fit their cell (about 0.6 em a character): the colour bar
        # carries the values where they would overlap
        if panel * 72 / max(p) > 0.6 * FONT_PT * (widest + 1):
            annotate_cells(ax, pat, fmt=fmt, norm=norm, cmap=im.cmap)
        ax.set_xticks(range(p[1]) if p[1] <= 8 else range(0, p[1], 2))
        ax.set_yticks(range(p[0]) if p[0] <= 8 else range(0, p[0], 2))
        ax.set_xlabel("column mod P")
        ax.set_ylabel("row mod P")
        ax.set_title(f"period {_name(p)}")
        cb = fig.colorbar(im, ax=ax, shrink=0.8)
        cb.set_label("mean deviation (data units)")
    fig.suptitle("Phase-averaged pattern: the grid's shape over one period")
    return fig


def _cell_format(lim: float) -> str:
    digits = max(0, 2 - math.floor(math.log10(lim))) if lim > 0 else 2
    return "{:." + str(min(digits, 6)) + "f}"


def found_table(result: Any) -> pd.DataFrame:
    """The periods found as a small table for print: period, source, harmonic fraction with
    its interval, chance, peak (dB), harmonic RMS and, with a reference, the ratio."""
    _check(result)
    f = result.found
    rows = []
    for r in f.itertuples():
        row = {
            "period": _name(r.period),
            "source": r.source,
            "harmonics": r.harmonics,
            "harmonic_fraction": f"{r.harmonic_fraction:.3g} [{r.fraction_low:.3g}, "
            f"{r.fraction_high:.3g}]",
            "chance": r.chance,
            "peak_db": r.peak_db,
            "harmonic_rms": r.harmonic_rms,
            "p_value": f"{r.p_value:.1e}",
            "maps": r.maps,
        }
        if np.isfinite(r.ratio):
            row["ratio_to_reference"] = f"{r.ratio:.3g} [{r.ratio_low:.3g}, {r.ratio_high:.3g}]"
        rows.append(row)
    return pd.DataFrame(rows)


def render_page(result: Any, *, title: str = "Inspection") -> str:
    """The HTML page: findings, the three figures as inline SVG, notes and the method."""
    import jinja2

    from ..viz.plotting import figure_svg
    from ..viz.tables import table

    _check(result)
    check_str("title", title)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
    )
    import matplotlib.pyplot as plt

    figures = []
    for make, caption in (
        (
            plot_averaged_spectrum,
            "What to see: a grid of period P puts bright points at the "
            "marked harmonics m/P; natural content falls off from the centre.",
        ),
        (
            plot_radial,
            "What to see: peaks at the dotted marks that the reference does not "
            "have; a high-frequency tail above the reference is the spectral trace of upsampling.",
        ),
        (
            plot_patterns,
            "What to see: the grid's shape over one period, in the data's units "
            "(0 means no deviation from the map's mean).",
        ),
    ):
        fig = make(result)
        figures.append({"svg": figure_svg(fig), "caption": caption})
        plt.close(fig)
    found = found_table(result)
    tbl = table(found).to_html() if not found.empty else None
    return env.get_template(_TEMPLATE).render(
        title=title,
        lines=result.lines(),
        table=tbl,
        notes=list(result.notes),
        figures=figures,
        maps=result.maps,
        reference_maps=result.reference_maps,
        n_tests=result.n_tests,
        alpha=result.alpha,
        ndim=result.ndim,
    )
