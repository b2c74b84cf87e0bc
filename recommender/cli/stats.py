"""``helpnext stats``: counts of what the store holds."""

from __future__ import annotations

from recommender.cli.common import HomeOption, JsonOption, console, print_json, resolve_home


def stats(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Counts: contacts, interactions per channel and direction, events, imports."""
    from rich.table import Table

    from recommender.store.db import open_store
    from recommender.store.stats import store_stats

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
