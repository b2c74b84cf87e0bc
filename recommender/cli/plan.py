"""The daily plan and your answers to it: ``helpnext today``, ``done``, ``skip``,
``snooze`` and ``never``.

The answers are a hot path (one per suggestion answered): they import only the store and
:mod:`recommender.store.feedback`, never polars or scikit-learn.
"""

from __future__ import annotations

from typing import Annotated

import typer

from recommender.cli.common import (
    AsOfOption,
    HomeOption,
    JsonOption,
    console,
    parse_as_of,
    print_json,
    resolve_home,
)
from recommender.cli.render import render_plan


def today(
    n: Annotated[int, typer.Option("--n", min=1, max=50, help="How many people.")] = 5,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Today's plan: who to help, one concrete give-first act each, and why."""
    from recommender.plan.daily import build_plan
    from recommender.store.db import open_store

    moment = parse_as_of(as_of)
    with open_store(resolve_home(home)) as store:
        plan = build_plan(store, moment, n=n)
    if as_json:
        print_json(
            {
                "as_of": plan.as_of,
                "model_version": plan.model_version,
                "suggestions": plan.as_dicts(),
                "message": plan.message,
            }
        )
        return
    render_plan(plan)


IdArgument = Annotated[int, typer.Argument(help="The suggestion id `helpnext today` showed.")]
WhenOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        "--date",
        help="When you did it (YYYY-MM-DD or an ISO datetime; default: now).",
        show_default=False,
    ),
]


def _answer(
    suggestion_id: int,
    outcome: str,
    home,
    as_json: bool,
    when: str | None,
    note: str | None = None,
    days: int | None = None,
) -> None:
    from recommender.actions.registry import BY_NAME
    from recommender.store.db import open_store
    from recommender.store.feedback import describe, record

    with open_store(resolve_home(home)) as store:
        answer = record(
            store, suggestion_id, outcome, acts=BY_NAME, note=note, days=days, at=parse_as_of(when)
        )
    if as_json:
        print_json(answer.as_dict())
        return
    console.print(describe(answer))


def done(
    suggestion_id: IdArgument,
    note: Annotated[
        str | None, typer.Option("--note", help="What you did, in a few words.")
    ] = None,
    when: WhenOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """You did it: records the give (an interaction from you) and teaches the ranker."""
    _answer(suggestion_id, "done", home, as_json, when, note=note)


def skip(
    suggestion_id: IdArgument,
    when: WhenOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Not this one: the ranker learns you would rather not."""
    _answer(suggestion_id, "skipped", home, as_json, when)


def snooze(
    suggestion_id: IdArgument,
    days: Annotated[int, typer.Option("--days", min=1, max=365, help="Ask again after N days.")],
    when: WhenOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Later: hold this person back for N days (no lesson for the ranker)."""
    _answer(suggestion_id, "snoozed", home, as_json, when, days=days)


def never(
    suggestion_id: IdArgument,
    when: WhenOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Never suggest this person again (undo with `helpnext unnever CONTACT`)."""
    _answer(suggestion_id, "never", home, as_json, when)
