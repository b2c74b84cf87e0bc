"""Batch scoring: every owner's candidates at ``as_of``, ranked (rank 1 = best).

A pure function of (events before ``as_of``, model) per owner, so it partitions by owner.
When no model is given one is trained on the same events before ``as_of`` (self-supervised,
earlier cutoffs only). Output is written atomically (temp file + rename), CSV cells made safe
for spreadsheets.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.columns import CONTACT, OWNER, TS, conform_events
from pipelines.features import build_features
from pipelines.labels import DEFAULT_HORIZON

SCORE_COLUMNS = ("owner", "contact", "score", "rank")
OUTPUT_FORMATS = (".csv", ".parquet")


def rank_scores(frame: pl.DataFrame, scores: np.ndarray, top: int | None = None) -> pl.DataFrame:
    """``owner, contact, score, rank`` with rank 1 = highest score per owner; equal scores
    are ordered by contact id so the output is deterministic."""
    ranked = (
        frame.select(OWNER, CONTACT)
        .with_columns(pl.Series("score", np.asarray(scores, dtype=np.float64)))
        .sort([OWNER, "score", CONTACT], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(OWNER).alias("rank"))
    )
    if top is not None:
        ranked = ranked.filter(pl.col("rank") <= top)
    return ranked.select(*SCORE_COLUMNS)


def score_events(
    events: pl.DataFrame | pl.LazyFrame,
    as_of: datetime,
    *,
    model=None,
    top: int | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> tuple[pl.DataFrame, dict]:
    """Rank every owner's candidates at ``as_of``; returns (scores, info).

    Raises ``ValueError`` when no event precedes ``as_of``.
    """
    from pipelines.train import train_engagement

    past = conform_events(events).filter(pl.col(TS) < as_of).collect()
    if past.height == 0:
        raise ValueError(f"no events before {as_of.isoformat()}: nothing to score")
    info: dict = {"events_before_as_of": past.height}
    if model is None:
        result = train_engagement(past, as_of, horizon)
        model = result.model
        info |= {
            "training_cutoffs": len(result.cutoffs),
            "training_rows": result.n_rows,
            "validation": result.validation,
        }
    frame = build_features(past.lazy(), as_of).collect()
    scores = model.rank_scores(frame)
    info["owners"] = frame[OWNER].n_unique()
    return rank_scores(frame, scores, top), info


def write_scores(scores: pl.DataFrame, out: Path) -> Path:
    """Write ``scores`` to ``out`` (.csv or .parquet by extension) atomically, readable by
    the owner only; CSV cells a spreadsheet would run as a formula are neutralised."""
    from recommender.csvsafe import atomic_write_bytes, write_csv

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"output {out.name!r}: use a .csv or .parquet file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        buffer = io.BytesIO()
        scores.write_parquet(buffer)
        atomic_write_bytes(out, buffer.getvalue(), 0o600)
    else:
        write_csv(scores.with_columns(pl.col(pl.Float64).round(6)), out)
    return out
