"""Reciprocate: they endorsed, recommended or introduced the owner, and the owner has not
given anything back since (no endorsement, recommendation, introduction or share out)."""

from __future__ import annotations

import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, day, first_name
from recommender.store.history import unreturned_gives

HALF_LIFE_DAYS = 365.0
VERBS = {
    "endorsement": "endorsed you",
    "recommendation": "recommended you",
    "introduction": "introduced you to someone",
}


def candidates(ctx: PlanContext) -> pl.DataFrame:
    gives = unreturned_gives(ctx.store, ctx.owner, ctx.as_of)
    if gives.height == 0:
        return candidates_frame([])
    per = (
        gives.group_by("contact", "channel")
        .agg(pl.col("ts").max(), pl.col("detail").drop_nulls().unique(maintain_order=True))
        .sort("contact", "channel")
    )
    acts: dict[int, list[str]] = {}
    latest: dict[int, object] = {}
    for r in per.iter_rows(named=True):
        contact = int(r["contact"])
        latest[contact] = max(latest.get(contact, r["ts"]), r["ts"])
        skills = [s for s in r["detail"] if s]
        when = day(r["ts"])
        if r["channel"] == "endorsement" and skills:
            more = f" (+{len(skills) - 2} more)" if len(skills) > 2 else ""
            acts.setdefault(contact, []).append(
                f"endorsed you for {' and '.join(skills[:2])}{more} ({when})"
            )
        else:
            acts.setdefault(contact, []).append(f"{VERBS[r['channel']]} ({when})")
    rows = []
    for contact, done in acts.items():
        info = ctx.row(contact)
        age = (ctx.as_of - latest[contact]).total_seconds() / 86400
        last = info.get("last_ts")
        reason = (
            f"{first_name(info.get('name'))} {' and '.join(done)} and you have not returned the favour"
            + (f"; last in touch {day(last)}" if last is not None else "")
        )
        rows.append(
            {
                "contact": contact,
                "action": "reciprocate",
                "fit": 0.55 + 0.45 * 0.5 ** (age / HALF_LIFE_DAYS),
                "reason": reason,
            }
        )
    return candidates_frame(rows)
