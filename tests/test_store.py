import os
import subprocess
import sys
import textwrap

import polars as pl
import pytest

from pipelines.ingest.batch import ImportBatch
from recommender.errors import StoreError, StoreLockedError
from recommender.store.db import open_store
from recommender.store.importer import apply_batch
from recommender.store.schema import LATEST_VERSION


def counts(store) -> dict:
    return {
        t: store.scalar(f"SELECT count(*) FROM {t}")
        for t in ("owners", "contacts", "identities", "interactions", "imports")
    }


def small_batch(sha: str = "a" * 64, bad_ref: bool = False) -> ImportBatch:
    people = pl.DataFrame(
        {"ref": ["1", "2"], "display_name": ["Ana Lima", "Bo Chen"], "id_key": ["1", "2"]}
    )
    interactions = pl.DataFrame(
        {
            "ref": ["1", "2", "zz" if bad_ref else "2"],
            "uid_key": ["k1", "k2", "k3"],
            "ts": pl.Series(
                ["2024-01-01 10:00", "2024-01-02 10:00", "2024-01-03 10:00"]
            ).str.to_datetime("%Y-%m-%d %H:%M"),
            "channel": ["message"] * 3,
            "direction": ["out", "in", "out"],
        }
    )
    return ImportBatch("csv", "test", sha, people, interactions)


def test_store_is_created_private_with_current_schema(helpnext_home):
    with open_store() as store:
        assert store.schema_version() == LATEST_VERSION
        assert store.path == helpnext_home / "helpnext.duckdb"
    assert os.stat(helpnext_home / "helpnext.duckdb").st_mode & 0o777 == 0o600
    assert os.stat(helpnext_home).st_mode & 0o777 == 0o700
    # opening again migrates nothing twice
    with open_store() as store:
        assert store.scalar("SELECT count(*) FROM schema_version") == LATEST_VERSION


def test_read_only_on_a_fresh_home_is_empty_and_creates_nothing(helpnext_home):
    with open_store(read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM contacts") == 0
    assert not helpnext_home.exists()


def test_failed_import_leaves_store_exactly_as_before():
    with open_store() as store:
        apply_batch(store, small_batch())
        before = counts(store)
        with pytest.raises(AssertionError):
            apply_batch(store, small_batch(sha="b" * 64, bad_ref=True))
        assert counts(store) == before


def test_same_input_twice_changes_nothing():
    with open_store() as store:
        first = apply_batch(store, small_batch())
        before = counts(store)
        again = apply_batch(store, small_batch())
        assert first.interactions_added == 3 and first.contacts_added == 2
        assert again.already_imported and again.import_id == first.import_id
        assert counts(store) == before


def test_second_process_waits_then_gives_a_clear_message(helpnext_home, tmp_path):
    with open_store():
        pass
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from recommender.store.db import open_store
                s = open_store({str(helpnext_home)!r})
                print("ready", flush=True)
                time.sleep(30)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        waits = []
        with pytest.raises(StoreLockedError) as err:
            open_store(helpnext_home, on_wait=waits.append)
        assert "in use by another helpnext process" in str(err.value)
        assert f"PID {holder.pid}" in str(err.value)
        assert waits and "waiting up to 1 s" in waits[0]
    finally:
        holder.kill()
        holder.wait()
    with open_store(helpnext_home) as store:  # free again
        assert store.schema_version() == LATEST_VERSION


def test_a_file_that_is_not_a_store_is_refused(helpnext_home):
    helpnext_home.mkdir(parents=True)
    (helpnext_home / "helpnext.duckdb").write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError) as err:
        open_store()
    assert "helpnext.duckdb" in str(err.value)


def test_newer_schema_is_refused(helpnext_home):
    with open_store() as store:
        store.con.execute("INSERT INTO schema_version VALUES (999, now())")
    with pytest.raises(StoreError, match="newer helpnext"):
        open_store()
