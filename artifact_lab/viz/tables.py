"""Tables for print: words for column names, fixed digits per column, nothing cut off.

:func:`table` turns a DataFrame into a :class:`Table` that notebooks display as HTML (and
as text in a console): no index unless it means something, a fixed number of significant
digits per column, no float noise (``4.4e-16`` prints as ``0``), a word or a dash where a
value is missing, booleans as yes/no, lists shown whole, figures written out as text (a
range ``0.58–0.59``, ``0.83 ± 0.21``) set like numbers, on one line, and a table too wide for
the A4 text width split into parts that each repeat the key columns.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._util.checks import (
    as_names,
    check_bool,
    check_float,
    check_format,
    check_frame,
    check_int,
    check_mapping,
    check_str,
)

__all__ = [
    "LABELS",
    "TEXT_WIDTH_PT",
    "Table",
    "format_value",
    "label",
    "sci",
    "significant_decimals",
    "table",
]

#: Column names as a reader should see them: words, symbols and units.
LABELS = {
    "kernel_size": "kernel size k",
    "stride": "stride s",
    "padding": "padding p",
    "output_padding": "output padding op",
    "dilation": "dilation d",
    "input_size": "input size n",
    "output_size": "output size L",
    "k_mod_s": "k mod s",
    "gcd_d_s": "gcd(d, s)",
    "overlap_contrast": "overlap contrast",
    "holes": "holes",
    "even_overlap": "even overlap (all-ones)",
    "clean_init_exists": "clean init exists",
    "checkerboard_score": "checkerboard score",
    "noise_checkerboard": "noise checkerboard",
    "harmonic_fraction": "harmonic fraction",
    "peak_db": "peak at harmonics (dB)",
    "replica_fraction": "replica fraction",
    "filtering_db": "pass-band tilt (dB)",
    "psnr": "PSNR (dB)",
    "ssim": "SSIM",
    "loss": "training loss (MSE)",
    "step": "training step",
    "seed": "seed",
    "seconds": "run time (s)",
    "upsampler": "upsampler",
    "variant": "variant",
    "image": "input",
    "factor": "factor",
    "family": "kernel family",
    "kernel": "kernel family",
    "verdict": "all-ones overlap",
    "default_score": "default-init score (mean)",
    "default_spread": "default-init score (std over seeds)",
    "recommendation": "recommended",
    "chance": "chance level",
}

#: Text width of the printed page (A4, 14 mm margins), points.
TEXT_WIDTH_PT = 182 / 25.4 * 72
_FONT_PT = 8.0
_CHAR_EM = 0.6  # DejaVu Sans: digits are 0.64 em, lower-case letters about 0.55 em
_CELL_PAD_PT = 9.0
_WRAP_CHARS = 24  # text cells wrap at word boundaries: count at most this many characters
_KEEP_ROWS = 30  # tables this short are never split across pages ...
_KEEP_LINES = 24  # ... unless their wrapped text runs longer than this (about a third of a page)


def label(name: Any) -> str:
    """The reader's name of a column: :data:`LABELS`, else underscores become spaces."""
    text = str(name)
    return LABELS.get(text, text.replace("_", " "))


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def significant_decimals(values: np.ndarray, digits: int) -> int:
    """Decimals that give the largest magnitude among ``values`` ``digits`` significant digits
    (0 for no finite non-zero value, at most 8): the rule every float column follows.

    Examples
    --------
    >>> significant_decimals(np.array([0.0123, 0.5]), 3), significant_decimals(np.array([12.5]), 3)
    (3, 1)
    """
    try:
        arr = np.asarray(values) if not isinstance(values, (str, bytes)) else np.asarray(None)
    except ValueError:  # ragged
        arr = np.asarray(None)
    if arr.dtype.kind not in "biuf":  # NaN and inf are fine: only finite values count
        raise TypeError(f"values must be an array of real numbers, got {values!r}")
    values = arr.astype(float)
    digits = check_int("digits", digits, minimum=1)
    finite = np.abs(values[np.isfinite(values)])
    finite = finite[finite > 0]
    if not finite.size:
        return 0
    return int(min(max(digits - 1 - math.floor(math.log10(finite.max())), 0), 8))


def format_value(v: Any, *, decimals: int = 3, digits: int = 3, na: str = "—") -> str:
    """One value as text: bools as yes/no, ints plain, floats with ``decimals`` places
    (a value that rounds to zero prints as ``0``), sequences whole, missing as ``na``.

    Examples
    --------
    >>> format_value(4.4e-16), format_value(0.76449, decimals=2), format_value([4, 2, 1])
    ('0', '0.76', '4, 2, 1')
    >>> format_value(float("nan"), na="n/a"), format_value(True)
    ('n/a', 'yes')
    """
    decimals = check_int("decimals", decimals, minimum=0)
    digits = check_int("digits", digits, minimum=1)
    check_str("na", na)
    return _format_value(v, decimals, digits, na)


def _format_value(v: Any, decimals: int, digits: int, na: str) -> str:
    """:func:`format_value` with its arguments already checked (by it or by :func:`table`)."""
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (list, tuple, np.ndarray)):
        items = np.asarray(v, dtype=object).ravel().tolist()
        if all(isinstance(x, (int, float, np.number)) and not isinstance(x, bool) for x in items):
            arr = np.asarray(items, dtype=float)
            dec = significant_decimals(arr, digits) if not np.all(arr == np.round(arr)) else 0
            return ", ".join(_format_value(x, dec, digits, na) for x in items)
        return ", ".join(_format_value(x, decimals, digits, na) for x in items)
    if _is_missing(v):
        return na
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        if math.isinf(v):
            return "∞" if v > 0 else "−∞"
        text = f"{v:.{decimals}f}"
        if float(text) == 0:
            return "0"
        return text.replace("-", "−")
    return str(v)


def sci(v: float, digits: int = 1) -> str:
    """Scientific notation for tiny differences, with an exact zero written as ``0``.

    Examples
    --------
    >>> sci(2.2e-16), sci(0.0)
    ('2.2e-16', '0')
    """
    if isinstance(v, bool) or not isinstance(v, numbers.Real):
        raise TypeError(f"v must be a real number, got {v!r} ({type(v).__name__})")
    digits = check_int("digits", digits, minimum=0)
    return "0" if v == 0 else f"{v:.{digits}e}".replace("-", "−").replace("e−", "e-")


@dataclass(frozen=True)
class Table:
    """A formatted table: strings only, ready for HTML or text.

    Attributes
    ----------
    frame : DataFrame
        The formatted cells (strings), columns already renamed for the reader.
    numeric : tuple of bool
        Per column: right-aligned numbers (True) or left-aligned text.
    caption : str or None
    parts : tuple of tuple of int
        Column positions of each printed part (one part when the table fits the page).
    """

    frame: pd.DataFrame
    numeric: tuple[bool, ...]
    caption: str | None
    parts: tuple[tuple[int, ...], ...]

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    def to_html(self) -> str:
        """One ``<table>`` per part, each in a block with its caption above it, so that the
        caption never parts from its table; blocks of short tables are never split."""
        rows = len(self.frame)
        keep = " al-keep" if rows <= _KEEP_ROWS and self._lines() <= _KEEP_LINES else ""
        out = []
        kinds = self._kinds()
        for i, cols in enumerate(self.parts):
            caption = self.caption or ""
            if len(self.parts) > 1:
                caption = f"{caption} (part {i + 1} of {len(self.parts)})".strip()
            head = "".join(  # a header sits over its column: right over numbers
                f"<th class='{'num' if self.numeric[c] else 'text'}'>"
                f"{html.escape(str(self.frame.columns[c]))}</th>"
                for c in cols
            )
            body = "\n".join(
                "<tr>"
                + "".join(
                    f"<td class='{kinds[c]}'>{html.escape(self.frame.iat[r, c])}</td>" for c in cols
                )
                + "</tr>"
                for r in range(rows)
            )
            cap = f"<p class='al-caption'>{html.escape(caption)}</p>" if caption else ""
            out.append(
                f"<div class='al-table-block{keep}'>{cap}<table class='al-table'>"
                f"<thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table></div>"
            )
        return "\n".join(out)

    def _lines(self) -> int:
        """Printed lines of the body, roughly: text columns share what numbers leave free."""
        cells = self.frame.to_numpy(dtype=str)
        if not cells.size:
            return 0
        longest = np.vectorize(len)(cells).max(axis=0)
        free = TEXT_WIDTH_PT / (_CHAR_EM * _FONT_PT) - sum(
            longest[c] + 2 for c in range(cells.shape[1]) if self.numeric[c]
        )
        text = [c for c in range(cells.shape[1]) if not self.numeric[c]]
        scale = min(1.0, max(free, 10) / max(sum(longest[c] + 2 for c in text), 1))
        return sum(
            max([1] + [math.ceil(len(row[c]) / max(scale * longest[c], 1)) for c in text])
            for row in cells
        )

    def _kinds(self) -> list[str]:
        """CSS class of each column: numbers right-aligned; text kept on one line where it is
        short, or where the first such column (the row names, usually) still leaves every
        other column its longest word."""
        cells = [list(self.frame.iloc[:, c]) for c in range(self.frame.shape[1])]
        longest = [max((len(v) for v in col), default=0) for col in cells]
        words = [
            max([len(w) for v in col for w in v.split()] + [len(w) for w in str(h).split()] + [1])
            for col, h in zip(cells, self.frame.columns, strict=True)
        ]
        least = [
            max(longest[c], words[c]) if self.numeric[c] else words[c] for c in range(len(cells))
        ]
        spare = TEXT_WIDTH_PT / (_CHAR_EM * _FONT_PT) - sum(n + 2 for n in least)
        kinds = []
        for c in range(len(cells)):
            if self.numeric[c]:
                kinds.append("num")
            elif longest[c] <= 14:
                kinds.append("text short")
            elif longest[c] <= 32 and longest[c] - least[c] <= spare:
                kinds.append("text short")
                spare = -1.0  # one such column at most
            else:
                kinds.append("text")
        return kinds

    def _repr_html_(self) -> str:
        return self.to_html()

    def __str__(self) -> str:
        return self.frame.to_string(index=False)

    def __repr__(self) -> str:
        return str(self)

    def __len__(self) -> int:
        return len(self.frame)


# a cell that is a figure written out: a number, a range "0.58–0.59", "0.83 ± 0.21",
# "2.4 (1.6–3.2)", "16, 16", "+0.47", a dash for none; no letters but an exponent's e
_FIGURE = re.compile(r"[\d\s.,:+\-−–±×%()e]*\d[\d\s.,:+\-−–±×%()e]*|—")


def _figures(texts: Sequence[str]) -> bool:
    """Whether every cell is a short figure, so the column is set like numbers: right-aligned,
    on one line (a range must not break at its dash). Long runs of numbers (a list shown
    whole) stay text, free to wrap."""
    return (
        bool(texts)
        and all(len(t) <= _WRAP_CHARS and _FIGURE.fullmatch(t.strip()) for t in texts)
        and any(t.strip() != "—" for t in texts)
    )


def _width_pt(strings: Sequence[str], header: str, numeric: bool) -> float:
    longest = max((len(line) for s in strings for line in s.splitlines() or [""]), default=0)
    if not numeric:
        longest = min(longest, _WRAP_CHARS)
    word = max((len(w) for w in header.split()), default=0)
    return max(longest, word, 1) * _CHAR_EM * _FONT_PT + _CELL_PAD_PT


def _per_column(name: str, value: Any, check) -> None:
    """``value``, or a mapping of column names to values, each passing ``check``."""
    for key, v in value.items() if isinstance(value, Mapping) else [(None, value)]:
        if key is not None and not isinstance(key, str):
            raise TypeError(f"{name} keys must be column names (str), got {key!r}")
        check(name if key is None else f"{name}[{key!r}]", v)


def _check_table_args(frame, digits, formats, labels, na, index, caption, keys, width_pt):
    check_frame("frame", frame)
    _per_column("digits", digits, lambda n, v: check_int(n, v, minimum=1))
    if formats is not None:
        check_mapping("formats", formats, empty_ok=True)
        _per_column("formats", formats, check_format)
    if labels is not None:
        check_mapping("labels", labels, empty_ok=True)
        _per_column("labels", labels, check_str)
    _per_column("na", na, check_str)
    if index is not None:
        check_bool("index", index)
    check_str("caption", caption, none_ok=True)
    if keys is not None:
        for key in as_names("keys", keys):
            if key not in frame.columns:
                raise ValueError(f"keys names {key!r}, not a column of frame {list(frame.columns)}")
    check_float("width_pt", width_pt, positive=True)


def table(
    frame: pd.DataFrame,
    *,
    digits: int | Mapping[str, int] = 3,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    labels: Mapping[str, str] | None = None,
    na: str | Mapping[str, str] = "—",
    index: bool | None = None,
    caption: str | None = None,
    keys: Sequence[str] | None = None,
    width_pt: float = TEXT_WIDTH_PT,
) -> Table:
    """Format a DataFrame for print.

    Parameters
    ----------
    frame : DataFrame
    digits : int or mapping
        Significant digits of each float column (per column name, default 3): the column's
        largest magnitude gets that many, every value in the column the same decimals.
    formats : mapping, optional
        Per column, a format string (``"{:.1e}"``) or a callable returning the text.
    labels : mapping, optional
        Column names for the reader, over :data:`LABELS`.
    na : str or mapping
        Text for a missing value (per column name), default an em dash.
    index : bool, optional
        Show the index as the first column. Default: only when it is not a plain range.
    caption : str, optional
    keys : sequence of str, optional
        Columns repeated in every part when the table is split (default: the first column).
    width_pt : float
        Width available (default the A4 text width).

    Returns
    -------
    Table

    Raises
    ------
    TypeError
        If ``frame`` is not a DataFrame.

    Examples
    --------
    >>> t = table(pd.DataFrame({"kernel_size": [3, 4], "checkerboard_score": [0.1, 4e-17]}))
    >>> print(t)
    kernel size k checkerboard score
                3              0.100
                4                  0
    """
    _check_table_args(frame, digits, formats, labels, na, index, caption, keys, width_pt)
    df = frame.copy()
    if index is None:  # an unnamed run of integers (0..n-1, or shuffled by a sort) says nothing
        index = df.index.name is not None or not pd.api.types.is_integer_dtype(df.index)
    if index:
        df = df.reset_index()
    formats = dict(formats or {})
    names = {**LABELS, **(labels or {})}
    cells: dict[str, list[str]] = {}
    header_of: dict[Any, str] = {}  # column -> its header, for the headers and the keys alike
    numeric: list[bool] = []
    for col in df.columns:
        values = df[col].tolist()
        na_text = na.get(str(col), "—") if isinstance(na, Mapping) else na
        dig = digits.get(str(col), 3) if isinstance(digits, Mapping) else digits
        fmt = formats.get(str(col))
        is_num = pd.api.types.is_numeric_dtype(df[col]) and not pd.api.types.is_bool_dtype(df[col])
        if fmt is not None:
            texts = [
                na_text if _is_missing(v) else (fmt(v) if callable(fmt) else fmt.format(v))
                for v in values
            ]
        elif is_num and pd.api.types.is_float_dtype(df[col]):
            arr = df[col].to_numpy(dtype=float)
            finite = arr[np.isfinite(arr)]
            integral = (
                finite.size and np.all(finite == np.round(finite)) and np.all(np.abs(finite) < 1e15)
            )
            dec = 0 if integral else significant_decimals(arr, dig)
            texts = [_format_value(v, dec, dig, na_text) for v in values]
        else:
            texts = [_format_value(v, 3, dig, na_text) for v in values]
        header = names.get(str(col), str(col).replace("_", " "))
        header = header if header not in cells else str(col)
        header_of[col] = header
        cells[header] = texts
        numeric.append(bool(is_num) or _figures(texts))
    out = pd.DataFrame(cells)
    headers = [str(c) for c in out.columns]
    widths = [
        _width_pt(out.iloc[:, i].tolist(), headers[i], numeric[i]) for i in range(out.shape[1])
    ]
    key_names = [header_of[k] for k in as_names("keys", keys)] if keys else headers[:1]
    key_pos = [headers.index(k) for k in key_names if k in headers]
    parts: list[tuple[int, ...]] = []
    current: list[int] = list(key_pos)
    used = sum(widths[i] for i in key_pos)
    for i in range(out.shape[1]):
        if i in key_pos:
            continue
        if used + widths[i] > width_pt and len(current) > len(key_pos):
            parts.append(tuple(current))
            current, used = list(key_pos), sum(widths[j] for j in key_pos)
        current.append(i)
        used += widths[i]
    parts.append(tuple(current))
    return Table(out, tuple(numeric), caption, tuple(parts))
