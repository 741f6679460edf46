import concurrent.futures as cf
import dataclasses
import importlib
import os
import re
import subprocess
import sys
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from artifact_lab._util.store import StoreWarning, VerifiedStore
from artifact_lab.atlas._chunk import builtin_input
from artifact_lab.atlas._moments import moment_powers, moment_tables
from artifact_lab.atlas._plan import SWEEP_FAMILIES
from artifact_lab.atlas.sweep import COLUMNS, naive_sweep, sweep
from tests._oracles import CONV_T
from tests._strategies import examples

sw = importlib.import_module("artifact_lab.atlas.sweep")  # the module (al.sweep is the function)

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


def _largest_padding(n: int, ks, ss, ds, ops) -> int:
    """The largest padding torch accepts anywhere on the grid (output size >= 1)."""
    return max(
        ((n - 1) * s + d * (k - 1) + op) // 2 for k in ks for s in ss for d in ds for op in ops
    )


@settings(max_examples=examples(10))
@given(
    nd=st.integers(1, 3),
    ks=st.lists(st.integers(1, 5), min_size=1, max_size=2),
    ss=st.lists(st.integers(1, 4), min_size=1, max_size=2),
    ds=st.lists(st.integers(1, 3), min_size=1, max_size=2),
    ops=st.lists(st.integers(1, 3), max_size=1).map(lambda extra: [0, *extra]),
    fams=st.lists(st.sampled_from(SWEEP_FAMILIES), min_size=1, max_size=2),
    data=st.data(),
)
def test_every_path_equals_the_naive_reference_on_every_padding_torch_accepts(
    nd, ks, ss, ds, ops, fams, data
):
    n = {1: 9, 2: 6, 3: 4}[nd]
    top = _largest_padding(n, ks, ss, ds, ops)
    paddings = data.draw(
        st.lists(st.integers(0, top), min_size=1, max_size=3).map(lambda p: [*p, top]),
        label="paddings",
    )
    kw = dict(
        kernel_sizes=ks,
        strides=ss,
        paddings=paddings,
        dilations=ds,
        output_paddings=ops,
        ndim=nd,
        kernels=fams,
        seeds=(0, 3),
        input_size=n,
        batch=2,
        inputs=("constant", "noise", "images"),
        dtype="float64",
        device="cpu",
    )
    try:
        reference = naive_sweep(**kw)
    except ValueError as exc:  # e.g. bilinear on a grid without its size: all refuse
        with pytest.raises(ValueError, match=re.escape(str(exc)[:20])):
            sweep(**kw, progress=False)
        return
    _same(sweep(**kw, progress=False), reference, 1e-9)
    _same(sweep(**kw, method="conv", progress=False), reference, 1e-9)
    # the batching GPUs use (zero-padded kernels, running-sum crops), run on the CPU
    chunks = sw.make_plan(**kw, method="conv", strategy="padded")
    padded = pd.concat([sw.run_chunk(c) for c in chunks], ignore_index=True)
    _same(padded.astype({"holes": bool}), reference, 1e-9)


def test_padding_that_cuts_into_the_interior_measures_what_the_layer_outputs():
    # issue 10.1: at p > d*(k-1) the crop is no longer the padding-0 interior
    kw = dict(
        kernel_sizes=[3],
        strides=[2],
        paddings=[0, 2, 3, 5],
        kernels=["default"],
        inputs=["noise"],
        input_size=16,
        batch=2,
        dtype="float64",
    )
    engine = sweep(**kw, progress=False).set_index("padding")
    reference = naive_sweep(**kw).set_index("padding")
    np.testing.assert_allclose(engine.harmonic_fraction, reference.harmonic_fraction, atol=1e-12)
    np.testing.assert_allclose(engine.peak_db, reference.peak_db, atol=1e-9)
    assert engine.harmonic_fraction[3] != engine.harmonic_fraction[2]  # a different crop
    # a one-sample output holds no whole period: NaN, as in the reference
    kw = dict(kernel_sizes=[1], strides=[2], paddings=[1], kernels=["ones"], input_size=2)
    for method in ("moments", "conv"):
        row = sweep(**kw, inputs=["noise"], method=method, progress=False).iloc[0]
        assert row.output_size == 1 and np.isnan(row.harmonic_fraction) and np.isnan(row.peak_db)
    assert naive_sweep(**kw, inputs=["noise"]).harmonic_fraction.isna().all()


@settings(max_examples=examples(40))
@given(
    nd=st.integers(1, 3),
    n=st.integers(1, 8),
    s=st.integers(1, 4),
    d=st.integers(1, 3),
    k=st.integers(1, 5),
    batch=st.integers(1, 3),
    data=st.data(),
)
def test_moment_tables_give_the_crop_powers_of_torchs_output(nd, n, s, d, k, batch, data):
    """Any crop inside the interior, from any start: harmonic bins and total power."""
    low, high = (k - 1) * d, (n - 1) * s
    if high - low + 1 < s:
        return
    lo = data.draw(st.integers(low, high - s + 1), label="lo")
    q = data.draw(st.integers(1, (high - lo + 1) // s), label="q")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="seed"))
    x = rng.standard_normal((batch, *(n,) * nd))
    w = rng.standard_normal((3, *(k,) * nd))
    y = CONV_T[nd](torch.tensor(x)[:, None], torch.tensor(w)[None], stride=s, dilation=d)
    crop = y.numpy()[(Ellipsis, *(slice(lo, lo + q * s),) * nd)]
    spec = np.abs(np.fft.fftn(crop, axes=range(2, 2 + nd))) ** 2
    harmonic = spec[(Ellipsis, *(slice(None, None, q),) * nd)].sum(0).reshape(3, -1)
    squares = (crop**2).sum(axis=(0, *range(2, 2 + nd)))
    tables = moment_tables(x, s, d, [(1, high - s + 1, 1), (k, lo, q)])  # shared lags
    h, t = moment_powers(tables[1], w, s, d, lo)
    np.testing.assert_allclose(h, harmonic, rtol=1e-10, atol=1e-10 * harmonic.max())
    np.testing.assert_allclose(t, squares, rtol=1e-10)


@pytest.mark.parametrize("nd, n", [(1, 40), (2, 24), (3, 7)])
def test_moments_equal_conv_in_float64_on_real_images_and_caller_arrays(nd, n):
    photos = np.stack([builtin_input("images", n, nd, 3)[i] ** 2 for i in range(3)])
    kw = dict(
        kernel_sizes=range(1, 6),
        strides=(1, 2, 3),
        dilations=(1, 2),
        kernels=("normal", "default", "bilinear"),
        seeds=(0, 1),
        ndim=nd,
        input_size=n,
        batch=3,
        inputs=("images", ("squared", photos)),
        dtype="float64",
        progress=False,
    )
    moments = sweep(**kw)
    assert set(moments.input) == {"images", "squared"} and moments.harmonic_fraction.notna().any()
    _same(moments, sweep(**kw, method="conv"), 1e-9)


def test_auto_takes_the_faster_exact_path_per_chunk():
    # one large 3-D kernel whose taps all meet (d = s): the convolution is the faster path
    kw = dict(
        kernel_sizes=[8],
        strides=[2],
        dilations=[2],
        paddings=[0, 15],
        ndim=3,
        kernels=["normal"],
        input_size=14,
        batch=2,
        inputs=["noise"],
        dtype="float64",
        progress=False,
    )
    auto = sweep(**kw)
    assert auto.attrs["methods"] == {"conv": 1}
    _same(auto, sweep(**kw, method="moments"), 1e-9)
    grid = sweep(kernel_sizes=range(1, 6), strides=(2, 3), input_size=16, progress=False)
    assert set(grid.attrs["methods"]) == {"moments"}


def test_real_images_batch_is_bundled_pictures_in_unit_range():
    x = builtin_input("images", 16, 2, 20)  # more than the 15 pictures: rotated copies
    assert x.shape == (20, 16, 16) and 0 <= x.min() and x.max() <= 1
    assert len({a.tobytes() for a in x}) == 20
    assert builtin_input("images", 16, 1, 2).shape == (2, 16)
    assert builtin_input("images", 4, 3, 2).shape == (2, 4, 4, 4)


def test_float32_conv_matches_float64_moments_closely():
    kw = dict(
        kernel_sizes=range(1, 7),
        strides=(2, 3),
        dilations=(1, 2),
        kernels=("normal",),
        seeds=(0, 1),
        input_size=16,
        batch=4,
        inputs=("noise",),
        progress=False,
    )
    fast = sweep(**kw, method="conv").sort_values(KEYS).reset_index(drop=True)
    exact = sweep(**kw).sort_values(KEYS).reset_index(drop=True)
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


# --- the cache --------------------------------------------------------------------------

CACHE_KW = dict(
    kernel_sizes=range(1, 5),
    strides=(1, 2, 3),
    kernels=("normal",),
    seeds=(0, 1),
    input_size=12,
    batch=2,
    progress=False,
    chunk_kernels=3,
)
PLAN_KW = {k: v for k, v in CACHE_KW.items() if k != "progress"}  # what make_plan takes


@pytest.fixture(scope="module")
def uninterrupted():
    return sweep(**CACHE_KW)


def test_cache_resumes_after_an_interruption_and_recomputes_only_missing(
    tmp_path, monkeypatch, uninterrupted
):
    real = sw.run_chunk
    calls = []

    def flaky(chunk):
        if len(calls) == 4:
            raise KeyboardInterrupt("simulated interruption")
        calls.append(chunk)
        return real(chunk)

    monkeypatch.setattr(sw, "run_chunk", flaky)
    with pytest.raises(KeyboardInterrupt):
        sweep(**CACHE_KW, cache=tmp_path)
    assert len(list(tmp_path.glob("chunk-*.parquet"))) == 4
    assert not list(tmp_path.glob(".*tmp")) and not list(tmp_path.glob(".*claim"))
    calls.clear()
    monkeypatch.setattr(sw, "run_chunk", lambda c: (calls.append(c), real(c))[1])
    resumed = sweep(**CACHE_KW, cache=tmp_path)
    total = len(sw.make_plan(**PLAN_KW, inputs=("constant", "noise")))
    assert len(calls) == total - 4 and resumed.attrs["chunks_cached"] == 4
    pd.testing.assert_frame_equal(resumed, uninterrupted)
    calls.clear()
    again = sweep(**CACHE_KW, cache=tmp_path)
    assert calls == [] and again.attrs["chunks_computed"] == 0
    pd.testing.assert_frame_equal(again, uninterrupted)


def _damage_and_rerun(folder, damage, uninterrupted, expect_warnings=1):
    """Damage the cache, re-run: each damaged file is named in a warning and recomputed."""
    damaged = damage(sorted(folder.glob("chunk-*.parquet")))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = sweep(**CACHE_KW, cache=folder)
    named = [w for w in caught if issubclass(w.category, StoreWarning)]
    assert len(named) == expect_warnings, [str(w.message) for w in caught]
    for path in damaged:
        assert any(str(path) in str(w.message) for w in named)
    assert out.attrs["chunks_computed"] == expect_warnings
    pd.testing.assert_frame_equal(out, uninterrupted)
    # the replacement is trusted again
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoreWarning)
        assert sweep(**CACHE_KW, cache=folder).attrs["chunks_computed"] == 0


@pytest.mark.parametrize("how", ["truncate", "empty", "random", "half"])
def test_damaged_cache_files_are_recomputed_with_a_warning(tmp_path, how, uninterrupted):
    sweep(**CACHE_KW, cache=tmp_path)

    def damage(paths):
        path = paths[1]
        data = path.read_bytes()
        new = {
            "truncate": data[:-7],
            "empty": b"",
            "random": np.random.default_rng(0).bytes(len(data)),
            "half": data[: len(data) // 2],
        }[how]
        path.write_bytes(new)
        return [path]

    _damage_and_rerun(tmp_path, damage, uninterrupted)


def test_every_single_bit_flip_is_caught(tmp_path, uninterrupted):
    sweep(**CACHE_KW, cache=tmp_path)
    path = sorted(tmp_path.glob("chunk-*.parquet"))[0]
    size = len(path.read_bytes())
    rng = np.random.default_rng(1)
    # the first and last bytes, the checksum, the key, and bits all over the file
    text = path.read_bytes()
    spots = [0, size - 1, text.rfind(b'"sha256"') + 12, text.rfind(b'"key"') + 9]
    spots += rng.integers(0, size, 20).tolist()
    for byte in spots:
        good = path.read_bytes()
        flipped = bytearray(good)
        flipped[byte] ^= 1 << int(rng.integers(0, 8))
        path.write_bytes(bytes(flipped))
        _damage_and_rerun(tmp_path, lambda paths, p=path: [p], uninterrupted)


def test_a_valid_file_of_another_chunk_is_not_trusted(tmp_path, uninterrupted):
    sweep(**CACHE_KW, cache=tmp_path)

    def swap(paths):
        a, b = paths[0], paths[1]
        da, db = a.read_bytes(), b.read_bytes()
        a.write_bytes(db)
        b.write_bytes(da)
        return [a, b]

    _damage_and_rerun(tmp_path, swap, uninterrupted, expect_warnings=2)


def test_stale_temporaries_are_removed_and_fresh_ones_kept(tmp_path, uninterrupted):
    stale = tmp_path / ".chunk-0123.parquet.abcd.tmp"
    fresh = tmp_path / ".chunk-4567.parquet.efgh.tmp"
    stale.write_bytes(b"half a chunk")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    pd.testing.assert_frame_equal(sweep(**CACHE_KW, cache=tmp_path), uninterrupted)
    assert not stale.exists() and fresh.exists()


def test_a_chunk_claimed_by_another_run_is_left_to_it(tmp_path, monkeypatch, uninterrupted):
    chunks = sw.make_plan(**PLAN_KW, inputs=("constant", "noise"))
    theirs = chunks[0]
    (tmp_path / f".chunk-{theirs.key()}.claim").write_text("otherhost 1 0\n")
    real = sw.run_chunk
    mine = []

    def run(chunk):
        mine.append(chunk)
        if len(mine) == 2:  # meanwhile the other run finishes its chunk
            VerifiedStore(tmp_path, prefix="chunk", what="sweep cache file").write(
                theirs.key(), real(theirs)
            )
        return real(chunk)

    monkeypatch.setattr(sw, "run_chunk", run)
    out = sweep(**CACHE_KW, cache=tmp_path)
    assert theirs not in mine and len(mine) == len(chunks) - 1
    assert out.attrs["chunks_cached"] == 1
    pd.testing.assert_frame_equal(out, uninterrupted)
    # a claim whose run died is worked around at the end
    folder = tmp_path / "dead"
    folder.mkdir()
    (folder / f".chunk-{theirs.key()}.claim").write_text("otherhost 1 0\n")
    mine.clear()
    monkeypatch.setattr(sw, "run_chunk", lambda c: (mine.append(c), real(c))[1])
    pd.testing.assert_frame_equal(sweep(**CACHE_KW, cache=folder), uninterrupted)
    assert mine[-1] == theirs and not list(folder.glob(".*claim"))


def test_concurrent_runs_share_the_work(tmp_path, monkeypatch, uninterrupted):
    real = sw.run_chunk
    lock = threading.Lock()
    done = []

    def slow(chunk):
        time.sleep(0.02)
        with lock:
            done.append(chunk.key())
        return real(chunk)

    monkeypatch.setattr(sw, "run_chunk", slow)
    with cf.ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(sweep, **CACHE_KW, cache=tmp_path) for _ in range(2)]
        results = [r.result() for r in runs]
    for frame in results:
        pd.testing.assert_frame_equal(frame, uninterrupted)
    total = len(sw.make_plan(**PLAN_KW, inputs=("constant", "noise")))
    assert len(done) <= total + 2  # without sharing: 2 * total
    assert sum(r.attrs["chunks_cached"] for r in results) >= total - 2


# --- executors --------------------------------------------------------------------------


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


# --- arguments, memory and plans --------------------------------------------------------

BAD = [
    (dict(kernel_sizes=[], strides=[2]), ValueError, "kernel_sizes must not be empty"),
    (dict(kernel_sizes=range(3, 1), strides=[2]), ValueError, "kernel_sizes"),
    (dict(kernel_sizes=[3], strides=[-1]), ValueError, "strides entry must be >= 1"),
    (dict(kernel_sizes=[3], strides=[2], paddings=[-2]), ValueError, "paddings"),
    (dict(kernel_sizes=[3], strides=[2], kernels=["sinc"]), ValueError, "kernels"),
    (dict(kernel_sizes=[3], strides=[2], kernels=[3]), TypeError, "kernels"),
    (dict(kernel_sizes=[3], strides=[2], kernels=["icnr"]), ValueError, "upsamplers"),
    (dict(kernel_sizes=[3], strides=[2], inputs=["speech"]), ValueError, "inputs"),
    (dict(kernel_sizes=[3], strides=[2], inputs=[("noise", np.ones(8))]), ValueError, "inputs"),
    (dict(kernel_sizes=[3], strides=[2], inputs=[("a", np.ones(7))]), ValueError, "inputs"),
    (dict(kernel_sizes=[3], strides=[2], inputs=[("a", np.ones(8))]), ValueError, "shape"),
    (
        dict(kernel_sizes=[3], strides=[2], inputs=[("a", np.full((8, 8), np.nan))]),
        ValueError,
        "NaN",
    ),
    (
        dict(kernel_sizes=[3], strides=[2], inputs=[("a", np.full((8, 8), "x"))]),
        TypeError,
        "inputs",
    ),
    (dict(kernel_sizes=[3], strides=[2], inputs=5), TypeError, "inputs"),
    (dict(kernel_sizes=[3], strides=[2], inputs=[("a", [[1.0], [1.0, 2.0]])]), TypeError, "inputs"),
    (dict(kernel_sizes=[3], strides=[2], inputs=[("a", np.ones((8, 8)) * 1j)]), TypeError, "real"),
    (dict(kernel_sizes=[3], strides=[2], inputs=["noise", "noise"]), ValueError, "repeat"),
    (dict(kernel_sizes=[3], strides=[2], dtype="float16"), ValueError, "dtype"),
    (dict(kernel_sizes=[3], strides=[2], dtype=torch.float32), TypeError, "dtype"),
    (dict(kernel_sizes=[3], strides=[2], method="fft"), ValueError, "method"),
    (dict(kernel_sizes=[3], strides=[2], ndim=4), ValueError, "ndim"),
    (dict(kernel_sizes=[2.5], strides=[2]), TypeError, "kernel_sizes"),
    (dict(kernel_sizes=[3], strides=[1], output_paddings=[1]), ValueError, "no config"),
    (dict(kernel_sizes=3, strides="2"), TypeError, "strides"),
    (dict(kernel_sizes=[3], strides=[2], executor="threads"), TypeError, "executor"),
    (dict(kernel_sizes=[3], strides=[2], device="tpu"), ValueError, "device"),
    (dict(kernel_sizes=[3], strides=[2], device=3.5), TypeError, "device"),
    (dict(kernel_sizes=[3], strides=[2], cache=42), TypeError, "cache"),
    (dict(kernel_sizes=[3], strides=[2], progress="yes"), TypeError, "progress"),
    (dict(kernel_sizes=[3], strides=[2], memory_mb=0), ValueError, "memory_mb"),
    (dict(kernel_sizes=[3], strides=[2], memory_mb=1.5), TypeError, "memory_mb"),
    (dict(kernel_sizes=[3], strides=[2], chunk_kernels=0), ValueError, "chunk_kernels"),
    (dict(kernel_sizes=[3], strides=[2], batch=0), ValueError, "batch"),
    (dict(kernel_sizes=[3], strides=[2], seeds=[-1]), ValueError, "seeds"),
    (dict(kernel_sizes=[3], strides=[2], input_size=True), TypeError, "input_size"),
    (dict(kernel_sizes=[3], strides=[2], max_seconds="1h"), TypeError, "max_seconds"),
    (dict(kernel_sizes=[3], strides=[2], max_seconds=-1), ValueError, "max_seconds"),
]


@pytest.mark.parametrize("kwargs, exc, match", BAD)
def test_bad_arguments_are_clear_errors_before_any_work(kwargs, exc, match, monkeypatch):
    def no_work(chunk):
        raise AssertionError("work started before the arguments were checked")

    monkeypatch.setattr(sw, "run_chunk", no_work)
    with pytest.raises(exc, match=match):
        sweep(**{"input_size": 8, **kwargs}, progress=False)


def test_unusable_cache_folders_are_refused_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(sw, "run_chunk", lambda c: pytest.fail("work started"))
    afile = tmp_path / "a-file"
    afile.write_text("")
    for cache, match in [(afile, "is a file"), (afile / "below", "cannot be created")]:
        with pytest.raises(ValueError, match=match):
            sweep(kernel_sizes=[3], strides=[2], cache=cache, progress=False)


def test_plans_that_cannot_fit_are_refused_with_how_to_fit(monkeypatch):
    monkeypatch.setattr(sw, "run_chunk", lambda c: pytest.fail("work started"))
    # issue 10.8: the noise images alone are 576 MiB at input_size=3000
    with pytest.raises(ValueError, match=r"inputs.*memory_mb=16.*memory_mb >= \d+") as err:
        sweep(kernel_sizes=[3], strides=[2], input_size=3000, memory_mb=16, progress=False)
    assert "smaller input_size or batch" in str(err.value)
    start = time.perf_counter()
    for method, memory_mb in (("moments", None), ("conv", 256)):
        with pytest.raises(ValueError, match=r"cannot fit.*kernel_sizes.*estimated time"):
            sweep(
                kernel_sizes=range(1, 3000),
                strides=[2],
                method=method,
                memory_mb=memory_mb,
                progress=False,
            )
    # with room for both, the default still refuses what would take hours, saying so
    with pytest.raises(ValueError, match=r"would take about .* max_seconds=600"):
        sweep(kernel_sizes=range(1, 3000), strides=[2], progress=False)
    assert time.perf_counter() - start < 20  # refused from estimates, not after the work


def test_the_refusal_names_a_memory_bound_that_then_fits(monkeypatch):
    kw = dict(
        kernel_sizes=[2, 9],
        strides=[2],
        kernels=["normal"],
        input_size=48,
        method="moments",
        progress=False,
    )
    with pytest.raises(ValueError, match=r"memory_mb >= (\d+)") as err:
        sweep(**kw, memory_mb=1)
    enough = int(re.search(r"memory_mb >= (\d+)", str(err.value)).group(1))
    atlas = sweep(**kw, memory_mb=enough)
    assert len(atlas) == 2 * (2 + 9) and atlas.attrs["estimated_chunk_mb"] <= enough


def test_chunks_are_sized_from_the_devices_free_memory(monkeypatch):
    from artifact_lab import backend

    monkeypatch.setattr(backend, "free_memory", lambda device: 64 << 20)
    chunks = sw.make_plan(**PLAN_KW, inputs=("noise",), device="cpu")
    assert {c.budget for c in chunks} == {32 << 20}  # half of what is free
    chunks = sw.make_plan(**PLAN_KW, inputs=("noise",), memory_mb=1000)
    assert {c.budget for c in chunks} == {64 << 20}  # never more than is free


@pytest.mark.parametrize("method", ["moments", pytest.param("conv", marks=pytest.mark.slow)])
def test_memory_mb_bounds_the_measured_peak(method):
    """Peak RSS of a sweep, beyond the process's warm baseline, stays within memory_mb plus
    the returned table (measured in a fresh process)."""
    script = f"""
import resource, sys
import torch
torch.set_num_threads(1)
from artifact_lab.sweep import sweep
from tests._oracles import CONV_T
kw = dict(kernel_sizes=range(2, 10, 3), strides=(2,), kernels=("normal",), seeds=range(3),
          input_size=384, batch=4, inputs=("noise",), method={method!r}, progress=False)
sweep(**dict(kw, input_size=24))  # load every library the run needs
def rss():
    return int(open('/proc/self/statm').read().split()[1]) * 4096 / 2**20
base = max(rss(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
out = sweep(**kw, memory_mb=48)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(peak - base, out.attrs["estimated_table_mb"])
"""
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "OMP_NUM_THREADS": "1"}
    res = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True
    )
    grown, table = map(float, res.stdout.split())
    assert grown <= 48 + table + 8, (grown, table)


@pytest.mark.parametrize("strategy", ["grouped", "padded"])
def test_conv_blocks_under_a_tight_budget_give_the_same_numbers(strategy):
    """Calls split into channel and item blocks (as a small free memory forces) change no
    number: both batchings, float64, against the unsplit run."""
    kw = dict(
        kernel_sizes=range(1, 7),
        strides=(2, 3),
        dilations=(1, 2),
        paddings=range(0, 9),
        kernels=("normal", "ones"),
        seeds=(0, 1, 2),
        input_size=20,
        batch=5,
        inputs=("noise", "images"),
        dtype="float64",
        device="cpu",
    )
    frames = []
    for memory_mb in (None, 1):
        chunks = sw.make_plan(**kw, method="conv", strategy=strategy, memory_mb=memory_mb)
        if memory_mb:  # about one item and one kernel per call
            chunks = [dataclasses.replace(c, budget=150_000) for c in chunks]
        frames.append(pd.concat([sw.run_chunk(c) for c in chunks], ignore_index=True))
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=False, rtol=0, atol=1e-12)


# Every argument of sweep and naive_sweep is fuzzed with generated bad values (each must be
# refused, naming it, before any chunk runs) in tests/test_fuzz.py, with the public API.
