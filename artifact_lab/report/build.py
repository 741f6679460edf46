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
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import nbformat

from .._util.checks import check_bool, check_int
from .._util.io import write_atomic

__all__ = ["NotebookError", "ReportEntry", "build_report", "execute_notebook", "write_atomic"]

# the page's own .jp-RenderedHTMLCommon prefix outranks JupyterLab's right-aligned th/td rules
_SHARED_CSS = """
table.al-table { border-collapse: collapse; margin: 0.6em 0; font-size: 8pt; }
.al-caption { text-align: left; font-size: 8.5pt; font-style: italic; margin: 0.6em 0 0 0; }
table.al-table th, .jp-RenderedHTMLCommon table.al-table th { border-bottom: 1.5px solid #444;
  padding: 2px 6px; text-align: left; vertical-align: bottom; font-weight: 600;
  white-space: normal; }
table.al-table td, .jp-RenderedHTMLCommon table.al-table td { border-bottom: 0.5px solid #ccc;
  padding: 2px 6px; vertical-align: top; text-align: left; }
table.al-table th.num, .jp-RenderedHTMLCommon table.al-table th.num { text-align: right; }
table.al-table td.num, .jp-RenderedHTMLCommon table.al-table td.num { text-align: right;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
table.al-table td.text { text-align: left; overflow-wrap: break-word; }
table.al-table td.short { white-space: nowrap; }
.al-nav { font-size: 9pt; margin: 0 0 1em 0; }
.al-nav a { text-decoration: none; }
.al-print { display: none; }
@media print { .al-print { display: block; } .al-screen { display: none; } }
"""

_SCREEN_CSS = (
    _SHARED_CSS
    + """
main { max-width: 56rem; margin: 0 auto; }
.jp-RenderedSVG img, .jp-RenderedImage img { max-width: 100%; height: auto; }
table.al-table { font-size: 13px; }
"""
)

_PRINT_CSS = (
    _SHARED_CSS
    + """
@page {
  size: A4; margin: 15mm 14mm 17mm 14mm;
  @bottom-left { content: string(doctitle); font-family: "DejaVu Sans", sans-serif;
    font-size: 7.5pt; color: #666; }
  @bottom-right { content: counter(page) " / " counter(pages); font-family: "DejaVu Sans",
    sans-serif; font-size: 8pt; color: #666; }
}
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; line-height: 1.4; margin: 0; }
h1 { font-size: 16pt; margin: 0 0 0.5em 0; string-set: doctitle content(); }
h2 { font-size: 12.5pt; margin: 1.1em 0 0.4em 0; }
h3 { font-size: 11pt; margin: 1em 0 0.3em 0; }
h1, h2, h3, h4 { break-after: avoid; }
p, li { orphans: 3; widows: 3; }
.jp-MarkdownCell { break-after: avoid; }
img { max-width: 100%; height: auto; break-inside: avoid; }
.jp-RenderedSVG, .jp-RenderedImage { break-inside: avoid; margin: 0.3em 0; }
table { break-inside: auto; }
.al-keep { break-inside: avoid; }
.al-caption { break-after: avoid; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 8pt; background: #f6f6f6;
  padding: 4px 6px; margin: 0.4em 0; }
code { font-size: 0.92em; }
table.dataframe { border-collapse: collapse; font-size: 7.5pt; }
table.dataframe th, table.dataframe td { border: 0.5px solid #bbb; padding: 1px 4px; }
.anchor-link { display: none; }
.jp-InputPrompt, .jp-OutputPrompt, .jp-Collapser { display: none; }
a { color: #1a4f8b; }
"""
)


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
    finding: str = ""
    links: tuple[tuple[str, str], ...] = ()


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
    """Execute one notebook (see :func:`_execute_many`)."""
    return _execute_many([(path, nb)], timeout=timeout, kernel_name=kernel_name, jobs=1)[0]


def _execute_many(
    books: Sequence[tuple[Path, nbformat.NotebookNode]],
    *,
    timeout: int,
    kernel_name: str,
    jobs: int,
    started: Callable[[int], None] | None = None,
    finished: Callable[[int, float], None] | None = None,
) -> list[nbformat.NotebookNode]:
    """Execute notebooks, up to ``jobs`` at a time, each in a fresh kernel in its own folder.

    The kernels are separate processes; this process only relays their messages, in one
    event loop, so that Ctrl-C interrupts every running cell (instead of nbclient's handler,
    which kills a kernel mid-cell and then fails in its own cleanup). The first notebook to
    fail stops the others. ``started(i)`` and ``finished(i, seconds)`` report progress.
    """
    from nbclient.util import run_sync

    try:
        return run_sync(_run_all)(books, timeout, kernel_name, jobs, started, finished)
    except _Interrupted:  # raised inside the loop as an Exception, so every kernel stopped
        raise KeyboardInterrupt from None


class _Interrupted(Exception):
    """Ctrl-C reached a running notebook (a KeyboardInterrupt once the loop has unwound)."""


async def _run_all(books, timeout, kernel_name, jobs, started, finished):
    import asyncio

    gate = asyncio.Semaphore(jobs)
    running: list = []
    interrupted: list = []

    async def one(i: int, path: Path, nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
        async with gate:
            if started is not None:
                started(i)
            start = time.perf_counter()
            nb = await _execute_one(nb, path, timeout, kernel_name, running, interrupted)
            if finished is not None:
                finished(i, time.perf_counter() - start)
            return nb

    tasks = [asyncio.ensure_future(one(i, p, nb)) for i, (p, nb) in enumerate(books)]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        failed = [t for t in tasks if t.done() and not t.cancelled() and t.exception()]
        if failed:
            raise failed[0].exception()
        return [t.result() for t in tasks]
    finally:
        for t in tasks:
            t.cancel()  # the others stop: their kernels shut down as they unwind
        await asyncio.gather(*tasks, return_exceptions=True)


async def _execute_one(nb, path, timeout, kernel_name, running, interrupted):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    cells: list[int] = []

    def on_cell_start(cell, cell_index: int) -> None:
        cells.append(cell_index)
        _catch_interrupt(running, interrupted)  # again: a finished client removes it

    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=kernel_name,
        resources={"metadata": {"path": str(path.parent)}},
        # the kernel's start-up warnings are not the notebook's business
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        on_cell_start=on_cell_start,
    )
    running.append(client)
    try:
        # the kernel's own log (a ZMQ traceback when it is stopped mid-message) would
        # interleave with the one-line error: cells' output reaches the notebook anyway
        await client.async_execute(stderr=subprocess.DEVNULL)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        if interrupted:
            raise _Interrupted from None
        index = next(
            (i for i, c in enumerate(nb.cells) if c.cell_type == "code" and _failed(c)),
            cells[-1] if cells else None,
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
        raise _Interrupted from None
    finally:
        running.remove(client)
    if interrupted:
        raise _Interrupted
    return nb


def _catch_interrupt(running: list, interrupted: list) -> None:
    """On Ctrl-C, interrupt every running cell and remember it."""
    import asyncio
    import inspect
    import signal

    def on_sigint() -> None:
        interrupted.append(True)
        for client in list(running):
            result = client.km.interrupt_kernel()
            if inspect.isawaitable(result):
                interrupted.append(asyncio.ensure_future(result))  # kept: must not vanish

    with contextlib.suppress(RuntimeError, NotImplementedError, ValueError):
        asyncio.get_event_loop().add_signal_handler(signal.SIGINT, on_sigint)


def _failed(cell: nbformat.NotebookNode) -> bool:
    return any(o.get("output_type") == "error" for o in cell.get("outputs", []))


# Template blocks shared by the HTML page and the PDF body: figures carry their alt text
# (the figure's title) and the size and smallest font the house style recorded.
_FIGURE_BLOCKS = r"""
{% block data_svg scoped -%}
{%- set md = output.metadata.get('image/svg+xml', {}) -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
<img src="data:image/svg+xml;base64,{{ output.data['image/svg+xml'] | text_base64 }}"
 alt="{{ md.get('alt', '') | escape_html }}" data-min-font-pt="{{ md.get('min_font_pt', '') }}"
 data-width-in="{{ md.get('width_in', '') }}">
</div>
{%- endblock data_svg %}
{% block data_png scoped -%}
{%- set md = output.metadata.get('image/png', {}) -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
 alt="{{ md.get('alt', '') | escape_html }}"
{%- if md.get('width') %} width="{{ md.get('width') }}"{% endif %}>
</div>
{%- endblock data_png %}
"""

_PAGE_TEMPLATE = (
    r"""{%- extends 'index.html.j2' -%}
{% block html_head_js_requirejs %}{% endblock %}
{% block html_head_js_mathjax %}{% if resources.al_math %}{{ super() }}{% endif %}{% endblock %}
{% block html_head_js_mermaidjs %}{% endblock %}
{% block jupyter_widgets %}{% endblock %}
{% block extra_css %}<style type="text/css">{{ resources.al_css }}</style>{% endblock %}
{% block body_header %}{{ super() }}{{ resources.al_nav }}{% endblock %}
"""
    + _FIGURE_BLOCKS
)

_BODY_TEMPLATE = r"{%- extends 'base.html.j2' -%}" + _FIGURE_BLOCKS

_MATH = re.compile(r"(?<![\\$])\$[^$\n]+\$|\$\$|\\\(|\\\[")


def _needs_math(nb: nbformat.NotebookNode) -> bool:
    return any(c.cell_type == "markdown" and _MATH.search(c.source) for c in nb.cells)


def _exporter(template: str, *, show_code: bool):
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[DictLoader({"al.html.j2": template})],
        template_file="al.html.j2",
        exclude_input=not show_code,
        embed_images=True,
    )
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def _nav(pdf_name: str | None = None) -> str:
    pdf = f" · <a href='{html.escape(pdf_name)}'>PDF version</a>" if pdf_name else ""
    back = "<a href='index.html'>← artifact_lab report: all notebooks</a>"
    return f"<nav class='al-nav'>{back}{pdf}</nav>"


def _render_html(
    nb: nbformat.NotebookNode,
    *,
    show_code: bool,
    title: str | None = None,
    pdf_name: str | None = None,
) -> str:
    """The self-contained HTML page: the notebook's title, no script from the network
    (MathJax only when a markdown cell has math), a link back to the index."""
    exporter = _exporter(_PAGE_TEMPLATE, show_code=show_code)
    resources = {
        "metadata": {"name": _plain(title or _title(nb, "Notebook"))},
        "al_css": _SCREEN_CSS,
        "al_nav": _nav(pdf_name),
        "al_math": _needs_math(nb),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _print_html(nb: nbformat.NotebookNode, title: str, *, show_code: bool) -> str:
    """The page WeasyPrint prints: the notebook's cells in a plain A4 layout."""
    body, _ = _exporter(_BODY_TEMPLATE, show_code=show_code).from_notebook_node(nb)
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(_plain(title))}</title><style>{_PRINT_CSS}</style></head>"
        f"<body>{_nav()}{body}</body></html>"
    )


def _layout_pdf(nb: nbformat.NotebookNode, title: str, *, show_code: bool):
    """WeasyPrint's laid-out document (pages and boxes) of the printed notebook."""
    from weasyprint import HTML

    page = _print_html(nb, title, show_code=show_code)
    return HTML(string=page, url_fetcher=_offline_fetcher()).render()


def _render_pdf(nb: nbformat.NotebookNode, title: str, *, show_code: bool) -> bytes:
    return _layout_pdf(nb, title, show_code=show_code).write_pdf()


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


def _finding(nb: nbformat.NotebookNode) -> str:
    """The text the cell tagged ``finding`` displays (markdown), or "" when there is none."""
    for cell in nb.cells:
        if cell.cell_type != "code" or "finding" not in cell.metadata.get("tags", []):
            continue
        parts = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/markdown" in data:
                parts.append(data["text/markdown"])
            elif "text/plain" in data:
                parts.append(data["text/plain"])
            elif out.get("output_type") == "stream":
                parts.append(out.get("text", ""))
        return " ".join(p.strip() for p in parts if p.strip())
    return ""


def _links(nb: nbformat.NotebookNode) -> tuple[tuple[str, str], ...]:
    """``(heading text, anchor id)`` of the markdown cells tagged ``index-link``."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "index-link" in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    text = line.lstrip("#").strip()
                    plain = re.sub(r"[`*_]", "", text)
                    # nbconvert's heading ids: spaces become dashes, then URL-quoted
                    out.append((text, quote(plain.replace(" ", "-"), safe="?/:@!$&'()*+,;=")))
                    break
    return tuple(out)


def _inline_markdown(text: str) -> str:
    """Inline markdown (code, bold, italic) as HTML; no block structure, so "1. Title"
    stays a title and not a list."""
    out = html.escape(text, quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    return re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", out)


def _plain(text: str) -> str:
    """Markdown inline marks removed: for ``<title>`` and PDF metadata."""
    return re.sub(r"[`*]", "", text)


def _index(entries: Sequence[ReportEntry]) -> str:
    items = []
    for e in entries:
        pdf = f" · <a href='{html.escape(e.pdf.name)}'>PDF</a>" if e.pdf else ""
        links = "".join(
            f"<p class='jump'>→ <a href='{html.escape(e.html.name)}#{html.escape(a)}'>"
            f"{_inline_markdown(t)}</a>"
            + (f" (<a href='{html.escape(e.pdf.name)}#{html.escape(a)}'>PDF</a>)" if e.pdf else "")
            + "</p>"
            for t, a in e.links
        )
        finding = (
            f"<p class='finding'>{_inline_markdown(e.finding)}</p>"
            if e.finding
            else "<p class='finding missing'>(no finding cell)</p>"
        )
        items.append(
            f"<li><h2><a href='{html.escape(e.html.name)}'>{_inline_markdown(e.title)}</a></h2>"
            f"<p class='meta'><a href='{html.escape(e.html.name)}'>HTML</a>{pdf} · "
            f"{html.escape(e.notebook.name)} · executed in {e.seconds:.0f} s</p>"
            f"{finding}{links}</li>"
        )
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    total = sum(e.seconds for e in entries)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>artifact_lab report</title>
<style>
body {{ font-family: "DejaVu Sans", sans-serif; max-width: 50em; margin: 2em auto;
  padding: 0 1em; line-height: 1.45; color: #222; }}
ol {{ padding-left: 0; list-style: none; }}
li {{ margin: 0 0 1.4em 0; }}
h2 {{ font-size: 1.15em; margin: 0 0 0.2em 0; }}
.meta {{ font-size: 0.85em; color: #666; margin: 0 0 0.3em 0; }}
.finding {{ margin: 0; }}
.jump {{ margin: 0.3em 0 0 0; font-weight: 600; }}
code {{ font-size: 0.92em; }}
</style></head>
<body><h1>artifact_lab report</h1>
<p>Checkerboard artifacts of transposed convolutions and their alternatives. Every notebook
was executed from scratch on {html.escape(stamp)} ({total:.0f} s in all); each entry gives its
finding in one line and links to the page (HTML) and its print version (PDF).</p>
<p><a href='explorer.html'>Explorer</a>: any layer's overlap, phase gains and scores, offline.</p>
<ol>
{chr(10).join(items)}
</ol></body></html>
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
    """
    if progress is not None and not callable(progress):
        raise TypeError(f"progress must be a callable or None, got {progress!r}")
    say = progress or (lambda line: print(line, file=sys.stderr, flush=True))
    pdf, show_code = check_bool("pdf", pdf), check_bool("show_code", show_code)
    timeout = check_int("timeout", timeout, minimum=1)
    jobs = check_int("jobs", jobs, minimum=1)
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
        n = len(paths)
        seconds: dict[int, float] = {}

        def started(i: int) -> None:
            say(f"[{i + 1}/{n}] {paths[i].name}: executing ...")

        def finished(i: int, spent: float) -> None:
            seconds[i] = spent

        try:
            books = _execute_many(
                list(zip(paths, books, strict=True)),
                timeout=timeout,
                kernel_name=kernel_name,
                jobs=jobs,
                started=started,
                finished=finished,
            )
        except NotebookError as exc:
            old = any(not p.name.startswith(".") for p in out_dir.iterdir())
            kept = "the previous report is kept" if old else "nothing was written"
            raise NotebookError(f"{exc}; {kept} in {out_dir}") from None
        entries = []
        for i, (path, nb) in enumerate(zip(paths, books, strict=True), 1):
            start = time.perf_counter()
            title = _title(nb, path.stem)
            html_path = out_dir / f"{path.stem}.html"
            pdf_name = f"{path.stem}.pdf" if pdf else None
            page = _render_html(nb, show_code=show_code, title=title, pdf_name=pdf_name)
            write_atomic(build / html_path.name, page)
            pdf_path = None
            if pdf:
                pdf_path = out_dir / f"{path.stem}.pdf"
                write_atomic(build / pdf_path.name, _render_pdf(nb, title, show_code=show_code))
            spent = seconds[i - 1] + time.perf_counter() - start
            entries.append(
                ReportEntry(path, title, html_path, pdf_path, spent, _finding(nb), _links(nb))
            )
            say(f"[{i}/{n}] {path.name}: ok in {spent:.1f} s -> {html_path}")
        from ..explorer.page import write_explorer

        write_explorer(build / "explorer.html")  # the interactive explorer, offline
        write_atomic(build / "index.html", _index(entries))
        _swap_in(build, out_dir)  # only now, with every notebook done, does out_dir change
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
