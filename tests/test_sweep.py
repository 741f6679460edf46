import concurrent.futures as cf
import importlib
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lab.sweep import COLUMNS, naive_sweep, sweep

sw = importlib.import_module("artifact_lab.sweep")  # the module (al.sweep is the function)

KEYS = ["kernel_size", "stride", "padding", "output_padding", "dilation", "kernel", "seed", "input"]


def _same(a: pd.DataFrame, b: pd.DataFrame, tol: float) -> None:
    assert list(a.columns) == list(b.columns) == list(COLUMNS)
    a = a.sort_values(KEYS).reset_index(drop=True)
    b = b.sort_values(KEYS).reset_index(drop=True)
    assert len(a) == len(b)
    for col in COLUMNS:
        x, y = a[col].to_numpy(), b[col].to_numpy()
        if a[col].dtype.kind == "f":
            np.testing.assert_array_equal(np.isnan(x), np.isnan(y), err_msg=col)
            np.testing.assert_allclose(
                x[~np.isnan(x)], y[~np.isnan(y)], atol=tol, rtol=0, err_msg=col
            )
        else:
            assert (x == y).all(), col


@settings(max_examples=12)
@given(
    nd=st.integers(1, 3),
    ks=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    ss=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    ds=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    ops=st.lists(st.integers(1, 2), max_size=1).map(lambda extra: [0, *extra]),
    fams=st.lists(st.sampled_from(sw.SWEEP_FAMILIES), min_size=1, max_size=3),
)
def test_engine_equals_the_naive_reference_on_every_column(nd, ks, ss, ds, ops, fams):
    kw = dict(
        kernel_sizes=ks,
        strides=ss,
        dilations=ds,
        output_paddings=ops,
        ndim=nd,
        kernels=fams,
        seeds=(0, 3),
        input_size={1: 20, 2: 10, 3: 5}[nd],
        batch=2,
        inputs=("constant", "noise"),
        dtype="float64",
        device="cpu",
    )
    try:
        engine = sweep(**kw, progress=False, memory_mb=1)
    except ValueError as exc:  # e.g. bilinear on a grid without its size: both refuse
        with pytest.raises(ValueError, match=re.escape(str(exc)[:20])):
            naive_sweep(**kw)
        return
    _same(engine, naive_sweep(**kw), 1e-9)


def test_borders_and_interior_add_up_even_when_the_interior_is_empty():
    kw = dict(
        kernel_sizes=range(1, 8),
        strides=(1, 2),
        dilations=(1, 3),
        output_paddings=(0, 1),
        ndim=1,
        kernels=("ones",),
        input_size=4,
        inputs=(),
    )
    engine = sweep(**kw, progress=False)
    _same(engine, naive_sweep(**kw), 0)
    inner = engine.output_size - engine.border_low - engine.border_high
    assert (inner >= 0).all() and (inner == 0).any()  # some interiors are empty here


def test_float32_engine_matches_float64_reference_closely():
    kw = dict(
        kernel_sizes=range(1, 7),
        strides=(2, 3),
        dilations=(1, 2),
        kernels=("normal",),
        seeds=(0, 1),
        input_size=16,
        batch=4,
        inputs=("noise",),
    )
    fast = sweep(**kw, progress=False)
    exact = naive_sweep(**kw, dtype="float64")
    fast = fast.sort_values(KEYS).reset_index(drop=True)
    exact = exact.sort_values(KEYS).reset_index(drop=True)
    np.testing.assert_allclose(fast.harmonic_fraction, exact.harmonic_fraction, atol=1e-6)
    np.testing.assert_allclose(fast.peak_db, exact.peak_db, atol=1e-3)


def test_closed_form_only_and_measured_constant_equals_closed_form():
    atlas = sweep(
        kernel_sizes=range(1, 9),
        strides=range(1, 5),
        dilations=(1, 2),
        kernels=("ones", "default", "bilinear", "hold"),
        seeds=(0, 1),
        inputs=("constant",),
        input_size=24,
        progress=False,
        dtype="float64",
    )
    ok = atlas.harmonic_fraction.notna()
    np.testing.assert_allclose(atlas.harmonic_fraction[ok], atlas.checkerboard_score[ok], atol=1e-9)
    closed = sweep(
        kernel_sizes=range(1, 9), strides=range(1, 5), kernels=("ones",), inputs=(), progress=False
    )
    assert closed.harmonic_fraction.isna().all() and (closed.input == "").all()
    # the paddings default to 0..k-1 for every kernel size
    counts = closed.groupby(["kernel_size", "stride"]).padding.nunique()
    assert (counts.index.get_level_values(0) == counts.to_numpy()).all()


def test_cache_resumes_after_an_interruption_and_recomputes_only_missing(tmp_path, monkeypatch):
    kw = dict(
        kernel_sizes=range(1, 5),
        strides=(1, 2, 3),
        kernels=("normal",),
        seeds=(0, 1),
        input_size=12,
        batch=2,
        progress=False,
        chunk_kernels=3,
    )
    reference = sweep(**kw)
    real = sw._run_chunk
    calls = []

    def flaky(chunk):
        if len(calls) == 4:
            raise KeyboardInterrupt("simulated interruption")
        calls.append(chunk)
        return real(chunk)

    monkeypatch.setattr(sw, "_run_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep(**kw, cache=tmp_path)
    assert len(list(tmp_path.glob("chunk-*.parquet"))) == 4
    assert not list(tmp_path.glob(".*tmp"))  # no half-written chunk
    total = len(
        sw._plan(
            kw["kernel_sizes"],
            kw["strides"],
            None,
            (1,),
            (0,),
            2,
            kw["kernels"],
            kw["seeds"],
            12,
            2,
            ("constant", "noise"),
            None,
            1 << 20,
            3,
            "float32",
        )
    )
    calls.clear()
    monkeypatch.setattr(sw, "_run_chunk", lambda c: (calls.append(c), real(c))[1])
    resumed = sweep(**kw, cache=tmp_path)
    assert len(calls) == total - 4
    assert resumed.attrs["chunks_cached"] == 4
    pd.testing.assert_frame_equal(resumed, reference)
    calls.clear()
    again = sweep(**kw, cache=tmp_path)
    assert calls == [] and again.attrs["chunks_computed"] == 0
    pd.testing.assert_frame_equal(again, reference)


def test_thread_pool_executor_gives_identical_results():
    kw = dict(
        kernel_sizes=range(1, 5),
        strides=(1, 2),
        kernels=("ones", "normal"),
        input_size=12,
        batch=2,
        progress=False,
        chunk_kernels=2,
    )
    with cf.ThreadPoolExecutor(2) as pool:
        pd.testing.assert_frame_equal(sweep(**kw, executor=pool), sweep(**kw))


def test_dask_local_cluster_gives_identical_results():
    distributed = pytest.importorskip("distributed")
    kw = dict(
        kernel_sizes=range(1, 5),
        strides=(1, 2, 3),
        kernels=("ones", "normal"),
        seeds=(0, 1),
        input_size=12,
        batch=2,
        progress=False,
        chunk_kernels=2,
    )
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = sweep(**kw, executor=client.get_executor())
    pd.testing.assert_frame_equal(remote, sweep(**kw))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(kernel_sizes=[], strides=[2]), ValueError, "kernel_sizes must not be empty"),
        (dict(kernel_sizes=range(3, 1), strides=[2]), ValueError, "kernel_sizes"),
        (dict(kernel_sizes=[3], strides=[-1]), ValueError, "strides entry must be >= 1"),
        (dict(kernel_sizes=[3], strides=[2], paddings=[-2]), ValueError, "paddings"),
        (dict(kernel_sizes=[3], strides=[2], kernels=["sinc"]), ValueError, "kernels"),
        (dict(kernel_sizes=[3], strides=[2], kernels=["icnr"]), ValueError, "upsamplers"),
        (dict(kernel_sizes=[3], strides=[2], inputs=["speech"]), ValueError, "inputs"),
        (dict(kernel_sizes=[3], strides=[2], dtype="float16"), ValueError, "dtype"),
        (dict(kernel_sizes=[3], strides=[2], ndim=4), ValueError, "ndim"),
        (dict(kernel_sizes=[2.5], strides=[2]), TypeError, "kernel_sizes"),
        (dict(kernel_sizes=[3], strides=[1], output_paddings=[1]), ValueError, "no config"),
        (dict(kernel_sizes=3, strides="2"), TypeError, "strides"),
    ],
)
def test_bad_grids_are_clear_errors(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        sweep(**kwargs, progress=False)
