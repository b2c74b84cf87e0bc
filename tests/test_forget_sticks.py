"""Forget sticks (issue 17, point 7): a newer export or a mailbox that still holds a
forgotten person leaves them out, with a count; the tombstone keeps no clear text;
``helpnext unforget`` lets them back in."""

from __future__ import annotations

import json
import shutil

import duckdb
from conftest import TEST_DATA

EXPORT = TEST_DATA / "linkedin" / "export-2024-12"
NAME = "Jürgen Müller"
URL_SLUG = "juergen-mueller"


def _newer(tmp_path, n: int):
    """A copy of the export with one more message from Jürgen (a later export)."""
    folder = tmp_path / f"newer-{n}"
    shutil.copytree(EXPORT, folder)
    with open(folder / "messages.csv", "a", encoding="utf-8") as handle:
        handle.write(
            f"\n2-c9{n},,Jürgen Müller,https://www.linkedin.com/in/juergen-mueller,Ana Souza,"
            f"https://www.linkedin.com/in/ana-souza,2024-06-0{n} 10:00:00 UTC,,Still there {n}?,"
            "INBOX,false,false"
        )
    return folder


def _count(home, sql, params=()):
    con = duckdb.connect(str(home / "helpnext.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchone()[0]
    finally:
        con.close()


def test_forgotten_person_stays_out_of_later_imports_until_unforgotten(
    cli, helpnext_home, tmp_path
):
    assert cli("import", "linkedin", EXPORT).exit_code == 0
    before = _count(helpnext_home, "SELECT count(*) FROM interactions")
    theirs = _count(
        helpnext_home,
        "SELECT count(*) FROM interactions i JOIN contacts c USING (contact_id) "
        "WHERE c.display_name = ?",
        [NAME],
    )
    assert theirs > 0
    forgot = cli("forget", NAME, "--yes")
    assert forgot.exit_code == 0, forgot.stderr
    assert "unforget 1" in forgot.stdout

    # the tombstone holds hashes only: nothing of them in the store file
    raw = (helpnext_home / "helpnext.duckdb").read_bytes()
    for text in (NAME, URL_SLUG, "juergen", "müller"):
        assert text.encode() not in raw, text
    assert _count(helpnext_home, "SELECT count(*) FROM forgotten") >= 3

    again = cli("import", "linkedin", _newer(tmp_path, 1), "--json")
    assert again.exit_code == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["details"]["forgotten_left_out"]["people"] == 1
    assert report["interactions_added"] == 0  # the new message was theirs
    assert (
        _count(helpnext_home, "SELECT count(*) FROM contacts WHERE display_name = ?", [NAME]) == 0
    )
    assert _count(helpnext_home, "SELECT count(*) FROM interactions") == before - theirs

    human = cli("import", "linkedin", _newer(tmp_path, 2))
    assert "1 forgotten person left out" in " ".join(human.stdout.split())

    listed = cli("unforget", "--list")
    assert listed.exit_code == 0 and listed.stdout.startswith("1: forgotten ")
    wrong = cli("unforget", "Someone Else")
    assert wrong.exit_code == 1 and "no forgotten person matches" in wrong.stderr
    undone = cli("unforget", NAME)
    assert undone.exit_code == 0, undone.stderr
    assert _count(helpnext_home, "SELECT count(*) FROM forgotten") == 0
    back = cli("import", "linkedin", _newer(tmp_path, 3), "--json")
    assert json.loads(back.stdout)["contacts_added"] == 1
    assert (
        _count(helpnext_home, "SELECT count(*) FROM contacts WHERE display_name = ?", [NAME]) == 1
    )


def test_a_namesake_with_another_profile_is_not_left_out(cli, helpnext_home, tmp_path):
    assert cli("import", "linkedin", EXPORT).exit_code == 0
    assert cli("forget", NAME, "--yes").exit_code == 0
    other = tmp_path / "other"
    shutil.copytree(EXPORT, other)
    conn = other / "Connections.csv"
    conn.write_text(
        conn.read_text(encoding="utf-8").replace(
            "https://www.linkedin.com/in/juergen-mueller,,Siemens",
            "https://www.linkedin.com/in/juergen-mueller-bosch,,Bosch",
        ),
        encoding="utf-8",
    )
    (other / "messages.csv").unlink()
    (other / "Invitations.csv").unlink()
    result = cli("import", "linkedin", other, "--json")
    assert result.exit_code == 0, result.stderr
    assert _count(helpnext_home, "SELECT count(*) FROM contacts WHERE company = 'Bosch'") == 1


def test_forgotten_address_stays_out_of_mail(cli, helpnext_home):
    """Forget John Lee after his mail came in; the same mail as a Maildir (another input,
    so not 'already imported') leaves him out."""
    assert (
        cli(
            "import", "mbox", TEST_DATA / "mbox" / "thunderbird.mbox", "--me", "me@example.com"
        ).exit_code
        == 0
    )
    assert cli("forget", "john.lee@initech.com", "--yes").exit_code == 0
    result = cli(
        "import", "maildir", TEST_DATA / "maildir" / "mutt", "--me", "me@example.com", "--json"
    )
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["details"]["forgotten_left_out"]["people"] == 1
    assert (
        _count(helpnext_home, "SELECT count(*) FROM contacts WHERE email = 'john.lee@initech.com'")
        == 0
    )
