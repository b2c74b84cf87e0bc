"""The LinkedIn importer's message digests (``content_md5``) are DuckDB's
``md5(coalesce(c, ''))``, byte for byte: stored interaction uids were made of them, so a
re-import after the change finds the same messages."""

from __future__ import annotations

import duckdb
import polars as pl

from pipelines.ingest.linkedin.messages import content_md5

TEXTS = [
    "",
    None,
    "abc",
    "Héllo wörld, ça va ?",
    "日本語のメッセージ 🙂",
    "tab\tnew\nline \r\n 'quote' \"double\" \\ back",
    "a\x00b",
]


def test_known_answers():
    got = content_md5(pl.Series(["", None, "abc"], dtype=pl.String)).to_list()
    assert got == [
        "d41d8cd98f00b204e9800998ecf8427e",
        "d41d8cd98f00b204e9800998ecf8427e",
        "900150983cd24fb0d6963f7d28e17f72",
    ]


def test_equals_duckdb_md5():
    frame = pl.DataFrame({"c": TEXTS}, schema={"c": pl.String})
    con = duckdb.connect()
    try:
        expected = [h for (h,) in con.execute("SELECT md5(coalesce(c, '')) FROM frame").fetchall()]
    finally:
        con.close()
    got = content_md5(frame["c"])
    assert got.dtype == pl.String
    assert got.to_list() == expected


def test_an_empty_column_gives_an_empty_string_column():
    got = content_md5(pl.Series([], dtype=pl.String))
    assert got.dtype == pl.String and got.len() == 0
