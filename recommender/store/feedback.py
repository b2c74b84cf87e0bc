"""What the owner did with a suggestion: done, skipped, snoozed, never.

Each answer is one transaction: a row in ``suggestion_feedback``, the suggestion's status, and for
``done`` the give itself as an interaction (direction out; both people of an introduction),
so features and the give ledger see it. ``never`` also holds the person back for good
(``never_contacts``) until :func:`unnever`.

This module is on the path of ``helpnext done``: it imports neither polars nor
scikit-learn, so recording an answer stays well under half a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Protocol

from recommender.asof import parse_as_of
from recommender.errors import HelpnextError, NotFoundError, UsageError
from recommender.store.db import Store, utcnow

OUTCOMES = ("done", "skipped", "snoozed", "never")
# the suggestion status each outcome leaves
STATUS = {"done": "done", "skipped": "skipped", "snoozed": "snoozed", "never": "never"}
MAX_SNOOZE_DAYS = 365


class ActInfo(Protocol):
    """What ``done`` needs of an act (``recommender.actions.registry.Act``, passed in by
    the caller: the store sits below the acts and does not import them)."""

    gives: bool

    def done_channel(self, reason: str | None) -> str: ...


class AlreadyAnsweredError(HelpnextError):
    """The suggestion was answered before; an answer is not rewritten."""


@dataclass
class Answer:
    suggestion_id: int
    outcome: str
    contact_id: int
    action: str
    at: datetime
    feedback_id: int
    interaction_ids: list[int]
    snoozed_until: datetime | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def _channel_and_give(acts: Mapping[str, ActInfo], action: str, reason: str | None):
    """(the interaction channel, whether it is a give) that 'done' records for ``action``:
    a message and no give for an act the registry does not know."""
    found = acts.get(action)
    if found is None:
        return "message", False
    return found.done_channel(reason), found.gives


def record(
    store: Store,
    suggestion_id: int,
    outcome: str,
    *,
    acts: Mapping[str, ActInfo],
    note: str | None = None,
    days: int | None = None,
    at: datetime | None = None,
) -> Answer:
    """Record the owner's answer to suggestion ``suggestion_id`` (one transaction).

    ``acts``: the registry's acts by name (``recommender.actions.registry.BY_NAME``), for
    the channel and give flag of a 'done'. ``at`` is when it happened (default now). ``days`` is required for ``snoozed``.
    Raises :class:`NotFoundError` for an unknown id and :class:`AlreadyAnsweredError` for
    one answered before.
    """
    if outcome not in OUTCOMES:
        raise UsageError(f"outcome {outcome!r} is not one of: {', '.join(OUTCOMES)}")
    if outcome == "snoozed":
        if days is None or not 1 <= days <= MAX_SNOOZE_DAYS:
            raise UsageError(f"--days must be between 1 and {MAX_SNOOZE_DAYS}")
    at = at or utcnow()
    now = utcnow()
    with store.transaction() as con:
        owner, contact, action, item_id, partner, reason = _open_suggestion(store, suggestion_id)
        interaction_ids: list[int] = []
        if outcome == "done":
            interaction_ids = _record_give(
                store,
                suggestion_id,
                owner,
                contact,
                action,
                item_id,
                partner,
                _channel_and_give(acts, action, reason),
                note,
                at,
            )
        feedback_id = store.next_id("suggestion_feedback", "feedback_id")
        con.execute(
            """INSERT INTO suggestion_feedback (feedback_id, suggestion_id, owner_id, contact_id, outcome,
                   answered_at, note, snooze_days, interaction_id, created_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                feedback_id,
                suggestion_id,
                owner,
                contact,
                outcome,
                at,
                note,
                days if outcome == "snoozed" else None,
                interaction_ids[0] if interaction_ids else None,
                now,
            ],
        )
        until = at + timedelta(days=days) if outcome == "snoozed" else None
        con.execute(
            "UPDATE suggestions SET status = ?, status_at = ?, snoozed_until = ? "
            "WHERE suggestion_id = ?",
            [STATUS[outcome], at, until, suggestion_id],
        )
        if outcome == "never":
            con.execute(
                "INSERT INTO never_contacts (owner_id, contact_id, since, suggestion_id) "
                "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [owner, contact, at, suggestion_id],
            )
    return Answer(
        int(suggestion_id),
        outcome,
        int(contact),
        action,
        at,
        int(feedback_id),
        interaction_ids,
        until,
    )


def _open_suggestion(store: Store, suggestion_id: int) -> tuple:
    """(owner, contact, action, item, partner, reason) of an open suggestion; an unknown id
    is a :class:`NotFoundError`, one answered before an :class:`AlreadyAnsweredError`."""
    rows = store.con.execute(
        """SELECT s.owner_id, s.contact_id, s.action, s.item_id, s.partner_contact_id,
                  s.reason, s.status, s.status_at, s.as_of
           FROM suggestions s WHERE s.suggestion_id = ?""",
        [suggestion_id],
    ).fetchall()
    if not rows:
        raise NotFoundError(
            f"no suggestion #{suggestion_id}; `helpnext today` lists today's suggestions "
            "with their ids"
        )
    owner, contact, action, item_id, partner, reason, status, status_at, _shown = rows[0]
    if status != "open":
        when = f" on {status_at:%Y-%m-%d}" if status_at else ""
        raise AlreadyAnsweredError(
            f"suggestion #{suggestion_id} was already answered ({status}{when}); "
            "an answer is not changed"
        )
    return owner, contact, action, item_id, partner, reason


def _record_give(
    store: Store,
    suggestion_id: int,
    owner: int,
    contact: int,
    action: str,
    item_id: int | None,
    partner: int | None,
    channel_and_give: tuple[str, bool],
    note: str | None,
    at: datetime,
) -> list[int]:
    """The interaction(s) a 'done' stands for: to the contact, and to the partner of an
    introduction, on the act's channel (``channel_and_give``). Inside the caller's
    transaction."""
    con = store.con
    detail = None
    if item_id is not None:
        found = con.execute(
            "SELECT coalesce(url, title) FROM items WHERE item_id = ?", [item_id]
        ).fetchall()
        detail = found[0][0] if found else None
    if partner is not None and detail is None:
        found = con.execute(
            "SELECT display_name FROM contacts WHERE contact_id = ?", [partner]
        ).fetchall()
        detail = found[0][0] if found else None
    body = note or f"{action.replace('_', ' ')} (suggestion #{suggestion_id})"
    channel, is_give = channel_and_give
    people = [contact] + ([partner] if action == "introduce" and partner is not None else [])
    ids = []
    for person in people:
        if person != contact:  # the partner hears about the contact
            found = con.execute(
                "SELECT display_name FROM contacts WHERE contact_id = ?", [contact]
            ).fetchall()
            person_detail = found[0][0] if found else None
        else:
            person_detail = detail
        uid = hashlib.md5(f"feedback|{suggestion_id}|{person}".encode()).hexdigest()
        new_id = store.next_id("interactions", "interaction_id")
        con.execute(
            """INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel,
                   direction, is_give, thread, n_participants, body, detail)
               VALUES (?, ?, ?, ?, ?, ?, 'out', ?, NULL, 2, ?, ?)""",
            [new_id, uid, owner, person, at, channel, is_give, body, person_detail],
        )
        ids.append(new_id)
    return ids


def unnever(store: Store, contact: int) -> bool:
    """Let ``contact`` be suggested again. True when they were held back."""
    with store.transaction() as con:
        found = con.execute(
            "SELECT count(*) FROM never_contacts WHERE contact_id = ?", [contact]
        ).fetchall()[0][0]
        con.execute("DELETE FROM never_contacts WHERE contact_id = ?", [contact])
    return bool(found)


def never_contacts(store: Store, owner: int) -> set[int]:
    rows = store.con.execute(
        "SELECT contact_id FROM never_contacts WHERE owner_id = ?", [owner]
    ).fetchall()
    return {int(r[0]) for r in rows}


# -- the fast path of ``helpnext done|skip|snooze|never`` --------------------------------------

VERBS = {"done": "done", "skip": "skipped", "snooze": "snoozed", "never": "never"}
SAID = {"done": "done", "skipped": "skipped", "snoozed": "snoozed", "never": "set to never"}


def describe(answer: Answer) -> str:
    """The line the feedback commands print for an answer."""
    extra = ""
    if answer.interaction_ids:
        n = len(answer.interaction_ids)
        extra = f"; recorded {n} give{'s' if n > 1 else ''}"
    if answer.snoozed_until:
        extra = f"; back after {answer.snoozed_until:%Y-%m-%d}"
    if answer.outcome == "never":
        extra = f"; contact #{answer.contact_id} is held back (undo: unnever {answer.contact_id})"
    return f"Suggestion #{answer.suggestion_id} {SAID[answer.outcome]}{extra}."


def fast_cli(argv: list[str], acts: Mapping[str, ActInfo]) -> int | None:
    """Answer ``[--home DIR] done|skip|snooze|never ID [--note T] [--as-of D] [--days N]
    [--json]`` without loading Typer, Rich or Pydantic (a third of a second of start-up).

    Returns the exit code, or None when ``argv`` is anything else (help, other commands,
    an option it does not know): the caller then runs the full command line, which gives
    the same answer for these commands, only later. ``acts``: as for :func:`record`.
    """
    import json
    import sys

    args = list(argv)
    home = None
    if args[:1] == ["--home"] and len(args) >= 2:
        home, args = args[1], args[2:]
    if not args or args[0] not in VERBS or len(args) < 2 or not args[1].isdigit():
        return None
    verb, suggestion_id, rest = args[0], int(args[1]), args[2:]
    options: dict[str, str | bool] = {}
    takes_value = {"--note", "--as-of", "--date", "--days", "--home"}
    while rest:
        name = rest.pop(0)
        if name == "--json":
            options["json"] = True
        elif name in takes_value and rest:
            options[name] = rest.pop(0)
        else:
            return None
    if "--days" in options and not str(options["--days"]).isdigit():
        return None
    if ("--days" in options) != (verb == "snooze") or ("--note" in options and verb != "done"):
        return None  # let the full command line say what is wrong
    from recommender.errors import HelpnextError
    from recommender.store.db import open_store

    try:
        when = options.get("--as-of") or options.get("--date")
        at = parse_as_of(str(when)) if when else None
        days = int(options["--days"]) if "--days" in options else None
        if days is not None and not 1 <= days <= MAX_SNOOZE_DAYS:
            return None
        with open_store(options.get("--home") or home) as store:
            answer = record(
                store,
                suggestion_id,
                VERBS[verb],
                acts=acts,
                note=options.get("--note"),
                days=days,
                at=at,
            )
    except HelpnextError as err:
        sys.stderr.write(f"helpnext: error: {err}\n")
        return err.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("helpnext: error: interrupted; the unfinished command changed nothing\n")
        return 130
    if options.get("json"):
        sys.stdout.write(
            json.dumps(answer.as_dict(), indent=2, default=str, ensure_ascii=False) + "\n"
        )
    else:
        sys.stdout.write(describe(answer) + "\n")
    return 0
