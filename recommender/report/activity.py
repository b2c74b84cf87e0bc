"""Touches per month by channel (yours out, theirs in) and the give ledger both ways."""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from recommender.report import svg
from recommender.report.section import Section, Table, day, month, pct, plural

MONTHS_SHOWN = 24
RECENT_DAYS = 90
LEDGER_DAYS = 365
WAITING_SHOWN = 10


def month_starts(as_of: datetime, first: datetime, n: int = MONTHS_SHOWN) -> list[datetime]:
    """The first day of each month from ``first``'s (at most ``n`` back) to ``as_of``'s."""
    start = as_of.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    floor = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    out = []
    for k in range(n - 1, -1, -1):
        y, m = divmod(start.month - 1 - k, 12)
        moment = start.replace(year=start.year + y, month=m + 1)
        if moment >= floor:
            out.append(moment)
    return out


def _monthly(events: pl.DataFrame, starts: list[datetime], by: list[str]) -> pl.DataFrame:
    """Counts per month start and ``by`` (every month present, zero when empty)."""
    counted = (
        events.filter(pl.col("ts") >= starts[0])
        .with_columns(pl.col("ts").dt.truncate("1mo").alias("month"))
        .group_by("month", *by)
        .agg(pl.len().cast(pl.Int64).alias("n"))
    )
    return counted


def _grid(counted: pl.DataFrame, starts: list[datetime], key: dict) -> list[int]:
    """The counts of one (``key``) combination, one per month start."""
    part = counted
    for column, value in key.items():
        part = part.filter(pl.col(column) == value)
    found = dict(zip(part["month"].to_list(), part["n"].to_list(), strict=True))
    return [int(found.get(s, 0)) for s in starts]


def _window(events: pl.DataFrame, as_of: datetime, days: int, back: int = 0) -> pl.DataFrame:
    end = as_of - timedelta(days=days * back)
    return events.filter((pl.col("ts") < end) & (pl.col("ts") >= end - timedelta(days=days)))


def touches_section(events: pl.DataFrame, as_of: datetime) -> Section:
    section = Section("touches", "Touches per month")
    if events.height == 0:
        section.empty = (
            "No messages, mail or meetings yet (connections only): import them with "
            "`helpnext import linkedin EXPORT.zip` (messages.csv), `import mbox` or `import ics`."
        )
        return section
    starts = month_starts(as_of, events["ts"].min())
    counted = _monthly(events, starts, ["channel", "direction"])
    channels = (
        counted.group_by("channel")
        .agg(pl.col("n").sum())
        .sort(["n", "channel"], descending=[True, False])["channel"]
        .to_list()
    )
    series = []
    for i, channel in enumerate(channels):
        for direction in ("out", "in"):
            values = _grid(counted, starts, {"channel": channel, "direction": direction})
            series.append(svg.Series(channel, values, svg.color(i), below=direction == "in"))
    labels = [month(s) for s in starts]
    section.charts.append(
        svg.columns(
            labels,
            series,
            label="Touches per month by channel: from you above the line, to you below",
            sides=("from you", "to you"),
        )
    )
    rows = []
    for k, s in enumerate(starts):
        cells = [month(s)]
        for j in range(len(channels)):
            cells += [series[2 * j].values[k], series[2 * j + 1].values[k]]
        rows.append(cells)
    columns = ["month"] + [f"{c} {d}" for c in channels for d in ("from you", "to you")]
    section.tables.append(Table("Touches per month by channel", columns, rows))
    now, before = _window(events, as_of, RECENT_DAYS), _window(events, as_of, RECENT_DAYS, 1)
    out_now = int((now["direction"] == "out").sum())
    in_now = int((now["direction"] == "in").sum())
    out_before = int((before["direction"] == "out").sum())
    trend = (
        "up from" if out_now > out_before else "down from" if out_now < out_before else "as"
    ) + f" {out_before:,} in the {RECENT_DAYS} days before"
    main = channels[0]
    section.takeaway = (
        f"In the last {RECENT_DAYS} days you reached out {plural(out_now, 'time')} ({trend}) and "
        f"heard from people {plural(in_now, 'time')}: you started "
        f"{pct(out_now, out_now + in_now)} of the touches; mostly by {main}."
    )
    return section


def waiting(events: pl.DataFrame, people: pl.DataFrame) -> pl.DataFrame:
    """People who gave to you and have had no give back from you since (the plan's
    reciprocate rule), most gives waiting first."""
    gives = events.filter(pl.col("is_give"))
    back = (
        gives.filter(pl.col("direction") == "out")
        .group_by("contact")
        .agg(pl.col("ts").max().alias("your_last"))
    )
    return (
        gives.filter(pl.col("direction") == "in")
        .join(back, on="contact", how="left")
        .filter(pl.col("your_last").is_null() | (pl.col("ts") > pl.col("your_last")))
        .group_by("contact")
        .agg(
            pl.len().alias("waiting"),
            pl.col("ts").max().alias("their_last"),
            pl.col("channel").sort_by("ts").last().alias("what"),
            pl.col("your_last").first(),
        )
        .join(people.select("contact", "name", "company"), on="contact", how="inner")
        .sort(["waiting", "their_last", "contact"], descending=[True, True, False])
    )


def ledger_section(events: pl.DataFrame, people: pl.DataFrame, as_of: datetime) -> Section:
    section = Section("gives", "The give ledger")
    section.notes.append(
        "Gives: endorsements, recommendations, introductions and shared articles or postings, "
        "both ways. Waiting: they gave to you and you have given nothing back since."
    )
    gives = events.filter(pl.col("is_give"))
    if gives.height == 0:
        section.empty = (
            "No gives recorded yet: a LinkedIn export brings endorsements and recommendations "
            "(`helpnext import linkedin EXPORT.zip`); what you give is recorded by "
            "`helpnext done ID` and `helpnext log CONTACT --action share_article`."
        )
        return section
    starts = month_starts(as_of, gives["ts"].min())
    counted = _monthly(gives, starts, ["direction"])
    given = _grid(counted, starts, {"direction": "out"})
    received = _grid(counted, starts, {"direction": "in"})
    section.charts.append(
        svg.columns(
            [month(s) for s in starts],
            [
                svg.Series("you gave", given, svg.color(2)),
                svg.Series("they gave you", received, svg.color(1), below=True),
            ],
            label="Gives per month: yours above the line, theirs below",
            sides=("you gave", "they gave you"),
        )
    )
    section.tables.append(
        Table(
            "Gives per month",
            ["month", "you gave", "they gave you"],
            [[month(s), g, r] for s, g, r in zip(starts, given, received, strict=True)],
        )
    )
    owed = waiting(events, people)
    year = _window(gives, as_of, LEDGER_DAYS)
    n_out = int((year["direction"] == "out").sum())
    n_in = int((year["direction"] == "in").sum())
    section.takeaway = (
        f"In the last 12 months people gave to you {plural(n_in, 'time')} and you gave "
        f"{plural(n_out, 'time')}; {plural(owed.height, 'person', 'people')} "
        f"{'is' if owed.height == 1 else 'are'} still waiting for a give back."
    )
    top = owed.head(WAITING_SHOWN)
    if top.height:
        section.charts.append(
            svg.hbars(
                top["name"].to_list(),
                top["waiting"].to_list(),
                label="Who gave to you and has not had a give back: gives waiting",
                fill=svg.color(1),
            )
        )
    section.tables.append(
        Table(
            f"Waiting for a give back (top {WAITING_SHOWN})",
            ["who", "company", "gives waiting", "their last give", "what", "your last give"],
            [
                [
                    r["name"],
                    r["company"] or "",
                    r["waiting"],
                    day(r["their_last"]),
                    r["what"],
                    day(r["your_last"]) or "never",
                ]
                for r in top.iter_rows(named=True)
            ],
        )
    )
    return section
