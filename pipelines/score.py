"""Batch scoring: every owner's candidates at ``as_of``, ranked (rank 1 = best).

Scoring is a pure function of (an owner's events before ``as_of``, the contact-side
aggregates and two-hop counts over every owner, the model) -> that owner's ranked list:

1. :func:`pipelines.features.engagement.pair_features` per owner, reduced to the few columns the
   global step reads (:func:`pipelines.features.engagement.global_inputs`);
2. the global step, once over every owner (:func:`global_step`);
3. per owner again: the pair features (kept from step 1: spilled, not computed again),
   the global columns put beside them, the features finished
   (:func:`pipelines.features.engagement.finish_features`), the model's ranking scores.

:func:`score_owners` runs those steps on one machine, owner bucket by owner bucket, so
memory is bounded by the largest bucket (:data:`BUCKET_EVENTS` events) plus the global
step's few columns per pair; ``pipelines.distributed.spark_score`` runs the very same
functions on a Spark cluster. The model is anything with ``rank_scores(frame)``: the
promoted model's serving form, :class:`HeuristicRanker`, or a model retrained on the
events before ``as_of`` (:func:`retrain`). Outputs are written atomically (temp file or
folder + rename), CSV cells made safe for spreadsheets.
"""

from __future__ import annotations

import io
import math
import os
import shutil
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.columns import CONTACT, DIRECTION, IN, OUT, OWNER, TS, conform_events
from pipelines.features.engagement import (
    GLOBAL_COLUMNS,
    event_flags,
    finish_features,
    flagged_pair_features,
    global_columns,
    global_inputs,
    pair_features,
)
from pipelines.features.labels import DEFAULT_HORIZON

SCORE_COLUMNS = ("owner", "contact", "score", "rank")
OUTPUT_FORMATS = (".csv", ".parquet")
INPUT_FORMATS = ("edges", "parquet")
# one bucket of owners holds about this many events: the local engine's memory bound
BUCKET_EVENTS = 1_000_000
# a model scores at most about this many rows at once (whole owners): its memory bound
SCORE_BLOCK_ROWS = 100_000


class ScoreInputError(ValueError):
    """An input the batch scorer cannot use (names the file and what is wrong)."""


class HeuristicRanker:
    """The shipped default engagement ranker while no model is promoted: Interactions Rank
    (Roth et al., KDD 2010), ``sum 2 ** (outgoing) * 0.5 ** (age / 28 days)``, which is
    what ``helpnext today`` ranks with before ``helpnext train`` (the feature
    ``ir_28_w2``)."""

    model_id = "interactions-rank-28d"

    def rank_scores(self, frame: pl.DataFrame) -> np.ndarray:
        return frame["ir_28_w2"].to_numpy().astype(np.float64)


# -- reading -------------------------------------------------------------------------------


def edge_events(edges: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """Every node's view of an edge list ``src, dst, ts`` (whole seconds), lazily and
    unsorted: ``src -> dst`` is an "out" event of owner src and an "in" event of owner
    dst; self-loops dropped (``pipelines.ingest.edges.events_from_edges`` without its sort)."""
    e = edges.lazy().filter(pl.col("src") != pl.col("dst"))
    ts = pl.from_epoch("ts", time_unit="s")
    out = e.select(pl.col("src").alias(OWNER), pl.col("dst").alias(CONTACT), ts.alias(TS))
    inc = e.select(pl.col("dst").alias(OWNER), pl.col("src").alias(CONTACT), ts.alias(TS))
    return pl.concat(
        [
            out.with_columns(pl.lit(OUT).alias(DIRECTION)),
            inc.with_columns(pl.lit(IN).alias(DIRECTION)),
        ]
    )


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of ``path``: one file, or every ``*.parquet`` under a folder
    (e.g. one partitioned by owner)."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet") if not p.name.startswith((".", "_")))
        if not files:
            raise ScoreInputError(f"{path}: no .parquet files in this folder")
        return files
    if not path.exists():
        raise ScoreInputError(f"{path}: no such file or folder")
    return [path]


def read_parquet_events(path: Path) -> pl.LazyFrame:
    """A Parquet event log (one file or a folder, optionally partitioned by owner as
    ``owner=<id>/``) as a lazy canonical event frame. Columns: ``owner``, ``contact``,
    ``ts`` (a timestamp, or whole seconds since 1970) and ``direction`` (out / in), and
    optionally ``channel``, ``is_give``, ``thread``, ``n_participants``."""
    path = Path(path)
    files = parquet_files(path)
    try:
        lf = pl.scan_parquet(
            [str(f) for f in files], hive_partitioning=path.is_dir(), missing_columns="insert"
        )
        schema = lf.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as err:
        raise ScoreInputError(f"{path}: not a readable Parquet file ({_first_line(err)})") from None
    missing = [c for c in (OWNER, CONTACT, TS, DIRECTION) if c not in schema]
    if missing:
        raise ScoreInputError(
            f"{path}: the events lack column(s) {', '.join(missing)} "
            f"(need owner, contact, ts, direction; has {', '.join(schema.names())})"
        )
    if schema[TS].is_integer() or schema[TS].is_float():
        lf = lf.with_columns(pl.from_epoch(pl.col(TS).cast(pl.Int64), time_unit="s").alias(TS))
    elif isinstance(schema[TS], pl.Datetime) and schema[TS].time_zone is not None:
        lf = lf.with_columns(pl.col(TS).dt.convert_time_zone("UTC").dt.replace_time_zone(None))
    return conform_events(lf)


def read_events(path: Path, fmt: str) -> pl.LazyFrame:
    """The events of an interaction log (``fmt``: one of :data:`INPUT_FORMATS`), lazily."""
    if fmt == "parquet":
        return read_parquet_events(path)
    if fmt == "edges":
        from pipelines.ingest.edges import read_edges

        return conform_events(edge_events(read_edges(path)))
    raise ScoreInputError(f"unknown format {fmt!r}; known formats: {', '.join(INPUT_FORMATS)}")


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0][:200]


# -- the engine ----------------------------------------------------------------------------


def rank_scores(frame: pl.DataFrame, scores: np.ndarray, top: int | None = None) -> pl.DataFrame:
    """``owner, contact, score, rank`` with rank 1 = highest score per owner; equal scores
    are ordered by contact id so the output is deterministic."""
    ranked = (
        frame.select(OWNER, CONTACT)
        .with_columns(pl.Series("score", np.asarray(scores, dtype=np.float64)))
        .sort([OWNER, "score", CONTACT], descending=[False, True, False])
        .with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(OWNER).alias("rank"))
    )
    if top is not None:
        ranked = ranked.filter(pl.col("rank") <= top)
    return ranked.select(*SCORE_COLUMNS)


def global_step(inputs: pl.DataFrame) -> pl.DataFrame:
    """``owner, contact`` and :data:`pipelines.features.engagement.GLOBAL_COLUMNS` of every pair of
    ``inputs`` (:func:`pipelines.features.engagement.global_inputs` rows of every owner)."""
    return pl.concat([inputs.select(OWNER, CONTACT), global_columns(inputs)], how="horizontal")


def score_owner_events(
    events: pl.DataFrame | pl.LazyFrame,
    globals_: pl.DataFrame,
    as_of: datetime,
    model,
    top: int | None = None,
    pairs: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Ranked ``owner, contact, score, rank`` of the owners of ``events`` (whole owners),
    given their rows of :func:`global_step` (``pairs``: their
    :func:`pipelines.features.engagement.pair_features`, when already computed)."""
    pairs = pair_features(events, as_of) if pairs is None else pairs
    if pairs.height == 0:
        return pl.DataFrame(schema=dict(zip(SCORE_COLUMNS, _SCORE_TYPES, strict=True)))
    frame = finish_features(with_globals(pairs, globals_)).collect()
    return rank_scores(frame, model_scores(model, frame), top)


def model_scores(model, frame: pl.DataFrame) -> np.ndarray:
    """``model.rank_scores`` of ``frame`` (rows sorted by owner) a block of whole owners
    at a time, about :data:`SCORE_BLOCK_ROWS` rows each: a model's scores of an owner's
    rows depend on that owner's rows alone, and its working arrays stay a block's size."""
    rows = SCORE_BLOCK_ROWS
    owner = frame[OWNER].to_numpy()
    if len(owner) <= rows:
        return np.asarray(model.rank_scores(frame), dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    cuts = np.unique(starts[np.searchsorted(starts, np.arange(0, len(owner), rows))])
    bounds = [*cuts.tolist(), len(owner)]
    return np.concatenate(
        [
            np.asarray(model.rank_scores(frame.slice(a, b - a)), dtype=np.float64)
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
    )


def with_globals(pairs: pl.DataFrame, globals_: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` with their :data:`pipelines.features.engagement.GLOBAL_COLUMNS` from ``globals_``
    (:func:`global_step` rows of these owners): side by side when the rows are the same
    pairs in the same order (the local engine's case: no join), else joined on the pair."""
    same = globals_.height == pairs.height and all(
        np.array_equal(globals_[c].to_numpy(), pairs[c].to_numpy()) for c in (OWNER, CONTACT)
    )
    if same:
        return pl.concat([pairs, globals_.select(GLOBAL_COLUMNS)], how="horizontal")
    glob = globals_.select(OWNER, CONTACT, *GLOBAL_COLUMNS).cast(
        {OWNER: pairs.schema[OWNER], CONTACT: pairs.schema[CONTACT]}
    )
    return pairs.join(glob, on=[OWNER, CONTACT], how="left", maintain_order="left")


_SCORE_TYPES = (pl.Int64, pl.Int64, pl.Float64, pl.Int64)


def score_owners(
    events: pl.LazyFrame | pl.DataFrame,
    as_of: datetime,
    model,
    *,
    top: int | None = None,
    bucket_events: int = BUCKET_EVENTS,
    spill_dir: Path | None = None,
) -> pl.DataFrame:
    """Every owner of ``events`` scored at ``as_of`` with ``model``, in bounded memory.

    The events before ``as_of`` are split into buckets of whole owners (a hash of the
    owner modulo B, about ``bucket_events`` events each), spilled to temporary Arrow IPC
    files in one streaming pass over the input. Each bucket's pair features are computed
    once and spilled too (Arrow IPC, uncompressed: cheaper to write and read back than to
    compute again), so no more than one bucket's events or pairs are in memory at once,
    beside the global step's few columns per pair. One bucket: everything in memory, no
    spill.

    Raises :class:`ScoreInputError` when no event precedes ``as_of``."""
    past = conform_events(events).filter(pl.col(TS) < pl.lit(as_of, dtype=pl.Datetime("us")))
    n_events = past.select(pl.len()).collect().item()
    if n_events == 0:
        raise ScoreInputError(f"no events before {as_of.isoformat()}: nothing to score")
    buckets = max(1, math.ceil(n_events / max(bucket_events, 1)))
    if buckets == 1:
        pairs = pair_features(past, as_of)
        glob = global_step(global_inputs(pairs))
        return score_owner_events(past, glob, as_of, model, top, pairs=pairs)
    with tempfile.TemporaryDirectory(prefix="helpnext-score-", dir=spill_dir) as tmp:
        # one streaming pass over the input writes every bucket's events apart
        # (only the numbers and flags the features read: no strings)
        flags = event_flags(past, as_of)
        flags.with_columns(_bucket(buckets).alias("_bucket")).sink_ipc(
            pl.PartitionBy(tmp, key="_bucket", include_key=False),
            mkdir=True,
            compression="uncompressed",
        )
        spilled, inputs = [], []
        for b in range(buckets):
            files = sorted(Path(tmp, f"_bucket={b}").glob("*.ipc"))
            if not files:
                continue
            pairs = flagged_pair_features(pl.scan_ipc(files), as_of)
            inputs.append(global_inputs(pairs))
            spilled.append(Path(tmp, f"pairs-{b}.arrow"))
            pairs.write_ipc(spilled[-1], compression="uncompressed")
            del pairs
        # the global step's rows run bucket by bucket, each in its pairs' order: a bucket's
        # rows are one slice (no hashing of every pair once per bucket)
        sizes = [part.height for part in inputs]
        glob = global_step(pl.concat(inputs))
        del inputs
        parts, offset = [], 0
        for path, size in zip(spilled, sizes, strict=True):
            pairs = pl.read_ipc(path)
            part = glob.slice(offset, size)
            parts.append(score_owner_events(None, part, as_of, model, top, pairs=pairs))
            offset += size
            del pairs
        return pl.concat(parts).sort(OWNER, "rank")


def _bucket(buckets: int) -> pl.Expr:
    return pl.col(OWNER).hash(seed=0) % buckets


def retrain(events: pl.DataFrame | pl.LazyFrame, as_of: datetime, horizon: timedelta):
    """(model, info): an engagement model fitted on the events before ``as_of`` only
    (self-supervised, earlier cutoffs; ``pipelines.engagement.train.train_engagement``)."""
    from pipelines.engagement.train import train_engagement

    past = conform_events(events).filter(pl.col(TS) < as_of).collect()
    if past.height == 0:
        raise ScoreInputError(f"no events before {as_of.isoformat()}: nothing to score")
    result = train_engagement(past, as_of, horizon)
    return result.model, {
        "model_id": f"retrained-{result.data_hash[:12]}",
        "training_cutoffs": len(result.cutoffs),
        "training_rows": result.n_rows,
        "validation": result.validation,
    }


def score_events(
    events: pl.DataFrame | pl.LazyFrame,
    as_of: datetime,
    *,
    model=None,
    top: int | None = None,
    horizon: timedelta = DEFAULT_HORIZON,
) -> tuple[pl.DataFrame, dict]:
    """Rank every owner's candidates at ``as_of``; returns (scores, info). Without a model
    one is retrained on the events before ``as_of`` (:func:`retrain`).

    Raises :class:`ScoreInputError` (a ``ValueError``) when no event precedes ``as_of``."""
    info: dict = {}
    if model is None:
        model, info = retrain(events, as_of, horizon)
    scores = score_owners(events, as_of, model, top=top)
    info["owners"] = scores[OWNER].n_unique()
    return scores, info


# -- writing -------------------------------------------------------------------------------


def write_scores(scores: pl.DataFrame, out: Path) -> Path:
    """Write ``scores`` to ``out`` atomically, readable by the owner only: a ``.csv`` or
    ``.parquet`` file by extension (CSV cells a spreadsheet would run as a formula are
    neutralised), or any other name: a folder of Parquet files partitioned by owner
    (``owner=<id>/``), like the Spark engine writes."""
    from pipelines.csvsafe import atomic_write_bytes, write_csv

    out = Path(out)
    suffix = out.suffix.lower()
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        buffer = io.BytesIO()
        scores.write_parquet(buffer)
        atomic_write_bytes(out, buffer.getvalue(), 0o600)
    elif suffix == ".csv":
        write_csv(scores.with_columns(pl.col(pl.Float64).round(6)), out)
    else:
        with replacing_folder(out) as tmp:
            if scores.height:
                scores.write_parquet(tmp, partition_by=[OWNER])
            else:
                scores.write_parquet(tmp / "part-0.parquet")
    return out


class replacing_folder:  # noqa: N801 - a context manager used like a function
    """``with replacing_folder(out) as tmp:`` write into ``tmp``; on success ``tmp``
    replaces ``out`` (an older ``out`` is moved aside first, then removed); on failure
    ``tmp`` is removed and ``out`` is as it was."""

    def __init__(self, out: Path):
        self.out = Path(out)

    def __enter__(self) -> Path:
        if self.out.exists() and not self.out.is_dir():
            raise ScoreInputError(f"--out {self.out}: a file is in the way of the output folder")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.out.name}.", dir=self.out.parent))
        os.chmod(self.tmp, 0o700)
        return self.tmp

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        old = None
        if self.out.exists():
            old = self.out.parent / f".{self.out.name}.old-{os.getpid()}"
            os.replace(self.out, old)
        os.replace(self.tmp, self.out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
