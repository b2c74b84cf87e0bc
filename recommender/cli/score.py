"""``helpnext score``: batch scores of every owner, with the promoted models, on this
machine or on Spark."""

from __future__ import annotations

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
from recommender.errors import HelpnextError, InputError, UsageError

ENGINES = ("local", "spark")
INPUT_FORMATS = ("edges", "parquet")


class SparkError(HelpnextError):
    """Spark is missing or its job failed (one line)."""


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def input_format(path: Path, fmt: str | None) -> str:
    """``--format``, or from the path: a folder or ``*.parquet`` is Parquet, else edges."""
    if fmt is None:
        return "parquet" if path.is_dir() or path.suffix.lower() == ".parquet" else "edges"
    if fmt not in INPUT_FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; known formats: {', '.join(INPUT_FORMATS)}")
    return fmt


def _is_local(path: Path) -> bool:
    return "://" not in str(path) or str(path).startswith("file://")


OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        help="Output: a .csv or .parquet file, or a folder (Parquet partitioned by "
        "owner, owner=<id>/; what --engine spark writes).",
        show_default=False,
    ),
]
InteractionsOption = Annotated[
    Path | None,
    typer.Option(
        "--interactions",
        help="An interaction log to score instead of the store: an edge list (SNAP/KONECT) "
        "or Parquet events (a file or a folder, e.g. partitioned by owner; columns owner, "
        "contact, ts, direction).",
        show_default=False,
    ),
]
FormatOption = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Format of --interactions: edges or parquet (default: parquet for a folder or "
        "a .parquet file, else edges).",
        show_default=False,
    ),
]
TopOption = Annotated[
    int | None, typer.Option("--top", min=1, help="Keep the best N contacts per owner.")
]
RetrainOption = Annotated[
    bool,
    typer.Option(
        "--retrain",
        help="Fit a new engagement model on the events before --as-of instead of using "
        "the home's promoted one.",
    ),
]
HorizonOption = Annotated[
    int,
    typer.Option("--horizon", min=1, help="With --retrain: days ahead the model predicts."),
]
EngineOption = Annotated[
    str,
    typer.Option("--engine", help="Where to score: local (this machine) or spark."),
]
MasterOption = Annotated[
    str,
    typer.Option("--master", help="With --engine spark: the Spark master URL."),
]
ActionsOption = Annotated[
    bool,
    typer.Option(
        "--actions",
        help="Add each contact's best give-first act and its reason (action, reason "
        "columns). Needs the store: actions read tags, notes, items and message texts.",
    ),
]


def score(
    out: OutOption,
    home: HomeOption = None,
    interactions: InteractionsOption = None,
    fmt: FormatOption = None,
    as_of: AsOfOption = None,
    top: TopOption = None,
    retrain: RetrainOption = False,
    horizon: HorizonOption = 7,
    engine: EngineOption = "local",
    master: MasterOption = "local[*]",
    actions: ActionsOption = False,
    as_json: JsonOption = False,
) -> None:
    """Score every owner's contacts (owner,contact,score,rank) with the home's promoted
    engagement model, in the order `today` ranks with (no model: Interactions Rank), from
    the store or an --interactions log; --engine spark runs it on Spark."""
    from datetime import timedelta

    from pipelines.score import ScoreInputError
    from recommender.store.db import utcnow

    _check_options(out, interactions, engine, actions)
    when = parse_as_of(as_of) or utcnow()
    home_dir = resolve_home(home)
    fmt_used = input_format(interactions, fmt) if interactions is not None else None
    try:
        if engine == "spark":
            scores, info = _score_spark(
                home_dir, interactions, fmt_used, when, top, retrain, horizon, master, out
            )
        else:
            scores, info = _score_local(
                home_dir, interactions, fmt_used, when, top, retrain, timedelta(days=horizon)
            )
            if actions:
                scores = _with_actions(home_dir, scores, when)
            from pipelines.score import write_scores

            write_scores(scores, out)
    except ScoreInputError as err:
        raise _input_error(err, interactions, when) from None
    summary = {
        "out": str(out),
        "rows": info["rows"],
        "owners": info["owners"],
        "as_of": when.isoformat(),
        "engine": engine,
        "model_id": info["model_id"],
        "training_cutoffs": info.get("training_cutoffs"),
        "note": (info.get("validation") or {}).get("fallback"),
    }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"Scored {_n(summary['owners'], 'owner')} with {summary['model_id']}: "
        f"{_n(summary['rows'], 'row')} written to {out}."
    )
    if summary["note"]:
        console.print(f"Note: {summary['note']}.")


def _check_options(out: Path, interactions: Path | None, engine: str, actions: bool) -> None:
    """A :class:`UsageError` for an engine, output or combination ``score`` cannot run."""
    from pipelines.score import OUTPUT_FORMATS

    if engine not in ENGINES:
        raise UsageError(f"unknown --engine {engine!r}; choose from: {', '.join(ENGINES)}")
    suffix = out.suffix.lower()
    if suffix and suffix not in OUTPUT_FORMATS:
        raise UsageError(
            f"--out {out.name!r}: use a file name ending in .csv or .parquet, or a folder name"
        )
    if actions and interactions is not None:
        raise UsageError(
            "--actions needs the store (acts read tags, notes, items and message texts): "
            "import the log first (`helpnext import edges FILE`), then score without --interactions"
        )
    if engine == "spark":
        if interactions is None or actions:
            raise UsageError("--engine spark scores an --interactions log (no store, no --actions)")
        if suffix:
            raise UsageError(
                f"--out {out.name!r}: --engine spark writes a folder (Parquet partitioned by owner)"
            )


def _input_error(err: Exception, interactions: Path | None, when) -> HelpnextError:
    """The one-line error for input the scorer could not read, naming the file once."""
    if interactions is not None:
        message = str(err)
        if message.startswith(str(interactions)):  # already names the file
            return HelpnextError(f"{message} (--as-of {when.isoformat()})")
        return InputError(interactions, f"{message} (--as-of {when.isoformat()})")
    return UsageError(f"{err} (--as-of {when.isoformat()})")


def _choose_model(home: Path, events, when, retrain: bool, horizon):
    """(ranker, info): refit on the events before ``when``, or the home's promoted model,
    else the shipped default (``recommender.engagement``)."""
    if retrain:
        from pipelines.score import retrain as refit

        return refit(events, when, horizon)
    from recommender.engagement import promoted_ranker

    ranker, model_id = promoted_ranker(home)
    return ranker, {"model_id": model_id}


def _score_local(home: Path, interactions, fmt, when, top, retrain: bool, horizon):
    from pipelines.score import read_events, score_owners

    if interactions is not None:
        events = read_events(interactions, fmt)
    else:
        events = _store_events(home)
    ranker, info = _choose_model(home, events, when, retrain, horizon)
    scores = score_owners(events, when, ranker, top=top)
    return scores, info | {"rows": scores.height, "owners": scores["owner"].n_unique()}


def _store_events(home: Path):
    from recommender.store.db import open_store
    from recommender.store.events import load_events

    with open_store(home, read_only=True) as store:
        events = load_events(store).collect()
    if events.height == 0:
        raise UsageError("no interactions in the store; import some first (helpnext import ...)")
    return events


def _serving_bytes(home: Path, ranker, model_id: str) -> bytes | None:
    """The serving file's bytes to ship to executors (None: the heuristic default)."""
    import io

    import numpy as np

    from pipelines.engagement.personal import PersonalRanker
    from pipelines.engagement.serving import PortableRanker, export_ranker
    from pipelines.score import HeuristicRanker
    from recommender.registry import home_records, load_serving

    if isinstance(ranker, HeuristicRanker):
        return None
    if isinstance(ranker, PersonalRanker):  # the promoted ranking or the prior: one bundle
        arrays = ranker.to_arrays()
    elif isinstance(ranker, PortableRanker):
        arrays = load_serving(home, model_id=model_id, recorded=home_records(home))[0]
    else:  # a freshly retrained estimator, or a saved one without a serving form
        from pipelines.engagement.serving import ExportError

        try:
            arrays = export_ranker(ranker)
        except ExportError as err:
            raise UsageError(
                f"the engagement model {model_id} has no pickle-free serving form ({err}), "
                "which Spark executors need; retrain with 'helpnext train'"
            ) from None
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _check_local_input(path: Path, fmt: str, when) -> None:
    """What the Spark job would fail on late, checked here first for a local path: the
    file is readable, has the columns, and has events before ``when``."""
    import polars as pl

    from pipelines.score import ScoreInputError, read_events

    events = read_events(path, fmt)
    try:
        n = events.filter(pl.col("ts") < when).select(pl.len()).collect().item()
    except (pl.exceptions.PolarsError, OSError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:200]
        raise ScoreInputError(f"{path}: not a readable Parquet file ({first})") from None
    if n == 0:
        raise ScoreInputError(f"no events before {when.isoformat()}: nothing to score")


def _score_spark(home: Path, interactions, fmt, when, top, retrain, horizon, master, out):
    from datetime import timedelta

    from pipelines.distributed import spark_score

    try:
        spark_score.check_spark()
    except spark_score.SparkUnavailable as err:
        raise SparkError(str(err)) from None
    if _is_local(interactions):
        _check_local_input(interactions, fmt, when)
    events_for_training = None
    if retrain:
        from pipelines.score import read_events

        events_for_training = read_events(interactions, fmt)
    ranker, info = _choose_model(home, events_for_training, when, retrain, timedelta(days=horizon))
    model_bytes = _serving_bytes(home, ranker, info["model_id"])
    try:
        spark = spark_score.spark_session(master)
        events = spark_score.read_events(spark, str(interactions), fmt)
        scores = spark_score.score_spark(spark, events, when, model_bytes, top).cache()
        spark_score.write_scores(scores, str(out))
        counts = scores.selectExpr("count(*) AS rows", "count(DISTINCT owner) AS owners").first()
        scores.unpersist()
    except (HelpnextError, ValueError):
        raise
    except Exception as err:  # noqa: BLE001 - Py4J / Spark errors: one line
        first = (str(err).strip().splitlines() or [type(err).__name__])[0][:300]
        raise SparkError(f"the Spark job failed: {first}") from None
    return None, info | {"rows": int(counts["rows"]), "owners": int(counts["owners"])}


def _with_actions(home: Path, scores, when):
    """``scores`` plus each contact's best act and its reason (null when none fits)."""
    import polars as pl

    from recommender.plan.daily import top_actions
    from recommender.store.db import open_store

    parts = []
    with open_store(home, read_only=True) as store:
        for (owner,), group in scores.group_by(["owner"], maintain_order=True):
            parts.append(top_actions(store, int(owner), group["contact"].to_list(), when))
    schema = {"owner": pl.Int64, "contact": pl.Int64, "action": pl.String, "reason": pl.String}
    acts = pl.concat(parts) if parts else pl.DataFrame(schema=schema)
    return scores.join(
        acts.cast({"owner": scores.schema["owner"], "contact": scores.schema["contact"]}),
        on=["owner", "contact"],
        how="left",
    )
