"""The evaluation protocol of DESIGN.md, its metrics and the strong simple baselines.

Protocol: cutoffs at 60/70/80/90 % of the log's time span, horizon H = 7 days. Candidates of
owner u at T: everyone u exchanged a message with before T. Targets: candidates u sends to in
[T, T + H). Owners: those with at least one target. NDCG@10, Recall@10 and MRR are averaged
over owners, then over cutoffs (a cutoff with no owner is skipped, and reported as such).
Ties are broken at random with a fixed seed. Dormant slice: only candidates with no exchange
in the 30 days before T.

Baselines (all computed from the point-in-time features): recency, frequency, outgoing
frequency and Interactions Rank (Roth et al., KDD 2010) at half-lives 7/14/28/56 days, w in {1, 2}.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from pipelines.columns import CONTACT, DIRECTION, IN, OUT, OWNER, TS, conform_events
from pipelines.features import DORMANT_DAYS, HALF_LIVES, IR_WEIGHTS, build_features
from pipelines.labels import DEFAULT_HORIZON, LABEL, attach_labels

CUTOFF_FRACTIONS = (0.6, 0.7, 0.8, 0.9)
K = 10
SCORE = "score"
RANK = "rank"
METRICS = ("ndcg@10", "recall@10", "mrr")

# baseline name -> expression over the feature frame (higher = better)
BASELINES: dict[str, pl.Expr] = {
    "recency": -pl.col("age_last_any"),
    "frequency": pl.col("n_all"),
    "out_frequency": pl.col("n_out"),
    **{f"ir_{h}d_w{w}": pl.col(f"ir_{h}_w{w}") for h in HALF_LIVES for w in IR_WEIGHTS},
}


# -- events from an edge list -----------------------------------------------------------


def events_from_edges(edges: pl.DataFrame) -> pl.DataFrame:
    """Every node's view of an edge list ``src, dst, ts``: ``src -> dst`` is an "out" event
    of owner src and an "in" event of owner dst.

    Sorted by owner, contact and time. Unlike a per-sender view, whether a node is an owner
    here does not depend on the future (someone who has only received so far still has
    candidates), which keeps features at T a function of the events before T alone.
    Self-loops are dropped.
    """
    e = edges.filter(pl.col("src") != pl.col("dst"))
    ts = pl.from_epoch("ts", time_unit="s")
    out = e.select(
        pl.col("src").alias(OWNER),
        pl.col("dst").alias(CONTACT),
        ts.alias(TS),
        pl.lit(OUT).alias(DIRECTION),
    )
    inc = e.select(
        pl.col("dst").alias(OWNER),
        pl.col("src").alias(CONTACT),
        ts.alias(TS),
        pl.lit(IN).alias(DIRECTION),
    )
    # in the features' order (owner, contact, time, "out" first): every cutoff's features
    # then skip their sort
    return (
        conform_events(pl.concat([out, inc]))
        .sort(OWNER, CONTACT, TS, pl.col(DIRECTION) == IN, maintain_order=True)
        .collect()
    )


def protocol_cutoffs(
    events: pl.DataFrame, fractions: Sequence[float] = CUTOFF_FRACTIONS
) -> list[datetime]:
    """Cutoffs at ``fractions`` of the time span of ``events`` (whole seconds)."""
    lo, hi = events.select(pl.col(TS).min().alias("lo"), pl.col(TS).max().alias("hi")).row(0)
    if lo is None:
        return []
    span = (hi - lo).total_seconds()
    return [lo + timedelta(seconds=math.floor(f * span)) for f in fractions]


# -- metrics ----------------------------------------------------------------------------


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


# -- the protocol ---------------------------------------------------------------------

Scorer = Callable[[pl.DataFrame, datetime, pl.DataFrame], np.ndarray]
"""(events before the cutoff, cutoff, candidate features) -> one score per candidate row."""


@dataclass
class CutoffResult:
    cutoff: datetime
    n_owners: int
    n_owners_dormant: int
    overall: dict[str, dict[str, float]] = field(default_factory=dict)
    dormant: dict[str, dict[str, float]] = field(default_factory=dict)
    info: dict = field(default_factory=dict)


def candidate_frame(events: pl.DataFrame, cutoff: datetime, horizon: timedelta) -> pl.DataFrame:
    """Features of every candidate at ``cutoff`` with its label and baseline scores."""
    feats = build_features(events.lazy(), cutoff)
    return (
        attach_labels(feats, events.lazy(), cutoff, horizon)
        .with_columns([expr.alias(f"base:{name}") for name, expr in BASELINES.items()])
        .sort(OWNER, CONTACT)
        .collect()
    )


def evaluate_cutoff(
    events: pl.DataFrame,
    cutoff: datetime,
    scorers: dict[str, Scorer],
    horizon: timedelta = DEFAULT_HORIZON,
    seed: int = 0,
) -> CutoffResult:
    frame = candidate_frame(events, cutoff, horizon)
    result = CutoffResult(cutoff, 0, 0)
    if frame.height == 0 or frame[LABEL].sum() == 0:
        return result
    past = events.filter(pl.col(TS) < cutoff)
    columns = {f"base:{name}": name for name in BASELINES}
    for name, scorer in scorers.items():
        info: dict = {}
        scores = np.asarray(
            scorer(past, cutoff, frame)
            if not _wants_info(scorer)
            else scorer(past, cutoff, frame, info)
        )
        frame = frame.with_columns(pl.Series(f"model:{name}", scores, dtype=pl.Float64))
        columns[f"model:{name}"] = name
        result.info[name] = info
    dormant = frame.filter(pl.col("n_all_dormant_window") == 0)
    for col, name in columns.items():
        m = mean_metrics(frame.rename({col: SCORE}) if col != SCORE else frame, SCORE, seed)
        if m is not None:
            result.overall[name] = m
            result.n_owners = m["owners"]
        d = mean_metrics(dormant.rename({col: SCORE}), SCORE, seed) if dormant.height else None
        if d is not None:
            result.dormant[name] = d
            result.n_owners_dormant = d["owners"]
    return result


def _wants_info(scorer: Scorer) -> bool:
    return getattr(scorer, "wants_info", False)


def average(results: Sequence[CutoffResult], part: str = "overall") -> dict[str, dict[str, float]]:
    """Metrics averaged over the cutoffs that had owners."""
    names: list[str] = []
    for r in results:
        for n in getattr(r, part):
            if n not in names:
                names.append(n)
    out: dict[str, dict[str, float]] = {}
    for n in names:
        rows = [getattr(r, part)[n] for r in results if n in getattr(r, part)]
        out[n] = {m: float(np.mean([row[m] for row in rows])) for m in METRICS}
        out[n]["cutoffs"] = len(rows)
    return out


def run_protocol(
    events: pl.DataFrame,
    scorers: dict[str, Scorer] | None = None,
    *,
    fractions: Sequence[float] = CUTOFF_FRACTIONS,
    horizon: timedelta = DEFAULT_HORIZON,
    seed: int = 0,
) -> dict:
    """Run the protocol on an event frame; returns a JSON-able report."""
    events = conform_events(events).collect().sort(TS)
    results = [
        evaluate_cutoff(events, c, scorers or {}, horizon, seed)
        for c in protocol_cutoffs(events, fractions)
    ]
    return {
        "horizon_days": horizon.total_seconds() / 86400,
        "dormant_days": DORMANT_DAYS,
        "cutoffs": [
            {
                "cutoff": r.cutoff.isoformat(),
                "owners": r.n_owners,
                "owners_dormant": r.n_owners_dormant,
                "info": r.info,
            }
            for r in results
        ],
        "overall": average(results, "overall"),
        "dormant": average(results, "dormant"),
    }
