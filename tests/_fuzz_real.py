"""Fuzz rows for real trained networks and what came with them: output selection, severity,
periods, the fix report and distillation, the ONNX interpreter, the real models and their
inputs (see ``tests/_fuzz.py``)."""

from __future__ import annotations

import importlib
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn

from artifact_lab.models import distill, findings, measure, periods, real, severity
from artifact_lab.models import onnx as al_onnx
from artifact_lab.models import trace as tracing
from tests._fuzz import (
    BAD_ARRAY,
    NOT_BOOL,
    NOT_MODULE,
    NOT_TENSOR,
    Row,
    bad_name,
    ints,
    reals,
)

audit = importlib.import_module("artifact_lab.models.audit")

BAD_SHAPE = st.sampled_from([None, "1,1,8", 8, (1, 1), (1, 1, 0), (True, 1, 8), (1, 1, 10**9)])
BAD_PERIODS = st.sampled_from([None, "2", 5, [None], [(0,)], [(2.5,)], [(2, 2, 2, 2)], ["x"]])
BAD_INDEX = st.sampled_from([1.5, [0], b"k", object(), True])
BAD_OUTPUT = st.sampled_from([5, b"up", ["up"], "no_such_module", "", object()])
BAD_SEED = ints(0)


def _up1d() -> nn.Module:
    return nn.Sequential(nn.ConvTranspose1d(1, 1, 3, 2))


def _traced_op():
    return tracing.trace(_up1d(), torch.zeros(1, 1, 8))[0][0]


def _finding():
    return findings.forward_finding(_traced_op())


def _onnx_model():
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.ones((1, 1, 2), np.float32), "w")
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [w],
    )
    return helper.make_model(graph)


def _maps():
    return measure.forward_maps(_up1d(), (1, 1, 16), None)


REAL_ROWS: list[Row] = [
    Row(
        audit.audit,
        lambda: dict(model=_up1d(), input_shape=(1, 1, 8), measure=False),
        dict(output=BAD_OUTPUT, output_index=BAD_INDEX, batch=ints(1, none_ok=True)),
    ),
    Row(
        audit.fix,
        lambda: dict(model=_up1d(), input_shape=(1, 1, 8)),
        dict(
            output=BAD_OUTPUT,
            output_index=BAD_INDEX,
            distill_steps=ints(0),
            data=st.sampled_from(
                [
                    5,
                    "x",
                    np.ones((2, 1, 8)),
                    torch.ones(2, 2, 8),
                    torch.ones(0, 1, 8),
                    torch.full((1, 1, 8), float("nan")),
                    torch.ones(1, 1, 8, dtype=torch.int64),
                ]
            ),
            metric=st.sampled_from([5, "iou", [None]]),
            lr=reals(0, none_ok=False),
            report=NOT_BOOL,
        ),
    ),
    # tracing
    Row(
        tracing.run_trace,
        lambda: dict(model=_up1d(), x=torch.zeros(1, 1, 8)),
        dict(
            model=NOT_MODULE,
            x=st.one_of(NOT_TENSOR, st.just(torch.zeros(8))),
            direction=bad_name(("forward", "backward")),
            output=BAD_OUTPUT,
            output_index=st.sampled_from([1.5, 0, "k", [0]]),
        ),
    ),
    Row(tracing.select_output, dict(out=(1, 2), output_index=0), dict(output_index=BAD_INDEX)),
    # periods and severity
    Row(
        periods.op_period,
        lambda: dict(op=_traced_op(), direction="forward"),
        dict(
            op=st.sampled_from([None, 5, "op", nn.Conv1d(1, 1, 3)]),
            direction=bad_name(("forward", "backward")),
            output_step=st.sampled_from([5, "1", [None]]),
        ),
    ),
    Row(
        periods.lcm_period,
        dict(periods=[(2,), (3,)]),
        dict(periods=BAD_PERIODS.filter(lambda v: v != [None])),  # None entries are allowed
    ),
    Row(
        periods.model_period,
        lambda: dict(findings=[_finding()], nd=1),
        dict(findings=st.sampled_from([None, 5, [None], ["f"]]), nd=ints(1)),
    ),
    Row(severity.band, dict(h=1e-3), dict(h=st.sampled_from([None, "x", [1.0], {}, b"1"]))),
    Row(severity.band_rank, dict(name="none"), dict(name=st.sampled_from([None, 5, [1]]))),
    Row(
        severity.neighbour_ratio,
        dict(y=np.random.default_rng(0).standard_normal((4, 1, 64)), period=(4,)),
        dict(
            y=st.one_of(BAD_ARRAY, st.just(np.zeros(64))),
            period=st.sampled_from([None, "4", (0,), (4.5,), (4, 4), (64,)]),
            exclude=st.sampled_from([5, "2", [(0,)], [(2, 2)], [None]]),
            radius=ints(1),
        ),
    ),
    Row(
        severity.period_table,
        dict(
            y=np.random.default_rng(0).standard_normal((8, 1, 64)),
            periods=[(2,), (4,)],
            random=True,
        ),
        dict(
            y=st.one_of(BAD_ARRAY, st.just(np.zeros(64))),
            periods=BAD_PERIODS,
            random=NOT_BOOL,
            groups=ints(2),
            radius=ints(1),
        ),
    ),
    Row(
        findings.closed_form_severity,
        lambda: dict(f=_finding()),
        dict(f=st.sampled_from([None, 5, "f"])),
    ),
    # measure
    Row(
        measure.noise_batch,
        dict(map_shape=(64, 64), input_shape=(1, 3, 64, 64)),
        dict(map_shape=st.sampled_from([None, "64", (0,), (2.5,)]), input_shape=BAD_SHAPE),
    ),
    Row(
        measure.forward_maps,
        lambda: dict(model=_up1d(), shape=(1, 1, 8), y0=None),
        dict(
            model=NOT_MODULE,
            shape=BAD_SHAPE,
            batch=ints(1),
            seed=BAD_SEED,
            dtype=st.sampled_from(["float32", torch.int64, None]),
        ),
    ),
    Row(
        measure.backward_maps,
        lambda: dict(model=nn.Conv1d(1, 1, 3, 2), shape=(1, 1, 16), images=False),
        dict(
            model=NOT_MODULE,
            shape=BAD_SHAPE,
            batch=ints(1),
            seed=BAD_SEED,
            projection=bad_name(("sum", "random")),
            images=NOT_BOOL,
        ),
    ),
    Row(
        measure.scores_frame,
        lambda: dict(maps=_maps(), period=(2,)),
        dict(
            maps=st.sampled_from([None, 5, "maps", [None], [5]]),
            period=st.sampled_from([None, "2", (0,), (2.5,), (2, 2)]),
        ),
        names={"maps": ("maps", "MeasuredMap")},
    ),
    # the fix report and distillation
    Row(
        distill.relative_change,
        dict(before=torch.ones(3), after=torch.ones(3)),
        dict(before=NOT_TENSOR, after=st.sampled_from([None, "x", 5, torch.ones(4)])),
    ),
    Row(
        distill.change_report,
        lambda: dict(
            original=_up1d(),
            fixed=_up1d(),
            shape=(1, 1, 8),
            data=None,
            metric=None,
            seed=0,
            stage="replaced",
        ),
        dict(
            original=NOT_MODULE,
            fixed=NOT_MODULE,
            shape=BAD_SHAPE,
            seed=BAD_SEED,
            metric=st.sampled_from([5, "iou"]),
            data=st.sampled_from([5, "x"]),
            stage=st.sampled_from([None, 5]),
        ),
    ),
    Row(
        distill.distill,
        lambda: (
            lambda student: dict(
                teacher=_up1d(), student=student, replaced=[student], shape=(1, 1, 8), steps=1
            )
        )(_up1d()),
        dict(
            teacher=NOT_MODULE,
            student=NOT_MODULE,
            replaced=st.sampled_from([None, 5, [5], [nn.ReLU()], "layer", [nn.Linear(1, 1)]]),
            shape=BAD_SHAPE,
            steps=ints(1),
            data=st.sampled_from([5, "x", np.ones((2, 1, 8))]),
            loss=bad_name(("mse", "bce")),
            lr=reals(0, none_ok=False),
            seed=BAD_SEED,
        ),
    ),
    Row(
        distill.distill_loss,
        dict(squashed_by=None),
        dict(squashed_by=st.sampled_from([5, [None], b"x"])),
    ),
    # ONNX
    Row(
        al_onnx.load_onnx,
        dict(path="/nonexistent.onnx"),
        dict(
            path=st.sampled_from([None, 5, b"x.onnx", "/nonexistent.onnx", Path("/")]),
            route=bad_name(al_onnx.ROUTES),
        ),
    ),
    Row(
        al_onnx.OnnxGraphModule,
        lambda: dict(model=_onnx_model()),
        dict(
            model=st.sampled_from([None, 5, "graph", nn.ReLU()]),
            name=st.sampled_from([None, 5, [1]]),
        ),
    ),
    Row(
        al_onnx.onnx2torch_module,
        lambda: dict(model=_onnx_model()),
        dict(model=st.sampled_from([None, 5, "graph"])),
    ),
    # real models and their inputs
    Row(
        real.package_file,
        dict(package="no_such_package_xyz"),
        dict(package=st.sampled_from([None, 5, "", "a.b", ["x"]])),
    ),
    Row(
        real.load_mtcnn,
        dict(stage="rnet"),
        dict(stage=bad_name(("pnet", "rnet", "onet")), output=bad_name(("all", "boxes", "probs"))),
    ),
    Row(real.load_crepe, dict(model="tiny"), dict(model=bad_name(("tiny", "full")))),
    Row(real.load_ppocr, dict(), dict(route=bad_name(al_onnx.ROUTES))),
    Row(real.PNet, dict(), dict(output=bad_name(("all", "boxes", "probs")))),
    Row(real.RNet, dict(), dict(output=bad_name(("all", "boxes", "probs")))),
    Row(real.ONet, dict(), dict(output=bad_name(("all", "boxes", "landmarks", "probs")))),
    Row(real.Crepe, dict(), dict(capacity=bad_name(("tiny", "full")))),
    Row(
        real.standardise_frames,
        dict(frames=torch.randn(2, 8)),
        dict(frames=st.one_of(NOT_TENSOR, st.just(torch.ones(4)))),
    ),
    Row(
        real.crepe_input,
        dict(frames=torch.randn(2, 8)),
        dict(frames=st.one_of(NOT_TENSOR, st.just(torch.ones(4)))),
    ),
    Row(real.crepe_tones, dict(n=2, seed=0), dict(n=ints(1), seed=BAD_SEED)),
    Row(
        real.crepe_bin,
        dict(f0=np.array([440.0])),
        dict(f0=st.one_of(BAD_ARRAY, st.just(np.array([0.0, -1.0])))),
    ),
    Row(real.face_crops, dict(size=24, n=2, seed=0), dict(size=ints(12), n=ints(1), seed=BAD_SEED)),
    Row(
        real.text_page,
        dict(seed=0, size=(64, 64), lines=2),
        dict(
            seed=BAD_SEED,
            size=st.sampled_from([None, 8, (8, 8), (64,), "64", (64.0, 64)]),
            lines=ints(1),
        ),
    ),
    Row(
        real.ppocr_input,
        dict(rgb=np.zeros((8, 8, 3), np.uint8)),
        dict(rgb=st.one_of(BAD_ARRAY, st.sampled_from([np.zeros((8, 8, 4)), np.zeros(8)]))),
    ),
    Row(real.scanned_page, dict(multiple=32), dict(multiple=ints(1))),
    Row(
        real.mask_iou,
        dict(before=torch.rand(2, 1, 8, 8), after=torch.rand(2, 1, 8, 8), threshold=0.3),
        dict(
            before=st.one_of(NOT_TENSOR, st.just(torch.ones(4))),
            after=st.one_of(NOT_TENSOR, st.just(torch.ones(4)), st.just(torch.ones(3, 1, 8, 8))),
            threshold=st.sampled_from([None, "0.3", float("nan")]),
        ),
    ),
]

#: Result types and records built by the library, and warnings: no arguments to fuzz.
REAL_NOT_FUZZED = {
    "FixReport", "FixWarning", "MeasuredMap", "Traced", "MissingPackage",
    "screen_css",  # no arguments
}  # fmt: skip
