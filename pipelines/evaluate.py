"""The evaluation protocol of DESIGN.md (metrics: :mod:`pipelines.metrics`; baselines:
:mod:`pipelines.features.baselines`).

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

from pipelines.columns import TS, conform_events
from pipelines.features.baselines import BASELINES, candidate_frame
from pipelines.features.engagement import DORMANT_DAYS
from pipelines.features.labels import DEFAULT_HORIZON, LABEL
from pipelines.metrics import METRICS, SCORE, mean_metrics

CUTOFF_FRACTIONS = (0.6, 0.7, 0.8, 0.9)


def protocol_cutoffs(
    events: pl.DataFrame, fractions: Sequence[float] = CUTOFF_FRACTIONS
) -> list[datetime]:
    """Cutoffs at ``fractions`` of the time span of ``events`` (whole seconds)."""
    lo, hi = events.select(pl.col(TS).min().alias("lo"), pl.col(TS).max().alias("hi")).row(0)
    if lo is None:
        return []
    span = (hi - lo).total_seconds()
    return [lo + timedelta(seconds=math.floor(f * span)) for f in fractions]


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
