"""Every ``helpnext import ...`` subcommand, one transaction per import: ``linkedin``,
``csv``, ``edges``, ``mbox``, ``maildir``, ``ics``, ``vcard``, ``google-contacts`` (your
history) and ``articles``, ``jobs`` (things to give)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import HomeOption, JsonOption, resolve_home
from recommender.cli.render import import_report

import_app = typer.Typer(
    help="Import your history (LinkedIn export, mailbox, calendar, address book, CSV, "
    "edge lists) and things to give (articles, jobs). Re-importing the "
    "same file changes nothing.",
    no_args_is_help=True,
)

MeOption = Annotated[
    list[str],
    typer.Option(
        "--me",
        help="Your own e-mail address; repeat for every address you use.",
        show_default=False,
    ),
]
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
    import_report(result, as_json)


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


@import_app.command("mbox")
def import_mbox_cmd(
    path: FileArg, me: MeOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import e-mail from an mbox file (Gmail Takeout, Thunderbird). Streams the file; bulk
    mail (lists, newsletters, no-reply senders) is skipped and counted."""
    from pipelines.ingest.mbox import read_mbox

    run_import(home, path.name, lambda: read_mbox(path, me), as_json)


@import_app.command("maildir")
def import_maildir_cmd(
    path: Annotated[
        Path,
        typer.Argument(
            help="A Maildir folder (with cur/ and new/ inside, subfolders too), or a folder "
            "of one-message files.",
            show_default=False,
        ),
    ],
    me: MeOption,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Import e-mail from a Maildir (Thunderbird, mutt, Evolution, Dovecot, public mail
    corpora), with the same rules as mbox. Only headers are read; links (to files or
    folders) are named and not followed."""
    from pipelines.ingest.mbox import read_maildir

    run_import(home, path.name, lambda: read_maildir(path, me), as_json)


@import_app.command("ics")
def import_ics_cmd(
    path: FileArg, me: MeOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import meetings from an iCalendar .ics file (Google, Outlook, Apple, Exchange): each
    past meeting is an interaction with every attendee who did not decline; a recurring
    meeting keeps at most its last 1,000 occurrences. A calendar with no such meeting
    imports nothing and exits 0."""
    from pipelines.ingest.ics import read_ics

    run_import(home, path.name, lambda: read_ics(path, me), as_json)


@import_app.command("vcard")
def import_vcard_cmd(path: FileArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Import an address book as vCard 2.1/3.0/4.0 (.vcf from Android, iPhone, Google,
    Apple, Outlook, Lotus Notes). A card that cannot be read is skipped and named by its
    line. Categories become tags."""
    from pipelines.ingest.vcard import read_vcard

    run_import(home, path.name, lambda: read_vcard(path), as_json)


@import_app.command("google-contacts")
def import_google_contacts_cmd(
    path: FileArg, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import a Google Contacts CSV export (its Name column is the name). Labels become
    tags."""
    from pipelines.ingest.google_contacts import read_google_contacts

    run_import(home, path.name, lambda: read_google_contacts(path), as_json)


def _item_report(result, as_json: bool) -> None:
    def summary(r) -> str:
        undated = f", {r.undated} undated (dated today)" if r.undated else ""
        return (
            f"Imported {r.label} ({r.source_kind}): {r.items_added} new, "
            f"{r.items_known} already known{undated}."
        )

    import_report(result, as_json, summary)


@import_app.command("articles")
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


@import_app.command("jobs")
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
