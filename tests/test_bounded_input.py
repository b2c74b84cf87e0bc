"""Bounded memory on any input (issue 17, point 8; issue 18, point 2): archive members
are capped in size and inflation ratio as they stream, fields and files in length; each
refusal is one clear line."""

from __future__ import annotations

import zipfile

import pytest
from conftest import TEST_DATA

from pipelines.ingest.linkedin import import_linkedin
from pipelines.ingest.linkedin_files import MAX_RATIO
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
