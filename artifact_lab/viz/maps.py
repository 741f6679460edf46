"""Figures of overlap maps, contributions, heatmaps of a sweep, and the decision grid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure

from .._util.checks import (
    MAX_MARKS,
    as_real_array,
    check_bool,
    check_choice,
    check_column,
    check_elements,
    check_frame,
    check_int,
)
from .style import (
    FONT_PT,
    HOLE,
    TEXT_WIDTH,
    annotate_cells,
    axes_for,
    check_args,
    colormap,
    count_cmap,
    count_ticks,
    house_style,
    new_figure,
    wrap,
)
from .tables import label

__all__ = [
    "plot_contributions",
    "plot_decision",
    "plot_heatmap",
    "plot_overlap",
    "plot_overlap_grid",
]


@house_style
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
    check_args(ax=ax, title=title, colorbar=colorbar)
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
    fig, ax = axes_for(ax, height=2.4 if m.ndim == 1 else 3.0)
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
        ax.plot(holes, np.zeros(len(holes)), "x", color=HOLE, ms=7, mew=1.5)
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
        ax.plot(cc, rr, "x", color=HOLE, ms=6, mew=1.5)
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
            cb = ax.figure.colorbar(im, ax=ax, shrink=0.85, ticks=count_ticks(top, length))
            cb.set_label("overlap (taps)")
    if title:
        ax.set_title(title)
    return fig


@house_style
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
    check_args(ncols=ncols, suptitle=suptitle)
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
        ticks=count_ticks(vmax, 0.8 * (fig.get_figheight() - 0.7)),
    )
    cb.set_label("overlap (taps)")
    fig.supxlabel("pale: border, not reached by every tap; red ×: hole, no tap at all")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


@house_style
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
    check_args(ax=ax, title=title)
    for name, value in (("x", x), ("kernel", kernel)):
        if as_real_array(name, value).ndim != 1:
            raise ValueError(f"{name} must be 1-D, got {value!r}")
    check_int("stride", stride, minimum=1)
    x = np.asarray(x, dtype=float)
    k = np.asarray(kernel, dtype=float)
    length = (len(x) - 1) * stride + len(k)
    check_elements("stride: the drawn output", (length,), MAX_MARKS, "draw a smaller stride")
    fig, ax = axes_for(ax, height=2.6)
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


@house_style
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
    check_args(ax=ax, fmt=fmt, cmap=cmap, title=title, vmin=vmin, vmax=vmax, center=center)
    check_args(colorbar=colorbar)
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
    cm = colormap(cmap)
    labels = max((len(str(r)) for r in table.index), default=1)
    width = min(TEXT_WIDTH, 1.4 + 0.055 * labels * FONT_PT / 8 + 0.6 * data.shape[1])
    fig, ax = axes_for(ax, height=min(9.0, 1.0 + 0.26 * data.shape[0]), width=width)

    im = ax.imshow(data, cmap=cm, norm=norm, aspect="auto")
    annotate_cells(ax, data, fmt=fmt, norm=norm, cmap=cm)
    ax.set_xticks(range(data.shape[1]), [str(c) for c in table.columns])
    ax.set_yticks(range(data.shape[0]), [str(r) for r in table.index])
    ax.set_xlabel(label(columns))
    ax.set_ylabel(label(index))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if colorbar:
        cb = ax.figure.colorbar(im, ax=ax, shrink=0.9)
        cb.set_label(label(values))
    if title:
        ax.set_title(wrap(title, ax.figure.get_figwidth() - 1.0))
    return fig


# -- the decision table ----------------------------------------------------------------------

_VERDICT_COLOURS = {"even": "#b7e4c7", "uneven": "#fde68a", "holes": "#f4a6a6"}
# what decides the checkerboard: the stride, then whether an equal-gain initialisation exists
_DECIDES_COLOURS = {
    "stride 1: no checkerboard at any weights": "#b7e4c7",
    "a clean initialisation exists; torch's default is not clean": "#fde68a",
    "no clean initialisation (holes): change the geometry": "#f4a6a6",
}


def _decides(row: Any) -> str:
    names = list(_DECIDES_COLOURS)
    if row.stride == 1:
        return names[0]
    return names[1] if row.clean_init_exists else names[2]


@house_style
def plot_decision(
    table: pd.DataFrame, *, suptitle: str | None = None, colour_by: str = "verdict"
) -> Figure:
    """The decision table as one page: one panel per dilation, kernel size × stride cells.

    Each cell shows the expected default-initialisation score with its spread over seeds
    (mean, ± std) and is coloured by ``colour_by``: ``"verdict"``, the all-ones overlap
    (even, uneven, holes), or ``"decides"``, what decides the checkerboard (stride 1; a clean
    initialisation exists; none exists). Takes
    :func:`artifact_lab.atlas.decision.decision_table`'s frame.
    """
    check_frame("table", table)
    check_args(suptitle=suptitle)
    if colour_by not in ("verdict", "decides"):
        raise ValueError(f"colour_by must be 'verdict' or 'decides', got {colour_by!r}")
    need = {"kernel_size", "stride", "dilation", "verdict", "default_score", "default_spread"}
    if colour_by == "decides":
        need.add("clean_init_exists")
    missing = need - set(table.columns)
    if missing:
        raise ValueError(f"table lacks the columns {sorted(missing)}; pass decision_table()")
    dilations = sorted(table.dilation.unique())
    ks = sorted(table.kernel_size.unique())
    ss = sorted(table.stride.unique())
    colours = _VERDICT_COLOURS if colour_by == "verdict" else _DECIDES_COLOURS
    if colour_by == "decides":
        table = table.assign(verdict=[_decides(r) for r in table.itertuples(index=False)])
    order = list(colours)
    cmap = ListedColormap([colours[v] for v in order])
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
    prefix = "all-ones overlap: " if colour_by == "verdict" else ""
    handles = [mpl.patches.Patch(color=colours[v], label=f"{prefix}{v}") for v in order]
    axes[-1, 0].set_xlabel("kernel size k")
    fig.legend(handles=handles, loc="outside lower center", ncol=3 if colour_by == "verdict" else 1)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
