"""Step diagrams of a transposed convolution, drawn the way the conv_arithmetic guide does.

- :func:`plot_steps_1d`: insert zeros, pad, slide the flipped kernel, read one output.
- :func:`plot_steps_2d`: the same in 2-D: input, zero-inserted and padded grid with the
  kernel window, output grid.
- :func:`plot_painting`: the other view: every input paints a scaled copy of the kernel
  onto the output and the copies add up; one frame per input.
- :func:`painting_animation`: those frames as an animated GIF for the HTML page, with the
  same frames printed as a strip for paper.

Every figure follows the house style of :mod:`artifact_lab.viz.plotting`; the numbers drawn are
computed from the definition of the transposed convolution, never typed in.

References
----------
Dumoulin, Visin, "A guide to convolution arithmetic for deep learning", arXiv:1603.07285.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from .._util.checks import (
    MAX_MARKS,
    as_real_array,
    check_elements,
    check_figure,
    check_float,
    check_int,
    check_str,
    per_axis,
)
from ..core.arithmetic import zero_insert
from .style import (
    FONT_PT,
    TEXT_WIDTH,
    count_cmap,
    figure_fonts,
    figure_svg,
    house_rc,
    house_style,
    ink,
    new_figure,
)

__all__ = [
    "Animation",
    "painting_animation",
    "painting_counts",
    "plot_painting",
    "plot_painting_strip",
    "plot_steps_1d",
    "plot_steps_2d",
]

_INPUT = "#6baed6"
_ZERO = "white"
_PAD = "#eeeeee"
_KERNEL = "#fdae6b"
_OUT = "#c7e9c0"
_EDGE = "0.35"


MAX_CELLS = 64  # cells per axis a picture can show legibly
MAX_PAINTED = 8  # inputs per axis of a painting: it draws n*n frames or panels


def _geometry(input_size, kernel_size, stride, *, max_inputs: int = MAX_CELLS):
    """``(n, k, s)`` of a picture, checked, refused where the grid would not fit the page."""
    n = check_int("input_size", input_size, minimum=1)
    k = check_int("kernel_size", kernel_size, minimum=1)
    s = check_int("stride", stride, minimum=1)
    if n > max_inputs:
        raise ValueError(f"input_size must be at most {max_inputs} for this picture, got {n}")
    if (n - 1) * s + k > MAX_CELLS:
        raise ValueError(
            f"input_size={n}, kernel_size={k} and stride={s} give {(n - 1) * s + k} output cells "
            f"per axis, more than the {MAX_CELLS} a picture shows"
        )
    return n, k, s


def _cell(ax, x, y, color, text="", *, dashed=False, lw=0.8, edge=_EDGE, size=1.0):
    ax.add_patch(
        Rectangle(
            (x - size / 2, y - size / 2),
            size,
            size,
            facecolor=color,
            edgecolor=edge,
            lw=lw,
            ls="--" if dashed else "-",
        )
    )
    if text != "":
        ax.text(x, y, text, ha="center", va="center", fontsize=FONT_PT)


def _num(v: float) -> str:
    return f"{v:g}"


def _transposed_1d(x: np.ndarray, kernel: np.ndarray, s: int, p: int, d: int) -> np.ndarray:
    """``y[o] = sum over i*s + j*d - p == o of x[i]*K[j]``, straight from the definition."""
    n, k = len(x), len(kernel)
    length = (n - 1) * s - 2 * p + d * (k - 1) + 1
    y = np.zeros(length)
    for i in range(n):
        for j in range(k):
            o = i * s + j * d - p
            if 0 <= o < length:
                y[o] += x[i] * kernel[j]
    return y


@house_style
def plot_steps_1d(
    x: Sequence[float],
    kernel: Sequence[float],
    stride: int,
    padding: int = 0,
    *,
    dilation: int = 1,
    position: int | None = None,
    title: str | None = None,
) -> Figure:
    """A 1-D transposed convolution as zero insertion, padding and the flipped kernel.

    Rows, top to bottom: the input; ``s - 1`` zeros inserted between neighbours; padding of
    ``d*(k-1) - p`` zeros on each side; the flipped kernel at one window position (outlined
    in the padded row); the output, with the sample that window computes outlined.

    Parameters
    ----------
    x, kernel : sequence of float
    stride, padding, dilation : int
        ``padding`` at most ``d*(k-1)`` (larger paddings crop, which this picture omits).
    position : int, optional
        Output sample whose window is shown (default: the middle one).
    title : str, optional
    """
    xs = as_real_array("x", x)
    ks = as_real_array("kernel", kernel)
    for name, arr in (("x", xs), ("kernel", ks)):
        if arr.ndim != 1 or arr.size > MAX_CELLS:
            raise ValueError(
                f"{name} must be a 1-D sequence of at most {MAX_CELLS} numbers to draw, got "
                f"shape {arr.shape}"
            )
    title = check_str("title", title, none_ok=True)
    s = check_int("stride", stride, minimum=1)
    d = check_int("dilation", dilation, minimum=1)
    k = len(ks)
    p = check_int("padding", padding, minimum=0)
    edge = d * (k - 1) - p
    if edge < 0:
        raise ValueError(
            f"padding must be at most d*(k-1) = {d * (k - 1)} for this picture, got {padding}"
        )
    check_elements(
        "stride and dilation: the drawn rows",
        ((len(xs) - 1) * s + 1 + 2 * edge,),
        MAX_MARKS,
        "draw a smaller stride or dilation",
    )
    y = _transposed_1d(xs, ks, s, p, d)
    if not y.size:
        raise ValueError("this geometry gives an empty output")
    o = len(y) // 2 if position is None else check_int("position", position, minimum=0)
    if o >= len(y):
        raise ValueError(f"position must be below the output length {len(y)}, got {position}")
    spread = zero_insert(xs, s)
    padded = np.concatenate([np.zeros(edge), spread, np.zeros(edge)])
    width = len(padded)
    rows = {"input x": 4, "zeros inserted": 3, "padded": 2, "flipped kernel": 1, "output y": 0}
    fig, ax = new_figure(height=2.1)
    for i, v in enumerate(xs):  # input, compact, starting under the first real sample
        _cell(ax, edge + i, rows["input x"], _INPUT, _num(v))
    for t, v in enumerate(spread):
        real = t % s == 0
        _cell(ax, edge + t, rows["zeros inserted"], _INPUT if real else _ZERO, _num(v))
    for t, v in enumerate(padded):
        pad = t < edge or t >= edge + len(spread)
        real = not pad and (t - edge) % s == 0
        color = _PAD if pad else (_INPUT if real else _ZERO)
        _cell(ax, t, rows["padded"], color, _num(v), dashed=pad)
    flipped = ks[::-1]
    for j in range(k):
        _cell(ax, o + j * d, rows["flipped kernel"], _KERNEL, _num(flipped[j]))
    ax.add_patch(
        Rectangle(
            (o - 0.5, rows["padded"] - 0.5), d * (k - 1) + 1, 1, fill=False, ec="#e6550d", lw=2
        )
    )
    centre = (d * (k - 1)) / 2
    for i, v in enumerate(y):
        _cell(ax, i + centre, rows["output y"], _OUT, _num(v))
    ax.add_patch(Rectangle((o + centre - 0.5, -0.5), 1, 1, fill=False, ec="#e6550d", lw=2))
    products = " + ".join(f"{_num(padded[o + j * d])}·{_num(flipped[j])}" for j in range(k))
    ax.text(
        width - 0.3,
        rows["flipped kernel"],
        f"y[{o}] = {products} = {_num(y[o])}",
        ha="left",
        va="center",
        fontsize=FONT_PT,
    )
    ax.set_yticks(
        list(rows.values()),
        [
            f"input x (n = {len(xs)})",
            f"s − 1 = {s - 1} zero{'' if s == 2 else 's'} between inputs",
            f"pad d(k−1)−p = {edge} each side",
            f"flipped kernel (k = {k})",
            f"output (L = {len(y)})",
        ],
    )
    ax.set_xticks([])
    ax.set_xlim(-0.7, width + 6.5)
    ax.set_ylim(-0.7, 4.7)
    ax.set_aspect("equal")
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.tick_params(length=0)
    ax.set_title(title or f"1-D transposed convolution, k = {k}, s = {s}, p = {p}, d = {d}")
    return fig


def _grid(ax, x0, y0, rows, cols, colors, *, dashed=None, texts=None):
    for r in range(rows):
        for c in range(cols):
            _cell(
                ax,
                x0 + c,
                y0 - r,
                colors[r][c],
                "" if texts is None else texts[r][c],
                dashed=bool(dashed[r][c]) if dashed is not None else False,
            )


@house_style
def plot_steps_2d(
    input_size: int,
    kernel_size: int,
    stride: int,
    padding: int = 0,
    *,
    position: tuple[int, int] = (1, 1),
    title: str | None = None,
) -> Figure:
    """A 2-D transposed convolution drawn as in the conv_arithmetic guide.

    Three panels: the ``n×n`` input; the zero-inserted input padded by ``k-1-p`` (padding
    dashed) with the flipped ``k×k`` kernel window at ``position``; the output grid with the
    sample that window computes.
    """
    n, k, s = _geometry(input_size, kernel_size, stride)
    p = check_int("padding", padding, minimum=0)
    title = check_str("title", title, none_ok=True)
    edge = k - 1 - p
    if edge < 0:
        raise ValueError(f"padding must be at most k-1 = {k - 1} for this picture, got {p}")
    spread = (n - 1) * s + 1
    side = spread + 2 * edge
    out = side - k + 1
    r0, c0 = per_axis("position", position, 2, minimum=0)
    if not (0 <= r0 < out and 0 <= c0 < out):
        raise ValueError(f"position must lie in the {out}×{out} output, got {position!r}")
    real = np.zeros((side, side), bool)
    real[edge : edge + spread : s, edge : edge + spread : s] = True
    pad = np.ones((side, side), bool)
    pad[edge : edge + spread, edge : edge + spread] = False
    colors = np.where(real, _INPUT, np.where(pad, _PAD, _ZERO)).tolist()
    gap = 2.5
    x_mid = n + gap
    x_out = x_mid + side + gap
    fig, ax = new_figure(height=2.9)
    top = side - 1
    _grid(ax, 0, top - (side - n) / 2, n, n, [[_INPUT] * n] * n)
    _grid(ax, x_mid, top, side, side, colors, dashed=pad)
    ax.add_patch(
        Rectangle(
            (x_mid + c0 - 0.5, top - r0 - k + 0.5), k, k, fc=_KERNEL, alpha=0.55, ec="#e6550d", lw=2
        )
    )
    out_colors = [[_OUT] * out for _ in range(out)]
    out_top = top - (side - out) / 2
    _grid(ax, x_out, out_top, out, out, out_colors)
    ax.add_patch(
        Rectangle((x_out + c0 - 0.5, out_top - r0 - 0.5), 1, 1, fill=False, ec="#e6550d", lw=2)
    )
    for x, label in (
        ((n - 1) / 2, f"input {n}×{n}"),
        (x_mid + (side - 1) / 2, f"zeros inserted (s = {s}), padded by k−1−p = {edge}"),
        (x_out + (out - 1) / 2, f"output {out}×{out}"),
    ):
        ax.text(x, top + 1.2, label, ha="center", va="bottom", fontsize=FONT_PT)
    ax.annotate(
        "",
        xy=(x_mid - 0.8, top - side / 2),
        xytext=(n - 0.2, top - side / 2),
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
    ax.annotate(
        "",
        xy=(x_out - 0.8, top - side / 2),
        xytext=(x_mid + side - 0.2, top - side / 2),
        arrowprops={"arrowstyle": "->", "color": "0.3"},
    )
    handles = [
        mpl.patches.Patch(fc=_INPUT, ec=_EDGE, label="input sample"),
        mpl.patches.Patch(fc=_ZERO, ec=_EDGE, label="inserted zero"),
        mpl.patches.Patch(fc=_PAD, ec=_EDGE, ls="--", label="padding"),
        mpl.patches.Patch(fc=_KERNEL, ec="#e6550d", label=f"flipped {k}×{k} kernel"),
        mpl.patches.Patch(fc=_OUT, ec=_EDGE, label="output"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=5)
    ax.set_xlim(-0.8, x_out + out)
    ax.set_ylim(-0.8, top + 2.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title or f"2-D transposed convolution, k = {k}, s = {s}, p = {p}")
    return fig


# -- painting: every input adds a copy of the kernel ------------------------------------------


def painting_counts(input_size: int, kernel_size: int, stride: int, step: int) -> np.ndarray:
    """Overlap counts after the first ``step`` inputs (raster order) painted their copies.

    Padding 0; after all ``n*n`` steps this is :func:`artifact_lab.overlap_map`'s map.

    Examples
    --------
    >>> painting_counts(2, 3, 2, 4)[2]
    array([2, 2, 4, 2, 2])
    """
    n, k, s = _geometry(input_size, kernel_size, stride, max_inputs=MAX_PAINTED)
    step = check_int("step", step, minimum=0)
    if step > n * n:
        raise ValueError(f"step must be at most n*n = {n * n}, got {step}")
    size = (n - 1) * s + k
    counts = np.zeros((size, size), dtype=np.int64)
    for idx in range(step):
        i, j = divmod(idx, n)
        counts[i * s : i * s + k, j * s : j * s + k] += 1
    return counts


def _cells(ax, values, cmap, norm, edge, lw):
    """One artist for a whole grid of cells with their borders (fast to redraw)."""
    rows, cols = values.shape
    ax.pcolormesh(
        np.arange(cols + 1) - 0.5,
        np.arange(rows + 1) - 0.5,
        values,
        cmap=cmap,
        norm=norm,
        edgecolors=edge,
        linewidth=lw,
    )
    ax.set_xlim(-0.55, cols - 0.45)
    ax.set_ylim(rows - 0.45, -0.55)
    ax.set_aspect("equal")
    ax.axis("off")


def _draw_painting(ax_in, ax_out, n, k, s, step, vmax, *, small=False):
    cmap, norm = count_cmap(vmax)
    counts = painting_counts(n, k, s, step)
    _cells(ax_out, counts, cmap, norm, "0.85", 0.5)
    if not small or counts.shape[0] <= 9:
        for (r, c), v in np.ndenumerate(counts):
            if v:
                ax_out.text(
                    c,
                    r,
                    str(v),
                    ha="center",
                    va="center",
                    fontsize=FONT_PT,
                    color=ink(v, norm, cmap),
                )
    if step:
        i, j = divmod(step - 1, n)
        ax_out.add_patch(
            Rectangle((j * s - 0.5, i * s - 0.5), k, k, fill=False, ec="#e6550d", lw=2)
        )
    if ax_in is not None:
        grid = np.zeros((n, n))
        if step:
            grid.flat[: step - 1] = 0.5
            grid.flat[step - 1] = 1.0
        palette = mpl.colors.ListedColormap(["white", "#c6dbef", "#e6550d"])
        _cells(ax_in, grid, palette, mpl.colors.Normalize(0, 1), _EDGE, 0.8)
        ax_in.set_title("input; orange: now")
    return counts


def _painting_title(n, k, s, step):
    if step == 0:
        return f"empty {(n - 1) * s + k}×{(n - 1) * s + k} output"
    i, j = divmod(step - 1, n)
    return f"step {step}: input ({i}, {j}) adds a {k}×{k} copy at ({i * s}, {j * s})"


@house_style
def plot_painting(
    input_size: int, kernel_size: int, stride: int, *, step: int | None = None
) -> Figure:
    """One frame of the painting: the input with the current sample, and the output's
    overlap counts after ``step`` inputs (default: all) each added a ``k×k`` copy."""
    n, k, s = _geometry(input_size, kernel_size, stride, max_inputs=MAX_PAINTED)
    step = n * n if step is None else check_int("step", step, minimum=0)
    if step > n * n:
        raise ValueError(f"step must be at most n*n = {n * n}, got {step}")
    vmax = int(painting_counts(n, k, s, n * n).max())
    fig, (ax_in, ax_out) = new_figure(
        1, 2, height=2.6, width=TEXT_WIDTH * 0.75, gridspec_kw={"width_ratios": [1, 2.2]}
    )
    _draw_painting(ax_in, ax_out, n, k, s, step, vmax)
    ax_out.set_title(_painting_title(n, k, s, step))
    _count_colorbar(fig, [ax_in, ax_out], vmax)
    return fig


def _count_colorbar(fig, axes, vmax):
    cmap, norm = count_cmap(vmax)
    cb = fig.colorbar(
        mpl.cm.ScalarMappable(norm=norm, cmap=cmap), ax=axes, shrink=0.8, ticks=range(vmax + 1)
    )
    cb.set_label("overlap (copies)")


@house_style
def plot_painting_strip(
    input_size: int, kernel_size: int, stride: int, *, ncols: int = 5, fig: Figure | None = None
) -> Figure:
    """Every frame of the painting side by side (the printed form of the animation)."""
    n, k, s = _geometry(input_size, kernel_size, stride, max_inputs=MAX_PAINTED)
    ncols = check_int("ncols", ncols, minimum=1)
    check_figure("fig", fig, none_ok=True)
    steps = list(range(1, n * n + 1))
    ncols = min(ncols, len(steps))
    nrows = -(-len(steps) // ncols)
    vmax = int(painting_counts(n, k, s, n * n).max())
    panel = (TEXT_WIDTH - 0.9) / ncols
    height = (panel + 0.3) * nrows + 0.4
    if fig is None:
        fig, axes = new_figure(nrows, ncols, height=height, squeeze=False)
    else:  # a figure handed in (by painting_animation) is sized as a new one would be
        fig.set_size_inches(TEXT_WIDTH, height)
        axes = fig.subplots(nrows, ncols, squeeze=False)
    flat = axes.ravel()
    for ax, step in zip(flat, steps, strict=False):
        _draw_painting(None, ax, n, k, s, step, vmax, small=True)
        i, j = divmod(step - 1, n)
        ax.set_title(f"{step}: input ({i}, {j})")
    for ax in flat[len(steps) :]:
        ax.axis("off")
    _count_colorbar(fig, list(flat), vmax)
    fig.suptitle(
        f"Painting, frame by frame: each of the {n}×{n} inputs adds a {k}×{k} copy, stride {s}"
    )
    return fig


@dataclass(frozen=True)
class Animation:
    """An animated GIF for the screen with its frames as a strip for print.

    Displayed in a notebook (``_repr_html_``), the page shows the GIF and hides the strip;
    printed (``@media print``, and the PDF report), it shows the strip instead.
    """

    gif: bytes
    strip_svg: str
    title: str
    width_in: float
    min_font_pt: float
    strip_width_in: float
    strip_min_font_pt: float

    def _repr_html_(self) -> str:
        gif = base64.b64encode(self.gif).decode()
        svg = base64.b64encode(self.strip_svg.encode()).decode()
        alt = html.escape(self.title, quote=True)
        return (
            f"<div class='al-anim'>"
            f"<img class='al-screen' src='data:image/gif;base64,{gif}' alt='{alt} (animation)' "
            f"style='width:{self.width_in}in; max-width:100%' "
            f"data-min-font-pt='{self.min_font_pt}' data-width-in='{self.width_in}'>"
            f"<div class='al-print'><img src='data:image/svg+xml;base64,{svg}' "
            f"alt='{alt} (frames)' data-min-font-pt='{self.strip_min_font_pt}' "
            f"data-width-in='{self.strip_width_in}'></div></div>"
        )


def painting_animation(
    input_size: int = 3,
    kernel_size: int = 3,
    stride: int = 2,
    *,
    dpi: int = 200,
    seconds_per_frame: float = 0.8,
) -> Animation:
    """The 2-D painting as an animated GIF (``dpi`` ≥ 200) plus its frames as an SVG strip.

    Figures are drawn off-screen (not through pyplot), so nothing else is displayed.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    n, k, s = _geometry(input_size, kernel_size, stride, max_inputs=MAX_PAINTED)
    dpi = check_int("dpi", dpi, minimum=200)
    seconds_per_frame = check_float("seconds_per_frame", seconds_per_frame, positive=True)
    vmax = int(painting_counts(n, k, s, n * n).max())
    frames = []
    width = TEXT_WIDTH * 0.75
    smallest = FONT_PT
    with mpl.rc_context(house_rc()):
        # lay the figure out once, on the fullest frame, then freeze it: every frame then
        # has the same geometry, and no frame pays for the layout again
        fig = Figure(figsize=(width, 2.6), layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax_in, ax_out = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 2.2]})
        _draw_painting(ax_in, ax_out, n, k, s, n * n, vmax)
        ax_out.set_title(_painting_title(n, k, s, n * n))
        _count_colorbar(fig, [ax_in, ax_out], vmax)
        canvas.draw()
        fig.set_layout_engine("none")
        for step in range(n * n + 1):
            ax_in.cla()
            ax_out.cla()
            _draw_painting(ax_in, ax_out, n, k, s, step, vmax)
            ax_out.set_title(_painting_title(n, k, s, step))
            buf = io.BytesIO()
            fig.savefig(buf, format="png", dpi=dpi)
            smallest = min(smallest, figure_fonts(fig)[0])
            frames.append(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        strip = Figure(layout="constrained")
        strip_fig = plot_painting_strip(n, k, s, fig=strip)
        svg = figure_svg(strip_fig)
        strip_font, strip_width = figure_fonts(strip_fig)
    palette = [f.quantize(colors=64, method=Image.Quantize.MEDIANCUT) for f in frames]
    buf = io.BytesIO()
    durations = [int(seconds_per_frame * 1000)] * len(palette)
    durations[-1] *= 3  # hold the finished map
    palette[0].save(
        buf, format="GIF", save_all=True, append_images=palette[1:], duration=durations, loop=0
    )
    return Animation(
        gif=buf.getvalue(),
        strip_svg=svg,
        title=f"Painting the overlap map: {n}×{n} input, k = {k}, s = {s}",
        width_in=round(width, 3),
        min_font_pt=round(smallest, 2),
        strip_width_in=round(strip_width, 3),
        strip_min_font_pt=round(strip_font, 2),
    )
