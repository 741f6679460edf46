"""Execute the notebooks headlessly and render them to self-contained HTML and PDF.

Each notebook runs in a fresh kernel (nbclient) with its own folder as working directory;
nbconvert renders it with the code hidden by default and the figures embedded as data URIs;
WeasyPrint prints a PDF from a plain, print-friendly rendering of the same notebook.

A report is built in a temporary folder inside the output folder and its files are moved
into place only when every notebook succeeded: a failing notebook stops the report with its
name and the cell's error, and leaves the last good report as it was, never a mix of runs.
"""

from __future__ import annotations

import contextlib
import html
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ._checks import check_bool, check_int
from ._io import write_atomic

__all__ = ["NotebookError", "ReportEntry", "build_report", "execute_notebook", "write_atomic"]

_PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; @bottom-right { content: counter(page); font-size: 8pt; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.4; }
h1 { font-size: 17pt; } h2 { font-size: 13pt; margin-top: 1.2em; } h3 { font-size: 11pt; }
img { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 7pt; margin: 0.5em 0; max-width: 100%; }
th, td { border: 1px solid #bbb; padding: 2px 5px; text-align: right; }
pre { white-space: pre-wrap; font-size: 8pt; background: #f6f6f6; padding: 4px; }
.anchor-link { display: none; }
.jp-InputArea, .input, .jp-InputPrompt, .jp-OutputPrompt, .prompt { display: none; }
"""


class NotebookError(RuntimeError):
    """A notebook failed to execute; the message names the notebook, the cell and the error."""


@dataclass(frozen=True)
class ReportEntry:
    """One rendered notebook."""

    notebook: Path
    title: str
    html: Path
    pdf: Path | None
    seconds: float


def _title(nb: nbformat.NotebookNode, fallback: str) -> str:
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def execute_notebook(
    path: Path, *, timeout: int = 600, kernel_name: str = "python3"
) -> nbformat.NotebookNode:
    """Execute a notebook in a fresh kernel in its own folder; return it with outputs.

    Raises
    ------
    ValueError
        The file is not a valid notebook (the message names it).
    NotebookError
        Naming the notebook, the failing cell (1-based, markdown cells counted) and the
        error, on one line; a cell that runs past ``timeout`` seconds says so.
    """
    path = _notebook_path("path", path)
    timeout = check_int("timeout", timeout, minimum=1)
    _check_kernel(kernel_name)
    return _execute(_read_notebook(path), path, timeout=timeout, kernel_name=kernel_name)


def _notebook_path(name: str, path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path to a .ipynb file, got {path!r}")
    path = Path(path)
    if path.suffix != ".ipynb" or not path.is_file():
        raise ValueError(f"{name}: {str(path)!r} is not an existing .ipynb file")
    return path


def _check_kernel(kernel_name: object) -> None:
    """The Jupyter kernel must be installed: checked before anything runs."""
    if not isinstance(kernel_name, str) or not kernel_name:
        raise TypeError(f"kernel_name must be a kernel's name (a str), got {kernel_name!r}")
    from jupyter_client.kernelspec import KernelSpecManager

    known = KernelSpecManager().find_kernel_specs()
    if kernel_name not in known:
        raise ValueError(
            f"kernel_name {kernel_name!r} is not installed; installed: {sorted(known)}"
        )


def _read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read and validate a notebook; any problem is a ValueError that names the file."""
    try:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # not JSON, wrong schema, unreadable: all the user's file
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ValueError(f"notebook {str(path)!r} is not a valid notebook: {detail}") from None
    return nb


def _execute(
    nb: nbformat.NotebookNode, path: Path, *, timeout: int, kernel_name: str
) -> nbformat.NotebookNode:
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    started: list[int] = []
    interrupted: list[bool] = []

    def on_cell_start(cell, cell_index: int) -> None:
        started.append(cell_index)
        if len(started) == 1:
            _catch_interrupt(client, interrupted)

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's start-up warnings are not the notebook's business
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        on_cell_start=on_cell_start,
    )
    try:
        # the kernel's own log (a ZMQ traceback when it is stopped mid-message) would
        # interleave with the one-line error: cells' output reaches the notebook anyway
        client.execute(stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        if interrupted:
            raise KeyboardInterrupt from None
        index = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _failed(c)),
            started[-1] if started else None,
        )
        where = f"cell {index + 1}" if index is not None else "a cell"
        if isinstance(exc, CellTimeoutError):
            raise NotebookError(f"{path.name}: {where} timed out after {timeout} s") from None
        if isinstance(exc, DeadKernelError):
            raise NotebookError(f"{path.name}: the kernel died while running {where}") from None
        reason = getattr(exc, "ename", type(exc).__name__)
        detail = " ".join(str(getattr(exc, "evalue", "") or "").split())
        raise NotebookError(f"{path.name}: {where} failed: {reason}: {detail}") from None
    except AssertionError:
        # nbclient's own SIGINT handler (before the first cell) tears the kernel down and
        # then trips over its own cleanup: that is a Ctrl-C, not a notebook failure
        raise KeyboardInterrupt from None
    if interrupted:
        raise KeyboardInterrupt
    return nb


def _catch_interrupt(client, interrupted: list[bool]) -> None:
    """On Ctrl-C, interrupt the running cell and remember it (instead of nbclient's handler,
    which kills the kernel mid-cell and then fails in its own cleanup)."""
    import asyncio
    import inspect
    import signal

    def on_sigint() -> None:
        interrupted.append(True)
        result = client.km.interrupt_kernel()
        if inspect.isawaitable(result):
            interrupted.append(asyncio.ensure_future(result))  # kept: the task must not vanish

    with contextlib.suppress(RuntimeError, NotImplementedError, ValueError):
        asyncio.get_event_loop().add_signal_handler(signal.SIGINT, on_sigint)


def _failed(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


def _render_html(nb: nbformat.NotebookNode, *, show_code: bool) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", exclude_input=not show_code, embed_images=True)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    return body


def _render_pdf(nb: nbformat.NotebookNode, title: str, *, show_code: bool) -> bytes:
    from nbconvert import HTMLExporter
    from weasyprint import HTML

    exporter = HTMLExporter(template_name="basic", exclude_input=not show_code, embed_images=True)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    page = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_PRINT_CSS}</style></head><body>{body}</body></html>"
    )

    return HTML(string=page, url_fetcher=_offline_fetcher()).write_pdf()


def _offline_fetcher():
    """A WeasyPrint URL fetcher that refuses remote assets instead of hanging offline."""
    try:  # WeasyPrint >= 67
        from weasyprint.urls import URLFetcher

        return URLFetcher(allowed_protocols=("data", "file"))
    except ImportError:
        from weasyprint import default_url_fetcher

        def fetch(url: str, *args, **kwargs):
            if url.startswith(("data:", "file:")):
                return default_url_fetcher(url, *args, **kwargs)
            raise ValueError(f"remote resource refused while printing the report: {url}")

        return fetch


def _index(entries: Sequence[ReportEntry]) -> str:
    def pdf_link(e: ReportEntry) -> str:
        return f"<a href='{e.pdf.name}'>PDF</a>" if e.pdf else ""

    rows = "\n".join(
        f"<tr><td>{i}</td><td><a href='{e.html.name}'>{html.escape(e.title)}</a></td>"
        f"<td>{pdf_link(e)}</td>"
        f"<td>{html.escape(e.notebook.name)}</td><td>{e.seconds:.1f} s</td></tr>"
        for i, e in enumerate(entries, 1)
    )
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>artifact_lab report</title>
<style>body{{font-family:sans-serif;max-width:52em;margin:2em auto}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px}}</style></head>
<body><h1>artifact_lab report</h1>
<p>Checkerboard artifacts of transposed convolutions and their alternatives: every notebook
executed from scratch on {stamp}.</p>
<table><tr><th>#</th><th>Notebook</th><th>PDF</th><th>Source</th><th>Run time</th></tr>
{rows}
</table></body></html>
"""


def build_report(
    notebooks: Path | Sequence[Path] = Path("notebooks"),
    out_dir: Path = Path("reports"),
    *,
    pdf: bool = True,
    show_code: bool = False,
    timeout: int = 600,
    kernel_name: str = "python3",
    progress: Callable[[str], None] | None = None,
) -> list[ReportEntry]:
    """Execute notebooks and write ``<name>.html``, ``<name>.pdf`` and ``index.html``.

    Every notebook is read and validated first; the report is built in a temporary folder
    inside ``out_dir`` and its files replace the old ones only when every notebook
    succeeded, so ``out_dir`` holds either the last good report or the new one, never a
    mix of two runs.

    Parameters
    ----------
    notebooks : path or sequence of paths
        A folder (every ``*.ipynb`` in it, sorted by name) or explicit notebook files.
    out_dir : path
        Where the report goes (created if missing).
    pdf : bool
        Also print a PDF of each notebook with WeasyPrint.
    show_code : bool
        Keep the code cells in the HTML and PDF (hidden by default).
    timeout : int
        Seconds allowed per cell.
    progress : callable, optional
        Called with one line per notebook (default: print to stderr).

    Returns
    -------
    list of ReportEntry

    Raises
    ------
    ValueError
        Missing notebooks or a file that is not a valid notebook (named), before any work.
    NotebookError
        When a notebook fails: names it and the cell; ``out_dir`` stays as it was.
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable or None, got {progress!r}")
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    pdf, show_code = check_bool("pdf", pdf), check_bool("show_code", show_code)
    timeout = check_int("timeout", timeout, minimum=1)
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a folder path, got {out_dir!r}")
    if isinstance(notebooks, (str, os.PathLike)):
        folder = Path(notebooks)
        if not folder.exists():
            raise ValueError(f"notebooks folder {str(folder)!r} does not exist")
        paths = sorted(folder.glob("*.ipynb")) if folder.is_dir() else [folder]
    elif isinstance(notebooks, Sequence):
        paths = [Path(_notebook_path("notebooks", p)) for p in notebooks]
    else:
        raise TypeError(f"notebooks must be a path or a sequence of paths, got {notebooks!r}")
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts]
    if not paths:
        raise ValueError(f"no notebooks found in {notebooks!s}")
    for p in paths:
        _notebook_path("notebooks", p)
    _check_kernel(kernel_name)
    books = [_read_notebook(p) for p in paths]  # a corrupt file stops us before any work
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(out_dir)
    build = Path(tempfile.mkdtemp(prefix=".build-", dir=out_dir))
    try:
        entries = []
        for i, (path, nb) in enumerate(zip(paths, books, strict=True), 1):
            say(f"[{i}/{len(paths)}] {path.name}: executing ...")
            start = time.perf_counter()
            try:
                nb = _execute(nb, path, timeout=timeout, kernel_name=kernel_name)
            except NotebookError as exc:
                old = any(not p.name.startswith(".") for p in out_dir.iterdir())
                kept = "the previous report is kept" if old else "nothing was written"
                raise NotebookError(f"{exc}; {kept} in {out_dir}") from None
            title = _title(nb, path.stem)
            write_atomic(build / f"{path.stem}.html", _render_html(nb, show_code=show_code))
            pdf_path = None
            if pdf:
                pdf_path = out_dir / f"{path.stem}.pdf"
                write_atomic(build / pdf_path.name, _render_pdf(nb, title, show_code=show_code))
            seconds = time.perf_counter() - start
            html_path = out_dir / f"{path.stem}.html"
            entries.append(ReportEntry(path, title, html_path, pdf_path, seconds))
            say(f"[{i}/{len(paths)}] {path.name}: ok in {seconds:.1f} s -> {html_path}")
        write_atomic(build / "index.html", _index(entries))
        _swap_in(build, out_dir)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    say(f"report: {out_dir / 'index.html'}")
    return entries


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
