"""The dates helpnext accepts: from 1970-01-01 to one year past now (naive UTC).

Every importer checks its dates against this range at the edge, so the store never holds a
value a later command cannot read (``01 Jan 0000`` parses in Polars but not in Python,
an edge timestamp of 1e14 seconds overflows microseconds), nor one that makes no sense
for a contact's history (1900, 2099). ``--as-of`` is held to the same range.
Kept free of heavy imports at load (``--as-of`` parsing uses it).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

EARLIEST = datetime(1970, 1, 1)
# a birthday (Apple writes 1604 for one without a year), or a position someone held, may
# be older than the first message
EARLIEST_DAY = date(1600, 1, 1)
AHEAD = timedelta(days=366)


def latest(now: datetime | None = None) -> datetime:
    """The last accepted moment: one year past ``now`` (default: the clock)."""
    return (now or datetime.now(UTC).replace(tzinfo=None)) + AHEAD


def span_text(first: datetime | date = EARLIEST, last: datetime | None = None) -> str:
    return f"{first:%Y-%m-%d} to {(last or latest()):%Y-%m-%d}"


def outside(column: str, first: datetime | date = EARLIEST, last: datetime | None = None):
    """True where ``column`` (a Datetime or Date) holds a value outside the range."""
    import polars as pl  # here: ``--as-of`` parsing stays light (the feedback fast path)

    last = last or latest()
    col = pl.col(column)
    if isinstance(first, date) and not isinstance(first, datetime):
        return col.is_not_null() & ((col < first) | (col > last.date()))
    return col.is_not_null() & ((col < first) | (col > last))


def check_as_of(when: datetime, what: str) -> datetime:
    """``when`` when it is in range, else ValueError saying the range."""
    if not EARLIEST <= when <= latest():
        raise ValueError(f"{what} is outside {span_text()}")
    return when
