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
from recommender.store.history import first_evidence
from recommender.store.profiles import has_owners, known_at, people_of, undated_contacts
from recommender.store.suggestions import shown_with_first_answer


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
        if has_owners(store):
            raise HelpnextError(
                "this home holds a multi-owner log (an edge list) and no personal network: "
                "the report shows your own network; import your history first"
            )
        raise HelpnextError(
            "nothing to report yet: this home has no contacts; import your history first, "
            "e.g. `helpnext import linkedin EXPORT.zip`"
        )
    return int(owner)


def gather(store: Store, home: Path, as_of: datetime) -> ReportData:
    """Everything the sections need, as of ``as_of`` (raises a one-line error when the
    store holds nothing dated before it)."""
    from recommender.store.events import load_events

    owner = _owner(store)
    first = first_evidence(store, owner)
    undated = undated_contacts(store, owner)
    if not undated and (first is None or first >= as_of):
        when = "" if first is None else f"; the first is on {first:%Y-%m-%d}"
        raise UsageError(
            f"nothing in this home is dated before --as-of {as_of:%Y-%m-%d %H:%M}{when}: "
            "choose a later moment"
        )
    owner_events = load_events(store, [owner], before=as_of).collect()
    events = owner_events.select("contact", "ts", "direction", "channel", "is_give")
    people = known_at(store, owner, as_of)
    # someone known only through an interaction before as_of (their connection dated later)
    seen = events.select(pl.col("contact").unique())
    missing = seen.join(people, on="contact", how="anti")
    if missing.height:
        people = pl.concat([people, people_of(store, missing["contact"].to_list())])
    suggestions = shown_with_first_answer(store, owner, as_of)
    from recommender.report.ties import contact_table

    stats = contact_table(events, people, as_of)
    return ReportData(as_of, home, owner, events, people, stats, suggestions, owner_events)
