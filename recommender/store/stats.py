"""What ``helpnext stats`` counts: owners, contacts, interactions per channel and
direction, the span of interactions, events per kind, and the imports made."""

from __future__ import annotations

from recommender.store.db import Store


def store_stats(store: Store) -> dict:
    """The store's counts and spans, as one JSON-ready dict."""
    owners = store.scalar("SELECT count(*) FROM owners")
    contacts = store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")
    interactions = store.scalar("SELECT count(*) FROM interactions")
    by_channel = store.frame(
        """SELECT channel, direction, count(*) AS n FROM interactions
           GROUP BY ALL ORDER BY channel, direction"""
    ).to_dicts()
    events = store.frame(
        "SELECT kind, count(*) AS n FROM events GROUP BY ALL ORDER BY kind"
    ).to_dicts()
    imports = store.frame(
        """SELECT import_id, source_kind, file_name, sha256, finished_at AS imported_at,
                  rows_read, rows_skipped, contacts_added, interactions_added, events_added
           FROM imports ORDER BY import_id"""
    ).to_dicts()
    span = store.con.execute("SELECT min(ts), max(ts) FROM interactions").fetchall()[0]
    return {
        "store": str(store.path),
        "owners": owners,
        "contacts": contacts,
        "interactions": interactions,
        "first_interaction": span[0],
        "last_interaction": span[1],
        "interactions_by_channel": by_channel,
        "events": events,
        "imports": imports,
    }
