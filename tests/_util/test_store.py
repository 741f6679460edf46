"""Faults of the verified store (sweep chunks and training checkpoints) that could lose work.

A checkpoint or cache folder that cannot hold the entries (a file, under a file, read-only)
is refused before any work, naming the argument; an entry whose place holds something else
(a folder, a FIFO, a link to nowhere or to itself) or that cannot be read is recomputed and
replaced with a warning naming it, and the result equals the uninterrupted one."""

import errno
import os
import stat
import warnings
from pathlib import Path

import pandas as pd
import pytest

from artifact_lab._util import store as store_module
from artifact_lab._util.store import StoreWarning, VerifiedStore, check_folder
from artifact_lab.atlas import sweep as sweep_module
from artifact_lab.studies import training

ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NEEDS_PERMISSIONS = pytest.mark.skipif(
    ROOT, reason="running as root: file permissions do not stop root from writing or reading"
)
SWEEP_KW = dict(
    kernel_sizes=range(2, 5), strides=(2, 3), kernels=("normal",), seeds=(0, 1), input_size=12,
    batch=2, progress=False, chunk_kernels=2,
)  # fmt: skip
TINY = training.Budget(steps=2, evals=1, batch=2, patch=16, channels=2, lr=1e-3, eval_size=16)
VARIANTS = ["transposed k=3", "sub-pixel"]


@pytest.fixture(scope="module")
def swept():
    return sweep_module.sweep(**SWEEP_KW)


@pytest.fixture(scope="module")
def trained():
    return training.train_upsamplers(VARIANTS, budget=TINY, progress=False).drop(columns="seconds")


def _train(folder):
    out = training.train_upsamplers(VARIANTS, budget=TINY, progress=False, checkpoint=folder)
    return out.drop(columns="seconds")


@pytest.fixture
def no_training(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "_train_one", started)


@pytest.fixture
def no_sweeping(monkeypatch):
    def started(*args, **kwargs):
        raise AssertionError("the sweep started work")

    monkeypatch.setattr(sweep_module, "run_chunk", started)


# --------------------------------------------------------------- folders, before any work
def _a_file(tmp_path):
    path = tmp_path / "taken"
    path.write_text("a file where the folder should be")
    return path


@pytest.mark.parametrize(
    ("where", "match"),
    [
        (lambda tmp: _a_file(tmp), "is a file, not a folder"),
        (lambda tmp: _a_file(tmp) / "runs", "cannot be created: .* is a file"),
        (lambda tmp: _a_file(tmp) / "deep" / "runs", "cannot be created: .* is a file"),
    ],
    ids=["a file", "under a file", "deep under a file"],
)
def test_a_checkpoint_or_cache_folder_that_cannot_be_one_is_refused_before_any_work(
    tmp_path, where, match, no_training, no_sweeping
):
    folder = where(tmp_path)
    with pytest.raises(ValueError, match=f"checkpoint .*{match}"):
        training.train_upsamplers(VARIANTS, budget=TINY, progress=False, checkpoint=folder)
    with pytest.raises(ValueError, match=f"cache .*{match}"):
        sweep_module.sweep(**SWEEP_KW, cache=folder)
    assert not (tmp_path / "taken").is_dir()  # nothing was created in its place


@NEEDS_PERMISSIONS
@pytest.mark.parametrize("inside", [False, True], ids=["the folder", "its parent"])
def test_a_read_only_checkpoint_or_cache_folder_is_refused_before_any_work(
    tmp_path, inside, no_training, no_sweeping
):
    locked = tmp_path / "locked"
    locked.mkdir()
    folder = locked / "runs" if inside else locked
    locked.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        with pytest.raises(ValueError, match=r"checkpoint .* read-only"):
            training.train_upsamplers(VARIANTS, budget=TINY, progress=False, checkpoint=folder)
        with pytest.raises(ValueError, match=r"cache .* read-only"):
            sweep_module.sweep(**SWEEP_KW, cache=folder)
    finally:
        locked.chmod(stat.S_IRWXU)


@pytest.mark.parametrize("inside", [False, True], ids=["the folder", "its parent"])
def test_a_folder_the_process_may_not_write_is_refused_before_any_work(
    tmp_path, inside, monkeypatch, no_training, no_sweeping
):
    """The same refusal as root would get without its privilege: ``os.access`` (which the
    check asks) says the folder takes no new file."""
    locked = tmp_path / "locked"
    locked.mkdir()
    folder = locked / "runs" if inside else locked
    access = os.access
    monkeypatch.setattr(
        store_module.os, "access", lambda p, mode: Path(p) != locked and access(p, mode)
    )
    with pytest.raises(ValueError, match=r"checkpoint .* read-only"):
        training.train_upsamplers(VARIANTS, budget=TINY, progress=False, checkpoint=folder)
    with pytest.raises(ValueError, match=r"cache .* read-only"):
        sweep_module.sweep(**SWEEP_KW, cache=folder)
    assert not (locked / "runs").exists()


def test_check_folder_names_the_argument_and_creates_nothing(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_folder("checkpoint", target) == target
    assert not (tmp_path / "a").exists()
    for bad in (5, None, "", b"bytes"):
        with pytest.raises(TypeError, match="checkpoint must be a folder path"):
            check_folder("checkpoint", bad)


# ------------------------------------------------- entries: recomputed, never trusted or lost
def _odd_entry(path: Path, kind: str) -> None:
    """Put something other than a readable regular file where an entry lives."""
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "folder":
        path.mkdir()
        (path / "inside.txt").write_text("a user's file in a folder named like an entry")
    elif kind == "fifo":
        os.mkfifo(path)  # reading it would wait for a writer for ever
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nowhere.parquet")
    elif kind == "link loop":
        path.symlink_to(path)
    elif kind == "unreadable":
        path.write_bytes(b"PAR1 whatever")
        path.chmod(0)
    else:
        raise AssertionError(kind)


KINDS = ["folder", "fifo", "dangling link", "link loop"]


def _rerun_warns(run, paths, expected):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = run()
    named = [str(w.message) for w in caught if issubclass(w.category, StoreWarning)]
    for path in paths:
        assert any(str(path) in m and "recomputing" in m for m in named), named
    pd.testing.assert_frame_equal(out, expected)
    with warnings.catch_warnings():  # replaced by a good entry: trusted next time
        warnings.simplefilter("error", StoreWarning)
        pd.testing.assert_frame_equal(run(), expected)


@pytest.mark.parametrize("kind", KINDS)
def test_a_chunk_path_holding_something_else_is_recomputed_with_a_warning(tmp_path, kind, swept):
    sweep_module.sweep(**SWEEP_KW, cache=tmp_path)
    paths = sorted(tmp_path.glob("chunk-*.parquet"))[:2]
    for path in paths:
        _odd_entry(path, kind)
    _rerun_warns(lambda: sweep_module.sweep(**SWEEP_KW, cache=tmp_path), paths, swept)
    assert all(p.is_file() and not p.is_symlink() for p in paths)


@pytest.mark.parametrize("kind", KINDS)
def test_a_checkpoint_path_holding_something_else_is_recomputed_with_a_warning(
    tmp_path, kind, trained
):
    pd.testing.assert_frame_equal(_train(tmp_path), trained)
    path = sorted(tmp_path.glob("run-*.parquet"))[0]
    _odd_entry(path, kind)
    _rerun_warns(lambda: _train(tmp_path), [path], trained)


@NEEDS_PERMISSIONS
def test_an_unreadable_chunk_is_recomputed_with_a_warning(tmp_path, swept):
    sweep_module.sweep(**SWEEP_KW, cache=tmp_path)
    path = sorted(tmp_path.glob("chunk-*.parquet"))[0]
    _odd_entry(path, "unreadable")
    _rerun_warns(lambda: sweep_module.sweep(**SWEEP_KW, cache=tmp_path), [path], swept)


@pytest.mark.parametrize("code", [errno.EACCES, errno.EIO])
def test_a_chunk_that_cannot_be_read_is_recomputed_with_a_warning(
    tmp_path, code, swept, monkeypatch
):
    """As root permissions do not stop a read: the failing read is simulated (permission
    denied, an I/O error of a failing disk)."""
    sweep_module.sweep(**SWEEP_KW, cache=tmp_path)
    path = sorted(tmp_path.glob("chunk-*.parquet"))[1]
    read = Path.read_bytes

    def failing(self):
        if self == path:
            raise OSError(code, os.strerror(code), str(self))
        return read(self)

    monkeypatch.setattr(Path, "read_bytes", failing)
    with pytest.warns(StoreWarning, match=f"cannot be read: {os.strerror(code)}"):
        out = sweep_module.sweep(**SWEEP_KW, cache=tmp_path)
    pd.testing.assert_frame_equal(out, swept)


def test_an_entry_that_cannot_be_removed_or_replaced_is_an_error_naming_it(tmp_path, monkeypatch):
    """A folder in an entry's place that cannot be removed: the write that follows fails
    with an error naming the entry, not a bare IsADirectoryError deep in the store."""
    store = VerifiedStore(tmp_path, prefix="chunk", what="sweep cache file", name="cache")
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    store.write("k", frame)
    store.path("k").unlink()
    store.path("k").mkdir()
    monkeypatch.setattr(store_module.shutil, "rmtree", _refuse)
    with pytest.warns(StoreWarning, match="is damaged"):
        assert store.read("k", ["a"]) is None
    with pytest.raises(OSError, match=r"sweep cache file .* cannot be replaced"):
        store.write("k", frame)


def _refuse(path, *args, **kwargs):
    raise PermissionError(errno.EPERM, "Operation not permitted", str(path))
