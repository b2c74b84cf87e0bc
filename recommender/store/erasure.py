"""A forget that was interrupted is finished by the next command that opens the home.

``helpnext forget`` deletes the person in one transaction, then rewrites the store file so
their bytes do not linger in its free blocks (:func:`recommender.store.privacy.rewrite_store`).
Killed in between, or during the rewrite, it would leave those bytes in the store and a
partial copy of the store beside it. So, before it deletes anything, it writes a pending
erasure record, ``<home>/forget-pending.json`` (atomically, owner-only), holding only the
contact ids to erase: no name, address or anything else of theirs. The record is removed
once the rewritten store is in place and no temporary copy remains.

:func:`recommender.store.privacy.finish_pending` runs, under the write lock, at the start of every
:func:`recommender.store.db.open_store` that finds a record: it forgets the ids still in the
store (the kill came before the delete was committed), or else rewrites the store again,
removes any leftover copy, then the record.

``HELPNEXT_KILL_AT=<point>`` makes the process kill itself (SIGKILL) at a named point
(:func:`kill_point`): the crash tests use it to stop ``forget`` exactly between its steps.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from pipelines.csvsafe import atomic_write_bytes
from recommender.store.paths import PENDING_ERASURE_FILE as PENDING_FILE
from recommender.store.paths import pending_path

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
