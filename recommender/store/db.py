"""The local store: one DuckDB file in the helpnext home.

* created readable by its owner only (0600, home 0700);
* schema migrations applied on open, each in one transaction;
* every write the library makes goes through :meth:`Store.transaction`, so a failure or
  Ctrl-C leaves the store exactly as it was;
* DuckDB lets one process write at a time: a second process waits up to
  ``HELPNEXT_LOCK_TIMEOUT`` seconds (default 10), saying so, then gives up with a clear message.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from pipelines.ingest.owners import PERSONAL_OWNER
from recommender.errors import StoreError, StoreLockedError
from recommender.store.duck import DUCKDB_CONFIG, utcnow
from recommender.store.paths import ensure_home, pending_path, store_path, user_home
from recommender.store.schema import AFTER_MIGRATION, LATEST_VERSION, MIGRATIONS

DEFAULT_LOCK_TIMEOUT = 10.0


def _lock_timeout() -> float:
    raw = os.environ.get("HELPNEXT_LOCK_TIMEOUT")
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT
    try:
        return max(0.0, float(raw))
    except ValueError:
        raise StoreError(
            f"HELPNEXT_LOCK_TIMEOUT must be a number of seconds, got {raw!r}"
        ) from None


def _is_lock_error(err: Exception) -> bool:
    text = str(err).lower()
    return "lock" in text and ("conflicting" in text or "could not set lock" in text)


def _holder_pid(err: Exception) -> str | None:
    match = re.search(r"PID (\d+)", str(err))
    return match.group(1) if match else None


def _say(message: str) -> None:
    print(f"helpnext: {message}", file=sys.stderr, flush=True)


class Store:
    """An open store. Use :func:`open_store` rather than this constructor."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con = con
        self.path = path
        self.read_only = read_only
        self._in_tx = False

    # -- transactions -------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing unit of work. Nested use joins the outer transaction."""
        if self.read_only:
            raise StoreError("the store was opened read-only")
        if self._in_tx:
            yield self.con
            return
        # DuckDB creates the WAL at the first write: owner-only from its first byte
        old_umask = os.umask(0o077)
        try:
            self.con.execute("BEGIN TRANSACTION")
            self._in_tx = True
            try:
                yield self.con
            except BaseException:
                self._in_tx = False
                try:
                    self.con.execute("ROLLBACK")
                except duckdb.Error:
                    pass
                raise
            self._in_tx = False
            self.con.execute("COMMIT")
        finally:
            os.umask(old_umask)
        if not self.read_only:
            _restrict(self.path)  # and a store made by an older helpnext

    # -- small helpers ------------------------------------------------------------------
    def scalar(self, sql: str, params: list | tuple | None = None):
        rows = self.con.execute(sql, params or []).fetchall()
        return rows[0][0] if rows else None

    def frame(self, sql: str, params: list | tuple | None = None):
        """Run a query and return a Polars DataFrame.

        The result crosses over the Arrow C stream interface (``__arrow_c_stream__``), which
        needs no pyarrow: importing pyarrow alone costs ``helpnext today`` about 0.2 s."""
        import polars as pl

        relation = self.con.sql(sql, params=list(params) if params else None)
        if relation is None:
            return pl.DataFrame()
        return pl.DataFrame(relation)

    def next_id(self, table: str, column: str) -> int:
        """Next free id of ``table.column`` (callers hold the write lock)."""
        return int(self.scalar(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}"))

    def schema_version(self) -> int:
        return int(self.scalar("SELECT coalesce(max(version), 0) FROM schema_version"))

    def owner_id(self, key: str = PERSONAL_OWNER, *, name: str | None = None, create: bool = True):
        """The id of owner ``key``; created on first use when ``create``."""
        found = self.scalar("SELECT owner_id FROM owners WHERE key = ?", [key])
        if found is not None:
            return int(found)
        if not create:
            return None
        with self.transaction():
            new_id = self.next_id("owners", "owner_id")
            self.con.execute(
                "INSERT INTO owners (owner_id, key, name, created_at) VALUES (?, ?, ?, ?)",
                [new_id, key, name, utcnow()],
            )
        return new_id

    def is_empty(self) -> bool:
        return not self.scalar("SELECT count(*) FROM contacts")

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _connect(
    path: Path, read_only: bool, on_wait: Callable[[str], None]
) -> duckdb.DuckDBPyConnection:
    timeout = _lock_timeout()
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            old_umask = os.umask(0o077)
            try:
                return duckdb.connect(str(path), read_only=read_only, config=DUCKDB_CONFIG)
            finally:
                os.umask(old_umask)
        except duckdb.IOException as err:
            if not _is_lock_error(err):
                raise StoreError(f"{path}: cannot open the store ({err})") from None
            pid = _holder_pid(err)
            if time.monotonic() >= deadline:
                who = f" (PID {pid})" if pid else ""
                raise StoreLockedError(
                    f"{path} is in use by another helpnext process{who}; waited {timeout:g} s. "
                    "Try again when it has finished."
                ) from None
            if not told:
                on_wait(
                    f"the store is busy (another helpnext process); waiting up to {timeout:g} s"
                )
                told = True
            time.sleep(0.1)
        except duckdb.Error as err:
            raise StoreError(f"{path}: not a helpnext store or damaged ({err})") from None


def _migrate(store: Store) -> None:
    con = store.con
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    current = store.schema_version()
    if current > LATEST_VERSION:
        raise StoreError(
            f"{store.path} was written by a newer helpnext (schema {current}, this one knows "
            f"{LATEST_VERSION}); upgrade helpnext"
        )
    for version, sql in MIGRATIONS:
        if version <= current:
            continue
        with store.transaction():
            con.execute(sql)
            if version in AFTER_MIGRATION:
                import importlib

                module, function = AFTER_MIGRATION[version].split(":")
                getattr(importlib.import_module(module), function)(store)
            con.execute("INSERT INTO schema_version VALUES (?, ?)", [version, utcnow()])


def _restrict(path: Path) -> None:
    for candidate in (path, path.with_name(path.name + ".wal")):
        if candidate.exists():
            os.chmod(candidate, 0o600)


def open_store(
    home: Path | str | None = None,
    *,
    read_only: bool = False,
    on_wait: Callable[[str], None] = _say,
    _finishing: bool = False,
) -> Store:
    """Open (creating if needed) the store of ``home``. A forget that was interrupted is
    finished first (:mod:`recommender.store.erasure`).

    ``read_only`` opens an existing store for reading; when none exists yet, an empty
    in-memory store with the current schema stands in, so read commands on a fresh home
    answer "nothing yet" instead of failing.
    """
    home_dir = user_home(home)
    path = store_path(home_dir)
    if not _finishing and pending_path(home_dir).exists():
        # a forget was interrupted: finish it before anything reads the store
        from recommender.store.privacy import finish_pending

        with open_store(home_dir, on_wait=on_wait, _finishing=True) as store:
            finish_pending(store, home_dir)
    if read_only and not path.exists():
        con = duckdb.connect(":memory:", config=DUCKDB_CONFIG)
        con.execute("SET enable_progress_bar = false")
        store = Store(con, path, read_only=False)
        _migrate(store)
        store.read_only = True
        return store
    if not read_only:
        ensure_home(home_dir)
    if path.exists() and path.is_dir():
        raise StoreError(f"{path} is a directory, expected the helpnext store file")
    con = _connect(path, read_only, on_wait)
    con.execute("SET enable_progress_bar = false")
    store = Store(con, path, read_only)
    try:
        if read_only:
            version = store.schema_version()
            if version < LATEST_VERSION:
                # an older store: migrate it once through a writable connection
                store.close()
                writable = open_store(home_dir, on_wait=on_wait, _finishing=True)
                writable.close()
                return open_store(home_dir, read_only=True, on_wait=on_wait, _finishing=True)
            if version > LATEST_VERSION:
                _migrate(store)  # raises the "newer helpnext" error
        else:
            _migrate(store)
            _restrict(path)
    except duckdb.Error as err:
        store.close()
        raise StoreError(f"{path}: not a helpnext store or damaged ({err})") from None
    except BaseException:
        store.close()
        raise
    return store
