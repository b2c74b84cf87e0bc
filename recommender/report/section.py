"""What a section of the report is: a title, a one-line takeaway computed from the data,
charts (inline SVG), and the plain table behind them; or an honest empty state saying
what is missing and which command fills it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class Table:
    caption: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)


@dataclass
class Section:
    key: str  # the HTML id
    title: str
    takeaway: str = ""
    charts: list[str] = field(
        default_factory=list
    )  # SVG strings, escaped by recommender.report.svg
    tables: list[Table] = field(default_factory=list)
    empty: str | None = None  # shown instead of charts when there is nothing to chart
    notes: list[str] = field(default_factory=list)  # small print: how it is computed


def pct(part: float, whole: float) -> str:
    return "n/a" if not whole else f"{part / whole:.0%}"


def day(ts: datetime | date | None) -> str:
    """'14 Mar 2024'."""
    return "" if ts is None else f"{ts.day} {ts:%b %Y}"


def short_day(ts: datetime | date) -> str:
    """'14 Mar'."""
    return f"{ts.day} {ts:%b}"


def month(ts: datetime | date) -> str:
    """'Mar 2024'."""
    return f"{ts:%b %Y}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
