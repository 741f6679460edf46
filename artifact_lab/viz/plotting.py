"""Figures in one house style, sized for an A4 page at 1:1 and embedded as vector SVG.

:func:`use_house_style` sets matplotlib's rcParams (fonts of at least 8 pt, constrained
layout, SVG whose text stays text, in matplotlib's DejaVu Sans) and, inside IPython, shows
every figure as SVG with an alt text taken from its title. Every plotting function takes
data, draws on an optional ``ax`` and returns the Figure; none calls ``plt.show()``. Figures
default to :data:`TEXT_WIDTH` inches wide, the text width of an A4 page with 14 mm margins,
so a report prints them at their own size: an 8 pt label stays 8 pt on paper. Importing
the module applies the style (calling :func:`use_house_style` again is harmless), so figure
functions added here inherit it.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import FuncFormatter, NullFormatter

from .._util.checks import (
    as_names,
    as_real_array,
    check_axes,
    check_bool,
    check_choice,
    check_column,
    check_figure,
    check_float,
    check_format,
    check_frame,
    check_instance,
    check_int,
    check_mapping,
    check_str,
    per_axis,
)
from .tables import label as _label

__all__ = [
    "FONT_PT",
    "MIN_FONT_PT",
    "TEXT_WIDTH",
    "annotate_cells",
    "figure_fonts",
    "figure_svg",
    "figure_title",
    "house_rc",
    "mark_harmonics",
    "new_figure",
    "plot_contributions",
    "plot_decision",
    "plot_gallery",
    "plot_heatmap",
    "plot_layer_scores",
    "plot_overlap",
    "plot_overlap_grid",
    "plot_radial_spectra",
    "plot_spectra",
    "plot_spectrum",
    "plot_training_curves",
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


def use_house_style() -> None:
    """Apply the house style to matplotlib and, in IPython, show figures as titled SVG.

    Call once at the top of a notebook (after importing this module). Figures then appear
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


def _axes(ax: Any, *, height: float = 2.8, width: float = TEXT_WIDTH) -> tuple[Figure, Any]:
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
        _cmap(value)
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


def _check(**args: Any) -> None:
    """Check the figure functions' common arguments, each by its name."""
    for name, value in args.items():
        _ARG_CHECKS[name](name, value)


def _check_stride(stride: Any, ndim: int) -> None:
    if stride is not None:
        per_axis("stride", stride, ndim, minimum=1)


def _check_maps(name: str, maps: Any, *, min_ndim: int = 2, max_ndim: int = 2) -> None:
    """A non-empty mapping of panel titles to real, finite arrays of ``min_ndim..max_ndim``
    axes (numpy arrays or tensors)."""
    check_mapping(name, maps)
    for key, value in maps.items():
        arr = as_real_array(f"{name}[{key!r}]", value, min_ndim=min_ndim)
        if arr.ndim > max_ndim:
            raise ValueError(f"{name}[{key!r}] must have at most {max_ndim} axes, got {arr.shape}")


def _wrap(text: str, width_in: float, size: float = FONT_PT + 1) -> str:
    """``text`` broken into lines that fit ``width_in`` inches at ``size`` points."""
    chars = max(8, int(width_in * 72 / (0.58 * size)))
    return "\n".join(textwrap.fill(line, chars) for line in str(text).splitlines() or [""])


def ink(value: float, norm, cmap) -> str:
    """Black or white, whichever reads better on the colour ``value`` maps to."""
    r, g, b, _ = cmap(norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


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
    _check(fmt=fmt, skip_nan=skip_nan)
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


def mark_harmonics(ax: Any, stride: int | Sequence[int], *, ndim: int = 2, color="white") -> None:
    """Mark the stride harmonics ``m/s`` (cycles/sample, DC excluded) on a spectrum's axes.

    2-D: small open circles at every ``(m1/s1, m2/s2)`` folded into [-0.5, 0.5); 1-D: dotted
    vertical lines at ``m/s`` for ``0 < m/s <= 0.5``.
    """
    check_axes("ax", ax, none_ok=False)
    if isinstance(ndim, bool) or not isinstance(ndim, (int, np.integer)) or ndim not in (1, 2):
        raise ValueError(f"ndim must be 1 or 2, got {ndim!r}")
    s = per_axis("stride", stride, ndim, minimum=1)
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


# -- overlap maps --------------------------------------------------------------------------

_HOLE = "#d62728"


def _count_ticks(vmax: int, length_in: float) -> range:
    """Colour-bar ticks 0..vmax spaced so that 8 pt labels never touch on a bar this long."""
    step = max(1, math.ceil((vmax + 1) * 1.4 * FONT_PT / max(length_in * 72, 1.0)))
    return range(0, vmax + 1, step)


def count_cmap(vmax: int) -> tuple[ListedColormap, BoundaryNorm]:
    """A discrete map for counts 0..vmax: 0 white (no tap), then light to dark blue."""
    vmax = max(int(vmax), 1)
    blues = plt.get_cmap("Blues")(np.linspace(0.25, 0.95, vmax))
    cmap = ListedColormap(np.vstack([[1, 1, 1, 1], blues]))
    return cmap, BoundaryNorm(np.arange(-0.5, vmax + 1.5), cmap.N)


def plot_overlap(
    overlap: np.ndarray,
    *,
    interior: np.ndarray | None = None,
    ax: Any = None,
    title: str | None = None,
    annotate: bool | None = None,
    vmax: int | None = None,
    colorbar: bool = True,
) -> Figure:
    """Draw a 1-D overlap map as bars or a 2-D one as counted cells.

    Counts are written in the cells (bars) when an 8 pt digit fits; the border (outputs
    not reached by every tap) is drawn pale; holes (interior outputs that no tap reaches)
    are marked with a red cross, apart from cells that are merely uneven.

    Parameters
    ----------
    overlap : ndarray, shape ``(L,)`` or ``(H, W)``
    interior : bool ndarray of the same shape, optional
    annotate : bool, optional
        Write the counts (default: when a cell is at least 9 pt wide).
    vmax : int, optional
        Top of the colour scale: pass the same value to panels that are compared.
    colorbar : bool
        Draw a colour bar (2-D).

    Returns
    -------
    matplotlib.figure.Figure
    """
    _check(ax=ax, title=title, colorbar=colorbar)
    as_real_array("overlap", overlap)
    if annotate is not None:
        check_bool("annotate", annotate)
    if vmax is not None:
        check_int("vmax", vmax, minimum=1)
    m = np.asarray(overlap)
    if m.ndim not in (1, 2):
        raise ValueError(f"overlap must be 1-D or 2-D to draw, got shape {m.shape}")
    inner = np.ones(m.shape, bool) if interior is None else np.asarray(interior, bool)
    if inner.shape != m.shape:
        raise ValueError(f"interior has shape {inner.shape}, overlap has shape {m.shape}")
    top = int(m.max()) if vmax is None else int(vmax)
    cmap, norm = count_cmap(top)
    fig, ax = _axes(ax, height=2.4 if m.ndim == 1 else 3.0)
    if annotate is None:  # counts only where a cell holds an 8 pt digit
        pos = ax.get_position()
        cell_pt = pos.width * fig.get_figwidth() * 72 / (m.shape[-1] if m.ndim == 2 else len(m))
        show = cell_pt >= 9
    else:
        show = annotate
    if m.ndim == 1:
        colors = [cmap(norm(v)) if inner[i] else "0.85" for i, v in enumerate(m)]
        ax.bar(np.arange(len(m)), m, color=colors, width=0.85, edgecolor="0.3", linewidth=0.5)
        holes = np.flatnonzero(inner & (m == 0))
        ax.plot(holes, np.zeros(len(holes)), "x", color=_HOLE, ms=7, mew=1.5)
        ax.set_xlabel("output position o")
        ax.set_ylabel("overlap (taps)")
        ax.set_ylim(0, max(top, 1) * 1.2)
        if show:
            for i, v in enumerate(m):
                ax.text(i, v, str(int(v)), ha="center", va="bottom", fontsize=FONT_PT)
    else:
        im = ax.imshow(m, cmap=cmap, norm=norm)
        if not inner.all():  # the border, paled: an edge effect, not the checkerboard
            ax.imshow(
                np.where(inner, np.nan, 1.0),
                cmap=ListedColormap(["white"]),
                alpha=0.6,
                vmin=0,
                vmax=1,
                gid="border",
            )
        rr, cc = np.nonzero(inner & (m == 0))
        ax.plot(cc, rr, "x", color=_HOLE, ms=6, mew=1.5)
        if show:
            annotate_cells(
                ax,
                np.where(inner & (m == 0), np.nan, m.astype(float)),
                fmt="{:.0f}",
                norm=norm,
                cmap=cmap,
            )
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel("output column")
        ax.set_ylabel("output row")
        if colorbar:
            length = 0.85 * ax.get_position().height * ax.figure.get_figheight()
            cb = ax.figure.colorbar(im, ax=ax, shrink=0.85, ticks=_count_ticks(top, length))
            cb.set_label("overlap (taps)")
    if title:
        ax.set_title(title)
    return fig


def plot_overlap_grid(
    maps: Sequence[tuple[str, np.ndarray, np.ndarray | None]],
    *,
    ncols: int = 3,
    suptitle: str | None = None,
) -> Figure:
    """Several overlap maps side by side on one shared colour scale and one colour bar.

    ``maps`` holds ``(title, map, interior)`` triples; holes are crossed in red and the
    border drawn pale, as in :func:`plot_overlap`.
    """
    _check(ncols=ncols, suptitle=suptitle)
    if isinstance(maps, (str, bytes, Mapping)) or not isinstance(maps, Sequence):
        raise TypeError(f"maps must be a sequence of (title, map, interior), got {maps!r}")
    for i, entry in enumerate(maps):
        if not isinstance(entry, tuple) or len(entry) != 3 or not isinstance(entry[0], str):
            raise TypeError(f"maps[{i}] must be a (title, map, interior) triple, got {entry!r}")
        as_real_array(f"maps[{i}] map", entry[1])
    if not maps:
        raise ValueError("maps must not be empty")
    ncols = min(ncols, len(maps))
    nrows = -(-len(maps) // ncols)
    vmax = max(int(np.max(m)) for _, m, _ in maps)
    side = min(2.1, (TEXT_WIDTH - 0.9) / ncols)
    fig, axes = new_figure(nrows, ncols, height=side * nrows + 0.5, squeeze=False)
    flat = axes.ravel()
    cells = max(max(np.shape(m)) for _, m, _ in maps)
    legible = side * 0.85 * 72 / cells >= 9  # an 8 pt count fits every cell
    for ax, (title, m, interior) in zip(flat, maps, strict=False):
        plot_overlap(
            m, interior=interior, ax=ax, title=title, vmax=vmax, colorbar=False, annotate=legible
        )
        ax.set_xlabel("")
        ax.set_ylabel("")
    for ax in flat[len(maps) :]:
        ax.axis("off")
    cmap, norm = count_cmap(vmax)
    cb = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=cmap),
        ax=list(flat),
        shrink=0.8,
        ticks=_count_ticks(vmax, 0.8 * (fig.get_figheight() - 0.7)),
    )
    cb.set_label("overlap (taps)")
    fig.supxlabel("pale: border, not reached by every tap; red ×: hole, no tap at all")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def plot_contributions(
    x: Sequence[float],
    kernel: Sequence[float],
    stride: int,
    *,
    ax: Any = None,
    title: str | None = None,
) -> Figure:
    """1-D transposed convolution drawn as the sum of one scaled kernel copy per input.

    Input ``i`` paints ``x[i] * kernel`` starting at output ``i*stride``; the black line is
    their sum (padding 0), which is exactly ``conv_transpose1d``'s output.
    """
    _check(ax=ax, title=title)
    for name, value in (("x", x), ("kernel", kernel)):
        if as_real_array(name, value).ndim != 1:
            raise ValueError(f"{name} must be 1-D, got {value!r}")
    check_int("stride", stride, minimum=1)
    x = np.asarray(x, dtype=float)
    k = np.asarray(kernel, dtype=float)
    length = (len(x) - 1) * stride + len(k)
    fig, ax = _axes(ax, height=2.6)
    total = np.zeros(length)
    bottom_pos = np.zeros(length)
    colors = plt.get_cmap("tab10")
    for i, xi in enumerate(x):
        part = np.zeros(length)
        part[i * stride : i * stride + len(k)] = xi * k
        total += part
        ax.bar(
            np.arange(length),
            part,
            bottom=bottom_pos,
            width=0.8,
            color=colors(i % 10),
            alpha=0.85,
            label=f"x[{i}]·K placed at o = {i * stride}",
        )
        bottom_pos += part
    ax.plot(np.arange(length), total, "k.-", label="sum = output y")
    for o, v in enumerate(total):
        ax.text(o, v + 0.05 * max(total.max(), 1), f"{v:g}", ha="center", va="bottom")
    ax.set_ylim(0, total.max() * 1.3 if total.max() > 0 else 1)
    ax.set_xlabel("output position o")
    ax.set_ylabel("output value")
    ax.set_xticks(range(length))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    if title:
        ax.set_title(title)
    return fig


# -- heatmaps --------------------------------------------------------------------------------


_AGGFUNCS = ("mean", "median", "min", "max", "sum", "first", "last")


def plot_heatmap(
    frame: pd.DataFrame,
    *,
    index: str,
    columns: str,
    values: str,
    ax: Any = None,
    fmt: str = "{:.2f}",
    cmap: str | None = None,
    title: str | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    center: float | None = None,
    colorbar: bool = True,
    aggfunc: str = "mean",
) -> Figure:
    """Heatmap of ``values`` over ``index`` (rows) × ``columns`` of a tidy frame, annotated.

    Labels come from :func:`artifact_lab.viz.tables.label` (words and units). A signed quantity
    (``center`` given, or values of both signs) gets a diverging map centred there; pass
    the same ``vmin``/``vmax`` to panels that are compared.
    """
    check_frame("frame", frame)
    for name, column in (("index", index), ("columns", columns), ("values", values)):
        check_column(name, column, frame)
    _check(ax=ax, fmt=fmt, cmap=cmap, title=title, vmin=vmin, vmax=vmax, center=center)
    _check(colorbar=colorbar)
    check_choice("aggfunc", aggfunc, _AGGFUNCS)
    table = frame.pivot_table(index=index, columns=columns, values=values, aggfunc=aggfunc)
    data = table.to_numpy(dtype=float)
    finite = data[np.isfinite(data)]
    lo = float(finite.min()) if vmin is None and finite.size else vmin
    hi = float(finite.max()) if vmax is None and finite.size else vmax
    lo = 0.0 if lo is None else lo
    hi = 1.0 if hi is None else hi
    if center is None and lo < 0 < hi:
        center = 0.0
    if center is not None:
        reach = max(abs(lo - center), abs(hi - center), 1e-12)
        norm = TwoSlopeNorm(vcenter=center, vmin=center - reach, vmax=center + reach)
        cmap = cmap or "RdBu_r"
    else:
        norm = mpl.colors.Normalize(vmin=lo, vmax=hi if hi > lo else lo + 1)
        cmap = cmap or "rocket_r"
    cm = _cmap(cmap)
    labels = max((len(str(r)) for r in table.index), default=1)
    width = min(TEXT_WIDTH, 1.4 + 0.055 * labels * FONT_PT / 8 + 0.6 * data.shape[1])
    fig, ax = _axes(ax, height=min(9.0, 1.0 + 0.26 * data.shape[0]), width=width)

    im = ax.imshow(data, cmap=cm, norm=norm, aspect="auto")
    annotate_cells(ax, data, fmt=fmt, norm=norm, cmap=cm)
    ax.set_xticks(range(data.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(data.shape[0]), [str(r) for r in table.index])
    ax.set_xlabel(_label(columns))
    ax.set_ylabel(_label(index))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.9)
        cb.set_label(_label(values))
    if title:
        ax.set_title(_wrap(title, ax.figure.get_figwidth() - 1.0))
    return fig


def _cmap(name: Any):
    if not isinstance(name, str):
        return name
    try:
        return plt.get_cmap(name)
    except ValueError:
        import seaborn as sns  # seaborn's perceptual maps ("rocket", "mako", ...)

        return sns.color_palette(name, as_cmap=True)


# -- spectra ---------------------------------------------------------------------------------


def _array(a: Any) -> np.ndarray:
    if hasattr(a, "detach"):
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=float)


def spectrum_db(y: Any, *, window: str | None = "hann") -> np.ndarray:
    """Power spectrum of a 2-D array in dB relative to its own maximum, DC at the centre."""
    from ..core.spectral import power_spectrum

    arr = _array(y)
    if arr.ndim != 2:
        raise ValueError(f"y must be 2-D, got shape {arr.shape}")
    power = np.fft.fftshift(power_spectrum(arr, ndim=2, window=window))
    return 10 * np.log10(np.maximum(power / power.max(), 1e-12))


def plot_spectrum(
    y: Any,
    *,
    ax: Any = None,
    title: str | None = None,
    window: str | None = "hann",
    stride: int | Sequence[int] | None = None,
    vmin: float = -80.0,
    colorbar: bool = True,
) -> Figure:
    """Power spectrum of a 2-D output in dB (re its maximum), DC at the centre.

    Frequencies in cycles/sample with the vertical axis pointing up; ``stride`` marks the
    stride harmonics ``m/s`` with open circles. The colour scale is fixed (``vmin`` to
    0 dB), so panels drawn with the same ``vmin`` are comparable.
    """
    _check(ax=ax, title=title, window=window, vmin=vmin, colorbar=colorbar)
    _check_stride(stride, 2)
    as_real_array("y", y)
    db = spectrum_db(y, window=window)
    fig, ax = _axes(ax, height=3.0, width=3.6)
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
    if stride is not None:
        mark_harmonics(ax, stride, ndim=2, color="#4dd0e1")
    ax.set_xlabel("horizontal frequency (cycles/sample)")
    ax.set_ylabel("vertical frequency (cycles/sample)")
    ax.set_xticks([-0.5, -0.25, 0, 0.25, 0.5])
    ax.set_yticks([-0.5, -0.25, 0, 0.25, 0.5])
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.85)
        cb.set_label("power (dB re max)")
    if title:
        ax.set_title(title)
    return fig


def plot_spectra(
    outputs: Mapping[str, Any],
    *,
    stride: int | Sequence[int] | None = None,
    ncols: int = 3,
    vmin: float = -80.0,
    window: str | None = "hann",
    suptitle: str | None = None,
) -> Figure:
    """Several 2-D power spectra on one colour scale (dB re each map's maximum) with one
    colour bar; ``stride`` marks the harmonics on every panel. Keys are the panel titles."""
    _check_maps("outputs", outputs)
    _check_stride(stride, 2)
    _check(ncols=ncols, vmin=vmin, window=window, suptitle=suptitle)
    ncols = min(ncols, len(outputs))
    nrows = -(-len(outputs) // ncols)
    side = (TEXT_WIDTH - 1.2) / ncols
    fig, axes = new_figure(nrows, ncols, height=(side + 0.45) * nrows + 0.5, squeeze=False)
    flat = axes.ravel()
    for ax, (name, y) in zip(flat, outputs.items(), strict=False):
        plot_spectrum(
            y,
            ax=ax,
            title=_wrap(name, side),
            window=window,
            stride=stride,
            vmin=vmin,
            colorbar=False,
        )
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([-0.5, 0, 0.5])
        ax.set_yticks([-0.5, 0, 0.5])
    for ax in flat[len(outputs) :]:
        ax.axis("off")
    cb = fig.colorbar(flat[0].get_images()[0], ax=list(flat), shrink=0.8)
    cb.set_label("power (dB re each map's maximum)")
    fig.supxlabel("horizontal frequency (cycles/sample)")
    fig.supylabel("vertical frequency (cycles/sample)")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _powers_of_ten(ax: Any) -> None:
    """Label a log y axis ``10⁻³`` in plain text, so exponents print at the tick size."""

    def fmt(v: float, _pos: Any) -> str:
        e = math.log10(v) if v > 0 else math.nan
        return "10" + str(round(e)).translate(_SUPERSCRIPT) if abs(e - round(e)) < 1e-9 else ""

    ax.yaxis.set_major_formatter(FuncFormatter(fmt))
    ax.yaxis.set_minor_formatter(NullFormatter())


def plot_radial_spectra(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
    *,
    ax: Any = None,
    title: str | None = None,
    marks: Sequence[float] = (),
    stride: int | None = None,
    ylabel: str = "power (relative units)",
) -> Figure:
    """Radially averaged (or 1-D) power spectra on a log scale, one line per name.

    ``stride`` marks the harmonics ``m/s`` with dotted lines (``marks`` adds any others).
    The legend sits below the axes so that the curves keep the full width.
    """
    check_mapping("curves", curves)
    for name, curve in curves.items():
        if not isinstance(curve, tuple) or len(curve) != 2:
            raise TypeError(f"curves[{name!r}] must be a (frequencies, power) pair, got {curve!r}")
        f, p = (as_real_array(f"curves[{name!r}]", v) for v in curve)
        if f.shape != p.shape or f.ndim != 1:
            raise ValueError(f"curves[{name!r}] needs 1-D frequencies and power of one length")
    _check(ax=ax, title=title, ylabel=ylabel)
    as_real_array("marks", marks, empty_ok=True)
    if stride is not None:
        check_int("stride", stride, minimum=1)
    fig, ax = _axes(ax, height=3.0 + 0.16 * len(curves))
    for name, (f, p) in curves.items():
        ax.semilogy(f, p, label=name)
    _powers_of_ten(ax)
    for m in marks:
        ax.axvline(m, color="0.45", ls=":", lw=1)
    if stride is not None:
        mark_harmonics(ax, stride, ndim=1)
    dotted = "; dotted: stride harmonics m/s" if stride is not None or marks else ""
    ax.set_xlabel(f"frequency (cycles/sample){dotted}")
    ax.set_ylabel(ylabel)
    ax.set_xlim(0, 0.5 * math.sqrt(2) if max(np.max(f) for f, _ in curves.values()) > 0.5 else 0.5)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2)
    if title:
        ax.set_title(title)
    return fig


# -- images ----------------------------------------------------------------------------------


def plot_gallery(
    images: Mapping[str, Any],
    *,
    ncols: int = 4,
    crop: tuple[slice, slice] | None = None,
    cmap: str = "gray",
    vmin: float | None = None,
    vmax: float | None = None,
    shared: bool = True,
    standardize: bool = False,
    colorbar_label: str = "intensity",
    suptitle: str | None = None,
) -> Figure:
    """Images side by side without smoothing, so a grid shows.

    ``shared=True`` (default) draws every image on one colour scale (``vmin``/``vmax`` or
    the range over all images) with one colour bar; ``shared=False`` stretches each image
    to its own range and gives each its own colour bar. ``standardize=True`` first maps each
    image (after the crop) to zero mean and unit standard deviation, so that outputs of
    different gains share one scale in standard deviations (default ±2.5). ``crop`` zooms
    every image to the same window.
    """
    _check_maps("images", images)
    _check(ncols=ncols, cmap=cmap, vmin=vmin, vmax=vmax, shared=shared)
    _check(standardize=standardize, colorbar_label=colorbar_label, suptitle=suptitle)
    if crop is not None and not (
        isinstance(crop, tuple) and len(crop) == 2 and all(isinstance(c, slice) for c in crop)
    ):
        raise TypeError(f"crop must be a pair of slices (rows, columns) or None, got {crop!r}")
    arrays = {name: _array(img) for name, img in images.items()}
    if crop is not None:
        arrays = {name: a[crop] for name, a in arrays.items()}
    if standardize:
        arrays = {name: (a - a.mean()) / (a.std() or 1.0) for name, a in arrays.items()}
        vmin = -2.5 if vmin is None else vmin
        vmax = 2.5 if vmax is None else vmax
        if colorbar_label == "intensity":
            colorbar_label = "output (standard deviations)"
    ncols = min(ncols, len(arrays))
    nrows = -(-len(arrays) // ncols)
    side = (TEXT_WIDTH - 0.8) / ncols
    fig, axes = new_figure(nrows, ncols, height=(side + 0.35) * nrows + 0.3, squeeze=False)
    flat = axes.ravel()
    lo = min(float(a.min()) for a in arrays.values()) if vmin is None else vmin
    hi = max(float(a.max()) for a in arrays.values()) if vmax is None else vmax
    im = None
    for ax, (name, arr) in zip(flat, arrays.items(), strict=False):
        if shared:
            im = ax.imshow(arr, cmap=cmap, vmin=lo, vmax=hi)
        else:
            one = ax.imshow(arr, cmap=cmap)
            fig.colorbar(one, ax=ax, shrink=0.8)
        ax.set_title(_wrap(name, side - 0.1))
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    for ax in flat[len(arrays) :]:
        ax.axis("off")
    if shared and im is not None:
        cb = fig.colorbar(im, ax=list(flat), shrink=0.8)
        cb.set_label(_wrap(colorbar_label, 0.8 * fig.get_figheight() - 0.2, FONT_PT))
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# -- the decision table ----------------------------------------------------------------------

_VERDICT_COLOURS = {"even": "#b7e4c7", "uneven": "#fde68a", "holes": "#f4a6a6"}


def plot_decision(table: pd.DataFrame, *, suptitle: str | None = None) -> Figure:
    """The decision table as one page: one panel per dilation, kernel size × stride cells.

    Each cell is coloured by the all-ones verdict (even, uneven, holes) and shows the
    expected default-initialisation score with its spread over seeds (mean, ± std). Takes
    :func:`artifact_lab.atlas.decision.decision_table`'s frame.
    """
    check_frame("table", table)
    _check(suptitle=suptitle)
    need = {"kernel_size", "stride", "dilation", "verdict", "default_score", "default_spread"}
    missing = need - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}; pass decision_table()")
    dilations = sorted(table.dilation.unique())
    ks = sorted(table.kernel_size.unique())
    ss = sorted(table.stride.unique())
    order = list(_VERDICT_COLOURS)
    cmap = ListedColormap([_VERDICT_COLOURS[v] for v in order])
    height = 0.75 + len(dilations) * (0.29 * len(ss) + 0.42)
    fig, axes = new_figure(len(dilations), 1, height=height, squeeze=False, sharex=True)
    for ax, d in zip(axes[:, 0], dilations, strict=True):
        part = table[table.dilation == d]
        codes = part.pivot(index="stride", columns="kernel_size", values="verdict")
        codes = codes.reindex(index=ss, columns=ks)
        ax.imshow(
            np.vectorize(order.index)(codes.to_numpy()),
            cmap=cmap,
            vmin=-0.5,
            vmax=len(order) - 0.5,
            aspect="auto",
        )
        mean = part.pivot(index="stride", columns="kernel_size", values="default_score")
        spread = part.pivot(index="stride", columns="kernel_size", values="default_spread")
        mean, spread = mean.reindex(index=ss, columns=ks), spread.reindex(index=ss, columns=ks)
        for (r, c), v in np.ndenumerate(mean.to_numpy()):
            sd = spread.to_numpy()[r, c]
            text = "0" if v < 5e-13 and sd < 5e-13 else f"{v:.2f}\n±{sd:.2f}"
            ax.text(c, r, text, ha="center", va="center", fontsize=FONT_PT, linespacing=0.95)
        ax.set_xticks(range(len(ks)), [str(k) for k in ks])
        ax.set_yticks(range(len(ss)), [str(s) for s in ss])
        ax.tick_params(labelbottom=True)
        ax.set_ylabel("stride s")
        ax.set_title(f"dilation d = {d}")
        ax.tick_params(length=0)
        ax.set_xticks(np.arange(len(ks) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(ss) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", lw=1.5)
        ax.tick_params(which="minor", length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
    handles = [
        mpl.patches.Patch(color=_VERDICT_COLOURS[v], label=f"all-ones overlap: {v}") for v in order
    ]
    axes[-1, 0].set_xlabel("kernel size k")
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


# -- audits and training ---------------------------------------------------------------------


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
    _check(ncols=ncols, suptitle=suptitle)
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


def plot_training_curves(
    frame: pd.DataFrame,
    metrics: Sequence[str],
    *,
    hue: str = "variant",
    x: str = "step",
    titles: Sequence[str] | None = None,
    chance: Mapping[str, float] | None = None,
) -> Figure:
    """Metrics against training steps, one panel each, one line per ``hue`` (mean over
    seeds, band = range over seeds). ``chance`` draws a dashed chance level per metric."""
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
            mean, lo, hi = g.mean(), g.min(), g.max()
            ax.plot(mean.index, mean.to_numpy(), color=palette(i % 10), label=name)
            ax.fill_between(
                mean.index, lo.to_numpy(), hi.to_numpy(), color=palette(i % 10), alpha=0.15, lw=0
            )
        if chance and metric in chance:
            ax.axhline(
                chance[metric], color="0.3", ls="--", lw=1, label="chance level" if j == 0 else None
            )
        ax.set_xlabel(_label(x))
        ax.set_ylabel(_label(metric))
        if titles:
            ax.set_title(titles[j])
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3)
    return fig


# Importing this module applies the house style, so every figure drawn through it (or after
# it, in the same kernel) inherits the style and prints legibly, whoever wrote the function.
use_house_style()


# --------------------------------------------------------------------------- gradients (07)
# Input-gradient figures for notebook 07, in the house style: A4 text width, fonts of at
# least 8 pt, a diverging map centred on 0 for signed gradients, a colour bar per panel.


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
    _check_maps("maps", maps)
    _check(ncols=ncols)
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
        arr = _array(m)
        if zoom is not None:
            top, left = max(0, (arr.shape[0] - zoom) // 2), max(0, (arr.shape[1] - zoom) // 2)
            arr = arr[top : top + zoom, left : left + zoom]
        lim = float(np.abs(arr).max()) or 1.0
        exponent = math.floor(math.log10(lim)) if not 1e-2 <= lim < 1e3 else 0
        arr, lim = arr / 10.0**exponent, lim / 10.0**exponent  # no "1e-5" offset on the bar
        im = ax.imshow(arr, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        ax.set_title(_wrap(name, side - 1.0, FONT_PT), fontsize=FONT_PT)
        _pixel_axes(ax, ylabel=i % ncols == 0)
        bar = fig.colorbar(im, ax=ax, shrink=0.8)
        bar.ax.tick_params(labelsize=FONT_PT)
        label = units.get(name, "gradient") if isinstance(units, dict) else units
        if exponent:
            label += f" (×10{str(exponent).translate(_SUPERSCRIPT)})"
        bar.set_label(label, fontsize=FONT_PT)
    for ax in axes[len(maps) :]:
        ax.axis("off")
    return fig


def _pixel_axes(ax: Any, *, ylabel: bool, unit: str = "pixels") -> None:
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
    _check_maps("maps", maps, max_ndim=4)
    check_int("period", period, minimum=1)
    _check(ncols=ncols, window=window)
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
        arr = _array(m)
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
        ax.set_title(_wrap(name, side - 0.7, FONT_PT), fontsize=FONT_PT)
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


__all__ += ["plot_gradient_maps", "plot_gradient_spectra"]


# --- prevention study (notebook 08) -------------------------------------------------------


def plot_prevention(result: Any, *, score: str = "pair_score") -> Figure:
    """Scores over training (top) and artifacts against quality at the end (bottom), one
    column per factor.

    ``result`` is a :class:`artifact_lab.studies.training.PreventionResult`. Top: the monitor's
    closed-form ``score`` (``"pair_score"`` or ``"checkerboard_score"``) per method, mean
    over seeds, band = range over seeds, a random initialisation's score dashed (the chance
    level). Bottom: each seed's final held-out PSNR against the harmonic fraction measured on
    its outputs (log scale); dashed: bicubic interpolation's PSNR and the pictures' own
    harmonic fraction. Sized for an A4 text width (6.9 in), fonts of 8 pt and more.
    """
    from ..studies.training import PreventionResult

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
