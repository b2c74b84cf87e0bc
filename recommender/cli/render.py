"""Printing shared by more than one command module, so that no command module imports
another: the daily plan as a table (``today``, ``demo``) and an import's result (every
``import`` subcommand, ``demo``)."""

from __future__ import annotations

from recommender.actions.registry import label
from recommender.cli.common import console, print_json


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
        act = label(s["action"])
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


def import_report(result, as_json: bool, summary=None) -> None:
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
