"""Recurring calendar events, expanded with a bound on the work any one rule can cause.

``recurring-ical-events`` expands a rule from its DTSTART (dateutil builds the whole list
of starts in the asked span), so ``RRULE:FREQ=MINUTELY`` with no end, from 1900, asks for
tens of millions of occurrences. Here each recurring event keeps at most
:data:`MAX_OCCURRENCES`, its most recent ones:

* a rule that repeats weekly or faster (a fixed period in wall-clock time) is read over
  its last :data:`MAX_OCCURRENCES` periods before it ends (its UNTIL, or now): its start is
  moved forward by whole periods, which gives the same occurrences in that span without
  walking the ones before it; a rule with a COUNT over :data:`MAX_COUNT` is read as
  endless;
* the most occurrences the rule can then give is bounded from its frequency and BY-lists
  (:func:`_most`). Up to :data:`DIRECT_LIMIT`, they are expanded at once and the last
  :data:`MAX_OCCURRENCES` kept; above it (several a second: a hostile rule) they are taken
  span by span from the start (an hour, doubling up to 30 days, so no span holds more than
  30 days of them) and reading stops at the cap.

A weekly meeting keeps its last 1000 weeks (19 years), a daily one its last 1000 days.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

MAX_OCCURRENCES = 1000  # per recurring event
MAX_COUNT = 10_000  # a COUNT above this is read as no end (then capped as above)
DIRECT_LIMIT = 50_000  # occurrences a rule may give to be expanded in one go
# wall-clock days a period spans at the most, by dateutil frequency (YEARLY=0 ... SECONDLY=6)
_DAYS_PER_PERIOD = {0: 366, 1: 31, 2: 7, 3: 1, 4: 1, 5: 1, 6: 1}
_FIRST_SPAN = timedelta(hours=1)
_MAX_SPAN = timedelta(days=30)
_EARLIEST = datetime(1900, 1, 1)
# dateutil's frequency numbers (YEARLY=0 ... SECONDLY=6) for the fixed-period ones
_PERIOD = {
    2: timedelta(weeks=1),
    3: timedelta(days=1),
    4: timedelta(hours=1),
    5: timedelta(minutes=1),
    6: timedelta(seconds=1),
}


@dataclass
class Expansion:
    """What the expansion kept: occurrences of recurring events, and how many rules hit
    the cap (or were moved forward, their older occurrences not read)."""

    recurring_kept: int = 0
    rules_capped: int = 0


def _wall(value: datetime, start: datetime) -> datetime:
    """``value`` (naive means UTC) in the wall-clock time of ``start`` (a rule's DTSTART)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(start.tzinfo or UTC).replace(tzinfo=None)


def _bounded(rule, now: datetime):
    """``rule`` (a dateutil rrule) started no earlier than its last MAX_OCCURRENCES
    periods; (rule, whether it was moved)."""
    period = _PERIOD.get(rule._freq)
    if period is None:
        return rule, False  # monthly, yearly: at most 12 periods a year from DTSTART
    count = rule._count
    if count is not None and count > MAX_COUNT:
        rule = _replace(rule, count=None)
        count = None
    if count is not None:
        return rule, False  # at most MAX_COUNT occurrences from DTSTART
    start = rule._dtstart
    if not isinstance(start, datetime):
        return rule, False
    step = period * rule._interval
    naive_start = start.replace(tzinfo=None)
    # the last MAX_OCCURRENCES periods before now (not included) or up to UNTIL (included)
    target = _wall(now, start) - step * MAX_OCCURRENCES
    until = rule._until  # dateutil's own: a datetime in the zone of DTSTART
    if isinstance(until, datetime):
        until = until if until.tzinfo is None else _wall(until, start)
        target = min(target, until - step * (MAX_OCCURRENCES - 1))
    if target <= naive_start:
        return rule, False
    skip = math.ceil((target - naive_start) / step)
    moved = naive_start + step * skip
    return _replace(rule, dtstart=moved.replace(tzinfo=start.tzinfo)), True


def _replace(rule, **changes):
    new = rule.replace(**changes)
    new.string = getattr(rule, "string", "")
    new.until = getattr(rule, "until", None)
    return new


def _most(rule, now: datetime) -> int:
    """The most occurrences ``rule`` (a dateutil rrule, after :func:`_bounded`) can give
    from its start to ``now``: periods x days a period x times a day it names."""
    start = rule._dtstart
    span = _wall(now, start) - start.replace(tzinfo=None)
    if span <= timedelta(0):
        return 0
    period = _PERIOD.get(rule._freq)
    if period is not None:
        periods = math.ceil(span / (period * rule._interval))
    else:  # months or years
        months = span.days / 28 + 1
        periods = math.ceil(months / (rule._interval * (12 if rule._freq == 0 else 1)))
    # a period of an hour or less holds one of its own unit, times the finer BY-lists
    finer = {4: ("_byminute", "_bysecond"), 5: ("_bysecond",), 6: ()}.get(
        rule._freq, ("_byhour", "_byminute", "_bysecond")
    )
    per_period = _DAYS_PER_PERIOD[rule._freq]
    for name in finer:
        values = getattr(rule, name, None)
        per_period *= len(values) if values else 1
    most = periods * per_period
    return min(most, rule._count) if rule._count else most


def occurrences(calendar, now: datetime, stats: Expansion) -> Iterator:
    """The occurrences (icalendar components) of ``calendar``'s events up to ``now``
    (naive UTC), each recurring event bounded as the module says."""
    import recurring_ical_events

    query = recurring_ical_events.of(calendar)
    for series in query.series:
        recurrence = series.recurrence
        rules = getattr(recurrence, "rrules", [])
        if len(rules) <= 1:  # no RRULE: the event itself, its RDATEs and modifications
            for occurrence in series.between(_EARLIEST, now):
                yield occurrence.as_component(query.keep_recurrence_attributes)
            continue
        moved = False
        for i, rule in enumerate(rules):
            if i:  # rules[0] is the set of RDATEs and DTSTART
                rules[i], was_moved = _bounded(rule, now)
                moved = moved or was_moved
        if moved:  # the event's own start is older than the periods kept: left out too
            rules[0]._rdate = [d for d in rules[0]._rdate if d != recurrence.start]
        if sum(_most(rule, now) for rule in rules[1:]) <= DIRECT_LIMIT:
            found = sorted(series.between(_EARLIEST, now))
            capped = len(found) > MAX_OCCURRENCES
            found = found[-MAX_OCCURRENCES:]  # the most recent
            kept = len(found)
            for occurrence in found:
                yield occurrence.as_component(query.keep_recurrence_attributes)
        else:
            kept = yield from _span_by_span(query, series, rules, now)
            capped = kept >= MAX_OCCURRENCES
        stats.recurring_kept += kept
        stats.rules_capped += int(moved or capped)


def _span_by_span(query, series, rules, now: datetime):
    """Yield the first MAX_OCCURRENCES occurrences of ``series``, span by span; return
    how many."""
    # before the first rule starts: the event's own start, RDATEs, modifications
    first = min(r._dtstart.replace(tzinfo=None) for r in rules[1:]) - timedelta(days=1)
    seen: set = set()
    kept = 0
    lo, span = max(first, _EARLIEST), _FIRST_SPAN
    spans = [(_EARLIEST, lo)] if lo > _EARLIEST else []
    while kept < MAX_OCCURRENCES and (spans or lo < now):
        if spans:
            span_lo, span_hi = spans.pop()
        else:
            span_lo, span_hi = lo, min(lo + span, now)
            lo, span = span_hi, min(span * 2, _MAX_SPAN)
        for occurrence in series.between(span_lo, span_hi):
            if occurrence.id in seen:
                continue  # on the edge of two spans
            seen.add(occurrence.id)
            kept += 1
            yield occurrence.as_component(query.keep_recurrence_attributes)
            if kept >= MAX_OCCURRENCES:
                break
    return kept
