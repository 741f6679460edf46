"""The experiment runner and the stored results: a subset recomputed here must give the
stored numbers; the runner resumes, shares work, refuses damaged tables."""

import importlib
import json
import os
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from artifact_lab._util.store import StoreWarning
from artifact_lab.studies.experiments import (
    EXPERIMENTS,
    Experiment,
    Unit,
    compute_unit,
    find_results,
    main,
    read_results,
    run_experiments,
)

ex = importlib.import_module("artifact_lab.studies.experiments")
TABLES = {t: e for e in EXPERIMENTS.values() for t in e.tables}


# --- the committed results --------------------------------------------------------------------


def test_every_table_is_committed_with_its_provenance():
    folder = find_results()
    for table, experiment in TABLES.items():
        stored = read_results(table, folder=folder)  # checks the CSV against its checksum
        meta = stored.meta
        assert meta["table"] == table and meta["experiment"] == experiment.name
        assert meta["version"] == experiment.version
        assert len(stored.seeds) >= 8, f"{table}: claims need seeds"
        if "seed" in stored.frame:
            assert set(stored.frame.seed) == set(stored.seeds), table
        assert meta["command"] and meta["date"] and meta["packages"]["torch"]
        assert meta["machine"]["torch_threads"] == 1 and meta["machine"]["device"] == "cpu"
        assert meta["rows"] == len(stored.frame)
        assert list(stored.frame.columns) == list(experiment.tables[table])
        assert not [c for c in stored.frame.columns if stored.frame[c].isna().all()], table


def _same_numbers(stored: pd.DataFrame, fresh: pd.DataFrame, timing: tuple[str, ...]):
    """Equal text columns; numbers equal to 1e-6 relative (the runner's thread count, one,
    gives bit-equal numbers on one machine; another CPU may differ in the last digits). Both
    sides as a stored table reads back."""
    assert len(stored) == len(fresh)
    for col in fresh.columns:
        if col in timing:
            continue
        a, b = stored[col].to_numpy(), fresh[col].to_numpy()
        stale = f"{col}: the stored table is stale; recompute it with make experiments"
        if fresh[col].dtype.kind in "fi":
            np.testing.assert_allclose(
                a.astype(float), b.astype(float), rtol=1e-6, atol=1e-9, err_msg=stale
            )
        else:
            assert a.tolist() == b.tolist(), stale


@pytest.mark.parametrize(
    ("experiment", "label"),
    [
        ("learning", "sr ×2 transposed k=3, seed 0"),
        ("prevention", "×4 penalty λ=0.1, seed 2"),
        ("prevention", "reference ×4"),
        ("gradients", "classifier study, seed 0"),
        ("zoo", "backward audits, seed 0"),
        ("zoo", "forward audits, seed 3"),
    ],
)
def test_a_subset_recomputed_here_gives_the_stored_numbers(experiment, label):
    exp = EXPERIMENTS[experiment]
    seeds = read_results(next(iter(exp.tables))).seeds
    unit = next(u for u in exp.units(seeds) if u.label == label)
    fresh = {t: ex._parse_csv(ex._csv_bytes(f)) for t, f in compute_unit(unit).items()}
    for table in unit.tables:
        stored = read_results(table).frame
        keys = [
            c
            for c in ("task", "method", "variant", "factor", "seed", "stage", "period")
            if c in fresh[table].columns
        ]
        rows = stored.merge(fresh[table][keys].drop_duplicates(), on=keys, how="inner")
        _same_numbers(
            rows.reset_index(drop=True), fresh[table].reset_index(drop=True), exp.timing_columns
        )


# --- the runner, on a small experiment of its own ---------------------------------------------


@pytest.fixture
def toy(monkeypatch):
    calls = []

    def compute(unit, device):
        calls.append(unit.label)
        s = unit.spec["seed"]
        rng = np.random.default_rng(s)
        return {
            "toy": pd.DataFrame({"seed": [s, s], "x": rng.normal(size=2), "name": ["a", ""]}),
            "toy_extra": pd.DataFrame({"seed": [s], "y": [np.nan if s == 1 else 0.1 * s]}),
        }

    experiment = Experiment(
        "toy",
        "none",
        "a toy experiment",
        1,
        {"toy": {"seed": "s", "x": "x", "name": "n"}, "toy_extra": {"seed": "s", "y": "y"}},
        lambda: {"budget": "none"},
        lambda seeds: [Unit("toy", f"seed {s}", {"seed": s}, ("toy", "toy_extra")) for s in seeds],
        compute,
    )
    monkeypatch.setitem(EXPERIMENTS, "toy", experiment)
    return calls


def test_the_runner_writes_tables_with_provenance_and_resumes(tmp_path, toy):
    out = run_experiments(
        ["toy"], seeds=(0, 1, 2), results=tmp_path, progress=False, command="make experiments"
    )
    assert sorted(out) == ["toy", "toy_extra"] and toy == ["seed 0", "seed 1", "seed 2"]
    t = read_results("toy", folder=tmp_path)
    assert t.frame.seed.tolist() == [0, 0, 1, 1, 2, 2] and t.frame.name.tolist()[:2] == ["a", ""]
    assert np.isnan(read_results("toy_extra", folder=tmp_path).frame.y[1])
    meta = json.loads((tmp_path / "toy.json").read_text())
    assert meta["command"] == "make experiments" and meta["seeds"] == [0, 1, 2]
    assert meta["parameters"] == {"budget": "none"} and meta["rows"] == 6
    date = meta["date"]
    # resumed: nothing recomputed, the same numbers keep their file and date
    time.sleep(1.1)
    run_experiments(["toy"], seeds=(0, 1, 2), results=tmp_path, progress=False)
    assert toy == ["seed 0", "seed 1", "seed 2"]
    assert json.loads((tmp_path / "toy.json").read_text())["date"] == date
    # one more seed: only that unit runs
    run_experiments(["toy"], seeds=(0, 1, 2, 3), results=tmp_path, progress=False)
    assert toy[3:] == ["seed 3"]
    assert read_results("toy", folder=tmp_path).seeds == (0, 1, 2, 3)


def test_a_damaged_checkpoint_is_recomputed_and_a_claimed_unit_left_to_its_owner(tmp_path, toy):
    run_experiments(["toy"], seeds=(0, 1), results=tmp_path, progress=False)
    first = sorted((tmp_path / ".checkpoints").glob("toy-*.parquet"))[0]
    first.write_bytes(b"half a file")
    with pytest.warns(StoreWarning, match="damaged"):
        run_experiments(["toy"], seeds=(0, 1), results=tmp_path, progress=False)
    assert len(toy) == 3
    # a claim by a live process (this one's parent) is respected until the entry appears
    unit = EXPERIMENTS["toy"].units((5,))[0]
    key = unit.key("toy", 1)
    claim = tmp_path / ".checkpoints" / f".toy-{key}.claim"
    claim.write_text(f"{os.uname().nodename} {os.getppid()} {time.time():.0f}\n")
    assert not ex._claim_is_stale(
        ex.VerifiedStore(tmp_path / ".checkpoints", prefix="toy", what="checkpoint"), key
    )
    # a claim whose process is gone is taken over
    claim.write_text(f"{os.uname().nodename} 999999999 {time.time():.0f}\n")
    run_experiments(["toy"], seeds=(5,), results=tmp_path, progress=False)
    assert toy[-1] == "seed 5" and not claim.exists()


def test_an_edited_table_is_refused_and_a_missing_one_says_how_to_make_it(tmp_path, toy):
    run_experiments(["toy"], seeds=(0,), results=tmp_path, progress=False)
    path = tmp_path / "toy.csv"
    path.write_text(path.read_text().replace("a", "b"))
    with pytest.raises(ValueError, match="checksum"):
        read_results("toy", folder=tmp_path)
    with pytest.raises(FileNotFoundError, match="make experiments"):
        read_results("learning", folder=tmp_path / "nowhere")
    with pytest.raises(ValueError, match="table must be one of"):
        read_results("bogus", folder=tmp_path)


def test_bad_arguments_are_refused_before_any_work(tmp_path, toy):
    with pytest.raises(ValueError, match="names"):
        run_experiments(["nope"], results=tmp_path, progress=False)
    with pytest.raises(ValueError, match="seeds"):
        run_experiments(["toy"], seeds=(), results=tmp_path, progress=False)
    with pytest.raises(ValueError, match="threads"):
        run_experiments(["toy"], seeds=(0,), threads=0, results=tmp_path, progress=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="results"):
        run_experiments(["toy"], seeds=(0,), results=tmp_path / "file", progress=False)
    assert toy == []


def test_the_command_line_speaks_in_one_line(tmp_path, toy, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["bogus"])
    assert exit_.value.code == 2 and "unknown experiment 'bogus'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["toy", "--seeds", "3-1"])
    assert "seeds" in capsys.readouterr().err
    assert main(["toy", "--seeds", "0,2", "--results", str(tmp_path)]) == 0
    assert read_results("toy", folder=tmp_path).seeds == (0, 2)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["toy", "--results", str(tmp_path / "toy.csv")]) == 1
    assert capsys.readouterr().err.splitlines()[-1].startswith("error: results")
