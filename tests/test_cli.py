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
