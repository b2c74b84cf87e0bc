"""The strong simple baselines, as expressions over the point-in-time features, and every
candidate's frame at a cutoff: features, label and baseline scores.

Recency, frequency, outgoing frequency and Interactions Rank (Roth et al., KDD 2010) at
half-lives 7/14/28/56 days, w in {1, 2}.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from pipelines.columns import CONTACT, OWNER
from pipelines.features.engagement import HALF_LIVES, IR_WEIGHTS, build_features
from pipelines.features.labels import attach_labels

# baseline name -> expression over the feature frame (higher = better)
BASELINES: dict[str, pl.Expr] = {
    "recency": -pl.col("age_last_any"),
    "frequency": pl.col("n_all"),
    "out_frequency": pl.col("n_out"),
    **{f"ir_{h}d_w{w}": pl.col(f"ir_{h}_w{w}") for h in HALF_LIVES for w in IR_WEIGHTS},
}


def candidate_frame(events: pl.DataFrame, cutoff: datetime, horizon: timedelta) -> pl.DataFrame:
    """Features of every candidate at ``cutoff`` with its label and baseline scores."""
    feats = build_features(events.lazy(), cutoff)
    return (
        attach_labels(feats, events.lazy(), cutoff, horizon)
        .with_columns([expr.alias(f"base:{name}") for name, expr in BASELINES.items()])
        .sort(OWNER, CONTACT)
        .collect()
    )
