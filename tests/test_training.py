import importlib

import numpy as np
import pandas as pd
import pytest

from artifact_lab.training import COLUMNS, VARIANTS, Budget, summarize, train_upsamplers
from artifact_lab.upsamplers import make_upsampler

tr = importlib.import_module("artifact_lab.training")


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
        (dict(held_out=("lena",)), "image"),
        (dict(task="autoencoder", factor=4), "factor"),
        (dict(budget=Budget(10, 2, 4, 30, 4, 1e-3, 64), factor=4), "multiple"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_upsamplers(progress=False, **kwargs)
