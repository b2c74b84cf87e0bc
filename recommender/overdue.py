"""The simplest honest list: warm ties that are overdue against their own rhythm.

A warm tie has exchanged messages both ways on at least ``min_days`` different days, and
at least once in the year before ``as_of``; its rhythm is the median gap between the days
you were in touch; it is overdue by ``days since last contact / rhythm``. Only events
before ``as_of`` count.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from recommender.events import load_events
from recommender.store import Store


def overdue_ties(
    store: Store, as_of: datetime, owner_id: int, n: int = 10, min_days: int = 3
) -> pl.DataFrame:
    events = load_events(store, [owner_id], before=as_of).filter(pl.col("contact").is_not_null())
    days = events.select("contact", pl.col("ts").dt.date().alias("day"), "direction")
    per = (
        days.group_by("contact")
        .agg(
            pl.len().alias("events"),
            pl.col("day").n_unique().alias("days"),
            (pl.col("direction") == "out").sum().alias("sent"),
            (pl.col("direction") == "in").sum().alias("received"),
            pl.col("day").max().alias("last_day"),
            pl.col("day").unique().sort().diff().dt.total_days().median().alias("rhythm_days"),
        )
        .filter(
            (pl.col("days") >= min_days)
            & (pl.col("sent") > 0)
            & (pl.col("received") > 0)
            & (pl.col("last_day") >= pl.lit(as_of.date() - timedelta(days=365)))
        )
        .with_columns(
            (pl.lit(as_of.date()) - pl.col("last_day")).dt.total_days().alias("days_since"),
            pl.col("rhythm_days").fill_null(30.0).clip(lower_bound=7.0),
        )
        .with_columns((pl.col("days_since") / pl.col("rhythm_days")).alias("overdue"))
        .filter(pl.col("overdue") >= 1.0)
        .sort(["overdue", "events"], descending=True)
        .head(n)
        .collect()
    )
    if per.height == 0:
        return per
    names = store.frame(
        "SELECT contact_id AS contact, display_name AS name, company, position FROM contacts "
        "WHERE list_contains(?, contact_id)",
        [per["contact"].to_list()],
    )
    return per.join(names, on="contact", how="left")
