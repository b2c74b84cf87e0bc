"""``--as-of`` values: a date, an ISO datetime or unix seconds, as naive UTC, from
1970-01-01 to a year past now (:mod:`pipelines.dates`).

Kept free of heavy imports: the feedback fast path parses dates too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pipelines.dates import check_as_of
from recommender.errors import UsageError


def parse_as_of(value: str | None) -> datetime | None:
    """``value`` as a naive UTC datetime (None when not given)."""
    if value is None:
        return None
    text = value.strip()
    try:
        if text.lstrip("-").replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(text), UTC).replace(tzinfo=None)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise UsageError(
            f"--as-of {value!r} is not a date: use YYYY-MM-DD, an ISO datetime or unix seconds"
        ) from None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    try:
        return check_as_of(parsed, f"--as-of {value!r}")
    except ValueError as err:
        raise UsageError(str(err)) from None
