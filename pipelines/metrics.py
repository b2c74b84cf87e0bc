"""Ranking metrics per owner: NDCG@10, Recall@10 and MRR, ties broken at random with a seed."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.columns import OWNER
from pipelines.features.labels import LABEL

K = 10
SCORE = "score"
RANK = "rank"
METRICS = ("ndcg@10", "recall@10", "mrr")


def rank_within_owner(frame: pl.DataFrame, score: str = SCORE, seed: int = 0) -> pl.DataFrame:
    """Add ``rank`` (1 = best) per owner by ``score`` descending, ties broken at random
    with ``seed`` (the same seed gives the same ranks)."""
    rng = np.random.default_rng(seed)
    return (
        frame.with_columns(pl.Series("_tie", rng.random(frame.height)))
        .sort([OWNER, score, "_tie"], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over(OWNER).alias(RANK))
        .drop("_tie")
    )


def owner_metrics(ranked: pl.DataFrame, k: int = K) -> pl.DataFrame:
    """NDCG@k, Recall@k and MRR per owner from ``owner, rank, label`` (owners without a
    target are left out)."""
    gain = pl.when((pl.col(RANK) <= k) & (pl.col(LABEL) > 0)).then(
        1.0 / (pl.col(RANK).cast(pl.Float64) + 1.0).log(2)
    )
    per = (
        ranked.group_by(OWNER)
        .agg(
            gain.sum().alias("_dcg"),
            (pl.col(LABEL) > 0).sum().alias("_n_pos"),
            ((pl.col(RANK) <= k) & (pl.col(LABEL) > 0)).sum().alias("_hits"),
            pl.col(RANK).filter(pl.col(LABEL) > 0).min().alias("_first"),
        )
        .filter(pl.col("_n_pos") > 0)
    )
    ideal = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(2, k + 2)))])
    idcg = (
        pl.col("_n_pos")
        .clip(upper_bound=k)
        .replace_strict({n: float(ideal[n]) for n in range(k + 1)}, return_dtype=pl.Float64)
    )
    return per.select(
        OWNER,
        (pl.col("_dcg") / idcg).alias("ndcg@10"),
        (pl.col("_hits") / pl.col("_n_pos")).alias("recall@10"),
        (1.0 / pl.col("_first").cast(pl.Float64)).alias("mrr"),
    ).sort(OWNER)


def mean_metrics(frame: pl.DataFrame, score: str = SCORE, seed: int = 0) -> dict[str, float] | None:
    """Owner-averaged metrics of one cutoff; None when no owner has a target."""
    per = owner_metrics(rank_within_owner(frame.select(OWNER, score, LABEL), score, seed))
    if per.height == 0:
        return None
    return {m: float(per[m].mean()) for m in METRICS} | {"owners": per.height}
