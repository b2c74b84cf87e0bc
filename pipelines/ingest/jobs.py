"""Job postings the owner could send to someone who is looking: CSV or JSON lines.

Columns: ``title`` (required), ``company``, ``location``, ``text`` (or ``description`` /
``summary``), ``url``, ``date`` (or ``posted``).

A posting without a company is accepted: its company is unknown (shown as "company not
given") and it is matched on its title and text alone. A row without a title is an error
naming the file and line. A posting without a date gets the import time as its date.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.articles import DATE_ALIASES, TEXT_ALIASES, ItemBatch, read_item_rows

JOB_COLUMNS = ["title", "company", "location", "text", "url", "date"]


def import_jobs(path: Path | str) -> ItemBatch:
    path = Path(path)
    aliases = TEXT_ALIASES | DATE_ALIASES | {"title": ["job_title", "position", "role"]}
    frame, raw = read_item_rows(path, JOB_COLUMNS, aliases, "job postings", ("title",))
    if frame.height == 0:
        raise InputError(path, "no job postings found (expected columns: title, company, ...)")
    missing = frame.filter(pl.col("title").is_null())
    if missing.height:
        raise InputError(
            path,
            "this job posting has no title (every row needs one)",
            line=int(missing["__line"][0]),
        )
    items = frame.with_columns(
        pl.lit("job").alias("kind"),
        pl.coalesce("text", "title").alias("text"),
        pl.col("date").alias("published_at"),
    )
    from pipelines.ingest.text import sha256_bytes

    return ItemBatch("jobs", path.name, sha256_bytes(raw), items, rows_read=frame.height)
