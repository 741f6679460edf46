"""Execute every notebook through the real report pipeline and check what it writes."""

import os
import re
import time
from pathlib import Path

import nbformat
import pytest
from pypdf import PdfReader

from artifact_lab.report import NotebookError, build_report

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    lines = []
    entries = build_report(ROOT / "notebooks", out, progress=lines.append)
    return out, entries, lines


def test_notebooks_are_committed_without_outputs():
    assert NOTEBOOKS
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, path.name


def test_every_notebook_gets_html_and_pdf_and_an_index(report):
    out, entries, lines = report
    assert [e.notebook.name for e in entries] == [p.name for p in NOTEBOOKS]
    index = (out / "index.html").read_text()
    for path in NOTEBOOKS:
        assert (out / f"{path.stem}.html").is_file()
        assert (out / f"{path.stem}.pdf").is_file()
        assert f"{path.stem}.html" in index and f"{path.stem}.pdf" in index
    assert sum("ok in" in line for line in lines) == len(NOTEBOOKS)
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*"))


def test_html_is_self_contained_with_images_and_tables(report):
    out, _, _ = report
    for path in NOTEBOOKS:
        html = (out / f"{path.stem}.html").read_text()
        assert re.search(r'<img[^>]+src="data:image/png;base64,', html), path.name
        assert "<table" in html, path.name
        assert "Traceback" not in html and 'class="ansi-red-fg"' not in html
        assert "import artifact_lab as al" not in html  # code hidden by default


def test_pdf_opens_with_pages_text_and_images(report):
    _, entries, _ = report
    for entry in entries:
        reader = PdfReader(str(entry.pdf))
        assert len(reader.pages) >= 1
        text = "".join(page.extract_text() for page in reader.pages)
        assert entry.title.split(":")[0][:10] in text
        assert sum(len(page.images) for page in reader.pages) >= 1


def test_a_failing_notebook_names_itself_and_the_cell_and_keeps_old_files(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Broken"),
        nbformat.v4.new_code_cell("x = 1"),
        nbformat.v4.new_code_cell("raise ValueError('deliberate failure')"),
    ]
    src = tmp_path / "nb"
    src.mkdir()
    nbformat.write(nb, src / "99_broken.ipynb")
    out = tmp_path / "out"
    out.mkdir()
    (out / "99_broken.html").write_text("previous report")
    with pytest.raises(
        NotebookError, match=r"99_broken.ipynb: cell 3 failed: ValueError: deliberate"
    ):
        build_report(src, out, progress=lambda _: None)
    assert (out / "99_broken.html").read_text() == "previous report"
    assert sorted(p.name for p in out.iterdir()) == ["99_broken.html"]


def _notebook(folder, name, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in sources]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def test_a_failed_report_keeps_the_last_good_set_never_a_mix(tmp_path):
    src, out = tmp_path / "nb", tmp_path / "out"
    src.mkdir()
    first = _notebook(src, "01_first", "print('run one')")
    second = _notebook(src, "02_second", "print('run one')")
    stale = out / ".build-of-a-killed-run"  # left by a report killed an hour ago
    stale.mkdir(parents=True)
    (stale / "01_first.html").write_text("half a report")
    os.utime(stale, (time.time() - 7200,) * 2)
    build_report([first, second], out, pdf=False, progress=lambda _: None)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(before) == {"01_first.html", "02_second.html", "index.html"}
    _notebook(src, "01_first", "print('run two')")  # would succeed with new output ...
    _notebook(src, "02_second", "raise RuntimeError('broken in run two')")  # ... this fails
    with pytest.raises(NotebookError, match=r"02_second.ipynb: cell 2 failed: RuntimeError.*kept"):
        build_report([first, second], out, pdf=False, progress=lambda _: None)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # run one, whole


def test_a_cell_timeout_is_one_clean_line(tmp_path):
    slow = _notebook(tmp_path, "slow", "x = 1", "import time\ntime.sleep(60)")
    with pytest.raises(NotebookError) as err:
        build_report([slow], tmp_path / "out", pdf=False, timeout=2, progress=lambda _: None)
    message = str(err.value)
    assert message.startswith("slow.ipynb: cell 3 timed out after 2 s") and "\n" not in message
    assert "---" not in message


def test_a_corrupt_notebook_is_named_before_anything_runs(tmp_path):
    good = _notebook(tmp_path, "good", "print(1)")
    bad = tmp_path / "bad.ipynb"
    bad.write_text('{"cells": 5}')
    lines = []
    with pytest.raises(ValueError, match=r"bad\.ipynb' is not a valid notebook"):
        build_report([good, bad], tmp_path / "out", pdf=False, progress=lines.append)
    assert lines == []  # refused before executing the good one
    bad.write_text("not json at all")
    with pytest.raises(ValueError, match=r"bad\.ipynb' is not a valid notebook"):
        build_report([bad], tmp_path / "out", pdf=False, progress=lines.append)
