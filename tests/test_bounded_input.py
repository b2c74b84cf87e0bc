"""Bounded memory on any input (issue 17, point 8; issue 18, point 2): archive members
are capped in size and inflation ratio as they stream, fields and files in length; each
refusal is one clear line."""

from __future__ import annotations

import zipfile

import polars as pl
import pytest
from conftest import TEST_DATA

from pipelines.ingest.linkedin.export import import_linkedin
from pipelines.ingest.linkedin.files import MAX_RATIO
from pipelines.ingest.text import MAX_FIELD_BYTES
from recommender.errors import InputError

EXPORT = TEST_DATA / "linkedin" / "export-2024-12"
HEADER = (EXPORT / "messages.csv").read_text(encoding="utf-8").splitlines()[0]


def test_zip_bomb_member_is_refused_before_it_inflates(tmp_path, cli):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("messages.csv", HEADER + "\n" + "A" * (64 << 20))  # one 64 MB line
    assert bomb.stat().st_size < (1 << 20)
    with pytest.raises(InputError) as err:
        import_linkedin(bomb)
    assert str(err.value).startswith(f"{bomb.name}:messages.csv: inflates past 64 MB from ")
    assert f"more than {MAX_RATIO} times its packed size" in str(err.value)
    result = cli("import", "linkedin", bomb)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1


def test_a_field_over_the_cap_makes_its_row_unreadable(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    text = (EXPORT / "Connections.csv").read_text(encoding="utf-8")
    huge = "x" * (MAX_FIELD_BYTES + 1)
    (folder / "Connections.csv").write_text(text.replace("Jürgen", huge), encoding="utf-8")
    batch = import_linkedin(folder)
    assert huge not in batch.people["first_name"].to_list()
    assert batch.details["unreadable_rows"] == {"Connections.csv": 1}
    (note,) = batch.notes
    assert note == (
        "Connections.csv: 1 unreadable row skipped (line 5: First Name is longer than "
        "1,048,576 bytes)"
    )


def test_links_out_of_the_export_are_not_followed(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    for name in ("Connections.csv", "Profile.csv"):
        (folder / name).write_bytes((EXPORT / name).read_bytes())
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "messages.csv").write_bytes((EXPORT / "messages.csv").read_bytes())
    (folder / "messages.csv").symlink_to(outside / "messages.csv")
    (folder / "more").symlink_to(outside, target_is_directory=True)
    batch = import_linkedin(folder)
    assert "messages.csv" not in batch.details  # never read
    assert batch.details["links_not_followed"] >= 1
    assert any("not read (a link leads outside the export)" in n for n in batch.notes)


def _calendar(*events: str) -> str:
    body = "".join(
        "BEGIN:VEVENT\r\n" + e + "ORGANIZER:mailto:me@example.com\r\n"
        "ATTENDEE;CN=Dana:mailto:dana@acme.com\r\nEND:VEVENT\r\n"
        for e in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n{body}END:VCALENDAR\r\n"


def test_an_endless_minutely_rule_keeps_its_last_thousand_occurrences(tmp_path):
    from datetime import datetime, timedelta

    from pipelines.ingest.ics import read_ics

    ics = tmp_path / "endless.ics"
    ics.write_text(
        _calendar(
            "UID:endless\r\nDTSTART:19000101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\n",
            "UID:once\r\nDTSTART:20240301T100000Z\r\nDTEND:20240301T110000Z\r\n",
        )
    )
    now = datetime(2025, 1, 1)
    batch = read_ics(ics, ["me@example.com"], now=now)
    ts = batch.interactions.sort("ts")["ts"]
    # the one-off meeting, then the endless rule's last 1000 minutes before now
    assert ts[0] == datetime(2024, 3, 1, 10)
    assert ts.len() == 1 + 1000
    assert ts[1] == now - timedelta(minutes=1000) and ts[-1] == now - timedelta(minutes=1)
    assert batch.details["recurring"] == {
        "occurrences_kept": 1000,
        "rules_capped": 1,
        "cap_per_rule": 1000,
    }
    assert (
        "1 recurring event capped at the last 1,000 occurrences each "
        "(1,000 kept; older ones left out)" in batch.notes
    )


def test_a_rule_that_ended_keeps_its_last_periods_and_a_short_one_all(tmp_path):
    from datetime import datetime

    from pipelines.ingest.ics import read_ics

    ics = tmp_path / "daily.ics"
    ics.write_text(
        _calendar(
            # daily 2000-01-01 .. 2009-12-31: 3653 days, the last 1000 kept
            "UID:daily\r\nDTSTART:20000101T090000Z\r\nDURATION:PT15M\r\n"
            "RRULE:FREQ=DAILY;UNTIL=20091231T090000Z\r\n",
            # weekly, 10 times: all kept, not capped
            "UID:weekly\r\nDTSTART:20240101T090000Z\r\nDURATION:PT30M\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=10\r\n",
        )
    )
    batch = read_ics(ics, ["me@example.com"], now=datetime(2025, 1, 1))
    by_thread = batch.interactions.group_by("thread").agg(
        n=pl.len(), first=pl.col("ts").min(), last=pl.col("ts").max()
    )
    rows = {r["thread"]: (r["n"], r["first"], r["last"]) for r in by_thread.to_dicts()}
    assert rows["daily"] == (1000, datetime(2007, 4, 7, 9), datetime(2009, 12, 31, 9))
    assert rows["weekly"] == (10, datetime(2024, 1, 1, 9), datetime(2024, 3, 4, 9))
    assert batch.details["recurring"]["rules_capped"] == 1


def test_maildir_links_out_of_the_folder_are_named_and_not_followed(tmp_path):
    import shutil

    from pipelines.ingest.mbox import read_maildir

    mutt = TEST_DATA / "maildir" / "mutt"
    box = tmp_path / "Mail"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    first = sorted((mutt / "cur").iterdir())[0]
    shutil.copy(first, box / "cur" / first.name)
    # elsewhere: a Maildir++ folder and one message, both linked into the box
    outside = tmp_path / "elsewhere"
    shutil.copytree(mutt / ".Sent", outside / ".Sent")
    secret = sorted((mutt / "cur").iterdir())[1]
    shutil.copy(secret, outside / "secret")
    (box / ".Sent").symlink_to(outside / ".Sent", target_is_directory=True)
    (box / "cur" / "1700000000.M1P1Q1.host:2,S").symlink_to(outside / "secret")
    batch = read_maildir(box, ["me@example.com"])
    assert batch.details["skipped"]["link"] == 2
    assert batch.details["links_not_followed"] == [".Sent", "cur/1700000000.M1P1Q1.host:2,S"]
    assert (
        "2 links not followed (files are read only inside the folder): .Sent, "
        "cur/1700000000.M1P1Q1.host:2,S" in batch.notes
    )
    assert set(batch.interactions["direction"]) == {"in"}  # nothing of .Sent was read


def test_an_error_quotes_a_short_excerpt_of_a_huge_value(tmp_path, cli):
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2 1700000000\n" + "9" * 40 + "x" * (2 << 20) + " 2 1700000001\n")
    result = cli("import", "edges", edges)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"helpnext: error: {edges}, line 2: SRC '{'9' * 40 + 'x' * 40}'... "
        "(2,097,192 characters) is not an integer id"
    )


def test_no_error_message_is_longer_than_a_thousand_characters():
    from pipelines.errors import InputError

    err = InputError("f.csv", "x" * 5_000_000, line=3)
    assert str(err) == "f.csv, line 3: " + "x" * 1000 + "... (message cut)"


def test_a_rule_with_several_days_a_week_keeps_its_most_recent_thousand(tmp_path):
    from datetime import datetime

    from pipelines.ingest.ics import read_ics

    ics = tmp_path / "standup.ics"
    ics.write_text(
        _calendar(
            "UID:standup\r\nDTSTART:20000103T090000Z\r\nDURATION:PT15M\r\n"
            "RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r\n"
        )
    )
    batch = read_ics(ics, ["me@example.com"], now=datetime(2025, 1, 1))
    ts = batch.interactions["ts"].sort()
    assert ts.len() == 1000
    assert ts[-1] == datetime(2024, 12, 31, 9)  # the last weekday before now
    assert ts[0] == datetime(2021, 3, 3, 9)  # 200 weeks of 5 days back
    assert set(ts.dt.weekday()) == {1, 2, 3, 4, 5}
    assert batch.details["recurring"]["rules_capped"] == 1
