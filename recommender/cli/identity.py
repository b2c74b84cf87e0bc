"""E-mail, calendar and address-book imports; one person = one contact; tags and notes.

Adds ``helpnext import mbox|ics|vcard|google-contacts``, ``helpnext contacts
duplicates|merge|split`` and the top-level ``helpnext tag`` and ``helpnext note``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.browse import contacts_app
from recommender.cli.common import HomeOption, JsonOption, console, print_json, resolve_home
from recommender.cli.imports import FileArg, import_app, run_import

MeOption = Annotated[
    list[str],
    typer.Option(
        "--me",
        help="Your own e-mail address; repeat for every address you use.",
        show_default=False,
    ),
]


def import_mbox_cmd(
    path: FileArg, me: MeOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import e-mail from an mbox file (Gmail Takeout, Thunderbird). Streams the file; bulk
    mail (lists, newsletters, no-reply senders) is skipped and counted."""
    from pipelines.ingest.mbox import read_mbox

    run_import(home, path.name, lambda: read_mbox(path, me), as_json)


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


def import_ics_cmd(
    path: FileArg, me: MeOption, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import meetings from an iCalendar .ics file (Google, Outlook, Apple, Exchange): each
    past meeting is an interaction with every attendee who did not decline; a recurring
    meeting keeps at most its last 1,000 occurrences. A calendar with no such meeting
    imports nothing and exits 0."""
    from pipelines.ingest.ics import read_ics

    run_import(home, path.name, lambda: read_ics(path, me), as_json)


def import_vcard_cmd(path: FileArg, home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Import an address book as vCard 2.1/3.0/4.0 (.vcf from Android, iPhone, Google,
    Apple, Outlook, Lotus Notes). A card that cannot be read is skipped and named by its
    line. Categories become tags."""
    from pipelines.ingest.vcard import read_vcard

    run_import(home, path.name, lambda: read_vcard(path), as_json)


def import_google_contacts_cmd(
    path: FileArg, home: HomeOption = None, as_json: JsonOption = False
) -> None:
    """Import a Google Contacts CSV export (its Name column is the name). Labels become
    tags."""
    from pipelines.ingest.google_contacts import read_google_contacts

    run_import(home, path.name, lambda: read_google_contacts(path), as_json)


# -- one person = one contact -------------------------------------------------------------


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


# -- the owner's own tags and notes ---------------------------------------------------------


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


def register(app: typer.Typer) -> None:
    import_app.command("mbox")(import_mbox_cmd)
    import_app.command("maildir")(import_maildir_cmd)
    import_app.command("ics")(import_ics_cmd)
    import_app.command("vcard")(import_vcard_cmd)
    import_app.command("google-contacts")(import_google_contacts_cmd)
    contacts_app.command("duplicates")(duplicates_cmd)
    contacts_app.command("merge")(merge_cmd)
    contacts_app.command("split")(split_cmd)
    app.command("tag")(tag_cmd)
    app.command("note")(note_cmd)
