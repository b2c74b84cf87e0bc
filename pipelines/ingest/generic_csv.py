"""Generic CSV: ``contacts.csv`` and ``interactions.csv`` for data that lives elsewhere.

contacts.csv
    ``contact_id`` (required, your own id), ``name`` or ``first_name`` + ``last_name``
    (required), optional ``email`` (several separated by ``;``), ``company``, ``position``,
    ``linkedin_url``, ``phone``, ``location``, ``tags`` (``;``-separated), ``notes``,
    ``connected_on`` (a date).
interactions.csv
    ``contact_id``, ``date``, ``direction`` (``out`` = you to them, ``in`` = them to you;
    ``sent``/``received`` and ``outgoing``/``incoming`` also work) are required; optional
    ``channel`` (default ``message``; one of the channels in ``batch.CHANNELS``),
    ``subject``, ``text``, ``thread``, ``participants`` (people in the conversation,
    you included). Endorsements, recommendations, introductions and shares count as gives.

A ``contact_id`` of interactions.csv that contacts.csv does not list becomes a contact
named by that id (or the contact an earlier CSV import created with it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from pipelines.errors import InputError, UsageError, excerpt
from pipelines.ingest.batch import CHANNELS, GIVE_CHANNELS, ImportBatch
from pipelines.ingest.text import parse_dates, read_table, read_text, sha256_bytes

CONTACT_COLUMNS = ["contact_id"]
CONTACT_OPTIONAL = [
    "name",
    "first_name",
    "last_name",
    "email",
    "company",
    "position",
    "linkedin_url",
    "phone",
    "location",
    "tags",
    "notes",
    "connected_on",
]
INTERACTION_COLUMNS = ["contact_id", "date", "direction"]
INTERACTION_OPTIONAL = ["channel", "subject", "text", "thread", "participants"]
DIRECTIONS = {
    "out": "out",
    "sent": "out",
    "outgoing": "out",
    "outbound": "out",
    "in": "in",
    "received": "in",
    "incoming": "in",
    "inbound": "in",
}


def _skip_where(table, bad: pl.Expr, why) -> None:
    """Leave out the rows of ``table`` where ``bad`` holds, as unreadable; ``why(frame,
    row)`` says why, for the first of them."""
    rows = table.frame.select(bad.fill_null(False).alias("bad"))["bad"].arg_true()
    if len(rows):
        table.skip_rows(rows.to_list(), why(table.frame, int(rows[0])))


def _read_contacts(path: Path, notes: list[str]) -> tuple[pl.DataFrame, bytes, int]:
    text, raw = read_text(path, report=notes)
    table = read_table(
        text,
        path,
        CONTACT_COLUMNS,
        CONTACT_OPTIONAL,
        aliases={"name": ["full name", "display_name"], "email": ["emails", "e-mail"]},
        what="contacts.csv",
    )
    named = (
        pl.col("name").is_not_null()
        | pl.col("first_name").is_not_null()
        | pl.col("last_name").is_not_null()
    )
    _skip_where(
        table, ~named, lambda f, r: "a contact needs a name (name, or first_name/last_name)"
    )
    _skip_where(table, pl.col("contact_id").is_null(), lambda f, r: "contact_id is empty")
    # a contact_id seen before: the later row is left out
    _skip_where(
        table,
        pl.int_range(pl.len()).over("contact_id") > 0,
        lambda f, r: f"contact_id {excerpt(f['contact_id'][r])} appears twice",
    )
    frame = parse_dates(table, ["connected_on"])
    notes.extend(table.notes)
    people = frame.select(
        pl.col("contact_id").alias("ref"),
        pl.col("contact_id").alias("id_key"),
        pl.col("name").alias("display_name"),
        "first_name",
        "last_name",
        "company",
        "position",
        pl.col("email").str.split(";").list.eval(pl.element().str.strip_chars()).alias("emails"),
        "linkedin_url",
        "phone",
        "location",
        "notes",
        "connected_on",
        pl.col("tags").str.split(";").list.eval(pl.element().str.strip_chars()).alias("tags"),
    )
    return people, raw, table.dropped_empty


def _read_interactions(path: Path, notes: list[str]) -> tuple[pl.DataFrame, bytes, int]:
    text, raw = read_text(path, report=notes)
    table = read_table(
        text,
        path,
        INTERACTION_COLUMNS,
        INTERACTION_OPTIONAL,
        aliases={"date": ["ts", "timestamp", "when"], "text": ["body", "content"]},
        what="interactions.csv",
    )
    for column in ("contact_id", "direction"):
        _skip_where(table, pl.col(column).is_null(), lambda f, r, c=column: f"{c} is empty")
    direction = (
        pl.col("direction")
        .str.to_lowercase()
        .replace_strict(DIRECTIONS, default=None, return_dtype=pl.String)
    )
    _skip_where(
        table,
        direction.is_null(),
        lambda f, r: f"direction {excerpt(f['direction'][r])} is not 'out' (you to them) or 'in'",
    )
    channel = pl.col("channel").str.to_lowercase().fill_null("message")
    _skip_where(
        table,
        ~channel.is_in(list(CHANNELS)),
        lambda f, r: f"channel {excerpt(f['channel'][r])} is not one of {', '.join(CHANNELS)}",
    )
    participants = pl.col("participants").cast(pl.Int32, strict=False)
    _skip_where(
        table,
        pl.col("participants").is_not_null() & (participants.is_null() | (participants < 2)),
        lambda f, r: f"participants {excerpt(f['participants'][r])} is not a number >= 2",
    )
    frame = parse_dates(table, ["date"], required=["date"])
    notes.extend(table.notes)
    frame = frame.with_columns(
        direction.alias("direction"), channel.alias("channel"), participants.alias("participants")
    )
    text_hash = (
        pl.col("text")
        .fill_null("")
        .map_batches(
            lambda s: pl.Series([hashlib.md5(t.encode()).hexdigest()[:12] for t in s]),
            return_dtype=pl.String,
        )
    )
    frame = frame.with_columns(text_hash.alias("_h")).with_columns(
        pl.int_range(pl.len())
        .over(["contact_id", "date", "direction", "channel", "_h"])
        .alias("_n")
    )
    interactions = frame.select(
        pl.col("contact_id").alias("ref"),
        pl.format(
            "csv:{}:{}:{}:{}:{}:{}", "contact_id", "date", "direction", "channel", "_h", "_n"
        ).alias("uid_key"),
        pl.col("date").alias("ts"),
        "channel",
        "direction",
        pl.col("channel").is_in(list(GIVE_CHANNELS)).alias("is_give"),
        "thread",
        pl.col("participants").fill_null(2).alias("n_participants"),
        "subject",
        pl.col("text").alias("body"),
    )
    return interactions, raw, table.dropped_empty


def import_csv(contacts: Path | None, interactions: Path | None) -> ImportBatch:
    if contacts is None and interactions is None:
        raise UsageError("give --contacts FILE, --interactions FILE, or both")
    people = pl.DataFrame()
    events = pl.DataFrame()
    raw = b""
    skipped = 0
    labels = []
    notes: list[str] = []
    if contacts is not None:
        people, data, dropped = _read_contacts(Path(contacts), notes)
        raw += data
        skipped += dropped
        labels.append(Path(contacts).name)
    if interactions is not None:
        events, data, dropped = _read_interactions(Path(interactions), notes)
        raw += b"\x00" + data
        skipped += dropped
        labels.append(Path(interactions).name)
        known = set(people["ref"].to_list()) if people.height else set()
        extra = sorted(set(events["ref"].to_list()) - known)
        if extra:
            people = pl.concat(
                [
                    people,
                    pl.DataFrame({"ref": extra, "id_key": extra, "display_name": extra}),
                ],
                how="diagonal_relaxed",
            )
    if people.height == 0 and events.height == 0:
        raise InputError(labels[0], "no rows to import")
    if "id_key" in people.columns:
        people = people.with_columns(("csv:" + pl.col("id_key")).alias("id_key"))
    return ImportBatch(
        source_kind="csv",
        label=" + ".join(labels),
        sha256=sha256_bytes(raw),
        people=people,
        interactions=events,
        as_of=events["ts"].max() if events.height else None,
        rows_read=people.height + events.height,
        rows_skipped=skipped,
        details={"contacts_rows": people.height, "interaction_rows": events.height},
        notes=notes,
    )
