"""Exploration: a small share of the plan goes to suggestions the ranker is unsure about.

Out of every :data:`SLOTS_PER_EXPLORATION` slots of a plan, one is drawn at random instead
of taken greedily, so the plan does not freeze on the same few people and later training
sees what the ranker would not have shown. The draw is among the best
:data:`EXPLORE_TOP` remaining people (their best act each), weighted by uncertainty
(``p (1 - p)`` of the preference model; everyone alike before there is one) and by novelty
(``1 / (1 + times suggested in the last 90 days)``), with a small floor. The probability of
the drawn suggestion is its ``propensity``; greedy picks have propensity 1.

The random generator is seeded from (owner, day of as_of): the same plan on the same day
is the same plan, and every run of a simulation is reproducible. Networks too small to
need it (fewer than :data:`MIN_SPARE` people beyond the plan) are not explored, and the
plan explores only once a preference model is in use: before that there is no model to be
unsure, and the engagement ranker with its cool-down already rotates people.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import numpy as np
import polars as pl

SLOTS_PER_EXPLORATION = 5
EXPLORE_TOP = 60
MIN_SPARE = 10
WEIGHT_FLOOR = 0.05
NOVELTY_DAYS = 90


def rng_for(owner: int, as_of: datetime) -> np.random.Generator:
    """A generator seeded by (owner, calendar day of as_of)."""
    digest = hashlib.sha256(f"helpnext-explore|{owner}|{as_of:%Y-%m-%d}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "big"))


def exploration_slots(n: int) -> int:
    return n // SLOTS_PER_EXPLORATION


def _eligible(candidates: pl.DataFrame, picked: pl.DataFrame, held: set[int]) -> pl.DataFrame:
    """Best act per person not held back and not already in the plan (an introduction
    with nobody of the plan on either side)."""
    busy = set(picked["contact"].to_list()) | set(picked["partner"].drop_nulls().to_list())
    busy |= set(held)
    pool = candidates.filter(
        ~pl.col("contact").is_in(list(busy))
        & (pl.col("partner").is_null() | ~pl.col("partner").is_in(list(busy)))
    )
    return pool.unique("contact", keep="first", maintain_order=True)


def weights(pool: pl.DataFrame, shown_before: dict[int, int]) -> np.ndarray:
    if "pref" in pool.columns and pool["pref"].null_count() < pool.height:
        p = pool["pref"].fill_null(0.5).to_numpy()
        uncertain = 4 * p * (1 - p)  # 1 at p = 0.5, 0 when sure
    else:
        uncertain = np.ones(pool.height)
    novelty = np.array([1.0 / (1 + shown_before.get(c, 0)) for c in pool["contact"].to_list()])
    return WEIGHT_FLOOR + uncertain * novelty


def plan_with_exploration(
    ctx,
    candidates: pl.DataFrame,
    n: int,
    held: set[int],
    choose,
    explore: bool = True,
) -> pl.DataFrame:
    """The plan (``choose`` picks greedily) with ``n // 5`` slots explored (none when not
    ``explore``). Adds ``propensity`` (probability the pick was shown with) and
    ``explored``."""
    k = exploration_slots(n) if explore else 0
    greedy = choose(candidates, n - k, held) if k else choose(candidates, n, held)
    if k:
        spare = _eligible(candidates, greedy, held)
        if spare.height < max(MIN_SPARE, k):
            greedy = choose(candidates, n, held)
            k = 0
    greedy = greedy.with_columns(
        pl.lit(1.0, dtype=pl.Float64).alias("propensity"), pl.lit(False).alias("explored")
    )
    if not k:
        return greedy
    rng = rng_for(ctx.owner, ctx.as_of)
    shown = _shown_before(ctx)
    picked = greedy
    for _ in range(k):
        pool = _eligible(candidates, picked, held).head(EXPLORE_TOP)
        if pool.height == 0:
            break
        w = weights(pool, shown)
        probs = w / w.sum()
        at = int(rng.choice(pool.height, p=probs))
        row = pool.slice(at, 1).with_columns(
            pl.lit(float(probs[at]), dtype=pl.Float64).alias("propensity"),
            pl.lit(True).alias("explored"),
        )
        picked = pl.concat([picked, row.select(picked.columns)])
    return picked.sort(["score", "contact"], descending=[True, False])


def _shown_before(ctx) -> dict[int, int]:
    past = ctx.past_suggestions()
    if past.height == 0:
        return {}
    since = ctx.as_of - timedelta(days=NOVELTY_DAYS)
    counts = past.filter(pl.col("as_of") >= since).group_by("contact").len()
    return dict(zip(counts["contact"].to_list(), counts["len"].to_list(), strict=True))
