"""What every importer produces: an :class:`ImportBatch` of people and interactions.

Importers never touch the store; ``recommender.store.importer.apply_batch`` resolves the people
to contacts and writes everything in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from pipelines.dates import EARLIEST, EARLIEST_DAY, outside, span_text

# One row per person as the source names them. ``ref`` is unique per (owner_key, ref) in a
# batch and links interactions to people. ``emails`` holds every address of the person.
PEOPLE_SCHEMA: dict[str, pl.DataType] = {
    "owner_key": pl.String,
    "ref": pl.String,
    "display_name": pl.String,
    "first_name": pl.String,
    "last_name": pl.String,
    "company": pl.String,
    "position": pl.String,
    "emails": pl.List(pl.String),
    "linkedin_url": pl.String,
    "phone": pl.String,
    "location": pl.String,
    "birthday": pl.Date,
    "notes": pl.String,
    "connected_on": pl.Datetime("us"),
    "id_key": pl.String,  # a source-specific identity (edge-list node, CSV contact_id)
    "tags": pl.List(pl.String),
    # rows of a batch with the same value here are different people (one row per person
    # in that list, e.g. a LinkedIn Connections.csv): a shared name never joins them
    "distinct_group": pl.String,
}

# One row per (owner, person, event). ``uid_key`` is the source's natural key for the
# event: the store dedupes on its md5, so re-importing a file (or an overlapping newer
# export) adds nothing twice.
INTERACTION_SCHEMA: dict[str, pl.DataType] = {
    "owner_key": pl.String,
    "ref": pl.String,
    "uid_key": pl.String,
    "ts": pl.Datetime("us"),
    "channel": pl.String,
    "direction": pl.String,
    "is_give": pl.Boolean,
    "thread": pl.String,
    "n_participants": pl.Int32,
    "subject": pl.String,
    "body": pl.String,
    "detail": pl.String,
}

CHANNELS = (
    "message",
    "email",
    "meeting",
    "call",
    "invitation",
    "endorsement",
    "recommendation",
    "introduction",
    "note",
    "share",
)
GIVE_CHANNELS = ("endorsement", "recommendation", "introduction", "share")


def conform(frame: pl.DataFrame | None, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """Add missing columns as nulls, cast, and order columns as ``schema`` says."""
    if frame is None or frame.width == 0:
        return pl.DataFrame(schema=schema)
    exprs = []
    for name, dtype in schema.items():
        if name in frame.columns:
            exprs.append(pl.col(name).cast(dtype))
        else:
            exprs.append(pl.lit(None, dtype=dtype).alias(name))
    return frame.select(exprs)


@dataclass
class ImportBatch:
    source_kind: str  # linkedin | csv | edges | mbox | ics | vcard | google_contacts
    label: str  # what was imported (file or folder name), for provenance
    sha256: str  # of the input bytes: the same input twice is recognised
    people: pl.DataFrame
    interactions: pl.DataFrame
    # the owner(s): personal sources have one owner 'me'; edge lists have many
    owner_name: str | None = None
    owner_aliases: list[tuple[str, str]] = field(default_factory=list)
    owner_positions: pl.DataFrame | None = None
    multi_owner: bool = False
    # when the source was produced: role changes found in it are dated here
    as_of: datetime | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    # one-line remarks for the user (what was read how, what was left out and why)
    notes: list[str] = field(default_factory=list)
    # a valid input with nothing to import: the store is left untouched, not even provenance
    empty: bool = False

    def __post_init__(self) -> None:
        self.people = conform(self.people, PEOPLE_SCHEMA)
        self.interactions = conform(self.interactions, INTERACTION_SCHEMA)
        self._dates_in_range()

    def _dates_in_range(self) -> None:
        """The last check of every importer's dates (issue 18): an interaction dated
        outside 1970 to a year past now is left out, a contact's date outside its range
        is left empty; both are counted and said, so the store never holds a value a later
        command cannot read."""
        bad = self.interactions.select(outside("ts").sum()).item()
        if bad:
            self.interactions = self.interactions.filter(~outside("ts"))
            self.rows_skipped += bad
            self.details["dates_out_of_range"] = bad
            self.notes.append(
                f"{bad:,} interaction{'s' if bad > 1 else ''} dated outside {span_text()} left out"
            )
        emptied = {}
        for column, first in (("connected_on", EARLIEST), ("birthday", EARLIEST_DAY)):
            n = self.people.select(outside(column, first).sum()).item()
            if n:
                emptied[column] = n
                self.people = self.people.with_columns(
                    pl.when(outside(column, first))
                    .then(None)
                    .otherwise(pl.col(column))
                    .alias(column)
                )
                self.notes.append(
                    f"{n:,} {column.replace('_', ' ')} date{'s' if n > 1 else ''} outside "
                    f"{span_text(first)} left empty"
                )
        if emptied:
            self.details["dates_left_empty"] = emptied
