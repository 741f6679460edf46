"""Build the report: execute the notebooks, render each to HTML and PDF, write the index.

Each notebook runs in a fresh kernel (nbclient) with its own folder as working directory
(:mod:`.execute`); nbconvert renders it with the code hidden by default and the figures
embedded as data URIs, and WeasyPrint prints a PDF from a plain, print-friendly rendering of
the same notebook (:mod:`.render`, from the jinja2 templates in ``templates/``).

A report is built in a temporary folder inside the output folder and its files are moved
into place only when every notebook succeeded: a failing notebook stops the report with its
name and the cell's error, and leaves the last good report as it was, never a mix of runs.
Ctrl-C does the same: the kernels are shut down and ``KeyboardInterrupt`` is raised.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._util.checks import check_bool, check_int
from .._util.io import write_atomic
from . import render
from .execute import (
    NotebookError,
    check_kernel,
    execute_many,
    execute_notebook,
    notebook_path,
    read_notebook,
)

__all__ = ["NotebookError", "ReportEntry", "build_report", "execute_notebook", "write_atomic"]


@dataclass(frozen=True)
class ReportEntry:
    """One rendered notebook.

    Attributes
    ----------
    notebook : Path
        The notebook file.
    title : str
        Its ``# `` heading (inline markdown kept).
    html, pdf : Path
        Where its page and PDF are in the output folder (``pdf`` is None without PDFs).
    seconds : float
        Time to execute and render it.
    finding : str
        What its cell tagged ``finding`` displays (markdown), or "".
    links : tuple of (str, str)
        ``(heading, anchor)`` of its markdown cells tagged ``index-link``.
    answer, answer_title, answer_anchor : str
        What its cell tagged ``answer`` displays (HTML, shown at the top of the index), the
        heading of the section it answers and that heading's anchor; "" when none.
    """

    notebook: Path
    title: str
    html: Path
    pdf: Path | None
    seconds: float
    finding: str = ""
    links: tuple[tuple[str, str], ...] = ()
    answer: str = ""
    answer_title: str = ""
    answer_anchor: str = ""


def _duration(seconds: float) -> str:
    """``"42 s"``, ``"3 min 05 s"``."""
    seconds = round(seconds)
    return f"{seconds} s" if seconds < 60 else f"{seconds // 60} min {seconds % 60:02d} s"


def build_report(
    notebooks: Path | Sequence[Path] = Path("notebooks"),
    out_dir: Path = Path("reports"),
    *,
    pdf: bool = True,
    show_code: bool = False,
    timeout: int = 3600,
    kernel_name: str = "python3",
    progress: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> list[ReportEntry]:
    """Execute notebooks and write ``<name>.html``, ``<name>.pdf`` and ``index.html``.

    Every notebook is read and validated first; the report is built in a temporary folder
    inside ``out_dir`` and its files replace the old ones only when every notebook
    succeeded, so ``out_dir`` holds either the last good report or the new one, never a
    mix of two runs.

    Parameters
    ----------
    notebooks : path or sequence of paths
        A folder (every ``*.ipynb`` in it, sorted by name) or explicit notebook files. The
        project's notebooks are the ``notebooks/`` folder of its repository; they are not
        installed with the package.
    out_dir : path
        Where the report goes (created if missing).
    pdf : bool
        Also print a PDF of each notebook with WeasyPrint.
    show_code : bool
        Keep the code cells in the HTML and PDF (hidden by default).
    timeout : int
        Seconds allowed per cell (default an hour: a training cell on two busy cores
        takes minutes; the limit is there to stop a cell that hangs).
    progress : callable, optional
        Called with each progress line (default: print to stderr): when a notebook starts,
        every minute while it runs (which cell, how long so far), when it has executed, when
        it is rendered, and once the report is in place. A line names a file only once the
        file is there.
    jobs : int
        Notebooks executed at the same time, each in its own kernel (rendering follows in
        order). The first one to fail stops the others.

    Returns
    -------
    list of ReportEntry

    Raises
    ------
    ValueError
        Missing notebooks or a file that is not a valid notebook (named), before any work.
    NotebookError
        When a notebook fails: names it and the cell; ``out_dir`` stays as it was.
    KeyboardInterrupt
        On Ctrl-C, once every kernel is shut down; ``out_dir`` stays as it was.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import nbformat
    >>> folder = Path(tempfile.mkdtemp())
    >>> nb = nbformat.v4.new_notebook()
    >>> nb.cells = [nbformat.v4.new_markdown_cell("# One"), nbformat.v4.new_code_cell("1 + 1")]
    >>> nbformat.write(nb, folder / "01_one.ipynb")
    >>> out = folder / "out"  # a kernel and the explorer page: seconds, run by tests/report
    >>> entries = build_report(folder, out, pdf=False, progress=print)  # doctest: +SKIP
    [1/1] 01_one.ipynb: executing ...
    [1/1] 01_one.ipynb: executed in 3 s
    [1/1] 01_one.ipynb: HTML rendered in 1 s
    report: 1 notebooks (HTML), explorer.html and index.html written to ... in 9 s; open ...
    >>> entries[0].title, sorted(p.name for p in out.iterdir())  # doctest: +SKIP
    ('One', ['01_one.html', 'explorer.html', 'index.html'])
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable or None, got {progress!r}")
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    pdf, show_code = check_bool("pdf", pdf), check_bool("show_code", show_code)
    timeout = check_int("timeout", timeout, minimum=1)
    jobs = check_int("jobs", jobs, minimum=1)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a folder path, got {out_dir!r}")
    paths = _notebook_paths(notebooks)
    check_kernel(kernel_name)
    books = [read_notebook(p) for p in paths]  # a corrupt file stops us before any work
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(out_dir)
    had_report = (out_dir / "index.html").is_file()
    begin = time.perf_counter()
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        n = len(paths)
        seconds: dict[int, float] = {}

        def started(i: int) -> None:
            say(f"[{i + 1}/{n}] {paths[i].name}: executing ...")

        def running(i: int, where: str, spent: float) -> None:
            say(f"[{i + 1}/{n}] {paths[i].name}: still executing, {where}, {_duration(spent)}")

        def finished(i: int, spent: float) -> None:
            seconds[i] = spent
            say(f"[{i + 1}/{n}] {paths[i].name}: executed in {_duration(spent)}")

        try:
            books = execute_many(
                list(zip(paths, books, strict=True)),
                timeout=timeout,
                kernel_name=kernel_name,
                jobs=jobs,
                started=started,
                finished=finished,
                running=running,
            )
        except NotebookError as exc:
            raise NotebookError(f"{exc}; {_kept(had_report, out_dir)}") from None
        entries = []
        for i, (path, nb) in enumerate(zip(paths, books, strict=True), 1):
            start = time.perf_counter()
            title = render.title(nb, path.stem)
            html_path = out_dir / f"{path.stem}.html"
            pdf_name = f"{path.stem}.pdf" if pdf else None
            page = render.page_html(nb, show_code=show_code, title_text=title, pdf_name=pdf_name)
            write_atomic(build / html_path.name, page)
            pdf_path = None
            if pdf:
                pdf_path = out_dir / f"{path.stem}.pdf"
                printed = render.pdf_bytes(nb, title, show_code=show_code)
                write_atomic(build / pdf_path.name, printed)
            spent = seconds[i - 1] + time.perf_counter() - start
            heading, anchor, shown = render.answer(nb)
            entries.append(
                ReportEntry(
                    path,
                    title,
                    html_path,
                    pdf_path,
                    spent,
                    render.finding(nb),
                    render.links(nb),
                    shown,
                    heading,
                    anchor,
                )
            )
            what = "HTML and PDF" if pdf else "HTML"
            took = _duration(time.perf_counter() - start)
            say(f"[{i}/{n}] {path.name}: {what} rendered in {took}")
        from ..explorer.page import write_explorer

        write_explorer(build / "explorer.html")  # the interactive explorer, offline
        write_atomic(build / "index.html", render.index_page(entries))
        _swap_in(build, out_dir)  # only now, with every notebook done, does out_dir change
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_kept(had_report, out_dir)) from None
    finally:
        shutil.rmtree(build, ignore_errors=True)
    files = "HTML and PDF" if pdf else "HTML"
    say(
        f"report: {n} notebooks ({files}), explorer.html and index.html written to {out_dir} "
        f"in {_duration(time.perf_counter() - begin)}; open {out_dir / 'index.html'}"
    )
    return entries


def _notebook_paths(notebooks: object) -> list[Path]:
    if isinstance(notebooks, (str, os.PathLike)):
        folder = Path(notebooks)
        if not folder.exists():
            raise ValueError(
                f"notebooks folder {str(folder)!r} does not exist; the project's notebooks "
                "are the notebooks/ folder of its repository (they are not installed with the "
                "package): run from a clone, or pass that folder (artifact-lab report --notebooks)"
            )
        paths = sorted(folder.glob("*.ipynb")) if folder.is_dir() else [folder]
    elif isinstance(notebooks, Sequence):
        paths = [notebook_path("notebooks", p) for p in notebooks]
    else:
        raise TypeError(f"notebooks must be a path or a sequence of paths, got {notebooks!r}")
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    if not paths:
        raise ValueError(f"no notebooks found in {notebooks!s}")
    return [notebook_path("notebooks", p) for p in paths]


def _kept(had_report: bool, out_dir: Path) -> str:
    """What the reader still has in ``out_dir`` after a failed or interrupted build."""
    if had_report:
        return f"the previous report is kept in {out_dir}"
    return f"no report was written to {out_dir}"


def _swap_in(build: Path, out_dir: Path) -> None:
    """Move every finished file into place (each rename is atomic; all are ready first)."""
    for item in sorted(build.iterdir()):
        os.replace(item, out_dir / item.name)


_STALE_BUILD_SECONDS = 3600.0  # no report takes an hour: an older build is a killed run's


def _remove_stale_builds(out_dir: Path) -> None:
    now = time.time()
    for item in [*out_dir.glob(".build-*"), *out_dir.glob(".*.tmp")]:
        with contextlib.suppress(OSError):
            if now - item.stat().st_mtime > _STALE_BUILD_SECONDS:
                if item.is_dir():
                    shutil.rmtree(item, ignore_errors=True)
                else:
                    item.unlink()
