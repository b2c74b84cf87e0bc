"""Your plan and your answers (suggestions shown, done, skipped, snoozed, by act and by
week; the done rate since answers began), and this week's plan with its reasons."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from recommender.actions.registry import report_label
from recommender.report import svg
from recommender.report.section import Section, Table, day, pct, plural

OUTCOMES = ("done", "skipped", "snoozed", "never", "unanswered")
OUTCOME_COLORS = {
    "done": svg.color(2),
    "skipped": svg.color(3),
    "snoozed": svg.color(5),
    "never": svg.color(4),
    "unanswered": svg.MUTED,
}
WEEKS_SHOWN = 12


def _counts(frame: pl.DataFrame, by: str) -> dict:
    out: dict = {}
    for r in frame.group_by(by, "outcome").agg(pl.len().alias("n")).iter_rows(named=True):
        out.setdefault(r[by], dict.fromkeys(OUTCOMES, 0))[r["outcome"]] = r["n"]
    return out


def answers_section(suggestions: pl.DataFrame, as_of: datetime) -> Section:
    section = Section("answers", "Your plan and your answers")
    section.notes.append(
        "An answer counts from the moment you gave it (`helpnext done / skip / snooze / "
        "never`); a suggestion without one is unanswered."
    )
    if suggestions.height == 0:
        section.empty = (
            "No plan shown yet: `helpnext today` shows one (five people, one give-first act "
            "each) and stores it; answer with `helpnext done ID`, `skip ID`, `snooze ID` or "
            "`never ID`."
        )
        return section
    weeks = _weeks_shown(suggestions, as_of)
    by_week = _counts(
        suggestions.with_columns(pl.col("shown").dt.truncate("1w").alias("week")), "week"
    )
    series = [
        svg.Series(o, [by_week.get(w, {}).get(o, 0) for w in weeks], OUTCOME_COLORS[o])
        for o in OUTCOMES
    ]
    section.charts.append(
        svg.columns(
            [f"{w.day} {w:%b}" for w in weeks],
            series,
            label="Suggestions shown per week, by what you did with them",
        )
    )
    by_act = _counts(suggestions, "action")
    acts = sorted(by_act, key=lambda a: (-sum(by_act[a].values()), a))
    section.tables.append(
        Table(
            "By act",
            ["act", "shown", *OUTCOMES[:-1], "unanswered", "done rate"],
            [
                [report_label(a), sum(by_act[a].values())]
                + [by_act[a][o] for o in OUTCOMES]
                + [pct(by_act[a]["done"], sum(by_act[a].values()))]
                for a in acts
            ],
        )
    )
    section.tables.append(
        Table(
            "By week (from Monday)",
            ["week of", "shown", *OUTCOMES],
            [
                [day(w), sum(by_week.get(w, {}).values())]
                + [by_week.get(w, {}).get(o, 0) for o in OUTCOMES]
                for w in weeks
            ],
        )
    )
    section.takeaway = _takeaway(suggestions, by_act, acts)
    return section


def _weeks_shown(suggestions: pl.DataFrame, as_of: datetime) -> list[datetime]:
    """The Mondays of the last :data:`WEEKS_SHOWN` weeks, from the first with a plan."""
    week0 = (as_of - timedelta(days=as_of.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    weeks = [week0 - timedelta(weeks=k) for k in range(WEEKS_SHOWN - 1, -1, -1)]
    first_shown = suggestions["shown"].min()
    return [w for w in weeks if w + timedelta(weeks=1) > first_shown] or [week0]


def _takeaway(suggestions: pl.DataFrame, by_act: dict, acts: list[str]) -> str:
    """How much of what was shown since the first answer was done, and the act followed
    through on most."""
    answered = suggestions.filter(pl.col("outcome") != "unanswered")
    shown = plural(suggestions.height, "suggestion")
    if answered.height == 0:
        return (
            f"{shown} shown, none answered yet: answer with `helpnext done ID` (or skip, "
            "snooze, never) and the plan learns what you follow through on."
        )
    began = answered.sort("shown")["shown"][0]
    since = suggestions.filter(pl.col("shown") >= began)
    n_done = int((since["outcome"] == "done").sum())
    best = max(
        (a for a in acts if by_act[a]["done"]),
        key=lambda a: (by_act[a]["done"] / sum(by_act[a].values()), a),
        default=None,
    )
    best_text = (
        ""
        if best is None
        else f"; you follow through most on {report_label(best)} "
        f"({by_act[best]['done']} of {sum(by_act[best].values())})"
    )
    return (
        f"You did {n_done} of the {plural(since.height, 'suggestion')} shown since your answers "
        f"began on {day(began)} ({pct(n_done, since.height)}){best_text}."
    )


def week_section(plan) -> Section:
    """``plan``: :func:`recommender.plan.daily.build_plan` at the report's moment, not stored."""
    section = Section("week", "This week")
    if plan.message:
        section.empty = plan.message
        return section
    rows = plan.as_dicts()
    names = []
    for s in rows:
        act = report_label(s["action"])
        if s["item"]:
            act += f": {s['item']['title']}"
        elif s["partner"]:
            act += f" to {s['partner']['name']}"
        s["act"] = act
        names.append(f"{s['name']} · {report_label(s['action'])}")
    section.charts.append(
        svg.hbars(
            names,
            [s["score"] for s in rows],
            label="This week's plan: how strongly each suggestion scores",
            value_format="{:.2f}",
            fill=svg.color(0),
        )
    )
    section.tables.append(
        Table(
            "The next plan",
            ["who", "company", "act", "why", "score"],
            [
                [s["name"], s["company"] or "", s["act"], s["reason"], f"{s['score']:.2f}"]
                for s in rows
            ],
        )
    )
    kinds = sorted({report_label(s["action"]) for s in rows})
    section.takeaway = (
        f"Next: {plural(len(rows), 'person', 'people')}, starting with {rows[0]['name']} "
        f"({rows[0]['act']}); acts: {', '.join(kinds)}."
    )
    section.notes.append(
        f"Computed as of {day(plan.as_of)} with {plan.model_version}; not stored (run "
        "`helpnext today` to get ids to answer)."
    )
    return section
