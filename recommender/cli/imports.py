"""``helpnext import ...``: bring a source into the store, one transaction per import."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import HomeOption, JsonOption, console, print_json, resolve_home

import_app = typer.Typer(
    help="Import your history (LinkedIn export, mailbox, calendar, address book, CSV, "
    "edge lists) and things to give (articles, jobs). Re-importing the "
    "same file changes nothing.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="The file to import.", show_default=False)]


def run_import(home: Path | None, title: str, read: Callable, as_json: bool) -> None:
    """Read a source (``read`` returns an ImportBatch), apply it, report what changed."""
    from recommender.progress import stages
    from recommender.store.db import open_store
    from recommender.store.importer import apply_batch

    with stages(f"importing {title}") as progress:
        progress.stage("reading")
        batch = read()
        progress.stage("writing to the store")
        with open_store(resolve_home(home)) as store:
            result = apply_batch(store, batch)
    report(result, as_json)


def report(result, as_json: bool, summary=None) -> None:
    """Print an import's result: JSON, "already imported", or ``summary(result)`` (default:
    the contacts/interactions line of history imports)."""
    if as_json:
        print_json(result.as_dict())
        return
    if result.already_imported:
        console.print(
            f"{result.label}: already imported (import #{result.import_id}); nothing changed."
        )
        return
    if getattr(result, "nothing_to_import", False):
        console.print(f"{result.label}: " + "; ".join(result.notes) + ".")
        return
    console.print((summary or _history_summary)(result))
    for note in getattr(result, "notes", []):
        console.print(f"  {note}")


def _history_summary(result) -> str:
    parts = [
        f"{result.contacts_added:,} new contacts",
        f"{result.contacts_updated:,} updated",
        f"{result.interactions_added:,} interactions added",
    ]
    if result.interactions_known:
        parts.append(f"{result.interactions_known:,} already known")
    if result.events_added:
        parts.append(f"{result.events_added:,} role changes")
    if result.rows_skipped:
        parts.append(f"{result.rows_skipped:,} rows skipped")
    return f"Imported {result.label} ({result.source_kind}): " + ", ".join(parts) + "."


@import_app.command("linkedin")
def import_linkedin_cmd(
    path: Annotated[
        Path, typer.Argument(help="LinkedIn data export: the .zip or its unpacked folder.")
    ],
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import a LinkedIn data export (connections, messages, invitations, endorsements,
    recommendations, your profile and positions). A newer export keeps the history of the
    older one and records who changed company or position."""
    from pipelines.ingest.linkedin.export import import_linkedin

    run_import(home, path.name, lambda: import_linkedin(path), as_json)


@import_app.command("csv")
def import_csv_cmd(
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="contacts.csv (see README for columns).")
    ] = None,
    interactions: Annotated[
        Path | None,
        typer.Option("--interactions", help="interactions.csv (see README for columns)."),
    ] = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import generic contacts.csv / interactions.csv files."""
    from pipelines.ingest.generic_csv import import_csv

    title = " + ".join(p.name for p in (contacts, interactions) if p) or "csv"
    run_import(home, title, lambda: import_csv(contacts, interactions), as_json)


@import_app.command("edges")
def import_edges_cmd(path: FileArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Import an edge list (SNAP/KONECT: 'SRC DST TS' or 'SRC DST WEIGHT TS' per line,
    % or # comments, optionally .gz). Every sender becomes an owner."""
    from pipelines.ingest.edges import import_edges

    run_import(home, path.name, lambda: import_edges(path), as_json)


def register(app: typer.Typer) -> None:
    app.add_typer(import_app, name="import")
