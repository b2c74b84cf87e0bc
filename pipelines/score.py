"""Batch scoring: every owner's candidates at ``as_of``, ranked (rank 1 = best).

A pure function of (events before ``as_of``, model) per owner, so it partitions by owner.
When no model is given one is trained on the same events before ``as_of`` (self-supervised,
earlier cutoffs only). Output is written atomically (temp file + rename), CSV cells made safe
for spreadsheets.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.columns import CONTACT, OWNER, TS, conform_events
from pipelines.features import build_features
from pipelines.labels import DEFAULT_HORIZON

SCORE_COLUMNS = ("owner", "contact", "score", "rank")
OUTPUT_FORMATS = (".csv", ".parquet")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_csv_cell(value: object) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ tab or CR gets a
    leading apostrophe. Plain numbers are left alone (a negative number is a number)."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        try:
            float(text)
        except ValueError:
            return "'" + text
    return text


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
    """Write ``scores`` to ``out`` (.csv or .parquet by extension) atomically."""
    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in OUTPUT_FORMATS:
        raise ValueError(f"output {out.name!r}: use a .csv or .parquet file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if suffix == ".parquet":
            scores.write_parquet(tmp)
        else:
            text_cols = [c for c, t in scores.schema.items() if t == pl.String]
            safe = scores.with_columns(
                [pl.col(c).map_elements(safe_csv_cell, return_dtype=pl.String) for c in text_cols]
            )
            safe.write_csv(tmp, float_precision=6)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
