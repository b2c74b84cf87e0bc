"""The owner's own words about contacts: tags and free-text notes (interests, needs).

Tags are short labels (``hiring``, ``looking-for-work``, ``mentor``); vCard categories and
Google labels arrive as tags too. Notes are free text of a kind: ``interest`` (what they
care about), ``need`` (what they are looking for), or ``note``. Actions that match
articles, job postings or introductions to people read both through
:func:`contact_profile_text`. Tags and notes of merged contacts count for the contact they
were merged into.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from recommender.errors import NotFoundError, UsageError
from recommender.store.db import Store, utcnow

NOTE_KINDS = ("interest", "need", "note")
MAX_TAG_LENGTH = 60


def normalise_tag(tag: str) -> str:
    text = " ".join(tag.strip().lower().split())
    if not text:
        raise UsageError("a tag cannot be empty")
    if len(text) > MAX_TAG_LENGTH:
        raise UsageError(f"tag {tag[:20]!r}... is longer than {MAX_TAG_LENGTH} characters")
    return text


def _owner_of(store: Store, contact_id: int) -> int:
    owner = store.scalar("SELECT owner_id FROM contacts WHERE contact_id = ?", [contact_id])
    if owner is None:
        raise NotFoundError(f"no contact {contact_id}")
    return int(owner)


def _members(store: Store, contact_id: int) -> list[int]:
    """The contact and every contact merged into it."""
    rows = store.con.execute(
        "SELECT contact_id FROM contacts WHERE contact_id = ? OR merged_into = ?",
        [contact_id, contact_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def add_tags(store: Store, contact_id: int, tags: list[str], source: str = "user") -> list[str]:
    """Add ``tags`` to a contact; returns the ones that were new."""
    wanted = list(dict.fromkeys(normalise_tag(t) for t in tags))
    if not wanted:
        raise UsageError("give at least one tag")
    with store.transaction():
        owner = _owner_of(store, contact_id)
        have = set(contact_tags(store, contact_id))
        new = [t for t in wanted if t not in have]
        now = utcnow()
        for tag in new:
            _insert_tag(store, owner, contact_id, tag, source, now)
    return new


def _insert_tag(
    store: Store, owner: int, contact_id: int, tag: str, source: str, at: datetime
) -> None:
    store.con.execute(
        "INSERT INTO tags VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [owner, contact_id, tag, source, at],
    )


def _insert_note(
    store: Store, owner: int, contact_id: int, kind: str, text: str, at: datetime
) -> int:
    note_id = store.next_id("notes", "note_id")
    store.con.execute(
        "INSERT INTO notes VALUES (?, ?, ?, ?, ?, ?)", [note_id, owner, contact_id, kind, text, at]
    )
    return note_id


def add_dated(
    store: Store,
    owner: int,
    tags: list[tuple[int, str]],
    notes: list[tuple[int, str, str]],
    source: str,
    at: datetime,
) -> None:
    """Write ``(contact, tag)`` tags and ``(contact, kind, text)`` notes dated ``at``, in one
    transaction; a tag or a note (same contact and text) already there is not written again."""
    with store.transaction():
        for contact, tag in tags:
            _insert_tag(store, owner, contact, tag, source, at)
        for contact, kind, text in notes:
            exists = store.scalar(
                "SELECT count(*) FROM notes WHERE contact_id = ? AND text = ?", [contact, text]
            )
            if not exists:
                _insert_note(store, owner, contact, kind, text, at)


def remove_tags(store: Store, contact_id: int, tags: list[str]) -> list[str]:
    """Remove ``tags`` from a contact (and from contacts merged into it); returns the ones
    that were there."""
    wanted = list(dict.fromkeys(normalise_tag(t) for t in tags))
    with store.transaction():
        _owner_of(store, contact_id)
        members = _members(store, contact_id)
        have = set(contact_tags(store, contact_id))
        gone = [t for t in wanted if t in have]
        if gone:
            store.con.execute(
                "DELETE FROM tags WHERE list_contains(?, contact_id) AND list_contains(?, tag)",
                [members, gone],
            )
    return gone


def contact_tags(store: Store, contact_id: int) -> list[str]:
    rows = store.con.execute(
        "SELECT DISTINCT t.tag FROM tags t JOIN contacts c USING (contact_id) "
        "WHERE coalesce(c.merged_into, c.contact_id) = ? ORDER BY t.tag",
        [contact_id],
    ).fetchall()
    return [r[0] for r in rows]


def add_note(store: Store, contact_id: int, text: str, kind: str = "note") -> int:
    """Record a note about a contact; returns its id."""
    kind = kind.strip().lower()
    if kind not in NOTE_KINDS:
        raise UsageError(f"--kind {kind!r} is not one of {', '.join(NOTE_KINDS)}")
    text = text.strip()
    if not text:
        raise UsageError("the note is empty")
    with store.transaction():
        owner = _owner_of(store, contact_id)
        note_id = _insert_note(store, owner, contact_id, kind, text, utcnow())
    return note_id


def contact_profile_text(store: Store, contact_ids: list[int] | None = None) -> pl.DataFrame:
    """What the owner (and the address books) say a contact is about, one row per contact
    shown (merged contacts folded in): ``contact_id, tags, interests, needs, notes, text``.

    ``text`` joins tags, interests, needs, the owner's notes and the contact's imported
    note, position and company: the document to match articles, postings and introduction
    partners against. Only contacts with at least one of those appear.
    """
    where = ""
    params: list = []
    if contact_ids is not None:
        where = "WHERE list_contains(?, root)"
        params = [list(contact_ids)]
    frame = store.frame(
        f"""
        WITH members AS (
            SELECT contact_id, coalesce(merged_into, contact_id) AS root FROM contacts
        ),
        t AS (
            SELECT m.root, list(DISTINCT t.tag ORDER BY t.tag) AS tags
            FROM tags t JOIN members m USING (contact_id) GROUP BY m.root
        ),
        n AS (
            SELECT m.root,
                   list(n.text ORDER BY n.note_id) FILTER (WHERE n.kind = 'interest') AS interests,
                   list(n.text ORDER BY n.note_id) FILTER (WHERE n.kind = 'need') AS needs,
                   list(n.text ORDER BY n.note_id) FILTER (WHERE n.kind = 'note') AS notes
            FROM notes n JOIN members m USING (contact_id) GROUP BY m.root
        ),
        c AS (
            SELECT m.root,
                   string_agg(DISTINCT c.notes, ' ') AS imported_notes,
                   string_agg(DISTINCT c.position, ' ') AS positions,
                   string_agg(DISTINCT c.company, ' ') AS companies
            FROM contacts c JOIN members m USING (contact_id) GROUP BY m.root
        )
        SELECT root AS contact_id,
               coalesce(t.tags, []) AS tags,
               coalesce(n.interests, []) AS interests,
               coalesce(n.needs, []) AS needs,
               coalesce(n.notes, []) AS notes,
               c.imported_notes, c.positions, c.companies
        FROM c LEFT JOIN t USING (root) LEFT JOIN n USING (root)
        {where}
        ORDER BY contact_id
        """,
        params,
    )
    if frame.height == 0:
        return pl.DataFrame(
            schema={
                "contact_id": pl.Int64,
                "tags": pl.List(pl.String),
                "interests": pl.List(pl.String),
                "needs": pl.List(pl.String),
                "notes": pl.List(pl.String),
                "text": pl.String,
            }
        )
    parts = [
        pl.col("tags").list.join(" "),
        pl.col("interests").list.join(" "),
        pl.col("needs").list.join(" "),
        pl.col("notes").list.join(" "),
        pl.col("imported_notes"),
        pl.col("positions"),
        pl.col("companies"),
    ]
    frame = frame.with_columns(
        pl.concat_str(parts, separator=" ", ignore_nulls=True).str.strip_chars().alias("text")
    ).filter(pl.col("text") != "")
    return frame.select("contact_id", "tags", "interests", "needs", "notes", "text")
