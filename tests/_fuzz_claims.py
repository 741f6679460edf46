"""Fuzz rows for the claims (studies.claims, viz.claims)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from artifact_lab.studies import claims
from artifact_lab.viz import claims as claims_viz
from artifact_lab.viz import tables
from tests._fuzz import BAD_ARRAY, NOT_STR, Row, bad_name, ints, reals


def _claims():
    return [claims.claim("a", "x is positive", [1.0, 1.2, 0.9], statistic="x")]


BAD_CLAIMS = st.sampled_from([None, "claims", 5, [None], [{"id": "a"}], claims.claim])

CLAIM_ROWS: list[Row] = [
    Row(
        tables.significant_decimals,
        lambda: dict(values=np.array([0.5, 0.01]), digits=3),
        # NaN and inf are valid values here (they do not count): only non-numbers are bad
        dict(
            values=st.sampled_from([None, "x", [[1, 2], [3]], np.array([1j]), {"a": 1}]),
            digits=ints(1),
        ),
    ),
    Row(
        claims.claim,
        dict(
            id="a",
            statement="x is positive",
            values=[1.0, 1.2],
            statistic="x",
            rule="above",
            threshold=0.0,
            margin=0.0,
            minus=None,
        ),
        dict(
            id=st.one_of(NOT_STR, st.just("")),
            statement=st.one_of(NOT_STR, st.just("")),
            values=BAD_ARRAY,
            statistic=st.one_of(NOT_STR, st.just("")),
            rule=bad_name(tuple(claims.RULES)),
            threshold=reals(none_ok=False),
            margin=st.one_of(reals(none_ok=False), st.floats(-5, -0.1)),
            minus=st.one_of(BAD_ARRAY, st.just([1.0, 2.0, 3.0])),
        ),
    ),
    Row(claims.claims_frame, lambda: dict(claims=_claims()), dict(claims=BAD_CLAIMS)),
    Row(claims_viz.claims_texts, lambda: dict(claims=_claims()), dict(claims=BAD_CLAIMS)),
    Row(
        claims_viz.claims_table,
        lambda: dict(claims=_claims(), caption=None),
        dict(claims=BAD_CLAIMS, caption=st.sampled_from([5, b"x", ["c"]])),
    ),
    Row(
        claims_viz.claim_sentence,
        lambda: dict(claims=_claims(), id="a"),
        dict(claims=BAD_CLAIMS, id=st.one_of(NOT_STR, st.just(""), st.just("missing"))),
    ),
    Row(
        claims_viz.claim_sentences,
        lambda: dict(claims=_claims(), ids=None),
        dict(claims=BAD_CLAIMS, ids=st.sampled_from([5, ["a", 5], ["missing"], [None]])),
    ),
]


# --- the studies behind the claims: runs, claims per study, the answer, the runner ----------
# (rows live here beside the claims they feed; imported lazily so that collecting the fuzz
# test stays light)

import math  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pandas as pd  # noqa: E402
import torch  # noqa: E402

from artifact_lab.core.images import IMAGES  # noqa: E402
from artifact_lab.studies import (  # noqa: E402
    answer,
    architectures,
    experiments,
    gradients,
    learning,
    prevention,
    training,
)
from tests._fuzz import (  # noqa: E402
    BAD_DEVICE,
    NOT_BOOL,
    NOT_FRAME,
    NOT_MAPPING,
    NOT_TENSOR,
    ints,
    names_of,
)

TINY = training.Budget(steps=1, evals=1, batch=1, patch=16, channels=1, lr=1e-3, eval_size=32)
NOT_FRAME_OR_EMPTY = st.one_of(NOT_FRAME, st.just(pd.DataFrame({"x": [1.0]})))
NOT_PATH = st.sampled_from([5, 1.5, b"x", ["a"], {"a": 1}, ""])
NOT_CLAIM_DICT = st.sampled_from([None, "claims", 5, [1], {"weights": [None]}, {"x": "ab"}])


def _spec():
    return training.run_spec("sr", "sub-pixel", 2, 0, TINY, ("camera",), ("coins",))


def _frame():
    return pd.DataFrame(
        {
            "variant": ["a", "a", "b", "b"],
            "seed": [0, 0, 0, 0],
            "step": [0, 1, 0, 1],
            "checkerboard_score": [0.1, 0.2, 0.0, 0.02],
        }
    )


def _prevention_tables():
    q = pd.DataFrame(
        [
            {
                "method": m,
                "penalty": 0.0,
                "channels": "",
                "task": "sr",
                "variant": "v",
                "factor": 2,
                "seed": s,
                "step": 1,
                "loss": 0.1,
                "psnr": 20.0 + s + i,
                "ssim": 0.5,
                "checkerboard_score": 0.1 * i,
                "noise_checkerboard": 0.1,
                "harmonic_fraction": 0.001 * (1 + s + i),
                "peak_db": 1.0,
                "seconds": 1.0,
            }
            for i, m in enumerate(("transposed", "constrained"))
            for s in (0, 1, 2)
        ]
    )
    sc = pd.DataFrame(
        [
            {
                "method": m,
                "factor": 2,
                "seed": s,
                "step": 1,
                "variant": "v",
                "pair_score": 0.1 * (1 - i) + 0.01 * s,
            }
            for i, m in enumerate(("transposed", "constrained"))
            for s in (0, 1, 2)
        ]
    )
    ref = pd.DataFrame({"factor": [2], "pictures harmonic fraction": [0.001]})
    return q, sc, ref


def _prevention_claims():
    return prevention.prevention_claims(*_prevention_tables())


def _gradient_tables():
    acc = pd.DataFrame(
        [
            {
                "seed": s,
                "variant": v,
                "flagged": 0,
                "test_accuracy": 0.5 + 0.1 * s + 0.01 * i,
                "seconds": 1.0,
            }
            for i, v in enumerate(("original", "blur"))
            for s in (0, 1, 2)
        ]
    )
    sal = pd.DataFrame(
        [
            {
                "seed": s,
                "variant": v,
                "stage": st_,
                "period": 2,
                "harmonic_fraction": 0.01 + s * 1e-3,
                "chance": 0.001,
                "power": 1e-5,
            }
            for v in ("original", "blur")
            for st_ in ("init", "trained")
            for s in (0, 1, 2)
        ]
    )
    return acc, sal


def _zoo_frame():
    return pd.DataFrame(
        [
            {
                "model": "m",
                "seed": s,
                "input": i,
                "flagged": 1,
                "period": "2",
                "harmonic_fraction": 0.1 + 0.01 * s,
                "times_chance": 3.0 + s,
            }
            for s in (0, 1, 2)
            for i in ("constant", "noise")
        ]
    )


def _answer_args():
    pc = _prevention_claims()
    return dict(
        learning={"x": [claims.claim("05-a", "x", [1.0, 1.1], statistic="x")]},
        gradients={"x": []},
        prevention=pc,
        choices=prevention.prevention_choices(pc),
    )


def _rows():
    return answer.answer_rows(**_answer_args())[:1]


RESULTS = Path(tempfile.mkdtemp(prefix="fuzz-results-"))

CLAIM_ROWS += [
    # training runs
    Row(
        training.run_spec,
        dict(
            task="sr",
            variant="sub-pixel",
            factor=2,
            seed=0,
            budget=TINY,
            train_images=("camera",),
            held_out=("coins",),
        ),
        dict(
            task=bad_name(("sr", "autoencoder")),
            variant=st.one_of(NOT_STR, st.just("")),
            factor=ints(2),
            seed=ints(0),
            budget=st.sampled_from([None, "tiny", 5, {"steps": 1}]),
            train_images=names_of(IMAGES),
            held_out=st.one_of(names_of(IMAGES), st.just("camera")),
        ),
    ),
    Row(
        training.train_run,
        lambda: dict(run=_spec(), device="cpu", keep_model=False, scores_every=None),
        dict(
            run=st.sampled_from([None, "run", 5, {"task": "sr"}]),
            device=BAD_DEVICE,
            keep_model=NOT_BOOL,
            scores_every=ints(1, none_ok=True),
        ),
    ),
    Row(
        training.check_budget,
        dict(budget="tiny", task="sr", factor=2),
        dict(
            budget=st.one_of(bad_name(tuple(training.BUDGETS)), st.just(5)),
            task=bad_name(("sr", "autoencoder")),
            factor=st.one_of(ints(1), st.just(3)),
        ),
        names={"budget": ("budget", "Budget"), "factor": ("factor", "Budget")},
    ),
    Row(
        training.check_images,
        dict(train_images=("camera",), held_out=("coins",)),
        dict(
            train_images=names_of(IMAGES),
            held_out=st.one_of(names_of(IMAGES), st.just(("camera",))),
        ),
        names={"held_out": ("held_out", "train_images")},
    ),
    Row(
        training.pictures,
        dict(names=("coins",), size=16),
        dict(names=names_of(IMAGES), size=ints(8)),
    ),
    Row(
        training.downsample,
        lambda: dict(hr=torch.zeros(1, 1, 4, 4), factor=2),
        dict(
            hr=st.one_of(NOT_TENSOR, st.just(torch.zeros(4, 4))),
            factor=st.one_of(ints(1), st.just(5)),
        ),
        names={"factor": ("factor",), "hr": ("hr",)},
    ),
    Row(
        training.held_out_quality,
        lambda: dict(
            out=torch.zeros(1, 1, 32, 32), hr_eval=torch.zeros(1, 1, 32, 32), scale=2, metrics=True
        ),
        dict(
            out=st.one_of(
                NOT_TENSOR, st.just(torch.zeros(1, 2, 32, 32)), st.just(torch.zeros(1, 1, 30, 30))
            ),
            hr_eval=st.one_of(NOT_TENSOR, st.just(torch.zeros(32, 32))),
            scale=st.one_of(ints(1), st.just(9)),
            metrics=NOT_BOOL,
        ),
        names={"out": ("out",), "hr_eval": ("hr_eval",), "scale": ("scale", "out")},
    ),
    # prevention
    Row(
        prevention.label_run,
        lambda: dict(frame=pd.DataFrame({"x": [1]}), method="m", run=_spec()),
        dict(
            frame=NOT_FRAME,
            method=st.one_of(NOT_STR, st.just("")),
            run=st.sampled_from([None, "run", 5]),
        ),
    ),
    Row(
        prevention.prevention_runs,
        dict(
            factors=(2,),
            lambdas=(0.1,),
            sum_lambdas=(),
            seeds=(0,),
            budget=TINY,
            train_images=("camera",),
            held_out=("coins",),
        ),
        dict(
            factors=st.sampled_from([(), (1,), "2", None]),
            lambdas=st.sampled_from([[0], [-1.0], "a", [math.nan]]),
            sum_lambdas=st.sampled_from([[0], "a", None]),
            seeds=st.sampled_from([(), (-1,), "0", None]),
            budget=st.one_of(bad_name(tuple(training.BUDGETS)), st.just(5)),
            train_images=names_of(IMAGES),
            held_out=names_of(IMAGES),
        ),
        names={"budget": ("budget", "Budget")},
    ),
    Row(
        prevention.prevention_reference,
        dict(factor=2, budget=TINY, held_out=("coins",)),
        dict(
            factor=ints(2),
            budget=st.one_of(bad_name(tuple(training.BUDGETS)), st.just(5)),
            held_out=names_of(IMAGES),
        ),
        names={"budget": ("budget", "Budget"), "factor": ("factor", "Budget")},
    ),
    Row(
        gradients.collapsed_saliency,
        dict(
            saliency=pd.DataFrame(
                {"seed": [0], "variant": ["even"], "stage": ["trained"], "power": [0.0]}
            )
        ),
        dict(
            saliency=st.one_of(
                NOT_FRAME_OR_EMPTY, st.just(pd.DataFrame({"seed": [0], "power": [0.0]}))
            )
        ),
    ),
    Row(
        prevention.prevention_claims,
        lambda: dict(zip(("quality", "scores", "reference"), _prevention_tables(), strict=True)),
        dict(
            quality=NOT_FRAME_OR_EMPTY,
            scores=NOT_FRAME_OR_EMPTY,
            reference=st.one_of(
                NOT_FRAME_OR_EMPTY,
                st.just(pd.DataFrame({"factor": [4], "pictures harmonic fraction": [0.1]})),
            ),
        ),
    ),
    Row(
        prevention.prevention_choices,
        lambda: dict(claims=_prevention_claims()),
        dict(claims=NOT_CLAIM_DICT),
    ),
    Row(
        prevention.collapsed_runs,
        lambda: dict(quality=_prevention_tables()[0]),
        dict(quality=NOT_FRAME_OR_EMPTY),
    ),
    # learning
    Row(
        learning.pictures_level,
        dict(factor=2, eval_size=32, held_out=("coins",)),
        dict(factor=st.one_of(ints(1), st.just(7)), eval_size=ints(8), held_out=names_of(IMAGES)),
        names={"factor": ("factor", "eval_size")},
    ),
    Row(
        learning.final_values,
        lambda: dict(frame=_frame(), column="checkerboard_score", step="last"),
        dict(
            frame=NOT_FRAME_OR_EMPTY,
            column=st.one_of(NOT_STR, st.just("missing")),
            step=bad_name(("first", "last")),
        ),
    ),
    Row(
        learning.drift_claims,
        lambda: dict(frame=_frame(), variants=["b"], prefix="p", where=""),
        dict(
            frame=NOT_FRAME_OR_EMPTY,
            variants=names_of(("a", "b")),
            prefix=st.one_of(NOT_STR, st.just("")),
            where=NOT_STR,
        ),
    ),
    Row(
        learning.learning_claims,
        lambda: dict(
            sr=experiments.read_results("learning").frame,
            errors=experiments.read_results("learning_errors").frame,
            autoencoder=experiments.read_results("learning_autoencoder").frame,
            level_x2=1e-3,
            level_x4=1e-3,
        ),
        dict(
            sr=NOT_FRAME_OR_EMPTY,
            errors=NOT_FRAME_OR_EMPTY,
            autoencoder=NOT_FRAME_OR_EMPTY,
            level_x2=reals(0.0, none_ok=False),
            level_x4=reals(0.0, none_ok=False),
        ),
    ),
    # gradients, architectures, the answer
    Row(
        gradients.gradient_claims,
        lambda: dict(
            zip(("accuracy", "saliency"), _gradient_tables(), strict=True), zoo=None, adjoint=None
        ),
        dict(
            accuracy=NOT_FRAME_OR_EMPTY,
            saliency=NOT_FRAME_OR_EMPTY,
            zoo=NOT_FRAME_OR_EMPTY.filter(lambda v: v is not None),
            adjoint=BAD_ARRAY.filter(lambda v: v is not None),
        ),
    ),
    Row(
        gradients.recommended_fix,
        lambda: dict(
            claims=gradients.gradient_claims(*_gradient_tables()), fixes=("blur", "even", "pool")
        ),
        dict(
            claims=st.sampled_from([None, 5, [], {"x": 5}, {"x": [5]}]),
            fixes=st.one_of(NOT_STR, st.just(())),
        ),
    ),
    Row(
        architectures.zoo_audits,
        dict(direction="backward", seeds=(0,), width=1 / 16),
        dict(
            direction=bad_name(("forward", "backward")),
            seeds=st.sampled_from([(), (-1,), "0", None]),
            width=st.sampled_from([0, -1.0, math.nan, "w", None]),
        ),
    ),
    Row(
        architectures.architecture_claims,
        lambda: dict(zoo=_zoo_frame()),
        dict(zoo=NOT_FRAME_OR_EMPTY),
    ),
    Row(
        answer.default_init_score,
        dict(kernel_size=4, stride=2, ndim=2, seeds=2),
        dict(
            kernel_size=st.one_of(ints(1), st.just(10**4)),
            stride=ints(1),
            ndim=st.one_of(ints(1), st.just(4)),
            seeds=st.one_of(ints(1), st.just(10**6)),
        ),
        names={"kernel_size": ("kernel_size",), "seeds": ("seeds", "kernel_size")},
    ),
    Row(
        answer.answer_rows,
        _answer_args,
        dict(
            learning=NOT_CLAIM_DICT,
            gradients=NOT_CLAIM_DICT,
            prevention=NOT_CLAIM_DICT,
            choices=NOT_FRAME_OR_EMPTY,
        ),
    ),
    # the experiment runner
    Row(
        experiments.compute_unit,
        lambda: dict(
            unit=experiments.EXPERIMENTS["prevention"].units((0,))[0], device="cpu", threads=1
        ),
        dict(
            unit=st.sampled_from([None, "unit", 5, {"experiment": "x"}]),
            device=BAD_DEVICE,
            threads=st.one_of(ints(1, none_ok=True), st.just(True)),
        ),
    ),
    Row(experiments.find_results, dict(start=None), dict(start=NOT_PATH)),
    Row(
        experiments.read_results,
        dict(table="learning", folder=RESULTS),
        dict(table=bad_name(("learning",)), folder=NOT_PATH),
    ),
    Row(
        experiments.run_experiments,
        dict(
            names=["gradients"],
            seeds=(0,),
            results=RESULTS,
            checkpoints=None,
            device="cpu",
            threads=1,
            progress=False,
            command=None,
        ),
        dict(
            names=names_of(tuple(experiments.EXPERIMENTS), none_ok=True),
            seeds=st.sampled_from([(), (-1,), "0", None]),
            results=NOT_PATH,
            checkpoints=NOT_PATH,
            device=BAD_DEVICE,
            threads=st.one_of(ints(1, none_ok=True), st.just(True)),
            progress=NOT_BOOL,
            command=NOT_STR,
        ),
        names={"results": ("results",), "checkpoints": ("checkpoints",)},
    ),
    # figures and tables of claims
    Row(
        claims_viz.plot_claims,
        lambda: dict(claims=_claims(), labels=None, xlabel="x", title=None),
        dict(
            claims=st.one_of(BAD_CLAIMS, st.just([])),
            labels=st.sampled_from([5, "a", {"a": 5}]),
            xlabel=st.one_of(NOT_STR, st.just("")),
            title=NOT_STR,
        ),
    ),
    Row(
        claims_viz.results_table,
        lambda: dict(tables={"learning": experiments.read_results("learning")}, caption=None),
        dict(tables=st.one_of(NOT_MAPPING, st.just({"t": 5})), caption=NOT_STR),
    ),
    Row(
        claims_viz.answer_table,
        lambda: dict(rows=_rows(), caption=None),
        dict(rows=st.sampled_from([None, 5, "rows", [None], [], [{"a": 1}]]), caption=NOT_STR),
    ),
]
