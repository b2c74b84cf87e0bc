"""What the plan and the acts read of the past (always before ``as_of``): messages that
say someone needs work or hires, gives to return, meetings, shared threads, items already
shared, new roles, ties in touch both ways; one contact's timeline and rhythm for ``helpnext
show``; the earliest dated evidence of a network; and the interactions ``helpnext log``
writes."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from recommender.store.db import Store

NEED_MESSAGES_SQL = """SELECT coalesce(c.merged_into, i.contact_id) AS contact, i.ts,
                      regexp_extract(lower(i.body), ?) AS hit, i.body
               FROM interactions i JOIN contacts c USING (contact_id)
               WHERE i.owner_id = ? AND i.direction = 'in' AND i.ts < ? AND i.ts >= ?
                 AND i.body IS NOT NULL AND regexp_matches(lower(i.body), ?)
               ORDER BY i.ts DESC"""


def messages_matching(
    store: Store, owner: int, as_of: datetime, since: datetime, pattern: str
) -> pl.DataFrame:
    """``contact, ts, hit, body``: messages received in [since, as_of) whose lower-cased
    body matches ``pattern`` (``hit``: the words that matched), newest first."""
    return store.frame(NEED_MESSAGES_SQL, [f"({pattern})", owner, as_of, since, pattern])


def items_shared(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, item_id``: items shared by hand before ``as_of`` (a 'share' interaction
    whose text or detail names the item's url or title)."""
    return store.frame(
        """SELECT DISTINCT coalesce(c.merged_into, i.contact_id) AS contact, it.item_id
               FROM interactions i JOIN contacts c USING (contact_id)
               JOIN items it ON (it.url IS NOT NULL AND (
                        contains(coalesce(i.detail, ''), it.url)
                        OR contains(coalesce(i.body, ''), it.url)))
                    OR coalesce(i.detail, '') = it.title OR coalesce(i.subject, '') = it.title
               WHERE i.owner_id = ? AND i.channel = 'share' AND i.ts < ?""",
        [owner, as_of],
    )


def met_contacts(store: Store, owner: int, as_of: datetime) -> list[int]:
    """The contacts ``owner`` had a meeting with before ``as_of``."""
    rows = store.con.execute(
        "SELECT DISTINCT coalesce(c.merged_into, c.contact_id) FROM interactions i "
        "JOIN contacts c USING (contact_id) "
        "WHERE i.owner_id = ? AND i.channel = 'meeting' AND i.ts < ?",
        [owner, as_of],
    ).fetchall()
    return [int(r[0]) for r in rows]


def unreturned_gives(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, ts, channel, detail``: endorsements, recommendations and introductions
    received before ``as_of`` and after the owner's last give to that contact."""
    return store.frame(
        """WITH ev AS (
               SELECT coalesce(c.merged_into, i.contact_id) AS contact, i.ts, i.direction,
                      i.channel, i.is_give, i.detail
               FROM interactions i JOIN contacts c USING (contact_id)
               WHERE i.owner_id = ? AND i.ts < ? AND i.is_give),
           back AS (SELECT contact, max(ts) AS last_out FROM ev WHERE direction = 'out'
                    GROUP BY contact)
           SELECT ev.contact, ev.ts, ev.channel, ev.detail
           FROM ev LEFT JOIN back USING (contact)
           WHERE ev.direction = 'in'
             AND ev.channel IN ('endorsement', 'recommendation', 'introduction')
             AND (back.last_out IS NULL OR ev.ts > back.last_out)
           ORDER BY ev.contact, ev.ts""",
        [owner, as_of],
    )


def new_roles(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, ts, old_company, old_position, new_company, new_position``: the new roles
    seen before ``as_of``, oldest first."""
    return store.frame(
        """SELECT coalesce(c.merged_into, e.contact_id) AS contact, e.ts, e.old_company,
                  e.old_position, e.new_company, e.new_position
           FROM events e JOIN contacts c USING (contact_id)
           WHERE e.owner_id = ? AND e.kind = 'new_role' AND e.ts < ?
           ORDER BY e.ts""",
        [owner, as_of],
    )


def thread_members(store: Store, owner: int, as_of: datetime, contacts: list[int]) -> pl.DataFrame:
    """``thread, contact``: the threads (and meetings) each of ``contacts`` was in before
    ``as_of``."""
    return store.frame(
        """WITH pool AS (SELECT unnest(?::BIGINT[]) AS contact)
           SELECT DISTINCT i.thread, coalesce(c.merged_into, i.contact_id) AS contact
           FROM interactions i JOIN contacts c USING (contact_id)
           JOIN pool p ON p.contact = coalesce(c.merged_into, i.contact_id)
           WHERE i.owner_id = ? AND i.ts < ? AND i.thread IS NOT NULL""",
        [contacts, owner, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64))


def latest_interaction(store: Store) -> datetime | None:
    """When the home's latest interaction happened (None in an empty home)."""
    return store.scalar("SELECT max(ts) FROM interactions")


def first_evidence(store: Store, owner: int) -> datetime | None:
    """The earliest dated thing the store knows of the owner's network (an interaction, a
    connection or a first sighting)."""
    return store.scalar(
        """SELECT min(t) FROM (
               SELECT min(ts) AS t FROM interactions WHERE owner_id = ?
               UNION ALL SELECT min(coalesce(connected_on, first_seen)) FROM contacts
                         WHERE owner_id = ?)""",
        [owner, owner],
    )


def two_way_ties(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, name, company, position, n, last_ts, n_in, n_out``: the kept contacts
    with messages both ways before ``as_of``, latest in touch first."""
    return store.frame(
        """SELECT c.contact_id AS contact, c.display_name AS name, c.company, c.position,
                  count(*) AS n, max(i.ts) AS last_ts,
                  count(*) FILTER (WHERE i.direction = 'in') AS n_in,
                  count(*) FILTER (WHERE i.direction = 'out') AS n_out
           FROM interactions i JOIN contacts c USING (contact_id)
           WHERE i.owner_id = ? AND i.ts < ? AND c.merged_into IS NULL
           GROUP BY ALL HAVING n_in > 0 AND n_out > 0
           ORDER BY last_ts DESC, n DESC, contact""",
        [owner, as_of],
    )


# one contact (and those merged into it) before as_of: owner, ids, as_of
CONTACT_WHERE = "owner_id = ? AND list_contains(?, contact_id) AND ts < ?"


def timeline(store: Store, owner: int, ids: list[int], as_of: datetime, limit: int):
    """The last ``limit`` interactions with ``ids`` before ``as_of``, newest first."""
    return store.frame(
        f"SELECT ts, channel, direction, is_give, subject, body, detail FROM interactions "
        f"WHERE {CONTACT_WHERE} ORDER BY ts DESC LIMIT {int(limit)}",
        [owner, ids, as_of],
    )


def rhythm(store: Store, owner: int, ids: list[int], as_of: datetime) -> dict:
    """``n_events, n_out, n_in, first_ts, last_ts, rhythm_days`` (the median gap between
    days in touch) of ``ids`` before ``as_of``."""
    where = CONTACT_WHERE
    return store.frame(
        f"""WITH d AS (SELECT DISTINCT ts::DATE AS d FROM interactions WHERE {where}),
                g AS (SELECT d - lag(d) OVER (ORDER BY d) AS gap FROM d)
            SELECT (SELECT count(*) FROM interactions WHERE {where}) AS n_events,
                   (SELECT count(*) FROM interactions WHERE {where} AND direction = 'out') AS n_out,
                   (SELECT count(*) FROM interactions WHERE {where} AND direction = 'in') AS n_in,
                   (SELECT min(ts) FROM interactions WHERE {where}) AS first_ts,
                   (SELECT max(ts) FROM interactions WHERE {where}) AS last_ts,
                   (SELECT median(gap)::DOUBLE FROM g) AS rhythm_days""",
        [owner, ids, as_of] * 6,
    ).to_dicts()[0]


def gives_with(store: Store, owner: int, ids: list[int], as_of: datetime) -> pl.DataFrame:
    """``ts, direction, channel, detail, subject, body`` of the gives either way between
    the owner and ``ids`` before ``as_of``, newest first."""
    return store.frame(
        f"SELECT ts, direction, channel, detail, subject, body FROM interactions "
        f"WHERE {CONTACT_WHERE} AND is_give ORDER BY ts DESC",
        [owner, ids, as_of],
    )


def item_detail(store: Store, item_id: int) -> str | None:
    """The url of an item (its title when it has none); None for an unknown item."""
    found = store.con.execute(
        "SELECT coalesce(url, title) FROM items WHERE item_id = ?", [item_id]
    ).fetchall()
    return found[0][0] if found else None


def add_logged_interaction(
    store: Store,
    uid: str,
    owner: int,
    contact: int,
    when: datetime,
    channel: str,
    is_give: bool,
    note: str,
    detail: str | None,
) -> int:
    """Write an interaction the owner logged by hand (direction out; nothing when ``uid``
    is taken); returns the id it was given. Inside the caller's transaction."""
    new_id = store.next_id("interactions", "interaction_id")
    store.con.execute(
        """INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts,
                       channel, direction, is_give, thread, n_participants, body, detail)
                   VALUES (?, ?, ?, ?, ?, ?, 'out', ?, NULL, 2, ?, ?)
                   ON CONFLICT DO NOTHING""",
        [new_id, uid, owner, contact, when, channel, is_give, note, detail],
    )
    return new_id
