"""The suggestions table as the plan uses it: the suggestions shown before a day (for the
cool-down and what was given), writing a plan's picks (one id per pick and day), their
status, the open ones of a contact, and the items a stored plan shows; and as the report
and the preference model read it: each shown suggestion with its first answer."""

from __future__ import annotations

from datetime import datetime

import polars as pl

from recommender.store.db import Store


def suggestions_before(store: Store, owner: int, before: datetime) -> pl.DataFrame:
    """``suggestion_id, as_of, contact, action, item_id, partner, status, status_at,
    snoozed_until`` of the suggestions shown to ``owner`` before ``before``."""
    return store.frame(
        "SELECT suggestion_id, as_of, contact_id AS contact, action, item_id, "
        "partner_contact_id AS partner, status, status_at, snoozed_until "
        "FROM suggestions WHERE owner_id = ? AND as_of < ?",
        [owner, before],
    ).with_columns(
        pl.col("contact").cast(pl.Int64),
        pl.col("item_id").cast(pl.Int64),
        pl.col("partner").cast(pl.Int64),
    )


def same_pick_id(
    store: Store,
    owner: int,
    pick: dict,
    day_start: datetime,
    day_end: datetime,
) -> int | None:
    """The id of the first suggestion in [day_start, day_end) of the same ``pick``
    (``contact, action, item_id, partner``), or None."""
    return store.scalar(
        """SELECT suggestion_id FROM suggestions
                   WHERE owner_id = ? AND contact_id = ? AND action = ?
                     AND item_id IS NOT DISTINCT FROM ? AND partner_contact_id IS NOT DISTINCT FROM ?
                     AND as_of >= ? AND as_of < ?
                   ORDER BY suggestion_id LIMIT 1""",
        [
            owner,
            pick["contact"],
            pick["action"],
            pick["item_id"],
            pick["partner"],
            day_start,
            day_end,
        ],
    )


def add_suggestion(
    store: Store,
    as_of: datetime,
    owner: int,
    pick: dict,
    model_version: str,
    created_at: datetime,
) -> int:
    """Write ``pick`` (``contact, action, item_id, partner, score, reason`` and optionally
    ``propensity``, ``features``) as an open suggestion; returns its new id. Inside the
    caller's transaction."""
    new_id = store.next_id("suggestions", "suggestion_id")
    store.con.execute(
        """INSERT INTO suggestions (suggestion_id, as_of, owner_id, contact_id, action,
                       item_id, partner_contact_id, score, reason, model_version, propensity,
                       created_at, status, features)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)""",
        [
            new_id,
            as_of,
            owner,
            pick["contact"],
            pick["action"],
            pick["item_id"],
            pick["partner"],
            pick["score"],
            pick["reason"],
            model_version,
            pick.get("propensity", 1.0),
            created_at,
            pick.get("features"),
        ],
    )
    return new_id


def statuses(store: Store, ids: list[int]) -> pl.DataFrame:
    """``suggestion_id, status`` of the suggestions ``ids``."""
    return store.frame(
        "SELECT suggestion_id, status FROM suggestions WHERE list_contains(?, suggestion_id)",
        [ids],
    ).with_columns(pl.col("suggestion_id").cast(pl.Int64))


def items_shown(store: Store, item_ids: list[int]) -> pl.DataFrame:
    """``item_id, item_title, item_url`` of the items ``item_ids``."""
    return store.frame(
        "SELECT item_id, title AS item_title, url AS item_url FROM items "
        "WHERE list_contains(?, item_id)",
        [item_ids],
    ).with_columns(pl.col("item_id").cast(pl.Int64))


def open_suggestions_with(store: Store, ids: list[int]) -> list[dict]:
    """``id, as_of, action, status, score, reason, item, partner`` of the open or snoozed
    suggestions for ``ids`` (as the contact or the partner), newest first."""
    return store.frame(
        """SELECT s.suggestion_id AS id, s.as_of, s.action, s.status, s.score, s.reason,
                  it.title AS item, p.display_name AS partner
           FROM suggestions s LEFT JOIN items it USING (item_id)
           LEFT JOIN contacts p ON p.contact_id = s.partner_contact_id
           WHERE (list_contains(?, s.contact_id) OR list_contains(?, s.partner_contact_id))
             AND s.status IN ('open', 'snoozed')
           ORDER BY s.as_of DESC""",
        [ids, ids],
    ).to_dicts()


def latest_open(store: Store, owner: int, contact: int, action: str) -> tuple | None:
    """``(suggestion_id, item_id, partner)`` of the latest open suggestion of ``action``
    for ``contact``, or None."""
    rows = store.con.execute(
        """SELECT suggestion_id, item_id, partner_contact_id FROM suggestions
               WHERE owner_id = ? AND contact_id = ? AND action = ? AND status = 'open'
               ORDER BY as_of DESC LIMIT 1""",
        [owner, contact, action],
    ).fetchall()
    return rows[0] if rows else None


def mark_done(store: Store, suggestion_id: int, at: datetime) -> None:
    """Set suggestion ``suggestion_id`` done at ``at``."""
    store.con.execute(
        "UPDATE suggestions SET status = 'done', status_at = ? WHERE suggestion_id = ?",
        [at, suggestion_id],
    )


def answered_features(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``suggestion_id, shown_at, propensity, features, outcome`` of the suggestions shown
    before ``as_of`` with their features; ``outcome`` is the first answer before ``as_of``,
    else a status set before it (null if neither), oldest first."""
    return store.frame(
        """WITH f AS (SELECT suggestion_id, arg_min(outcome, answered_at) AS outcome
                      FROM suggestion_feedback WHERE answered_at < ? GROUP BY suggestion_id)
           SELECT s.suggestion_id, s.as_of AS shown_at, s.propensity, s.features,
                  coalesce(f.outcome,
                           CASE WHEN s.status <> 'open' AND s.status_at < ? THEN s.status END)
                      AS outcome
           FROM suggestions s LEFT JOIN f USING (suggestion_id)
           WHERE s.owner_id = ? AND s.features IS NOT NULL AND s.as_of < ?
           ORDER BY s.as_of, s.suggestion_id""",
        [as_of, as_of, owner, as_of],
    )


def shown_with_first_answer(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """``suggestion_id, shown, contact, action, reason, outcome, answered_at`` of the
    suggestions shown at or before ``as_of``, each with its first answer before ``as_of``
    (``outcome`` 'unanswered' without one), oldest first."""
    return store.frame(
        """WITH a AS (
               SELECT suggestion_id, outcome, answered_at,
                      row_number() OVER (PARTITION BY suggestion_id ORDER BY answered_at,
                                         feedback_id) AS k
               FROM suggestion_feedback WHERE owner_id = ? AND answered_at < ?)
           SELECT s.suggestion_id, s.as_of AS shown, s.contact_id AS contact, s.action,
                  s.reason, coalesce(a.outcome, 'unanswered') AS outcome, a.answered_at
           FROM suggestions s LEFT JOIN a ON a.suggestion_id = s.suggestion_id AND a.k = 1
           WHERE s.owner_id = ? AND s.as_of <= ?  -- a plan made at as_of saw only what came before
           ORDER BY s.as_of, s.suggestion_id""",
        [owner, as_of, owner, as_of],
    )
