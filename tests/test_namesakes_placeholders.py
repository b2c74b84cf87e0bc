"""Namesakes stay apart, placeholders never become people (issue 17, points 1 and 2).

``tests/data/linkedin/export-2026-namesakes`` carries the real 2024 header lines (see
tests/data/SOURCES.md) with invented rows: three different "Rasel Ahmed" (three profile
URLs, two companies), messages from two of them, an invitation each way, and LinkedIn's
"LinkedIn Member" placeholder in two conversations.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import polars as pl
import pytest
from conftest import TEST_DATA

from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.ics import read_ics
from pipelines.ingest.linkedin.export import import_linkedin
from pipelines.ingest.mbox import read_mbox
from pipelines.ingest.placeholders import (
    is_placeholder_address,
    is_placeholder_name,
    placeholder_address_expr,
    placeholder_name_expr,
)
from recommender.store.db import open_store
from recommender.store.duplicates import propose_duplicates
from recommender.store.importer import apply_batch

EXPORT = TEST_DATA / "linkedin" / "export-2026-namesakes"


def _contacts(store) -> list[tuple]:
    return store.frame(
        """SELECT c.display_name, c.company, c.linkedin_url, count(i.interaction_id) AS n,
                  count(*) FILTER (WHERE i.channel = 'invitation') AS invitations
           FROM contacts c LEFT JOIN interactions i USING (contact_id)
           WHERE c.merged_into IS NULL GROUP BY ALL ORDER BY c.linkedin_url"""
    ).rows()


EXPECTED = [
    ("Mei Tanaka", "Rakuten", "https://www.linkedin.com/in/mei-tanaka", 1, 0),
    ("Rasel Ahmed", "Grameenphone", "https://www.linkedin.com/in/rasel-ahmed-7b1a2", 3, 1),
    ("Rasel Ahmed", None, "https://www.linkedin.com/in/rasel-ahmed-cse", 0, 0),
    ("Rasel Ahmed", "BJIT", "https://www.linkedin.com/in/raselahmed-dev", 2, 1),
]


def test_three_rasel_ahmeds_are_three_contacts_with_their_own_history(helpnext_home):
    with open_store(helpnext_home) as store:
        result = apply_batch(store, import_linkedin(EXPORT))
        assert _contacts(store) == EXPECTED
        assert result.interactions_added == 6  # 4 messages + 2 invitations: none lost
        # nobody named "LinkedIn Member" exists
        assert not store.scalar(
            "SELECT count(*) FROM contacts WHERE display_name ILIKE '%linkedin member%'"
        )
        # a shared name alone merges nothing; the names may be proposed, never applied
        for p in propose_duplicates(store):
            assert p["a"]["contact_id"] != p["b"]["contact_id"]
        assert store.scalar("SELECT count(*) FROM merges") == 0


def test_placeholder_messages_are_left_out_and_counted(cli):
    result = cli("import", "linkedin", EXPORT)
    assert result.exit_code == 0, result.stderr
    out = " ".join(result.stdout.split())
    assert (
        "3 messages with a 'LinkedIn Member' placeholder (a deleted or hidden account) left out"
        in out
    )


def test_a_newer_export_keeps_namesakes_apart(tmp_path, helpnext_home):
    newer = tmp_path / "newer"
    shutil.copytree(EXPORT, newer)
    conn = newer / "Connections.csv"
    # a month later one Rasel changed company; the export now lists them in another order
    text = conn.read_text().replace("BJIT,Software Engineer", "Pathao,Senior Engineer")
    conn.write_text(text)
    with open(newer / "messages.csv", "a") as messages:
        messages.write(
            "2-n5,,Mei Tanaka,https://www.linkedin.com/in/mei-tanaka,Ana Souza,"
            "https://www.linkedin.com/in/ana-souza,2026-03-20 08:00:00 UTC,,Lunch?,INBOX,false,false\n"
        )
    with open_store(helpnext_home) as store:
        apply_batch(store, import_linkedin(EXPORT))
        result = apply_batch(store, import_linkedin(newer))
        assert result.contacts_added == 0
        assert result.events_added == 1  # exactly the one role change
        rows = _contacts(store)
        assert [r[2] for r in rows] == [r[2] for r in EXPECTED]
        assert rows[3][1] == "Pathao"
        assert [r[3] for r in rows] == [2, 3, 0, 2]


def test_namesakes_without_urls_in_one_connections_file(tmp_path, helpnext_home):
    """A 2018 layout has no URL column: two rows of one Connections.csv are two people."""
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "Connections.csv").write_text(
        "First Name,Last Name,Email Address,Company,Position,Connected On\n"
        'Rasel,Ahmed,,Grameenphone,Analyst,"1/8/18, 6:14 PM"\n'
        'Rasel,Ahmed,,BJIT,Engineer,"1/9/18, 6:14 PM"\n'
    )
    with open_store(helpnext_home) as store:
        apply_batch(store, import_linkedin(folder))
        companies = store.frame(
            "SELECT company FROM contacts WHERE merged_into IS NULL ORDER BY company"
        )["company"].to_list()
        assert companies == ["BJIT", "Grameenphone"]


def _one(ref, name, emails=(), url=None, company=None):
    return {
        "ref": ref,
        "display_name": name,
        "emails": list(emails),
        "linkedin_url": url,
        "company": company,
    }


def _batch(label, people, kind="vcard"):
    interactions = pl.DataFrame(
        {
            "ref": [p["ref"] for p in people],
            "uid_key": [f"{label}:{p['ref']}" for p in people],
            "ts": [datetime(2024, 1, 1)] * len(people),
            "channel": ["email"] * len(people),
            "direction": ["in"] * len(people),
        }
    )
    return ImportBatch(kind, label, label, pl.DataFrame(people), interactions)


@pytest.mark.parametrize(
    ("first", "second", "contacts"),
    [
        # two e-mail addresses, nothing but a name in common: two people
        (_one("a", "Ana Lee", ["ana@a.org"]), _one("b", "Ana Lee", ["ana@b.org"]), 2),
        # two profile URLs at one company: two people
        (
            _one("a", "Ana Lee", url="https://www.linkedin.com/in/ana-1", company="Acme"),
            _one("b", "Ana Lee", url="https://www.linkedin.com/in/ana-2", company="Acme"),
            2,
        ),
        # an address and a name + company that nothing contradicts: one person
        (
            _one("a", "Ana Lee", ["ana@a.org"], company="Acme"),
            _one("b", "Ana Lee", url="https://www.linkedin.com/in/ana-1", company="Acme"),
            1,
        ),
        # the same address: one person whatever the names
        (_one("a", "Ana Lee", ["ana@a.org"]), _one("b", "A. Lee", ["ANA@a.org"]), 1),
    ],
    ids=["two-emails", "two-urls-one-company", "name-company", "same-email"],
)
def test_merge_rules_within_and_across_imports(helpnext_home, first, second, contacts):
    for together in (True, False):
        with open_store(helpnext_home) as store:
            store.con.execute(
                "DELETE FROM interactions; DELETE FROM identities; DELETE FROM merges"
            )
            store.con.execute("DELETE FROM contacts; DELETE FROM imports")
            if together:
                apply_batch(store, _batch("both", [first, second]))
            else:
                apply_batch(store, _batch("one", [first]))
                apply_batch(store, _batch("two", [second]))
            n = store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")
            assert n == contacts, together
            assert store.scalar("SELECT count(*) FROM interactions") == 2


def test_placeholder_list_on_the_real_addresses():
    addresses = [
        "unknownorganizer@calendar.google.com",
        "googlecommunityteam-noreply@google.com",
        "noreply@github.com",
        "noreen@example.com",
        "c_1889sk3n0e1jgh4uk5g@group.calendar.google.com",
        "dana@acme.com",
        "MAILER-DAEMON@mx.example.com",
    ]
    # the Polars rules say what the Python ones say
    frame = pl.DataFrame({"a": addresses})
    assert frame.select(placeholder_address_expr(pl.col("a")))["a"].to_list() == [
        is_placeholder_address(a) for a in addresses
    ]
    names = pl.DataFrame({"n": ["LinkedIn Member", "Linda Member", None, " linkedin  MEMBER "]})
    assert names.select(placeholder_name_expr(pl.col("n")))["n"].to_list() == [
        True,
        False,
        False,
        True,
    ]
    for address in (
        "unknownorganizer@calendar.google.com",
        "googlecommunityteam-noreply@google.com",
        "noreply@github.com",
        "no-reply@accounts.google.com",
        "calendar-notification@google.com",
        "MAILER-DAEMON@mx.example.com",
        "en.usa#holiday@group.v.calendar.google.com",
        "c_188ar2m0ljkqo@resource.calendar.google.com",
    ):
        assert is_placeholder_address(address), address
    for address in (
        "noreen@example.com",
        "replyall@example.com",
        "dana@acme.com",
        "c_1889sk3n0e1jgh4uk5g@group.calendar.google.com",  # a shared calendar: someone's
    ):
        assert not is_placeholder_address(address), address
    assert is_placeholder_name("LinkedIn Member") and is_placeholder_name("linkedin  member")
    assert not is_placeholder_name("Linda Member")


def test_google_calendar_unknown_organizer_is_nobody(tmp_path):
    cal = tmp_path / "google.ics"
    cal.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
        "BEGIN:VEVENT\r\nDTSTART:20240105T100000Z\r\nDTEND:20240105T110000Z\r\n"
        "ORGANIZER;CN=Unknown Organizer:mailto:unknownorganizer@calendar.google.com\r\n"
        "ATTENDEE;CN=me@example.com;PARTSTAT=ACCEPTED:mailto:me@example.com\r\n"
        "ATTENDEE;CN=Dana Smith;PARTSTAT=ACCEPTED:mailto:dana@acme.com\r\n"
        "UID:abc@google.com\r\nSUMMARY:Imported event\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    batch = read_ics(cal, ["me@example.com"], now=datetime(2024, 6, 1))
    assert batch.people["emails"].to_list() == [["dana@acme.com"]]
    assert batch.interactions["n_participants"].to_list() == [2]
    assert batch.details["placeholder_attendees"] == 1


def test_gmail_takeout_community_team_is_no_contact(tmp_path):
    path = tmp_path / "takeout.mbox"
    path.write_text(
        "From 1790000000000000000@xxx Tue Jun 18 14:05:00 +0000 2024\n"
        "X-Gmail-Labels: Inbox\nFrom: Google Community Team <googlecommunityteam-noreply@google.com>\n"
        "To: me@example.com\nDate: Tue, 18 Jun 2024 14:05:00 +0000\nMessage-ID: <g1@google.com>\n"
        "Subject: Welcome\n\nhello\n\n"
        "From 1790000000000000001@xxx Wed Jun 19 14:05:00 +0000 2024\n"
        "From: Dana Smith <dana@acme.com>\nTo: me@example.com\n"
        "Date: Wed, 19 Jun 2024 14:05:00 +0000\nMessage-ID: <d1@acme.com>\nSubject: hi\n\nyo\n"
    )
    batch = read_mbox(path, ["me@example.com"])
    assert batch.people["emails"].to_list() == [["dana@acme.com"]]
    assert batch.details["skipped"] == {"no_reply_sender": 1}
