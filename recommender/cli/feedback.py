"""``helpnext done|skip|snooze|never ID``, ``helpnext unnever CONTACT`` and ``helpnext models``.

The feedback commands are a hot path (one per suggestion answered): they import only the
store and :mod:`recommender.store.feedback`, never polars or scikit-learn.
"""

from __future__ import annotations

from typing import Annotated

import typer

from recommender.cli.common import (
    HomeOption,
    JsonOption,
    console,
    parse_as_of,
    print_json,
    resolve_home,
)

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
    from recommender.store.db import open_store
    from recommender.store.feedback import describe, record

    with open_store(resolve_home(home)) as store:
        answer = record(store, suggestion_id, outcome, note=note, days=days, at=parse_as_of(when))
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


def models(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every model trained here: kind, version, when, metrics, promoted or not, and whether
    its files are kept, removed or damaged (checked against its card; nothing is loaded)."""
    from recommender.preference import model_history
    from recommender.registry import (
        KEEP_ENV,
        damage,
        keep_last,
        list_models,
        recorded_cards,
    )
    from recommender.store.db import open_store

    where = resolve_home(home)
    with open_store(where, read_only=True) as store:
        rows = model_history(store, where)
        recorded = recorded_cards(store)
    on_disk = {str(c.get("model_id")) for c in list_models(where)}
    for r in rows:
        r["files"] = "kept" if r["version"] in on_disk else "removed"
        r["damaged"] = (
            damage(where, r["version"], r["kind"], recorded) if r["files"] == "kept" else None
        )
        if r["damaged"]:
            r["files"] = "damaged"
    keeping = keep_last()
    if as_json:
        print_json({"models": rows, "keep_last": keeping})
        return
    if not rows:
        console.print("No model trained yet: `helpnext train` trains them.")
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Models", show_edge=False)
    for column in ("kind", "version", "trained", "metrics", "promoted", "in use", "files"):
        table.add_column(column)
    for r in rows:
        metrics = _metrics_text(r["metrics"])
        table.add_row(
            r["kind"],
            escape(r["version"]),
            str(r["trained_at"])[:19],
            escape(metrics[:90]),
            "yes" if r["promoted"] else "no",
            "yes" if r["in_use"] else "",
            r["files"],
        )
    console.print(table)
    for r in rows:
        if r["damaged"]:
            console.print(f"Damaged: {escape(r['damaged'])}", soft_wrap=True)
    console.print(
        f"Model files kept: the promoted ones and the newest {keeping} of each kind "
        f"({KEEP_ENV}); `helpnext train` removes the rest."
    )


def _metrics_text(metrics: dict) -> str:
    """A preference model's comparison, or an engagement model's headline numbers."""
    selection = metrics.get("selection")
    if isinstance(selection, dict) and "overall" in selection:
        from pipelines.engagement.personal import label

        scores = (selection.get("comparison") or {}).get("overall") or {}
        chosen = selection["overall"]
        text = f"ranks with {label(chosen)}"
        if chosen in scores:
            text += f" (NDCG@10 {scores[chosen]:.3f} held out)"
        if selection.get("dormant") != chosen:
            text += f"; dormant ties by {label(selection['dormant'])}"
        return text
    cand, cur = metrics.get("candidate"), metrics.get("current")
    if isinstance(cand, dict) and isinstance(cur, dict):
        return (
            f"log loss {cand.get('ips_log_loss', float('nan')):.3f} vs "
            f"{cur.get('ips_log_loss', float('nan')):.3f} in use"
        )
    return ", ".join(
        f"{k} {v:.3g}" if isinstance(v, float) else f"{k} {v}"
        for k, v in metrics.items()
        if isinstance(v, int | float | str)
    )


def register(app: typer.Typer) -> None:
    app.command("done")(done)
    app.command("skip")(skip)
    app.command("snooze")(snooze)
    app.command("never")(never)
    app.command("unnever")(unnever_cmd)
    app.command("models")(models)
