import dataclasses
import hashlib
import importlib
import json
import os
import re
import time
import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from artifact_lab._util.store import StoreWarning
from artifact_lab.layers.upsamplers import make_upsampler
from artifact_lab.studies.training import COLUMNS, VARIANTS, Budget, summarize, train_upsamplers

tr = importlib.import_module("artifact_lab.studies.training")
pv = importlib.import_module("artifact_lab.studies.prevention")


@pytest.fixture(scope="module")
def tiny():
    return train_upsamplers(budget="tiny", seeds=(0,), progress=False)


def test_tiny_budget_trains_every_variant_and_reduces_the_loss(tiny):
    assert list(tiny.columns) == list(COLUMNS)
    assert set(tiny.variant) == set(VARIANTS)
    for name, group in tiny.groupby("variant"):
        first = group[group.step == group.step.min()].loss.iloc[0]
        last = group[group.step == group.step.max()].loss.iloc[0]
        assert last < first, name
    assert tiny[["psnr", "ssim"]].notna().all().all()


def test_same_seed_gives_the_same_numbers(tiny):
    again = train_upsamplers(budget="tiny", seeds=(0,), progress=False)
    pd.testing.assert_frame_equal(tiny.drop(columns="seconds"), again.drop(columns="seconds"))


def test_step_zero_scores_are_those_of_the_initialisation(tiny):
    start = tiny[tiny.step == 0].set_index("variant")
    for name in VARIANTS:
        fresh = make_upsampler(name, 2, tr.BUDGETS["tiny"].channels, seed=0).scores()
        assert start.loc[name, "checkerboard_score"] == pytest.approx(
            fresh.checkerboard_score, abs=1e-6
        )
    for name in (
        "sub-pixel ICNR",
        "transposed k=2 hold init",
        "transposed k=4 bilinear init",
        "resize-conv nearest",
    ):
        assert start.loc[name, "checkerboard_score"] < 1e-6, name
    for name in ("transposed k=3", "transposed k=4", "sub-pixel"):
        assert start.loc[name, "checkerboard_score"] > 0.01, name
    assert summarize(tiny).shape[0] == len(VARIANTS)


def test_checkpoint_resumes_without_retraining(tmp_path, monkeypatch):
    kw = dict(
        variant_names=["transposed k=3", "sub-pixel ICNR"],
        budget="tiny",
        seeds=(1,),
        progress=False,
        checkpoint=tmp_path,
    )
    first = train_upsamplers(**kw)
    assert len(list(tmp_path.glob("run-*.parquet"))) == 2
    calls = []
    real = tr._train_one
    monkeypatch.setattr(tr, "_train_one", lambda *a: (calls.append(a), real(*a))[1])
    again = train_upsamplers(**kw)
    assert calls == []
    pd.testing.assert_frame_equal(first, again)


def test_autoencoder_and_factor_four():
    ae = train_upsamplers(["sub-pixel ICNR"], task="autoencoder", progress=False)
    assert (ae.task == "autoencoder").all() and ae.loss.iloc[-1] < ae.loss.iloc[0]
    x4 = train_upsamplers(["transposed k=8", "resize-conv nearest"], factor=4, progress=False)
    assert set(x4.factor) == {4} and np.isfinite(x4.psnr).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(task="gan"), "task"),
        (dict(variant_names=["transposed k=9"]), "unknown"),
        (dict(budget="huge"), "budget"),
        (dict(train_images=("camera",), held_out=("camera",)), "disjoint"),
        (dict(held_out=("lena",)), "held_out"),
        (dict(task="autoencoder", factor=4), "factor"),
        (dict(budget=Budget(10, 2, 4, 30, 4, 1e-3, 64), factor=4), "multiple"),
        (dict(budget=Budget(10, 2, 4, 16, 4, 1e-3, 12)), "eval_size=12 is too small"),
        (dict(variant_names="sub-pixel X"), "variant_names"),
        (dict(seeds=()), "seeds"),
        (dict(seeds=(0, -1)), r"seeds\[1\]"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_upsamplers(progress=False, **kwargs)


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("evals", 0, ValueError),
        ("evals", 11, ValueError),
        ("steps", -1, ValueError),
        ("steps", 2.5, TypeError),
        ("batch", 0, ValueError),
        ("patch", 0, ValueError),
        ("patch", 512, ValueError),
        ("channels", 0, ValueError),
        ("lr", 0.0, ValueError),
        ("lr", float("nan"), ValueError),
        ("lr", "fast", TypeError),
        ("eval_size", True, TypeError),
    ],
)
def test_a_custom_budget_is_checked_at_construction(field, value, error):
    fields = dict(steps=10, evals=2, batch=4, patch=16, channels=4, lr=1e-3, eval_size=32)
    with pytest.raises(error, match=f"Budget.{field}"):
        Budget(**{**fields, field: value})


def test_strings_are_names_not_sequences_of_letters():
    one = Budget(steps=1, evals=1, batch=1, patch=16, channels=1, lr=1e-3, eval_size=16)
    frame = train_upsamplers(
        "sub-pixel", budget=one, seeds=3, train_images="camera", held_out="coins", progress=False
    )
    assert set(frame.variant) == {"sub-pixel"} and set(frame.seed) == {3}
    with pytest.raises(TypeError, match="seeds"):
        train_upsamplers("sub-pixel", seeds="01", progress=False)
    with pytest.raises(TypeError, match="progress"):
        train_upsamplers("sub-pixel", progress="no")


TINY_RUN = Budget(steps=4, evals=1, batch=2, patch=16, channels=2, lr=1e-3, eval_size=16)
PAIR = ["transposed k=3", "sub-pixel"]


@pytest.fixture(scope="module")
def uninterrupted():
    return train_upsamplers(PAIR, budget=TINY_RUN, progress=False).drop(columns="seconds")


def _run(folder):
    return train_upsamplers(PAIR, budget=TINY_RUN, progress=False, checkpoint=folder)


def _same(frame, reference):
    pd.testing.assert_frame_equal(frame.drop(columns="seconds"), reference, check_exact=True)


def _damage_and_rerun(folder, path, reference, damage):
    damage(path)
    with pytest.warns(StoreWarning, match=f"checkpoint {re.escape(str(path))} is damaged"):
        frame = _run(folder)
    _same(frame, reference)
    with warnings.catch_warnings():  # replaced by a good file: the next run trusts it
        warnings.simplefilter("error")
        _same(_run(folder), reference)


def test_damaged_checkpoints_are_recomputed_with_a_warning(tmp_path, uninterrupted):
    _same(_run(tmp_path), uninterrupted)
    first, second = sorted(tmp_path.glob("run-*.parquet"))
    good = first.read_bytes()
    _damage_and_rerun(
        tmp_path, first, uninterrupted, lambda p: p.write_bytes(good[: len(good) // 2])
    )
    _damage_and_rerun(tmp_path, first, uninterrupted, lambda p: p.write_bytes(b""))
    _damage_and_rerun(
        tmp_path, first, uninterrupted, lambda p: p.write_bytes(os.urandom(len(good)))
    )
    # swapped files: each holds the other run, valid parquet, wrong key
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)
    with pytest.warns(StoreWarning, match="holds") as record:
        frame = _run(tmp_path)
    _same(frame, uninterrupted)
    assert {str(w.message).split()[1] for w in record} == {str(first), str(second)}


def test_bit_flips_never_change_values_silently(tmp_path, uninterrupted):
    _run(tmp_path)
    path = sorted(tmp_path.glob("run-*.parquet"))[0]
    good = path.read_bytes()
    rng = np.random.default_rng(0)
    warned = 0
    for pos in rng.choice(len(good), size=12, replace=False):
        damaged = bytearray(good)
        damaged[pos] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(damaged))
        with warnings.catch_warnings(record=True) as record:
            warnings.simplefilter("always")
            frame = _run(tmp_path)
        _same(frame, uninterrupted)  # recomputed, or the flip touched nothing the rows hold
        warned += any("damaged" in str(w.message) for w in record)
        path.write_bytes(good)
    assert warned >= 6


def test_stale_temporaries_of_a_killed_run_are_removed(tmp_path, uninterrupted):
    _run(tmp_path)
    stale = tmp_path / ".run-0123.parquet.abcd.tmp"
    fresh = tmp_path / ".run-4567.parquet.efgh.tmp"  # perhaps a concurrent run's, being written
    stale.write_bytes(b"half a checkpoint")
    fresh.write_bytes(b"being written")
    old = time.time() - 3600
    os.utime(stale, (old, old))
    _same(_run(tmp_path), uninterrupted)
    assert not stale.exists() and fresh.exists()


def test_training_runs_with_deterministic_algorithms_and_restores_the_setting(monkeypatch):
    seen = []
    real = tr._train_one_deterministic

    def spy(*args):
        seen.append((torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.benchmark))
        return real(*args)

    monkeypatch.setattr(tr, "_train_one_deterministic", spy)
    for before in (False, True):
        torch.use_deterministic_algorithms(before)
        torch.backends.cudnn.benchmark = not before
        try:
            train_upsamplers("sub-pixel", budget=TINY_RUN, progress=False)
            assert torch.are_deterministic_algorithms_enabled() is before
            assert torch.backends.cudnn.benchmark is (not before)
        finally:
            torch.use_deterministic_algorithms(False)
            torch.backends.cudnn.benchmark = False
    assert seen == [(True, False), (True, False)]


def test_cuda_training_sets_the_cublas_workspace(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    with tr._deterministic(torch.device("cuda")):  # no CUDA work: only the settings
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert torch.are_deterministic_algorithms_enabled()
    monkeypatch.setenv("CUBLAS_WORKSPACE_CONFIG", ":16:8")
    with tr._deterministic(torch.device("cuda")):
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":16:8"  # the user's choice stays
    assert not torch.are_deterministic_algorithms_enabled()


SMALL = Budget(steps=12, evals=2, batch=4, patch=16, channels=4, lr=3e-3, eval_size=32)


@pytest.fixture(scope="module")
def prevention():
    return pv.prevention_study(
        (2, 4),
        lambdas=(1.0,),
        sum_lambdas=(1.0,),
        seeds=(0, 1),
        budget=SMALL,
        scores_every=3,
        progress=False,
    )


def test_prevention_study_has_every_method_factor_seed_and_step(prevention):
    q, s = prevention.quality, prevention.scores
    assert list(q.columns) == list(pv.PREVENTION_COLUMNS)
    methods = pv.prevention_methods(2, (1.0,), (1.0,)).method.tolist()
    assert methods == [
        "transposed",
        "penalty λ=1",
        "penalty (sum) λ=1",
        "constrained",
        "sub-pixel ICNR",
        "resize-conv",
    ]
    assert set(q[q.method == "penalty (sum) λ=1"].channels) == {"sum"}
    assert set(q[q.method == "penalty λ=1"].channels) == {"pairs"}
    assert q.groupby(["factor", "method", "seed"]).size().eq(3).all()  # steps 0, 6, 12
    assert len(q) == 2 * len(methods) * 2 * 3
    # the monitor: every 3 steps, one upsampling layer per model, none for resize-conv
    assert set(s.step) == {0, 3, 6, 9, 12}
    assert s.groupby(["factor", "method", "seed", "step"]).size().eq(1).all()
    assert "resize-conv" not in set(s.method) and len(set(s.method)) == len(methods) - 1
    assert s.groupby(["factor", "method", "seed"]).size().eq(5).all()


def test_prevention_monitor_agrees_with_the_effective_kernel_scores(prevention):
    q = prevention.quality.set_index(["factor", "method", "seed", "step"]).checkerboard_score
    s = prevention.scores.set_index(["factor", "method", "seed", "step"]).checkerboard_score
    common = q.index.intersection(s.index)
    assert len(common) == 2 * 5 * 2 * 3  # every eval step of every monitored run
    np.testing.assert_allclose(s.loc[common], q.loc[common], atol=1e-9)


def test_prevention_constrained_stays_clean_and_the_penalty_lowers_the_score(prevention):
    s, q = prevention.scores, prevention.quality
    assert s[s.method == "constrained"].checkerboard_score.max() < 1e-12
    assert q[q.method.isin(["constrained", "resize-conv"])].checkerboard_score.max() < 1e-9
    last = q[q.step == q.step.max()].set_index(["factor", "seed", "method"]).checkerboard_score
    pairs = s[s.step == s.step.max()].set_index(["factor", "seed", "method"]).pair_score
    for f in (2, 4):  # each variant of the penalty lowers the score it penalises
        for seed in (0, 1):
            assert last[f, seed, "penalty (sum) λ=1"] < 0.5 * last[f, seed, "transposed"]
            assert pairs[f, seed, "penalty λ=1"] < 0.5 * pairs[f, seed, "transposed"]
    # same initialisation for the plain and the penalised runs: equal scores at step 0
    first = q[q.step == 0].set_index(["factor", "seed", "method"]).checkerboard_score
    assert first[2, 0, "transposed"] == first[2, 0, "penalty λ=1"] > 0.1


def test_prevention_summary_and_reference(prevention):
    table = prevention.summary()
    assert (
        table.groupby("factor").method.apply(list).tolist()
        == [list(pv.prevention_methods(2, (1.0,), (1.0,)).method)] * 2
    )
    assert (table.seeds == 2).all()
    plain = table[table.method == "transposed"]
    assert np.allclose(plain["ΔPSNR vs plain"], 0)
    q = prevention.quality
    last = q[(q.step == q.step.max()) & (q.method == "constrained") & (q.factor == 4)]
    row = table[(table.method == "constrained") & (table.factor == 4)].iloc[0]
    assert row["PSNR mean"] == pytest.approx(last.psnr.mean())
    assert row["PSNR min"] == pytest.approx(last.psnr.min())
    ref = prevention.reference.set_index("factor")
    for f in (2, 4):  # chance level of a random layer: near 1 - 1/s^2
        assert abs(ref.loc[f, "random-init score mean"] - (1 - 1 / f**2)) < 0.05
        assert abs(ref.loc[f, "random-init pair score mean"] - (1 - 1 / f**2)) < 0.05
        assert ref.loc[f, "bicubic PSNR"] > 15


def test_constrained_variant_trains_in_train_upsamplers_and_run_keys_are_stable():
    frame = train_upsamplers(
        ["transposed k=4 constrained"], budget=SMALL, seeds=(0,), progress=False
    )
    assert frame.checkerboard_score.max() < 1e-9 and frame.loss.iloc[-1] < frame.loss.iloc[0]
    run = tr.run_spec("sr", "transposed k=4", 2, 0, SMALL, ("camera",), ("moon",))
    spec = dict(dataclasses.asdict(run))
    del spec["penalty"], spec["penalty_channels"]
    spec["version"] = 1
    expected = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]
    assert run.key() == expected  # runs without a penalty keep their checkpoint names
    assert dataclasses.replace(run, penalty=0.1).key() != run.key()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(lambdas=(-1.0,)), ValueError, "positive"),
        (dict(sum_lambdas=("a",)), ValueError, "sum_lambdas must be positive"),
        (dict(lambdas=(float("inf"),)), ValueError, "finite"),
        (dict(factors=(1,)), ValueError, "factors must be >= 2"),
        (dict(factors=()), ValueError, "factors must not be empty"),
        (dict(seeds=()), ValueError, "seeds must not be empty"),
        (dict(scores_every=0), ValueError, "scores_every"),
        (dict(held_out=("camera",)), ValueError, "disjoint"),
        (dict(budget="huge"), ValueError, "budget"),
    ],
)
def test_prevention_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        pv.prevention_study(progress=False, **kwargs)


def test_prevention_summary_pair_scores_and_figure(prevention):
    import matplotlib.pyplot as plt

    from artifact_lab.viz.plotting import plot_prevention

    table = prevention.summary().set_index(["factor", "method"])
    s = prevention.scores
    last = s[s.step == s.step.max()]
    for (f, method), row in table.iterrows():
        values = last[(last.factor == f) & (last.method == method)].pair_score
        if method == "resize-conv":
            assert np.isnan(row["pair score mean"]) and values.empty
        else:
            assert row["pair score mean"] == pytest.approx(values.mean())
            assert row["pair score max"] == pytest.approx(values.max())
    fig = plot_prevention(prevention)
    assert len(fig.axes) == 4 and fig.get_figwidth() == pytest.approx(6.9)
    fig.canvas.draw()
    texts = [t for t in fig.findobj(plt.Text) if t.get_visible() and t.get_text().strip()]
    assert min(t.get_fontsize() for t in texts) >= 8
    plt.close(fig)
    with pytest.raises(ValueError, match="score must be"):
        plot_prevention(prevention, score="noise")
