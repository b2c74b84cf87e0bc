"""The contacts list (``helpnext contacts``) and the one-contact lookups the CLI needs:
the rows of one owner's contacts, most recently in touch first, and the contact a merged
one now stands for."""

from __future__ import annotations

from recommender.store.db import Store

# interactions and tags of contacts merged into another count for the kept one
CONTACT_ROWS_SQL = """
        WITH folded AS (
            SELECT contact_id, coalesce(merged_into, contact_id) AS kept
            FROM contacts WHERE owner_id = ?
        ),
        touch AS (
            SELECT f.kept, count(*) AS interactions,
                   count(*) FILTER (WHERE i.direction = 'out') AS sent,
                   count(*) FILTER (WHERE i.direction = 'in') AS received,
                   max(i.ts) AS last_interaction
            FROM interactions i JOIN folded f USING (contact_id)
            GROUP BY f.kept
        ),
        tagged AS (
            SELECT f.kept, string_agg(DISTINCT t.tag, ';' ORDER BY t.tag) AS tags
            FROM tags t JOIN folded f USING (contact_id)
            GROUP BY f.kept
        )
        SELECT c.contact_id, c.display_name AS name, c.company, c.position, c.email,
               c.linkedin_url, c.connected_on,
               coalesce(x.interactions, 0) AS interactions, coalesce(x.sent, 0) AS sent,
               coalesce(x.received, 0) AS received, x.last_interaction, g.tags
        FROM contacts c
        LEFT JOIN touch x ON x.kept = c.contact_id
        LEFT JOIN tagged g ON g.kept = c.contact_id
        WHERE c.owner_id = ? AND c.merged_into IS NULL
        ORDER BY x.last_interaction DESC NULLS LAST, name
    """


def contact_rows(store: Store, owner_key: str = "me", limit: int | None = None) -> list[dict]:
    """One row per contact of ``owner_key`` (merged ones folded into the kept one): name,
    company, position, interactions sent and received, last interaction, tags. Most
    recently in touch first; at most ``limit`` rows when given. No such owner: none."""
    owner = store.owner_id(owner_key, create=False)
    if owner is None:
        return []
    sql = CONTACT_ROWS_SQL
    if limit:
        sql += f" LIMIT {int(limit)}"
    return store.frame(sql, [owner, owner]).to_dicts()


def kept_contact_id(store: Store, contact_id: int) -> int | None:
    """The contact ``contact_id`` stands for now (the one it was merged into, else
    itself), or None when it no longer exists."""
    return store.scalar(
        "SELECT coalesce(merged_into, contact_id) FROM contacts WHERE contact_id = ?",
        [contact_id],
    )
