"""House style: every figure fits the A4 text width at 1:1, no font below 7 pt, titled,
with colour bars, shared scales, centred diverging maps, marked harmonics and holes."""

import io
import itertools
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import TwoSlopeNorm
from PIL import Image

import artifact_lab as al
from artifact_lab import diagrams, plotting
from artifact_lab.atlas.decision import decision_table
from artifact_lab.viz import audits, style
from artifact_lab.viz.plotting import MIN_FONT_PT, TEXT_WIDTH, figure_fonts, figure_title
from tests._strategies import examples


@pytest.fixture(autouse=True, scope="module")
def _style():
    plotting.use_house_style()
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def figures():
    return _figures()


def _images(fig):
    """The data images (not the pale overlay that marks an overlap map's border)."""
    return [im for ax in fig.axes for im in ax.get_images() if im.get_gid() != "border"]


def _colorbars(fig):
    return [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]


def _figures():
    """One figure from every plotting function, as a notebook would draw it."""
    maps = [
        (f"k={k}, s={s}, d={d}", st.map, st.interior)
        for k, s, d in [(3, 2, 1), (4, 2, 1), (3, 2, 2)]
        for st in [al.overlap((4, 4), k, s, dilation=d)]
    ]
    frame = pd.DataFrame(
        {"kernel_size": [3, 3, 4, 4], "stride": [2, 3, 2, 3], "filtering_db": [-3, 2, 1, -1]}
    )
    y = torch.nn.functional.conv_transpose2d(
        torch.rand(1, 1, 20, 20), torch.rand(1, 1, 3, 3), stride=2
    )
    f = np.linspace(0, 0.5, 20)
    training = pd.DataFrame(
        {
            "variant": ["a"] * 4 + ["b"] * 4,
            "seed": [0, 0, 1, 1] * 2,
            "step": [0, 10] * 4,
            "psnr": np.arange(8.0),
        }
    )
    return {
        "overlap 1-D": plotting.plot_overlap(al.overlap_map(5, 3, 2), title="1-D map"),
        "overlap 2-D": plotting.plot_overlap(al.overlap_map((4, 4), 3, 2), title="2-D map"),
        "overlap grid": plotting.plot_overlap_grid(maps, suptitle="maps"),
        "contributions": plotting.plot_contributions([1, 1, 1], [1, 1, 1], 2, title="sum"),
        "heatmap": plotting.plot_heatmap(
            frame,
            index="kernel_size",
            columns="stride",
            values="filtering_db",
            title="a heatmap title long enough to run past the axes if nobody wrapped it, white",
        ),
        "spectrum": plotting.plot_spectrum(y[0, 0], stride=2, title="spectrum"),
        "spectra": plotting.plot_spectra(
            {"a rather long panel title that must wrap": y[0, 0], "b": y[0, 0] + 1}, stride=2
        ),
        "radial": plotting.plot_radial_spectra(
            {"a": (f, 1 + f), "b": (f, 2 + f)}, stride=2, title="radial"
        ),
        "gallery": plotting.plot_gallery({"a": np.eye(8), "b": np.ones((8, 8))}, suptitle="g"),
        "gallery, long titles": plotting.plot_gallery(
            {f"input number {i}, nearest ×2 for scale": np.eye(8) * i for i in range(5)},
            standardize=True,
        ),
        "decision": plotting.plot_decision(
            decision_table(range(1, 13), range(1, 7), (1, 2, 3), seeds=range(2)),
            suptitle="decision",
        ),
        "training": plotting.plot_training_curves(training, ["psnr"], titles=["quality"]),
        "steps 1-D": diagrams.plot_steps_1d([1, 2, 3, 4], [1, 2, 3], 2),
        "steps 2-D": diagrams.plot_steps_2d(3, 3, 2),
        "painting": diagrams.plot_painting(3, 3, 2, step=4),
        "painting strip": diagrams.plot_painting_strip(3, 3, 2),
        "gradient maps": plotting.plot_gradient_maps(
            {f"a gradient map called {i}": np.eye(12) * 10.0**-i for i in range(4)}, ncols=3
        ),
        "gradient spectra": plotting.plot_gradient_spectra(
            {"a": np.eye(16), "b": np.ones((16, 16))}, 4, ncols=2
        ),
    }


def test_every_figure_fits_the_page_at_full_size_with_legible_titled_text(figures):
    for name, fig in figures.items():
        fig.canvas.draw()
        smallest, width = figure_fonts(fig)
        assert smallest >= MIN_FONT_PT, (name, smallest)
        assert width <= TEXT_WIDTH + 1e-9, (name, width)
        assert figure_title(fig), name
        # nothing drawn outside the figure (labels cut off at the edge)
        renderer = fig.canvas.get_renderer()
        box = fig.bbox
        loose = [*fig.texts, *(t for lg in fig.legends for t in lg.get_texts())]
        loose += [ax.title for ax in fig.axes]
        loose += [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None]
        for text in loose:
            if text.get_visible() and text.get_text().strip():
                extent = text.get_window_extent(renderer)
                assert extent.x0 >= box.x0 - 1 and extent.x1 <= box.x1 + 1, (name, text)


def test_every_colour_map_has_a_colour_bar(figures):
    for name, fig in figures.items():
        data_images = [im for im in _images(fig) if im.get_array().ndim == 2]
        if name.startswith(("steps", "decision")):
            continue  # categorical pictures with a legend, not colour maps
        if data_images:
            assert _colorbars(fig), name


def test_compared_panels_share_one_colour_scale(figures):
    fig = figures["overlap grid"]
    norms = {(im.norm.vmin, im.norm.vmax) for im in _images(fig)}
    assert len(norms) == 1
    gallery = plotting.plot_gallery({"dark": np.zeros((4, 4)), "bright": np.ones((4, 4))})
    assert {(im.norm.vmin, im.norm.vmax) for im in _images(gallery)} == {(0.0, 1.0)}


def test_signed_values_get_a_diverging_map_centred_at_zero(figures):
    fig = figures["heatmap"]
    (im,) = _images(fig)
    assert isinstance(im.norm, TwoSlopeNorm) and im.norm.vcenter == 0
    assert im.norm.vmin == -im.norm.vmax


def test_overlap_cells_carry_counts_and_holes_are_crossed_apart():
    m = al.overlap_map((5, 5), 3, 2, dilation=2)  # gcd(d, s) = 2: holes
    inner = al.interior_mask((5, 5), 3, 2, dilation=2)
    fig = plotting.plot_overlap(m, interior=inner)
    ax = fig.axes[0]
    texts = {
        (round(t.get_position()[0]), round(t.get_position()[1])): t.get_text() for t in ax.texts
    }
    holes = set(zip(*np.nonzero(inner & (m == 0)), strict=True))
    assert holes
    for (r, c), v in np.ndenumerate(m):
        if (r, c) in holes:
            assert (c, r) not in texts
        else:
            assert texts[(c, r)] == str(v)
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    xs, ys = crosses[0].get_data()
    assert set(zip(np.asarray(ys).astype(int), np.asarray(xs).astype(int))) == holes


def test_spectra_point_up_and_mark_every_harmonic():
    y = torch.rand(24, 24)
    fig = plotting.plot_spectrum(y, stride=3)
    ax = fig.axes[0]
    (im,) = ax.get_images()
    assert im.origin == "lower"
    (points,) = ax.collections
    marked = {tuple(np.round(p, 6)) for p in points.get_offsets()}
    expected = {(fx, fy) for fx in (-1 / 3, 0, 1 / 3) for fy in (-1 / 3, 0, 1 / 3)} - {(0, 0)}
    assert {tuple(np.round(p, 6)) for p in expected} <= marked
    assert _colorbars(fig)
    assert "cycles/sample" in ax.get_xlabel() and "cycles/sample" in ax.get_ylabel()


def test_gradient_figures_read_on_paper(figures):
    maps = figures["gradient maps"]
    maps.canvas.draw()
    panels = [ax for ax in maps.axes if ax.get_label() != "<colorbar>" and ax.get_images()]
    # the y label on the first column only: it never meets the colour bar of the panel before
    assert [bool(ax.get_ylabel()) for ax in panels] == [True, False, False, True]
    for ax in panels:  # whole pixels, fixed before the layout: no ticks at 2.5
        ticks = [*ax.get_xticks(), *ax.get_yticks()]
        assert all(float(t).is_integer() for t in ticks)
    bars = _colorbars(maps)
    # a tiny gradient is scaled and says so in its label, not in a "1e-5" offset on the bar
    assert "×10⁻³" in bars[3].get_ylabel() and not bars[3].yaxis.get_offset_text().get_text()
    assert figure_title(maps).count("\n") == 0  # the alt text is one line
    spectra = figures["gradient spectra"]
    ax = spectra.axes[0]
    assert ax.get_images()[0].origin == "lower" and ax.get_ylim()[0] < ax.get_ylim()[1]
    radial = plotting.plot_radial_spectra({"a": (np.linspace(0, 0.5, 9), np.ones(9))})
    assert "dotted" not in radial.axes[0].get_xlabel()  # no marks drawn, none announced


def test_layer_bars_are_labelled_by_geometry_not_by_code_names():
    from types import SimpleNamespace

    shuffle = SimpleNamespace(kind="pixel_shuffle", geometry={"stride": (3, 3)})
    pool = SimpleNamespace(kind="adaptive_avg_pool", geometry={})
    transposed = SimpleNamespace(
        kind="transposed", geometry={"kernel_size": (4, 4), "stride": (2, 2), "padding": (1, 1)}
    )
    labels = [audits._layer_label(f) for f in (shuffle, pool, transposed)]
    assert labels == ["shuffle ×3", "adaptive avg pool", "k4 s2 p1"]


def test_svg_output_carries_alt_text_size_and_smallest_font():
    fig = plotting.plot_overlap(al.overlap_map(5, 3, 2), title="the map")
    svg, meta = style._svg_with_metadata(fig)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert meta["alt"] == "the map"
    assert meta["min_font_pt"] >= MIN_FONT_PT and meta["width_in"] <= TEXT_WIDTH
    assert "dc:date" not in svg  # reproducible


@settings(max_examples=examples(40), deadline=None)
@given(st.integers(1, 4), st.integers(1, 5), st.integers(1, 4))
def test_the_painting_ends_in_the_overlap_map(n, k, s):
    final = diagrams.painting_counts(n, k, s, n * n)
    np.testing.assert_array_equal(final, al.overlap_map((n, n), k, s, method="torch"))
    steps = [diagrams.painting_counts(n, k, s, t).sum() for t in range(n * n + 1)]
    assert steps == [t * k * k for t in range(n * n + 1)]


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 3), st.integers(1, 2), st.data())
def test_the_step_diagram_computes_what_torch_computes(n, k, s, d, data):
    full = (n - 1) * s + d * (k - 1)  # output size at padding 0, minus one
    p = data.draw(st.integers(0, min(d * (k - 1), full // 2)))
    rng = np.random.default_rng(n * 100 + k)
    x, kern = rng.integers(-3, 4, n).astype(float), rng.integers(-3, 4, k).astype(float)
    ours = diagrams._transposed_1d(x, kern, s, p, d)
    ref = F.conv_transpose1d(
        torch.as_tensor(x)[None, None],
        torch.as_tensor(kern)[None, None],
        stride=s,
        padding=p,
        dilation=d,
    )[0, 0].numpy()
    np.testing.assert_array_equal(ours, ref)


def test_the_animation_is_a_gif_of_every_step_at_200_dpi_with_a_strip_for_print():
    anim = diagrams.painting_animation(2, 3, 2)
    gif = Image.open(io.BytesIO(anim.gif))
    assert gif.format == "GIF" and gif.n_frames == 2 * 2 + 1
    assert gif.size[0] >= 200 * anim.width_in - 2
    assert anim.min_font_pt >= MIN_FONT_PT and anim.strip_min_font_pt >= MIN_FONT_PT
    page = anim._repr_html_()
    assert "class='al-screen'" in page and "class='al-print'" in page
    assert page.count("alt='Painting") == 2
    assert "<svg" in anim.strip_svg


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="overlap"):
        plotting.plot_overlap(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="padding"):
        diagrams.plot_steps_1d([1, 2], [1, 1], 2, padding=3)
    with pytest.raises(ValueError, match="column"):
        plotting.plot_heatmap(pd.DataFrame({"a": [1]}), index="a", columns="b", values="a")
    with pytest.raises(ValueError, match="decision_table"):
        plotting.plot_decision(pd.DataFrame({"a": [1]}))


def test_no_svg_text_is_smaller_than_the_house_minimum(figures):
    # mathtext shrinks exponents (10^-3 printed at 5.6 pt): log axes must not use it
    for name, fig in figures.items():
        svg = plotting.figure_svg(fig)
        sizes = [float(v) for v in re.findall(r"font[^;\"]*?([\d.]+)px", svg)]
        assert sizes and min(sizes) >= MIN_FONT_PT, (name, min(sizes))


@pytest.mark.parametrize("ncols", [3, 4])
def test_count_colour_bar_labels_never_touch(ncols):
    maps = [  # counts up to 9 on a short bar
        (f"k={k}, s={s}, d={d}", st.map, st.interior)
        for k, s, d in [(3, 2, 1), (4, 2, 1), (4, 3, 1), (3, 2, 2)]
        for st in [al.overlap((4, 4), k, s, dilation=d)]
    ]
    fig = plotting.plot_overlap_grid(maps, ncols=ncols)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    (bar,) = _colorbars(fig)
    boxes = sorted(
        (t.get_window_extent(renderer) for t in bar.get_yticklabels() if t.get_text()),
        key=lambda b: b.y0,
    )
    assert len(boxes) >= 3
    for low, high in itertools.pairwise(boxes):  # a clear gap, not just no overlap
        assert high.y0 - low.y1 >= 0.4 * low.height, (low, high)
