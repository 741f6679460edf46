"""Figures and the HTML page of an inspection."""

import re

import numpy as np
import pytest

from artifact_lab.inspection import page
from artifact_lab.inspection.detect import inspect
from artifact_lab.viz.plotting import MIN_FONT_PT, figure_fonts, figure_title

GRID = np.tile([[1.0, 0.0], [0.0, 0.0]], (32, 32))


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(0)
    return inspect(
        rng.standard_normal((6, 64, 64)) + 0.3 * GRID, reference=rng.normal(size=(6, 64, 64))
    )


def test_figures_are_titled_labelled_and_legible(result):
    for make in (page.plot_averaged_spectrum, page.plot_radial, page.plot_patterns):
        fig = make(result)
        assert figure_title(fig)
        smallest, width = figure_fonts(fig)
        assert smallest >= MIN_FONT_PT and width <= 6.95
    fig = page.plot_patterns(result)
    assert fig.axes[0].get_title() == "period 2 × 2"
    assert any(ax.get_label() == "<colorbar>" for ax in fig.axes)
    assert len(page.plot_radial(result).axes[0].get_lines()) >= 2  # data and reference


def test_one_dimensional_figures():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(8192) + 0.3 * np.tile([1.0, -1.0, 0.0, 0.0], 2048)
    res = inspect(x, frame=2048)
    for make in (page.plot_averaged_spectrum, page.plot_radial, page.plot_patterns):
        assert figure_title(make(res))


def test_page_is_self_contained_and_escapes(result):
    html = page.render_page(result, title="<script>alert(1)</script>")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert html.count("<svg") == 3
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)  # loads nothing
    assert "<script" not in html and "@import" not in html
    assert "period 2x2" in html and "Periods found" in html


def test_page_without_a_grid():
    res = inspect(np.random.default_rng(2).standard_normal((2, 48, 48)))
    html = page.render_page(res)
    assert "no periodic grid found" in html and "Periods found" not in html


def test_refuses_other_objects():
    with pytest.raises(TypeError, match="result"):
        page.plot_patterns(object())
