"""iCalendar import: time zones, recurrences, declined attendees, a real Google feed."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import TEST_DATA

from pipelines.ingest.ics import read_ics
from recommender.errors import InputError
from recommender.store.db import open_store

ICS = TEST_DATA / "ics"
ME = ["me@example.com"]
NOW = datetime(2025, 1, 1)


def test_outlook_meetings_known_answer():
    batch = read_ics(ICS / "outlook.ics", ME, now=NOW)
    rows = batch.interactions.select("ref", "ts", "direction", "n_participants", "subject").rows()
    assert rows == [
        # weekly x3 at 10:00 Europe summer time = 08:00 UTC; Sam declined, the room is no person
        ("dana@acme.com", datetime(2024, 7, 1, 8, 0), "out", 2, "Weekly sync"),
        ("dana@acme.com", datetime(2024, 7, 8, 8, 0), "out", 2, "Weekly sync"),
        ("dana@acme.com", datetime(2024, 7, 15, 8, 0), "out", 2, "Weekly sync"),
        # organised by John: in; José (no reply yet) and John are both met
        ("jose@example.org", datetime(2024, 3, 5, 15, 0), "in", 3, "Coffee"),
        ("john.lee@initech.com", datetime(2024, 3, 5, 15, 0), "in", 3, "Coffee"),
    ]
    assert set(batch.interactions["channel"]) == {"meeting"}
    assert batch.details["skipped"] == {"declined_by_me": 1, "no_other_attendees": 1}
    assert "sam.jones@example.org" not in batch.people["ref"].to_list()


def test_recurrences_stop_at_import_time():
    early = read_ics(ICS / "outlook.ics", ME, now=datetime(2024, 7, 9))
    weekly = early.interactions.filter(early.interactions["subject"] == "Weekly sync")
    assert weekly.height == 2


def test_real_google_calendar_feed_imports(cli, helpnext_home):
    batch = read_ics(ICS / "almanack_basic_google_calendar_2010.ics", ME, now=datetime(2011, 1, 1))
    # one event has an attendee (the group calendar); monthly on the 2nd Thursday, 18:00 NZ
    assert batch.interactions.height == 8
    first = batch.interactions.row(0, named=True)
    assert first["ts"] == datetime(2010, 5, 13, 6, 0)  # 18:00 NZST (+12) in UTC
    assert batch.people["display_name"].to_list() == ["Christchurch Tech Events"]
    result = cli(
        "import",
        "ics",
        ICS / "almanack_basic_google_calendar_2010.ics",
        "--me",
        "me@example.com",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["contacts_added"] == 1
    with open_store(helpnext_home) as store:
        assert store.scalar("SELECT count(*) FROM interactions") > 8  # expanded up to today


def test_reimport_adds_nothing(cli):
    first = cli("import", "ics", ICS / "outlook.ics", "--me", "me@example.com", "--json")
    assert json.loads(first.stdout)["interactions_added"] == 5
    again = cli("import", "ics", ICS / "outlook.ics", "--me", "me@example.com", "--json")
    assert json.loads(again.stdout)["already_imported"] is True


def _err(path) -> str:
    with pytest.raises(InputError) as info:
        read_ics(path, ME, now=NOW)
    return str(info.value)


def test_bad_inputs(tmp_path, cli):
    empty = tmp_path / "empty.ics"
    empty.write_bytes(b"")
    assert _err(empty) == f"{empty}: the file is empty"
    garbage = tmp_path / "garbage.ics"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert _err(garbage).startswith(f"{garbage}, line 1: not UTF-8 text")
    vcard = tmp_path / "contacts.ics"
    vcard.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Dana\nEND:VCARD\n")
    assert _err(vcard).startswith(f"{vcard}, line 1: not an iCalendar file")
    truncated = tmp_path / "truncated.ics"
    text = (ICS / "outlook.ics").read_text()
    truncated.write_text(text[: len(text) // 2])
    assert "looks truncated" in _err(truncated)
    broken = tmp_path / "broken.ics"
    broken.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nthis is not a property\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    assert _err(broken) == (
        f"{broken}, line 4: not valid iCalendar in a VEVENT "
        "(Content line could not be parsed into parts)"
    )
    result = cli("import", "ics", truncated, "--me", "me@example.com")
    assert result.exit_code == 1 and result.stderr.startswith("helpnext: error: ")


def test_exchange_2010_empty_tzid_falls_back_to_the_calendar_zone(cli):
    """Exchange 2010 writes ``TZID:`` and ``DTSTART;TZID="":``; the calendar's
    X-WR-TIMEZONE (Europe/Berlin, summer time) is used instead, and the import says so."""
    batch = read_ics(ICS / "exchange2010_empty_tzid.ics", ME, now=NOW)
    assert batch.interactions["ts"].to_list() == [datetime(2024, 7, 2, 8, 0)]
    assert batch.interactions["direction"].to_list() == ["in"]
    assert batch.details["empty_tzid"] == {"count": 3, "read_as": "Europe/Berlin"}
    result = cli("import", "ics", ICS / "exchange2010_empty_tzid.ics", "--me", "me@example.com")
    assert result.exit_code == 0, result.stderr
    assert "3 empty TZIDs read as Europe/Berlin" in result.stdout


def test_empty_tzid_without_calendar_zone_is_utc(tmp_path):
    path = tmp_path / "no-zone.ics"
    text = (ICS / "exchange2010_empty_tzid.ics").read_text()
    path.write_text(text.replace("X-WR-TIMEZONE:Europe/Berlin\n", ""))
    batch = read_ics(path, ME, now=NOW)
    assert batch.interactions["ts"].to_list() == [datetime(2024, 7, 2, 10, 0)]
    assert batch.details["empty_tzid"]["read_as"] == "UTC"


def test_calendar_without_other_attendees_imports_nothing_and_exits_0(tmp_path, cli, helpnext_home):
    path = tmp_path / "alone.ics"
    path.write_text(
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Apple Inc.//macOS 14.0//EN\n"
        "BEGIN:VEVENT\nUID:a\nDTSTART:20240105T100000Z\nSUMMARY:Dentist\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:b\nDTSTART:20240106T100000Z\nSUMMARY:Gym\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    result = cli("import", "ics", path, "--me", "me@example.com")
    assert result.exit_code == 0, result.stderr
    assert " ".join(result.stdout.split()) == (
        "alone.ics: nothing to import: no past meeting with other attendees among 2 events "
        "(2 no other attendees)."
    )
    with open_store(helpnext_home) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 0  # not even provenance


def test_a_calendar_only_home_gets_a_plan(cli):
    """Weekly, fortnightly and three-weekly 1:1s that the other side always organised (so
    every meeting is 'in'): a meeting is an exchange both ways, and the ties gone quiet
    are due a check-in."""
    result = cli("import", "ics", ICS / "google_one_on_ones.ics", "--me", "me@example.com")
    assert result.exit_code == 0, result.stderr
    plan = cli("today", "--as-of", "2024-06-01", "--json")
    assert plan.exit_code == 0, plan.stderr
    rows = json.loads(plan.stdout)
    rows = rows["suggestions"] if isinstance(rows, dict) else rows
    assert [(r["name"], r["action"]) for r in rows] == [
        ("Dana Smith", "check_in"),
        ("José Álvarez", "check_in"),
        ("Li Na", "check_in"),
    ]
