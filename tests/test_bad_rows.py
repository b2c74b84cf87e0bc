"""One bad row never loses the whole file (issue 17, point 4): it is skipped and reported
(file, line, why, count); the rest imports in one transaction."""

from __future__ import annotations

import json
import shutil

from conftest import TEST_DATA

EXPORT = TEST_DATA / "linkedin" / "export-2024-12"


def test_invitations_row_with_an_extra_field_is_skipped(cli, tmp_path, helpnext_home):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    path = folder / "Invitations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    # a message that was not quoted: its comma makes one field too many
    lines.insert(2, 'Ana Souza,Wei Zhang,"3/14/24, 9:00 AM",Hi Wei, great talk,OUTGOING,,')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli("import", "linkedin", folder, "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["details"]["unreadable_rows"] == {"Invitations.csv": 1}
    assert report["notes"] == [
        "Invitations.csv: 1 unreadable row skipped (line 3: row has 8 fields, the header has 7)"
    ]
    assert report["interactions_added"] > 0  # everything else came in
    human = cli("import", "linkedin", EXPORT)  # the good export: only the new invitation
    assert human.exit_code == 0


def test_mostly_unreadable_file_fails_whole_and_leaves_the_store_as_it_was(
    cli, tmp_path, helpnext_home
):
    folder = tmp_path / "export"
    shutil.copytree(EXPORT, folder)
    conn = folder / "Connections.csv"
    text = conn.read_text(encoding="utf-8")
    for date in ("12 Mar 2024", "04 Jul 2023", "01 Feb 2022"):
        text = text.replace(date, "someday")
    conn.write_text(text, encoding="utf-8")
    result = cli("import", "linkedin", folder)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"helpnext: error: {conn}, line 5: 3 of 5 rows cannot be read; the first: Connected On "
        "'someday' is not a date such as 2024-06-18 14:05:00 UTC, 6/18/24, 6:14 PM, 18 Jun 2024 "
        "or 18-Jun-24"
    ]
    from recommender.store.db import open_store

    with open_store(helpnext_home) as store:
        assert store.scalar("SELECT count(*) FROM imports") == 0
        assert store.scalar("SELECT count(*) FROM contacts") == 0
