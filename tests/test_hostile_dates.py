"""Dates that would poison the store (issue 18, point 3): every importer holds its dates to
1970-01-01 .. a year past now. A value outside is a counted skip (a file's row is named by
line) or a clear one-line error, never a value a later command cannot read."""

from __future__ import annotations

import json
import shutil

from conftest import TEST_DATA

from pipelines.dates import span_text

EXPORT = TEST_DATA / "linkedin" / "export-2024-12"


def _import(cli, *args) -> dict:
    result = cli("import", *args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _every_reader_works(cli, tmp_path) -> None:
    for args in (
        ("stats",),
        ("contacts",),
        ("today",),
        ("export", "--out", str(tmp_path / "out")),
    ):
        result = cli(*args)
        assert result.exit_code == 0, (args, result.stderr)


def test_linkedin_connected_on_year_0000_is_a_skipped_row(cli, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    path = folder / "Connections.csv"
    path.write_text(
        path.read_text(encoding="utf-8").replace("12 Mar 2024", "01 Jan 0000"), encoding="utf-8"
    )
    report = _import(cli, "linkedin", folder)
    assert report["details"]["unreadable_rows"] == {"Connections.csv": 1}
    assert report["notes"] == [
        "Connections.csv: 1 unreadable row skipped (line 5: Connected On '01 Jan 0000' is "
        f"outside {span_text()})"
    ]
    _every_reader_works(cli, tmp_path)


def test_generic_csv_years_1900_and_2099_are_skipped_rows(cli, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("contact_id,name\nc1,Dana\nc2,Bo\n")
    rows = tmp_path / "interactions.csv"
    rows.write_text(
        "contact_id,date,direction\n"
        "c1,2024-06-18,out\nc1,1900-01-01,out\nc2,2024-06-19,in\nc2,2099-01-01,in\n"
    )
    report = _import(cli, "csv", "--contacts", contacts, "--interactions", rows)
    assert report["interactions_added"] == 2
    assert report["notes"] == [
        "interactions.csv: 2 unreadable rows skipped (lines 3, 5: date '1900-01-01' is "
        f"outside {span_text()})"
    ]


def test_edge_timestamps_past_any_readable_date_are_counted_and_left_out(cli, tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2 1700000000\n2 1 1e14\n1 3 99999999999999999999\n3 1 1700000100\n")
    report = _import(cli, "edges", edges)
    assert report["interactions_added"] == 4  # two edges, each an out and an in row
    assert report["rows_read"] == 4 and report["rows_skipped"] == 2
    assert report["details"]["ts_out_of_range"] == 2
    assert report["notes"] == [f"2 edges with a TS outside {span_text()} left out (e.g. 1e+14)"]
    _every_reader_works(cli, tmp_path)


def test_an_edge_list_with_no_readable_time_is_one_line(cli, tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2 99999999999999999999\n")
    result = cli("import", "edges", edges)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"helpnext: error: {edges}: every TS is outside {span_text()} as seconds from 1970 "
        "(the first: 1e+20)"
    )


def _message(date: str, n: int) -> str:
    return (
        f"From dana@acme.com Mon Jun 17 10:00:00 2024\nFrom: Dana <dana@acme.com>\n"
        f"To: me@example.com\nSubject: hi {n}\nMessage-ID: <m{n}@acme.com>\nDate: {date}\n\nhi\n\n"
    )


def test_mbox_years_0000_1900_and_2099_never_reach_the_store(cli, tmp_path):
    mbox = tmp_path / "mail.mbox"
    mbox.write_text(
        _message("Mon, 17 Jun 2024 10:00:00 +0000", 1)
        + _message("Sat, 01 Jan 0000 10:00:00 +0000", 2)  # read as 2000 by the e-mail parser
        + _message("Mon, 01 Jan 1900 10:00:00 +0000", 3)
        + _message("Thu, 01 Jan 2099 10:00:00 +0000", 4)
    )
    report = _import(cli, "mbox", mbox, "--me", "me@example.com")
    assert report["interactions_added"] == 1
    assert report["details"]["dates_out_of_range"] == 2
    assert f"2 interactions dated outside {span_text()} left out" in report["notes"]
    assert report["rows_skipped"] >= 3  # and year 0000 is a date that does not parse
    _every_reader_works(cli, tmp_path)


def test_a_calendar_meeting_in_1900_is_left_out(cli, tmp_path):
    ics = tmp_path / "cal.ics"
    event = (
        "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTART:{when}\r\nDURATION:PT1H\r\n"
        "ORGANIZER:mailto:me@example.com\r\nATTENDEE:mailto:dana@acme.com\r\nEND:VEVENT\r\n"
    )
    ics.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
        + event.format(uid="old", when="19000101T100000Z")
        + event.format(uid="new", when="20240101T100000Z")
        + "END:VCALENDAR\r\n"
    )
    report = _import(cli, "ics", ics, "--me", "me@example.com")
    assert report["interactions_added"] == 1
    assert report["details"]["dates_out_of_range"] == 1


def test_as_of_far_in_the_future_is_one_line_and_a_usage_error(cli):
    for command in (["today"], ["score", "--out", "x.csv"]):
        result = cli(*command, "--as-of", "9999-12-31")
        assert result.exit_code == 2, (command, result.stderr)
        assert result.stderr.strip() == (
            f"helpnext: error: --as-of '9999-12-31' is outside {span_text()}"
        )


def test_an_article_dated_year_0000_is_a_clear_line(cli, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text(
        '{"title": "A", "url": "https://a.example/1", "date": "2024-06-01"}\n'
        '{"title": "B", "url": "https://a.example/2", "date": "0000-01-01"}\n'
    )
    result = cli("import", "articles", items)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"helpnext: error: {items}, line 2: date '0000-01-01' is outside {span_text()}"
    )
