"""mbox import: Gmail Takeout and Thunderbird files, streaming, bulk mail, bad input."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from conftest import TEST_DATA

from pipelines.ingest.mbox import read_mbox
from recommender.errors import InputError
from recommender.store.db import open_store
from recommender.store.importer import apply_batch

MBOX = TEST_DATA / "mbox"
ME = ["me@example.com"]


def test_gmail_takeout_directions_threads_and_skips():
    batch = read_mbox(MBOX / "gmail_takeout.mbox", ME)
    rows = batch.interactions.select(
        "ref", "ts", "direction", "thread", "n_participants", "subject", "detail"
    ).rows()
    # out to both recipients (Cc to myself ignored), 3 participants incl. me; UTC from +0200
    assert rows[0][:5] == (
        "dana@acme.com",
        datetime(2024, 6, 18, 14, 5),
        "out",
        "<CAB1@mail.gmail.com>",
        3,
    )
    assert rows[1][:3] == ("sam.jones@example.org", datetime(2024, 6, 18, 14, 5), "out")
    # Dana's reply: in, same thread, linked to the message it answers
    assert rows[2][:4] == (
        "dana@acme.com",
        datetime(2024, 6, 19, 9, 0),
        "in",
        "<CAB1@mail.gmail.com>",
    )
    assert json.loads(rows[2][6]) == {
        "message_id": "<CAD2@acme.com>",
        "in_reply_to": "<CAB1@mail.gmail.com>",
    }
    # my follow-up has only In-Reply-To: its thread is found through the parent
    assert [r[0] for r in rows[3:]] == ["jose@example.org", "dana@acme.com"]
    assert {r[3] for r in rows} == {"<CAB1@mail.gmail.com>"}
    assert batch.details["skipped"] == {
        "newsletter": 1,
        "no_reply_sender": 1,
        "mailing_list": 1,
        "bad_date": 1,
    }
    assert batch.rows_read == 7 and batch.rows_skipped == 4
    people = dict(batch.people.select("ref", "display_name").rows())
    assert people == {
        "dana@acme.com": "Dana Smith",
        "sam.jones@example.org": "Sam Jones",
        "jose@example.org": "José Álvarez",  # RFC 2047 encoded name decoded
    }


def test_thunderbird_crlf_from_escaping_and_missing_date():
    batch = read_mbox(MBOX / "thunderbird.mbox", ["ME@example.com"])
    rows = batch.interactions.select("ref", "ts", "direction", "thread").rows()
    assert rows == [
        ("john.lee@initech.com", datetime(2024, 3, 4, 14, 59, 58), "in", "<tb1@initech.com>"),
        # no Date header: the From_ line's date is used
        ("john.lee@initech.com", datetime(2024, 3, 5, 10, 0), "out", "<tb1@initech.com>"),
    ]


def test_cli_import_and_reimport(cli, helpnext_home):
    path = MBOX / "gmail_takeout.mbox"
    first = cli("import", "mbox", path, "--me", "me@example.com", "--json")
    assert first.exit_code == 0, first.stderr
    result = json.loads(first.stdout)
    assert result["contacts_added"] == 3
    assert result["interactions_added"] == 5
    assert result["details"]["skipped"]["mailing_list"] == 1
    again = cli("import", "mbox", path, "--me", "me@example.com", "--json")
    assert json.loads(again.stdout)["already_imported"] is True
    with open_store(helpnext_home) as store:
        assert store.scalar("SELECT count(*) FROM interactions WHERE channel = 'email'") == 5
        assert store.scalar("SELECT count(*) FROM owner_aliases WHERE key = 'me@example.com'") == 1


def test_overlapping_newer_export_adds_only_new_messages(tmp_path, helpnext_home):
    text = (MBOX / "gmail_takeout.mbox").read_bytes()
    older = tmp_path / "older.mbox"
    older.write_bytes(text.split(b"\nFrom 1680000000000000007")[0] + b"\n")
    with open_store(helpnext_home) as store:
        assert apply_batch(store, read_mbox(older, ME)).interactions_added == 3
        newer = apply_batch(store, read_mbox(MBOX / "gmail_takeout.mbox", ME))
        assert (newer.interactions_added, newer.interactions_known) == (2, 3)


def test_cli_needs_me(cli):
    result = cli("import", "mbox", MBOX / "gmail_takeout.mbox")
    assert result.exit_code != 0


def _err(path, me=ME) -> str:
    with pytest.raises(InputError) as info:
        read_mbox(path, me)
    return str(info.value)


def test_bad_inputs_name_file_and_line(tmp_path, cli):
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert _err(empty) == f"{empty}: the file is empty"

    garbage = tmp_path / "garbage.mbox"
    garbage.write_bytes(b"From x Mon Jan 1 00:00:00 2024\n\x00\x01\x02\xff")
    assert _err(garbage) == (
        f"{garbage}, line 2: contains NUL bytes: this is a binary or damaged file, not an mbox"
    )

    csv = tmp_path / "contacts.mbox"
    csv.write_text("name,email\nDana,dana@acme.com\n")
    assert _err(csv).startswith(f"{csv}, line 1: not an mbox file")

    truncated = tmp_path / "truncated.mbox"
    truncated.write_bytes((MBOX / "thunderbird.mbox").read_bytes()[:120])
    assert "looks truncated" in _err(truncated) and f"{truncated}, line " in _err(truncated)

    dates = tmp_path / "dates.mbox"
    dates.write_text(
        "From a@b.c Mon Jan 1 00:00:00 2024\nFrom: a@b.com\nTo: me@example.com\n"
        "Date: yesterday\n\nhi\n"
    )
    assert _err(dates) == (
        f"{dates}, line 1: no message has a Date that parses "
        "(e.g. 'Tue, 18 Jun 2024 14:05:00 +0000')"
    )
    assert "check --me" in _err(MBOX / "thunderbird.mbox", ["someone@else.org"])

    result = cli("import", "mbox", garbage, "--me", "me@example.com")
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("helpnext: error: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_failed_import_changes_nothing(tmp_path, cli, helpnext_home):
    bad = tmp_path / "bad.mbox"
    bad.write_bytes(b"From x Mon Jan 1 00:00:00 2024\nFrom: a@b.com\nTo: me@example.com\n")
    assert cli("import", "mbox", bad, "--me", "me@example.com").exit_code == 1
    assert cli("import", "mbox", MBOX / "thunderbird.mbox", "--me", "me@example.com").exit_code == 0
    with open_store(helpnext_home) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 1


def test_streams_without_reading_bodies(tmp_path):
    """A message with a 5 MB body is skipped line by line; headers only are kept."""
    path = tmp_path / "big.mbox"
    with open(path, "wb") as out:
        out.write(
            b"From x Mon Jan 1 00:00:00 2024\nFrom: Big <big@corp.com>\nTo: me@example.com\n"
            b"Date: Mon, 1 Jan 2024 00:00:00 +0000\nMessage-ID: <big@corp.com>\n\n"
        )
        out.write((b"x" * 99 + b"\n") * 50_000)
    batch = read_mbox(path, ME)
    assert batch.interactions.height == 1


@pytest.mark.parametrize("chunk", [1, 7, 64, 1000])
def test_chunk_boundaries_change_nothing(monkeypatch, chunk):
    """Separators and header ends that straddle two reads are still found."""
    import pipelines.ingest.mbox as mbox

    expected = read_mbox(MBOX / "gmail_takeout.mbox", ME).interactions
    monkeypatch.setattr(mbox, "CHUNK", chunk)
    monkeypatch.setattr(mbox, "FLUSH_ROWS", 2)
    got = read_mbox(MBOX / "gmail_takeout.mbox", ME)
    assert got.interactions.equals(expected)
    assert got.rows_read == 7
