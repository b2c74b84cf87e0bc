"""``helpnext contacts`` and ``helpnext stats``: look at what the store holds."""

from __future__ import annotations

from typing import Annotated

import typer

from recommender.cli.common import HomeOption, JsonOption, console, print_json, resolve_home

contacts_app = typer.Typer(
    help="List your contacts (one row each), or manage them with a subcommand.",
    invoke_without_command=True,
)


def contact_rows(store, owner_key: str = "me", limit: int | None = None) -> list[dict]:
    owner = store.owner_id(owner_key, create=False)
    if owner is None:
        return []
    # interactions and tags of contacts merged into another count for the kept one
    sql = """
        WITH folded AS (
            SELECT contact_id, coalesce(merged_into, contact_id) AS kept
            FROM contacts WHERE owner_id = ?
        ),
        touch AS (
            SELECT f.kept, count(*) AS interactions,
                   count(*) FILTER (WHERE i.direction = 'out') AS sent,
                   count(*) FILTER (WHERE i.direction = 'in') AS received,
                   max(i.ts) AS last_interaction
            FROM interactions i JOIN folded f USING (contact_id)
            GROUP BY f.kept
        ),
        tagged AS (
            SELECT f.kept, string_agg(DISTINCT t.tag, ';' ORDER BY t.tag) AS tags
            FROM tags t JOIN folded f USING (contact_id)
            GROUP BY f.kept
        )
        SELECT c.contact_id, c.display_name AS name, c.company, c.position, c.email,
               c.linkedin_url, c.connected_on,
               coalesce(x.interactions, 0) AS interactions, coalesce(x.sent, 0) AS sent,
               coalesce(x.received, 0) AS received, x.last_interaction, g.tags
        FROM contacts c
        LEFT JOIN touch x ON x.kept = c.contact_id
        LEFT JOIN tagged g ON g.kept = c.contact_id
        WHERE c.owner_id = ? AND c.merged_into IS NULL
        ORDER BY x.last_interaction DESC NULLS LAST, name
    """
    if limit:
        sql += f" LIMIT {int(limit)}"
    return store.frame(sql, [owner, owner]).to_dicts()


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


def store_stats(store) -> dict:
    owners = store.scalar("SELECT count(*) FROM owners")
    contacts = store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")
    interactions = store.scalar("SELECT count(*) FROM interactions")
    by_channel = store.frame(
        """SELECT channel, direction, count(*) AS n FROM interactions
           GROUP BY ALL ORDER BY channel, direction"""
    ).to_dicts()
    events = store.frame(
        "SELECT kind, count(*) AS n FROM events GROUP BY ALL ORDER BY kind"
    ).to_dicts()
    imports = store.frame(
        """SELECT import_id, source_kind, file_name, sha256, finished_at AS imported_at,
                  rows_read, rows_skipped, contacts_added, interactions_added, events_added
           FROM imports ORDER BY import_id"""
    ).to_dicts()
    span = store.con.execute("SELECT min(ts), max(ts) FROM interactions").fetchall()[0]
    return {
        "store": str(store.path),
        "owners": owners,
        "contacts": contacts,
        "interactions": interactions,
        "first_interaction": span[0],
        "last_interaction": span[1],
        "interactions_by_channel": by_channel,
        "events": events,
        "imports": imports,
    }


def stats(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Counts: contacts, interactions per channel and direction, events, imports."""
    from rich.table import Table

    from recommender.store.db import open_store

    with open_store(resolve_home(home), read_only=True) as store:
        payload = store_stats(store)
    if as_json:
        print_json(payload)
        return
    console.print(f"Store: {payload['store']}")
    console.print(
        f"{payload['contacts']:,} contacts, {payload['interactions']:,} interactions"
        + (f" ({payload['owners']:,} owners)" if payload["owners"] > 1 else "")
        + (
            f", {payload['first_interaction']:%Y-%m-%d} to {payload['last_interaction']:%Y-%m-%d}"
            if payload["first_interaction"]
            else ""
        )
    )
    if payload["interactions_by_channel"]:
        table = Table(title="Interactions")
        for column in ("channel", "direction", "count"):
            table.add_column(column)
        for row in payload["interactions_by_channel"]:
            table.add_row(row["channel"], row["direction"], f"{row['n']:,}")
        console.print(table)
    for row in payload["events"]:
        console.print(f"{row['n']:,} {row['kind']} events")
    if payload["imports"]:
        table = Table(title="Imports")
        for column in ("#", "source", "file", "when", "contacts +", "interactions +"):
            table.add_column(column)
        for row in payload["imports"]:
            table.add_row(
                str(row["import_id"]),
                row["source_kind"],
                row["file_name"],
                f"{row['imported_at']:%Y-%m-%d %H:%M}",
                f"{row['contacts_added']:,}",
                f"{row['interactions_added']:,}",
            )
        console.print(table)
    else:
        console.print("Nothing imported yet.")


def register(app: typer.Typer) -> None:
    app.add_typer(contacts_app, name="contacts")
    app.command("stats")(stats)
