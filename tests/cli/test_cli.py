import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import artifact_lab as al
from artifact_lab.cli import main, parse_range


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_size_shows_the_terms_and_the_torch_size(capsys):
    code, out, err = run(
        capsys, "size", "-n", "16", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1"
    )
    assert code == 0 and err == ""
    assert "= 30 - 2 + 2 + 1 + 1 = 32" in out
    assert out.strip().endswith(f"output size: {al.output_size(16, 3, 2, 1, 1)}")


def test_size_per_axis(capsys):
    code, out, _ = run(capsys, "size", "-n", "16,9", "-k", "4", "-s", "2", "-p", "1")
    assert code == 0
    assert f"output size: {al.output_size((16, 9), 4, 2, 1)}" in out


def test_solve_table_and_csv(capsys, tmp_path):
    code, out, _ = run(capsys, "solve", "16", "32", "--strides", "2", "--kernel-sizes", "1-6")
    assert code == 0
    first = out.splitlines()[1].split()
    expected = al.solve(16, 32, strides=[2], kernel_sizes=range(1, 7)).iloc[0]
    assert int(first[0]) == expected.kernel_size and int(first[2]) == expected.padding
    target = tmp_path / "t.csv"
    code, _, _ = run(capsys, "solve", "16", "32", "-o", str(target))
    assert code == 0
    table = pd.read_csv(target)
    pd.testing.assert_frame_equal(table, al.solve(16, 32), check_dtype=False)


def test_overlap_command(capsys):
    code, out, _ = run(capsys, "overlap", "-n", "4", "-k", "3", "-s", "2")
    assert code == 0
    assert " ".join(map(str, al.overlap_map(4, 3, 2))) in out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["size", "-n", "16", "-k", "3", "-s", "0"], "stride"),
        (["size", "-n", "16", "-k", "3", "-s", "2", "--output-padding", "2"], "output_padding"),
        (["size", "-n", "16", "-k", "3", "-p", "40"], "padding"),
        (["size", "-n", "abc", "-k", "3"], "input-size"),
        (["size", "-k", "3"], "input-size"),
        (["solve", "16", "32", "--strides", "4-2"], "strides"),
        (["solve", "16", "32", "--kernel-sizes", "0-3"], "kernel_sizes"),
        (["nonsense"], "invalid choice"),
        (["report", "--notebooks", "/nonexistent/folder"], "does not exist"),
        (["sweep", "--kernel-sizes", "1-3", "--strides", "2", "-o", "x.txt"], "parquet"),
        (["sweep", "--kernel-sizes", "1-3", "--strides", "0", "-o", "x.csv"], "strides"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(capsys, argv, needle):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert needle in err
    assert "Traceback" not in err


def test_console_script_has_help_for_every_command_and_no_traceback():
    for cmd in ([], ["check"], ["size"], ["solve"], ["overlap"], ["report"], ["sweep"]):
        res = subprocess.run(
            [sys.executable, "-m", "artifact_lab.cli", *cmd, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0 and "usage:" in res.stdout
    res = subprocess.run(
        [sys.executable, "-m", "artifact_lab.cli", "size", "-n", "0", "-k", "3"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.count("\n") == 1


def test_sweep_command_writes_parquet_and_csv(capsys, tmp_path):
    for name in ("atlas.parquet", "atlas.csv"):
        target = tmp_path / name
        code, out, err = run(
            capsys,
            "sweep",
            "--kernel-sizes",
            "1-4",
            "--strides",
            "2",
            "--kernels",
            "ones,normal",
            "--seeds",
            "0-1",
            "--input-size",
            "12",
            "--quiet",
            "-o",
            str(target),
        )
        assert code == 0 and target.is_file(), err
        table = pd.read_parquet(target) if name.endswith("parquet") else pd.read_csv(target)
        expected = al.sweep(
            kernel_sizes=range(1, 5),
            strides=[2],
            kernels=("ones", "normal"),
            seeds=(0, 1),
            input_size=12,
            progress=False,
        )
        assert len(table) == len(expected) and f"{len(expected)} rows" in out
        np.testing.assert_allclose(table.checkerboard_score, expected.checkerboard_score)


def test_parse_range():
    assert parse_range("1-3,7") == [1, 2, 3, 7]
    with pytest.raises(ValueError, match="empty"):
        parse_range("5-2")


def _one_line_error(capsys, argv, code):
    got = main(argv)
    out, err = capsys.readouterr()
    assert got == code, (got, err)
    assert len(err.strip().splitlines()) == 1 and err.endswith("\n"), err
    assert "Traceback" not in err
    return out, err


def test_solve_answers_a_huge_stride_at_once_and_refuses_a_huge_range(capsys):
    assert main(["solve", "16", "32", "--strides", "1000000000"]) == 1  # none: said on stdout
    assert "no configuration" in capsys.readouterr().out
    _, err = _one_line_error(capsys, ["solve", "16", "32", "--kernel-sizes", "1-100000000"], 2)
    assert "kernel-sizes" in err and "limit" in err and "narrow" in err


def test_solve_columns_and_filters(capsys):
    assert main(["solve", "16", "32", "--clean-init", "--limit", "0"]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert "even_overlap" in header and "clean_init_exists" in header
    assert "artifact_free" not in out
    clean = al.solve(16, 32)
    assert len(out.splitlines()) == 1 + int(clean.clean_init_exists.sum())
    assert main(["solve", "16", "32", "--dilations", "1-3", "--all-output-paddings"]) == 0
    assert "output_size_ok" in capsys.readouterr().out


@pytest.mark.parametrize("where", ["file_parent", "proc"])
def test_unwritable_outputs_are_refused_before_any_work(capsys, tmp_path, monkeypatch, where):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x")
    a_folder = tmp_path / "folder.csv"
    a_folder.mkdir()
    bad = str(a_file / "out.csv") if where == "file_parent" else "/proc/artifact_lab/out.csv"
    import importlib

    import artifact_lab.core.calculator as calculator

    sweep_module = importlib.import_module("artifact_lab.atlas.sweep")  # al.sweep is the function

    def no_work(*args, **kwargs):
        raise AssertionError("the work started before the output path was checked")

    monkeypatch.setattr(calculator, "solve_rows", no_work)
    monkeypatch.setattr(sweep_module, "sweep", no_work)
    cases = [
        ["solve", "16", "32", "-o", bad],
        ["sweep", "--kernel-sizes", "1-3", "--strides", "2", "-o", bad.replace(".csv", ".parquet")],
        [
            "sweep",
            "--kernel-sizes",
            "1-3",
            "--strides",
            "2",
            "-o",
            str(tmp_path / "a.csv"),
            "--cache",
            str(a_file),
        ],
        ["sweep", "--kernel-sizes", "1-3", "--strides", "2", "-o", str(a_folder)],
        ["audit", "dcgan", "--input-shape", "1,100,1,1", "--html", bad.replace(".csv", ".html")],
        ["report", "--notebooks", "notebooks", "-o", str(a_file)],
    ]
    for argv in cases:
        _, err = _one_line_error(capsys, argv, 2)
        assert "cannot be written" in err or "not a folder" in err or "is a f" in err, err


@pytest.mark.parametrize(
    "raised, code, needle",
    [
        (MemoryError(), 1, "out of memory"),
        (KeyboardInterrupt(), 130, "interrupted"),
        (RuntimeError("something deep broke\n  with a second line"), 1, "RuntimeError"),
        (OSError(28, "No space left on device", "atlas.csv"), 1, "No space left"),
        (ZeroDivisionError("division by zero"), 1, "ZeroDivisionError"),
    ],
)
def test_any_failure_during_the_run_is_one_line(capsys, monkeypatch, raised, code, needle):
    import artifact_lab.core.calculator as calculator

    def fail(*args, **kwargs):
        raise raised

    monkeypatch.setattr(calculator, "solve_rows", fail)
    _, err = _one_line_error(capsys, ["solve", "16", "32"], code)
    assert needle in err and err.startswith("artifact-lab solve:")


@pytest.mark.parametrize(
    "source, name",
    [
        ("raise RuntimeError('boom at import')\n", "raises_at_import"),
        ("def build(:\n", "fails_to_parse"),
        ("import a_module_that_is_not_installed\n", "misses_a_dependency"),
        ("def build():\n    raise RuntimeError('factory failed')\n", "factory_raises"),
        ("import torch\ndef build():\n    return torch.nn.ConvTranspose2d(1, 1, 3), 2\n", "tuple"),
    ],
)
def test_user_model_files_that_fail_give_one_line(capsys, tmp_path, source, name):
    path = tmp_path / f"{name}.py"
    path.write_text(source)
    _, err = _one_line_error(capsys, ["audit", f"{path}:build", "--input-shape", "1,1,4,4"], 2)
    assert str(path) in err  # the message names the user's file


def test_checkpoint_with_non_tensor_values_gives_one_line(capsys, tmp_path):
    import torch

    model = tmp_path / "net.py"
    model.write_text(
        "import torch\ndef build():\n    return torch.nn.ConvTranspose2d(1, 1, 3, 2)\n"
    )
    ckpt = tmp_path / "weights.pt"
    torch.save({"weight": "not a tensor", "bias": [1, 2]}, ckpt)
    argv = ["audit", f"{model}:build", "--input-shape", "1,1,4,4", "--checkpoint", str(ckpt)]
    _, err = _one_line_error(capsys, argv, 2)
    assert "weights.pt" in err


def test_report_refuses_an_invalid_notebook_naming_it(capsys, tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": 5, "nbformat": 4}')
    _, err = _one_line_error(
        capsys, ["report", "--notebooks", str(bad), "-o", str(tmp_path / "out")], 2
    )
    assert "broken.ipynb" in err and "not a valid notebook" in err


def test_size_and_solve_import_neither_torch_nor_pandas_nor_nbformat():
    code = (
        "import sys\n"
        "from artifact_lab.cli import main\n"
        "assert main(['size', '-n', '16', '-k', '3', '-s', '2']) == 0\n"
        "assert main(['solve', '16', '32']) == 0\n"
        "heavy = [m for m in ('torch', 'pandas', 'nbformat', 'scipy') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def test_the_program_alone_lists_every_command_and_says_its_version(capsys):
    from artifact_lab.cli import COMMANDS

    code, out, err = run(capsys)
    assert code == 0 and err == ""
    listed = [m.group(1) for m in re.finditer(r"^ {4}(\S+)", out, re.M)]
    assert listed == list(COMMANDS)
    assert "artifact-lab check" in out and "130" in out  # an example and the exit codes
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"artifact-lab {al.__version__}"


def test_check_answers_for_a_layer_written_as_in_torch_and_for_a_geometry(capsys):
    code, out, err = run(capsys, "check", "ConvTranspose2d(64, 32, 3, 2, 1, 1)")
    assert code == 0 and err == ""
    assert out.strip() == str(al.check_layer("ConvTranspose2d(64, 32, 3, 2, 1, 1)"))
    code, out, _ = run(capsys, "check", "-k", "3", "-s", "2", "-p", "1", "--output-padding", "1")
    assert code == 0
    assert out.strip() == str(al.check_layer(kernel_size=3, stride=2, padding=1, output_padding=1))
    assert "(2-D, 3x3 taps on 2x2 phases)" in out  # the dimension is named
    code, out, _ = run(capsys, "check", "-k", "3", "-s", "2", "--ndim", "1")
    assert code == 0 and "(1-D, 3 taps on 2 phases)" in out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["check"], "give the layer"),
        (["check", "Conv2d(1, 1, 3)"], "must build one of"),
        (["check", "ConvTranspose2d(1, 1, 3)", "-k", "3"], "not both"),
        (["check", "-k", "3", "-s", "0"], "stride"),
        (["check", "-k", "3", "-s", "2", "--ndim", "5"], "ndim"),
    ],
)
def test_check_refuses_bad_input_in_one_line(capsys, argv, needle):
    _, err = _one_line_error(capsys, argv, 2)
    assert needle in err and err.startswith("artifact-lab check: error:")


def test_the_same_layer_reads_the_same_in_solve_check_the_decision_table_and_the_audit(capsys):
    """k3/s2 in 2-D: one overlap contrast everywhere, and the column says its dimension."""
    import torch

    from artifact_lab.atlas.decision import decision_table

    code, out, _ = run(capsys, "solve", "16", "32", "--kernel-sizes", "3", "--strides", "2",
                       "--ndim", "2")  # fmt: skip
    header, row = out.splitlines()[:2]
    assert code == 0 and header.split()[-1] == "overlap_contrast_2d"
    solved = float(row.split()[-1])
    table = decision_table([3], [2], [1], ndim=2, seeds=range(2)).overlap_contrast.iloc[0]
    checked = al.check_layer(kernel_size=3, stride=2, padding=1, output_padding=1).overlap_contrast
    layer = torch.nn.ConvTranspose2d(1, 1, 3, 2, 1, 1)
    audited = al.audit(torch.nn.Sequential(layer), (1, 1, 16, 16), measure=False)
    assert solved == pytest.approx(table, abs=1e-4)
    assert table == checked == audited.layers[0].overlap_contrast == pytest.approx(4 / 3)
    # per-axis sizes mean the same as --ndim 2; one int is one axis, and says so
    code, out, _ = run(capsys, "solve", "16,16", "32,32", "--kernel-sizes", "3", "--strides", "2")
    assert out.splitlines()[1].split()[-1] == row.split()[-1]
    code, out, _ = run(capsys, "solve", "16", "32", "--kernel-sizes", "3", "--strides", "2")
    header, row = out.splitlines()[:2]
    assert header.split()[-1] == "overlap_contrast_1d"
    assert float(row.split()[-1]) == pytest.approx(al.overlap_contrast(3, 2, ndim=1), abs=1e-4)
    code, out, _ = run(capsys, "overlap", "-n", "8", "-k", "3", "-s", "2", "--ndim", "2")
    assert f"overlap_contrast (2-D): {4 / 3:.4f}" in out


def test_overlap_draws_its_map(capsys, tmp_path):
    for name, magic in (("map.png", b"\x89PNG"), ("map.svg", b"<?xml"), ("map.pdf", b"%PDF")):
        target = tmp_path / name
        code, out, err = run(capsys, "overlap", "-n", "8", "-k", "3", "-s", "2", "-o", str(target))
        assert code == 0 and err == "" and target.read_bytes().startswith(magic)
        assert str(target) in out
    svg = (tmp_path / "map.svg").read_text()
    assert "Overlap of a 1-D transposed convolution" in svg and "contrast 0.667" in svg
    code, _, _ = run(capsys, "overlap", "-n", "6", "-k", "3", "-s", "2", "--ndim", "2",
                     "-o", str(tmp_path / "m2.png"))  # fmt: skip
    assert code == 0
    for argv, needle in [
        (["-o", str(tmp_path / "map.txt")], ".png"),
        (["--ndim", "3", "-o", str(tmp_path / "m3.png")], "3-D"),
        (["-o", str(tmp_path / "missing" / "m.png")], "does not exist"),
    ]:
        _, err = _one_line_error(capsys, ["overlap", "-n", "4", "-k", "3", "-s", "2", *argv], 2)
        assert needle in err
    assert not (tmp_path / "missing").exists()


def test_a_file_output_in_a_missing_folder_is_refused_and_not_created(capsys, tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "x.csv"
    _, err = _one_line_error(capsys, ["solve", "16", "32", "-o", str(target)], 2)
    assert "does not exist" in err and not (tmp_path / "no").exists()


def test_solve_refuses_too_many_rows_before_building_any(capsys, monkeypatch):
    import artifact_lab.core.calculator as calculator

    def no_rows(*args, **kwargs):
        raise AssertionError("rows were built before the count was checked")

    monkeypatch.setattr(calculator, "_overlap_flags", no_rows)
    _, err = _one_line_error(capsys, ["solve", "16", "32", "--kernel-sizes", "1-100000"], 2)
    assert "more than 1000000 configurations" in err


@given(
    base=st.integers(-20, 40),
    op_hi=st.integers(0, 8),
    p_max=st.integers(0, 20),
    p_set=st.none() | st.sets(st.integers(0, 25), max_size=6),
    op_set=st.none() | st.sets(st.integers(0, 9), max_size=6),
)
def test_the_row_count_is_the_number_of_rows(base, op_hi, p_max, p_set, op_set):
    from artifact_lab.core.calculator import _count_paddings, _paddings

    rows = list(_paddings(base, op_hi, p_max, p_set, op_set))
    assert _count_paddings(base, op_hi, p_max, p_set, op_set) == len(rows)


def test_sweep_passes_the_time_and_memory_bounds(capsys, tmp_path, monkeypatch):
    import importlib

    sweep_module = importlib.import_module("artifact_lab.atlas.sweep")
    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        return pd.DataFrame({"a": [1]})

    monkeypatch.setattr(sweep_module, "sweep", fake)
    out = str(tmp_path / "a.csv")
    base = ["sweep", "--kernel-sizes", "1-3", "--strides", "2", "-o", out, "--quiet"]
    assert main([*base, "--max-seconds", "30", "--memory-mb", "64"]) == 0
    assert seen["max_seconds"] == 30 and seen["memory_mb"] == 64
    assert main([*base, "--max-seconds", "none"]) == 0 and seen["max_seconds"] is None
    assert main(base) == 0 and seen["max_seconds"] == 600 and seen["memory_mb"] is None
    capsys.readouterr()
    _, err = _one_line_error(capsys, [*base, "--max-seconds", "-1"], 2)
    assert "max-seconds" in err


def test_sweep_refuses_a_plan_over_max_seconds_naming_the_option(capsys, tmp_path):
    argv = ["sweep", "--kernel-sizes", "1-40", "--strides", "1-8", "--seeds", "0-40",
            "--max-seconds", "0.001", "-o", str(tmp_path / "a.csv"), "--quiet"]  # fmt: skip
    _, err = _one_line_error(capsys, argv, 2)
    assert "max_seconds" in err and not (tmp_path / "a.csv").exists()


def test_report_outside_a_clone_says_where_the_notebooks_are(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # what an installed wheel sees: no notebooks/ here
    _, err = _one_line_error(capsys, ["report", "-o", str(tmp_path / "out")], 2)
    assert "not installed with the package" in err and "--notebooks" in err
