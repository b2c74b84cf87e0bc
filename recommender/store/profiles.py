"""What the plan, the acts and the report read of the contacts themselves: names,
companies, positions, connection dates, tags and notes (dated before ``as_of``), one
contact's card, the text profile of each contact the acts match items and partners on, the
contacts known at a moment, and the companies the owner worked at."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from recommender.store.db import Store


def has_owners(store: Store) -> bool:
    """True when the home holds any owner (a personal network or a multi-owner log)."""
    return bool(store.scalar("SELECT count(*) FROM owners"))


def has_contacts(store: Store, owner: int) -> bool:
    """True when ``owner`` has at least one contact."""
    return bool(store.scalar("SELECT count(*) FROM contacts WHERE owner_id = ?", [owner]))


def owner_of(store: Store, contact: int) -> int | None:
    """The owner of ``contact`` (None for an unknown contact)."""
    return store.scalar("SELECT owner_id FROM contacts WHERE contact_id = ?", [contact])


def contact_rows(store: Store, contact: int) -> list[dict]:
    """``contact, name, company, position, connected_on`` of one contact (none if unknown)."""
    return store.frame(
        "SELECT contact_id AS contact, display_name AS name, company, position, "
        "connected_on FROM contacts WHERE contact_id = ?",
        [contact],
    ).to_dicts()


def people(store: Store, owner: int) -> pl.DataFrame:
    """``contact, name, company, position, connected_on`` of every contact of ``owner``."""
    return store.frame(
        "SELECT contact_id AS contact, display_name AS name, company, position, connected_on "
        "FROM contacts WHERE owner_id = ?",
        [owner],
    ).with_columns(pl.col("contact").cast(pl.Int64))


def people_of(store: Store, contacts: list[int]) -> pl.DataFrame:
    """``contact, name, company, position`` of ``contacts``."""
    return store.frame(
        "SELECT contact_id AS contact, display_name AS name, company, position "
        "FROM contacts WHERE list_contains(?, contact_id)",
        [contacts],
    ).with_columns(pl.col("contact").cast(pl.Int64))


def names_and_companies(store: Store, contacts: list[int]) -> pl.DataFrame:
    """``contact, name, company`` of ``contacts``."""
    return people_of(store, contacts).drop("position")


def positions(store: Store, owner: int) -> pl.DataFrame:
    """``contact, text, src`` (src 'position'): the position title of each kept contact."""
    return store.frame(
        "SELECT contact_id AS contact, position AS text, 'position' AS src FROM contacts "
        "WHERE owner_id = ? AND merged_into IS NULL AND position IS NOT NULL",
        [owner],
    ).with_columns(pl.col("contact").cast(pl.Int64))


def connected_before(store: Store, owner: int, as_of: datetime, pool: list[int]) -> pl.DataFrame:
    """``contact, name, connected_on`` of the kept contacts in ``pool`` connected before
    ``as_of``."""
    return store.frame(
        "SELECT contact_id AS contact, display_name AS name, connected_on FROM contacts "
        "WHERE owner_id = ? AND merged_into IS NULL AND connected_on IS NOT NULL "
        "AND connected_on < ? AND list_contains(?, contact_id)",
        [owner, as_of, pool],
    )


def tags_before(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, tag`` of the kept contacts, for tags created before ``as_of``."""
    return store.frame(
        "SELECT t.contact_id AS contact, t.tag FROM tags t JOIN contacts c "
        "USING (contact_id) WHERE c.owner_id = ? AND t.created_at < ? "
        "AND c.merged_into IS NULL ORDER BY contact, tag",
        [owner, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64))


def notes_before(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, kind, text`` of the kept contacts, for notes written before ``as_of``."""
    return store.frame(
        "SELECT n.contact_id AS contact, n.kind, n.text FROM notes n JOIN contacts c "
        "USING (contact_id) WHERE n.owner_id = ? AND n.created_at < ? "
        "AND c.merged_into IS NULL ORDER BY n.note_id",
        [owner, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64))


PROFILE_DOCS_SQL = """WITH pool AS (SELECT unnest(?::BIGINT[]) AS contact),
               msgs AS (
                   SELECT coalesce(c.merged_into, i.contact_id) AS contact,
                          concat_ws(' ', i.subject, i.body, i.detail) AS txt,
                          row_number() OVER (PARTITION BY coalesce(c.merged_into, i.contact_id)
                                             ORDER BY i.ts DESC) AS k
                   FROM interactions i JOIN contacts c USING (contact_id)
                   WHERE i.owner_id = ? AND i.ts < ?
                     AND coalesce(c.merged_into, i.contact_id) IN (SELECT contact FROM pool)
                     AND (i.subject IS NOT NULL OR i.body IS NOT NULL OR i.detail IS NOT NULL)),
               m AS (SELECT contact, string_agg(txt, ' ') AS txt FROM msgs WHERE k <= 30
                     GROUP BY contact),
               t AS (SELECT contact_id AS contact, string_agg(tag, ' ; ') AS txt FROM tags
                     WHERE created_at < ? GROUP BY contact_id),
               n AS (SELECT contact_id AS contact, string_agg(text, ' ; ') AS txt FROM notes
                     WHERE owner_id = ? AND created_at < ? GROUP BY contact_id)
               SELECT p.contact,
                      concat_ws(' ', c.position, c.position, c.company, c.industry, c.notes,
                                t.txt, t.txt, n.txt, n.txt, m.txt) AS doc
               FROM pool p JOIN contacts c ON c.contact_id = p.contact
               LEFT JOIN t ON t.contact = p.contact
               LEFT JOIN n ON n.contact = p.contact
               LEFT JOIN m ON m.contact = p.contact
               ORDER BY p.contact"""


def profile_docs(store: Store, owner: int, as_of: datetime, contacts: list[int]) -> pl.DataFrame:
    """``contact, doc``: each of ``contacts`` as one text (position and company, tags and
    notes, subjects and bodies of the last 30 messages before ``as_of``)."""
    return store.frame(
        PROFILE_DOCS_SQL, [contacts, owner, as_of, as_of, owner, as_of]
    ).with_columns(pl.col("contact").cast(pl.Int64), pl.col("doc").fill_null(""))


def card_info(store: Store, contact: int) -> dict:
    """Who ``contact`` is, as ``helpnext show`` heads its card."""
    return store.frame(
        "SELECT contact_id, owner_id, display_name AS name, company, position, email, "
        "linkedin_url, connected_on FROM contacts WHERE contact_id = ?",
        [contact],
    ).to_dicts()[0]


def merged_into(store: Store, contact: int) -> list[int]:
    """The contacts merged into ``contact``."""
    return store.frame("SELECT contact_id FROM contacts WHERE merged_into = ?", [contact])[
        "contact_id"
    ].to_list()


def tags_of(store: Store, ids: list[int], as_of: datetime) -> list[str]:
    """The tags of ``ids`` created before ``as_of``, alphabetical."""
    return store.frame(
        "SELECT tag FROM tags WHERE list_contains(?, contact_id) AND created_at < ? ORDER BY tag",
        [ids, as_of],
    )["tag"].to_list()


def notes_of(store: Store, ids: list[int], as_of: datetime) -> list[dict]:
    """``kind, text, created_at`` of the notes on ``ids`` written before ``as_of``, oldest
    first."""
    return store.frame(
        "SELECT kind, text, created_at FROM notes WHERE list_contains(?, contact_id) "
        "AND created_at < ? ORDER BY created_at",
        [ids, as_of],
    ).to_dicts()


def owner_companies(store: Store, owner: int) -> list[str]:
    """The companies ``owner`` worked at (lower-cased, trimmed, alphabetical)."""
    rows = store.con.execute(
        "SELECT DISTINCT lower(trim(company)) FROM owner_positions "
        "WHERE owner_id = ? AND company IS NOT NULL",
        [owner],
    ).fetchall()
    return sorted(r[0] for r in rows if r[0])


def undated_contacts(store: Store, owner: int) -> int:
    """How many kept contacts of ``owner`` have neither a connection nor a first-seen date."""
    return store.scalar(
        "SELECT count(*) FROM contacts WHERE owner_id = ? AND merged_into IS NULL "
        "AND coalesce(connected_on, first_seen) IS NULL",
        [owner],
    )


def known_at(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``contact, name, company, position`` of the kept contacts of ``owner`` connected
    (or first seen) before ``as_of``, or undated."""
    return store.frame(
        """SELECT contact_id AS contact, display_name AS name, company, position
           FROM contacts
           WHERE owner_id = ? AND merged_into IS NULL
             AND (coalesce(connected_on, first_seen) IS NULL
                  OR coalesce(connected_on, first_seen) < ?)""",
        [owner, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64))
