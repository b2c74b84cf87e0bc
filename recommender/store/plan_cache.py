"""The day's plan statistics, computed once and reused until something changes.

Scoring every contact (reading the owner's interactions, the point-in-time features, the
engagement model) is most of the work of ``helpnext today``. Its result - per contact:
counts, first and last exchange, Interactions Rank, rhythm, engagement - is kept in the
store (tables ``plan_cache`` and ``plan_cache_contacts``, one entry per owner) and reused by
a later plan for ``as_of`` T2 when, compared with the moment T1 it was computed for:

* T1 <= T2 and both fall on the same day (the plan is a daily plan);
* the owner's interactions and contacts have the same fingerprint (any import, merge,
  split, ``log``, ``done`` or ``forget`` changes it), and the engagement model is the same;
* the owner has no interaction dated in [T1, T2).

Nothing at or after T2 is ever used: the reused values were computed from events before T1.
Days since, overdue and Interactions Rank are moved to T2 exactly (no event in between, so
every decayed term shrinks by the same factor); the engagement model's scores stay those of
T1, the start of the day's plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from pipelines.arrow import ArrowStream
from recommender.store.db import Store, utcnow

CACHE_VERSION = "1"
# what :func:`recommender.actions.context.contact_stats` says of a contact's history with the owner
HISTORY_COLUMNS = ("n_events", "n_out", "n_in", "first_ts", "last_ts", "interactions_rank")
COLUMNS = (*HISTORY_COLUMNS, "rhythm_mean", "rhythm_days", "engagement")


def fingerprint(store: Store, owner: int) -> str:
    """Changes whenever the owner's interactions or contacts do (one scan of each)."""
    interactions = store.con.execute(
        """SELECT count(*), coalesce(sum(hash(interaction_id, contact_id, ts, direction, channel,
                                              is_give, thread, n_participants)), 0)
           FROM interactions WHERE owner_id = ?""",
        [owner],
    ).fetchall()[0]
    contacts = store.con.execute(
        """SELECT count(*), coalesce(sum(hash(contact_id, merged_into, display_name, company,
                                              position, connected_on)), 0)
           FROM contacts WHERE owner_id = ?""",
        [owner],
    ).fetchall()[0]
    return f"i{interactions[0]}:{interactions[1]}|c{contacts[0]}:{contacts[1]}"


def cache_key(store: Store, owner: int, model: str) -> str:
    """The entry's key: the cache layout, the model that ranks (``model``, from
    :func:`recommender.engagement.serving_key`) and the owner's data fingerprint."""
    return f"v{CACHE_VERSION}|{model}|{fingerprint(store, owner)}"


def load(
    store: Store,
    owner: int,
    as_of: datetime,
    key: str,
    *,
    half_life_days: float,
    heuristic_version: str,
):
    """(statistics frame as of ``as_of``, model version), or None when nothing reusable.
    Interactions Rank (and the engagement of ``heuristic_version``, itself a decayed sum)
    decays with ``half_life_days`` from the cached moment to ``as_of``."""
    found = store.con.execute(
        "SELECT as_of, model_version FROM plan_cache WHERE owner_id = ? AND cache_key = ?",
        [owner, key],
    ).fetchall()
    if not found:
        return None
    cached_at, version = found[0]
    day_end = cached_at.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    if not cached_at <= as_of < day_end:
        return None
    between = store.scalar(
        "SELECT count(*) FROM interactions WHERE owner_id = ? AND ts >= ? AND ts < ?",
        [owner, cached_at, as_of],
    )
    if between:
        return None
    frame = store.frame(
        f"""SELECT p.contact_id AS contact, c.display_name AS name, c.company, c.position,
                   c.connected_on, {", ".join(f"p.{col}" for col in COLUMNS)}
            FROM plan_cache_contacts p JOIN contacts c USING (contact_id)
            WHERE p.owner_id = ? ORDER BY p.contact_id""",
        [owner],
    )
    decay = 0.5 ** ((as_of - cached_at).total_seconds() / 86_400 / half_life_days)
    moved = ["interactions_rank"] + (["engagement"] if version == heuristic_version else [])
    return (
        frame.with_columns(pl.col("contact").cast(pl.Int64), *[pl.col(c) * decay for c in moved]),
        version,
    )


def save(store: Store, owner: int, as_of: datetime, key: str, stats: pl.DataFrame, version: str):
    """Keep ``stats`` (one row per contact, :data:`COLUMNS`) as the owner's entry; nothing
    in a read-only store."""
    if store.read_only:
        return
    rows = stats.select(
        pl.lit(owner, dtype=pl.Int64).alias("owner_id"),
        pl.col("contact").alias("contact_id"),
        *COLUMNS,
    )
    with store.transaction() as con:
        con.execute("DELETE FROM plan_cache WHERE owner_id = ?", [owner])
        con.execute("DELETE FROM plan_cache_contacts WHERE owner_id = ?", [owner])
        con.register("_plan_cache_rows", ArrowStream(rows))
        try:
            con.execute(
                f"INSERT INTO plan_cache_contacts (owner_id, contact_id, {', '.join(COLUMNS)}) "
                f"SELECT owner_id, contact_id, {', '.join(COLUMNS)} FROM _plan_cache_rows"
            )
        finally:
            con.unregister("_plan_cache_rows")
        con.execute(
            "INSERT INTO plan_cache (owner_id, cache_key, as_of, model_version, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [owner, key, as_of, version, utcnow()],
        )
