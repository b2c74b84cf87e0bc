"""The LinkedIn importer on every export layout (2018 to 2024) and on broken inputs.

Fixtures in tests/data/linkedin/ carry the real header lines of the skeletons in
shared/data/linkedin-formats/ with invented rows; the skeletons themselves are read too.
"""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.linkedin.export import import_linkedin
from recommender.errors import InputError

DATA = Path(__file__).resolve().parent / "data" / "linkedin"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SKELETONS = sorted(p for p in (SHARED / "linkedin-formats").glob("*") if p.is_dir())


def _zip(folder: Path, target: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(folder.iterdir()):
            archive.write(file, prefix + file.name)
    return target


def _by_ref(batch) -> dict[str, str]:
    """display name -> ref"""
    return dict(zip(batch.people["display_name"], batch.people["ref"], strict=True))


def _pairs(batch, channel: str) -> list[tuple[str, str]]:
    names = {r: n for n, r in _by_ref(batch).items()}
    rows = batch.interactions.filter(pl.col("channel") == channel).sort("ts", "ref")
    return [(names[r], d) for r, d in zip(rows["ref"], rows["direction"], strict=True)]


# -- 2024-12 layout, read from a zip with everything in a subfolder ---------------------------


@pytest.fixture(scope="module")
def batch_2024(tmp_path_factory):
    target = tmp_path_factory.mktemp("zip") / "export.zip"
    return import_linkedin(
        _zip(DATA / "export-2024-12", target, prefix="Basic_LinkedInDataExport/")
    )


def test_2024_owner_from_profile_and_url_from_messages(batch_2024):
    assert batch_2024.source_kind == "linkedin"
    assert batch_2024.owner_name == "Ana Souza"
    assert batch_2024.owner_aliases == [
        ("name", "ana souza"),
        ("linkedin", "https://www.linkedin.com/in/ana-souza"),
    ]
    assert batch_2024.as_of == datetime(2024, 6, 1, 19, 15)


def test_2024_people(batch_2024):
    people = batch_2024.people.sort("ref")
    assert people["ref"].n_unique() == people.height
    names = set(people["display_name"])
    # 4 connections (the empty one skipped) + 2 people who are not connections
    assert names == {
        "Jürgen Müller",
        "Jane Doe, MBA",
        "Søren Kierkegaard",
        "Wei Zhang",
        "María García",
        "Li Na",
    }
    jane = people.filter(pl.col("display_name") == "Jane Doe, MBA").row(0, named=True)
    assert jane["linkedin_url"] == "https://www.linkedin.com/in/janedoe"
    assert jane["emails"] == ["jane@example.com"]
    assert jane["company"] == "Acme" and jane["position"] == "CFO"
    assert jane["connected_on"] == datetime(2023, 7, 4)
    assert batch_2024.details["Connections.csv"] == {"rows": 5, "skipped": 1}


def test_2024_messages_directions_group_and_skips(batch_2024):
    msgs = batch_2024.interactions.filter(pl.col("channel") == "message")
    assert _pairs(batch_2024, "message") == [
        ("Jürgen Müller", "out"),
        ("Jürgen Müller", "in"),
        ("Jane Doe, MBA", "out"),  # "Jane Doe, MBA" in TO is one person, not two
        ("Jürgen Müller", "out"),  # the group message: one row per other participant
        ("Søren Kierkegaard", "out"),
        ("Wei Zhang", "out"),
        ("Wei Zhang", "in"),  # a group reply: one row, with the sender
        ("María García", "in"),  # not a connection: a person of her own
    ]
    group = msgs.filter(pl.col("thread") == "2-c3")
    assert group["n_participants"].to_list() == [4, 4, 4, 4]
    assert msgs.filter(pl.col("thread") == "2-c1")["n_participants"].to_list() == [2, 2]
    assert batch_2024.details["messages.csv"]["spam"] == 1
    assert batch_2024.details["messages.csv"]["drafts"] == 1
    assert msgs["uid_key"].n_unique() == msgs.height


def test_2024_invitations_and_gives(batch_2024):
    assert _pairs(batch_2024, "invitation") == [("Jürgen Müller", "out"), ("Li Na", "in")]
    gives = batch_2024.interactions.filter(pl.col("is_give")).sort("ts")
    assert gives.select("channel", "direction", "detail").rows() == [
        ("recommendation", "out", None),
        ("endorsement", "in", "Data Engineering"),
        ("recommendation", "in", None),
        ("endorsement", "out", "Python"),
    ]
    refs = _by_ref(batch_2024)
    assert gives["ref"].to_list() == [
        refs["Søren Kierkegaard"],
        refs["Jane Doe, MBA"],  # matched by the endorser's scheme-less public URL
        refs["Jürgen Müller"],  # mangled header, no first name: last name + company
        refs["Wei Zhang"],
    ]
    assert gives["body"][0] == "Søren is a careful analyst, and a kind colleague."


def test_2024_owner_positions(batch_2024):
    pos = batch_2024.owner_positions
    assert pos.rows() == [
        ("Nordlicht GmbH", "Senior Data Engineer", "Lisbon, Portugal", date(2022, 3, 1), None),
        ("Acme", "Data Engineer", "Porto", date(2019, 1, 1), date(2022, 2, 1)),
    ]


def test_folder_and_zip_give_the_same_batch(batch_2024):
    folder = import_linkedin(DATA / "export-2024-12")
    assert folder.people.sort("ref").equals(batch_2024.people.sort("ref"))
    assert folder.interactions.sort("uid_key").equals(batch_2024.interactions.sort("uid_key"))


# -- 2021 layout: no Profile, owner is the one in every conversation ------------------------


def test_2021_owner_found_from_conversations():
    batch = import_linkedin(DATA / "export-2021-06")
    assert batch.owner_name == "Kofi Mensah"
    assert ("linkedin", "https://www.linkedin.com/in/ACoAAB1kofi") in batch.owner_aliases
    assert _pairs(batch, "message") == [
        ("Amara Okafor", "out"),
        ("Amara Okafor", "in"),
        ("Jane Doe, MBA", "out"),
        ("Lars Nilsson", "in"),
        ("Amara Okafor", "out"),
        ("Lars Nilsson", "out"),
    ]
    project = batch.interactions.filter(pl.col("thread") == "k3")
    assert project["n_participants"].to_list() == [3, 3, 3]
    assert batch.details["messages.csv"]["spam"] == 1
    assert batch.people.height == 3  # the spammer is not a person
    # a profile URL seen in the messages fills in a 2021 connection that had none
    lars = batch.people.filter(pl.col("display_name") == "Lars Nilsson")
    assert lars["linkedin_url"][0] == "https://www.linkedin.com/in/ACoAAD3lars"


# -- 2018 layout: UTF-16LE, tab-separated, Direction column ---------------------------------


def test_2018_utf16_tab_separated():
    batch = import_linkedin(DATA / "export-2018-11")
    assert batch.owner_name == "Tom Baker"  # the From of OUTGOING messages
    assert batch.owner_aliases == [("name", "tom baker")]
    refs = _by_ref(batch)
    assert set(refs) == {"Priya Sharma", "José Núñez"}
    assert _pairs(batch, "message") == [
        ("Priya Sharma", "out"),
        ("Priya Sharma", "in"),
        ("Priya Sharma", "out"),  # the group message: one row per recipient
        ("José Núñez", "out"),
        ("José Núñez", "in"),
    ]
    lunch = batch.interactions.filter(pl.col("subject") == "Lunch")
    assert lunch["n_participants"].to_list() == [3, 3]
    assert lunch["thread"].is_null().all()
    assert _pairs(batch, "invitation") == [("José Núñez", "in")]
    priya = batch.people.filter(pl.col("display_name") == "Priya Sharma").row(0, named=True)
    assert priya["connected_on"] == datetime(2018, 1, 8, 18, 14)
    assert priya["emails"] == ["priya@example.in"]
    assert batch.as_of == datetime(2018, 10, 21, 11, 30)


# -- spreadsheet re-save: CRLF, no preamble, 18-Jun-24, NA fillers, no newline at EOF --------


def test_spreadsheet_resave():
    batch = import_linkedin(DATA / "export-resaved" / "Connections.csv")
    people = batch.people.sort("connected_on", descending=True)
    assert people["display_name"].to_list() == ["Olga Ivanova", "Kenji Tanaka", "Fatima Al-Sayed"]
    assert people["connected_on"].to_list() == [
        datetime(2024, 6, 18),
        datetime(2023, 1, 2),
        datetime(2021, 11, 30),
    ]
    assert people["position"].to_list() == ["Data Scientist", None, "Geologist"]
    assert people["emails"].to_list() == [[], ["kenji@example.jp"], []]
    assert batch.rows_skipped == 1  # the row with nothing but a date
    assert batch.as_of == datetime(2024, 6, 18)
    assert batch.interactions.height == 0


# -- overlapping exports dedupe on uid_key ---------------------------------------------------


def test_same_event_same_uid_in_older_and_newer_export(tmp_path):
    old = tmp_path / "old"
    shutil.copytree(DATA / "export-2024-12", old)
    lines = (old / "messages.csv").read_text().splitlines()
    # the older export: fewer messages, and no recipient URL / draft columns
    header = (
        "CONVERSATION ID,CONVERSATION TITLE,FROM,SENDER PROFILE URL,TO,DATE,SUBJECT,CONTENT,FOLDER"
    )
    rows = list(csv.reader(io.StringIO("\n".join(lines[1:4]))))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for r in rows:
        writer.writerow(r[:5] + r[6:10])
    (old / "messages.csv").write_text(header + "\n" + buffer.getvalue())
    older = import_linkedin(old).interactions.filter(pl.col("channel") == "message")
    newer = import_linkedin(DATA / "export-2024-12").interactions
    assert older.height == 3
    assert set(older["uid_key"]) <= set(newer["uid_key"])


# -- the five real skeletons (headers only) --------------------------------------------------


@pytest.mark.parametrize("folder", SKELETONS, ids=[p.name for p in SKELETONS])
def test_real_skeletons_read_without_error(folder):
    batch = import_linkedin(folder)
    assert batch.interactions.height == 0
    assert batch.people.height == 0
    assert "Connections.csv" in batch.details


def test_there_are_five_skeletons():
    assert len(SKELETONS) == 5


# -- broken inputs ----------------------------------------------------------------------------


def _export_with(tmp_path: Path, name: str, content: bytes) -> Path:
    folder = tmp_path / "export"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(content)
    return folder


def test_wrong_columns_names_file_and_expected_columns(tmp_path):
    folder = _export_with(tmp_path, "Connections.csv", b"Name,Employer\nJane,Acme\n")
    with pytest.raises(InputError) as err:
        import_linkedin(folder)
    message = str(err.value)
    assert "Connections.csv" in message
    assert "First Name, Last Name, Company, Position, Connected On" in message
    assert "found columns: Name, Employer" in message


def test_wrong_columns_in_a_zip_use_the_zip_label(tmp_path):
    target = tmp_path / "export.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("Invitations.csv", "Who,When\nJane,today\n")
    with pytest.raises(InputError) as err:
        import_linkedin(target)
    assert str(err.value).startswith("export.zip:Invitations.csv")
    assert "From, To, Sent At, Direction" in str(err.value)


def test_truncated_messages_file(tmp_path):
    text = (DATA / "export-2024-12" / "messages.csv").read_text()
    cut = text[: text.index("2-c1,,Jürgen") + 40]  # the second message, cut before its date
    folder = _export_with(tmp_path, "messages.csv", cut.encode())
    # the cut-off row is left out, named by its line; the first message imports
    batch = import_linkedin(folder)
    assert batch.details["unreadable_rows"] == {"messages.csv": 1}
    (note,) = [n for n in batch.notes if "unreadable" in n]
    assert "(line 3: DATE is empty" in note and "truncated" in note
    assert batch.interactions.filter(pl.col("channel") == "message").height == 1


def test_truncated_zip(tmp_path):
    whole = _zip(DATA / "export-2024-12", tmp_path / "whole.zip").read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InputError) as err:
        import_linkedin(cut)
    assert "not a zip file" in str(err.value)


def test_garbage_bytes(tmp_path):
    folder = _export_with(tmp_path, "Connections.csv", b"\x89PNG\r\n\x1a\n\xff\xfe\x00garbage")
    with pytest.raises(InputError) as err:
        import_linkedin(folder)
    assert "Connections.csv" in str(err.value)
    assert "not UTF-8" in str(err.value) or "NUL" in str(err.value)


def test_date_that_does_not_parse_names_the_line(tmp_path):
    text = (DATA / "export-2024-12" / "Connections.csv").read_text()
    folder = _export_with(
        tmp_path, "Connections.csv", text.replace("01 Feb 2022", "last week").encode()
    )
    batch = import_linkedin(folder)
    (note,) = batch.notes
    # 3 preamble lines, header, then the third row
    assert note.startswith("Connections.csv: 1 unreadable row skipped (line 7: Connected On ")
    assert "'last week'" in note
    assert "Søren Kierkegaard" not in batch.people["display_name"].to_list()


def test_empty_file(tmp_path):
    folder = _export_with(tmp_path, "Connections.csv", b"")
    with pytest.raises(InputError, match="Connections.csv: the file is empty"):
        import_linkedin(folder)


def test_a_zip_that_is_not_a_zip(tmp_path):
    fake = tmp_path / "export.zip"
    fake.write_text("First Name,Last Name\n")
    with pytest.raises(InputError) as err:
        import_linkedin(fake)
    assert "export.zip: not a zip file" in str(err.value)


def test_a_folder_without_export_files(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(InputError) as err:
        import_linkedin(tmp_path)
    assert "no LinkedIn export files found" in str(err.value)
    assert "Connections.csv" in str(err.value) and "messages.csv" in str(err.value)


def test_missing_path(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        import_linkedin(tmp_path / "nope.zip")


# -- the fast path for large files agrees with the exact one -------------------------------


def test_large_file_fast_path_matches(tmp_path, monkeypatch):
    import pipelines.ingest.linkedin.files as files

    slow = import_linkedin(DATA / "export-2024-12")
    monkeypatch.setattr(files, "FAST_PATH_BYTES", 0)
    fast = import_linkedin(DATA / "export-2024-12")
    assert fast.interactions.sort("uid_key").equals(slow.interactions.sort("uid_key"))
    assert fast.people.sort("ref").equals(slow.people.sort("ref"))
    # and errors found on the fast path still name the line
    text = (DATA / "export-2024-12" / "messages.csv").read_text()
    folder = _export_with(
        tmp_path, "messages.csv", text.replace("2024-05-03 08:00:00 UTC", "soon").encode()
    )
    (note,) = [n for n in import_linkedin(folder).notes if "unreadable" in n]
    assert "(line 4: DATE 'soon' is not a date" in note
