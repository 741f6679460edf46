"""Fuzz rows for inspecting outputs (artifact_lab.inspection): files, detection, page, power
study and the closed loop."""

from __future__ import annotations

import functools

import numpy as np
import torch
from hypothesis import strategies as st

from artifact_lab.inspection import detect, files, loop, page, power
from artifact_lab.layers.upsamplers import make_upsampler
from tests._fuzz import (
    BAD_ARRAY,
    BAD_DEVICE,
    BAD_SIGNAL,
    NOT_BOOL,
    NOT_INT,
    NOT_STR,
    Row,
    axes,
    bad_name,
    ints,
    reals,
)

KINDS = ("pictures", "noise")
BAD_PATH = st.sampled_from([5, None, b"x.png", ["x.png"], "/nonexistent/x.png", "x.txt"])
BAD_RESULT = st.sampled_from([None, "result", 5, {"found": []}])


@functools.cache
def _result():
    rng = np.random.default_rng(0)
    return detect.inspect(rng.standard_normal((2, 32, 32)), periods=[2])


def _model():
    model = torch.nn.Sequential()
    model.add_module("up", make_upsampler("transposed k=3", 2, 1, seed=0))
    return model


INSPECTION_ROWS: list[Row] = [
    Row(
        detect.inspect,
        lambda: dict(data=np.random.default_rng(0).standard_normal((2, 32, 32)), periods=[2]),
        dict(
            data=st.one_of(BAD_ARRAY, st.sampled_from([None, "/nonexistent.png", 5, []])),
            periods=st.sampled_from([0, [1], [17, "a"], "2", [(2, 2, 2)], [-2]]),
            # None is the default: no reference
            reference=st.one_of(
                BAD_ARRAY.filter(lambda v: v is not None),
                st.sampled_from(["/nonexistent.png", 5]),
            ),
            alpha=st.one_of(reals(none_ok=False), st.sampled_from([0.0, 1.0, 2.0, -0.1])),
            border=st.one_of(NOT_INT, st.integers(-5, -1)),
            channels=bad_name(files.CHANNELS).filter(lambda v: v is not None),
            channel_axis=st.one_of(NOT_INT, st.just(7)),
            ndim=st.one_of(st.integers(-3, 0), st.integers(3, 9), NOT_INT),
            frame=ints(4),
            jpeg=NOT_BOOL,
            batch=ints(1),
            device=BAD_DEVICE,
            progress=NOT_BOOL,
        ),
    ),
    Row(
        detect.candidate_periods,
        dict(periods=None, ndim=2),
        dict(
            periods=st.sampled_from([0, [1], "2", [(2, 2, 2)]]),
            ndim=st.sampled_from([0, 3, "2", None]),
        ),
    ),
    # kind_of reads the suffix only (a path to be written is fine): no existence test
    Row(
        files.kind_of,
        dict(path="x.png"),
        dict(path=BAD_PATH.filter(lambda p: p != "/nonexistent/x.png")),
    ),
    Row(
        files.list_files,
        dict(paths=["."], name="paths"),
        dict(paths=st.sampled_from([5, None, [], ["/nonexistent/x.png"], [5]])),
    ),
    Row(
        files.read,
        dict(path="x.png", channels="luma"),
        dict(path=BAD_PATH, channels=bad_name(files.CHANNELS)),
    ),
    Row(files.read_png16, dict(path="x.png"), dict(path=BAD_PATH)),
    Row(
        files.reduce_channels,
        lambda: dict(arr=np.ones((3, 4, 4)), axis=0, channels="luma"),
        dict(
            arr=st.sampled_from([None, "x", 5]),
            axis=st.one_of(NOT_INT, st.just(9)),
            channels=bad_name(files.CHANNELS),
        ),
    ),
    *[
        Row(fn, lambda: dict(result=_result()), dict(result=BAD_RESULT))
        for fn in (page.found_table, page.plot_patterns, page.plot_radial)
    ],
    Row(
        page.plot_averaged_spectrum,
        lambda: dict(result=_result(), vmin=-60.0),
        dict(result=BAD_RESULT, vmin=reals(none_ok=False)),
    ),
    Row(
        page.render_page,
        lambda: dict(result=_result(), title="t"),
        dict(result=BAD_RESULT, title=NOT_STR),
    ),
    Row(
        power.compress_jpeg,
        lambda: dict(x=np.full((8, 8), 0.5), quality=90),
        # maps (..., H, W): a 5-D array of 1 x 1 maps is valid (BAD_SIGNAL leaves it out)
        dict(x=BAD_SIGNAL, quality=st.one_of(NOT_INT, st.sampled_from([0, 101, -5]))),
    ),
    Row(power.planted_pattern, dict(period=2), dict(period=ints(2))),
    Row(
        power.plant,
        lambda: dict(x=np.zeros((8, 8)), amplitude=0.1, period=2),
        dict(x=BAD_SIGNAL, amplitude=reals(none_ok=False), period=ints(2)),
    ),
    Row(
        power.maps,
        dict(kind="noise", count=1, size=16, seed=0, jpeg_quality=None),
        dict(
            kind=bad_name(KINDS),
            count=ints(1),
            size=ints(8),
            seed=ints(0),
            jpeg_quality=st.sampled_from([0, 101, "90", 9.5]),
        ),
    ),
    Row(
        power.detection_rate,
        dict(kind="noise", count=1, size=16, amplitude=0.1, trials=1, period=2, seed=0),
        dict(
            kind=bad_name(KINDS),
            count=ints(1),
            size=ints(8),
            amplitude=reals(none_ok=False),
            trials=ints(1),
            period=ints(2),
            seed=ints(0),
        ),
    ),
    Row(
        power.false_alarm_rate,
        dict(kind="noise", count=1, size=16, trials=1, jpeg_quality=None, seed=0),
        dict(
            kind=bad_name(KINDS),
            count=ints(1),
            size=ints(8),
            trials=ints(1),
            jpeg_quality=st.sampled_from([0, 101, "90"]),
            seed=ints(0),
        ),
    ),
    Row(
        power.smallest_amplitude,
        dict(kind="noise", count=1, size=16, target=0.9, trials=1, period=2, seed=0),
        dict(
            kind=bad_name(KINDS),
            count=ints(1),
            size=ints(8),
            target=st.sampled_from([0.0, 1.5, -1, "x"]),
            trials=ints(1),
            period=ints(2),
            seed=ints(0),
        ),
    ),
    Row(
        power.power_table,
        dict(
            counts=(1,), sizes=(16,), kinds=("noise",), trials=1, target=0.9, seed=0, progress=False
        ),
        dict(
            counts=axes(1),
            sizes=axes(8),
            kinds=st.sampled_from([["x"], "x", 5, []]),
            trials=ints(1),
            target=st.sampled_from([0.0, 1.5, "x"]),
            seed=ints(0),
            progress=NOT_BOOL,
        ),
    ),
    Row(
        power.false_alarm_table,
        dict(
            counts=(1,),
            sizes=(16,),
            conditions=(("noise", None),),
            trials=1,
            seed=0,
            progress=False,
        ),
        dict(
            counts=axes(1),
            sizes=axes(8),
            conditions=st.sampled_from([5, [("x", None)], [("noise", 500)], ["noise"]]),
            trials=ints(1),
            seed=ints(0),
            progress=NOT_BOOL,
        ),
    ),
    Row(
        loop.predicted_power,
        lambda: dict(
            kernel=np.ones((1, 1, 3, 3)),
            stride=2,
            means=np.ones((1, 1)),
            padding=0,
            offset=None,
            channel_mean=False,
        ),
        dict(
            kernel=BAD_ARRAY,
            stride=axes(1),  # per axis or one for all
            means=BAD_ARRAY,
            padding=axes(0),
            channel_mean=NOT_BOOL,
        ),
    ),
    Row(
        loop.closed_loop,
        lambda: dict(model=_model(), images=torch.rand(2, 1, 16, 16), layer="up", batch=8),
        dict(
            model=st.sampled_from([None, 5, "model"]),
            images=st.sampled_from([None, 5, np.zeros((8, 8)), torch.zeros(8)]),
            layer=st.one_of(NOT_STR, st.just("missing")),
            batch=ints(1),
        ),
    ),
]
