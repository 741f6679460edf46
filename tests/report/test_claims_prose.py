"""Prose that the numbers back: every number in a notebook's rendered prose stands in one of
its output tables at the printed precision, no verdict is typed by hand, and every verdict of
a claims table follows from the rule printed beside it.

"Prose" is what a reader reads as sentences: the Markdown a code cell displays (computed) and
the Markdown cells (written). Computed prose may quote only what a table of the same notebook
prints; written prose may carry no verdict word and no decimal number that neither a table
nor the code holds (parameters live in code). Code spans (formulas such as `1 - 1/s²`) are not
prose. The notebooks run once, in the report build of test_report.py, which applies this checker.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
#: Notebooks whose prose belongs to another task and still quotes numbers no table prints.
NOT_YET = {
    "01_transposed_convolution.ipynb",
    "03_spectra.ipynb",
    "04_alternatives.ipynb",
}

# A number as a reader sees it: optional sign (ASCII or Unicode minus), digits with optional
# thousands separators, decimals and exponent, an optional percent sign. Digits glued to a
# letter or a hyphenated word (k3, 3x3, ResNet-18, 2-D) name things; they are not numbers.
NUMBER = re.compile(
    r"(?<![\w.\-/−])[−-]?\d+(?:,\d{3})*(?:\.\d+)?(?:e[−+-]?\d+)?%?(?![\w]|[-−][A-Za-z]|\.\d)"
)
VERDICT_WORDS = re.compile(r"\b(holds|does not hold|unresolved)\b", re.IGNORECASE)
CLAIM_HEAD = ("claim (measured per seed)", "mean", "95% CI", "seeds", "verdict, by the rule")


def numbers(text: str) -> list[str]:
    """The numbers of ``text``, normalised: Unicode minus as '-', no thousands separators."""
    return [m.group(0).replace("−", "-").replace(",", "") for m in NUMBER.finditer(text)]


@dataclass
class Page:
    name: str
    written: list[str] = field(default_factory=list)  # Markdown cells
    computed: list[str] = field(default_factory=list)  # Markdown displayed by code
    tables: list[str] = field(default_factory=list)  # text of every table output
    claims: list[list[dict]] = field(default_factory=list)  # claims tables, rows by header
    code: str = ""


def _text_without_code(node) -> str:
    for c in node.find_all(["code", "pre"]):
        c.decompose()
    return node.get_text(" ")


def _row(head: list[str], tr) -> dict:
    cells = [td.get_text(" ").strip() for td in tr.find_all(["td", "th"])]
    return dict(zip(head, cells, strict=False))


def parse(html: str, name: str) -> Page:
    soup = BeautifulSoup(html, "html.parser")
    page = Page(name)
    for cell in soup.select(".jp-Cell"):
        classes = cell.get("class", [])
        if "jp-MarkdownCell" in classes:
            for part in cell.select(".jp-RenderedMarkdown"):
                page.written.append(_text_without_code(part))
            continue
        page.code += " ".join(
            e.get_text() for e in cell.select(".jp-InputArea pre, .jp-InputArea code")
        )
        for out in cell.select(".jp-OutputArea-output"):
            tables = out.find_all("table")
            if tables:
                page.tables.append(out.get_text(" "))
                for t in tables:
                    head = [th.get_text(" ").strip() for th in t.select("thead th")]
                    if all(h in head for h in CLAIM_HEAD):
                        page.claims.append([_row(head, tr) for tr in t.select("tbody tr")])
            elif "jp-RenderedMarkdown" in out.get("class", []) or out.select(
                ".jp-RenderedMarkdown"
            ):
                page.computed.append(_text_without_code(out))
    return page


def problems(page: Page) -> list[str]:
    """What a reader would catch: numbers no table prints, typed verdicts, verdicts that do
    not follow from their rule."""
    found = []
    in_tables = {n for text in page.tables for n in numbers(text)}
    in_code = set(numbers(page.code))
    for text in page.computed:
        for n in numbers(text):
            if n not in in_tables:
                found.append(f"computed prose quotes {n!r}, which no table prints: {text[:120]!r}")
    for text in page.written:
        if VERDICT_WORDS.search(text):
            found.append(f"written prose types a verdict: {text[:120]!r}")
        for n in numbers(text):
            if re.search(r"[.e%]", n) and n not in in_tables and n not in in_code:
                found.append(f"written prose types the number {n!r}: {text[:120]!r}")
    for rows in page.claims:
        for row in rows:
            why = verdict_problem(row)
            if why:
                found.append(f"claim {row.get(CLAIM_HEAD[0])!r}: {why}")
    return found


def _float(text: str) -> float:
    return float(text.replace("−", "-").replace(",", ""))


def verdict_problem(row: dict) -> str | None:
    """None when the printed verdict follows from the printed interval and rule (ends that
    print equal to the threshold may go either way: the rounding hides the side)."""
    verdict, _, rule = row["verdict, by the rule"].partition(" — rule: ")
    rule = rule.split(";")[0]
    ci = row["95% CI"]
    if ci == "—":
        return None if verdict == "unresolved" else f"{verdict!r} without an interval"
    lo, hi = (_float(x) for x in ci.split(" to "))
    m = re.search(r"lies (above|below|within) ([-−\d.e+]+)(?: ± ([\d.e+-]+))?", rule)
    if not m:
        return f"rule {rule!r} is not one of the stated rules"
    kind, t = m.group(1), _float(m.group(2))
    if kind == "within":
        a, b = t - _float(m.group(3)), t + _float(m.group(3))
        can_hold = a <= lo and hi <= b
        can_fail = hi <= a or lo >= b
        strictly_hold = a < lo and hi < b
        strictly_fail = hi < a or lo > b
    else:
        above = kind == "above"
        can_hold = lo >= t if above else hi <= t
        can_fail = hi <= t if above else lo >= t
        strictly_hold = lo > t if above else hi < t
        strictly_fail = hi < t if above else lo > t
    if verdict == "holds" and not can_hold:
        return f"'holds' but the interval {ci} does not satisfy {rule!r}"
    if verdict == "does not hold" and not can_fail:
        return f"'does not hold' but the interval {ci} does not contradict {rule!r}"
    if verdict == "unresolved" and (strictly_hold or strictly_fail):
        return f"'unresolved' but the interval {ci} decides {rule!r}"
    if verdict not in ("holds", "does not hold", "unresolved"):
        return f"unknown verdict {verdict!r}"
    return None


# --- the checker catches what it should (small pages, no notebook run) ----------------------


def _page(body: str) -> Page:
    return parse(f"<html><body>{body}</body></html>", "test")


MD = "<div class='jp-Cell jp-MarkdownCell'><div class='jp-RenderedMarkdown'>{}</div></div>"
OUT_MD = (
    "<div class='jp-Cell jp-CodeCell'><div class='jp-OutputArea-output jp-RenderedMarkdown'>"
    "{}</div></div>"
)
OUT_TABLE = "<div class='jp-Cell jp-CodeCell'><div class='jp-OutputArea-output'>{}</div></div>"
CLAIMS = (
    "<table><thead><tr><th>claim (measured per seed)</th><th>mean</th><th>95% CI</th>"
    "<th>seeds</th><th>verdict, by the rule</th></tr></thead><tbody><tr><td>a</td><td>{m}</td>"
    "<td>{ci}</td><td>10</td><td>{v} — rule: {rule}</td></tr></tbody></table>"
)


def test_the_checker_catches_a_number_no_table_prints():
    table = OUT_TABLE.format("<table><tr><td>0.146</td><td>−1.19</td></tr></table>")
    assert problems(_page(table + OUT_MD.format("min 0.146, loss −1.19 dB"))) == []
    bad = problems(_page(table + OUT_MD.format("none falls below 0.15 on any seed")))
    assert len(bad) == 1 and "'0.15'" in bad[0]
    rounded = problems(_page(table + OUT_MD.format("a loss of 1.2 dB")))
    assert rounded and "'1.2'" in rounded[0]  # the table's 1.19 printed at another precision


def test_the_checker_catches_typed_verdicts_and_numbers_but_not_names_or_formulas():
    assert problems(_page(MD.format("their observation holds here")))
    assert problems(_page(MD.format("the sum penalty loses 0.58 dB")))
    fine = "ResNet-18 and VGG-11 at 3x3/s2, k3, 2-D, <code>1 - 1/s²</code>, 22,050 samples"
    assert problems(_page(MD.format(fine))) == []
    assert numbers("−0.48 to 1,234.5 and 95% of 1e-9") == ["-0.48", "1234.5", "95%", "1e-9"]


@pytest.mark.parametrize(
    ("ci", "rule", "verdict", "ok"),
    [
        ("0.79 to 1.27", "holds when the 95% CI lies above 0", "holds", True),
        ("0.79 to 1.27", "holds when the 95% CI lies above 0", "unresolved", False),
        ("−0.48 to 1.14", "holds when the 95% CI lies above 0", "unresolved", True),
        ("−0.48 to 1.14", "holds when the 95% CI lies above 0", "holds", False),
        ("−2.03 to −0.29", "holds when the 95% CI lies below 0", "holds", True),
        ("0.100 to 0.200", "holds when the 95% CI lies above 0.1", "holds", True),  # a tie
        ("−0.3 to 0.2", "holds when the 95% CI lies within 0 ± 0.5", "holds", True),
        ("−0.3 to 0.7", "holds when the 95% CI lies within 0 ± 0.5", "does not hold", False),
        ("1.65 to 5.14", "holds when the 95% CI of the geometric mean lies above 1", "holds", True),
        ("—", "holds when the 95% CI lies above 0", "unresolved", True),
    ],
)
def test_the_checker_rederives_each_verdict_from_its_rule(ci, rule, verdict, ok):
    page = _page(OUT_TABLE.format(CLAIMS.format(m="1", ci=ci, rule=rule, v=verdict)))
    assert (problems(page) == []) is ok


# The notebooks' own prose is checked in test_report.py, on the one report build the suite
# makes (a second build here would execute every notebook twice).
