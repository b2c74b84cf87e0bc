"""Several ``helpnext`` processes on one store at once: no corruption, no lost writes.

DuckDB lets one process hold a store file at a time. A second ``helpnext`` that finds it
held says so on stderr ("waiting up to N s"), retries until ``HELPNEXT_LOCK_TIMEOUT``, and
then either does its work or exits with one clear line. Every process here is a real
subprocess of the installed CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
LINKEDIN = SAMPLE / "linkedin-export-2024-06.zip"
EDGES = REPO / "tests" / "data" / "edges" / "konect_crlf.txt"
WAITING = "the store is busy (another helpnext process); waiting up to"


def spawn(home: Path, *args, timeout: float = 60) -> subprocess.Popen:
    env = {**os.environ, "HELPNEXT_HOME": str(home), "HELPNEXT_LOCK_TIMEOUT": f"{timeout:g}"}
    return subprocess.Popen(
        [sys.executable, "-m", "recommender", *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def finish(proc: subprocess.Popen, limit: float = 180) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=limit)
    return proc.returncode, out, err


def hold_store(home: Path, seconds: float) -> subprocess.Popen:
    """A process that opens the store for writing and keeps it for ``seconds``, or until
    a line arrives on its stdin."""
    code = textwrap.dedent(
        f"""
        import select, sys
        from recommender.store.db import open_store
        store = open_store({str(home)!r})
        print("holding", flush=True)
        select.select([sys.stdin], [], [], {seconds})
        store.close()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout.readline().strip() == "holding"
    return proc


def release(holder: subprocess.Popen) -> None:
    holder.stdin.write("go\n")
    holder.stdin.flush()
    holder.wait(timeout=60)


def table_counts(home: Path) -> dict[str, int]:
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        names = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
        return dict(zip(names, store.con.execute(sql).fetchone(), strict=True))


def solo_counts(tmp: Path, name: str, args: list) -> dict[str, int]:
    from recommender.cli.app import main

    home = tmp / f"solo-{name}"
    assert main(["--home", str(home), *map(str, args)]) == 0
    return table_counts(home)


def test_two_imports_at_once_both_land(tmp_path):
    """Two imports started while a third process holds the store: both say they wait,
    both finish, and the store holds both imports' data exactly."""
    home = tmp_path / "home"
    linkedin = ["import", "linkedin", LINKEDIN]
    edges = ["import", "edges", EDGES]
    a = solo_counts(tmp_path, "linkedin", linkedin)
    b = solo_counts(tmp_path, "edges", edges)
    holder = hold_store(home, 120)
    try:
        first = spawn(home, *linkedin, "--json")
        second = spawn(home, *edges, "--json")
        # both reach the store, find it held and say so; only then is it released
        told = [first.stderr.readline(), second.stderr.readline()]
        release(holder)
        results = [finish(first), finish(second)]
    finally:
        holder.kill()
        holder.wait()
    assert told == [f"helpnext: {WAITING} 60 s\n"] * 2
    for code, out, err in results:
        assert code == 0, err
        assert json.loads(out)["already_imported"] is False
    got = table_counts(home)
    expected = {t: a[t] + b[t] for t in a if t != "schema_version"}
    assert {t: n for t, n in got.items() if t != "schema_version"} == expected
    assert got["imports"] == 2


def test_two_imports_racing_without_a_holder(tmp_path):
    """Two imports of different files started together (no third process): both succeed
    and nothing is lost, whichever gets the store first."""
    home = tmp_path / "home"
    csv_dir = REPO / "tests" / "data" / "csv"
    linkedin = ["import", "linkedin", LINKEDIN]
    csv = ["import", "csv", "--contacts", csv_dir / "contacts.csv"]
    csv += ["--interactions", csv_dir / "interactions.csv"]
    procs = [spawn(home, *linkedin), spawn(home, *csv)]
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err
    got = table_counts(home)
    assert got["imports"] == 2
    alone = solo_counts(tmp_path, "li", linkedin)
    assert got["interactions"] == alone["interactions"] + 5


def test_waiting_is_bounded_and_the_message_is_clear(tmp_path):
    home = tmp_path / "home"
    from recommender.cli.app import main

    assert main(["--home", str(home), "import", "edges", str(EDGES)]) == 0
    before = table_counts(home)
    holder = hold_store(home, 60)
    try:
        started = time.monotonic()
        code, out, err = finish(spawn(home, "import", "linkedin", LINKEDIN, timeout=1))
        elapsed = time.monotonic() - started
    finally:
        holder.kill()
        holder.wait()
    assert code == 1
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert lines[0] == f"helpnext: {WAITING} 1 s"
    assert lines[1] == (
        f"helpnext: error: {home / 'helpnext.duckdb'} is in use by another helpnext process "
        f"(PID {holder.pid}); waited 1 s. Try again when it has finished."
    )
    assert len(lines) == 2 and "Traceback" not in err
    assert elapsed < 30  # 1 s of waiting plus start-up and reading the export
    assert table_counts(home) == before


def _my_contacts(home: Path) -> int:
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        return store.scalar(
            "SELECT count(*) FROM contacts JOIN owners USING (owner_id) "
            "WHERE key = 'me' AND merged_into IS NULL"
        )


def test_reads_during_an_import_see_before_or_after(tmp_path):
    """``stats`` and ``contacts`` run while an import writes: each either waits for it or
    runs before it, and sees the store as before or as after, never half of the import."""
    from recommender.cli.app import main

    home = tmp_path / "home"
    contacts_csv = str(REPO / "tests" / "data" / "csv" / "contacts.csv")
    assert main(["--home", str(home), "import", "csv", "--contacts", contacts_csv]) == 0
    before, mine_before = table_counts(home), _my_contacts(home)
    importer = spawn(home, "import", "linkedin", LINKEDIN)
    readers = []
    for command in ("stats", "contacts", "stats"):
        readers.append(spawn(home, command, "--json"))
        time.sleep(0.4)
    code, _, err = finish(importer)
    assert code == 0, err
    after, mine_after = table_counts(home), _my_contacts(home)
    assert mine_after > mine_before
    allowed_stats = {
        (mine_before, before["interactions"]),
        (mine_after, after["interactions"]),
    }
    for proc in readers:
        code, out, err = finish(proc)
        assert code == 0, err
        payload = json.loads(out)
        if isinstance(payload, dict):
            assert (payload["contacts"], payload["interactions"]) in allowed_stats
        else:
            assert len(payload) in (mine_before, mine_after)


@pytest.mark.parametrize("n", [3])
def test_many_writers_queue_up(tmp_path, n):
    """``n`` processes log a note each at the same moment: all n notes are stored."""
    from recommender.cli.app import main

    home = tmp_path / "home"
    csv_dir = REPO / "tests" / "data" / "csv"
    assert (
        main(["--home", str(home), "import", "csv", "--contacts", str(csv_dir / "contacts.csv")])
        == 0
    )
    before = table_counts(home)
    procs = [spawn(home, "note", "Dana Smith", f"note number {i}") for i in range(n)]
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err
    after = table_counts(home)
    assert after["notes"] == before["notes"] + n
