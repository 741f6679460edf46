"""The house style: figures sized for an A4 page at 1:1 and embedded as vector SVG.

:func:`use_house_style` sets matplotlib's rcParams (fonts of at least 8 pt, constrained
layout, SVG whose text stays text, in matplotlib's DejaVu Sans) and, inside IPython, shows
every figure as SVG with an alt text taken from its title. Nothing is applied on import:
every figure function of :mod:`artifact_lab.viz` draws inside the house style
(:func:`house_style`) and leaves the user's own settings as they were. Figures default to
:data:`TEXT_WIDTH` inches wide, the text width of an A4 page with 14 mm margins, so a report
prints them at their own size: an 8 pt label stays 8 pt on paper.

Also here: the helpers the figure modules share (argument checks, cell labels, harmonic
marks, the count colour map).
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, NullFormatter

from .._util.checks import (
    MAX_MARKS,
    as_real_array,
    check_axes,
    check_bool,
    check_elements,
    check_figure,
    check_float,
    check_format,
    check_int,
    check_mapping,
    check_str,
    per_axis,
)

__all__ = [
    "FONT_PT",
    "MIN_FONT_PT",
    "TEXT_WIDTH",
    "annotate_cells",
    "figure_fonts",
    "figure_svg",
    "figure_title",
    "house_rc",
    "house_style",
    "mark_harmonics",
    "new_figure",
    "use_house_style",
]


#: Text width of an A4 page with 14 mm side margins (182 mm), less a little slack, inches.
TEXT_WIDTH = 6.9
#: Body font size of every figure, points.
FONT_PT = 8.0
#: The smallest font a figure may use once printed at its own size, points.
MIN_FONT_PT = 7.0


def house_rc() -> dict[str, Any]:
    """The rcParams of the house style (see the module docstring)."""
    return {
        "font.family": "DejaVu Sans",
        "font.size": FONT_PT,
        "axes.titlesize": FONT_PT + 1,
        "axes.labelsize": FONT_PT,
        "xtick.labelsize": FONT_PT,
        "ytick.labelsize": FONT_PT,
        "legend.fontsize": FONT_PT,
        "legend.title_fontsize": FONT_PT,
        "figure.titlesize": FONT_PT + 2,
        "figure.labelsize": FONT_PT,
        "figure.figsize": (TEXT_WIDTH, 2.8),
        "figure.dpi": 100,
        "figure.constrained_layout.use": True,
        "savefig.dpi": 200,  # rasters, where a figure must be one, print at 200 dpi
        "svg.fonttype": "none",  # text stays text: small, searchable, 2x faster to print
        "svg.hashsalt": "artifact_lab",  # stable ids, so a figure's SVG is reproducible
        "image.interpolation": "nearest",
        "image.cmap": "viridis",
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "lines.linewidth": 1.2,
    }


def house_style(fn):
    """Draw ``fn``'s figure inside the house style: the rcParams of :func:`house_rc` hold while
    it runs, and the user's own settings are as they were afterwards (a decorator)."""

    @functools.wraps(fn)
    def drawn_in_house_style(*args: Any, **kwargs: Any):
        with mpl.rc_context(house_rc()):
            return fn(*args, **kwargs)

    return drawn_in_house_style


def use_house_style() -> None:
    """Apply the house style to matplotlib and, in IPython, show figures as titled SVG.

    Call once at the top of a notebook. Figures then appear
    as vector SVG whose alt text is the figure's title (:func:`figure_title`), with their
    size and smallest font in the output's metadata, which the report checks.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with the notebooks' extras
        shell = None
    else:
        shell = get_ipython()
    if shell is not None and "inline" in str(mpl.rcParams._get("backend")):
        # load the inline backend now: it registers its PNG formatter and rcParams when
        # first loaded, which would otherwise undo what follows at the first figure
        import matplotlib_inline.backend_inline  # noqa: F401
    mpl.rcParams.update(house_rc())
    if shell is None:
        return
    formatters = shell.display_formatter.formatters
    for mime in ("image/png", "image/jpeg", "application/pdf"):
        formatters[mime].pop(Figure, None)
    formatters["image/svg+xml"].for_type(Figure, _svg_with_metadata)


def figure_title(fig: Figure) -> str:
    """The figure's title: its suptitle, else its axes titles joined (the alt text)."""
    check_figure("fig", fig)
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text().strip():
        return " ".join(sup.get_text().split())
    titles = []
    for ax in fig.axes:
        for loc in ("center", "left", "right"):
            t = " ".join(ax.get_title(loc).split())  # a title wrapped to fit is one line here
            if t and t not in titles:
                titles.append(t)
    return "; ".join(titles)


def figure_fonts(fig: Figure) -> tuple[float, float]:
    """``(smallest font size in pt, figure width in inches)`` over the figure's visible text.

    Every visible, non-empty text object counts (tick labels of ticks outside the view
    included): a strict reading, so a small font cannot hide.
    """
    check_figure("fig", fig)
    sizes = [
        t.get_fontsize() for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()
    ]
    return (min(sizes) if sizes else FONT_PT, float(fig.get_figwidth()))


def figure_svg(fig: Figure) -> str:
    """The figure as an SVG document (no date stamp, so the same figure gives the same text)."""
    check_figure("fig", fig)
    buf = io.StringIO()
    with mpl.rc_context(house_rc()):  # text stays text, stable ids: whatever the user set
        fig.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


def _svg_with_metadata(fig: Figure) -> tuple[str, dict[str, Any]]:
    svg = figure_svg(fig)  # drawing it created every tick label the fonts are read from
    smallest, width = figure_fonts(fig)
    title = figure_title(fig) or "Figure without a title"
    return svg, {"alt": title, "min_font_pt": round(smallest, 2), "width_in": round(width, 3)}


def new_figure(
    nrows: int = 1,
    ncols: int = 1,
    *,
    height: float = 2.8,
    width: float = TEXT_WIDTH,
    **kwargs: Any,
) -> tuple[Figure, Any]:
    """``plt.subplots`` sized in inches for the page, with the house style applied."""
    check_int("nrows", nrows, minimum=1)
    check_int("ncols", ncols, minimum=1)
    check_float("height", height, positive=True)
    check_float("width", width, positive=True)
    with mpl.rc_context(house_rc()):
        fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), **kwargs)
    return fig, axes


def axes_for(ax: Any, *, height: float = 2.8, width: float = TEXT_WIDTH) -> tuple[Figure, Any]:
    if ax is None:
        return new_figure(height=height, width=width)
    return ax.figure, ax


# -- argument checks, at each figure function's entry, before anything is drawn ----------


def _optional_float(name: str, value: Any) -> None:
    if value is not None:
        check_float(name, value)


def _window(name: str, value: Any) -> None:
    if value is not None and value != "hann":
        raise ValueError(f"{name} must be 'hann' or None, got {value!r}")


def _colormap(name: str, value: Any) -> None:
    if value is None or isinstance(value, mpl.colors.Colormap):
        return
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a colormap name or None, got {value!r}")
    try:
        colormap(value)
    except (ValueError, KeyError):
        raise ValueError(f"{name}={value!r} is not a matplotlib or seaborn colormap") from None


_ARG_CHECKS = {
    "ax": check_axes,
    "ncols": lambda n, v: check_int(n, v, minimum=1),
    "title": lambda n, v: check_str(n, v, none_ok=True),
    "suptitle": lambda n, v: check_str(n, v, none_ok=True),
    "ylabel": check_str,
    "colorbar_label": check_str,
    "colorbar": check_bool,
    "shared": check_bool,
    "standardize": check_bool,
    "skip_nan": check_bool,
    "vmin": _optional_float,
    "vmax": _optional_float,
    "center": _optional_float,
    "window": _window,
    "cmap": _colormap,
    "fmt": check_format,
}


def check_args(**args: Any) -> None:
    """Check the figure functions' common arguments, each by its name."""
    for name, value in args.items():
        _ARG_CHECKS[name](name, value)


def check_stride(stride: Any, ndim: int) -> None:
    if stride is not None:
        per_axis("stride", stride, ndim, minimum=1)


def check_maps(name: str, maps: Any, *, min_ndim: int = 2, max_ndim: int = 2) -> None:
    """A non-empty mapping of panel titles to real, finite arrays of ``min_ndim..max_ndim``
    axes (numpy arrays or tensors)."""
    check_mapping(name, maps)
    for key, value in maps.items():
        arr = as_real_array(f"{name}[{key!r}]", value, min_ndim=min_ndim)
        if arr.ndim > max_ndim:
            raise ValueError(f"{name}[{key!r}] must have at most {max_ndim} axes, got {arr.shape}")


def wrap(text: str, width_in: float, size: float = FONT_PT + 1) -> str:
    """``text`` broken into lines that fit ``width_in`` inches at ``size`` points."""
    chars = max(8, int(width_in * 72 / (0.58 * size)))
    return "\n".join(textwrap.fill(line, chars) for line in str(text).splitlines() or [""])


def ink(value: float, norm, cmap) -> str:
    """Black or white, whichever reads better on the colour ``value`` maps to."""
    r, g, b, _ = cmap(norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


@house_style
def annotate_cells(
    ax: Any,
    values: np.ndarray,
    *,
    fmt: str | Any = "{:.2f}",
    norm: Any = None,
    cmap: Any = None,
    fontsize: float = FONT_PT,
    skip_nan: bool = True,
) -> None:
    """Write each value of a 2-D array in its cell of an ``imshow`` (row 0 at the top).

    ``fmt`` is a format string or a callable; the ink is black or white by the cell colour.
    """
    check_axes("ax", ax, none_ok=False)
    check_args(fmt=fmt, skip_nan=skip_nan)
    check_float("fontsize", fontsize, positive=True)
    try:
        arr = np.asarray(values)
    except ValueError:  # ragged rows
        arr = np.asarray(None)
    if arr.ndim != 2 or arr.dtype.kind not in "biuf":
        raise ValueError(f"values must be a 2-D array of numbers, got {values!r}")
    if arr.size == 0:
        raise ValueError(f"values must hold at least one cell, got shape {arr.shape}")
    for (r, c), v in np.ndenumerate(arr):
        if skip_nan and isinstance(v, float) and math.isnan(v):
            continue
        text = fmt(v) if callable(fmt) else fmt.format(v)
        text = "−" + text[1:] if text.startswith("-") else text  # a true minus, as on the axes
        color = "black" if norm is None or cmap is None else ink(v, norm, cmap)
        ax.text(c, r, text, ha="center", va="center", fontsize=fontsize, color=color)


@house_style
def mark_harmonics(ax: Any, stride: int | Sequence[int], *, ndim: int = 2, color="white") -> None:
    """Mark the stride harmonics ``m/s`` (cycles/sample, DC excluded) on a spectrum's axes.

    2-D: small open circles at every ``(m1/s1, m2/s2)`` folded into [-0.5, 0.5); 1-D: dotted
    vertical lines at ``m/s`` for ``0 < m/s <= 0.5``.
    """
    check_axes("ax", ax, none_ok=False)
    if isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)) or ndim not in (1, 2):
        raise ValueError(f"ndim must be 1 or 2, got {ndim!r}")
    s = per_axis("stride", stride, ndim, minimum=1)
    check_elements("stride: the harmonics to mark", s, MAX_MARKS, "mark a smaller stride")
    if not mpl.colors.is_color_like(color):
        raise ValueError(f"color must be a matplotlib colour, got {color!r}")
    freqs = [sorted({((m / sa + 0.5) % 1.0) - 0.5 for m in range(sa)}) for sa in s]
    if ndim == 1:
        for f in freqs[0]:
            if f != 0:
                ax.axvline(abs(f), color="0.45", ls=":", lw=1)
        if 0.5 in [abs(f) for f in freqs[0]] or s[0] % 2 == 0:
            ax.axvline(0.5, color="0.45", ls=":", lw=1)
        return
    pts = [(fx, fy) for fy in freqs[0] for fx in freqs[1] if (fx, fy) != (0, 0)]
    extra = []
    for fx, fy in pts:  # -0.5 and +0.5 are the same frequency: mark both edges
        extra += [(fx, 0.5)] if fy == -0.5 else []
        extra += [(0.5, fy)] if fx == -0.5 else []
    extra += [(0.5, 0.5)] if (-0.5, -0.5) in pts else []
    xs, ys = zip(*(pts + extra), strict=True) if pts else ((), ())
    ax.scatter(xs, ys, s=60, facecolors="none", edgecolors=color, linewidths=1.0, clip_on=False)


HOLE = "#d62728"


def count_ticks(vmax: int, length_in: float) -> range:
    """Colour-bar ticks 0..vmax spaced so that 8 pt labels never touch on a bar this long."""
    step = max(1, math.ceil((vmax + 1) * 1.4 * FONT_PT / max(length_in * 72, 1.0)))
    return range(0, vmax + 1, step)


def count_cmap(vmax: int) -> tuple[ListedColormap, BoundaryNorm]:
    """A discrete map for counts 0..vmax: 0 white (no tap), then light to dark blue."""
    vmax = max(int(vmax), 1)
    blues = plt.get_cmap("Blues")(np.linspace(0.25, 0.95, vmax))
    cmap = ListedColormap(np.vstack([[1, 1, 1, 1], blues]))
    return cmap, BoundaryNorm(np.arange(-0.5, vmax + 1.5), cmap.N)


def colormap(name: Any):
    if not isinstance(name, str):
        return name
    try:
        return plt.get_cmap(name)
    except ValueError:
        import seaborn as sns  # seaborn's perceptual maps ("rocket", "mako", ...)

        return sns.color_palette(name, as_cmap=True)


def as_array(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def powers_of_ten(ax: Any) -> None:
    """Label a log y axis ``10⁻³`` in plain text, so exponents print at the tick size."""

    def fmt(v: float, _pos: Any) -> str:
        e = math.log10(v) if v > 0 else math.nan
        return "10" + str(round(e)).translate(SUPERSCRIPT) if abs(e - round(e)) < 1e-9 else ""

    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.yaxis.set_minor_formatter(NullFormatter())


def pixel_axes(ax: Any, *, ylabel: bool, unit: str = "pixels") -> None:
    """Whole-number ticks that do not change with the panel's final size (constrained layout
    sizes the panel once: finer ticks chosen afterwards would overrun it), and the y label
    on the first column only, so that it never meets the colour bar of the panel before."""
    from matplotlib.ticker import MaxNLocator

    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=3, integer=True))
    ax.tick_params(labelsize=FONT_PT)
    ax.set_xlabel(f"x ({unit})", fontsize=FONT_PT)
    if ylabel:
        ax.set_ylabel(f"y ({unit})", fontsize=FONT_PT)
