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


SMALL = Budget(steps=12, evals=2, batch=4, patch=16, channels=4, lr=3e-3, eval_size=32)


@pytest.fixture(scope="module")
def prevention():
    return tr.prevention_study(
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
    assert list(q.columns) == list(tr.PREVENTION_COLUMNS)
    methods = tr.prevention_methods(2, (1.0,), (1.0,)).method.tolist()
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
        == [list(tr.prevention_methods(2, (1.0,), (1.0,)).method)] * 2
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
    run = tr._run_spec("sr", "transposed k=4", 2, 0, SMALL, ("camera",), ("moon",))
    spec = dict(tr.asdict(run))
    del spec["penalty"], spec["penalty_channels"]
    spec["version"] = 1
    expected = tr.hashlib.sha256(tr.json.dumps(spec, sort_keys=True).encode()).hexdigest()[:20]
    assert run.key() == expected  # runs without a penalty keep their checkpoint names
    assert tr.replace(run, penalty=0.1).key() != run.key()


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
        tr.prevention_study(progress=False, **kwargs)


def test_prevention_summary_pair_scores_and_figure(prevention):
    import matplotlib.pyplot as plt

    from artifact_lab.plotting import plot_prevention

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
