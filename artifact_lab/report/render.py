"""Render executed notebooks: the web page, the printed PDF and the index page.

Every page comes from a jinja2 template in ``templates/`` (shipped with the package): the
notebook pages and their printed bodies through nbconvert's ``lab`` templates, the index and
the print wrapper through an environment that escapes every value (autoescape), so a title
such as ``A & <b>`` reaches the page as text. Only HTML built here on purpose (a notebook's
own output, inline markdown turned into ``<code>``/``<em>``) is marked safe.
"""

from __future__ import annotations

import base64
import functools
import html
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import nbformat

# build_report is the public entry point; the functions here serve it (an executed notebook
# in, HTML or PDF out) and take its already checked arguments
__all__ = ["TEMPLATES", "screen_css"]

#: The folder of the report's jinja2 templates and style sheets.
TEMPLATES = Path(__file__).resolve().parent / "templates"

_MATH = re.compile(r"(?<![\\$])\$[^$\n]+\$|\$\$|\\\(|\\\[")


@functools.cache
def _environment():
    """The jinja2 environment of the index and the print wrapper: every value escaped."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["inline_markdown"] = inline_markdown
    return env


def screen_css() -> str:
    """The report pages' screen style sheet (fonts, tables, figures) as one CSS string, for
    other HTML pages that should read like the report (``artifact-lab audit --html``).

    Examples
    --------
    >>> "table.al-table" in screen_css()
    True
    """
    return "\n".join((TEMPLATES / name).read_text() for name in ("al_shared.css", "al_screen.css"))


def _render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


def title(nb: nbformat.NotebookNode, fallback: str) -> str:
    """The first ``# `` heading of the notebook's markdown cells, or ``fallback``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return fallback


def plain(text: str) -> str:
    """Markdown inline marks removed: for ``<title>`` and PDF metadata."""
    return re.sub(r"[`*]", "", text)


def inline_markdown(text: str):
    """Inline markdown (code, bold, italic) as safe HTML, the rest escaped; no block
    structure, so "1. Title" stays a title and not a list."""
    from markupsafe import Markup

    out = html.escape(str(text), quote=False)
    out = re.sub(r"`([^`]+)`", r"<code>\1</code>", out)
    out = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", out)
    out = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", out)
    return Markup(out)


def _needs_math(nb: nbformat.NotebookNode) -> bool:
    return any(c.cell_type == "markdown" and _MATH.search(c.source) for c in nb.cells)


def _exporter(template: str, *, show_code: bool):
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="lab",
        extra_loaders=[FileSystemLoader(TEMPLATES)],
        template_file=template,
        exclude_input=not show_code,
        embed_images=True,
    )
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    return exporter


def nav(pdf_name: str | None = None) -> str:
    """The link back to the index (and to the PDF version, when there is one)."""
    return _render("al_nav.html.j2", pdf_name=pdf_name)


def page_html(
    nb: nbformat.NotebookNode,
    *,
    show_code: bool,
    title_text: str | None = None,
    pdf_name: str | None = None,
) -> str:
    """The self-contained web page of an executed notebook (``templates/al_page.html.j2``)."""
    resources = {
        "metadata": {"name": plain(title_text or title(nb, "Notebook"))},
        "al_nav": nav(pdf_name),
        "al_math": _needs_math(nb),
    }
    body, _ = _exporter("al_page.html.j2", show_code=show_code).from_notebook_node(
        nb, resources=resources
    )
    return body


def print_html(nb: nbformat.NotebookNode, title_text: str, *, show_code: bool) -> str:
    """The page WeasyPrint prints: the notebook's cells in a plain A4 layout."""
    from markupsafe import Markup

    body, _ = _exporter("al_body.html.j2", show_code=show_code).from_notebook_node(nb)
    return _render("al_print.html.j2", title=plain(title_text), body=Markup(body), pdf_name=None)


def layout_pdf(nb: nbformat.NotebookNode, title_text: str, *, show_code: bool):
    """WeasyPrint's laid-out document (pages and boxes) of the printed notebook."""
    from weasyprint import HTML

    page = print_html(nb, title_text, show_code=show_code)
    return HTML(string=page, url_fetcher=_offline_fetcher()).render()


def pdf_bytes(nb: nbformat.NotebookNode, title_text: str, *, show_code: bool) -> bytes:
    """The printed notebook as PDF bytes (A4, see ``templates/al_print.css``)."""
    return layout_pdf(nb, title_text, show_code=show_code).write_pdf()


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


def _tagged(nb: nbformat.NotebookNode, tag: str) -> tuple[int, Any] | None:
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and tag in cell.metadata.get("tags", []):
            return i, cell
    return None


def finding(nb: nbformat.NotebookNode) -> str:
    """The text the cell tagged ``finding`` displays (markdown), or "" when there is none."""
    found = _tagged(nb, "finding")
    if found is None:
        return ""
    parts = []
    for out in found[1].get("outputs", []):
        data = out.get("data", {})
        if "text/markdown" in data:
            parts.append(data["text/markdown"])
        elif "text/plain" in data:
            parts.append(data["text/plain"])
        elif out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
    return " ".join(p.strip() for p in parts if p.strip())


def _heading_anchor(text: str) -> str:
    # nbconvert's heading ids: inline marks dropped, spaces become dashes, then URL-quoted
    return quote(re.sub(r"[`*_]", "", text).replace(" ", "-"), safe="?/:@!$&'()*+,;=")


def _heading(source: str) -> str | None:
    for line in source.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


def links(nb: nbformat.NotebookNode) -> tuple[tuple[str, str], ...]:
    """``(heading text, anchor id)`` of the markdown cells tagged ``index-link``."""
    out = []
    for cell in nb.cells:
        if cell.cell_type == "markdown" and "index-link" in cell.metadata.get("tags", []):
            text = _heading(cell.source)
            if text is not None:
                out.append((text, _heading_anchor(text)))
    return tuple(out)


def answer(nb: nbformat.NotebookNode) -> tuple[str, str, str]:
    """What the cell tagged ``answer`` displays, for the top of the index.

    Returns ``(heading, anchor, html)``: the heading of the nearest markdown section above
    the cell (the question it answers), its anchor in the notebook's page, and the cell's
    outputs as HTML (tables and HTML as the notebook shows them, markdown rendered, figures
    embedded with their alt text, text in ``<pre>``). All three are "" when the notebook has
    no such cell or it displayed nothing.
    """
    found = _tagged(nb, "answer")
    if found is None:
        return "", "", ""
    index, cell = found
    parts = [p for p in (_output_html(o) for o in cell.get("outputs", [])) if p]
    if not parts:
        return "", "", ""
    heading = next(
        (
            h
            for c in reversed(nb.cells[:index])
            if c.cell_type == "markdown" and (h := _heading(c.source)) is not None
        ),
        "",
    )
    return heading, _heading_anchor(heading) if heading else "", "\n".join(parts)


def _output_html(out: Any) -> str:
    if out.get("output_type") == "stream":
        return f"<pre>{html.escape(out.get('text', ''))}</pre>" if out.get("text") else ""
    data, meta = out.get("data", {}), out.get("metadata", {})
    if "text/html" in data:
        return "".join(data["text/html"])  # the notebook's own output, as its page shows it
    if "image/svg+xml" in data:
        alt = html.escape(meta.get("image/svg+xml", {}).get("alt", ""))
        svg = base64.b64encode(data["image/svg+xml"].encode()).decode()
        return f'<img src="data:image/svg+xml;base64,{svg}" alt="{alt}">'
    if "image/png" in data:
        alt = html.escape(meta.get("image/png", {}).get("alt", ""))
        return f'<img src="data:image/png;base64,{data["image/png"].strip()}" alt="{alt}">'
    if "text/markdown" in data:
        from nbconvert.filters.markdown_mistune import markdown2html_mistune

        return markdown2html_mistune(data["text/markdown"])
    if "text/plain" in data:
        return f"<pre>{html.escape(data['text/plain'])}</pre>"
    return ""


def index_page(entries: Sequence[Any], *, stamp: str | None = None) -> str:
    """The report's ``index.html``: the answers first, then every notebook with its finding.

    ``entries`` are :class:`~artifact_lab.report.build.ReportEntry` values.
    """
    from markupsafe import Markup

    views = []
    for e in entries:
        views.append(
            {
                "notebook": e.notebook,
                "html": e.html,
                "pdf": e.pdf,
                "seconds": e.seconds,
                "links": e.links,
                "finding": e.finding,
                "finding_html": inline_markdown(e.finding),
                "title_html": inline_markdown(e.title),
                "answer": Markup(e.answer),
                "answer_title": inline_markdown(e.answer_title or e.title),
                "answer_anchor": e.answer_anchor,
            }
        )
    return _render(
        "al_index.html.j2",
        entries=views,
        answers=[v for v in views if v["answer"]],
        stamp=stamp or time.strftime("%Y-%m-%d %H:%M %Z"),
        total=sum(e.seconds for e in entries),
    )
