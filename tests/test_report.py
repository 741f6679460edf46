"""Execute every notebook through the real report pipeline and check what it writes."""

import re
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
