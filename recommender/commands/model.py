"""``helpnext train`` and ``helpnext eval``: the engagement model (``score``: its own module).

Heavy libraries (polars, scikit-learn, duckdb) are imported inside the commands so that
``helpnext --help`` stays fast.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from recommender.commands.common import (
    AsOfOption,
    HomeOption,
    JsonOption,
    console,
    parse_as_of,
    print_json,
    resolve_home,
)
from recommender.errors import NotFoundError, UsageError

INPUT_FORMATS = ("edges",)

InteractionsOption = Annotated[
    Path | None,
    typer.Option(
        "--interactions",
        help="An interaction log to use instead of the store (e.g. a SNAP/KONECT edge list).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str,
    typer.Option("--format", help=f"Format of --interactions: {', '.join(INPUT_FORMATS)}."),
]
HorizonOption = Annotated[
    int, typer.Option("--horizon", min=1, help="Days ahead the model predicts outreach for.")
]


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _utcnow() -> datetime:
    from recommender.store import utcnow

    return utcnow()


def _log_events(path: Path, fmt: str):
    """The event frame of an interaction log file."""
    if fmt not in INPUT_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; known formats: {', '.join(INPUT_FORMATS)}")
    from pipelines.evaluate import events_from_edges
    from pipelines.ingest.edges import read_edges

    return events_from_edges(read_edges(path))


def _store_events(home: Path, owner_key: str | None = None):
    from recommender.events import load_events
    from recommender.store import open_store

    with open_store(home, read_only=True) as store:
        owner_ids = None
        if owner_key is not None:
            owner_id = store.owner_id(owner_key, create=False)
            if owner_id is None:
                raise NotFoundError(
                    "nothing to learn from yet: the store has no history of your own; "
                    "import some first (helpnext import ...)"
                )
            owner_ids = [owner_id]
        return load_events(store, owner_ids).collect()


def _require_events(events, source: str) -> None:
    if events.height == 0:
        raise NotFoundError(f"no interactions in {source}; import some first (helpnext import ...)")


def train(
    home: HomeOption = None,
    as_of: AsOfOption = None,
    horizon: HorizonOption = 7,
    as_json: JsonOption = False,
) -> None:
    """Train the engagement model on your history (earlier cutoffs only) and save it; then
    train a preference model on your feedback and promote it only if it beats the current
    one on your most recent answers."""
    from datetime import timedelta

    from pipelines.portable import serving_form
    from pipelines.train import train_engagement
    from recommender.model_registry import save_model
    from recommender.store import PERSONAL_OWNER

    home_dir = resolve_home(home)
    when = parse_as_of(as_of) or _utcnow()
    events = _store_events(home_dir, PERSONAL_OWNER)
    _require_events(events, "your history")
    past = events.filter(events["ts"] < when)
    if past.height == 0:
        raise UsageError(
            f"no interactions before --as-of {when.isoformat()}: nothing to learn from"
        )
    result = train_engagement(past, when, timedelta(days=horizon))
    serving = serving_form(result.model, past, when)
    card = save_model(
        home_dir,
        result.model,
        training_data_sha256=result.data_hash,
        metrics={"validation": result.validation},
        details={
            "as_of": when.isoformat(),
            "horizon_days": horizon,
            "training_cutoffs": [c.isoformat() for c in result.cutoffs],
            "training_rows": result.n_rows,
            "training_groups": result.n_groups,
        },
        serving=serving,
    )
    from recommender.preference import train_preference
    from recommender.store import open_store

    with open_store(home_dir) as store:
        preference = train_preference(store, when)
    summary = {
        "model_id": card["model_id"],
        "artifact_sha256": card["artifact_sha256"],
        "preference": preference.as_dict(),
        "training_cutoffs": len(result.cutoffs),
        "training_rows": result.n_rows,
        "blend": result.validation.get("chosen_weights"),
        "baseline": result.validation.get("chosen_baseline"),
        "note": result.validation.get("fallback"),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"Trained {card['model_id']} on {result.n_rows:,} examples from "
        f"{len(result.cutoffs)} earlier cutoffs; saved in {home_dir / 'models'}."
    )
    if summary["note"]:
        console.print(f"Note: {summary['note']}.")
    elif summary["blend"] is not None:
        w = summary["blend"]
        console.print(
            f"Blend chosen on held-out cutoffs: trees {w[0]:.2f}, pairwise linear {w[1]:.2f}, "
            f"{summary['baseline']} {w[2]:.2f}."
        )
    console.print(preference.summary())


def evaluate(
    home: HomeOption = None,
    interactions: InteractionsOption = None,
    fmt: FormatOption = "edges",
    horizon: HorizonOption = 7,
    seed: Annotated[int, typer.Option("--seed", help="Seed for random tie-breaking.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Run the evaluation protocol: the model beside every baseline, overall and on dormant ties."""
    from datetime import timedelta

    from pipelines.evaluate import run_protocol
    from pipelines.train import model_scorer

    if interactions is not None:
        events = _log_events(interactions, fmt)
        source = str(interactions)
    else:
        events = _store_events(resolve_home(home))
        source = "the store"
    _require_events(events, source)
    h = timedelta(days=horizon)
    report = run_protocol(events, {"model": model_scorer(h)}, horizon=h, seed=seed)
    report["source"] = source
    if as_json:
        print_json(report)
        return
    print_report(report)


def print_report(report: dict) -> None:
    from rich.table import Table

    used = [c for c in report["cutoffs"] if c["owners"]]
    console.print(
        f"{report.get('source', '')}: {len(used)} of {len(report['cutoffs'])} cutoffs had owners "
        f"with a target in the next {report['horizon_days']:g} days"
        + "".join(
            f"\n  {c['cutoff']}: {_n(c['owners'], 'owner')} ({c['owners_dormant']} dormant)"
            for c in report["cutoffs"]
        )
    )
    if not used:
        console.print("Nothing to evaluate: no owner wrote to a known contact after any cutoff.")
        return
    table = Table(title="NDCG@10 / Recall@10 / MRR, averaged over owners then cutoffs")
    table.add_column("ranker", no_wrap=True, min_width=13)
    for part in ("overall", "dormant"):
        for m in ("NDCG@10", "R@10", "MRR"):
            table.add_column(f"{part} {m}", justify="right")
    names = list(report["overall"])
    names.sort(key=lambda n: (n != "model", -report["overall"][n]["ndcg@10"]))
    for name in names:
        row = [name]
        for part in ("overall", "dormant"):
            m = report[part].get(name)
            row += (
                ["-"] * 3 if m is None else [f"{m[k]:.4f}" for k in ("ndcg@10", "recall@10", "mrr")]
            )
        table.add_row(*row)
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("eval")(evaluate)
