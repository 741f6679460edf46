"""Fuzz rows for the presentation side: plotting, diagrams, tables, the explorer (widgets,
views, page) and the decision table (see ``tests/_fuzz.py``)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from artifact_lab import decision, diagrams, plotting, tables
from artifact_lab.core import kernels
from artifact_lab.core.kernels import FAMILIES
from artifact_lab.explorer import page as explorer_page
from artifact_lab.explorer import state as explore_state_module
from artifact_lab.explorer import views as explore_views
from artifact_lab.explorer import widget as explore_widget
from artifact_lab.viz import spectra
from artifact_lab.viz import training as training_figures
from tests._fuzz import (
    BAD_ARRAY,
    NOT_AX,
    NOT_BOOL,
    NOT_FIGURE,
    NOT_FRAME,
    NOT_INT,
    NOT_MAPPING,
    NOT_STR,
    Row,
    axes,
    bad_name,
    below,
    ints,
    reals,
)

BAD_NDIM = st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT)
BAD_NCOLS = ints(1)
BAD_IMAGE = st.one_of(BAD_ARRAY, st.sampled_from([np.ones(4), np.ones((2, 2, 2, 2))]))
BAD_MAP_OF_IMAGES = st.one_of(
    NOT_MAPPING,
    BAD_IMAGE.map(lambda v: {"a": v}),
    st.just({5: np.ones((4, 4))}),
)
BAD_CMAP = st.sampled_from([5, "no-such-colormap", ["gray"]])
BAD_WINDOW = bad_name(("hann",)).filter(lambda v: v is not None)
SURFACE = pd.DataFrame({"k": [3, 3, 4, 4], "s": [1, 2, 1, 2], "score": [0.0, 0.1, 0.0, 0.0]})
CURVES = pd.DataFrame(
    {"step": [0, 1, 0, 1], "variant": ["a", "a", "b", "b"], "psnr": [1.0, 2.0, 1.5, 2.5]}
)
SCRATCH = Path(tempfile.gettempdir()) / "artifact_lab_fuzz"


def _ax():
    return plotting.new_figure()[1]


def _fig():
    return plotting.new_figure()[0]


def _state():
    return explore_state_module.explore_state(ndim=1, kernel_size=3, stride=2, input_size=4)


def _decision_table():
    return decision.decision_table([3, 4], [2], [1], seeds=range(2))


def _audit_result():
    from torch import nn

    from artifact_lab.models.audit import audit

    return audit(nn.Sequential(nn.ConvTranspose1d(1, 1, 3, 2)), (1, 1, 8), measure=False)


def _explorer_set(**kw):
    """The method ``Explorer.set(**values)``."""
    return explore_widget.Explorer(render=False).set(**kw)


EXPLORE_STATE = dict(
    ndim=1,
    kernel_size=3,
    stride=2,
    padding=0,
    output_padding=0,
    dilation=1,
    family="ones",
    seed=0,
    input_kind="constant",
    input_size=8,
    stack=(),
    paint_step=None,
)
HUGE = st.sampled_from([10**4, 10**6, 10**9, 10**18])  # every size bounded before work
EXPLORE_BAD = dict(
    ndim=st.one_of(BAD_NDIM, st.just(3)),
    kernel_size=st.one_of(ints(1), HUGE),
    stride=st.one_of(ints(1), HUGE),
    padding=st.one_of(ints(0), st.just(10**6)),
    output_padding=st.one_of(ints(0), st.just(5)),
    dilation=st.one_of(ints(1), HUGE),
    paint_step=st.one_of(ints(0, none_ok=True), st.just(10**6)),
    family=bad_name(FAMILIES),
    seed=ints(0),
    input_kind=bad_name(explore_state_module.INPUTS),
    input_size=st.one_of(ints(1), st.just(10**6)),
    stack=st.sampled_from(["layer", 5, [None], explore_state_module.Layer(), [{"stride": 2}]]),
)
BAD_STATE = st.sampled_from([None, "state", 5, {"ndim": 1}])

FIGURE_ROWS: list[Row] = [
    # kernel families
    Row(
        kernels.fixed_size,
        dict(family="bilinear", stride=2),
        dict(family=bad_name(FAMILIES), stride=ints(1)),
    ),
    Row(kernels.is_seeded, dict(family="default"), dict(family=bad_name(FAMILIES))),
    Row(
        spectra.spectrum_db,
        lambda: dict(y=np.ones((8, 8)), window="hann"),
        dict(y=BAD_ARRAY, window=st.sampled_from(["hamming", 5, True])),
    ),
    Row(
        training_figures.plot_prevention,
        dict(result=None, score="pair_score"),
        dict(result=st.sampled_from([None, "result", 5, {"a": 1}])),
    ),
    # decision
    *[
        Row(
            func,
            dict(kernel_size=3, stride=2, dilation=1, ndim=2),
            dict(kernel_size=axes(1), stride=axes(1), dilation=axes(1), ndim=BAD_NDIM),
        )
        for func in (decision.verdict, decision.clean_init_exists)
    ],
    Row(
        decision.clean_kernel,
        dict(kernel_size=3, stride=2, dilation=1, ndim=1, seed=0, spread=0.5),
        dict(
            kernel_size=st.one_of(axes(1), st.just(1)),  # k < s: no clean kernel
            stride=axes(1),
            dilation=st.one_of(axes(1), st.just(2)),  # gcd(d, s) > 1: holes
            ndim=BAD_NDIM,
            seed=ints(0, none_ok=True),
            spread=reals(0, none_ok=False),
        ),
    ),
    Row(
        decision.recommendation,
        dict(kernel_size=3, stride=2, dilation=1),
        dict(kernel_size=ints(1), stride=ints(1), dilation=ints(1)),
    ),
    Row(
        decision.decision_table,
        dict(kernel_sizes=[3], strides=[2], dilations=[1], ndim=1, seeds=range(1)),
        dict(
            kernel_sizes=st.one_of(
                st.text(max_size=3), st.lists(below(1), min_size=1), st.just([])
            ),
            strides=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1), st.none()),
            dilations=st.one_of(st.lists(below(1), min_size=1), st.just([]), st.just(2.5)),
            ndim=BAD_NDIM,
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=2), st.just(())),
        ),
    ),
    # diagrams
    Row(
        diagrams.painting_counts,
        dict(input_size=2, kernel_size=3, stride=2, step=1),
        dict(
            input_size=ints(1),
            kernel_size=ints(1),
            stride=ints(1),
            step=st.one_of(ints(0), st.just(99)),
        ),
    ),
    Row(
        diagrams.plot_painting,
        dict(input_size=2, kernel_size=3, stride=2, step=1),
        dict(
            input_size=st.one_of(ints(1), st.just(10**6)),
            kernel_size=st.one_of(ints(1), st.just(10**6)),
            stride=ints(1),
            step=st.one_of(ints(0, none_ok=True), st.just(99)),
        ),
    ),
    Row(
        diagrams.plot_painting_strip,
        dict(input_size=2, kernel_size=3, stride=2, ncols=5, fig=None),
        dict(
            input_size=st.one_of(ints(1), st.just(10**6)),
            kernel_size=ints(1),
            stride=ints(1),
            ncols=BAD_NCOLS,
            fig=NOT_FIGURE.filter(lambda v: v is not None),
        ),
    ),
    Row(
        diagrams.painting_animation,
        dict(input_size=2, kernel_size=2, stride=2, dpi=200, seconds_per_frame=0.8),
        dict(
            input_size=st.one_of(ints(1), st.just(10**6)),
            kernel_size=ints(1),
            stride=ints(1),
            dpi=ints(200),
            seconds_per_frame=reals(0, none_ok=False),
        ),
    ),
    Row(
        diagrams.plot_steps_1d,
        dict(x=[1.0, 2.0], kernel=[1.0, 1.0, 1.0], stride=2, padding=0, dilation=1),
        dict(
            x=BAD_ARRAY,
            kernel=BAD_ARRAY,
            stride=ints(1),
            padding=st.one_of(ints(0), st.just(3)),  # beyond d*(k-1): cropped, not drawn
            dilation=ints(1),
            position=st.one_of(ints(0, none_ok=True), st.just(99)),
            title=NOT_STR,
        ),
    ),
    Row(
        diagrams.plot_steps_2d,
        dict(input_size=2, kernel_size=3, stride=2, padding=0, position=(1, 1)),
        dict(
            input_size=st.one_of(ints(1), st.just(10**6)),
            kernel_size=ints(1),
            stride=ints(1),
            padding=st.one_of(ints(0), st.just(3)),
            position=st.sampled_from([None, "1", (1,), (99, 0), (-1, 0), ("a", 1), (1.5, 1)]),
            title=NOT_STR,
        ),
    ),
    # tables
    Row(
        tables.table,
        dict(frame=SURFACE),
        dict(
            frame=NOT_FRAME,
            digits=st.one_of(
                ints(1).filter(lambda v: not isinstance(v, dict)),
                st.just({"score": 0}),
                st.just({"score": "3"}),
            ),
            formats=st.sampled_from([5, "{:.2f}", {"score": 5}, {"score": "{:q}"}]),
            labels=st.sampled_from([5, "x", {"score": 5}]),
            na=st.sampled_from([5, None, {"score": 5}]),
            index=NOT_BOOL.filter(lambda v: v is not None),
            caption=NOT_STR,
            keys=st.sampled_from([5, "no-such-column", ["no-such-column"], [5]]),
            width_pt=reals(0, none_ok=False),
        ),
    ),
    Row(
        tables.format_value,
        dict(v=0.5, decimals=3, digits=3, na="—"),
        dict(decimals=ints(0), digits=ints(1), na=NOT_STR),
    ),
    Row(
        tables.sci,
        dict(v=2.2e-16, digits=1),
        dict(v=st.sampled_from(["x", None, [1.0], 1j, object()]), digits=ints(0)),
    ),
    # explorer
    Row(explore_state_module.explore_state, EXPLORE_STATE, EXPLORE_BAD),
    Row(
        explore_state_module.Layer,
        dict(kernel_size=3, stride=2, padding=0, output_padding=0, dilation=1, family="ones"),
        dict(
            kernel_size=ints(1),
            stride=ints(1),
            padding=ints(0),
            output_padding=ints(0),
            dilation=ints(1),
            family=bad_name(FAMILIES),
            seed=ints(0),
        ),
    ),
    Row(
        explore_state_module.input_signal,
        dict(kind="noise", n=4, ndim=2),
        dict(
            kind=bad_name(explore_state_module.INPUTS),
            n=st.one_of(ints(1), st.just(10**6)),
            ndim=st.one_of(BAD_NDIM, st.just(3)),
        ),
    ),
    Row(
        explore_state_module.kernel_length,
        dict(family="ones", kernel_size=3, stride=2),
        dict(family=bad_name(FAMILIES), kernel_size=ints(1), stride=ints(1)),
    ),
    Row(
        explore_state_module.layer_kernel,
        lambda: dict(layer=explore_state_module.Layer(3, 2), ndim=2),
        dict(
            layer=st.one_of(
                st.sampled_from([None, (3, 2), "layer", {"kernel_size": 3}]),
                st.sampled_from([10**4, 10**9]).map(lambda k: explore_state_module.Layer(k, 2)),
            ),
            ndim=BAD_NDIM,
        ),
        names={"layer": ("layer", "kernel_size")},
    ),
    Row(
        explore_state_module.check_stack,
        dict(stack=()),
        dict(stack=st.sampled_from(["layer", 5, [None], explore_state_module.Layer(), [(3, 2)]])),
    ),
    Row(
        explore_state_module.measure_crop,
        lambda: dict(crop=np.ones(8), stride=[2], scale=1.0),
        dict(
            crop=st.one_of(BAD_ARRAY, st.just(np.ones(7))),
            stride=st.one_of(axes(1), st.just([3])),
            scale=reals(0, none_ok=False),
        ),
        names={"crop": ("crop", "y")},
    ),
    Row(explore_widget.explore, dict(render=False), dict(render=NOT_BOOL)),
    Row(explore_widget.explore, dict(render=False), {k: v for k, v in EXPLORE_BAD.items()}),
    Row(explore_widget.Explorer, dict(render=False), dict(render=NOT_BOOL, stride=ints(1))),
    Row(
        _explorer_set,
        dict(stride=2),
        dict(
            stride=st.one_of(ints(1), st.just(7)),
            kernel_size=st.one_of(ints(1), st.just(13)),
            family=bad_name(FAMILIES),
            padding=st.just(10**4),
            paint_step=st.just(10**6),
        ),
    ),
    Row(
        explore_widget.control_limits,
        lambda: dict(values=dict(explore_widget.DEFAULTS), stack=()),
        dict(
            values=st.one_of(
                NOT_MAPPING,
                st.just({"ndim": 2}),
                st.just(dict(explore_widget.DEFAULTS, stride=0)),
                st.just(dict(explore_widget.DEFAULTS, family="box")),
            ),
            stack=st.sampled_from(["layer", 5, [None], [(3, 2)]]),
        ),
        names={"values": ("values", "stride", "family")},
    ),
    Row(
        explore_views.view_data,
        lambda: dict(state=_state(), binary=True),
        dict(state=BAD_STATE, binary=NOT_BOOL),
    ),
    Row(
        explore_views.format_number,
        dict(kind="score", value=0.5),
        dict(
            kind=bad_name(("count", "int", "bool", "hf", "db", "score", "gain", "tap", "value")),
            value=st.sampled_from(["x", [1.0], 1j, object(), math.inf, b"1"]),
        ),
    ),
    Row(
        explore_views.colour_scale,
        dict(lo=-1.0, hi=1.0),
        dict(lo=st.one_of(reals(None, none_ok=False), st.just(5.0)), hi=reals(None, none_ok=False)),
    ),
    Row(
        explorer_page.explorer_data,
        dict(kernel_sizes=[3], strides=[2], dilations=[1], seeds=[0]),
        dict(
            kernel_sizes=st.one_of(
                st.text(max_size=3), st.lists(below(1), min_size=1), st.just([]), st.just([10**6])
            ),
            strides=st.one_of(
                st.lists(below(1), min_size=1), st.just([]), st.none(), st.just([10**9])
            ),
            dilations=st.one_of(
                st.lists(below(1), min_size=1), st.just([]), st.just(2.5), st.just([4])
            ),
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=2), st.just(())),
        ),
    ),
    Row(
        explorer_page.render_page,
        dict(data={"version": "0"}, seconds=None),
        dict(
            data=st.sampled_from([None, "data", 5, [1], {"x": object()}, {"x": math.nan}]),
            seconds=reals(0),
        ),
    ),
    Row(
        explorer_page.write_explorer,
        dict(path=SCRATCH / "never-written.html"),
        dict(path=st.sampled_from([5, None, b"x", "", SCRATCH])),
    ),
    # plotting: helpers
    Row(
        plotting.annotate_cells,
        lambda: dict(ax=_ax(), values=np.ones((2, 2))),
        dict(
            ax=NOT_AX.filter(lambda v: v is not None),
            values=st.one_of(BAD_ARRAY, st.sampled_from([np.ones(3), np.ones((2, 2, 2))])),
            fmt=st.sampled_from([5, None, "{:q}", "{} {}"]),
            fontsize=reals(0, none_ok=False),
            skip_nan=NOT_BOOL,
        ),
    ),
    *[
        Row(func, lambda: dict(fig=_fig()), dict(fig=NOT_FIGURE))
        for func in (plotting.figure_fonts, plotting.figure_svg, plotting.figure_title)
    ],
    Row(
        plotting.mark_harmonics,
        lambda: dict(ax=_ax(), stride=2, ndim=2),
        dict(
            ax=NOT_AX.filter(lambda v: v is not None),
            stride=st.one_of(axes(1), st.just((2, 2, 2))),
            ndim=st.one_of(BAD_NDIM, st.just(3)),
            color=st.sampled_from([5, "no-such-colour", None]),
        ),
    ),
    Row(
        plotting.new_figure,
        dict(nrows=1, ncols=1, height=2.8, width=6.9),
        dict(
            nrows=ints(1),
            ncols=ints(1),
            height=reals(0, none_ok=False),
            width=reals(0, none_ok=False),
        ),
    ),
    # plotting: figures
    Row(
        plotting.plot_contributions,
        dict(x=[1.0, 2.0], kernel=[1.0, 1.0, 1.0], stride=2),
        dict(
            x=BAD_ARRAY,
            kernel=BAD_ARRAY,
            stride=st.one_of(ints(1), st.just(2.0)),
            ax=NOT_AX,
            title=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_decision,
        lambda: dict(table=_decision_table()),
        dict(table=st.one_of(NOT_FRAME, st.just(SURFACE)), suptitle=NOT_STR),
    ),
    Row(
        plotting.plot_gallery,
        dict(images={"a": np.ones((4, 4))}),
        dict(
            images=BAD_MAP_OF_IMAGES,
            ncols=BAD_NCOLS,
            crop=st.sampled_from([5, "x", (slice(0, 2),), (1, 2)]),
            cmap=BAD_CMAP,
            vmin=reals(),
            vmax=reals(),
            shared=NOT_BOOL,
            standardize=NOT_BOOL,
            colorbar_label=NOT_STR,
            suptitle=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_heatmap,
        dict(frame=SURFACE, index="k", columns="s", values="score"),
        dict(
            frame=NOT_FRAME,
            index=st.one_of(NOT_STR, st.just("no-such-column")),
            columns=st.one_of(NOT_STR, st.just("no-such-column")),
            values=st.one_of(NOT_STR, st.just("no-such-column")),
            ax=NOT_AX,
            fmt=st.sampled_from([5, None, "{:q}"]),
            cmap=BAD_CMAP,
            title=NOT_STR,
            vmin=reals(),
            vmax=reals(),
            center=reals(),
            colorbar=NOT_BOOL,
            aggfunc=bad_name(("mean", "median", "min", "max", "sum", "first")),
        ),
    ),
    Row(
        plotting.plot_layer_scores,
        lambda: dict(results={"a": _audit_result()}),
        dict(
            results=st.one_of(NOT_MAPPING, st.just({"a": SURFACE}), st.just({5: None})),
            ncols=BAD_NCOLS,
            suptitle=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_overlap,
        dict(overlap=np.array([1, 2, 1, 2])),
        dict(
            overlap=st.one_of(BAD_ARRAY, st.just(np.ones((2, 2, 2)))),
            interior=st.sampled_from(["x", np.ones(3, bool), 5, np.ones((2, 2), bool)]),
            ax=NOT_AX,
            title=NOT_STR,
            annotate=NOT_BOOL.filter(lambda v: v is not None),
            vmax=st.one_of(ints(1, none_ok=True), st.just(math.nan)),
            colorbar=NOT_BOOL,
        ),
    ),
    Row(
        plotting.plot_overlap_grid,
        dict(maps=[("a", np.array([1, 2, 1, 2]), None)]),
        dict(
            maps=st.sampled_from(
                [None, "maps", 5, [], [("a", "x", None)], [("a",)], [(5, np.ones(3), None)]]
            ),
            ncols=BAD_NCOLS,
            suptitle=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_radial_spectra,
        dict(curves={"a": (np.linspace(0, 0.5, 5), np.ones(5))}),
        dict(
            curves=st.one_of(
                NOT_MAPPING,
                st.sampled_from(
                    [
                        {"a": np.ones(5)},
                        {"a": (np.ones(5), np.ones(4))},
                        {"a": ([0, 1], [1, np.nan])},
                    ]
                ),
            ),
            ax=NOT_AX,
            title=NOT_STR,
            marks=st.sampled_from([5, "x", [math.nan], ["a"]]),
            stride=ints(1, none_ok=True),
            ylabel=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_spectra,
        dict(outputs={"a": np.ones((8, 8))}),
        dict(
            outputs=BAD_MAP_OF_IMAGES,
            stride=st.one_of(axes(1, none_ok=True), st.just((2, 2, 2))),
            ncols=BAD_NCOLS,
            vmin=reals(),
            window=BAD_WINDOW,
            suptitle=NOT_STR,
        ),
    ),
    Row(
        plotting.plot_spectrum,
        dict(y=np.ones((8, 8))),
        dict(
            y=BAD_IMAGE,
            ax=NOT_AX,
            title=NOT_STR,
            window=BAD_WINDOW,
            stride=st.one_of(axes(1, none_ok=True), st.just((2, 2, 2))),
            vmin=reals(),
            colorbar=NOT_BOOL,
        ),
    ),
    Row(
        plotting.plot_training_curves,
        dict(frame=CURVES, metrics=["psnr"]),
        dict(
            frame=NOT_FRAME,
            metrics=st.sampled_from([None, 5, [], ["no-such-column"], [5]]),
            hue=st.one_of(NOT_STR, st.just("no-such-column")),
            x=st.one_of(NOT_STR, st.just("no-such-column")),
            titles=st.sampled_from([5, "t", ["a", "b"], [5]]),
            chance=st.sampled_from([5, "x", {"psnr": "x"}, {"psnr": math.nan}]),
        ),
    ),
    Row(
        plotting.plot_gradient_maps,
        dict(maps={"a": np.eye(4)}),
        dict(
            maps=BAD_MAP_OF_IMAGES,
            ncols=BAD_NCOLS,
            zoom=st.one_of(ints(1, none_ok=True), st.just(10**6)),
            units=st.sampled_from([5, None, {"a": 5}, ["gradient"]]),
        ),
    ),
    Row(
        plotting.plot_gradient_spectra,
        dict(maps={"a": np.ones((16, 16))}, period=2),
        dict(
            maps=st.one_of(  # (..., H, W) with up to two leading axes is a batch of maps
                NOT_MAPPING,
                BAD_ARRAY.map(lambda v: {"a": v}),
                st.sampled_from([{"a": np.ones(4)}, {"a": np.ones((2,) * 5)}]),
                st.just({5: np.ones((4, 4))}),
            ),
            period=st.one_of(ints(1), st.just(3)),  # 16 holds no whole number of 3s
            ncols=BAD_NCOLS,
            window=BAD_WINDOW,
        ),
    ),
]
