"""Your data, your call: ``helpnext forget CONTACT``, ``unforget`` and ``export --out DIR``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import HomeOption, JsonOption, console, print_json, resolve_home


def _describe(plan) -> str:
    others = [i for i in plan.contact_ids if i != plan.contact_id]
    who = f"{plan.name} (contact {plan.contact_id}"
    who += (
        f", with merged contact{'s' if len(others) > 1 else ''} {', '.join(map(str, others))})"
        if others
        else ")"
    )
    rows = ", ".join(f"{table} {n:,}" for table, n in sorted(plan.rows.items())) or "nothing"
    return f"{who}: {rows}"


def _models_text(plan) -> list[str]:
    if not plan.models:
        return ["No saved model learned from them."]
    lines = [
        f"Retrain these models: they were trained on data that included them ({plan.models_note}):"
    ]
    lines += [f"  {m['card']}: {m['why']}" for m in plan.models]
    return lines


def forget_cmd(
    contact: Annotated[str, typer.Argument(help="The person: contact id, e-mail or name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Erase a person from the store: every interaction, identity, event, tag, note,
    suggestion and merge record, and mentions of them in what remains. Later imports leave
    them out (their identities are kept as salted hashes only; `helpnext unforget` undoes
    that). Says which saved models learned from them and must be retrained. If it is
    interrupted, the next helpnext command finishes the erasure first."""
    from recommender.errors import NotFoundError
    from recommender.store.contacts import kept_contact_id
    from recommender.store.db import open_store
    from recommender.store.lookup import find_contact
    from recommender.store.privacy import forget, plan_forget

    home_dir = resolve_home(home)
    with open_store(home_dir, read_only=True) as store:
        contact_id = find_contact(store, contact)
        plan = plan_forget(store, home_dir, contact_id)
    if not yes:
        console.print(f"Forget {_describe(plan)}.")
        try:
            sure = typer.confirm("Their data cannot be brought back. Forget them?", default=False)
        except typer.Abort:
            sure = False
        if not sure:
            console.print("Nothing was forgotten.")
            raise typer.Exit(1)
    with open_store(home_dir) as store:
        # the store may have changed while we asked: plan again under the write lock
        found = kept_contact_id(store, contact_id)
        if found is None:
            raise NotFoundError(f"contact {contact_id} no longer exists; nothing was forgotten")
        done = forget(store, home_dir, int(found))
    if as_json:
        print_json(done.as_dict())
        return
    console.print(f"Forgot {_describe(done)}.")
    if done.redacted:
        cells = sum(done.redacted.values())
        console.print(f"Removed {cells:,} mentions of them from other records.")
    console.print(
        f"Later imports will leave them out (undo: `helpnext unforget {done.tombstone}`)."
    )
    for line in _models_text(done):
        console.print(line)


def unforget_cmd(
    who: Annotated[
        str | None,
        typer.Argument(
            help="The tombstone number, or the person's e-mail, profile URL or name.",
            show_default=False,
        ),
    ] = None,
    list_: Annotated[
        bool, typer.Option("--list", help="List the tombstones (numbers and dates only).")
    ] = False,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Let later imports bring a forgotten person in again (removes their tombstone). What
    `helpnext forget` erased stays erased."""
    from recommender.errors import UsageError
    from recommender.store.db import open_store
    from recommender.store.tombstones import list_tombstones, unbury

    home_dir = resolve_home(home)
    if list_ and who is not None:
        raise UsageError("give either a person or --list, not both")
    if who is None:
        with open_store(home_dir, read_only=True) as store:
            entries = list_tombstones(store)
        if as_json:
            print_json(entries)
        elif not entries:
            console.print("Nobody is forgotten.")
        for e in [] if as_json else entries:
            console.print(
                f"{e['tombstone_id']}: forgotten {e['forgotten_at']:%Y-%m-%d %H:%M} UTC "
                f"({e['keys']} identity keys, kept as salted hashes)"
            )
        return
    with open_store(home_dir) as store:
        with store.transaction():
            entry = unbury(store, who)
    if as_json:
        print_json(entry)
        return
    console.print(
        f"Tombstone {entry['tombstone_id']} removed: later imports will bring them in again."
    )


def export_cmd(
    out: Annotated[
        Path,
        typer.Option("--out", help="Folder to write into (created readable by you only)."),
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Export everything the store holds: one CSV per table (safe to open in a
    spreadsheet) plus helpnext-export.json with all of it."""
    from recommender.store.db import open_store
    from recommender.store.privacy import export_store

    with open_store(resolve_home(home), read_only=True) as store:
        result = export_store(store, out)
    if as_json:
        print_json(result)
        return
    total = sum(result["rows"].values())
    console.print(
        f"Exported {total:,} rows from {len(result['rows'])} tables to {result['out']} "
        f"({len(result['files'])} files)."
    )
