"""European spreadsheet re-saves (issue 17, point 5): the encoding is detected
(charset-normalizer) and reported, the delimiter found, day-first dates read when the
file is unambiguous about them."""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import TEST_DATA

from pipelines.ingest.generic_csv import import_csv
from pipelines.ingest.linkedin.export import import_linkedin
from pipelines.ingest.text import read_table
from recommender.errors import InputError

DANISH = TEST_DATA / "linkedin" / "export-resaved-excel-da"


def test_danish_excel_resave_cp1252_semicolons_dotted_dates(cli):
    batch = import_linkedin(DANISH)
    rows = batch.people.select("display_name", "company", "connected_on").rows()
    assert rows == [
        ("Søren Jørgensen", "Mærsk", datetime(2021, 9, 16)),
        ("Åse Østergård", "Novo Nordisk", datetime(2022, 2, 3)),
        ("Jens Hansen", "Ørsted", datetime(2023, 12, 1)),
    ]
    assert batch.notes == [
        "Connections.csv: not UTF-8, read as cp1252 (detected by charset-normalizer)"
    ]
    result = cli("import", "linkedin", DANISH)
    assert result.exit_code == 0, result.stderr
    assert "read as cp1252" in result.stdout


def _interactions(tmp_path, dates: list[str]):
    path = tmp_path / "interactions.csv"
    path.write_text(
        "contact_id,date,direction\n" + "".join(f"a,{d},out\n" for d in dates), encoding="utf-8"
    )
    return path


def test_day_first_only_when_the_column_says_so(tmp_path):
    # 16/09/2021 cannot be month-first: the whole column is read day-first
    batch = import_csv(None, _interactions(tmp_path, ["03/02/2021", "16/09/2021"]))
    assert sorted(batch.interactions["ts"].to_list()) == [
        datetime(2021, 2, 3),
        datetime(2021, 9, 16),
    ]
    assert batch.notes == ["interactions.csv: date read day-first (e.g. '16/09/2021')"]
    # nothing says day-first: month-first, as before
    batch = import_csv(None, _interactions(tmp_path, ["03/02/2021", "12/09/2021"]))
    assert sorted(batch.interactions["ts"].to_list()) == [
        datetime(2021, 3, 2),
        datetime(2021, 12, 9),
    ]
    assert batch.notes == []


def test_a_date_neither_way_still_names_its_line(tmp_path):
    path = _interactions(tmp_path, ["16/09/2021", "09/16/2021", "01/02/2021"])
    batch = import_csv(None, path)  # month-first, the one row that is not left out
    assert sorted(batch.interactions["ts"].to_list()) == [
        datetime(2021, 1, 2),
        datetime(2021, 9, 16),
    ]
    assert batch.notes == [
        "interactions.csv: 1 unreadable row skipped (line 2: date '16/09/2021' is not a date "
        "such as 2024-06-18 14:05:00 UTC, 6/18/24, 6:14 PM, 18 Jun 2024 or 18-Jun-24)"
    ]


def test_binary_is_still_refused_not_guessed(tmp_path):
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_table(b"a,b\n\x80\x00\x81,2\n", "x.csv", ["a"])
