"""Crashes: kill ``helpnext`` (SIGKILL, no clean-up of any kind) at random moments of an
import, and check that the store opens and holds exactly what it held before the command
or exactly what a finished command leaves: never anything in between.

Half of the kills land at a uniformly random delay over the command's whole run (start-up,
reading, writing); the other half wait until the write has begun (DuckDB's ``.wal`` file
appears) and kill within the next few milliseconds, so the write window is hit often.
``benchmarks/bench_crash.py`` runs many more kills with the same helpers.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# -- helpers (also used by benchmarks/bench_crash.py) -------------------------------------------

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
STORE = "helpnext.duckdb"


def helpnext_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "recommender", *map(str, args)]


def run_cli(
    home: Path, args: list[str], timeout: float = 300, **env: str
) -> subprocess.CompletedProcess:
    """Run ``helpnext args`` in a subprocess to the end (``env``: more variables)."""
    return subprocess.run(
        helpnext_cmd(*args),
        env={**os.environ, "HELPNEXT_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def run_to_end(home: Path, args: list[str], timeout: float = 300) -> float:
    """Run ``helpnext args`` in a subprocess to the end; return its wall time."""
    started = time.monotonic()
    proc = run_cli(home, args, timeout)
    assert proc.returncode == 0, proc.stderr
    return time.monotonic() - started


def counts(home: Path) -> dict[str, int]:
    """Open the store as the next helpnext command would (replaying its WAL, migrating),
    then return the row count of every table."""
    from recommender.store.db import open_store

    with open_store(home) as store:
        names = [
            r[0]
            for r in store.con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
                "AND table_catalog = current_database() ORDER BY table_name"
            ).fetchall()
        ]
        sql = "SELECT " + ", ".join(f'(SELECT count(*) FROM "{n}")' for n in names)
        got = dict(zip(names, store.con.execute(sql).fetchone(), strict=True))
        # rows that change in place (a suggestion marked done) count by status
        for (table,) in store.con.execute(
            "SELECT table_name FROM information_schema.columns WHERE column_name = 'status' "
            "AND table_schema = 'main' AND table_catalog = current_database()"
        ).fetchall():
            for status, n in store.con.execute(
                f'SELECT status, count(*) FROM "{table}" GROUP BY ALL ORDER BY ALL'
            ).fetchall():
                got[f"{table}.status={status}"] = n
        return got


@dataclass
class KillReport:
    kills: int = 0
    finished_first: int = 0  # the command ended before the kill landed
    before: int = 0  # store as before the command
    after: int = 0  # store as after the command
    in_write: int = 0  # the kill landed while the write was under way (.wal present)
    delays: list[float] = field(default_factory=list)


def kill_once(home: Path, args: list[str], delay: float | None, rng: random.Random) -> tuple:
    """Start ``helpnext args``; SIGKILL it after ``delay`` s (None: once the .wal appears,
    plus 0-30 ms). Returns (finished before the kill, .wal present at the kill)."""
    wal = home / (STORE + ".wal")
    proc = subprocess.Popen(
        helpnext_cmd(*args),
        env={**os.environ, "HELPNEXT_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=REPO,
    )
    try:
        if delay is None:
            deadline = time.monotonic() + 120
            while proc.poll() is None and not wal.exists() and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.03))
        else:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                pass
        finished = proc.poll() is not None
        in_write = wal.exists()
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    return finished, in_write and not finished


def kill_many(
    baseline: Path,
    work: Path,
    args: list[str],
    expected_before: dict,
    expected_after: dict,
    kills: int,
    max_delay: float,
    rng: random.Random,
) -> KillReport:
    """``kills`` times: restore ``baseline`` into ``work``, run and kill ``helpnext args``,
    and check the store holds ``expected_before`` or ``expected_after``."""
    report = KillReport()
    for n in range(kills):
        if work.exists():
            shutil.rmtree(work)
        shutil.copytree(baseline, work)
        delay = None if n % 2 else rng.uniform(0.0, max_delay)
        finished, in_write = kill_once(work, args, delay, rng)
        got = counts(work)
        assert got in (expected_before, expected_after), (
            f"kill {n} (delay {delay}): the store is in between: {got}\n"
            f"before: {expected_before}\nafter: {expected_after}"
        )
        assert (work / STORE).stat().st_mode & 0o077 == 0
        report.kills += not finished
        report.finished_first += finished
        report.before += got == expected_before
        report.after += got == expected_after and got != expected_before
        report.in_write += in_write
        report.delays.append(-1.0 if delay is None else delay)
    return report


def run_in_process(home: Path, args: list) -> float:
    """Run ``helpnext --home HOME args`` in this process (faster than a subprocess)."""
    from recommender.cli.app import main

    started = time.monotonic()
    code = main(["--home", str(home), *map(str, args)])
    assert code == 0, f"helpnext {args} failed with exit code {code}"
    return time.monotonic() - started


_STARTUP: list[float] = []


def startup_time() -> float:
    """Wall time of a subprocess that only starts helpnext (measured once)."""
    if not _STARTUP:
        started = time.monotonic()
        subprocess.run(helpnext_cmd("--version"), capture_output=True, cwd=REPO, check=True)
        _STARTUP.append(time.monotonic() - started)
    return _STARTUP[0]


def prepared(tmp: Path, name: str, setup: list[list], command: list):
    """A baseline home after ``setup`` commands, the counts before / after ``command`` (from
    one complete run on a copy), and an estimate of the command's subprocess duration."""
    baseline = tmp / f"{name}-baseline"
    for args in setup:
        run_in_process(baseline, args)
    before = counts(baseline)
    reference = tmp / f"{name}-reference"
    shutil.copytree(baseline, reference)
    duration = run_in_process(reference, command) + startup_time()
    after = counts(reference)
    assert after != before, "the command must change the store for the test to mean anything"
    return baseline, before, after, duration


SAMPLE = REPO / "data" / "sample"
LINKEDIN_SETUP = [["import", "linkedin", SAMPLE / "linkedin-export-2023-06.zip"]]
LINKEDIN_COMMAND = ["import", "linkedin", SAMPLE / "linkedin-export-2024-06.zip"]
EDGES_SETUP = [["import", "edges", REPO / "tests" / "data" / "edges" / "snap_tabs.txt"]]
DEPT3 = SHARED / "interactions" / "email-Eu-core-temporal-Dept3.txt"
EDGES_COMMAND = ["import", "edges", DEPT3]


# -- the tests ------------------------------------------------------------------------------------


def test_kill_during_linkedin_import(tmp_path):
    rng = random.Random(20240618)
    baseline, before, after, duration = prepared(
        tmp_path, "linkedin", LINKEDIN_SETUP, LINKEDIN_COMMAND
    )
    report = kill_many(
        baseline, tmp_path / "work", LINKEDIN_COMMAND, before, after, 10, duration, rng
    )
    assert report.before + report.after == 10
    assert report.kills >= 5  # most runs were really killed, not finished


def test_kill_during_edge_list_import(tmp_path):
    if not DEPT3.exists():
        pytest.skip(f"shared data not available: {DEPT3}")
    rng = random.Random(3)
    baseline, before, after, duration = prepared(tmp_path, "edges", EDGES_SETUP, EDGES_COMMAND)
    report = kill_many(baseline, tmp_path / "work", EDGES_COMMAND, before, after, 10, duration, rng)
    assert report.before + report.after == 10
    assert report.kills >= 5


def _train_available() -> bool:
    try:
        from recommender.cli import model
    except ImportError:
        return False
    return hasattr(model, "train")


@pytest.mark.skipif(not _train_available(), reason="helpnext train not built yet")
def test_kill_during_train_leaves_only_whole_models(tmp_path):
    """``helpnext train`` killed at random: the store is unchanged but for the record of
    the models saved (each names a card that verifies), and every model card left in the
    models folder verifies against its artifact (none half-written)."""
    from recommender.registry import history, home_records, list_models, verify_model

    rng = random.Random(7)
    home = tmp_path / "home"
    run_in_process(home, ["import", "linkedin", SAMPLE / "linkedin-export-2024-06.zip"])
    before = counts(home)
    command = ["train", "--as-of", "2024-06-01"]
    for _ in range(2):
        kill_once(home, command, rng.uniform(2.0, 12.0), rng)
        got = counts(home)
        assert {k: v for k, v in got.items() if k != "model_files"} == {
            k: v for k, v in before.items() if k != "model_files"
        }
        for card in list_models(home):
            assert verify_model(home, card["model_id"])["model_id"] == card["model_id"]
        recorded = home_records(home)
        for model_id in recorded:
            assert verify_model(home, model_id, recorded=recorded)["model_id"] == model_id
        history(home)  # the registry parses (or is absent)
        registry = home / "models" / "registry.json"
        if registry.exists():
            json.loads(registry.read_text())


# -- feedback (``helpnext done ID``) ---------------------------------------------------------------
# PLACE FOR FEEDBACK: when ``recommender/cli/plan.py`` provides ``done``, this test
# kills ``helpnext done ID`` at random moments and checks that the suggestion is either still
# open with no feedback, or done with its feedback recorded: never one without the other.


def _feedback_available() -> bool:
    try:
        from recommender.cli import plan
    except ImportError:
        return False
    return hasattr(plan, "done")


@pytest.mark.skipif(not _feedback_available(), reason="helpnext done not built yet (feedback)")
def test_kill_during_feedback(tmp_path):
    rng = random.Random(11)
    setup = [
        ["import", "linkedin", SAMPLE / "linkedin-export-2024-06.zip"],
        ["today", "--as-of", "2024-06-20"],
    ]
    baseline = tmp_path / "feedback-baseline"
    for args in setup:
        run_in_process(baseline, args)
    from recommender.store.db import open_store

    with open_store(baseline) as store:
        suggestion = store.scalar("SELECT min(suggestion_id) FROM suggestions")
    assert suggestion is not None
    command = ["done", str(suggestion)]
    before = counts(baseline)
    reference = tmp_path / "feedback-reference"
    shutil.copytree(baseline, reference)
    duration = run_in_process(reference, command) + startup_time()
    after = counts(reference)
    report = kill_many(baseline, tmp_path / "work", command, before, after, 6, duration, rng)
    assert report.before + report.after == 6


# -- forget: killed at any step, the next command finishes the erasure (issue 18, point 5) --

FORGET_EXPORT = REPO / "tests" / "data" / "linkedin" / "export-2024-12"
FORGET_NAME = "Jürgen Müller"
# everything of Jürgen the export holds: his name, its parts, his profile URL
FORGET_BYTES = ("Jürgen Müller", "Jürgen", "Müller", "juergen-mueller", "juergen")


def _traces(home: Path) -> dict[str, list[str]]:
    """file -> which of FORGET_BYTES it holds, for every file in the home (recursively)."""
    found = {}
    for path in sorted(home.rglob("*")):
        if path.is_file():
            raw = path.read_bytes().lower()
            hits = [t for t in FORGET_BYTES if t.lower().encode() in raw]
            if hits:
                found[str(path.relative_to(home))] = hits
    return found


def _forget_baseline(tmp: Path) -> Path:
    baseline = tmp / "forget-baseline"
    run_in_process(baseline, ["import", "linkedin", FORGET_EXPORT])
    assert _traces(baseline)  # the person is there to be forgotten
    return baseline


def _next_command(home: Path, *args: str) -> subprocess.CompletedProcess:
    proc = run_cli(home, list(args), 120)
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.mark.parametrize(
    "point", ["forget:recorded", "forget:deleted", "forget:copied", "forget:rewritten"]
)
def test_kill_during_forget_is_finished_by_the_next_command(tmp_path, point):
    baseline = _forget_baseline(tmp_path)
    home = tmp_path / "work"
    shutil.copytree(baseline, home)
    killed = run_cli(home, ["forget", FORGET_NAME, "--yes"], 120, HELPNEXT_KILL_AT=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert (home / "forget-pending.json").exists()
    assert FORGET_NAME.encode() not in (home / "forget-pending.json").read_bytes()
    # any command that opens the home finishes the erasure first, and says so
    stats = _next_command(home, "stats")
    assert "finishing a forget that was interrupted" in stats.stderr
    assert _traces(home) == {}
    names = sorted(p.name for p in home.iterdir())
    assert names == [STORE]  # no record, no copy of the store left
    contacts = _next_command(home, "contacts", "--json").stdout
    assert "Jürgen" not in contacts and json.loads(contacts)
    forgotten = _next_command(home, "unforget", "--list", "--json").stdout
    assert len(json.loads(forgotten)) == 1  # the tombstone: later imports leave him out


def test_forget_killed_at_random_moments_leaves_nothing_of_the_person(tmp_path):
    baseline = _forget_baseline(tmp_path)
    rng = random.Random(18)
    home = tmp_path / "work"
    for n in range(4):
        if home.exists():
            shutil.rmtree(home)
        shutil.copytree(baseline, home)
        delay = None if n % 2 else rng.uniform(0.5, 3.0)
        kill_once(home, ["forget", FORGET_NAME, "--yes"], delay, rng)
        _next_command(home, "stats")
        still = counts(home)["contacts"]
        if _traces(home):  # killed before the forget began: it is all still there
            assert not (home / "forget-pending.json").exists()
            assert still == counts(baseline)["contacts"]
        else:
            assert sorted(p.name for p in home.iterdir()) == [STORE]


def test_a_damaged_erasure_record_still_rewrites_the_store(tmp_path):
    home = _forget_baseline(tmp_path)
    (home / "forget-pending.json").write_text("{not json")
    (home / ".helpnext.duckdb.abc123.tmp").write_bytes(b"a copy left by a killed rewrite")
    done = _next_command(home, "stats")
    assert "finishing a forget that was interrupted" in done.stderr
    assert sorted(p.name for p in home.iterdir()) == [STORE]
