"""CSV cells a spreadsheet would run as formulas are neutralised; writes are atomic and
private."""

from __future__ import annotations

import csv
import io
import stat
from datetime import datetime

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.csvsafe import is_formula_like, safe_cell, safe_frame, write_csv


def test_known_cells():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+33 1 23") == "'+33 1 23"
    assert safe_cell("-2") == "'-2"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("\rx") == "'\rx"
    assert safe_cell("  =1") == "'  =1"
    assert safe_cell("Dana Smith") == "Dana Smith"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("") == ""
    assert safe_cell(None) is None
    assert safe_cell(-2) == -2  # numbers are numbers, not text a spreadsheet parses


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_safe_cell_is_the_value_or_a_quoted_formula(value):
    got = safe_cell(value)
    if is_formula_like(value):
        assert got == "'" + value
    else:
        assert got == value
        assert not value or value.lstrip(" \n")[:1] not in ("=", "+", "-", "@")
        assert value[:1] not in ("\t", "\r")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=10))
def test_written_csv_round_trips_and_no_cell_starts_a_formula(tmp_path_factory, values):
    path = tmp_path_factory.mktemp("csv") / "out.csv"
    frame = pl.DataFrame({"text": values, "n": list(range(len(values)))})
    write_csv(frame, path)
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8"), newline="")))
    assert rows[0] == ["text", "n"]
    assert [r[1] for r in rows[1:]] == [str(i) for i in range(len(values))]
    for (cell, _), value in zip(rows[1:], values, strict=True):
        assert cell == safe_cell(value)
        assert not is_formula_like(cell)


def test_write_csv_is_atomic_private_and_flattens_lists(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old")
    frame = pl.DataFrame(
        {
            "name": ["=cmd|' /C calc'!A0", "ok"],
            "tags": [["=x", "y"], []],
            "at": [datetime(2024, 6, 18, 14, 5), None],
        }
    )
    write_csv(frame, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temp file left behind
    assert path.read_text() == (
        'name,tags,at\n\'=cmd|\' /C calc\'!A0,"[""=x"", ""y""]",2024-06-18 14:05:00\nok,[],\n'
    )
    assert safe_frame(frame).height == 2
