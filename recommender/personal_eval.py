"""The personal protocol: each sampled owner alone in a fresh home, as a user would have it.

For an interaction log (``src, dst, ts``): the protocol's cutoffs (60/70/80/90 % of the log's
span, horizon H), and K owners sampled (seeded) among those with at least
:data:`MIN_CANDIDATES` candidates at the first cutoff and a target at one cutoff at least.
Each owner's events alone go into a fresh temporary home through the real import path
(a generic ``interactions.csv``, ``import csv``); at every cutoff T the home is trained as
``helpnext train --as-of T`` trains it (:func:`recommender.training.train_home`: the prior,
the owner-only model, their combination and the heuristics compared on the owner's own
weeks before T) and scored by the engine of ``helpnext today``
(:func:`recommender.registry.score_contacts`). The baselines score the same
candidates from the same home's features at T. Nothing at or after T reaches training,
selection or scoring; the labels are the owner's messages in [T, T + H).

Metrics: NDCG@10 and MRR per owner and cutoff, overall and on the dormant slice (no
exchange in the 30 days before T); averaged over an owner's cutoffs, then over owners, with
a 95 % bootstrap interval over owners (and for the model's margin over the best baseline).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

MIN_CANDIDATES = 15
MODEL = "model"
PARTS = ("overall", "dormant")
METRICS = ("ndcg@10", "mrr")
BOOTSTRAP = 2000


def eligible_owners(events: pl.DataFrame, cutoffs: list[datetime], horizon: timedelta):
    """Owners with at least :data:`MIN_CANDIDATES` candidates at the first cutoff and a
    target (a message to a candidate within H after a cutoff) at one cutoff at least."""
    first = events.filter(pl.col("ts") < cutoffs[0])
    counts = first.group_by("owner").agg(pl.col("contact").n_unique().alias("n"))
    owners = set(counts.filter(pl.col("n") >= MIN_CANDIDATES)["owner"].to_list())
    with_target: set[int] = set()
    for t in cutoffs:
        known = events.filter(pl.col("ts") < t).select("owner", "contact").unique()
        sent = events.filter(
            (pl.col("direction") == "out") & (pl.col("ts") >= t) & (pl.col("ts") < t + horizon)
        ).select("owner", "contact")
        with_target |= set(sent.join(known, on=["owner", "contact"])["owner"].to_list())
    return sorted(owners & with_target)


def _owner_csv(events: pl.DataFrame, owner: int, path: Path) -> None:
    """The owner's events as the generic interactions.csv a user would import."""
    mine = events.filter(pl.col("owner") == owner).sort("ts")
    mine.select(
        pl.col("contact").cast(pl.String).alias("contact_id"),
        pl.col("ts").dt.strftime("%Y-%m-%d %H:%M:%S").alias("date"),
        pl.col("direction"),
        pl.lit("email").alias("channel"),
    ).write_csv(path)


def _import(home: Path, path: Path) -> None:
    from pipelines.ingest.generic_csv import import_csv
    from recommender.store.db import open_store
    from recommender.store.importer import apply_batch

    with open_store(home) as store:
        apply_batch(store, import_csv(None, path))


def _home_at(home: Path, cutoff: datetime, horizon: timedelta, log_ids: dict[int, int]):
    """(candidate frame at ``cutoff`` with the model's and the baselines' scores, keyed by
    the log's contact ids): train as ``train --as-of`` does, score as ``today`` does."""
    from pipelines.features.baselines import BASELINES
    from pipelines.features.engagement import build_features
    from recommender.registry import score_contacts
    from recommender.store.db import PERSONAL_OWNER, open_store
    from recommender.store.events import load_events
    from recommender.training import train_home

    with open_store(home, read_only=True) as store:
        owner_id = store.owner_id(PERSONAL_OWNER, create=False)
        events = load_events(store, [owner_id], before=cutoff).collect()
    if events.height == 0:
        return None, {}
    trained = train_home(home, events, cutoff, horizon)
    with open_store(home, read_only=True) as store:
        scored, _ = score_contacts(store, owner_id, cutoff, events)
    feats = build_features(events, cutoff).collect()
    frame = feats.select(
        "contact",
        (pl.col("n_all_dormant_window") == 0).alias("dormant"),
        *[expr.alias(f"base:{name}") for name, expr in BASELINES.items()],
    ).join(scored.select("contact", pl.col("engagement").alias(MODEL)), on="contact")
    frame = frame.with_columns(
        pl.col("contact").replace_strict(log_ids, default=None).alias("log_contact")
    )
    return frame, trained.selection


def _metrics(frame: pl.DataFrame, score: str, seed: int) -> dict[str, float] | None:
    from pipelines.metrics import owner_metrics, rank_within_owner

    part = frame.select(pl.lit(0).alias("owner"), pl.col(score).alias("score"), "label")
    per = owner_metrics(rank_within_owner(part, "score", seed))
    return None if per.height == 0 else {m: float(per[m][0]) for m in METRICS}


def evaluate_owner(
    events: pl.DataFrame,
    owner: int,
    cutoffs: list[datetime],
    horizon: timedelta,
    seed: int = 0,
) -> dict:
    """One owner alone in a fresh home: metrics per cutoff and their means."""
    from recommender.store.db import PERSONAL_OWNER, open_store
    from recommender.store.lookup import csv_keys

    per_cutoff = []
    with tempfile.TemporaryDirectory(prefix="helpnext-personal-") as tmp:
        home = Path(tmp) / "home"
        path = Path(tmp) / "interactions.csv"
        _owner_csv(events, owner, path)
        _import(home, path)
        with open_store(home, read_only=True) as store:
            owner_id = store.owner_id(PERSONAL_OWNER, create=False)
            keys = csv_keys(store, owner_id)
        log_ids = {int(c): int(k[4:]) for k, c in keys}
        mine = events.filter(pl.col("owner") == owner)
        for t in cutoffs:
            frame, selection = _home_at(home, t, horizon, log_ids)
            if frame is None:
                continue
            sent = mine.filter(
                (pl.col("direction") == "out") & (pl.col("ts") >= t) & (pl.col("ts") < t + horizon)
            )["contact"].unique()
            frame = frame.with_columns(
                pl.col("log_contact").is_in(sent.to_list()).cast(pl.Int8).alias("label")
            )
            row = {"cutoff": t.isoformat(), "selection": selection_brief(selection)}
            scores = [MODEL] + [c for c in frame.columns if c.startswith("base:")]
            for part in PARTS:
                sub = frame if part == "overall" else frame.filter(pl.col("dormant"))
                row[part] = {}
                for s in scores:
                    m = _metrics(sub, s, seed) if sub.height else None
                    if m is not None:
                        row[part][s.removeprefix("base:")] = m
            if row["overall"]:
                per_cutoff.append(row)
    means = {}
    for part in PARTS:
        names = {n for r in per_cutoff for n in r[part]}
        means[part] = {
            n: {
                m: float(np.mean([r[part][n][m] for r in per_cutoff if n in r[part]]))
                for m in METRICS
            }
            for n in sorted(names)
        }
    return {"owner": owner, "cutoffs": per_cutoff, "mean": means}


def selection_brief(selection: dict) -> dict:
    return {k: selection.get(k) for k in ("overall", "dormant")}


def bootstrap_interval(values: np.ndarray, seed: int, n: int = BOOTSTRAP) -> list[float]:
    """95 % percentile interval of the mean, resampling owners."""
    if len(values) == 0:
        return [float("nan"), float("nan")]
    rng = np.random.default_rng(seed)
    means = rng.choice(values, size=(n, len(values)), replace=True).mean(axis=1)
    return [float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))]


def summarise(owners: list[dict], seed: int) -> dict:
    """Mean over owners of every ranker's per-owner mean, intervals, and the model's margin
    over the best baseline (chosen on these very means: the harder comparison)."""
    out = {}
    for part in PARTS:
        names = sorted({n for o in owners for n in o["mean"][part]})
        table = {}
        for name in names:
            table[name] = {}
            for m in METRICS:
                vals = np.array(
                    [o["mean"][part][name][m] for o in owners if name in o["mean"][part]]
                )
                table[name][m] = float(vals.mean()) if len(vals) else float("nan")
                table[name][f"{m}_ci95"] = bootstrap_interval(vals, seed)
                table[name]["owners"] = len(vals)
        baselines = [n for n in names if n != MODEL]
        margin = {}
        for m in METRICS:
            if MODEL not in table or not baselines:
                continue
            best = max(baselines, key=lambda n: table[n][m])
            both = [o for o in owners if MODEL in o["mean"][part] and best in o["mean"][part]]
            diff = np.array([o["mean"][part][MODEL][m] - o["mean"][part][best][m] for o in both])
            margin[m] = {
                "best_baseline": best,
                "margin": float(diff.mean()) if len(diff) else float("nan"),
                "ci95": bootstrap_interval(diff, seed),
            }
        out[part] = {"rankers": table, "vs_best_baseline": margin}
    return out


def run_personal(
    events: pl.DataFrame,
    n_owners: int = 24,
    seed: int = 0,
    horizon: timedelta = timedelta(days=7),
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """The personal protocol on an event frame (every node's view of an edge list)."""
    from pipelines.evaluate import protocol_cutoffs

    cutoffs = protocol_cutoffs(events)
    if not cutoffs:
        return {"owners": [], "cutoffs": [], "summary": {}, "eligible": 0}
    eligible = eligible_owners(events, cutoffs, horizon)
    rng = np.random.default_rng(seed)
    chosen = sorted(rng.choice(eligible, min(n_owners, len(eligible)), replace=False).tolist())
    owners = []
    for i, owner in enumerate(chosen):
        owners.append(evaluate_owner(events, int(owner), cutoffs, horizon, seed))
        if progress:
            progress(i + 1, len(chosen))
    owners = [o for o in owners if o["cutoffs"]]
    return {
        "protocol": "personal",
        "horizon_days": horizon.days,
        "cutoffs": [c.isoformat() for c in cutoffs],
        "eligible": len(eligible),
        "owners": owners,
        "summary": summarise(owners, seed),
    }
