"""``helpnext today`` / ``show`` / ``log``, and ``helpnext import articles|jobs``."""

from __future__ import annotations

from pathlib import Path
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

ACTION_LABELS = {
    "share_article": "share article",
    "introduce": "introduce",
    "send_job": "send job",
    "congratulate": "congratulate",
    "reciprocate": "give back",
    "check_in": "check in",
}


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


def render_plan(plan) -> None:
    """The plan as a Rich table (or its message when there is nothing to suggest)."""
    if plan.message:
        console.print(plan.message)
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"Today's plan, as of {plan.as_of:%d %b %Y}", show_lines=True, expand=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("who", ratio=2)
    table.add_column("act", ratio=3)
    table.add_column("why", ratio=5)
    table.add_column("score", justify="right", no_wrap=True)
    for s in plan.as_dicts():
        who = s["name"] + (f"\n{s['company']}" if s["company"] else "")
        act = ACTION_LABELS.get(s["action"], s["action"])
        if s["item"]:
            act += f": {s['item']['title']}" + (f"\n{s['item']['url']}" if s["item"]["url"] else "")
        elif s["partner"]:
            act += f" to {s['partner']['name']}"
        if s["status"] and s["status"] != "open":
            act += f" ({s['status']})"
        table.add_row(
            str(s["id"]),
            escape(who),
            escape(act),
            escape(s["reason"])
            + (f"\n[dim]ranked by {escape(s['ranked_by'])}[/dim]" if s.get("ranked_by") else ""),
            f"{s['score']:.2f}",
        )
    console.print(table)
    console.print(
        "Answer by #: `helpnext done ID` (or skip / snooze ID --days N / never ID); "
        "it learns what you follow through on."
    )


def _fmt_day(ts) -> str:
    return "" if ts is None else f"{ts:%Y-%m-%d}"


def show(
    contact: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    as_of: AsOfOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """One contact: recent timeline, rhythm, the give ledger both ways, tags and notes,
    open suggestions."""
    from recommender.plan.daily import contact_card
    from recommender.store.db import open_store
    from recommender.store.lookup import find_contact

    with open_store(resolve_home(home), read_only=True) as store:
        card = contact_card(store, find_contact(store, contact), parse_as_of(as_of))
    if as_json:
        print_json(card)
        return
    from rich.table import Table

    info, rhythm = card["contact"], card["rhythm"]
    role = " at ".join(p for p in (info["position"], info["company"]) if p)
    console.print(
        f"[bold]{info['name']}[/bold] (#{info['contact_id']})" + (f", {role}" if role else "")
    )
    if rhythm["n_events"]:
        usual = (
            f"usually every ~{rhythm['rhythm_days']:.0f} days; " if rhythm["rhythm_days"] else ""
        )
        console.print(
            f"{rhythm['n_events']} exchanges ({rhythm['n_out']} from you, {rhythm['n_in']} to you) "
            f"since {_fmt_day(rhythm['first_ts'])}; {usual}last {_fmt_day(rhythm['last_ts'])} "
            f"({rhythm['days_since']:.0f} days ago)"
        )
    else:
        console.print("No exchanges recorded yet.")
    if card["tags"]:
        console.print("Tags: " + ", ".join(card["tags"]))
    for note in card["notes"]:
        console.print(f"Note ({note['kind']}): {note['text']}")
    ledger = Table(title="Gives", show_edge=False)
    for column in ("date", "who gave", "what"):
        ledger.add_column(column)
    for g in sorted(card["gives_in"] + card["gives_out"], key=lambda g: g["ts"], reverse=True):
        who = "they gave you" if g["direction"] == "in" else "you gave"
        ledger.add_row(
            _fmt_day(g["ts"]),
            who,
            " ".join(
                p for p in (g["channel"], g["detail"] or g["subject"] or g["body"] or "") if p
            ),
        )
    console.print(
        f"Give ledger: {len(card['gives_in'])} from them, {len(card['gives_out'])} from you"
    )
    if ledger.row_count:
        console.print(ledger)
    if card["timeline"]:
        timeline = Table(title="Recent", show_edge=False)
        for column in ("date", "", "channel", "text"):
            timeline.add_column(column)
        for t in card["timeline"]:
            text = t["subject"] or t["body"] or t["detail"] or ""
            arrow = "->" if t["direction"] == "out" else "<-"
            timeline.add_row(_fmt_day(t["ts"]), arrow, t["channel"], text[:70])
        console.print(timeline)
    for s in card["open_suggestions"]:
        extra = s["item"] or (f"with {s['partner']}" if s["partner"] else "")
        console.print(
            f"Open suggestion #{s['id']} ({_fmt_day(s['as_of'])}): {s['action']} {extra} - {s['reason']}"
        )


def log(
    contact: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    note: Annotated[str, typer.Option("--note", help="What you did, in a few words.")],
    action: Annotated[
        str | None,
        typer.Option(
            "--action",
            help="The act: share_article, send_job, introduce, reciprocate, congratulate, "
            "check_in. Gives are recorded as gives.",
        ),
    ] = None,
    date: Annotated[
        str | None, typer.Option("--date", help="When (default: now).", show_default=False)
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Record something you did by hand (an interaction from you to them)."""
    from recommender.plan.daily import log_interaction
    from recommender.store.db import open_store
    from recommender.store.lookup import find_contact

    when = parse_as_of(date) if date else None
    with open_store(resolve_home(home)) as store:
        done = log_interaction(store, find_contact(store, contact), note, action, when)
    if as_json:
        print_json(done)
        return
    extra = (
        f"; suggestion #{done['suggestion_done']} marked done" if done["suggestion_done"] else ""
    )
    console.print(
        f"Logged: {done['channel']} to contact #{done['contact_id']} on {done['ts']:%Y-%m-%d}{extra}."
    )


def _item_report(result, as_json: bool) -> None:
    from recommender.cli.imports import report

    def summary(r) -> str:
        undated = f", {r.undated} undated (dated today)" if r.undated else ""
        return (
            f"Imported {r.label} ({r.source_kind}): {r.items_added} new, "
            f"{r.items_known} already known{undated}."
        )

    report(result, as_json, summary)


def import_articles_cmd(
    path: Annotated[
        Path, typer.Argument(help="CSV, JSON lines, Markdown list of links, or RSS/Atom.")
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import articles you could share (title, url, text or summary, tags, date)."""
    from pipelines.ingest.articles import import_articles
    from recommender.store.db import open_store
    from recommender.store.items import import_items

    batch = import_articles(path)
    with open_store(resolve_home(home)) as store:
        _item_report(import_items(store, batch), as_json)


def import_jobs_cmd(
    path: Annotated[
        Path, typer.Argument(help="CSV or JSON lines: title, company, location, text, url, date.")
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import job postings you could send to someone looking (a posting without a company is
    kept, company unknown)."""
    from pipelines.ingest.jobs import import_jobs
    from recommender.store.db import open_store
    from recommender.store.items import import_items

    batch = import_jobs(path)
    with open_store(resolve_home(home)) as store:
        _item_report(import_items(store, batch), as_json)


def register(app: typer.Typer) -> None:
    from recommender.cli.imports import import_app

    import_app.command("articles")(import_articles_cmd)
    import_app.command("jobs")(import_jobs_cmd)
    app.command("today")(today)
    app.command("show")(show)
    app.command("log")(log)
