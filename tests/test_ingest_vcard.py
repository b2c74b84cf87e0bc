"""vCard import: Google (3.0, itemN. groups, folded lines) and Apple (4.0) address books."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import TEST_DATA

from pipelines.ingest.vcard import read_vcard
from recommender.errors import InputError
from recommender.store import open_store

VCF = TEST_DATA / "vcard"


def test_google_vcard_fields():
    batch = read_vcard(VCF / "google.vcf")
    dana, jose = batch.people.rows(named=True)
    assert dana["display_name"] == "Dana Smith"
    assert dana["emails"] == ["dana@acme.com", "dana.smith@gmail.com"]
    assert dana["company"] == "Acme Inc."  # item1.ORG
    assert dana["position"] == "Head of Data"  # item2.TITLE
    assert dana["linkedin_url"] == "https://www.linkedin.com/in/dana-smith-1a2b"  # escaped \:
    assert dana["birthday"] == date(1985, 4, 12)
    # folded NOTE joined, \, unescaped
    assert dana["notes"] == (
        "Met at PyCon 2023, interested in data engineering. "
        "She is looking for a new role in the autumn."
    )
    assert dana["tags"] == ["Friends", "Work"]  # myContacts dropped
    assert jose["display_name"] == "José Álvarez"
    assert jose["emails"] == ["jose@example.org"]  # item1.EMAIL
    assert jose["company"] == "Globex"
    assert jose["birthday"] == date(1904, 6, 18)  # --06-18: no year


def test_apple_vcard_4():
    batch = read_vcard(VCF / "apple.vcf")
    john, support = batch.people.rows(named=True)
    assert (john["display_name"], john["company"], john["position"]) == (
        "John Lee",
        "Initech",
        "CTO",
    )
    assert john["birthday"] == date(1979, 3, 1)
    assert john["phone"] == "(555) 010-2000"
    assert john["tags"] == ["hiring"]
    assert support["display_name"] == "Acme Support"


def test_outlook_vcard_2_1_quoted_printable():
    (jurgen,) = read_vcard(VCF / "outlook.vcf").people.rows(named=True)
    assert (jurgen["display_name"], jurgen["company"]) == ("Jürgen Müller", "Siemens AG")
    assert jurgen["emails"] == ["juergen.mueller@siemens.com"]
    assert jurgen["notes"] == "Met at Hannover Messe\ninterested in robotics"


def test_cli_import_tags_and_reimport(cli, helpnext_home):
    result = cli("import", "vcard", VCF / "google.vcf", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["contacts_added"] == 2
    with open_store(helpnext_home) as store:
        tags = store.frame("SELECT tag, source FROM tags ORDER BY tag").rows()
        assert tags == [("friends", "vcard"), ("work", "vcard")]
        assert store.scalar("SELECT count(*) FROM identities WHERE kind = 'email'") == 3
    again = cli("import", "vcard", VCF / "google.vcf", "--json")
    assert json.loads(again.stdout)["already_imported"] is True


def _err(path) -> str:
    with pytest.raises(InputError) as info:
        read_vcard(path)
    return str(info.value)


def test_bad_inputs(tmp_path, cli):
    empty = tmp_path / "empty.vcf"
    empty.write_text("\n\n")
    assert _err(empty) == f"{empty}: the file is empty"
    garbage = tmp_path / "garbage.vcf"
    garbage.write_bytes(bytes(range(256)))
    assert _err(garbage).startswith(f"{garbage}, line 2: not UTF-8 text (byte 0x80)")
    ics = tmp_path / "calendar.vcf"
    ics.write_text("BEGIN:VCALENDAR\nEND:VCALENDAR\n")
    assert _err(ics).startswith(f"{ics}, line 1: not a vCard file")
    truncated = tmp_path / "truncated.vcf"
    truncated.write_text((VCF / "google.vcf").read_text().rsplit("END:VCARD", 1)[0])
    assert _err(truncated) == (
        f"{truncated}, line 26: the card starting at line 18 has no END:VCARD: "
        "the file looks truncated"
    )
    nameless = tmp_path / "nameless.vcf"
    nameless.write_text("BEGIN:VCARD\nVERSION:3.0\nTEL:123\nEND:VCARD\n")
    assert _err(nameless) == f"{nameless}, line 1: a card has no name (FN or N) and no e-mail"
    result = cli("import", "vcard", truncated)
    assert result.exit_code == 1 and result.stderr.startswith("helpnext: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
