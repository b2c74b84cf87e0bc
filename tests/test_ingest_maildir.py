"""Maildir import (issue 17, point 9): the same rules as mbox, through ``mailbox.Maildir``.

``tests/data/maildir/mutt`` holds the messages of the two real-format mailboxes in
``tests/data/mbox`` as a mutt/Dovecot Maildir++ would (``cur/``, ``new/``, a ``.Sent``
subfolder; file names ``<delivery time>.M<n>P<pid>Q<n>.<host>[:2,S]``), see
tests/data/SOURCES.md.
"""

from __future__ import annotations

import json
import shutil

import polars as pl
import pytest
from conftest import TEST_DATA

from pipelines.ingest.mbox import read_maildir, read_mbox
from recommender.errors import InputError

MAILDIR = TEST_DATA / "maildir" / "mutt"
ME = ["me@example.com"]


def _events(batch) -> pl.DataFrame:
    return batch.interactions.select("uid_key", "ts", "direction", "ref", "thread").sort("uid_key")


def test_maildir_reads_like_the_same_mail_as_mbox():
    maildir = read_maildir(MAILDIR, ME)
    mboxes = [
        read_mbox(TEST_DATA / "mbox" / n, ME) for n in ("thunderbird.mbox", "gmail_takeout.mbox")
    ]
    assert maildir.source_kind == "maildir"
    assert _events(maildir).equals(pl.concat([_events(b) for b in mboxes]).sort("uid_key"))
    assert maildir.rows_read == 9 and maildir.details["messages_used"] == 5
    assert maildir.details["skipped"] == {
        "newsletter": 1,
        "no_reply_sender": 1,
        "mailing_list": 1,
        "bad_date": 1,
    }


def test_cli_import_and_reimport(cli):
    first = cli("import", "maildir", MAILDIR, "--me", "me@example.com", "--json")
    assert first.exit_code == 0, first.stderr
    assert json.loads(first.stdout)["interactions_added"] == 7
    again = cli("import", "maildir", MAILDIR, "--me", "me@example.com", "--json")
    assert json.loads(again.stdout)["already_imported"] is True


def test_a_folder_of_message_files_and_links_not_followed(tmp_path):
    """The Enron corpus layout: folders of one-message files, no cur/ or new/."""
    tree = tmp_path / "maildir" / "lee-j" / "sent"
    tree.mkdir(parents=True)
    for i, path in enumerate(sorted((MAILDIR / ".Sent").rglob("*mailhost*")), 1):
        shutil.copy(path, tree / f"{i}.")
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(next((MAILDIR / "cur").iterdir()), outside / "secret")
    (tree / "99.").symlink_to(outside / "secret")
    batch = read_maildir(tmp_path / "maildir", ME)
    assert set(batch.interactions["direction"]) == {"out"}
    assert batch.details["skipped"].get("link") == 1


def test_bad_inputs(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        read_maildir(tmp_path / "nope", ME)
    file = tmp_path / "file"
    file.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        read_maildir(file, ME)
    empty = tmp_path / "empty"
    (empty / "cur").mkdir(parents=True)
    (empty / "new").mkdir()
    with pytest.raises(InputError, match="no personal message"):
        read_maildir(empty, ME)
    bare = tmp_path / "bare"
    bare.mkdir()
    with pytest.raises(InputError, match="no mail here"):
        read_maildir(bare, ME)
