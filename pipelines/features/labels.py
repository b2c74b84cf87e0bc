"""Labels: does the owner send to the contact in ``[T, T + H)``?

Only events in that window are read. Candidates come from the features (pairs with an
event before T); a candidate without an outgoing event in the window is a 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from pipelines.columns import CONTACT, DIRECTION, OUT, OWNER, TS, conform_events

DEFAULT_HORIZON = timedelta(days=7)
LABEL = "label"


def build_labels(
    events: pl.LazyFrame | pl.DataFrame,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
) -> pl.LazyFrame:
    """``owner, contact, label`` (label = 1) for every pair the owner sends to in the window."""
    start = pl.lit(as_of, dtype=pl.Datetime("us"))
    end = pl.lit(as_of + horizon, dtype=pl.Datetime("us"))
    return (
        conform_events(events)
        .filter((pl.col(TS) >= start) & (pl.col(TS) < end) & (pl.col(DIRECTION) == OUT))
        .select(OWNER, CONTACT)
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias(LABEL))
    )


def attach_labels(
    features: pl.LazyFrame,
    events: pl.LazyFrame | pl.DataFrame,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
) -> pl.LazyFrame:
    """The candidates of ``features`` with a 0/1 ``label`` column."""
    return features.join(
        build_labels(events, as_of, horizon), on=[OWNER, CONTACT], how="left"
    ).with_columns(pl.col(LABEL).fill_null(0).cast(pl.Int8))
