import json
import os
import subprocess
import sys

from conftest import TEST_DATA


def test_help_lists_the_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for command in ("import", "contacts", "stats", "demo"):
        assert command in result.stdout


def _listed_commands(help_text: str) -> list[str]:
    """The command names of a --help page, in the order it lists them."""
    section = help_text.split("Commands:\n", 1)[1]
    return [
        line.split()[0] for line in section.splitlines() if line.startswith("  ") and line[2] != " "
    ]


def test_help_lists_every_command_in_its_order(cli):
    # the order `cli/app.py` registers them in: regrouping the command modules kept it
    assert _listed_commands(cli("--help").stdout) == [
        "stats",
        "demo",
        "train",
        "eval",
        "score",
        "tag",
        "note",
        "today",
        "show",
        "log",
        "done",
        "skip",
        "snooze",
        "never",
        "unnever",
        "models",
        "forget",
        "unforget",
        "export",
        "report",
        "import",
        "contacts",
    ]
    assert _listed_commands(cli("import", "--help").stdout) == [
        "linkedin",
        "csv",
        "edges",
        "mbox",
        "maildir",
        "ics",
        "vcard",
        "google-contacts",
        "articles",
        "jobs",
    ]
    assert _listed_commands(cli("contacts", "--help").stdout) == ["duplicates", "merge", "split"]


def test_stats_and_contacts_on_an_empty_home(cli, helpnext_home):
    stats = cli("stats", "--json")
    assert stats.exit_code == 0
    payload = json.loads(stats.stdout)
    assert payload["contacts"] == 0 and payload["interactions"] == 0 and payload["imports"] == []
    listed = cli("contacts")
    assert listed.exit_code == 0 and "No contacts yet" in listed.stdout
    assert not helpnext_home.exists()  # reading never creates a store


def test_import_csv_then_contacts_and_stats(cli):
    result = cli(
        "import",
        "csv",
        "--contacts",
        TEST_DATA / "csv" / "contacts.csv",
        "--interactions",
        TEST_DATA / "csv" / "interactions.csv",
        "--json",
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["interactions_added"] == 5
    contacts = json.loads(cli("contacts", "--json").stdout)
    assert [c["name"] for c in contacts] == ["c9", "Zoë Müller", "Ola Nordmann", "Dana Smith"]
    dana = contacts[-1]
    assert (dana["sent"], dana["received"], dana["tags"]) == (1, 1, "data;hiring")
    stats = json.loads(cli("stats", "--json").stdout)
    by = {(r["channel"], r["direction"]): r["n"] for r in stats["interactions_by_channel"]}
    assert by == {
        ("call", "in"): 1,
        ("email", "in"): 1,
        ("email", "out"): 1,
        ("endorsement", "in"): 1,
        ("message", "out"): 1,
    }
    assert stats["imports"][0]["source_kind"] == "csv"
    again = cli(
        "import",
        "csv",
        "--contacts",
        TEST_DATA / "csv" / "contacts.csv",
        "--interactions",
        TEST_DATA / "csv" / "interactions.csv",
    )
    assert again.exit_code == 0 and "already imported" in again.stdout


def test_home_option_on_the_command_and_on_the_root(cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    edges = TEST_DATA / "edges" / "snap_tabs.txt"
    assert cli("import", "edges", edges, "--home", a).exit_code == 0
    assert cli("--home", b, "import", "edges", edges).exit_code == 0
    assert (a / "helpnext.duckdb").exists() and (b / "helpnext.duckdb").exists()


def test_bad_input_is_one_line_and_nonzero(cli, tmp_path):
    bad = tmp_path / "edges.txt"
    bad.write_bytes(b"1 2 3\n1 2 three\n")
    result = cli("import", "edges", bad)
    assert result.exit_code == 1
    assert result.stderr == f"helpnext: error: {bad}, line 2: TS 'three' is not a number\n"
    assert result.stdout == ""


def test_console_script_never_shows_a_traceback(tmp_path):
    bad = tmp_path / "contacts.csv"
    bad.write_bytes(b"\x00\x01garbage" * 10)
    env = dict(os.environ, HELPNEXT_HOME=str(tmp_path / "home"))
    proc = subprocess.run(
        [sys.executable, "-m", "recommender", "import", "csv", "--contacts", str(bad)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"helpnext: error: {bad}, line 1: contains NUL bytes: this looks like a binary or damaged file, not text"
    ]
    assert not (tmp_path / "home" / "helpnext.duckdb").exists()


def test_the_network_guard_is_armed():
    """The autouse fixture that fails any test opening a connection really is on."""
    import socket

    import pytest
    from conftest import NetworkUsed

    with pytest.raises(NetworkUsed):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_contacts_after_a_merge_count_everything_once(cli, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "contact_id,name,email,tags\n"
        "a,Dana Smith,dana@acme.com,hiring\n"
        "b,Dana S.,dana@home.example,data\n"
        "c,Ola N,ola@fjord.example,\n"
    )
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(
        "contact_id,date,direction\n"
        "a,2024-01-01,out\na,2024-01-02,in\na,2024-01-03,out\n"
        "b,2024-02-01,in\nc,2024-01-05,out\n"
    )
    assert (
        cli("import", "csv", "--contacts", contacts, "--interactions", interactions).exit_code == 0
    )
    rows = {r["name"]: r for r in json.loads(cli("contacts", "--json").stdout)}
    merged = cli(
        "contacts", "merge", rows["Dana Smith"]["contact_id"], rows["Dana S."]["contact_id"]
    )
    assert merged.exit_code == 0, merged.stderr
    after = json.loads(cli("contacts", "--json").stdout)
    assert [r["name"] for r in after] == ["Dana Smith", "Ola N"]
    dana = after[0]
    assert (dana["interactions"], dana["sent"], dana["received"]) == (4, 2, 2)
    assert dana["tags"] == "data;hiring"
    assert str(dana["last_interaction"]).startswith("2024-02-01")
