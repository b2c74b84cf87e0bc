"""Check in: a once-strong tie gone quiet well past its own rhythm.

Dormant ties are not ranked by past intensity alone: ``fit`` is the product of a strength
term (log of the number of exchanges, saturating at 100) and an overdue term (log of days
since / usual gap, saturating at 8x), so a tie 3x overdue with 40 exchanges can beat one
20x overdue with 5.
"""

from __future__ import annotations

import math

import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, day, first_name
from recommender.store.history import met_contacts

MIN_EVENTS = 4
MIN_OVERDUE = 2.0
MIN_DAYS = 30.0
STRENGTH_CAP = 100
OVERDUE_CAP = 8.0


def fit_of(n_events: int, overdue: float) -> float:
    strength = min(1.0, math.log1p(n_events) / math.log1p(STRENGTH_CAP))
    due = min(1.0, math.log(max(overdue, 1.0)) / math.log(OVERDUE_CAP))
    return strength * due


def candidates(ctx: PlanContext) -> pl.DataFrame:
    # a meeting is an exchange both ways, so a calendar-only history (one side organises
    # every meeting) still has ties to check on
    met = met_contacts(ctx.store, ctx.owner, ctx.as_of)
    both_ways = ((pl.col("n_in") > 0) & (pl.col("n_out") > 0)) | pl.col("contact").is_in(met)
    due = ctx.stats.filter(
        pl.col("contact").is_in(ctx.pool)
        & (pl.col("n_events") >= MIN_EVENTS)
        & both_ways
        & (pl.col("overdue") >= MIN_OVERDUE)
        & (pl.col("days_since") >= MIN_DAYS)
    )
    rows = []
    for r in due.iter_rows(named=True):
        rhythm = max(r["rhythm_days"] or 30.0, 7.0)
        fit = fit_of(r["n_events"], r["overdue"])
        strength = min(1.0, math.log1p(r["n_events"]) / math.log1p(STRENGTH_CAP))
        reason = (
            f"last in touch {day(r['last_ts'])} ({r['days_since']:.0f} days ago) though you "
            f"usually talk every ~{rhythm:.0f} days; {r['n_events']} exchanges both ways "
            f"since {r['first_ts']:%b %Y}: ask {first_name(r['name'])} how things are going"
        )
        rows.append(
            {
                "contact": r["contact"],
                "action": "check_in",
                "fit": fit,
                "who": strength,
                "reason": reason,
            }
        )
    return candidates_frame(rows)
