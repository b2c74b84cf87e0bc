"""The store's interactions as the canonical event frame (``pipelines.columns``)."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pipelines.columns import conform_events
from recommender.store.db import Store


def load_events(
    store: Store, owner_ids: list[int] | None = None, before: datetime | None = None
) -> pl.LazyFrame:
    """Interactions as ``owner, contact, ts, direction, channel, is_give, thread,
    n_participants`` sorted by owner, contact and time (the features' order, so they need
    not sort again; an outgoing message first at equal time); only
    ``owner_ids`` when given, only ``ts < before`` when given. Merged-away contacts are folded
    into the contact they were merged into (no join at all while nobody is merged)."""
    where, params = ["TRUE"], []
    if owner_ids is not None:
        where.append("list_contains(?, i.owner_id)")
        params.append(list(owner_ids))
    if before is not None:
        where.append("i.ts < ?")
        params.append(before)
    merged = store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NOT NULL")
    contact, source = (
        (
            "coalesce(c.merged_into, i.contact_id)",
            "interactions i LEFT JOIN contacts c USING (contact_id)",
        )
        if merged
        else ("i.contact_id", "interactions i")
    )
    frame = store.frame(
        f"""SELECT i.owner_id AS owner, {contact} AS contact, i.ts,
                   i.direction, i.channel, i.is_give, i.thread, i.n_participants
            FROM {source}
            WHERE {" AND ".join(where)}
            ORDER BY owner, contact, i.ts, i.direction = 'in'""",
        params,
    )
    return conform_events(frame)
