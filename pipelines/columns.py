"""Column names shared by the pipelines, in one place.

The canonical *event frame* every feature/label/score pipeline reads (from the store via
``recommender.store.events.load_events`` or from an edge list via
``pipelines.ingest.edges.events_from_edges``): one row per (owner, contact, event).
"""

from __future__ import annotations

import polars as pl

OWNER = "owner"  # Int64: owner id (store owner_id, or edge-list node id)
CONTACT = "contact"  # Int64: contact id (store contact_id, or edge-list node id)
TS = "ts"  # Datetime("us"), naive UTC
DIRECTION = "direction"  # "out" (owner -> contact) | "in" (contact -> owner)
CHANNEL = "channel"  # message | email | meeting | call | invitation | endorsement | ...
IS_GIVE = "is_give"  # Boolean: an endorsement, recommendation, introduction or share
THREAD = "thread"  # String or null: conversation / meeting id (group co-participation)
N_PARTICIPANTS = "n_participants"  # Int32: people in the conversation or meeting, owner included

OUT = "out"
IN = "in"

EVENT_SCHEMA: dict[str, pl.DataType] = {
    OWNER: pl.Int64,
    CONTACT: pl.Int64,
    TS: pl.Datetime("us"),
    DIRECTION: pl.String,
    CHANNEL: pl.String,
    IS_GIVE: pl.Boolean,
    THREAD: pl.String,
    N_PARTICIPANTS: pl.Int32,
}


def conform_events(frame: pl.LazyFrame | pl.DataFrame) -> pl.LazyFrame:
    """Give an event frame every canonical column (defaults for the optional ones)."""
    lf = frame.lazy()
    names = lf.collect_schema().names()
    missing = [c for c in (OWNER, CONTACT, TS, DIRECTION) if c not in names]
    if missing:
        raise ValueError(f"event frame lacks required column(s): {', '.join(missing)}")
    defaults = {
        CHANNEL: pl.lit("message"),
        IS_GIVE: pl.lit(False),
        THREAD: pl.lit(None, dtype=pl.String),
        N_PARTICIPANTS: pl.lit(2, dtype=pl.Int32),
    }
    return lf.select(
        [
            (pl.col(c) if c in names else defaults[c]).cast(dtype).alias(c)
            for c, dtype in EVENT_SCHEMA.items()
        ]
    )
