"""Tombstones: a forgotten person stays forgotten when a later import still names them.

``helpnext forget`` erases a person, but a newer LinkedIn export or mailbox may hold them
again. Before erasing, :func:`bury` records each of the person's identity keys (e-mail,
profile, source id, name keys, and their normalised name) as ``sha256(salt, kind, key)``
in the ``forgotten`` table: the salt is random per home (``forget_salt``), and no clear
text of the person is kept.

Every import asks :func:`left_out` which of its people a tombstone names: a row is left
out when one of its exact keys (e-mail, profile, source id) is buried, or when one of its
name keys is and it has no exact key of its own that is not (a namesake with another
profile or address is someone else). The import says how many forgotten people it left
out. :func:`unbury` removes a tombstone when the owner asks (``helpnext unforget``); what
was erased stays erased, but later imports bring the person in again.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

import polars as pl

from recommender.errors import NotFoundError
from recommender.store.duck import utcnow
from recommender.store.identity import STRONG_KINDS, linkedin_slug_expr, norm_email, norm_name

if TYPE_CHECKING:
    from recommender.store.db import Store


def _salt(store: Store, create: bool) -> str | None:
    got = store.scalar("SELECT salt FROM forget_salt LIMIT 1")
    if got is None and create:
        got = secrets.token_hex(16)
        store.con.execute("INSERT INTO forget_salt VALUES (?)", [got])
    return got


def _hash(salt: str, kind: str, key: str) -> str:
    return hashlib.sha256(f"{salt}\x00{kind}\x00{key}".encode()).hexdigest()


def bury(store: Store, contact_ids: list[int], now: datetime | None = None) -> int:
    """Record tombstones of the person ``contact_ids`` names (call inside the forget
    transaction, before their identities are deleted). Returns the tombstone id."""
    salt = _salt(store, create=True)
    tombstone = int(store.scalar("SELECT coalesce(max(tombstone_id), 0) + 1 FROM forgotten"))
    rows = store.con.execute(
        "SELECT DISTINCT kind, key FROM identities WHERE list_contains(?, contact_id)",
        [contact_ids],
    ).fetchall()
    names = store.con.execute(
        "SELECT display_name, first_name || ' ' || last_name FROM contacts "
        "WHERE list_contains(?, contact_id)",
        [contact_ids],
    ).fetchall()
    keys = {(str(kind), str(key)) for kind, key in rows if key}
    for row in names:
        for name in row:
            normed = norm_name(name) if name else None
            if normed:
                keys.add(("name", normed))
    now = now or utcnow()
    for kind, key in sorted(keys):
        store.con.execute(
            "INSERT INTO forgotten VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [tombstone, kind, _hash(salt, kind, key), now],
        )
    return tombstone


def left_out(store: Store, keys: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """Of a batch's identity ``keys`` (``row, kind, key``): the rows a tombstone names
    (column ``row``) and how many forgotten people they are."""
    empty = pl.DataFrame(schema={"row": keys.schema["row"]})
    if not keys.height or not store.scalar("SELECT count(*) FROM forgotten"):
        return empty, 0
    salt = _salt(store, create=False)
    buried = store.frame("SELECT kind, key_hash, tombstone_id FROM forgotten")
    hashed = keys.select("row", "kind", "key").with_columns(
        pl.Series(
            "key_hash",
            [_hash(salt, k, v) for k, v in zip(keys["kind"], keys["key"], strict=True)],
            dtype=pl.String,
        )
    )
    hits = hashed.join(buried, on=["kind", "key_hash"], how="left")
    strong = pl.col("kind").is_in(STRONG_KINDS)
    per_row = hits.group_by("row").agg(
        (strong & pl.col("tombstone_id").is_not_null()).any().alias("strong_hit"),
        (strong & pl.col("tombstone_id").is_null()).any().alias("own_strong"),
        (~strong & pl.col("tombstone_id").is_not_null()).any().alias("name_hit"),
        pl.col("tombstone_id").drop_nulls().unique().alias("tombstones"),
    )
    out = per_row.filter(pl.col("strong_hit") | (pl.col("name_hit") & ~pl.col("own_strong")))
    people = out["tombstones"].explode().drop_nulls().n_unique() if out.height else 0
    return out.select("row"), int(people)


def list_tombstones(store: Store) -> list[dict]:
    """One entry per tombstone: id, when, how many keys (no clear text exists to show)."""
    rows = store.con.execute(
        "SELECT tombstone_id, min(forgotten_at), count(*) FROM forgotten "
        "GROUP BY tombstone_id ORDER BY tombstone_id"
    ).fetchall()
    return [{"tombstone_id": int(t), "forgotten_at": w, "keys": int(n)} for t, w, n in rows]


def _candidate_hashes(salt: str, who: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    email = norm_email(who)
    if email:
        found.append(("email", _hash(salt, "email", email)))
    slug = pl.select(linkedin_slug_expr(pl.lit(who, dtype=pl.String))).item()
    if slug:
        found.append(("linkedin", _hash(salt, "linkedin", slug)))
    name = norm_name(who)
    if name:
        found.append(("name", _hash(salt, "name", name)))
    return found


def unbury(store: Store, who: str) -> dict:
    """Remove the tombstone ``who`` names: its number (``helpnext unforget --list``), or
    the forgotten person's e-mail, profile URL or name. Returns the removed tombstone."""
    salt = _salt(store, create=False)
    ids: set[int] = set()
    if who.strip().isdigit():
        got = store.scalar(
            "SELECT tombstone_id FROM forgotten WHERE tombstone_id = ? LIMIT 1", [int(who)]
        )
        if got is not None:
            ids.add(int(got))
    if not ids and salt is not None:
        for kind, digest in _candidate_hashes(salt, who):
            for (tid,) in store.con.execute(
                "SELECT DISTINCT tombstone_id FROM forgotten WHERE kind = ? AND key_hash = ?",
                [kind, digest],
            ).fetchall():
                ids.add(int(tid))
    if not ids:
        raise NotFoundError(f"no forgotten person matches {who!r} (see `helpnext unforget --list`)")
    if len(ids) > 1:
        raise NotFoundError(
            f"{who!r} names {len(ids)} forgotten people (tombstones "
            f"{', '.join(map(str, sorted(ids)))}); give the number"
        )
    (tid,) = ids
    entry = next(t for t in list_tombstones(store) if t["tombstone_id"] == tid)
    store.con.execute("DELETE FROM forgotten WHERE tombstone_id = ?", [tid])
    return entry
