"""A forget that was interrupted is finished by the next command that opens the home.

``helpnext forget`` deletes the person in one transaction, then rewrites the store file so
their bytes do not linger in its free blocks (:func:`recommender.privacy.rewrite_store`).
Killed in between, or during the rewrite, it would leave those bytes in the store and a
partial copy of the store beside it. So, before it deletes anything, it writes a pending
erasure record, ``<home>/forget-pending.json`` (atomically, owner-only), holding only the
contact ids to erase: no name, address or anything else of theirs. The record is removed
once the rewritten store is in place and no temporary copy remains.

:func:`finish_pending` runs, under the write lock, at the start of every
:func:`recommender.store.open_store` that finds a record: it forgets the ids still in the
store (the kill came before the delete was committed), or else rewrites the store again,
removes any leftover copy, then the record.

``HELPNEXT_KILL_AT=<point>`` makes the process kill itself (SIGKILL) at a named point
(:func:`kill_point`): the crash tests use it to stop ``forget`` exactly between its steps.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

from pipelines.csvsafe import atomic_write_bytes
from recommender.paths import PENDING_ERASURE_FILE as PENDING_FILE
from recommender.paths import pending_path

KILL_ENV = "HELPNEXT_KILL_AT"


def kill_point(name: str) -> None:
    """Die here, as ``kill -9`` would, when ``HELPNEXT_KILL_AT`` names this point."""
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def record(home: Path, contact_ids: list[int]) -> None:
    """Write the pending erasure record (ids only), replacing any earlier one."""
    data = json.dumps({"version": 1, "contact_ids": sorted(int(i) for i in contact_ids)})
    atomic_write_bytes(pending_path(home), data.encode("ascii"))


def leftovers(home: Path, store_name: str) -> list[Path]:
    """Temporary copies of the store a rewrite (or an atomic write) left behind."""
    home = Path(home)
    return sorted(
        [*home.glob(f".{store_name}.*.tmp"), *home.glob(f".{store_name}.*.tmp.wal")]
        + list(home.glob(f".{PENDING_FILE}.*.tmp"))
    )


def clear(home: Path, store_name: str) -> None:
    """The erasure is complete: remove leftover copies, then the record."""
    for path in leftovers(home, store_name):
        path.unlink(missing_ok=True)
    pending_path(home).unlink(missing_ok=True)


def finish_pending(store, home: Path) -> None:
    """Complete the erasure the record names (``store`` is open for writing)."""
    from recommender.privacy import forget, rewrite_store

    path = pending_path(home)
    try:
        ids = [int(i) for i in json.loads(path.read_text(encoding="ascii"))["contact_ids"]]
    except FileNotFoundError:
        return  # another process finished it while we waited for the lock
    except (OSError, ValueError, KeyError, TypeError):
        ids = []  # a damaged record: still rewrite the store, so nothing lingers
    print(
        "helpnext: finishing a forget that was interrupted (erasing and rewriting the store)",
        file=sys.stderr,
        flush=True,
    )
    left = [
        int(r[0])
        for r in store.con.execute(
            "SELECT coalesce(merged_into, contact_id) FROM contacts "
            "WHERE list_contains(?::BIGINT[], contact_id)",
            [ids],
        ).fetchall()
    ]
    if left:
        for root in sorted(set(left)):
            forget(store, home, root, pending_ids=ids)
        return
    rewrite_store(store)
    clear(home, store.path.name)
