"""Tables for print: digits, words for missing values, whole lists, splitting wide tables."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from artifact_lab.viz.tables import TEXT_WIDTH_PT, format_value, label, table


def test_float_noise_prints_as_zero_and_columns_keep_fixed_digits():
    frame = pd.DataFrame({"checkerboard_score": [0.7644912, 4.4e-16, -1e-17, 0.1]})
    cells = table(frame).frame.iloc[:, 0].tolist()
    assert cells == ["0.764", "0", "0", "0.100"]
    wide = table(pd.DataFrame({"x": [123.456, 1.5]}), digits=4).frame.iloc[:, 0].tolist()
    assert wide == ["123.5", "1.5"]


def test_missing_values_become_words_and_booleans_yes_no():
    frame = pd.DataFrame({"peak_db": [np.nan, 3.14159], "holes": [True, False]})
    t = table(frame, na={"peak_db": "n/a (constant input)"})
    assert t.frame.iloc[0, 0] == "n/a (constant input)"
    assert t.frame.iloc[:, 1].tolist() == ["yes", "no"]
    assert "nan" not in t.to_html().lower()


def test_lists_are_shown_whole():
    values = list(range(40))
    t = table(pd.DataFrame({"gains": [values, [0.5, 0.25]]}))
    assert t.frame.iloc[0, 0] == ", ".join(map(str, values))
    assert t.frame.iloc[1, 0] == "0.500, 0.250"  # three significant digits
    assert "..." not in t.to_html() and "…" not in t.to_html()


def test_index_only_when_it_means_something():
    frame = pd.DataFrame({"a": [1, 2]})
    assert list(table(frame).frame.columns) == ["a"]
    named = frame.set_index(pd.Index(["x", "y"], name="upsampler"))
    assert list(table(named).frame.columns) == ["upsampler", "a"]
    words = frame.set_index(pd.Index(["x", "y"]))
    assert table(words).frame.shape[1] == 2
    shuffled = frame.sort_values("a", ascending=False)  # integer index out of order
    assert list(table(shuffled).frame.columns) == ["a"]


def test_labels_are_words_with_units():
    assert label("kernel_size") == "kernel size k"
    assert label("peak_db") == "peak at harmonics (dB)"
    assert label("some_new_column") == "some new column"
    t = table(pd.DataFrame({"kernel_size": [3]}), labels={"kernel_size": "k"})
    assert list(t.frame.columns) == ["k"]


def test_wide_tables_split_into_parts_that_fit_and_repeat_the_key():
    frame = pd.DataFrame(
        {"model": ["a", "b"], **{f"metric number {i}": [1.23456, 2.5] for i in range(14)}}
    )
    t = table(frame, keys=["model"])
    assert len(t.parts) > 1
    for part in t.parts:
        assert part[0] == 0  # the key column leads every part
    html = t.to_html()
    assert html.count("<table") == len(t.parts)
    assert html.count("<thead>") == len(t.parts)
    assert f"(part {len(t.parts)} of {len(t.parts)})" in html
    # every column is printed somewhere
    assert sorted({c for p in t.parts for c in p}) == list(range(frame.shape[1]))
    narrow = table(frame.iloc[:, :3])
    assert len(narrow.parts) == 1 and TEXT_WIDTH_PT > 500


def test_a_key_column_with_underscores_leads_every_part():
    """A key not in LABELS is found under its header (underscores as spaces), not dropped."""
    frame = pd.DataFrame(
        {"metric number 0": [1.23456, 2.5], "my_col": ["a", "b"],
         **{f"metric number {i}": [1.23456, 2.5] for i in range(1, 14)}}
    )  # fmt: skip
    for keys in (["my_col"], "my_col"):
        t = table(frame, keys=keys)
        assert t.frame.columns[1] == "my col" and len(t.parts) > 1
        for part in t.parts:
            assert part[0] == 1  # the key column leads every part
        assert sorted({c for p in t.parts for c in p}) == list(range(frame.shape[1]))


def test_format_strings_and_callables_per_column():
    frame = pd.DataFrame({"diff": [2.2e-16, 0.0], "shape": [(13, 13), (7, 7)]})
    t = table(frame, formats={"diff": "{:.1e}", "shape": lambda v: " × ".join(map(str, v))})
    assert t.frame.iloc[:, 0].tolist() == ["2.2e-16", "0.0e+00"]
    assert t.frame.iloc[0, 1] == "13 × 13"


def test_figures_written_as_text_are_set_like_numbers():
    frame = pd.DataFrame(
        {
            "range": ["0.587 (0.583–0.590)", "−6.6 (−11.5–−1.7)", "—"],
            "spread": ["0.83 ± 0.21", "+0.47 ± 0.07", "1e-16"],
            "words": ["0.8 (seed 0)", "yes", "k4 s2"],
        }
    )
    t = table(frame)
    assert t.numeric == (True, True, False)
    html = t.to_html()
    assert html.count("<td class='num'>") == 6  # right-aligned, kept on one line by the CSS
    assert html.count("<th class='num'>") == 2  # and their headers with them
    assert not table(pd.DataFrame({"x": ["—", "—"]})).numeric[0]
    assert not table(pd.DataFrame({"gains": [list(range(40))]})).numeric[0]  # free to wrap


def test_bad_input():
    with pytest.raises(TypeError, match="frame"):
        table([1, 2, 3])


@given(st.lists(st.floats(allow_nan=True, allow_infinity=False, width=64), min_size=1))
def test_any_float_column_prints_clean(values):
    t = table(pd.DataFrame({"v": values}))
    for cell, v in zip(t.frame.iloc[:, 0], values, strict=True):
        assert not cell.endswith(("...", "…"))
        assert "e" not in cell.lower() or cell == "—"
        if math.isnan(v):
            assert cell == "—"
        else:
            number = float(cell.replace("−", "-"))
            finite = [abs(x) for x in values if not math.isnan(x)]
            decimals = len(cell.split(".")[1]) if "." in cell else 0
            # the printed number is the value rounded to the column's decimals
            assert abs(number - v) <= 0.5 * 10 ** (-decimals) * (1 + 1e-9) + 1e-12 * max(finite)
        assert re.fullmatch(r"−?\d+(\.\d+)?|—", cell)


def test_format_value_examples():
    assert format_value(np.int64(3)) == "3"
    assert format_value(-0.0004, decimals=2) == "0"
    assert format_value(float("inf")) == "∞"
    assert format_value("text") == "text"


def test_headers_sit_over_their_columns_and_row_names_stay_on_one_line():
    frame = pd.DataFrame(
        {
            "upsampler": ["transposed k=4 bilinear init", "sub-pixel"],
            "checkerboard_score": [0.5, 0.25],
            "peak_db": [3.1, -2.0],
        }
    )
    html = table(frame).to_html()
    assert "<th class='text'>upsampler</th>" in html
    assert "<th class='num'>checkerboard score</th>" in html
    # 28 characters fit beside two number columns: the names are not broken over lines
    assert "<td class='text short'>transposed k=4 bilinear init</td>" in html
    crowded = pd.DataFrame({f"metric {i}": [0.5] for i in range(12)} | {"name": ["x" * 30]})
    assert "<td class='text'>" + "x" * 30 in table(crowded).to_html()


def test_short_tables_stay_whole_unless_their_text_runs_long():
    short = pd.DataFrame({"k": range(12), "verdict": ["even"] * 12})
    assert "al-keep" in table(short).to_html()
    words = " ".join(["word"] * 60)
    long_text = pd.DataFrame({"claim": [words] * 8, "evidence": [words] * 8})
    assert "al-keep" not in table(long_text).to_html()
    many = pd.DataFrame({"k": range(40)})
    assert "al-keep" not in table(many).to_html()


def test_columns_whose_headers_collide_are_all_kept_and_told_apart():
    """'a_b' and 'a b' both read "a b": each keeps its own name (once a column was lost)."""
    frame = pd.DataFrame({"a_b": [1, 2], "a b": [3, 4], "stride": [5, 6], "s": [7, 8]})
    t = table(frame, labels={"s": "stride s"})  # collides with stride's label too
    assert list(t.frame.columns) == ["a_b", "a b", "stride", "s"]
    assert t.frame.iloc[:, 1].tolist() == ["3", "4"] and t.frame.iloc[:, 3].tolist() == ["7", "8"]
    # columns of one name (a frame may hold them): by position, every value kept
    dup = pd.DataFrame([[1, 2, 3]], columns=["x", "x", "kernel_size"])
    t = table(dup, keys=["x"])
    assert list(t.frame.columns) == ["x", "x (2)", "kernel size k"]
    assert t.frame.iloc[0].tolist() == ["1", "2", "3"]
    assert (
        len(set(table(pd.DataFrame([[1, 2, 3]], columns=["x", "x", "x (2)"])).frame.columns)) == 3
    )
    assert "<th class='num'>a b</th>" in table(frame).to_html()
