import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

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
    for cmd in ([], ["size"], ["solve"], ["overlap"], ["report"], ["sweep"]):
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


def test_ctrl_c_during_report_is_one_line_and_exit_130(tmp_path):
    import os
    import signal
    import time

    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Slow"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(120)"),
    ]
    nbformat.write(nb, tmp_path / "slow.ipynb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "artifact_lab.cli",
            "report",
            "--notebooks",
            str(tmp_path / "slow.ipynb"),
            "-o",
            str(tmp_path / "out"),
            "--no-pdf",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.time() + 60
    line = proc.stdout.readline()  # "[1/1] slow.ipynb: executing ..."
    assert "executing" in line
    time.sleep(3)  # the kernel is running the cell
    os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends: the whole group
    _, err = proc.communicate(timeout=max(deadline - time.time(), 5))
    assert proc.returncode == 130, err
    assert err.strip() == "artifact-lab report: interrupted"
    assert not [p for p in (tmp_path / "out").iterdir()]  # nothing half-built is left


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
