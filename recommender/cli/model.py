"""The model commands: ``helpnext train``, ``eval`` and ``models`` (every model trained
here). ``score`` has its own module.

Heavy libraries (polars, scikit-learn, duckdb) are imported inside the commands so that
``helpnext --help`` stays fast.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import (
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
    from recommender.store.db import utcnow

    return utcnow()


def _log_events(path: Path, fmt: str):
    """The event frame of an interaction log file."""
    if fmt not in INPUT_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; known formats: {', '.join(INPUT_FORMATS)}")
    from pipelines.ingest.edges import events_from_edges, read_edges

    return events_from_edges(read_edges(path))


def _store_events(home: Path, owner_key: str | None = None):
    from recommender.store.db import open_store
    from recommender.store.events import load_events

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
    """Choose how to rank your contacts and save it: the shipped prior, a model of your own
    history, the two together, or the best heuristic, compared on your most recent weeks
    (held out; nothing after --as-of), dormant ties apart; then train a preference model on
    your feedback and promote it only if it beats the current one on your recent answers."""
    from datetime import timedelta

    from recommender.store.db import PERSONAL_OWNER
    from recommender.training import selection_summary, train_home

    home_dir = resolve_home(home)
    when = parse_as_of(as_of) or _utcnow()
    events = _store_events(home_dir, PERSONAL_OWNER)
    _require_events(events, "your history")
    past = events.filter(events["ts"] < when)
    if past.height == 0:
        raise UsageError(
            f"no interactions before --as-of {when.isoformat()}: nothing to learn from"
        )
    trained = train_home(home_dir, past, when, timedelta(days=horizon))
    card = trained.card
    from recommender.preference import train_preference
    from recommender.registry import prune_models
    from recommender.store.db import open_store
    from recommender.store.models import promoted_ids

    with open_store(home_dir) as store:
        preference = train_preference(store, when)
        pruned = prune_models(home_dir, keep=promoted_ids(store))
    selection = trained.selection
    summary = {
        "model_id": card["model_id"],
        "artifact_sha256": card["artifact_sha256"],
        "preference": preference.as_dict(),
        "training_cutoffs": len(trained.cutoffs),
        "training_rows": trained.n_rows,
        "ranking": {"overall": selection["overall"], "dormant": selection["dormant"]},
        "comparison": selection.get("comparison"),
        "prior": selection.get("prior"),
        "note": selection.get("note") or trained.prior_note,
        "models_removed": pruned,
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"Trained {card['model_id']} on {trained.n_rows:,} examples from "
        f"{len(trained.cutoffs)} earlier cutoffs; saved in {home_dir / 'models'}."
    )
    if trained.prior_note:
        console.print(f"Note: {trained.prior_note}.", soft_wrap=True)
    for line in selection_summary(selection):
        console.print(line, soft_wrap=line.startswith("Note:"))
    console.print(preference.summary())
    if pruned:
        console.print(
            f"Removed the files of {len(pruned)} older model{'s' if len(pruned) > 1 else ''} "
            "(kept: the promoted ones and the newest of each kind; see `helpnext models`)."
        )


def evaluate(
    home: HomeOption = None,
    interactions: InteractionsOption = None,
    fmt: FormatOption = "edges",
    horizon: HorizonOption = 7,
    seed: Annotated[
        int, typer.Option("--seed", help="Seed for random tie-breaking and owner sampling.")
    ] = 0,
    personal: Annotated[
        bool,
        typer.Option(
            "--personal",
            help="Personal protocol: each of --owners sampled owners of --interactions alone "
            "in a fresh home (real import, train and scoring), per-owner and mean metrics "
            "with 95% bootstrap intervals over owners.",
        ),
    ] = False,
    owners: Annotated[
        int, typer.Option("--owners", min=1, help="Owners sampled by --personal.")
    ] = 24,
    as_json: JsonOption = False,
) -> None:
    """Run the evaluation protocol: the model beside every baseline, overall and on dormant ties."""
    from datetime import timedelta

    from pipelines.engagement.train import model_scorer
    from pipelines.evaluate import run_protocol

    if personal:
        if interactions is None:
            raise UsageError("--personal needs --interactions FILE (a log with many owners)")
        _personal_eval(_log_events(interactions, fmt), interactions, owners, seed, horizon, as_json)
        return
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


def _personal_eval(events, source: Path, owners: int, seed: int, horizon: int, as_json: bool):
    from datetime import timedelta

    from recommender.personal_eval import run_personal
    from recommender.progress import stages

    _require_events(events, str(source))
    with stages(f"personal protocol on {source.name}") as progress:
        progress.stage("owners, one fresh home each")
        report = run_personal(events, owners, seed, timedelta(days=horizon))
    report["source"] = str(source)
    if not report["owners"]:
        raise NotFoundError(
            f"{source}: no owner with at least 15 contacts before the first cutoff and a "
            "message to one of them after a cutoff; nothing to evaluate"
        )
    if as_json:
        print_json(report)
        return
    print_personal_report(report)


def print_personal_report(report: dict) -> None:
    from rich.table import Table

    summary = report["summary"]
    console.print(
        f"{report['source']}: {len(report['owners'])} owners (of {report['eligible']} with "
        f"15+ contacts), each alone in a fresh home; cutoffs {', '.join(c[:10] for c in report['cutoffs'])}"
    )
    per = Table(title="Per owner: model vs the best baseline (NDCG@10)")
    for column in (
        "owner",
        "cutoffs",
        "overall model",
        "overall best",
        "dormant model",
        "dormant best",
    ):
        per.add_column(column, justify="right")
    best = {
        p: summary[p]["vs_best_baseline"].get("ndcg@10", {}).get("best_baseline")
        for p in ("overall", "dormant")
    }
    for o in report["owners"]:
        row = [str(o["owner"]), str(len(o["cutoffs"]))]
        for part in ("overall", "dormant"):
            for name in ("model", best[part]):
                m = o["mean"][part].get(name) if name else None
                row.append("-" if m is None else f"{m['ndcg@10']:.3f}")
        per.add_row(*row)
    console.print(per)
    table = Table(title="Mean over owners (95% bootstrap interval over owners)")
    table.add_column("ranker", no_wrap=True)
    for part in ("overall", "dormant"):
        for m in ("NDCG@10", "MRR"):
            table.add_column(f"{part} {m}", justify="right")
    rankers = summary["overall"]["rankers"]
    names = sorted(rankers, key=lambda n: (n != "model", -rankers[n]["ndcg@10"]))
    for name in names:
        row = [name]
        for part in ("overall", "dormant"):
            r = summary[part]["rankers"].get(name)
            for m in ("ndcg@10", "mrr"):
                if r is None:
                    row.append("-")
                else:
                    lo, hi = r[f"{m}_ci95"]
                    row.append(f"{r[m]:.3f} [{lo:.3f}, {hi:.3f}]")
        table.add_row(*row)
    console.print(table)
    for part in ("overall", "dormant"):
        for m in ("ndcg@10", "mrr"):
            v = summary[part]["vs_best_baseline"].get(m)
            if v:
                lo, hi = v["ci95"]
                console.print(
                    f"{part} {m}: model - {v['best_baseline']} = {v['margin']:+.4f} "
                    f"[{lo:+.4f}, {hi:+.4f}]"
                )


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


def models(home: HomeOption = None, as_json: JsonOption = False) -> None:
    """Every model trained here: kind, version, when, metrics, promoted or not, and whether
    its files are kept, removed or damaged (checked against its card; nothing is loaded)."""
    from recommender.preference import model_history
    from recommender.registry import KEEP_ENV, damage, keep_last, list_models
    from recommender.store.db import open_store
    from recommender.store.models import recorded_cards

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
