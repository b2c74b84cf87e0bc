"""What the report reads from the store, as of one moment: the owner's events, the
contacts known then, the suggestions shown and the answers given before it.

Point in time: nothing dated at or after ``as_of`` is read (interactions, connections,
suggestions, answers). The sections compute from these frames only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from recommender.errors import HelpnextError, UsageError
from recommender.store.db import Store


@dataclass
class ReportData:
    as_of: datetime
    home: Path
    owner: int
    events: pl.DataFrame  # contact, ts, direction, channel, is_give (ts < as_of)
    people: pl.DataFrame  # contact, name, company, position: contacts known at as_of
    stats: pl.DataFrame  # one row per person: tier, counts, last contact, rhythm, overdue
    suggestions: pl.DataFrame  # suggestion_id, shown (as_of), contact, action, outcome, answered_at
    owner_events: pl.DataFrame  # the same events in the plan's form (recommender.store.events)


def _owner(store: Store) -> int:
    owner = store.owner_id(create=False)
    if owner is None:
        if store.scalar("SELECT count(*) FROM owners"):
            raise HelpnextError(
                "this home holds a multi-owner log (an edge list) and no personal network: "
                "the report shows your own network; import your history first"
            )
        raise HelpnextError(
            "nothing to report yet: this home has no contacts; import your history first, "
            "e.g. `helpnext import linkedin EXPORT.zip`"
        )
    return int(owner)


def first_evidence(store: Store, owner: int) -> datetime | None:
    """The earliest dated thing the store knows of the owner's network."""
    return store.scalar(
        """SELECT min(t) FROM (
               SELECT min(ts) AS t FROM interactions WHERE owner_id = ?
               UNION ALL SELECT min(coalesce(connected_on, first_seen)) FROM contacts
                         WHERE owner_id = ?)""",
        [owner, owner],
    )


def gather(store: Store, home: Path, as_of: datetime) -> ReportData:
    """Everything the sections need, as of ``as_of`` (raises a one-line error when the
    store holds nothing dated before it)."""
    from recommender.store.events import load_events

    owner = _owner(store)
    first = first_evidence(store, owner)
    undated = store.scalar(
        "SELECT count(*) FROM contacts WHERE owner_id = ? AND merged_into IS NULL "
        "AND coalesce(connected_on, first_seen) IS NULL",
        [owner],
    )
    if not undated and (first is None or first >= as_of):
        when = "" if first is None else f"; the first is on {first:%Y-%m-%d}"
        raise UsageError(
            f"nothing in this home is dated before --as-of {as_of:%Y-%m-%d %H:%M}{when}: "
            "choose a later moment"
        )
    owner_events = load_events(store, [owner], before=as_of).collect()
    events = owner_events.select("contact", "ts", "direction", "channel", "is_give")
    people = store.frame(
        """SELECT contact_id AS contact, display_name AS name, company, position
           FROM contacts
           WHERE owner_id = ? AND merged_into IS NULL
             AND (coalesce(connected_on, first_seen) IS NULL
                  OR coalesce(connected_on, first_seen) < ?)""",
        [owner, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64))
    # someone known only through an interaction before as_of (their connection dated later)
    seen = events.select(pl.col("contact").unique())
    missing = seen.join(people, on="contact", how="anti")
    if missing.height:
        extra = store.frame(
            "SELECT contact_id AS contact, display_name AS name, company, position "
            "FROM contacts WHERE list_contains(?, contact_id)",
            [missing["contact"].to_list()],
        ).with_columns(pl.col("contact").cast(pl.Int64))
        people = pl.concat([people, extra])
    suggestions = store.frame(
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
    from recommender.report.ties import contact_table

    stats = contact_table(events, people, as_of)
    return ReportData(as_of, home, owner, events, people, stats, suggestions, owner_events)
