"""Google Contacts CSV import: current and legacy layouts, ::: multi-values, labels."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import TEST_DATA

from pipelines.ingest.google_contacts import read_google_contacts
from recommender.errors import InputError
from recommender.store.db import open_store

GOOGLE = TEST_DATA / "google"


def test_current_layout():
    batch = read_google_contacts(GOOGLE / "contacts.csv")
    dana, john, anon = batch.people.rows(named=True)
    assert dana["display_name"] == "Dana Smith"
    assert dana["emails"] == ["dana@acme.com", "dana.smith@gmail.com"]  # ' ::: ' split, lowered
    assert (dana["company"], dana["position"]) == ("Acme", "Head of Data")
    assert dana["linkedin_url"] == "https://www.linkedin.com/in/dana-smith-1a2b"
    assert dana["birthday"] == date(1985, 4, 12)
    assert dana["notes"] == 'Met at PyCon, likes "data mesh"\nhiring in Q3'
    assert dana["tags"] == ["Work", "Friends"]  # '* myContacts' dropped
    assert dana["phone"] == "+1 555 0100"
    assert john["birthday"] == date(1904, 3, 1)
    assert john["tags"] == []
    assert anon["display_name"] == "anon@example.net"  # only an e-mail
    assert anon["tags"] == []  # '* starred' dropped


def test_legacy_layout():
    (sam,) = read_google_contacts(GOOGLE / "contacts_legacy.csv").people.rows(named=True)
    assert (sam["display_name"], sam["company"], sam["position"]) == (
        "Sam Jones",
        "Example Org",
        "Analyst",
    )
    assert sam["emails"] == ["sam.jones@example.org"]
    assert sam["tags"] == ["Conference"]


def test_cli_import(cli, helpnext_home):
    result = cli("import", "google-contacts", GOOGLE / "contacts.csv", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["contacts_added"] == 3
    with open_store(helpnext_home) as store:
        assert store.frame("SELECT tag FROM tags ORDER BY tag")["tag"].to_list() == [
            "friends",
            "work",
        ]


def _err(path) -> str:
    with pytest.raises(InputError) as info:
        read_google_contacts(path)
    return str(info.value)


def test_bad_inputs(tmp_path, cli):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _err(empty) == f"{empty}: the file is empty"
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00")
    assert "NUL bytes" in _err(garbage)
    wrong = tmp_path / "connections.csv"
    wrong.write_text("Name,Company\nDana,Acme\n")
    assert _err(wrong).startswith(
        f"{wrong}, line 1: expected a Google Contacts CSV file with columns First Name"
    )
    truncated = tmp_path / "truncated.csv"
    truncated.write_text((GOOGLE / "contacts.csv").read_text().splitlines()[0] + "\n")
    assert (
        _err(truncated)
        == f"{truncated}, line 2: no contacts below the header (is the file truncated?)"
    )
    cut = tmp_path / "cut.csv"
    cut.write_text((GOOGLE / "contacts.csv").read_text()[:500])
    assert (
        _err(cut) == f"{cut}, line 2: the last row has 19 of 25 columns: the file looks truncated"
    )
    result = cli("import", "google-contacts", wrong)
    assert result.exit_code == 1 and result.stderr.startswith("helpnext: error: ")


def test_name_column_wins_and_a_row_naming_nobody_is_skipped(cli):
    """Google's own Name column is the name (王二狗, not 王 二狗 rebuilt from its parts);
    a row with no name, e-mail or organisation (a bare phone number) is skipped by line."""
    batch = read_google_contacts(GOOGLE / "contacts_legacy_name_column.csv")
    names = batch.people["display_name"].to_list()
    assert names[-2:] == ["王二狗", "Sataro, Gojo"]
    assert batch.details["rows_skipped"] == {
        "count": 1,
        "why": "a contact has no name, e-mail or organisation",
        "first_lines": [4],
    }
    result = cli("import", "google-contacts", GOOGLE / "contacts_legacy_name_column.csv")
    assert result.exit_code == 0, result.stderr
    assert "1 row with no name, e-mail or organisation skipped (line 4)" in " ".join(
        result.stdout.split()
    )


def test_mostly_nameless_file_fails_naming_the_first_line(tmp_path):
    path = tmp_path / "phones.csv"
    path.write_text("First Name,Last Name,Phone 1 - Value\n,,123\n,,456\nAna,Lee,789\n")
    assert _err(path) == (
        f"{path}, line 2: 2 of 3 rows name nobody; the first: a contact has no name, e-mail "
        "or organisation"
    )


def test_pre_2018_system_group_my_contacts_is_no_label(tmp_path):
    # Google's CSV before 2018 (and Android) named the system group "* My Contacts"
    path = tmp_path / "google.csv"
    path.write_text(
        "Name,Given Name,Family Name,Group Membership,E-mail 1 - Type,E-mail 1 - Value\n"
        "Emma Stone,Emma,Stone,* My Contacts ::: Climbing,* Home,emma@example.org\n"
    )
    (emma,) = read_google_contacts(path).people.rows(named=True)
    assert emma["tags"] == ["Climbing"]
