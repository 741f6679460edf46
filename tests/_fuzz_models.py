"""Fuzz rows for the model side: audit, fixes, loading, zoo, tracing, measure, findings,
adjoint, nn, losses, monitor, gradients and backend (see ``tests/_fuzz.py``)."""

from __future__ import annotations

import importlib
import math
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn

from artifact_lab import backend
from artifact_lab.core import adjoint, calculator
from artifact_lab.layers import blur, shuffle
from artifact_lab.models import (
    advice,
    findings,
    loading,
    measure,
    periods,
    recommend,
    strategies,
    zoo,
)
from artifact_lab.models import trace as tracing
from artifact_lab.prevent import losses
from artifact_lab.prevent import nn as al_nn
from artifact_lab.studies import gradients
from tests._fuzz import (
    BAD_ARRAY,
    BAD_DEVICE,
    BAD_NDIM,
    NOT_BOOL,
    NOT_INT,
    NOT_MODULE,
    NOT_STR,
    NOT_TENSOR,
    Row,
    axes,
    bad_name,
    ints,
    names_of,
    reals,
)

# al.audit and al.monitor are the functions: the modules by name
audit = importlib.import_module("artifact_lab.models.audit")
monitor = importlib.import_module("artifact_lab.prevent.monitor")
CPU = torch.device("cpu")
DIRECTIONS = ("forward", "backward")
BAD_DIRECTION = bad_name(DIRECTIONS)
BAD_SHAPE = st.one_of(
    st.sampled_from([None, "1,1,8", 8, (1, 1), (1, 1, 8, 8, 8, 8), (1, 1, 0), (1, 1, 8.0)]),
    st.sampled_from([(True, 1, 8), (1, 1, 10**9), {"n": 1}, np.ones((2, 3))]),
)
BAD_PERIOD = st.sampled_from([None, "2", 2.0, (0,), (-1,), (2.5,), (True,), (), (2, 2, 2, 2)])
BAD_SEED = ints(0)
BAD_STRIDE_OBJ = st.one_of(axes(1), st.just((2, 2, 2, 2)))
NOT_DEVICE_OBJ = st.sampled_from([None, "cpu", 0, 1.5, ["cpu"]])  # wants a torch.device
NOT_DICT_OF_TENSORS = st.sampled_from(
    [None, "x", 5, {}, {"x": np.ones((2, 1, 8, 8))}, {1: torch.ones(2, 1, 8, 8)}, [torch.ones(1)]]
)
BAD_PROJECTION = st.one_of(
    bad_name(("sum", "random")), st.sampled_from([torch.ones(3), np.ones((1, 1, 8))])
)
BAD_WEIGHT = st.one_of(
    BAD_ARRAY, st.sampled_from([torch.ones(3), torch.ones(1, 1, 3, dtype=torch.int64), "w"])
)


def _up1d() -> nn.Module:
    return nn.Sequential(nn.ConvTranspose1d(1, 1, 3, 2))


def _down2d() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 1, 3, 2, 1))


def _op():
    ops, _ = tracing.trace(_up1d(), torch.zeros(1, 1, 8))
    return ops[0]


def _backward_op():
    ops, _ = tracing.trace(_down2d(), torch.zeros(1, 1, 8, 8), direction="backward")
    return ops[0]


def _finding():
    return findings.forward_finding(_op())


def _textures():
    return gradients.texture_patches(per_class=2, test_per_class=1, size=16)


def _classifier():
    return gradients.SmallClassifier(width=2)


def _monitor_record(**kw):
    """The method ``Monitor.record(step)``."""
    return monitor.Monitor(_up1d()).record(**kw)


def _fit_(**kw):
    """The method ``CheckerboardFreeConvTranspose1d.fit_(weight)``."""
    return al_nn.CheckerboardFreeConvTranspose1d(1, 1, 4, stride=2).fit_(**kw)


BAD_OP = st.sampled_from([None, "op", 5, {"kind": "conv"}, nn.Conv1d(1, 1, 3)])
BAD_FINDING = st.sampled_from([None, "finding", 5, {"kind": "transposed"}])
BAD_OPS = st.sampled_from([None, "ops", 5, [None], ["op"]])
BAD_SPATIAL = st.sampled_from([None, "8", 0, (0,), (8.0,), (-1,), ()])
BAD_INTERIOR = st.sampled_from([None, "mask", np.ones(3, bool), np.ones((2, 2), bool), 5])

MODEL_ROWS: list[Row] = [
    # the one-call answer
    Row(
        advice.check_layer,
        dict(kernel_size=3, stride=2, seeds=range(2)),
        dict(
            layer=st.sampled_from(
                [5, "Conv2d(1, 1, 3)", "ConvTranspose2d(", nn.Conv2d(1, 1, 3, 2), {"weight": 1}]
            ),
            kernel_size=axes(1),
            stride=axes(1),
            padding=axes(0),
            output_padding=axes(0),
            dilation=axes(1),
            ndim=BAD_NDIM,
            weight=BAD_ARRAY.filter(lambda v: v is not None),  # None: no weight, valid
            groups=ints(1),
            channels=st.sampled_from([5, None, (0, 1), (1,), (1.5, 2), "ab"]),
            seeds=st.sampled_from([5, None, [], [-1], ["a"], range(10**9)]),
        ),
    ),
    Row(
        advice.parse_layer,
        dict(layer="ConvTranspose1d(1, 1, 3, 2)"),
        dict(
            layer=st.one_of(
                st.text(max_size=30),
                st.integers(),
                st.none(),
                st.sampled_from(["ConvTranspose1d(1, 1, 0)", "ConvTranspose1d(x, 1, 3)"]),
            )
        ),
    ),
    Row(
        advice.score_db,
        dict(score=0.1),
        dict(
            score=st.one_of(
                st.floats(min_value=1.0001, exclude_min=False),
                st.floats(max_value=-0.0001),
                st.text(max_size=3),
                st.none(),
                st.booleans(),
            )
        ),
    ),
    # audit
    Row(
        audit.audit,
        lambda: dict(model=_up1d(), input_shape=(1, 1, 8), measure=False),
        dict(
            model=NOT_MODULE,
            input_shape=BAD_SHAPE,
            direction=BAD_DIRECTION,
            name=NOT_STR,
            device=BAD_DEVICE,
            measure=NOT_BOOL,
            projection=bad_name(("sum", "random")),
            images=NOT_BOOL,
            seed=BAD_SEED,
        ),
    ),
    Row(
        audit.fix,
        lambda: dict(model=_up1d(), input_shape=(1, 1, 8)),
        dict(
            model=NOT_MODULE,
            input_shape=BAD_SHAPE,
            direction=BAD_DIRECTION,
            layers=st.sampled_from(["0", 5, [5], ["no-such-layer"], [None]]),
            strategy=bad_name(tuple(strategies.STRATEGIES)).filter(lambda v: v is not None),
            seed=BAD_SEED,
        ),
    ),
    Row(
        audit.audit_zoo,
        dict(names=("espcn",), width=1 / 16),
        dict(
            names=names_of(tuple(zoo.ZOO)).filter(lambda v: v is not None),
            direction=BAD_DIRECTION,
            width=reals(0, maximum=4, none_ok=False),
            seed=BAD_SEED,
        ),
    ),
    Row(
        loading.load_model,
        dict(target="artifact_lab.models.zoo:ESPCN", kwargs={"width": 1 / 16}),
        dict(
            target=st.sampled_from(
                [5, None, "", "no_colon", ":f", "artifact_lab.models.zoo:", "/nonexistent.py:f"]
            ),
            checkpoint=st.sampled_from([5, b"x", ["a"], "/nonexistent.pt", Path("/nonexistent")]),
            kwargs=st.sampled_from([5, "width", [("width", 1)], {1: 2}, {"no_such_kwarg": 1}]),
        ),
        names={"checkpoint": ("checkpoint",), "kwargs": ("kwargs", "factory")},
    ),
    # zoo
    Row(
        zoo.build,
        dict(name="espcn", width=1 / 16, seed=0),
        dict(
            name=bad_name(tuple(zoo.ZOO)),
            width=reals(0, maximum=4, none_ok=False),
            seed=BAD_SEED,
        ),
    ),
    Row(
        zoo.input_shape,
        dict(name="espcn", width=1 / 16),
        dict(name=bad_name(tuple(zoo.ZOO)), width=reals(0, maximum=4, none_ok=False)),
    ),
    # tracing, measure, findings
    Row(
        tracing.trace,
        lambda: dict(model=_up1d(), x=torch.zeros(1, 1, 8)),
        dict(
            model=NOT_MODULE,
            x=st.one_of(NOT_TENSOR, st.sampled_from([np.zeros((1, 1, 8)), torch.zeros(8)])),
            direction=BAD_DIRECTION,
        ),
    ),
    Row(
        measure.chance_level,
        dict(period=(2,), crop_shape=(8,)),
        dict(
            period=BAD_PERIOD,
            crop_shape=st.sampled_from([None, "8", 7, (7,), (0,), (8.0,), (8, 8), (True,)]),
        ),
    ),
    Row(
        measure.fit_period,
        dict(period=(2,), spatial=(16,)),
        dict(period=BAD_PERIOD, spatial=BAD_SPATIAL),
    ),
    Row(
        measure.crop_periods,
        dict(y=np.zeros((1, 1, 16)), period=(2,)),
        dict(
            y=st.one_of(BAD_ARRAY, st.sampled_from([np.zeros(16), np.zeros((1, 1, 1))])),
            period=BAD_PERIOD,
        ),
    ),
    Row(
        measure.forward_scores,
        lambda: dict(model=_up1d(), shape=(1, 1, 8), period=(2,)),
        dict(
            model=NOT_MODULE,
            shape=BAD_SHAPE,
            period=BAD_PERIOD,
            batch=ints(1),
            seed=BAD_SEED,
            device=st.sampled_from(["tpu", 5, ["cpu"]]),
            dtype=st.sampled_from(["float32", torch.int64, np.float64, 5, None]),
        ),
        names={"shape": ("shape",)},
    ),
    Row(
        measure.backward_scores,
        lambda: dict(model=_down2d(), shape=(1, 1, 8, 8), period=(2, 2), images=False),
        dict(
            model=NOT_MODULE,
            shape=BAD_SHAPE,
            period=BAD_PERIOD,
            batch=ints(1),
            seed=BAD_SEED,
            projection=bad_name(("sum", "random")),
            images=NOT_BOOL,
            device=st.sampled_from(["tpu", 5, ["cpu"]]),
            dtype=st.sampled_from(["float32", torch.int64, np.float64, 5, None]),
        ),
    ),
    Row(
        measure.input_gradient,
        lambda: dict(model=_down2d(), x=torch.zeros(1, 1, 8, 8)),
        dict(
            model=NOT_MODULE,
            x=st.one_of(NOT_TENSOR, st.just(np.zeros((1, 1, 8, 8)))),
            projection=BAD_PROJECTION,
            seed=BAD_SEED,
        ),
    ),
    Row(findings.forward_finding, lambda: dict(op=_op()), dict(op=BAD_OP)),
    Row(findings.backward_finding, lambda: dict(op=_backward_op()), dict(op=BAD_OP)),
    Row(
        periods.forward_period,
        lambda: dict(findings=[_finding()], nd=1),
        dict(findings=BAD_OPS, nd=st.one_of(ints(1), st.integers(4, 9))),
    ),
    Row(
        periods.backward_period,
        lambda: dict(ops=[_backward_op()], spatial=(8, 8)),
        dict(ops=BAD_OPS, spatial=BAD_SPATIAL),
    ),
    Row(recommend.recommend_forward, lambda: dict(f=_finding()), dict(f=BAD_FINDING)),
    Row(recommend.recommend_backward, lambda: dict(f=_finding()), dict(f=BAD_FINDING)),
    # adjoint
    *[
        Row(
            func,
            dict(input_size=9, kernel_size=3, stride=2, padding=1, dilation=1, ceil_mode=False),
            dict(
                input_size=axes(1),
                kernel_size=st.one_of(axes(1), st.just(20)),
                stride=axes(1),
                padding=axes(0),
                dilation=axes(1),
                ceil_mode=NOT_BOOL,
            ),
        )
        for func in (adjoint.downsample_size, adjoint.adjoint_geometry, adjoint.adjoint_interior)
    ],
    Row(
        adjoint.adjoint_pattern,
        dict(kernel=[1.0, 1.0, 1.0], input_size=9, stride=2, padding=1, dilation=1),
        dict(
            kernel=BAD_ARRAY,
            input_size=axes(1),
            stride=axes(1),
            padding=axes(0),
            dilation=axes(1),
            ceil_mode=NOT_BOOL,
            whole_windows=NOT_BOOL,
        ),
    ),
    Row(
        adjoint.pool_kernel,
        dict(kind="lp", kernel_size=2, ndim=2, norm_type=2.0),
        dict(
            kind=bad_name(("avg", "lp")),
            kernel_size=axes(1),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
            norm_type=reals(0),
        ),
    ),
    Row(
        adjoint.pool_kernel,
        dict(kind="avg", kernel_size=2, ndim=2),
        dict(divisor_override=ints(1, none_ok=True)),
    ),
    Row(
        adjoint.measured_gains,
        lambda: dict(
            op=lambda t: torch.nn.functional.avg_pool1d(t, 3, 2),
            x=torch.ones(1, 1, 12, dtype=torch.float64),
            stride=2,
            interior=adjoint.adjoint_interior(12, 3, 2, whole_windows=True),
        ),
        dict(
            op=st.sampled_from([None, "avg", 5]),
            x=st.one_of(NOT_TENSOR, st.sampled_from([torch.ones(12), np.ones((1, 1, 12))])),
            stride=axes(1),
            interior=BAD_INTERIOR,
        ),
    ),
    # fixes
    Row(
        calculator.transposed_geometry,
        dict(n=16, L=32, s=2, kernel_sizes=None),
        dict(
            n=ints(1),
            L=ints(1),
            s=ints(1),
            kernel_sizes=st.sampled_from(["4", 4.0, [0], [None], [True]]),
        ),
    ),
    Row(
        calculator.even_conv_geometry, dict(n=64, L=32, s=2), dict(n=ints(1), L=ints(1), s=ints(1))
    ),
    Row(
        calculator.times_stride_padding,
        dict(kernel_size=4, stride=2),
        dict(kernel_size=ints(1), stride=ints(1)),
    ),
    Row(
        calculator.transposed_options,
        dict(n=(8, 8), L=(16, 16), s=(2, 2)),
        dict(n=axes(1), L=axes(1), s=axes(1)),
    ),
    Row(
        calculator.even_conv_options,
        dict(n=(64, 7), L=(32, 4), s=(2, 2)),
        dict(n=axes(1), L=axes(1), s=axes(1)),
    ),
    Row(
        calculator.is_times_stride,
        dict(n=(8, 8), L=(16, 16), s=(2, 2)),
        dict(n=axes(1), L=axes(1), s=axes(1)),
    ),
    Row(blur.tent, dict(stride=2, ndim=1), dict(stride=axes(1), ndim=BAD_NDIM)),
    Row(
        blur.blur_pool,
        lambda: dict(x=torch.ones(1, 1, 7), stride=2, pad=None),
        dict(
            x=st.one_of(st.none(), st.just(np.ones((1, 1, 7))), st.just(torch.ones(7))),
            stride=axes(1),
            pad=st.one_of(
                st.just(((1,),)), st.just((1, 1)), st.just(((1.5, 1),)), st.text(max_size=3)
            ),
        ),
    ),
    Row(shuffle.PixelShuffleND, dict(factor=2, ndim=1), dict(factor=ints(1), ndim=BAD_NDIM)),
    Row(
        strategies.resolve_strategy,
        dict(strategy="blur", direction="backward"),
        dict(
            strategy=bad_name(tuple(strategies.STRATEGIES)).filter(lambda v: v is not None),
            direction=bad_name(("forward", "backward")),
        ),
    ),
    Row(
        blur.BlurPool,
        dict(stride=2, ndim=1, rule="conv", offset=0, size=None),
        dict(
            stride=axes(1),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
            rule=bad_name(("conv", "ceil", "resize")),
            offset=st.sampled_from(["0", 1.5, None, [0, 0, 0], True]),
            size=st.sampled_from(["4", 0, -1, 1.5, [4, 4], True]),
        ),
    ),
    Row(
        strategies.strategy,
        dict(name="demo", direction="backward", kinds=("avg_pool",), summary="s"),
        dict(
            name=st.one_of(NOT_STR, st.just(""), st.just("blur")),  # taken: would replace it
            direction=BAD_DIRECTION,
            kinds=names_of(("conv", "avg_pool", "max_pool", "transposed")),
            summary=NOT_STR,
        ),
    ),
    # nn
    *[
        Row(
            cls,
            dict(in_channels=2, out_channels=2, kernel_size=4, stride=2, padding=1),
            dict(
                in_channels=ints(1),
                out_channels=ints(1),
                kernel_size=st.one_of(axes(1), st.just(1)),  # k < s: no clean kernel
                stride=axes(1),
                padding=axes(0),
                output_padding=st.one_of(axes(0), st.just(5)),
                groups=st.one_of(ints(1), st.just(3)),
                bias=NOT_BOOL,
                dilation=st.one_of(axes(1), st.just(2)),  # gcd(d, s) > 1: holes
                padding_mode=bad_name(("zeros",)),
                device=BAD_DEVICE,
                dtype=st.sampled_from(["float32", torch.int64, 5, np.float64]),
            ),
        )
        for cls in (
            al_nn.CheckerboardFreeConvTranspose1d,
            al_nn.CheckerboardFreeConvTranspose2d,
            al_nn.CheckerboardFreeConvTranspose3d,
        )
    ],
    Row(
        _fit_,
        dict(weight=torch.ones(1, 1, 4)),
        dict(weight=st.one_of(BAD_WEIGHT, st.sampled_from([torch.ones(1, 1, 3), torch.ones(4)]))),
    ),
    Row(
        al_nn.check_geometry,
        dict(kernel_size=4, stride=2, dilation=1, ndim=2),
        dict(
            kernel_size=axes(1),
            stride=axes(1),
            dilation=axes(1),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
        ),
    ),
    Row(
        al_nn.hold_compose,
        lambda: dict(h0=torch.ones(3), stride=2, ndim=1),
        dict(
            h0=st.one_of(NOT_TENSOR, st.sampled_from([np.ones(3), torch.ones(())])),
            stride=axes(1),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
        ),
    ),
    Row(
        al_nn.hold_fit,
        dict(weight=[1.0, 3.0, 5.0, 3.0], stride=2, ndim=1),
        dict(
            weight=BAD_ARRAY,
            stride=st.one_of(axes(1), st.just(5)),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
        ),
    ),
    Row(
        al_nn.hold_response,
        dict(frequency=[0, 0.25], stride=2, dilation=1, normalized=True),
        dict(
            frequency=st.sampled_from([[math.nan], "f", None, [1j], {"f": 1}]),
            stride=ints(1),
            dilation=ints(1),
            normalized=NOT_BOOL,
        ),
    ),
    Row(
        al_nn.constraint_cost,
        dict(kernel_sizes=(4,), strides=(2,), ndim=2),
        dict(
            kernel_sizes=st.sampled_from(["4", 4.5, [0], [None], [], None]),
            strides=st.sampled_from(["2", 2.5, [0], [None], [], None]),
            ndim=st.one_of(st.integers(-3, 0), st.integers(4, 9), NOT_INT),
        ),
    ),
    Row(
        al_nn.from_module,
        lambda: dict(layer=nn.ConvTranspose1d(1, 1, 4, 2, 1)),
        dict(
            layer=st.one_of(
                NOT_MODULE,
                st.sampled_from([nn.Conv1d(1, 1, 3), nn.ConvTranspose1d(1, 1, 1, 2)]),
            )
        ),
    ),
    Row(
        al_nn.constrained_replacement,
        lambda: dict(module=nn.ConvTranspose1d(1, 1, 4, 2, 1)),
        dict(module=st.one_of(NOT_MODULE, st.sampled_from([nn.Conv1d(1, 1, 3), nn.ReLU()]))),
    ),
    # losses
    Row(
        losses.checkerboard_penalty,
        lambda: dict(model_or_weights=nn.ConvTranspose1d(1, 1, 4, 2)),
        dict(
            model_or_weights=st.sampled_from([None, "m", 5, np.ones((1, 1, 3)), [None], []]),
            reduction=bad_name(losses.REDUCTIONS),
            direction=bad_name(losses.DIRECTIONS),
            channels=bad_name(losses.CHANNELS),
            normalized=NOT_BOOL,
        ),
        names={"model_or_weights": ("model_or_weights", "model", "weights")},
    ),
    Row(
        losses.checkerboard_penalty,
        lambda: dict(model_or_weights=torch.ones(1, 1, 4), stride=2),
        dict(
            stride=axes(1),
            dilation=axes(1),
            groups=st.one_of(ints(1), st.just(3)),
            subpixel=st.sampled_from([5, "x", {"a": 2}]),  # only for modules
        ),
    ),
    Row(
        losses.find_layers,
        lambda: dict(model=_up1d()),
        dict(
            model=NOT_MODULE,
            direction=bad_name(losses.DIRECTIONS),
            subpixel=st.sampled_from([5, "x", [2], {"no-such-layer": 2}, {"0": 0}, {"0": "2"}]),
        ),
    ),
    Row(
        losses.layer_scores,
        lambda: dict(weight=torch.ones(1, 1, 3, dtype=torch.float64), stride=2),
        dict(
            weight=BAD_WEIGHT,
            stride=axes(1),
            dilation=axes(1),
            groups=st.one_of(ints(1), st.just(3)),
            channels=bad_name(("sum", "pairs")),
        ),
    ),
    # monitor
    *[
        Row(
            func,
            lambda: dict(model=_up1d()),
            dict(
                model=NOT_MODULE,
                every=ints(1),
                direction=bad_name(losses.DIRECTIONS),
                subpixel=st.sampled_from([5, "x", [2], {"no-such-layer": 2}]),
                log_dir=st.sampled_from([5, b"x", ["dir"]]),
                writer=st.sampled_from([5, "writer", object()]),
                tag=st.one_of(NOT_STR, st.just("")),
            ),
        )
        for func in (monitor.Monitor, monitor.monitor)
    ],
    Row(_monitor_record, dict(step=0), dict(step=ints(0))),
    # gradients
    Row(
        gradients.texture_patches,
        dict(size=16, per_class=2, test_per_class=1),
        dict(
            names=names_of(gradients.TEXTURES),
            size=st.one_of(ints(4), st.just(10**6)),
            per_class=ints(1),
            test_size=st.one_of(ints(4, none_ok=True), st.just(10**6)),
            test_per_class=ints(1),
            seed=BAD_SEED,
        ),
    ),
    Row(
        gradients.SmallClassifier,
        dict(classes=3, width=2, in_ch=1),
        dict(classes=ints(2), width=ints(1), in_ch=ints(1)),
    ),
    Row(
        gradients.train_classifier,
        lambda: dict(model=_classifier(), data=_textures(), steps=1, evals=1),
        dict(
            model=NOT_MODULE,
            data=NOT_DICT_OF_TENSORS,
            steps=ints(1),
            batch=ints(1),
            lr=reals(0, none_ok=False),
            seed=BAD_SEED,
            evals=ints(1),
        ),
    ),
    Row(
        gradients.gradient_scores,
        lambda: dict(
            model=_classifier(), inputs={"noise": torch.randn(1, 1, 16, 16)}, period=(2, 2)
        ),
        dict(
            model=NOT_MODULE,
            inputs=NOT_DICT_OF_TENSORS,
            period=BAD_PERIOD,
            projection=st.one_of(bad_name(("sum", "random")), st.just({"noise": "x"})),
            seed=BAD_SEED,
        ),
    ),
    Row(
        gradients.adjoint_check,
        dict(n=16, seed=0),
        dict(n=st.one_of(ints(8), st.just(10**6)), seed=BAD_SEED),
    ),
    Row(
        gradients.fix_study,
        lambda: dict(data=_textures(), strategies=("pool",), width=2, steps=1),
        dict(
            data=NOT_DICT_OF_TENSORS,
            strategies=names_of(("blur", "even", "pool")),
            width=ints(1),
            steps=ints(1),
            batch=ints(1),
            lr=reals(0, none_ok=False),
            periods=st.sampled_from([None, "2", [(0, 2)], [(2, 2, 2)], [None], [], [(2.5, 2)]]),
            evals=ints(1),
            seed=BAD_SEED,
        ),
    ),
    # backend
    Row(backend.exact_dtype, dict(device=CPU), dict(device=NOT_DEVICE_OBJ)),
    Row(backend.free_memory, dict(device=CPU), dict(device=NOT_DEVICE_OBJ)),
    Row(
        backend.work_budget,
        dict(device=CPU, memory_mb=64),
        dict(device=NOT_DEVICE_OBJ, memory_mb=ints(1, none_ok=True)),
    ),
    Row(
        backend.KernelTimer,
        dict(device=CPU),
        dict(device=NOT_DEVICE_OBJ, event_factory=st.sampled_from([5, "cuda", object()])),
    ),
]
