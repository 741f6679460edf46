"""The README's examples are run and their shown output compared, so it cannot go stale."""

import contextlib
import io
import re
import shlex
from pathlib import Path

from artifact_lab.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_python_example_prints_what_the_readme_shows():
    code, shown = re.search(r"```python\n(.*?)```\n\n```text\n(.*?)```", README, re.S).groups()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, "README", "exec"), {})
    assert buf.getvalue().strip() == shown.strip()


def test_cli_examples_print_what_the_readme_shows():
    block = re.search(r"```console\n(.*?)```", README, re.S).group(1)
    examples = re.findall(r"^\$ artifact-lab ([^\n]*)\n(.*?)(?=^\$ |\Z)", block, re.S | re.M)
    assert len(examples) >= 2
    for args, shown in examples:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            assert main(shlex.split(args)) == 0
        assert buf.getvalue().strip() == shown.strip(), args
