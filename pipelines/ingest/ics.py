"""Calendar: an iCalendar ``.ics`` file (Google Calendar, Outlook, Apple), via ``icalendar``.

Each meeting with attendees is an interaction (channel ``meeting``) with every other
attendee who did not decline (``PARTSTAT=DECLINED``; rooms and resources are not people).
Recurring events are expanded with ``recurring-ical-events`` up to the import time, each
keeping at most its last 1,000 occurrences (:mod:`pipelines.ingest.recurrence`); only
occurrences that have started count. Times honour their zone (``TZID``, ``VTIMEZONE``,
``X-WR-TIMEZONE`` for floating times) and are stored as naive UTC; all-day events start at
midnight UTC. Direction: ``out`` when the owner organised it (or nobody is named as
organiser), ``in`` when someone else did. ``thread`` is the event UID.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.placeholders import is_placeholder_address
from pipelines.ingest.recurrence import MAX_OCCURRENCES, Expansion, occurrences
from pipelines.ingest.text import own_addresses, read_text, sha256_bytes

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NOT_PEOPLE = {"ROOM", "RESOURCE"}
# a value that does not parse in one of these is an error; elsewhere it is ignored (counted)
ESSENTIAL = {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "ATTENDEE", "ORGANIZER"}


def _address(value) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    text = re.sub(r"^mailto:", "", text, flags=re.IGNORECASE).strip().lower()
    return text if _EMAIL.match(text) else None


def _param(value, name: str) -> str | None:
    params = getattr(value, "params", None) or {}
    got = params.get(name)
    return str(got) if got is not None else None


def _utc(value, floating_tz) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=floating_tz)
        return value.astimezone(UTC).replace(tzinfo=None)
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise TypeError(f"not a date: {value!r}")


def _check_shape(text: str, path: Path) -> None:
    lines = text.splitlines()
    first = next(((i, ln) for i, ln in enumerate(lines, 1) if ln.strip()), None)
    if first is None:
        raise InputError(path, "the file is empty")
    if first[1].strip().upper() != "BEGIN:VCALENDAR":
        raise InputError(
            path,
            "not an iCalendar file: it should start with BEGIN:VCALENDAR "
            "(export the calendar as .ics)",
            line=first[0],
        )
    last = next(
        (
            (i, ln)
            for i, ln in zip(range(len(lines), 0, -1), reversed(lines), strict=True)
            if ln.strip()
        ),
    )
    if last[1].strip().upper() != "END:VCALENDAR":
        raise InputError(
            path,
            "the calendar does not end with END:VCALENDAR: the file looks truncated",
            line=last[0],
        )


_EMPTY_TZID_PARAM = re.compile(r';TZID=(?:""|)(?=[;:])', re.IGNORECASE)
_EMPTY_TZID_LINE = re.compile(r"^TZID:[ \t]*(\r?)$", re.IGNORECASE | re.MULTILINE)
_WR_TIMEZONE = re.compile(
    r"^X-WR-TIMEZONE:[ \t]*([^\r\n]+?)[ \t]*\r?$", re.IGNORECASE | re.MULTILINE
)


def _fill_empty_tzid(text: str) -> tuple[str, int, str]:
    """Exchange 2010 and others write ``TZID:`` / ``DTSTART;TZID="":...`` with no zone name,
    which iCalendar readers refuse. Name the calendar's ``X-WR-TIMEZONE`` there when it is a
    known zone, else UTC. Returns (text, how many empty TZIDs were filled, the zone used).
    Lines are edited in place, so line numbers stay those of the file."""
    n = len(_EMPTY_TZID_PARAM.findall(text)) + len(_EMPTY_TZID_LINE.findall(text))
    if not n:
        return text, 0, ""
    zone = "UTC"
    found = _WR_TIMEZONE.search(text)
    if found:
        try:
            ZoneInfo(found.group(1))
            zone = found.group(1)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    text = _EMPTY_TZID_PARAM.sub(f";TZID={zone}", text)
    text = _EMPTY_TZID_LINE.sub(lambda m: f"TZID:{zone}{m.group(1)}", text)
    return text, n, zone


def _parse_error_line(text: str, err: Exception) -> int | None:
    quoted = re.search(r"'([^']{4,})'", str(err))
    if not quoted:
        return None
    needle = quoted.group(1).splitlines()[0][:60]
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    return None


def read_ics(path: Path, me: list[str], now: datetime | None = None) -> ImportBatch:
    path = Path(path)
    mine = own_addresses(me, "give your own address with --me (as the calendar names you)")
    text, raw = read_text(path)
    _check_shape(text, path)
    text, empty_tzids, fallback_zone = _fill_empty_tzid(text)
    calendars, ignored_errors = _parse_calendars(path, text)
    now = now or datetime.now(UTC).replace(tzinfo=None)
    meetings = _Meetings(mine, now)
    expansion = Expansion()
    for cal in calendars:
        floating_tz = _floating_zone(cal)
        try:
            for event in occurrences(cal, now, expansion):
                meetings.read_event(event, floating_tz)
        except (ValueError, TypeError, KeyError, OverflowError) as err:
            raise InputError(path, f"cannot expand the events ({str(err)[:80]})") from None
    details, notes = _details_and_notes(
        meetings, expansion, ignored_errors, empty_tzids, fallback_zone
    )
    common = {
        "source_kind": "ics",
        "label": path.name,
        "sha256": sha256_bytes(raw),
        "owner_aliases": [("email", m) for m in sorted(mine)],
        "rows_read": meetings.events,
        "rows_skipped": sum(meetings.skipped.values()),
        "details": details,
        "notes": notes,
    }
    if not meetings.cols["ref"]:
        # a valid calendar without meetings to learn from: nothing to import, not an error
        what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(meetings.skipped.items()))
        notes.insert(
            0,
            f"nothing to import: no past meeting with other attendees among {meetings.events} "
            "events" + (f" ({what})" if what else ""),
        )
        return ImportBatch(people=pl.DataFrame(), interactions=pl.DataFrame(), empty=True, **common)
    return ImportBatch(
        people=meetings.people(), interactions=meetings.interactions(), as_of=now, **common
    )


def _parse_calendars(path: Path, text: str) -> tuple[list, int]:
    """The calendars of ``text`` and how many minor properties could not be parsed (ignored);
    an error in an essential property, or an event with no start, is an :class:`InputError`
    naming the line."""
    import icalendar

    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except (ValueError, KeyError, IndexError) as err:
        message = str(err).splitlines()[0][:120]
        raise InputError(
            path, f"not valid iCalendar ({message})", line=_parse_error_line(text, err)
        ) from None
    ignored_errors = 0
    for cal in calendars:
        for component in cal.walk():
            for prop, problem in getattr(component, "errors", None) or []:
                if prop is not None and str(prop).upper() not in ESSENTIAL:
                    ignored_errors += 1  # e.g. Google's CREATED:00001231T000000Z
                    continue
                err = ValueError(problem)
                reason = str(problem).split(": ")[0][:120]
                raise InputError(
                    path,
                    f"not valid iCalendar in a {component.name} ({reason})",
                    line=_parse_error_line(text, err),
                )
            if component.name == "VEVENT" and component.get("DTSTART") is None:
                uid = str(component.get("UID", ""))
                raise InputError(
                    path,
                    "an event has no DTSTART (start time)" + (f": UID {uid}" if uid else ""),
                    line=_parse_error_line(text, ValueError(f"'{uid}'")) if uid else None,
                )
    return calendars, ignored_errors


def _floating_zone(cal):
    """The zone a calendar's floating times are read in: its X-WR-TIMEZONE, else UTC."""
    wr_tz = cal.get("X-WR-TIMEZONE")
    if wr_tz:
        try:
            return ZoneInfo(str(wr_tz))
        except (ZoneInfoNotFoundError, ValueError):
            return UTC
    return UTC


class _Meetings:
    """The past meetings read so far: one interaction row per other attendee, their names,
    and the counts of events read, skipped (by reason) and placeholder attendees."""

    def __init__(self, mine: set[str], now: datetime):
        self.mine = mine
        self.now = now
        self.names: dict[str, str | None] = {}
        self.cols: dict[str, list] = {
            k: []
            for k in ("ref", "uid_key", "ts", "direction", "thread", "n_participants", "subject")
        }
        self.skipped: dict[str, int] = {}
        self.events = 0
        self.placeholders = 0

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def read_event(self, event, floating_tz) -> None:
        if event.name != "VEVENT":
            return
        self.events += 1
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            self.skip("cancelled")
            return
        start = event.get("DTSTART")
        if start is None:
            self.skip("no_start")
            return
        ts = _utc(start.dt, floating_tz)
        if ts >= self.now:
            self.skip("future")
            return
        people, declined_by_me, organizer = self._attendees(event)
        if declined_by_me:
            self.skip("declined_by_me")
            return
        if not people:
            self.skip("no_other_attendees")
            return
        direction = "in" if organizer and organizer not in self.mine else "out"
        uid = str(event.get("UID") or f"{ts.isoformat()}|{event.get('SUMMARY')}")
        summary = str(event.get("SUMMARY")) if event.get("SUMMARY") else None
        cols = self.cols
        for addr, cn in people.items():
            if self.names.get(addr) is None:
                self.names[addr] = cn
            cols["ref"].append(addr)
            cols["uid_key"].append(f"ics:{uid}:{ts.isoformat()}:{addr}")
            cols["ts"].append(ts)
            cols["direction"].append(direction)
            cols["thread"].append(uid)
            cols["n_participants"].append(len(people) + 1)
            cols["subject"].append(summary)

    def _attendees(self, event) -> tuple[dict[str, str | None], bool, str | None]:
        """(the other people who did not decline -> their CN, whether the owner declined,
        the organizer's address)."""
        mine = self.mine
        attendees = event.get("ATTENDEE") or []
        if not isinstance(attendees, list):
            attendees = [attendees]
        organizer = _address(event.get("ORGANIZER"))
        people: dict[str, str | None] = {}
        declined_by_me = False
        for att in attendees:
            addr = _address(att)
            if addr is None or (_param(att, "CUTYPE") or "").upper() in NOT_PEOPLE:
                continue
            if is_placeholder_address(addr):
                self.placeholders += 1
                continue
            declined = (_param(att, "PARTSTAT") or "").upper() == "DECLINED"
            if addr in mine:
                declined_by_me = declined_by_me or declined
                continue
            if not declined:
                people.setdefault(addr, _param(att, "CN"))
        if organizer and is_placeholder_address(organizer):
            self.placeholders += 1
            organizer = None
        if organizer and organizer not in mine:
            people.setdefault(organizer, _param(event.get("ORGANIZER"), "CN"))
        return people, declined_by_me, organizer

    def interactions(self) -> pl.DataFrame:
        cols = self.cols
        return pl.DataFrame(
            {**cols, "channel": pl.repeat("meeting", len(cols["ref"]), eager=True)},
            schema_overrides={"ts": pl.Datetime("us"), "n_participants": pl.Int32},
        )

    def people(self) -> pl.DataFrame:
        names = self.names
        return pl.DataFrame(
            {
                "ref": list(names),
                "display_name": [
                    (n.strip() if n and n.strip() and "@" not in n else a) for a, n in names.items()
                ],
                "emails": [[a] for a in names],
            }
        )


def _details_and_notes(
    meetings: _Meetings,
    expansion: Expansion,
    ignored_errors: int,
    empty_tzids: int,
    fallback_zone: str,
) -> tuple[dict, list[str]]:
    """The import's details and the notes it shows (empty TZIDs, capped rules, placeholders)."""
    details = {
        "occurrences": meetings.events,
        "skipped": meetings.skipped,
        "unparsed_minor_properties": ignored_errors,
        "placeholder_attendees": meetings.placeholders,
    }
    notes = []
    if empty_tzids:
        details["empty_tzid"] = {"count": empty_tzids, "read_as": fallback_zone}
        notes.append(
            f"{empty_tzids} empty TZID{'s' if empty_tzids > 1 else ''} read as {fallback_zone}"
        )
    if expansion.rules_capped:
        details["recurring"] = {
            "occurrences_kept": expansion.recurring_kept,
            "rules_capped": expansion.rules_capped,
            "cap_per_rule": MAX_OCCURRENCES,
        }
        notes.append(
            f"{expansion.rules_capped:,} recurring event{'s' if expansion.rules_capped > 1 else ''}"
            f" capped at the last {MAX_OCCURRENCES:,} occurrences each "
            f"({expansion.recurring_kept:,} kept; older ones left out)"
        )
    if meetings.placeholders:
        notes.append(
            f"{meetings.placeholders} placeholder attendees (e.g. unknownorganizer@) left out"
        )
    return details, notes
