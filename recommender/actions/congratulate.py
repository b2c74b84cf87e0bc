"""Congratulate: a new role seen in a re-import (a ``new_role`` event in the last
``RECENT_DAYS``), or an anniversary: a year (or more) in the role, or since you connected."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, day, first_name
from recommender.store.history import new_roles
from recommender.store.profiles import connected_before

RECENT_DAYS = 45.0
HALF_LIFE_DAYS = 30.0
ANNIVERSARY_WINDOW = (7, 3)  # days before / after as_of


def _anniversary(start: datetime, as_of: datetime) -> int | None:
    """Whole years since ``start`` when an anniversary falls within the window, else None."""
    for years in (
        as_of.year - start.year,
        as_of.year - start.year - 1,
        as_of.year - start.year + 1,
    ):
        if years < 1:
            continue
        try:
            mark = start.replace(year=start.year + years)
        except ValueError:  # 29 February
            mark = start.replace(year=start.year + years, day=28)
        delta = (as_of - mark).total_seconds() / 86400
        if -ANNIVERSARY_WINDOW[1] <= delta <= ANNIVERSARY_WINDOW[0]:
            return years
    return None


def _role(position: str | None, company: str | None) -> str:
    if position and company:
        return f"{position} at {company}"
    return position or company or "a new role"


def candidates(ctx: PlanContext) -> pl.DataFrame:
    events = new_roles(ctx.store, ctx.owner, ctx.as_of)
    past = ctx.past_suggestions().filter(pl.col("action") == "congratulate")
    last_congrats = {
        r["contact"]: r["as_of"]
        for r in past.group_by("contact").agg(pl.col("as_of").max()).to_dicts()
    }
    rows: dict[int, dict] = {}

    def offer(contact: int, fit: float, reason: str, since: datetime) -> None:
        done = last_congrats.get(contact)
        if done is not None and done >= since:
            return
        if contact not in rows or rows[contact]["fit"] < fit:
            rows[contact] = {
                "contact": contact,
                "action": "congratulate",
                "fit": fit,
                "reason": reason,
            }

    for e in events.iter_rows(named=True):
        contact = int(e["contact"])
        name = first_name(ctx.row(contact).get("name"))
        age = (ctx.as_of - e["ts"]).total_seconds() / 86400
        new = _role(e["new_position"], e["new_company"])
        if age <= RECENT_DAYS:
            was = _role(e["old_position"], e["old_company"])
            offer(
                contact,
                0.95 * 0.5 ** (age / HALF_LIFE_DAYS) + 0.05,
                f"{name} has a new role: {new} (was {was}), seen in your export of {day(e['ts'])}",
                e["ts"],
            )
        years = _anniversary(e["ts"], ctx.as_of)
        if years:
            offer(
                contact,
                0.5,
                f"{name} started as {new} about {years} year{'s' if years > 1 else ''} ago "
                f"(seen {day(e['ts'])})",
                ctx.as_of - timedelta(days=30),
            )
    connected = connected_before(ctx.store, ctx.owner, ctx.as_of, ctx.pool)
    for r in connected.iter_rows(named=True):
        years = _anniversary(r["connected_on"], ctx.as_of)
        if years:
            offer(
                int(r["contact"]),
                0.3,
                f"you and {first_name(r['name'])} connected {years} year{'s' if years > 1 else ''} "
                f"ago ({day(r['connected_on'])})",
                ctx.as_of - timedelta(days=30),
            )
    return candidates_frame(list(rows.values()))
