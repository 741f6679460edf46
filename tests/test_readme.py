"""The README as a newcomer follows it: every code block and shell session runs and prints
what the README shows, so it cannot go stale; and the repository stands alone.

- ```python blocks run in order in one namespace; one followed by a ```text block must
  print exactly that text;
- ```console blocks are shell sessions: each ``$ artifact-lab ...`` line runs and must print
  the lines below it and exit 0;
- ```bash blocks are commands to type (``make report``, installs), not run here;
- a block preceded by ``<!-- not run: reason -->`` is skipped, with its reason.
"""

import contextlib
import io
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from artifact_lab.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
_BLOCK = re.compile(r"(<!-- not run: ([^>]*)-->\n)?```(\w+)\n(.*?)```\n", re.S)


def _blocks():
    """``(language, code, expected output or None, skip reason or None)`` in README order."""
    found = [
        (m.group(3), m.group(4), m.group(2), m.start(), m.end()) for m in _BLOCK.finditer(README)
    ]
    out = []
    for i, (lang, code, skip, _, end) in enumerate(found):
        if lang == "text":
            continue
        shown = None
        if i + 1 < len(found) and found[i + 1][0] == "text":
            between = README[end : found[i + 1][3]]
            if not between.strip():
                shown = found[i + 1][1]
        out.append((lang, code, shown, skip))
    return out


BLOCKS = _blocks()


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.strip("\n").splitlines()]


def test_the_readme_has_the_blocks_this_test_runs():
    langs = [lang for lang, *_ in BLOCKS]
    assert set(langs) <= {"python", "console", "bash"}, set(langs)
    assert langs.count("python") >= 4 and langs.count("console") >= 2
    skipped = [skip for *_, skip in BLOCKS if skip is not None]
    assert all(reason.strip() for reason in skipped) and len(skipped) <= 2


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Every python block run in order, in one namespace, in a fresh folder (the blocks write
    files there that the shell sessions read): ``(folder, [(number, code, shown, printed)])``."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    folder = tmp_path_factory.mktemp("readme")
    namespace: dict = {"__name__": "__readme__"}
    runs = []
    old = os.getcwd()
    os.chdir(folder)
    try:
        for number, (lang, code, shown, skip) in enumerate(BLOCKS):
            if lang != "python" or skip is not None:
                continue
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(compile(code, f"README block {number}", "exec"), namespace)
            runs.append((number, code, shown, buf.getvalue()))
    finally:
        os.chdir(old)
    return folder, runs


def test_every_python_block_runs_and_prints_what_the_readme_shows(readme_run):
    compared = 0
    for number, code, shown, printed in readme_run[1]:
        if shown is not None:
            assert _lines(printed) == _lines(shown), f"README block {number}:\n{code}"
            compared += 1
    assert compared >= 4


def test_every_shell_session_prints_what_the_readme_shows(monkeypatch, readme_run):
    monkeypatch.setenv("COLUMNS", "100")  # argparse's help: as wide as the README
    monkeypatch.chdir(readme_run[0])  # where the python blocks wrote their files
    sessions = [code for lang, code, _, skip in BLOCKS if lang == "console" and skip is None]
    commands = 0
    for session in sessions:
        examples = re.findall(r"^\$ ([^\n]*)\n(.*?)(?=^\$ |\Z)", session, re.S | re.M)
        assert examples and session.startswith("$ "), session
        for command, shown in examples:
            argv = shlex.split(command)
            assert argv[0] == "artifact-lab", f"only artifact-lab commands run here: {command}"
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                assert main(argv[1:]) == 0, command
            assert _lines(buf.getvalue()) == _lines(shown), command
            commands += 1
    assert commands >= 5


def test_the_quick_start_says_how_long_the_main_targets_take():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "make report" in quick and "make test" in quick
    assert "TIME_" not in README, "a time placeholder was left in the README"
    assert re.search(r"make report` then takes about \d+", quick)
    assert re.search(r"make test` takes about \d+", quick)
    assert "JOBS=" in quick and "TIMEOUT=" in quick


def test_the_first_section_answers_is_my_layer_fine():
    first = README.split("\n## ", 2)[1]
    assert first.startswith("Is my layer fine?") and "al.check_layer(" in first
    assert "artifact-lab check" in first and "dB" in first and "-34 dB" in first


def test_the_repository_stands_alone():
    """No pointer outside the repository, no issue numbers or branch names in what a reader
    reads (docs, help texts, benchmark notes); the license pyproject names is there."""
    docs = [ROOT / "README.md", *(ROOT / "docs").glob("*.md"), *(ROOT / "benchmarks").glob("*")]
    docs += [ROOT / "reports" / "README.md", *sorted((ROOT / "artifact_lab").rglob("*.py"))]
    for path in docs:
        if not path.is_file():
            continue
        text = path.read_text()
        for pattern in (r"DESIGN\.md", r"\.\./shared", r"\bissue \d+", r"\bbranch `"):
            assert not re.search(pattern, text, re.I), (path.relative_to(ROOT), pattern)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    ignored = (ROOT / ".gitignore").read_text().split()
    assert "build/" in ignored and "dist/" in ignored


def test_environment_yml_pins_torch_as_make_does():
    makefile = (ROOT / "Makefile").read_text()
    pinned = re.search(r"pip install --quiet torch==([\d.]+)", makefile).group(1)
    env = (ROOT / "environment.yml").read_text()
    assert re.search(rf"^\s*- pytorch=={re.escape(pinned)}\b", env, re.M), pinned


def test_help_on_the_package_is_fast_short_and_starts_with_an_example():
    code = (
        "import pydoc, sys, artifact_lab as al\n"
        "text = pydoc.render_doc(al, renderer=pydoc.plaintext)\n"
        "heavy = [m for m in ('torch', 'pandas', 'nbconvert', 'scipy') if m in sys.modules]\n"
        "print(len(text.splitlines()), heavy)\n"
        "print(text)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    first, text = res.stdout.split("\n", 1)
    lines, heavy = first.split(" ", 1)
    assert heavy == "[]", heavy  # help(al) loads nothing heavy
    assert int(lines) <= 100
    assert "al.check_layer(torch.nn.ConvTranspose2d(" in text and "Where to start" in text
    assert "_compat" not in text.split("PACKAGE CONTENTS")[0]
    import artifact_lab as al

    assert "check_layer" in dir(al) and len(dir(al)) > 40  # dir() itself is unchanged


@pytest.mark.parametrize("name", ["sweep", "audit", "overlap"])
def test_the_modules_behind_functions_of_the_same_name_are_reachable(name):
    """``al.sweep`` is the function; its module, with COLUMNS, is ``al.atlas.sweep``."""
    import artifact_lab as al

    assert callable(getattr(al, name))
    module = {"sweep": al.atlas.sweep, "audit": al.models.audit, "overlap": al.core.overlap}
    assert getattr(module[name], name) is getattr(al, name)
