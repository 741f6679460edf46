"""Fuzz the public API: bad values for every argument of every public function.

Every bad value must raise ``ValueError`` or ``TypeError`` (or a subclass) whose message names
the argument, before any work: never another exception, never a result. How to add a row:
see ``tests/_fuzz.py``.

Each (function, argument) pair is one test that draws ``FUZZ_EXAMPLES`` values (more under
``HYPOTHESIS_PROFILE=thorough``). ``python tests/test_fuzz.py`` runs every row and prints how
many bad inputs were tried and what they got.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import pkgutil
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab import backend
from artifact_lab._util.io import write_atomic
from artifact_lab.cli import parse_ints, parse_range
from artifact_lab.core import arithmetic, calculator, images, kernels, scores, spectral, stacks
from artifact_lab.layers import shuffle, upsamplers
from artifact_lab.report import build as report_module
from artifact_lab.report import execute as report_execute
from artifact_lab.studies import compare, prevention, training

if __package__ in (None, ""):  # run as a script (python tests/test_fuzz.py): find ``tests``
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests._fuzz import (
    BAD_ARRAY,
    BAD_DEVICE,
    BAD_NDIM,
    BAD_SIGNAL,
    CLEAR,
    FAILED,
    FUZZ_EXAMPLES,
    HUGE_OK,
    META_OK,
    NAN_OK,
    NOT_BOOL,
    NOT_INT,
    NUMPY_ACCEPTED,
    NUMPY_NONE,
    NUMPY_SAME,
    NUMPY_SLOW,
    OUTCOMES,
    SIZE_NAMES,
    STRICT,
    THREADS_OK,
    NanRow,
    Row,
    ThreadRow,
    axes,
    bad_name,
    below,
    huge_values,
    ints,
    meta_version,
    names_of,
    probe,
    probe_huge,
    probe_meta,
    probe_nan,
    probe_numpy,
    probe_threads,
    signal,
)
from tests._fuzz_real import REAL_NOT_FUZZED

overlap = importlib.import_module("artifact_lab.core.overlap")  # al.overlap is the function

T1 = al.TransposedConv(3, 2, 1, 1, ndim=1)
Y16 = np.tile([2.0, 1.0], 8)
X16 = np.random.default_rng(0).standard_normal((4, 16))
UP32 = np.repeat(X16, 2, axis=-1)
GEOMETRY = dict(input_size=6, kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1)
GEOMETRY_BAD = dict(
    input_size=axes(1),
    kernel_size=axes(1),
    stride=axes(1),
    padding=st.one_of(axes(0), st.integers(7, 10**6)),  # beyond the output: size < 1
    output_padding=st.one_of(axes(0), st.integers(2, 10**6)),  # >= max(stride, dilation)
    dilation=axes(1),
)
KSDP = dict(kernel_size=3, stride=2, dilation=1, padding=1)
KSDP_BAD = dict(kernel_size=axes(1), stride=axes(1), dilation=axes(1), padding=axes(0))
SMALL_BUDGET = training.Budget(1, 1, 1, 16, 1, 1e-3, 16)
BUDGET_FIELDS = dict(steps=4, evals=2, batch=2, patch=16, channels=2, lr=1e-3, eval_size=32)
TABLE = {}  # filled lazily: compare_upsamplers' output for rank_upsamplers


def _to_module(**kw):
    return T1.to_module(**kw)


def _ranked_table():
    if "table" not in TABLE:
        TABLE["table"] = compare.compare_upsamplers(
            {"sub-pixel": upsamplers.make_upsampler("sub-pixel")},
            ("noise",),
            size=16,
            seeds=(0,),
            progress=False,
        )
    return TABLE["table"]


FUZZ_DIR = Path(tempfile.gettempdir()) / "artifact_lab_fuzz"


def _notebook():
    import nbformat

    tmp = FUZZ_DIR
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "tiny.ipynb"
    if not path.exists():
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), nbformat.v4.new_code_cell("1")]
        nbformat.write(nb, path)
    return path


SOLVE_VALID = dict(input_size=16, output_size=32, kernel_sizes=range(1, 5), strides=(2,))
SOLVE_BAD = dict(
    input_size=axes(1),
    output_size=axes(1),
    kernel_sizes=st.one_of(
        st.text(max_size=4),
        st.lists(below(1), min_size=1, max_size=3),
        st.just([]),
        st.just(range(1, 10**8)),
        st.floats(),
        st.none(),
        st.lists(st.floats(), min_size=1, max_size=2),
    ),
    strides=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1), st.just([])),
    dilations=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1), st.none()),
    paddings=st.one_of(st.text(max_size=3), st.lists(below(0), min_size=1), st.floats()),
    output_paddings=st.one_of(
        st.lists(below(0), min_size=1),
        st.lists(st.integers(2, 10**6), min_size=1, max_size=3),  # >= every stride
        st.text(max_size=3),
    ),
    all_output_paddings=NOT_BOOL,
)


REGISTRY: list[Row] = [
    # arithmetic
    Row(arithmetic.output_size, GEOMETRY, GEOMETRY_BAD),
    Row(arithmetic.output_size_terms, GEOMETRY, GEOMETRY_BAD),
    Row(
        arithmetic.conv_output_size,
        dict(input_size=16, kernel_size=3, stride=2, padding=1, dilation=1),
        dict(
            input_size=axes(1),
            kernel_size=st.one_of(axes(1), st.integers(20, 10**6)),
            stride=axes(1),
            padding=axes(0),
            dilation=axes(1),
        ),
    ),
    Row(
        arithmetic.TransposedConv,
        dict(kernel_size=3, stride=2, padding=1, output_padding=1, dilation=1, ndim=1),
        dict(
            kernel_size=axes(1),
            stride=axes(1),
            padding=axes(0),
            output_padding=st.one_of(axes(0), st.integers(2, 99)),
            dilation=axes(1),
            ndim=BAD_NDIM,
        ),
    ),
    Row(
        _to_module,
        dict(in_channels=2, out_channels=2, bias=True, groups=1),
        dict(
            in_channels=ints(1),
            out_channels=ints(1),
            bias=NOT_BOOL,
            groups=st.one_of(ints(1), st.integers(3, 99)),
        ),
    ),
    Row(
        arithmetic.zero_insert,
        dict(x=np.ones(5), stride=2, ndim=1),
        dict(
            x=st.sampled_from(["abc", [1, 2], None, 3]),
            stride=axes(1),
            ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
        ),
    ),
    Row(
        arithmetic.conv_transpose_by_zero_insertion,
        lambda: dict(
            x=torch.randn(1, 2, 5, dtype=torch.float64),
            weight=torch.randn(2, 3, 4, dtype=torch.float64),
            stride=2,
            padding=1,
            output_padding=0,
            dilation=1,
        ),
        dict(
            x=st.sampled_from(
                [
                    np.ones((1, 2, 5)),
                    torch.ones(1, 2, 5, dtype=torch.int64),
                    torch.ones(1, 2, 5, dtype=torch.complex128),
                    torch.ones(2, 5, dtype=torch.float64),
                    torch.ones(1, 3, 5, dtype=torch.float64),
                    torch.ones(1, 2, 5, dtype=torch.float32),
                ]
            ),
            weight=st.sampled_from(
                [np.ones((2, 3, 4)), torch.ones(3, 3, 4, dtype=torch.float64), "w"]
            ),
            stride=axes(1),
            padding=st.one_of(axes(0), st.integers(10, 10**6)),
            output_padding=st.one_of(axes(0), st.integers(2, 99)),
            dilation=axes(1),
        ),
    ),
    # calculator: solve and solve_rows take the same arguments
    *(
        Row(solve_like, SOLVE_VALID, SOLVE_BAD)
        for solve_like in (calculator.solve, calculator.solve_rows)
    ),
    # overlap
    Row(
        overlap.overlap_map,
        dict(GEOMETRY, method="analytic", ndim=None),
        dict(GEOMETRY_BAD, method=bad_name(("analytic", "torch")), ndim=BAD_NDIM),
    ),
    Row(overlap.overlap_map, dict(GEOMETRY, method="torch"), dict(device=BAD_DEVICE)),
    Row(overlap.interior_mask, dict(GEOMETRY, ndim=None), dict(GEOMETRY_BAD, ndim=BAD_NDIM)),
    Row(
        overlap.overlap,
        dict(GEOMETRY, method="analytic", ndim=None),
        dict(GEOMETRY_BAD, method=bad_name(("analytic", "torch")), ndim=BAD_NDIM),
    ),
    Row(overlap.phase_counts, dict(KSDP, ndim=None), dict(KSDP_BAD, ndim=BAD_NDIM)),
    Row(overlap.overlap_contrast, dict(KSDP, ndim=None), dict(KSDP_BAD, ndim=BAD_NDIM)),
    Row(
        overlap.has_holes,
        dict(kernel_size=3, stride=2, dilation=1, ndim=None),
        dict(kernel_size=axes(1), stride=axes(1), dilation=axes(1), ndim=BAD_NDIM),
    ),
    Row(
        overlap.rule_table,
        dict(kernel_sizes=(3, 4), strides=(2,), dilations=(1,)),
        dict(
            kernel_sizes=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1)),
            strides=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1), st.none()),
            dilations=st.one_of(st.lists(below(1), min_size=1), st.just([])),
        ),
    ),
    # scores
    *[
        Row(
            func,
            dict(kernel=np.ones(3), stride=2, dilation=1, padding=0, ndim=None),
            dict(
                kernel=BAD_ARRAY,
                stride=axes(1),
                dilation=axes(1),
                padding=axes(0),
                ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
            ),
        )
        for func in (
            scores.phase_gains,
            scores.noise_gains,
            scores.checkerboard_score,
            scores.noise_checkerboard,
        )
    ],
    Row(
        scores.as_kernel,
        dict(kernel=np.ones((3, 3)), ndim=None),
        dict(kernel=BAD_ARRAY, ndim=st.one_of(st.integers(-3, 0), st.integers(3, 9), NOT_INT)),
    ),
    Row(
        scores.weight_scores,
        dict(weight=np.ones((2, 3, 4)), stride=2, dilation=1, ndim=None),
        dict(
            weight=st.one_of(BAD_SIGNAL, st.sampled_from([np.ones(4), np.ones((2, 3))])),
            stride=axes(1),
            dilation=axes(1),
            ndim=st.one_of(BAD_NDIM, st.integers(2, 3)),
        ),
    ),
    Row(
        scores.score_families,
        dict(families=("ones",), kernel_sizes=(3,), strides=(2,), seeds=range(1), ndim=1),
        dict(
            families=names_of(kernels.FAMILIES),
            kernel_sizes=st.one_of(st.text(max_size=3), st.lists(below(1), min_size=1)),
            strides=st.one_of(st.lists(below(1), min_size=1), st.none()),
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=3)),
            ndim=BAD_NDIM,
        ),
    ),
    # spectral
    Row(
        spectral.harmonic_fraction,
        dict(y=Y16, stride=2, ndim=None, remove_dc=False),
        dict(
            y=signal(),
            stride=st.one_of(axes(1), st.sampled_from([3, 5, 32, (2, 2)])),
            ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
            remove_dc=NOT_BOOL,
        ),
    ),
    Row(
        spectral.harmonic_stats,
        dict(y=Y16, stride=2, ndim=None),
        dict(
            y=signal(),
            stride=st.one_of(axes(1), st.sampled_from([3, 5, 32])),
            ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
        ),
    ),
    Row(
        spectral.harmonic_peaks,
        dict(y=Y16, stride=2, ndim=None, window="hann", exclude=1, ring=4),
        dict(
            y=signal(),
            stride=st.one_of(axes(1), st.sampled_from([3, 5, 32])),
            ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
            window=bad_name(("hann",)).filter(lambda v: v is not None),
            exclude=ints(0),
            ring=ints(1),
        ),
    ),
    Row(
        spectral.peak_db,
        dict(y=Y16, stride=2, ndim=None),
        dict(y=signal(), stride=st.one_of(axes(1), st.sampled_from([3, 5, 32]))),
    ),
    Row(
        spectral.power_spectrum,
        dict(y=Y16, ndim=None, window=None, remove_dc=True),
        dict(
            y=BAD_SIGNAL,
            ndim=st.one_of(st.integers(-3, 0), st.integers(2, 9), NOT_INT),
            window=bad_name(("hann",)).filter(lambda v: v is not None),
            remove_dc=NOT_BOOL,
        ),
    ),
    Row(
        spectral.radial_spectrum,
        dict(y=np.ones((8, 8)), ndim=None, window="hann", bins=None),
        dict(
            y=BAD_SIGNAL,
            ndim=st.one_of(st.integers(-3, 0), st.integers(3, 9), NOT_INT),
            window=bad_name(("hann",)).filter(lambda v: v is not None),
            bins=ints(1, none_ok=True),
        ),
    ),
    Row(
        spectral.replica_fraction,
        dict(y=UP32, stride=2, ndim=1),
        dict(y=BAD_SIGNAL, stride=axes(1), ndim=st.one_of(st.integers(-3, 0), st.integers(3, 9))),
    ),
    Row(
        spectral.filtering_db,
        dict(x=X16, y=UP32, stride=2, ndim=1),
        dict(
            x=st.one_of(BAD_SIGNAL, st.just(np.ones((4, 15)))),
            y=st.one_of(BAD_SIGNAL, st.just(np.ones((4, 31)))),
            stride=st.one_of(axes(1), st.sampled_from([3, 4])),
            ndim=st.one_of(st.integers(-3, 0), st.integers(3, 9), NOT_INT),
        ),
    ),
    Row(
        spectral.interior_crop,
        dict(y=np.arange(9.0), input_size=4, kernel_size=3, stride=2),
        dict(
            y=st.one_of(BAD_SIGNAL, st.just(np.arange(8.0))),
            input_size=axes(1),
            kernel_size=axes(1),
            stride=axes(1),
        ),
    ),
    Row(
        spectral.stats_from_harmonics,
        dict(harmonic_power=np.ones((3, 2)), total_power=np.full(3, 10.0), bins=8),
        dict(
            harmonic_power=st.one_of(BAD_SIGNAL, st.just(-np.ones((3, 2)))),
            total_power=st.one_of(
                BAD_SIGNAL.filter(lambda v: getattr(v, "ndim", 1) != 0), st.just(np.ones(5))
            ),
            bins=st.one_of(below(1), st.text(max_size=2), st.none(), st.just(np.array([np.nan]))),
        ),
    ),
    # stacks
    Row(
        stacks.composite,
        dict(layers=[T1, T1], kernels=None),
        dict(
            layers=st.sampled_from(
                [[], [None], "ab", T1, [T1, al.TransposedConv(3, 2)], 5, [(3, 2)]]
            ),
            kernels=st.sampled_from(
                [[np.ones(3)], [np.ones(4), np.ones(3)], "kk", [np.full(3, np.nan)] * 2, 5]
            ),
        ),
    ),
    Row(
        stacks.stack_response,
        dict(input_size=6, layers=[T1, T1], kernels=None, method="layers", device="cpu"),
        dict(
            input_size=st.one_of(axes(1), st.just(10**9)),
            layers=st.sampled_from([[], "ab", T1, [T1, None]]),
            kernels=st.sampled_from([[np.ones(3)], "kk", [np.ones((3, 3))] * 2]),
            method=bad_name(("layers", "composite")),
            device=BAD_DEVICE,
        ),
    ),
    Row(
        stacks.stack_interior,
        dict(input_size=6, layers=[T1, T1]),
        dict(
            input_size=st.one_of(axes(1), st.just(10**9)),
            layers=st.sampled_from([[], "ab", T1, [T1, None], {1: T1}]),
        ),
    ),
    # kernels
    Row(kernels.ones, dict(kernel_size=3, ndim=1), dict(kernel_size=axes(1), ndim=BAD_NDIM)),
    Row(
        kernels.normal,
        dict(kernel_size=3, ndim=1, seed=0),
        dict(kernel_size=axes(1), ndim=BAD_NDIM, seed=ints(0)),
    ),
    Row(
        kernels.default_weight,
        dict(in_channels=2, out_channels=2, kernel_size=3, ndim=1, seed=0),
        dict(
            in_channels=ints(1),
            out_channels=ints(1),
            kernel_size=axes(1),
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    Row(kernels.bilinear, dict(stride=2, ndim=1), dict(stride=axes(1), ndim=BAD_NDIM)),
    Row(kernels.hold, dict(stride=2, ndim=1), dict(stride=axes(1), ndim=BAD_NDIM)),
    Row(
        kernels.icnr,
        dict(out_channels=1, in_channels=2, kernel_size=3, scale=2, ndim=1, seed=0),
        dict(
            out_channels=ints(1),
            in_channels=ints(1),
            kernel_size=axes(1),
            scale=axes(1),
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    Row(
        kernels.subpixel_as_transposed,
        lambda: dict(weight=kernels.icnr(1, 1, 3, 2, ndim=1), scale=2, padding=None, ndim=None),
        dict(
            weight=st.one_of(BAD_SIGNAL, st.just(np.ones((3, 1, 3)))),
            scale=st.one_of(axes(1), st.just(3)),
            padding=st.one_of(axes(0, none_ok=True), st.just(3)),
            ndim=st.one_of(BAD_NDIM, st.just(2)),
        ),
    ),
    Row(
        kernels.make_kernel,
        dict(family="ones", kernel_size=3, stride=2, ndim=1, seed=0),
        dict(
            family=bad_name(kernels.FAMILIES),
            kernel_size=axes(1, none_ok=True),
            stride=axes(1),
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    # upsamplers
    Row(
        shuffle.pixel_shuffle,
        lambda: dict(x=torch.ones(1, 4, 3, 3), factor=2, ndim=2),
        dict(
            x=st.sampled_from([np.ones((1, 4, 3, 3)), "x", torch.ones(1, 3, 3, 3), torch.ones(3)]),
            factor=ints(1),
            ndim=BAD_NDIM,
        ),
    ),
    Row(
        upsamplers.make_upsampler,
        dict(name="sub-pixel", factor=2, channels=1, ndim=1, seed=0),
        dict(
            name=bad_name(tuple(upsamplers.recipes(2))),
            factor=ints(1),
            channels=ints(1),
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    Row(
        upsamplers.standard_upsamplers,
        dict(factor=2, channels=1, ndim=1, seed=0),
        dict(factor=ints(1), channels=ints(1), ndim=BAD_NDIM, seed=ints(0)),
    ),
    Row(
        upsamplers.TransposedUpsampler,
        dict(channels=1, factor=2, kernel_size=4, init="default", ndim=1, seed=0, bias=True),
        dict(
            channels=ints(1),
            factor=ints(1),
            kernel_size=ints(1),
            init=bad_name(("default", "normal", "bilinear", "hold")),
            ndim=BAD_NDIM,
            seed=ints(0),
            bias=NOT_BOOL,
        ),
    ),
    Row(
        upsamplers.ResizeConv,
        dict(channels=1, factor=2, mode="nearest", kernel_size=3, ndim=1, seed=0),
        dict(
            channels=ints(1),
            factor=ints(1),
            mode=bad_name(("nearest", "bilinear", "bicubic")),
            kernel_size=st.one_of(ints(1), st.integers(1, 20).map(lambda k: 2 * k)),
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    Row(
        upsamplers.SubPixelConv,
        dict(channels=1, factor=2, kernel_size=3, icnr=False, blur=False, ndim=1, seed=0),
        dict(
            channels=ints(1),
            factor=ints(1),
            kernel_size=st.one_of(ints(1), st.integers(1, 20).map(lambda k: 2 * k)),
            icnr=NOT_BOOL,
            blur=NOT_BOOL,
            ndim=BAD_NDIM,
            seed=ints(0),
        ),
    ),
    # images
    Row(
        images.load_image,
        dict(name="camera", size=16, gray=True),
        dict(name=bad_name(images.IMAGES), size=axes(1, none_ok=True), gray=NOT_BOOL),
    ),
    Row(
        images.load_images,
        dict(names=("camera",), size=16),
        dict(names=names_of(images.IMAGES), size=axes(1)),
    ),
    Row(
        images.face,
        dict(index=0, size=None),
        dict(index=st.one_of(ints(0), st.integers(100, 10**6)), size=axes(1, none_ok=True)),
    ),
    Row(
        images.probe,
        dict(kind="noise", size=8, seed=0),
        dict(kind=bad_name(images.PROBES), size=axes(1), seed=ints(0)),
    ),
    # compare
    Row(
        compare.compare_upsamplers,
        lambda: dict(
            upsamplers={"sub-pixel": upsamplers.make_upsampler("sub-pixel")},
            images=("noise",),
            factor=2,
            size=16,
            seeds=(0,),
            device="cpu",
            progress=False,
        ),
        dict(
            upsamplers=st.sampled_from(["sub-pixel", 5, [None], {"x": None}, [1, 2]]),
            images=names_of(images.PROBES + images.IMAGES),
            factor=st.one_of(ints(1), st.just(3)),
            size=st.one_of(ints(1), st.integers(1, 8)),
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=2), st.just(())),
            device=BAD_DEVICE,
            progress=NOT_BOOL,
        ),
    ),
    Row(
        compare.input_image,
        dict(name="noise", size=8, seed=0),
        dict(name=bad_name(images.PROBES + images.IMAGES), size=ints(1), seed=ints(0)),
    ),
    Row(
        compare.rank_upsamplers,
        lambda: dict(table=_ranked_table(), exclude=("constant",)),
        dict(
            table=st.sampled_from([None, "table", {"a": 1}, np.ones(3)]),
            exclude=st.one_of(st.integers(), st.lists(st.integers(), min_size=1), st.none()),
        ),
    ),
    # training
    Row(
        training.Budget,
        BUDGET_FIELDS,
        dict(
            steps=ints(1),
            evals=st.one_of(ints(1), st.integers(5, 99)),
            batch=ints(1),
            patch=st.one_of(ints(8), st.integers(257, 10**6)),
            channels=ints(1),
            lr=st.one_of(
                st.floats(max_value=0), st.just(math.nan), st.just(math.inf), st.text(max_size=2)
            ),
            eval_size=ints(8),
        ),
        names={f: (f"Budget.{f}",) for f in BUDGET_FIELDS},
    ),
    Row(
        training.train_upsamplers,
        dict(
            variant_names="sub-pixel",
            task="sr",
            factor=2,
            budget=SMALL_BUDGET,
            seeds=(0,),
            train_images=("camera",),
            held_out=("coins",),
            device="cpu",
            progress=False,
        ),
        dict(
            variant_names=names_of(training.variants(2), none_ok=True),
            task=bad_name(("sr", "autoencoder")),
            factor=ints(2),
            budget=st.one_of(bad_name(("tiny", "default")), st.just(BUDGET_FIELDS)),
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=2), st.just(())),
            train_images=names_of(images.IMAGES),
            held_out=st.one_of(names_of(images.IMAGES), st.just(("camera",))),
            device=BAD_DEVICE,
            progress=NOT_BOOL,
        ),
        names={"budget": ("budget", "Budget")},
    ),
    Row(
        training.trained_model,
        dict(variant="sub-pixel", budget=SMALL_BUDGET, seed=0, device="cpu"),
        dict(variant=bad_name(training.variants(2)), seed=ints(0), device=BAD_DEVICE),
    ),
    Row(training.variants, dict(factor=2), dict(factor=ints(2))),
    Row(
        training.summarize,
        dict(frame=None),  # placeholder: every drawn frame is bad (the valid call is not run)
        dict(frame=st.sampled_from([None, "frame", {"a": 1}, __import__("pandas").DataFrame()])),
    ),
    Row(
        compare.white_noise_levels,
        dict(shape=(16, 16), factor=2, ndim=2, draws=1, seed=0),
        dict(
            shape=st.sampled_from([None, "ab", (0, 16), (15, 16), 16, (16,), (16, 16.0)]),
            factor=st.one_of(ints(1), st.just(3)),
            ndim=st.one_of(BAD_NDIM, st.just(3)),
            draws=ints(1),
            seed=ints(0),
        ),
    ),
    Row(training.constrained_variants, dict(factor=2), dict(factor=ints(1))),
    Row(
        prevention.prevention_methods,
        dict(factor=2, lambdas=(0.1,), sum_lambdas=(1.0,)),
        dict(
            factor=ints(2),
            lambdas=st.sampled_from([[0], [-1.0], ["a"], [math.nan], "a", 5, [True]]),
            sum_lambdas=st.sampled_from([[0], [-1.0], ["a"], [math.inf], "a", None]),
        ),
    ),
    Row(
        prevention.prevention_study,
        dict(
            factors=(2,),
            lambdas=(0.1,),
            sum_lambdas=(1.0,),
            seeds=(0,),
            budget=SMALL_BUDGET,
            scores_every=5,
            train_images=("camera",),
            held_out=("coins",),
            device="cpu",
            keep_models=False,
            progress=False,
        ),
        dict(
            factors=st.sampled_from([(), (1,), (2.0,), "2", 2, None, (3,)]),
            lambdas=st.sampled_from([[0], [-1.0], "a"]),
            seeds=st.one_of(st.lists(below(0), min_size=1), st.text(max_size=2), st.just(())),
            budget=st.one_of(bad_name(tuple(training.BUDGETS)), st.just(BUDGET_FIELDS)),
            scores_every=ints(1),
            train_images=names_of(images.IMAGES),
            held_out=st.one_of(names_of(images.IMAGES), st.just(("camera",))),
            device=BAD_DEVICE,
            keep_models=NOT_BOOL,
            progress=NOT_BOOL,
        ),
        # a factor the budget's patch does not divide: the message names the patch's factor
        names={"budget": ("budget", "Budget"), "factors": ("factors", "factor")},
    ),
    # report and files
    Row(
        report_module.build_report,
        lambda: dict(notebooks=[_notebook()], out_dir=FUZZ_DIR / "out", pdf=False),
        dict(
            notebooks=st.sampled_from(
                [Path("/nonexistent/folder"), [], 5, [Path("/nonexistent.ipynb")], None]
            ),
            # an unwritable folder is an OSError, the honest exception for I/O: not fuzzed
            out_dir=st.sampled_from([5, None, b"bytes"]),
            pdf=NOT_BOOL,
            show_code=NOT_BOOL,
            timeout=ints(1),
            kernel_name=st.sampled_from([5, None, "no-such-kernel-xyz", ""]),
            progress=st.sampled_from([5, "print"]),
        ),
    ),
    Row(
        report_execute.execute_many,
        lambda: dict(
            books=[(_notebook(), nbformat.v4.new_notebook())], timeout=60, kernel_name="python3"
        ),
        dict(
            books=st.sampled_from(
                [5, None, "x", [5], [(Path("/nonexistent.ipynb"), nbformat.v4.new_notebook())]]
            ),
            timeout=ints(1),
            kernel_name=st.sampled_from([5, None, "no-such-kernel-xyz"]),
            jobs=ints(1),
            started=st.sampled_from([5, "print"]),
            finished=st.sampled_from([5, "print"]),
            running=st.sampled_from([5, "print"]),
        ),
    ),
    Row(
        report_module.execute_notebook,
        lambda: dict(path=_notebook()),
        dict(
            path=st.sampled_from([5, None, Path("/nonexistent.ipynb")]),
            timeout=ints(1),
            kernel_name=st.sampled_from([5, None, "no-such-kernel-xyz"]),
        ),
    ),
    Row(
        write_atomic,
        dict(path=FUZZ_DIR / "w.txt", data="x"),
        dict(
            path=st.sampled_from([5, None, "", FUZZ_DIR]),  # (unwritable: OSError, not fuzzed)
            data=st.one_of(st.integers(), st.none(), st.just(["x"])),
        ),
    ),
    Row(
        parse_range,
        dict(text="1-4"),
        dict(text=st.sampled_from(["", "a", "5-2", "1-2-3", ",", "1-100000000", "1,,2"])),
        names={"text": ("range",)},
    ),
    Row(
        parse_ints,
        dict(text="16"),
        dict(text=st.sampled_from(["", "a", "1.5", "16,", "x"])),
        names={"text": ("not an int",)},
    ),
    # backend (owned by the sweep/GPU side, but it passes: kept)
    Row(backend.select_device, dict(device="cpu"), dict(device=BAD_DEVICE)),
]


# --- sweep (folded in from tests/test_sweep.py): refused before any chunk runs
sweep_module = importlib.import_module("artifact_lab.atlas.sweep")  # al.sweep is the function
_NOT_INT = st.sampled_from(["3", 2.5, None, True, b"3", object()])
_BAD_GRID = st.one_of(
    st.just([]),
    st.lists(st.integers(max_value=0), min_size=1, max_size=3),
    st.lists(_NOT_INT, min_size=1, max_size=2),
    _NOT_INT.filter(lambda v: not isinstance(v, bool) and v is not None),
    st.just(range(1, 10**8)),
)
_BAD_COUNT = st.one_of(st.integers(max_value=0), _NOT_INT)
_SWEEP_FAMILIES = importlib.import_module("artifact_lab.atlas._plan").SWEEP_FAMILIES
NAIVE_SWEEP_BAD = dict(
    kernel_sizes=_BAD_GRID,
    strides=_BAD_GRID,
    paddings=st.one_of(st.lists(st.integers(max_value=-1), min_size=1), st.just("1")),
    dilations=_BAD_GRID,
    output_paddings=st.one_of(st.lists(st.integers(max_value=-1), min_size=1), st.just([])),
    ndim=st.one_of(st.integers().filter(lambda v: v not in (1, 2, 3)), _NOT_INT),
    kernels=st.one_of(
        st.just([]),
        st.text(max_size=8).filter(lambda t: t not in _SWEEP_FAMILIES),
        st.lists(st.sampled_from([3, None, b"ones"]), min_size=1, max_size=2),
    ),
    seeds=st.one_of(st.lists(st.integers(max_value=-1), min_size=1), st.just("0")),
    input_size=_BAD_COUNT,
    batch=_BAD_COUNT,
    inputs=st.one_of(
        st.text(min_size=1, max_size=8)
        .filter(lambda t: t not in sweep_module.INPUTS)
        .map(lambda t: [t]),
        st.sampled_from([5, [("", np.ones((8, 8)))], [("a", np.ones(3))], [("a", "x")]]),
        st.sampled_from([[("a", np.full((8, 8), np.inf))], [(1, np.ones((8, 8)))]]),
        st.sampled_from([[("a", np.ones((8, 8), complex))], [("a", np.ones((2, 2, 8, 8)))]]),
    ),
    device=st.sampled_from(["tpu", "gpu", "", "cuda:99", 3.5, 0, ["cpu"]]),
    dtype=st.one_of(
        st.text(max_size=8).filter(lambda t: t not in ("float32", "float64")), _NOT_INT
    ),
)
SWEEP_BAD = dict(
    NAIVE_SWEEP_BAD,
    method=st.one_of(st.text(max_size=8).filter(lambda t: t not in sweep_module.METHODS), _NOT_INT),
    executor=st.sampled_from(["threads", 4, object(), "processes"]),
    cache=st.sampled_from([42, 3.5, object(), b"folder"]),
    progress=st.sampled_from(["yes", 1, 0, None, 2.0]),
    memory_mb=_BAD_COUNT.filter(lambda v: v is not None),
    chunk_kernels=_BAD_COUNT,
    max_seconds=st.sampled_from([0, -1.0, float("nan"), "1h", True, [60]]),
)
SWEEP_VALID = dict(kernel_sizes=[3], strides=[2], input_size=8, batch=2)


@contextlib.contextmanager
def _no_sweep_work():
    """Running a chunk fails: a bad argument must be refused while planning."""

    def started(chunk):
        raise AssertionError("sweep started work")

    run, sweep_module.run_chunk = sweep_module.run_chunk, started
    try:
        yield
    finally:
        sweep_module.run_chunk = run


REGISTRY += [
    Row(
        sweep_module.sweep,
        dict(SWEEP_VALID, progress=False),
        SWEEP_BAD,
        names={"device": ("device", "cuda")},
        no_work=_no_sweep_work,
    ),
    Row(
        sweep_module.naive_sweep, SWEEP_VALID, NAIVE_SWEEP_BAD, names={"device": ("device", "cuda")}
    ),
]


def _topic_rows() -> dict[type, list]:
    """Every list of rows in every ``tests/_fuzz_<topic>.py``, by row type: a new topic's
    file is found without registering it here."""
    found: dict[type, list] = {Row: [], NanRow: [], ThreadRow: []}
    folder = Path(__file__).resolve().parent
    for path in sorted(folder.glob("_fuzz_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for value in vars(module).values():
            if isinstance(value, list) and value and type(value[0]) in found:
                for row in value:
                    # a module may name one list twice (ROWS = TOPIC_ROWS)
                    if not any(row is seen for seen in found[type(row)]):
                        found[type(row)].append(row)
    return found


TOPIC_ROWS = _topic_rows()
REGISTRY += TOPIC_ROWS[Row]  # other topics: tests/_fuzz_<topic>.py
NAN_ROWS: list[NanRow] = TOPIC_ROWS[NanRow]
THREAD_ROWS: list[ThreadRow] = TOPIC_ROWS[ThreadRow]

# Public callables with no row, and why (a test checks that every other one has a row).
NOT_FUZZED = {
    # result types and records, built by the library, not by users
    "OverlapStats", "WeightScores", "Composite", "MeasuredGains", "AuditResult",
    "LayerFinding", "LayerCheck", "Fit", "FixStudy", "TrainedClassifier", "PenaltyLayer",
    "Strategy", "Op", "ExploreState", "Animation", "Table", "ZooEntry", "ReportEntry",
    "PreventionResult", "Claim", "Sentences", "NotebookError", "StoreWarning", "VerifiedStore",
    "Inspection", "Item", "LoopResult",
    "RunSpec", "RunResult", "Unit", "Experiment", "ResultTable", "AnswerRow",
    "Upsampler",  # base class: its subclasses are fuzzed
    # nothing to fuzz: no arguments
    "house_rc", "use_house_style",
    # a decorator: wraps any figure function, whose own rows fuzz it
    "house_style", "exact_math", "host_available_memory", "zoo_table",
    # every value is a valid column name: label(x) is str(x) unless LABELS names it
    "label",
    # the command line answers bad arguments with exit code 2, tested in tests/test_cli.py
    "main",
} | REAL_NOT_FUZZED  # fmt: skip


# ---------------------------------------------------------------------------- the check
CASES = [(row, arg) for row in REGISTRY for arg in row.bad]


@pytest.mark.parametrize(("row", "arg"), CASES, ids=[f"{row.label}-{arg}" for row, arg in CASES])
def test_bad_values_are_refused_naming_the_argument(row, arg):
    @settings(
        max_examples=FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(value=row.bad[arg])
    def check(value):
        outcome, exc = probe(row, arg, value)
        OUTCOMES[outcome] += 1
        message = f"{row.label}({arg}={value!r}): {outcome}: {exc!r}"
        if outcome != CLEAR:
            FAILED.setdefault(f"{row.label}({arg})", message)
        assert not STRICT[0] or outcome == CLEAR, message

    check()


# ------------------------------------------------------------ beyond bad values
_STUDIES = "studies/ (the claims task owns it)"
_MODELS = "models/ (the audit task owns it: model failures, issue 23 item 4)"
#: Failures found in modules other tasks own, left to them: (probe, function or
#: function(argument)) -> whose. Each is an expected failure (xfail) until fixed there; the
#: tally (python tests/test_fuzz.py) still counts and lists them. Remove a line once fixed.
KNOWN = {
    ("numpy scalars", "prevention.prevention_methods"): _STUDIES,
    ("numpy scalars", "prevention.prevention_study"): _STUDIES,
    ("meta", "audit.audit(model)"): _MODELS,
    ("meta", "audit.fix(model)"): _MODELS,
    ("meta", "gradients.train_classifier(model)"): _STUDIES,
    ("meta", "gradients.gradient_scores(model)"): _STUDIES,
    ("huge sizes", "compare.white_noise_levels(shape)"): _STUDIES,
    ("huge sizes", "gradients.texture_patches(per_class)"): _STUDIES,
    ("huge sizes", "gradients.texture_patches(test_per_class)"): _STUDIES,
    ("huge sizes", "gradients.SmallClassifier(width)"): _STUDIES,
    ("huge sizes", "gradients.train_classifier(steps)"): _STUDIES,
    ("huge sizes", "gradients.fix_study(width)"): _STUDIES,
    ("huge sizes", "gradients.fix_study(steps)"): _STUDIES,
    ("huge sizes", "measure.chance_level(period)"): _MODELS,
    ("huge sizes", "measure.fit_period(period)"): _MODELS,
    ("huge sizes", "measure.forward_scores(period)"): _MODELS,
    ("huge sizes", "measure.backward_scores(period)"): _MODELS,
}


def _known(kind: str, label: str) -> None:
    """In the suite, a known failure is not run (a hang costs the patience each time)."""
    owner = KNOWN.get((kind, label))
    if STRICT[0] and owner:
        pytest.xfail(f"known, left to {owner}")


def _record(kind: str, label: str, outcome: str, ok, message: str) -> None:
    OUTCOMES[f"[{kind}] {outcome}"] += 1
    owner = KNOWN.get((kind, label))
    if not ok:
        FAILED.setdefault(f"{kind} {label}", message + (f" [known: {owner}]" if owner else ""))
    if STRICT[0] and not ok and owner:
        pytest.xfail(f"known, left to {owner}: {message}")
    assert not STRICT[0] or ok, message


def _valid(row: Row) -> dict:
    import torch as _torch

    _torch.manual_seed(0)
    return row.kwargs()


NUMPY_CASES = [row for row in REGISTRY]


@pytest.mark.parametrize(
    "row", NUMPY_CASES, ids=[f"{r.label}#{i}" for i, r in enumerate(NUMPY_CASES)]
)
def test_numpy_scalar_types_are_accepted_with_the_same_result(row):
    """``np.int64(3)``, ``np.True_`` and ``np.float32(0.5)`` mean what 3, True and 0.5 do."""
    _known("numpy scalars", row.label)
    outcome, exc, changed = probe_numpy(row)
    ok = outcome in (NUMPY_SAME, NUMPY_ACCEPTED, NUMPY_NONE, NUMPY_SLOW)
    _record("numpy scalars", row.label, outcome, ok, f"{row.label}({changed}): {outcome}: {exc!r}")


def _meta_cases():
    cases = []
    for row in REGISTRY:
        try:
            kwargs = _valid(row)
        except Exception:  # the valid call's own arguments fail: the bad-value test says so
            continue
        cases += [(row, arg) for arg, v in kwargs.items() if meta_version(v) is not None]
    return cases


META_CASES = _meta_cases()


@pytest.mark.parametrize(("row", "arg"), META_CASES, ids=[f"{r.label}-{a}" for r, a in META_CASES])
def test_meta_tensors_are_refused_naming_them_or_answered(row, arg):
    """A tensor or model on the meta device holds no values: a clear error naming it, or a
    result (as torch answers meta with meta), never another exception or a hang."""
    _known("meta", f"{row.label}({arg})")
    outcome, exc = probe_meta(row, arg)
    _record(
        "meta",
        f"{row.label}({arg})",
        outcome,
        outcome in META_OK,
        f"{row.label}({arg}=meta): {outcome}: {exc!r}",
    )


def _huge_cases():
    cases = []
    for row in REGISTRY:
        try:
            kwargs = _valid(row)
        except Exception:
            continue
        for arg, value in kwargs.items():
            if arg in SIZE_NAMES:
                cases += [(row, arg, v) for v in huge_values(value)]
    return cases


HUGE_CASES = _huge_cases()


@pytest.mark.parametrize(
    ("row", "arg", "value"),
    HUGE_CASES,
    ids=[f"{r.label}-{a}-{i}" for i, (r, a, _) in enumerate(HUGE_CASES)],
)
def test_huge_sizes_are_refused_naming_them_or_answered_in_time(row, arg, value):
    _known("huge sizes", f"{row.label}({arg})")
    outcome, exc = probe_huge(row, arg, value)
    message = f"{row.label}({arg}={value!r}): {outcome}: {exc!r}"
    _record("huge sizes", f"{row.label}({arg})", outcome, outcome in HUGE_OK, message)


@pytest.mark.parametrize("row", NAN_ROWS, ids=[f"{r.label}#{i}" for i, r in enumerate(NAN_ROWS)])
def test_nan_or_infinite_inputs_give_nan_or_a_clear_error(row):
    @settings(
        max_examples=FUZZ_EXAMPLES,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(bad=st.sampled_from([math.nan, math.inf, -math.inf]), index=st.integers(0, 10**6))
    def check(bad, index):
        outcome, exc = probe_nan(row, bad, index)
        message = f"{row.label}({row.arg} with {bad} at {index}): {outcome}: {exc!r}"
        _record("NaN/inf", row.label, outcome, outcome in NAN_OK, message)

    check()


@pytest.mark.parametrize(
    "row", THREAD_ROWS, ids=[f"{r.label}#{i}" for i, r in enumerate(THREAD_ROWS)]
)
def test_two_threads_get_their_own_results(row):
    outcome, detail = probe_threads(row)
    _record(
        "threads", row.label, outcome, outcome == THREADS_OK, f"{row.label}: {outcome} {detail}"
    )


def _public_callables():
    import artifact_lab

    for info in pkgutil.walk_packages(artifact_lab.__path__, "artifact_lab."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.ispkg:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, type(module)):  # a subpackage's lazily loaded submodules
                continue
            if callable(value) and not isinstance(value, dict) and name.upper() != name:
                yield f"{info.name.removeprefix('artifact_lab.')}.{name}", name, value


def test_the_registry_covers_every_public_callable_of_every_module():
    """A new public function or class needs a row, or a reason in NOT_FUZZED."""
    covered = {row.func for row in REGISTRY}
    missing = sorted(
        where
        for where, name, value in _public_callables()
        if value not in covered and name not in NOT_FUZZED
    )
    assert not missing, f"add REGISTRY rows for {missing}"


def test_every_fuzzed_argument_is_a_real_parameter():
    """A row's bad values must go to an argument the function has (a typo fuzzes nothing)."""
    import inspect

    wrong = []
    for row in REGISTRY:
        try:
            params = inspect.signature(row.func).parameters
        except (TypeError, ValueError):
            continue
        takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
        wrong += [f"{row.label}({a})" for a in row.bad if a not in params and not takes_any]
    assert not wrong, wrong


def _tally(verbose: bool = False, only: str = "") -> None:
    """Run every row outside pytest and print how many bad inputs got what."""
    import resource
    import time

    # a bad value that makes the library allocate without bound fails here, not the machine
    resource.setrlimit(resource.RLIMIT_AS, (6 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))
    STRICT[0] = False
    cases = [(row, arg) for row, arg in CASES if only in f"{row.label}({arg})"]
    runs = [
        *[
            (f"{r.label}({a})", test_bad_values_are_refused_naming_the_argument, (r, a))
            for r, a in cases
        ],
        *[
            (f"numpy {r.label}", test_numpy_scalar_types_are_accepted_with_the_same_result, (r,))
            for r in NUMPY_CASES
            if only in r.label
        ],
        *[
            (f"meta {r.label}({a})", test_meta_tensors_are_refused_naming_them_or_answered, (r, a))
            for r, a in META_CASES
            if only in r.label
        ],
        *[
            (
                f"huge {r.label}({a})",
                test_huge_sizes_are_refused_naming_them_or_answered_in_time,
                (r, a, v),
            )
            for r, a, v in HUGE_CASES
            if only in r.label
        ],
        *[
            (f"NaN {r.label}", test_nan_or_infinite_inputs_give_nan_or_a_clear_error, (r,))
            for r in NAN_ROWS
            if only in r.label
        ],
        *[
            (f"threads {r.label}", test_two_threads_get_their_own_results, (r,))
            for r in THREAD_ROWS
            if only in r.label
        ],
    ]
    for name, test, args in runs:
        start = time.perf_counter()
        if verbose:
            print(f"{name} ...", file=sys.stderr, flush=True)
        test(*args)
        seconds = time.perf_counter() - start
        if seconds > 2:  # the fast suite runs every case: a slow one is worth knowing
            print(f"  slow: {name} {seconds:.1f} s", file=sys.stderr)
    bad = {k: v for k, v in OUTCOMES.items() if not k.startswith("[")}
    print(
        f"bad inputs tried: {sum(bad.values())} over {len(cases)} arguments of "
        f"{len({row.label for row, _ in cases})} public callables"
    )
    for outcome, count in sorted(bad.items(), key=lambda kv: -kv[1]):
        print(f"  {count:6d}  {outcome}")
    kinds = sorted({k[1 : k.index("]")] for k in OUTCOMES if k.startswith("[")})
    for kind in kinds:
        tag = f"[{kind}] "
        mine = {k[len(tag) :]: v for k, v in OUTCOMES.items() if k.startswith(tag)}
        print(f"{kind}: {sum(mine.values())} calls")
        for outcome, count in sorted(mine.items(), key=lambda kv: -kv[1]):
            print(f"  {count:6d}  {outcome}")
    print(f"arguments with a failure: {len(FAILED)}")
    for message in FAILED.values():
        print("  " + " ".join(message.split())[:400])


if __name__ == "__main__":  # python tests/test_fuzz.py [-v] [-k SUBSTRING]
    args = sys.argv[1:]
    _tally(verbose="-v" in args, only=args[args.index("-k") + 1] if "-k" in args else "")
