"""``artifact-lab inspect``: lines, page, exit codes."""

import numpy as np
import pytest
from PIL import Image

from artifact_lab.cli import inspect as _cli_inspect
from artifact_lab.cli import main


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    grid = np.tile([[1.0, 0.0], [0.0, 0.0]], (40, 40))
    for name, amp in (("gen", 0.06), ("real", 0.0)):
        (root / name).mkdir()
        for i in range(4):
            x = np.clip(0.5 + 0.12 * rng.standard_normal((80, 80)) + amp * grid, 0, 1)
            Image.fromarray((x * 255).round().astype(np.uint8)).save(root / name / f"{i}.png")
    return root


def test_one_line_per_period_and_a_page(folders, capsys, tmp_path):
    out_html = tmp_path / "page.html"
    code = main(
        [
            "inspect",
            str(folders / "gen"),
            "--reference",
            str(folders / "real"),
            "--html",
            str(out_html),
            "--quiet",
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    lines = out.strip().splitlines()
    assert (
        len(lines) == 1 and lines[0].startswith("grid period 2x2") and "the reference" in lines[0]
    )
    assert "<svg" in out_html.read_text()


def test_no_grid_is_one_line(folders, capsys):
    assert main(["inspect", str(folders / "real"), "--quiet"]) == 0
    out, _ = capsys.readouterr()
    assert out.strip().startswith("no periodic grid found") and len(out.strip().splitlines()) == 1


def test_named_periods(folders, capsys):
    assert main(["inspect", str(folders / "gen"), "--periods", "2x2,3", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("grid period 2x2")
    assert _cli_inspect.parse_periods("2, 4x1") == [2, (4, 1)]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["inspect", "/no/such/file.png"], 2, "does not exist"),
        (["inspect", "{gen}", "--periods", "2y"], 2, "--periods"),
        (["inspect", "{gen}", "--alpha", "2"], 2, "alpha"),
        (["inspect", "{gen}", "--html", "/proc/nope/x.html"], 2, "--html"),
        (["inspect", "{gen}", "--html", "{gen}"], 2, "is a folder"),
    ],
)
def test_failures_are_one_line_on_stderr(folders, capsys, argv, code, message):
    argv = [a.format(gen=folders / "gen") for a in argv]
    assert main([*argv, "--quiet"]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_output_path_is_checked_before_any_work(folders, capsys, monkeypatch):
    from artifact_lab.inspection import detect

    def boom(*args, **kwargs):
        raise AssertionError("inspect ran before the output path was checked")

    monkeypatch.setattr(detect, "inspect", boom)
    assert main(["inspect", str(folders / "gen"), "--html", "/proc/nope/x.html"]) == 2


def test_ctrl_c_is_130(folders, capsys, monkeypatch):
    from artifact_lab.inspection import detect

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(detect, "inspect", interrupted)
    assert main(["inspect", str(folders / "gen")]) == 130
    assert capsys.readouterr().err.strip() == "artifact-lab inspect: interrupted"


def test_progress_bar_goes_to_stderr(folders, capsys):
    assert main(["inspect", str(folders / "gen")]) == 0
    out, err = capsys.readouterr()
    assert "file" in err and "inspect" in err and "file/s" not in out
