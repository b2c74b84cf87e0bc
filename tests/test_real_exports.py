"""Real files written outside this project (issue 17), imported through the CLI.

Each file's provenance (repository, path, commit, licence) is in ``tests/data/SOURCES.md``.
The expected answers below were worked out by reading the files, not by running helpnext.
"""

from __future__ import annotations

import json
from datetime import datetime

from conftest import TEST_DATA

from pipelines.ingest.ics import read_ics
from recommender.store.db import open_store

ICS = TEST_DATA / "ics"


def _import(cli, kind, path, *extra):
    result = cli("import", kind, path, *extra, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _contact_count(home) -> int:
    with open_store(home) as store:
        return store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")


def _contacts_list(cli) -> list[dict]:
    result = cli("contacts", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _contacts(cli) -> dict[str, dict]:
    return {c["email"]: c for c in _contacts_list(cli)}


# --- calendars (point 6) -------------------------------------------------------------------


def test_real_exchange_2010_calendar_without_attendees_imports_nothing_and_exits_0(
    cli, helpnext_home
):
    # Exchange 2010 publishes three events (two fortnightly all-day series and one
    # 18:30 meeting), none with an ORGANIZER or ATTENDEE: a valid file with nobody in it
    path = ICS / "icalendar_alarm_outlook_in_future.ics"
    result = cli("import", "ics", path, "--me", "me@example.com")
    assert result.exit_code == 0, result.stderr
    assert "error" not in (result.stdout + result.stderr).lower()
    assert len((result.stdout + result.stderr).strip().splitlines()) <= 2  # one line, wrapped
    report = _import(cli, "ics", path, "--me", "me@example.com")
    assert report["contacts_added"] == 0
    assert report["interactions_added"] == 0
    assert report["nothing_to_import"] is True
    assert set(report["details"]["skipped"]) == {"no_other_attendees"}
    # every occurrence read was skipped, and at least the three events were read
    assert report["rows_skipped"] == report["rows_read"] >= 3
    assert _contact_count(helpnext_home) == 0


def test_real_google_calendar_alarm_attendee_is_no_contact(cli, helpnext_home):
    # Google's export of one event with four reminders; the only ATTENDEE line sits inside
    # an e-mail VALARM (whom the reminder is mailed to), not on the event: nobody was met
    path = ICS / "icalendar_alarm_google_future.ics"
    report = _import(cli, "ics", path, "--me", "someone.else@example.com")
    assert report["contacts_added"] == 0
    assert report["interactions_added"] == 0
    assert report["rows_read"] == 1
    assert report["details"]["skipped"] == {"no_other_attendees": 1}
    assert _contact_count(helpnext_home) == 0


def test_real_exchange_2010_blank_tzid_is_read_as_utc_and_said(cli, helpnext_home):
    # ical4j's sample of an Exchange 2010 invitation: `TZID:` empty in the VTIMEZONE and
    # `TZID=` empty on DTSTART and DTEND (three empty TZIDs), no X-WR-TIMEZONE, so the
    # fallback is UTC. Bruce Roberts organises and attends; Sam Peter is invited
    path = ICS / "ical4j_blank_tzid_exchange2010.ics"
    result = cli("import", "ics", path, "--me", "sam@company.com")
    assert result.exit_code == 0, result.stderr
    assert "3 empty TZIDs read as UTC" in result.stdout
    contacts = _contacts(cli)
    assert set(contacts) == {"roberts@company.com"}
    bruce = contacts["roberts@company.com"]
    assert bruce["name"] == "Bruce Roberts"  # CN folded as "Bruce Robe" / " rts" on the ATTENDEE
    assert (bruce["sent"], bruce["received"]) == (0, 1)  # he organised it
    assert bruce["last_interaction"] == "2015-08-26 09:00:00"  # 09:00 in no zone, read as UTC


def test_real_exchange_2010_blank_tzid_seen_by_the_organiser(cli):
    path = ICS / "ical4j_blank_tzid_exchange2010.ics"
    report = _import(cli, "ics", path, "--me", "roberts@company.com")
    assert report["contacts_added"] == 1
    assert report["interactions_added"] == 1
    assert report["details"]["empty_tzid"] == {"count": 3, "read_as": "UTC"}
    contacts = _contacts(cli)
    assert set(contacts) == {"sam@company.com"}
    assert contacts["sam@company.com"]["name"] == "Sam Peter"
    assert (contacts["sam@company.com"]["sent"], contacts["sam@company.com"]["received"]) == (1, 0)


def test_real_outlook_2003_standup_honours_its_windows_zone(cli, helpnext_home):
    # Outlook 11 publishes a weekday standup at 09:30 in its own zone named
    # "Canberra, Melbourne, Sydney" (quoted TZID with commas): +11 until the first Sunday
    # of April, +10 after. Organised by Ben Fortuna, nobody else listed
    path = ICS / "ical4j_outlook2003_standup.ics"
    mine = _import(cli, "ics", path, "--me", "Ben.Fortuna@example.com")
    assert mine["nothing_to_import"] is True  # his own calendar: nobody else in it
    assert mine["contacts_added"] == 0
    assert set(mine["details"]["skipped"]) == {"no_other_attendees"}
    seen = _import(cli, "ics", path, "--me", "sam@example.com")  # a reader he invited
    assert seen["contacts_added"] == 1
    # it has no end: read over its last 1000 days before now (issue 18), weekdays only
    assert seen["details"]["recurring"]["rules_capped"] == 1
    assert 700 <= seen["details"]["recurring"]["occurrences_kept"] <= 720
    # read as of 2010, the whole series from its first day
    batch = read_ics(path, ["sam@example.com"], now=datetime(2010, 1, 1))
    ts = batch.interactions["ts"]
    first = ts.min()
    around = ts.filter(ts.is_between(datetime(2009, 4, 1), datetime(2009, 4, 8))).to_list()
    assert first == datetime(2009, 3, 9, 22, 30)  # Tue 10 March 09:30 +11
    assert around == [
        datetime(2009, 4, 1, 22, 30),  # Thu 2 April, +11
        datetime(2009, 4, 2, 22, 30),  # Fri 3 April, +11
        datetime(2009, 4, 5, 23, 30),  # Mon 6 April, +10 after 5 April
        datetime(2009, 4, 6, 23, 30),
        datetime(2009, 4, 7, 23, 30),
    ]
    assert _contacts(cli)["ben.fortuna@example.com"]["sent"] == 0


# --- Maildir (point 9) ---------------------------------------------------------------------

MAILDIR = TEST_DATA / "maildir" / "notmuch"


def test_real_maildir_from_the_notmuch_corpus(cli):
    # four public mailing-list messages kept in cur/ only (git keeps no empty new/): two
    # sent by Carl Worth to the notmuch list, one from Aron Griffis to the list, one from
    # François Boulogne (an RFC 2047 ISO-8859-1 name, Thunderbird 9) to aur-general
    report = _import(cli, "maildir", MAILDIR, "--me", "cworth@cworth.org")
    assert report["rows_read"] == 4
    assert report["rows_skipped"] == 0
    assert report["contacts_added"] == 3
    assert report["interactions_added"] == 4
    contacts = _contacts(cli)
    assert set(contacts) == {
        "notmuch@notmuchmail.org",
        "agriffis@n01se.net",
        "boulogne.f@gmail.com",
    }
    assert contacts["boulogne.f@gmail.com"]["name"] == "François Boulogne"
    assert contacts["agriffis@n01se.net"]["name"] == "Aron Griffis"
    assert (
        contacts["notmuch@notmuchmail.org"]["sent"],
        contacts["notmuch@notmuchmail.org"]["received"],
    ) == (2, 0)
    # Date: Thu, 29 Dec 2010 15:07:54 +0100 is 14:07:54 UTC
    assert contacts["boulogne.f@gmail.com"]["last_interaction"] == "2010-12-29 14:07:54"
    # Tue, 17 Nov 2009 18:21:38 -0500 is 23:21:38 UTC
    assert contacts["agriffis@n01se.net"]["last_interaction"] == "2009-11-17 23:21:38"
    again = _import(cli, "maildir", MAILDIR, "--me", "cworth@cworth.org")
    assert again["already_imported"] is True


# --- address books (point 3) ---------------------------------------------------------------

VCARD = TEST_DATA / "vcard"


def test_real_android_2_1_address_book_with_soft_breaks_and_a_photo(cli):
    # six cards written by an Android 2.1 phone: two with only an e-mail, names in UTF-8
    # quoted-printable (two continued by soft line breaks onto unindented lines), notes and
    # organisations whose soft breaks run onto the next property or a blank line, an
    # invalid `=80` byte, and a folded base64 PHOTO ended by a blank line
    report = _import(cli, "vcard", VCARD / "cardme_android_2.1.vcf")
    assert report["rows_read"] == 6
    assert report["rows_skipped"] == 0
    assert report["contacts_added"] == 6
    names = sorted(c["name"] for c in _contacts_list(cli))
    ene = "\N{LATIN CAPITAL LETTER N WITH TILDE}"
    assert names == sorted(
        [
            "john.doe@comapny.com",  # the card's own spelling
            "jane.doe@company.com",
            " ".join([ene] * 5),  # FN "Ñ Ñ Ñ Ñ Ñ " (trailing space)
            " ".join([ene] * 11),  # 8 before the soft break, 3 after
            " ".join([ene] * 4),
            ene * 4,
        ]
    )
    contacts = _contacts(cli)
    assert contacts["bob@company.com"]["name"] == " ".join([ene] * 4)
    assert contacts["bob@company.com"]["company"] == ene * 12  # 11, soft break, 1
    assert contacts["henry@company.com"]["company"] == ene * 44  # four lines of 11
    # the second EMAIL of Bob's card is a run of Ñ, no address: not kept
    assert set(contacts) == {
        "john.doe@comapny.com",
        "jane.doe@company.com",
        "bob@company.com",
        "henry@company.com",
        None,
    }
    # "My Contacts" is Google's system group (its name before 2018), not a tag
    assert all(c["tags"] is None for c in _contacts_list(cli))


def test_real_outlook_2003_card(cli):
    # an Outlook 2003 vCard 2.1: QP NOTE and LABELs, one soft break inside a LABEL, Latin-1
    # bytes (=F3, =B3) in a QP value that names no CHARSET, `EMAIL;PREF=1;INTERNET`
    report = _import(cli, "vcard", VCARD / "ical4j_vcard_outlook2003_antoni.vcf")
    assert (report["rows_read"], report["rows_skipped"], report["contacts_added"]) == (1, 0, 1)
    (antoni,) = _contacts_list(cli)
    assert antoni["name"] == "Antoni Jozef Mylka jun."  # FN whole
    assert antoni["email"] == "antoni_mylka@somedomain.com"
    assert antoni["company"] == "DFKI"  # ORG:DFKI;Knowledge-Management
    assert antoni["position"] == "Intern"


def test_real_mac_address_book_card_with_a_folded_photo(cli):
    # Mac OS X Address Book 3.0: a 4.6 kB PHOTO folded with two-space continuation lines
    report = _import(cli, "vcard", VCARD / "cardme_mac_addressbook_photo_3.0.vcf")
    assert (report["rows_read"], report["rows_skipped"], report["contacts_added"]) == (1, 0, 1)
    (martin,) = _contacts_list(cli)
    assert martin["name"] == "Martin Smith"
    assert martin["company"] == "Rocket & Partner"
    assert martin["email"] is None
