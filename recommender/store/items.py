"""Items the owner can give (articles, job postings): storing them and reading them as of a
moment, with a freshness that fades with age.

Re-importing is idempotent: an item's ``uid`` is the md5 of its kind and url (or, without
a url, its title and company), and a known uid is never inserted twice. An item dated
after ``as_of`` does not exist yet as far as a ranking at ``as_of`` is concerned.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime

import polars as pl

from pipelines.arrow import ArrowStream
from recommender.store.db import Store, utcnow

ARTICLE_HALF_LIFE_DAYS = 30.0
JOB_HALF_LIFE_DAYS = 21.0
MAX_AGE_DAYS = {"article": 365.0, "job": 120.0}


@dataclass
class ItemImportResult:
    source_kind: str
    label: str
    already_imported: bool = False
    import_id: int | None = None
    rows_read: int = 0
    items_added: int = 0
    items_known: int = 0
    undated: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def _uid(kind: str, url: str | None, title: str | None, company: str | None) -> str:
    key = f"{kind}|url|{url.strip().lower()}" if url else f"{kind}|t|{title}|{company}"
    return hashlib.md5(key.encode("utf-8")).hexdigest()


def import_items(store: Store, batch) -> ItemImportResult:
    """Write an :class:`~pipelines.ingest.articles.ItemBatch` in one transaction."""
    result = ItemImportResult(batch.kind, batch.label, rows_read=batch.rows_read)
    now = utcnow()
    with store.transaction() as con:
        seen = store.scalar(
            "SELECT import_id FROM imports WHERE source_kind = ? AND sha256 = ?",
            [batch.kind, batch.sha256],
        )
        if seen is not None:
            result.already_imported = True
            result.import_id = int(seen)
            return result
        items = batch.items
        result.undated = int(items["published_at"].null_count())
        items = items.with_columns(
            pl.struct("kind", "url", "title", "company")
            .map_elements(
                lambda r: _uid(r["kind"], r["url"], r["title"], r["company"]),
                return_dtype=pl.String,
            )
            .alias("uid"),
            pl.col("published_at").fill_null(now),
        ).unique("uid", keep="first", maintain_order=True)
        known = store.frame("SELECT uid FROM items")
        fresh = items.join(known, on="uid", how="anti") if known.height else items
        result.items_known = items.height - fresh.height
        import_id = store.next_id("imports", "import_id")
        if fresh.height:
            start = store.next_id("items", "item_id")
            fresh = fresh.with_columns(
                (pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("item_id"),
                pl.lit(import_id, dtype=pl.Int64).alias("import_id"),
                pl.lit(now).alias("created_at"),
            )
            con.register("_items", ArrowStream(fresh))
            con.execute(
                """INSERT INTO items (item_id, uid, kind, title, url, text, tags, company,
                       location, published_at, import_id, created_at)
                   SELECT item_id, uid, kind, title, url, text, tags, company, location,
                       published_at, import_id, created_at FROM _items"""
            )
            con.unregister("_items")
        result.items_added = fresh.height
        result.import_id = import_id
        con.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?)",
            [
                import_id,
                batch.kind,
                batch.label,
                batch.sha256,
                now,
                utcnow(),
                batch.rows_read,
                json.dumps({"items_added": result.items_added, "items_known": result.items_known}),
            ],
        )
    return result


def load_items(
    store: Store,
    kind: str,
    as_of: datetime,
    half_life_days: float | None = None,
    max_age_days: float | None = None,
) -> pl.DataFrame:
    """Items of ``kind`` dated before ``as_of`` and not older than ``max_age_days``, with
    ``age_days`` and ``freshness`` = 0.5 ** (age / half-life)."""
    half_life = half_life_days or (
        ARTICLE_HALF_LIFE_DAYS if kind == "article" else JOB_HALF_LIFE_DAYS
    )
    max_age = max_age_days or MAX_AGE_DAYS.get(kind, 365.0)
    frame = store.frame(
        """SELECT item_id, kind, title, url, text, tags, company, location, published_at,
                  date_diff('second', published_at, ?::TIMESTAMP) / 86400.0 AS age_days
           FROM items WHERE kind = ? AND published_at < ?
           ORDER BY item_id""",
        [as_of, kind, as_of],
    )
    if frame.height == 0:
        return frame
    return frame.filter(pl.col("age_days") <= max_age).with_columns(
        (0.5 ** (pl.col("age_days") / half_life)).alias("freshness")
    )


def item_text(frame: pl.DataFrame) -> pl.Series:
    """The text an item is matched on: title (twice: it is the summary of the summary),
    tags, company, text."""
    return frame.select(
        pl.concat_str(
            [
                pl.col("title"),
                pl.col("title"),
                pl.col("tags").str.replace_all(";", " ").fill_null(""),
                pl.col("company").fill_null(""),
                pl.col("text").fill_null(""),
            ],
            separator=" ",
            ignore_nulls=True,
        ).alias("doc")
    )["doc"]
