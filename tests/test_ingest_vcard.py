"""vCard import: Google (3.0, itemN. groups, folded lines) and Apple (4.0) address books."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import TEST_DATA

from pipelines.ingest.vcard import read_vcard
from recommender.errors import InputError
from recommender.store.db import open_store

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
    truncated.write_text((VCF / "apple.vcf").read_text().rsplit("END:VCARD", 1)[0])
    # one of two cards cut off: the other imports, the cut one is named by its line
    batch = read_vcard(truncated)
    assert batch.people["display_name"].to_list() == ["John Lee"]
    assert batch.details["cards_skipped"]["first"] == [
        {
            "line": 15,
            "why": "the card starting at line 15 has no END:VCARD: the file looks truncated",
        }
    ]
    nameless = tmp_path / "nameless.vcf"
    nameless.write_text("BEGIN:VCARD\nVERSION:3.0\nTEL:123\nEND:VCARD\n")
    assert _err(nameless) == f"{nameless}, line 1: a card has no name (FN or N) and no e-mail"
    cut = tmp_path / "cut.vcf"
    cut.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Only One\n")
    assert _err(cut) == (
        f"{cut}, line 1: the card starting at line 1 has no END:VCARD: the file looks truncated"
    )
    result = cli("import", "vcard", cut)
    assert result.exit_code == 1 and result.stderr.startswith("helpnext: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    # mostly unreadable: the file fails, naming the first bad card
    mostly = tmp_path / "mostly.vcf"
    mostly.write_text("BEGIN:VCARD\nTEL:1\nEND:VCARD\n" * 2 + "BEGIN:VCARD\nFN:A B\nEND:VCARD\n")
    assert _err(mostly) == (
        f"{mostly}, line 1: 2 of 3 cards cannot be read; the first: a card has no name "
        "(FN or N) and no e-mail"
    )


def test_real_android_2_1_export_with_soft_line_breaks():
    """A real Android 4.4 Contacts backup (see tests/data/SOURCES.md): quoted-printable
    names whose last soft line break runs into the next property or a blank line."""
    rows = read_vcard(VCF / "android_4.4_pim00001.vcf").people.rows(named=True)
    assert [(r["display_name"], r["first_name"], r["last_name"]) for r in rows] == [
        ("Jovan Petrović", "Jovan", "Petrović"),
        ("Jelena Milićević", "Jelena", "Milićević"),
        ("Danko Basta", "Danko", "Basta"),
    ]
    assert rows[0]["emails"] == ["neki.joca.petrovic@gmail.com", "jovanp@provajder.net"]
    assert [r["phone"] for r in rows] == ["0995552188", "099555945", "0600284423"]


def test_2_1_hard_cases_one_bad_card_skipped_with_its_line():
    batch = read_vcard(VCF / "hard_cases_2.1.vcf")
    gojo, ana, zoe = batch.people.rows(named=True)
    assert gojo["display_name"] == "Sataro, Gojo N."  # FN kept whole at its comma
    assert (gojo["first_name"], gojo["last_name"]) == ("Sataro", "Gojo")
    assert gojo["company"] == "Jujutsu Århus A/S"  # QP soft break, then a folded line
    assert gojo["notes"] == "First line\nsecond line with æøå and more"
    assert gojo["phone"] == "+81 90 0000 0000"  # after an unfolded ADR line and a PHOTO
    assert ana["emails"] == ["ana@example.org"]
    assert zoe["display_name"] == "Zoë Ng"  # ENCODING=b text, not a bytes repr
    assert batch.rows_skipped == 1
    assert batch.details["cards_skipped"]["first"] == [
        {
            "line": 21,
            "why": "the card starting at line 21 has no END:VCARD before the next BEGIN:VCARD",
        }
    ]


def test_cli_says_which_card_was_skipped(cli):
    result = cli("import", "vcard", VCF / "hard_cases_2.1.vcf")
    assert result.exit_code == 0, result.stderr
    assert "3 new contacts" in result.stdout
    assert "1 unreadable card skipped (line 21:" in " ".join(result.stdout.split())


def test_big_photo_is_never_kept(tmp_path):
    photo = "PHOTO;ENCODING=BASE64;TYPE=JPEG:" + "QUJD" * 50_000 + "\n"
    path = tmp_path / "photo.vcf"
    path.write_text(
        "BEGIN:VCARD\nVERSION:2.1\nFN:Big Photo\n" + photo + "EMAIL:big@example.org\nEND:VCARD\n"
    )
    (row,) = read_vcard(path).people.rows(named=True)
    assert (row["display_name"], row["emails"]) == ("Big Photo", ["big@example.org"])


def test_huge_name_makes_its_card_unreadable(tmp_path):
    path = tmp_path / "huge.vcf"
    path.write_text(
        "BEGIN:VCARD\nFN:" + "x" * 100_000 + "\nEND:VCARD\n"
        "BEGIN:VCARD\nFN:Fine Person\nEND:VCARD\n"
        "BEGIN:VCARD\nFN:Other Person\nEND:VCARD\n"
    )
    batch = read_vcard(path)
    assert batch.people["display_name"].to_list() == ["Fine Person", "Other Person"]
    assert batch.details["cards_skipped"]["first"][0]["line"] == 1


def test_cp1252_2_1_card_with_charset(tmp_path):
    path = tmp_path / "outlook2003.vcf"
    path.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=Windows-1252:J\xf8rgensen;S\xf8ren\r\n"
        b"FN;CHARSET=Windows-1252:S\xf8ren J\xf8rgensen\r\nEND:VCARD\r\n"
    )
    (row,) = read_vcard(path).people.rows(named=True)
    assert row["display_name"] == "Søren Jørgensen"
