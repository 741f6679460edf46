"""The explorer's views: small figures and HTML drawn from an :class:`ExploreState`.

Each function takes the state :func:`artifact_lab.explorer.state.explore_state` computed and draws
it, computing nothing of its own; figures are ``matplotlib.figure.Figure`` objects (no
pyplot state), every text at 8 pt or more.
"""

from __future__ import annotations

import html
import io
from typing import TYPE_CHECKING, Any

import numpy as np

from .._checks import check_instance

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .state import ExploreState

__all__ = [
    "VIEWS",
    "figure_gains",
    "figure_output",
    "figure_overlap",
    "figure_spectrum",
    "formula_html",
    "scores_html",
]

_FONT = 8  # smallest text in any view, in points


def _check_state(state: object) -> None:
    from .state import ExploreState

    check_instance("state", state, ExploreState, hint="explore_state() gives one")


def _figure(width: float = 4.2, height: float = 3.0) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained", dpi=100)


def figure_overlap(state: ExploreState) -> Figure:
    """The overlap map with its counts (where they fit); border positions drawn paler.

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> fig = figure_overlap(explore_state(ndim=1, kernel_size=3, stride=2, input_size=4))
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['1', '1', '2', '1', '2', '1', '2', '1', '1']
    """
    _check_state(state)
    fig = _figure()
    ax = fig.add_subplot()
    m = state.overlap
    if state.ndim == 1:
        colors = np.where(state.interior, "C0", "0.75")
        ax.bar(np.arange(len(m)), m, color=colors, width=0.85)
        if len(m) <= 40:
            for i, v in enumerate(m):
                ax.text(i, v, str(v), ha="center", va="bottom", fontsize=_FONT)
        ax.set_ylim(0, max(int(m.max()), 1) * 1.18)
        ax.set_xlabel("output position")
        ax.set_ylabel("(input, tap) pairs")
    else:
        im = ax.imshow(m, cmap="viridis", vmin=0, interpolation="nearest")
        ax.imshow(np.where(state.interior, np.nan, 1.0), cmap="Greys", alpha=0.5, vmin=0, vmax=1)
        if max(m.shape) <= 24:
            top = max(int(m.max()), 1)
            for (r, c), v in np.ndenumerate(m):
                color = "black" if v > 0.6 * top else "white"
                ax.text(c, r, str(v), ha="center", va="center", fontsize=_FONT, color=color)
        fig.colorbar(im, ax=ax, shrink=0.85, label="(input, tap) pairs")
        ax.set_xlabel("output column")
        ax.set_ylabel("output row")
    ax.set_title("overlap map (grey: border)", fontsize=9)
    return fig


def figure_gains(state: ExploreState) -> Figure:
    """The phase gains: the interior output for a constant input of 1, per output phase.

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> fig = figure_gains(explore_state(ndim=1, kernel_size=3, stride=2, input_size=4))
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['2', '1']
    """
    _check_state(state)
    fig = _figure(3.4, 3.0)
    ax = fig.add_subplot()
    g = state.phase_gains
    if state.ndim == 1:
        ax.bar(np.arange(len(g)), g, color="C1")
        ax.axhline(g.mean(), color="0.3", lw=1, ls="--", label="mean")
        ax.set_xlabel("output phase  o mod s")
        ax.set_ylabel("gain")
        if len(g) <= 12:
            ax.set_xticks(np.arange(len(g)))
            for i, v in enumerate(g):
                ax.text(i, v, f"{v:.3g}", ha="center", va="bottom", fontsize=_FONT)
        ax.legend(fontsize=_FONT, frameon=False)
    else:
        top = max(float(np.abs(g).max()), 1e-12)
        im = ax.imshow(g, cmap="RdBu_r", vmin=-top, vmax=top, interpolation="nearest")
        if max(g.shape) <= 8:
            for (r, c), v in np.ndenumerate(g):
                ax.text(c, r, f"{v:.3g}", ha="center", va="center", fontsize=_FONT)
        fig.colorbar(im, ax=ax, shrink=0.85, label="gain")
        ax.set_xlabel("column phase")
        ax.set_ylabel("row phase")
    ax.set_title("phase gains (equal: no checkerboard)", fontsize=9)
    return fig


def _interior_box(ax, interior: np.ndarray) -> None:
    from matplotlib.patches import Rectangle

    rows, cols = np.flatnonzero(interior.any(1)), np.flatnonzero(interior.any(0))
    if len(rows) and len(cols):
        ax.add_patch(
            Rectangle(
                (cols[0] - 0.5, rows[0] - 0.5),
                cols[-1] - cols[0] + 1,
                rows[-1] - rows[0] + 1,
                fill=False,
                ec="gold",
                lw=1.5,
                label="interior",
            )
        )


def figure_output(state: ExploreState) -> Figure:
    """The input and the output on it; the interior framed (2-D) or shaded (1-D).

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> fig = figure_output(explore_state(ndim=2, kernel_size=3, stride=2, input_size=6))
    >>> len(fig.axes[1].images), len(fig.axes[1].patches)   # the output and its frame
    (1, 1)
    """
    _check_state(state)
    fig = _figure(6.4, 3.0)
    if state.ndim == 1:
        ax = fig.add_subplot()
        y = state.output
        inside = np.flatnonzero(state.interior)
        if len(inside):
            ax.axvspan(
                inside[0] - 0.5, inside[-1] + 0.5, color="gold", alpha=0.25, label="interior"
            )
        ax.plot(np.arange(len(y)), y, ".-", color="C0", lw=1, ms=3, label="output")
        ax.set_xlabel("output position")
        ax.set_ylabel("value")
        ax.legend(fontsize=_FONT, frameon=False, loc="best")
        ax.set_title(f"output on the {state.input_kind} input", fontsize=9)
        return fig
    a, b = fig.subplots(1, 2, width_ratios=[1, 2])
    a.imshow(state.signal, cmap="gray", interpolation="nearest")
    a.set_title(f"input ({state.input_kind})", fontsize=9)
    top = float(np.abs(state.output).max()) or 1.0
    signed = state.output.min() < 0
    im = b.imshow(
        state.output,
        cmap="RdBu_r" if signed else "gray",
        vmin=-top if signed else 0,
        vmax=top,
        interpolation="nearest",
    )
    _interior_box(b, state.interior)
    fig.colorbar(im, ax=b, shrink=0.85)
    b.set_title("output (gold frame: interior)", fontsize=9)
    for ax in (a, b):
        ax.tick_params(labelsize=_FONT)
    return fig


def figure_spectrum(state: ExploreState) -> Figure:
    """Power spectrum of the interior crop, the stride harmonics ``m/s`` marked.

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> fig = figure_spectrum(explore_state(ndim=1, kernel_size=3, stride=3, input_size=16))
    >>> len(fig.axes[0].lines)   # the spectrum and the harmonics 1/3 and 2/3
    3
    """
    _check_state(state)
    fig = _figure(3.8, 3.0)
    ax = fig.add_subplot()
    if state.spectrum is None:
        ax.text(0.5, 0.5, "interior shorter\nthan one period", ha="center", va="center")
        ax.set_axis_off()
        return fig
    p = np.fft.fftshift(state.spectrum)
    floor = 1e-12 * max(float(p.max()), 1e-300)
    if state.ndim == 1:
        f = np.fft.fftshift(np.fft.fftfreq(len(p)))
        ax.semilogy(f, p + floor, color="C0", lw=1)
        for m in range(1, state.stride[0]):
            ax.axvline(_fold(m / state.stride[0]), color="C3", ls=":", lw=1)
        ax.set_xlabel("frequency (cycles/sample); red: m/s")
        ax.set_ylabel("power")
    else:
        fr, fc = (np.fft.fftshift(np.fft.fftfreq(m)) for m in p.shape)
        hr, hc = 0.5 / p.shape[0], 0.5 / p.shape[1]  # half a bin: pixel centres on the bins
        ax.imshow(
            np.log10(p + floor),
            cmap="magma",
            extent=(fc[0] - hc, fc[-1] + hc, fr[-1] + hr, fr[0] - hr),
            interpolation="nearest",
        )
        s0, s1 = state.stride
        marks = [(_fold(i / s0), _fold(j / s1)) for i in range(s0) for j in range(s1) if i or j]
        if marks and len(marks) <= 64:
            fy, fx = zip(*marks, strict=True)
            ax.scatter(fx, fy, s=60, facecolors="none", edgecolors="cyan", lw=1)
        ax.set_xlabel("cycles/sample (circles: m/s)")
    ax.tick_params(labelsize=_FONT)
    ax.set_title("spectrum of the interior (mean removed)", fontsize=9)
    return fig


def _fold(f: float) -> float:
    return f - 1 if f >= 0.5 else f


def scores_html(state: ExploreState) -> str:
    """The scores view: closed forms beside the measurement on the chosen input.

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> "0.1000" in scores_html(explore_state(ndim=1, kernel_size=3, stride=2))
    True
    """
    _check_state(state)

    def fmt(v: Any) -> str:
        if v is None:
            return "per layer: " + ", ".join(f"{c:.4f}" for c in state.layer_contrasts)
        if isinstance(v, bool):
            return "yes" if v else "no"
        return "n/a" if np.isnan(v) else f"{v:.4f}"

    labels = {
        "overlap_contrast": "overlap contrast (max-min)/mean of taps per phase",
        "checkerboard_score": "checkerboard score (closed form)",
        "noise_checkerboard": "noise checkerboard (closed form)",
        "harmonic_fraction": f"measured harmonic fraction ({state.input_kind} input)",
        "peak_db": "measured peak at the harmonics (dB over the floor)",
        "holes": "holes (a phase gets no tap)",
    }
    rows = "".join(
        f"<tr><td>{html.escape(labels[k])}</td><td style='text-align:right'>{fmt(v)}</td></tr>"
        for k, v in state.scores.items()
    )
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in state.notes)
    return f"<table>{rows}</table>" + (f"<ul>{notes}</ul>" if notes else "")


def formula_html(state: ExploreState) -> str:
    """The size formula with the numbers filled in (per axis; every axis is the same).

    Examples
    --------
    >>> from artifact_lab.explorer.state import explore_state
    >>> "= 9" in formula_html(explore_state(ndim=1, kernel_size=3, stride=2, input_size=4))
    True
    """
    _check_state(state)
    return "<pre style='font-size:11px'>" + html.escape("\n".join(state.formula)) + "</pre>"


VIEWS = {
    "overlap": figure_overlap,
    "gains": figure_gains,
    "output": figure_output,
    "spectrum": figure_spectrum,
}


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()
