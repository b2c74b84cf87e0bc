"""Your network by tie (strong, regular, dormant, never engaged; the once-a-quarter check
month by month) and the ties drifting furthest past their own rhythm.

Tiers, as of the report's moment (events before it only):

* strong: at least :data:`STRONG_MIN_EVENTS` exchanges, both ways, the last within
  :data:`ACTIVE_DAYS` days;
* regular: any other tie with an exchange within :data:`ACTIVE_DAYS` days;
* dormant: exchanges, but none within :data:`ACTIVE_DAYS` days;
* never engaged: a connection with no exchange at all.

A tie's rhythm is the median gap in days between the days you were in touch; it is past its
rhythm by the same rule as the plan's check-in act (at least 4 exchanges, both ways, twice
its usual gap and 30 days or more).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from recommender.actions.check_in import MIN_DAYS, MIN_EVENTS, MIN_OVERDUE
from recommender.report import svg
from recommender.report.section import Section, Table, day, month, pct, plural

STRONG_MIN_EVENTS = 6
ACTIVE_DAYS = 180
QUARTER_DAYS = 90
TIERS = ("strong", "regular", "dormant", "never engaged")
MONTHS_SHOWN = 12
DRIFTING_SHOWN = 10
DRIFTING_MAX_DAYS = 365  # quiet for longer: gone, counted as dormant, not drifting


def contact_table(events: pl.DataFrame, people: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """One row per person known at ``as_of``: counts, last contact, rhythm, tier, overdue."""
    from recommender.actions.context import exact_rhythm

    agg = events.group_by("contact").agg(
        pl.len().cast(pl.Int64).alias("n"),
        (pl.col("direction") == "out").sum().cast(pl.Int64).alias("n_out"),
        (pl.col("direction") == "in").sum().cast(pl.Int64).alias("n_in"),
        pl.col("ts").max().alias("last_ts"),
        pl.col("ts").filter(pl.col("direction") == "out").max().alias("last_out"),
    )
    when = pl.lit(as_of, dtype=pl.Datetime("us"))
    # a rhythm matters only to ties that could be past it (most of a long tail is not)
    could = agg.filter(
        (pl.col("n") >= MIN_EVENTS)
        & (pl.col("n_in") > 0)
        & (pl.col("n_out") > 0)
        & (pl.col("last_ts") <= when - pl.duration(days=MIN_DAYS))
    )["contact"]
    rhythm = exact_rhythm(events, could.to_list()) if could.len() else None
    stats = people.join(agg, on="contact", how="left").with_columns(
        pl.col("n", "n_out", "n_in").fill_null(0),
        ((when - pl.col("last_ts")).dt.total_seconds() / 86400.0).alias("days_since"),
    )
    if rhythm is not None:
        stats = stats.join(rhythm, on="contact", how="left")
    else:
        stats = stats.with_columns(pl.lit(None, dtype=pl.Float64).alias("rhythm_days"))
    both = (pl.col("n_in") > 0) & (pl.col("n_out") > 0)
    overdue = pl.col("days_since") / pl.col("rhythm_days").clip(7.0, None)
    return stats.with_columns(
        pl.when(pl.col("n") == 0)
        .then(pl.lit("never engaged"))
        .when(pl.col("days_since") > ACTIVE_DAYS)
        .then(pl.lit("dormant"))
        .when(both & (pl.col("n") >= STRONG_MIN_EVENTS))
        .then(pl.lit("strong"))
        .otherwise(pl.lit("regular"))
        .alias("tier"),
        overdue.alias("overdue"),
        (
            (pl.col("n") >= MIN_EVENTS)
            & both
            & (overdue >= MIN_OVERDUE)
            & (pl.col("days_since") >= MIN_DAYS)
        )
        .fill_null(False)
        .alias("past_rhythm"),
        (pl.col("last_out") >= when - pl.duration(days=QUARTER_DAYS))
        .fill_null(False)
        .alias("heard_90d"),
    )


def moments(as_of: datetime, first: datetime, n: int = MONTHS_SHOWN) -> list[datetime]:
    """The first day of each of the last ``n`` months, then ``as_of`` itself (those after
    ``first``, the earliest event)."""
    start = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    points = []
    for k in range(n - 1, -1, -1):
        y, m = divmod(start.month - 1 - k, 12)
        points.append(start.replace(year=start.year + y, month=m + 1))
    points = [p for p in points if first < p < as_of] + [as_of]
    return points


def quarterly_check(events: pl.DataFrame, points: list[datetime]) -> pl.DataFrame:
    """At each moment M: active ties (an exchange in the 180 days before M) and how many of
    them heard from you in the 90 days before M."""
    rows = []
    for m in points:
        recent = events.filter(
            (pl.col("ts") < m) & (pl.col("ts") >= m - timedelta(days=ACTIVE_DAYS))
        )
        active = recent["contact"].n_unique()
        heard = recent.filter(
            (pl.col("direction") == "out") & (pl.col("ts") >= m - timedelta(days=QUARTER_DAYS))
        )["contact"].n_unique()
        rows.append({"at": m, "ties": active, "heard": heard})
    return pl.DataFrame(rows, schema={"at": pl.Datetime("us"), "ties": pl.Int64, "heard": pl.Int64})


def tie_section(stats: pl.DataFrame, events: pl.DataFrame, as_of: datetime) -> Section:
    section = Section("ties", "Your network by tie")
    counts = {t: 0 for t in TIERS}
    late = {t: 0 for t in TIERS}
    heard = {t: 0 for t in TIERS}
    for r in (
        stats.group_by("tier")
        .agg(pl.len().alias("n"), pl.col("past_rhythm").sum(), pl.col("heard_90d").sum())
        .iter_rows(named=True)
    ):
        counts[r["tier"]], late[r["tier"]], heard[r["tier"]] = (
            r["n"],
            r["past_rhythm"],
            r["heard_90d"],
        )
    section.tables.append(
        Table(
            "People by tie",
            ["tie", "people", "past their own rhythm", "heard from you in the last 90 days"],
            [[t, counts[t], late[t], heard[t]] for t in TIERS],
        )
    )
    section.notes.append(
        f"strong: {STRONG_MIN_EVENTS}+ exchanges both ways, the last within {ACTIVE_DAYS} days; "
        f"regular: another exchange within {ACTIVE_DAYS} days; dormant: none within "
        f"{ACTIVE_DAYS} days; never engaged: a connection only. The once-a-quarter check: "
        f"the share of strong and regular ties you wrote to in the {QUARTER_DAYS} days before "
        "each date."
    )
    if stats.height == 0:
        section.empty = "No contacts yet: import your history with `helpnext import linkedin EXPORT.zip` (or mbox, ics, vcard, csv)."
        return section
    section.charts.append(
        svg.stack(
            [(t, counts[t]) for t in TIERS],
            label="People by tie: " + ", ".join(f"{t} {counts[t]}" for t in TIERS),
        )
    )
    if events.height == 0:
        section.takeaway = (
            f"{plural(stats.height, 'connection')}, none with a message yet: import your "
            "messages (LinkedIn export with messages, `helpnext import mbox`) to see your ties."
        )
        return section
    _quarterly(section, events, as_of, counts, late)
    return section


def _quarterly(
    section: Section, events: pl.DataFrame, as_of: datetime, counts: dict, late: dict
) -> None:
    """The once-a-quarter check, month by month: its chart, its table and the takeaway."""
    check = quarterly_check(events, moments(as_of, events["ts"].min()))
    share = [h / t if t else None for h, t in zip(check["heard"], check["ties"], strict=True)]
    labels = [month(m) for m in check["at"][:-1]] + ["now"]
    section.charts.append(
        svg.lines(
            labels,
            [svg.Series("strong and regular ties heard from you in 90 days", share)],
            label="The once-a-quarter check, month by month",
        )
    )
    section.tables.append(
        Table(
            "The once-a-quarter check",
            ["on", "strong and regular ties", "heard from you in 90 days", "share"],
            [
                [day(m), t, h, pct(h, t)]
                for m, t, h in zip(check["at"], check["ties"], check["heard"], strict=True)
            ],
        )
    )
    active = counts["strong"] + counts["regular"]
    now = share[-1]
    before = share[-4] if len(share) >= 4 else share[0]
    then = check["at"][-4] if len(share) >= 4 else check["at"][0]
    if now is None:
        section.takeaway = (
            f"No strong or regular ties right now: nobody exchanged with you in the last "
            f"{ACTIVE_DAYS} days; {plural(counts['dormant'], 'dormant tie')} to revive."
        )
        return
    trend = ""
    if before is not None and len(share) > 1:
        word = "up" if now > before else "down" if now < before else "the same as"
        trend = f", {word} {'' if word == 'the same as' else 'from '}{before:.0%} on {day(then)}"
    section.takeaway = (
        f"{now:.0%} of your {plural(active, 'strong and regular tie')} heard from you in the "
        f"last {QUARTER_DAYS} days{trend}; {plural(sum(late.values()), 'tie')} past their own "
        "rhythm."
    )


def drifting_section(stats: pl.DataFrame) -> Section:
    section = Section("drifting", "Drifting")
    section.notes.append(
        "Ties with at least 4 exchanges both ways, quiet for 30 days to a year, furthest past "
        "their usual gap (days since the last exchange divided by the median gap between the "
        "days you were in touch, at least 7)."
    )
    drifting = (
        stats.filter(
            (pl.col("n") >= MIN_EVENTS)
            & (pl.col("n_in") > 0)
            & (pl.col("n_out") > 0)
            & pl.col("rhythm_days").is_not_null()
            & (pl.col("days_since") >= MIN_DAYS)
            & (pl.col("days_since") <= DRIFTING_MAX_DAYS)
        )
        .sort(["overdue", "n", "contact"], descending=[True, True, False])
        .head(DRIFTING_SHOWN)
    )
    if drifting.height == 0:
        section.empty = (
            "No tie is drifting: none with at least 4 exchanges both ways has been quiet for "
            "30 days to a year."
            if stats["n"].sum()
            else "No exchanges yet, so no rhythm to drift from: import your messages, mail or "
            "calendar (`helpnext import linkedin`, `import mbox`, `import ics`)."
        )
        return section
    top = drifting.row(0, named=True)
    n_late = int(stats["past_rhythm"].sum())
    section.takeaway = (
        f"{plural(n_late, 'tie')} past their own rhythm; furthest: {top['name']}, "
        f"{top['days_since']:.0f} days since you were last in touch though you usually talk "
        f"every ~{max(top['rhythm_days'], 1):.0f} days."
    )
    section.charts.append(
        svg.hbars(
            drifting["name"].to_list(),
            drifting["days_since"].to_list(),
            markers=drifting["rhythm_days"].to_list(),
            marker_name="usual gap (days); bar: days since the last exchange",
            label="The ties furthest past their usual rhythm",
        )
    )
    section.tables.append(
        Table(
            "Furthest past their rhythm",
            ["who", "company", "last contact", "days since", "usual gap (days)", "times over"],
            [
                [
                    r["name"],
                    r["company"] or "",
                    day(r["last_ts"]),
                    f"{r['days_since']:.0f}",
                    f"{r['rhythm_days']:.0f}",
                    f"{r['overdue']:.1f}",
                ]
                for r in drifting.iter_rows(named=True)
            ],
        )
    )
    return section
