"""The README's "Inspecting outputs" section runs and prints what it shows."""

import contextlib
import io
import re
import shlex
from pathlib import Path

from artifact_lab.cli import main

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
SECTION = re.search(r"## Inspecting outputs\n(.*?)\n## ", README, re.S).group(1)


def test_python_and_cli_examples_print_what_the_section_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, shown = re.search(r"```python\n(.*?)```\n\n```text\n(.*?)```", SECTION, re.S).groups()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "README", "exec"), {})
    assert buf.getvalue().strip() == shown.strip()
    block = re.search(r"```console\n(.*?)```", SECTION, re.S).group(1)
    examples = re.findall(r"^\$ artifact-lab ([^\n]*)\n(.*?)(?=^\$ |\Z)", block, re.S | re.M)
    assert examples
    for args, shown in examples:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(shlex.split(args)) == 0
        assert buf.getvalue().strip() == shown.strip(), args
    assert (tmp_path / "inspect.html").read_text().count("<svg") == 3
