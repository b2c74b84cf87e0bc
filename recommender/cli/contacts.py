"""Commands that act on your contacts: ``helpnext contacts`` (the list) with its
subcommands ``duplicates``, ``merge`` and ``split`` (one person = one contact), and the
top-level ``helpnext show``, ``log``, ``tag``, ``note`` and ``unnever``."""

from __future__ import annotations

from typing import Annotated

import typer

from recommender.actions.registry import names
from recommender.cli.common import (
    AsOfOption,
    HomeOption,
    JsonOption,
    console,
    parse_as_of,
    print_json,
    resolve_home,
)

contacts_app = typer.Typer(
    help="List your contacts (one row each), or manage them with a subcommand.",
    invoke_without_command=True,
)


@contacts_app.callback()
def contacts(
    ctx: typer.Context,
    home: HomeOption = None,
    as_json: JsonOption = False,
    owner: Annotated[
        str, typer.Option("--owner", help="Whose contacts: 'me', or an edge-list owner 'node:ID'.")
    ] = "me",
    limit: Annotated[int | None, typer.Option("--limit", help="Show at most this many.")] = None,
) -> None:
    """List contacts, most recently in touch first."""
    if ctx.invoked_subcommand is not None:
        ctx.obj = {"home": home}
        return
    from rich.table import Table

    from recommender.store.contacts import contact_rows
    from recommender.store.db import open_store

    with open_store(resolve_home(home), read_only=True) as store:
        rows = contact_rows(store, owner, limit)
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print(
            "No contacts yet. Import something first, e.g. `helpnext import linkedin EXPORT.zip`."
        )
        return
    table = Table(title=f"{len(rows):,} contacts")
    for column in ("id", "name", "company", "position", "sent", "received", "last", "tags"):
        table.add_column(column, overflow="fold")
    for r in rows:
        last = r["last_interaction"].strftime("%Y-%m-%d") if r["last_interaction"] else ""
        table.add_row(
            str(r["contact_id"]),
            r["name"],
            r["company"] or "",
            r["position"] or "",
            str(r["sent"]),
            str(r["received"]),
            last,
            r["tags"] or "",
        )
    console.print(table)


# -- one person = one contact -------------------------------------------------------------


@contacts_app.command("duplicates")
def duplicates_cmd(
    ctx: typer.Context,
    home: HomeOption = None,
    as_json: JsonOption = False,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Lowest name similarity (0-100) to propose.")
    ] = 88.0,
) -> None:
    """List contacts that may be the same person, with the evidence. Nothing changes:
    apply one with `helpnext contacts merge A B`."""
    from rich.table import Table

    from recommender.store.db import open_store
    from recommender.store.duplicates import propose_duplicates

    home = home or (ctx.obj or {}).get("home")
    with open_store(resolve_home(home), read_only=True) as store:
        proposals = propose_duplicates(store, threshold=threshold)
    if as_json:
        print_json(proposals)
        return
    if not proposals:
        console.print("No likely duplicates.")
        return
    table = Table(title=f"{len(proposals)} possible duplicates")
    for column in ("A", "B", "score", "evidence"):
        table.add_column(column, overflow="fold")
    for p in proposals:
        a, b = p["a"], p["b"]
        evidence = [f"shared: {' '.join(p['shared_tokens'])}"]
        if p["companies"]:
            evidence.append("companies: " + " / ".join(p["companies"]))
        evidence.append("sources: " + ", ".join(p["sources"]))
        table.add_row(
            f"{a['contact_id']} {a['name']}",
            f"{b['contact_id']} {b['name']}",
            f"{p['score']:.0f}",
            "; ".join(evidence),
        )
    console.print(table)
    console.print(
        "Merge one with `helpnext contacts merge A B` (undo: `helpnext contacts split B`)."
    )


@contacts_app.command("merge")
def merge_cmd(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="The contact to keep (id, e-mail or name).")],
    absorb: Annotated[str, typer.Argument(help="The contact merged into it.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Merge two contacts into one. Nothing is lost; `helpnext contacts split` undoes it."""
    from recommender.store.db import open_store
    from recommender.store.duplicates import merge_contacts
    from recommender.store.lookup import find_contact

    home = home or (ctx.obj or {}).get("home")
    with open_store(resolve_home(home)) as store:
        kept = find_contact(store, keep)
        absorbed = find_contact(store, absorb)
        merge = merge_contacts(store, kept, absorbed, reason="user")
    if as_json:
        print_json(merge)
        return
    console.print(
        f"Merged contact {merge['absorbed_id']} into {merge['kept_id']} "
        f"(merge #{merge['merge_id']}; undo with `helpnext contacts split {merge['absorbed_id']}`)."
    )


@contacts_app.command("split")
def split_cmd(
    ctx: typer.Context,
    contact: Annotated[
        str, typer.Argument(help="A merged contact (id) or one that absorbed others.")
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Undo merges: a merged contact becomes separate again (with exactly what it had);
    for a contact that absorbed others, every merge into it is undone. The pair is then
    never merged automatically again."""
    from recommender.store.db import open_store
    from recommender.store.duplicates import split_contact
    from recommender.store.lookup import find_contact

    home = home or (ctx.obj or {}).get("home")
    with open_store(resolve_home(home)) as store:
        contact_id = find_contact(store, contact, include_merged=True)
        undone = split_contact(store, contact_id)
    if as_json:
        print_json(undone)
        return
    for m in undone:
        console.print(
            f"Split contact {m['absorbed_id']} from {m['kept_id']} (merge #{m['merge_id']})."
        )


# -- one contact: its card, what you did, tags, notes --------------------------------------


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
            help=f"The act: {', '.join(names())}. Gives are recorded as gives.",
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


def tag_cmd(
    contact: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    tags: Annotated[list[str], typer.Argument(help="One or more tags, e.g. hiring mentor.")],
    remove: Annotated[bool, typer.Option("--remove", help="Remove these tags instead.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tag a contact (e.g. `hiring`, `looking-for-work`); --remove takes tags off."""
    from recommender.store.db import open_store
    from recommender.store.lookup import find_contact
    from recommender.store.tags import add_tags, contact_tags, remove_tags

    with open_store(resolve_home(home)) as store:
        contact_id = find_contact(store, contact)
        changed = (
            remove_tags(store, contact_id, tags) if remove else add_tags(store, contact_id, tags)
        )
        now = contact_tags(store, contact_id)
    if as_json:
        print_json({"contact_id": contact_id, "changed": changed, "tags": now})
        return
    verb = "removed" if remove else "added"
    console.print(
        f"Contact {contact_id}: {len(changed)} tag(s) {verb}; tags now: {', '.join(now) or '(none)'}."
    )


def note_cmd(
    contact: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    text: Annotated[str, typer.Argument(help="The note, e.g. 'interested in data engineering'.")],
    kind: Annotated[str, typer.Option("--kind", help="interest | need | note")] = "note",
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write down what a contact is interested in or needs (used to match articles,
    introductions and job postings to them)."""
    from recommender.store.db import open_store
    from recommender.store.lookup import find_contact
    from recommender.store.tags import add_note

    with open_store(resolve_home(home)) as store:
        contact_id = find_contact(store, contact)
        note_id = add_note(store, contact_id, text, kind)
    if as_json:
        print_json({"note_id": note_id, "contact_id": contact_id, "kind": kind, "text": text})
        return
    console.print(f"Noted ({kind}) for contact {contact_id}.")


def unnever_cmd(
    contact: Annotated[str, typer.Argument(help="Contact id, e-mail or name.")],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Let a person set to 'never' be suggested again."""
    from recommender.store.db import open_store
    from recommender.store.feedback import unnever
    from recommender.store.lookup import find_contact

    with open_store(resolve_home(home)) as store:
        contact_id = find_contact(store, contact)
        was = unnever(store, contact_id)
    if as_json:
        print_json({"contact_id": contact_id, "was_never": was})
        return
    if was:
        console.print(f"Contact #{contact_id} can be suggested again.")
    else:
        console.print(f"Contact #{contact_id} was not set to never; nothing changed.")
