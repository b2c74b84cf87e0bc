"""Batch scoring on Apache Spark: the local engine's functions, partitioned by owner.

The same three steps as :mod:`pipelines.score`, each where it belongs on a cluster:

1. ``groupBy(bucket).applyInArrow``: each bucket of whole owners' events -> the few
   per-pair columns the global step reads (:func:`pipelines.features.engagement.global_inputs` of
   :func:`pipelines.features.engagement.pair_features`: the very Polars code of the local engine);
2. the global step as Spark aggregations and joins: the contact's side (a ``groupBy`` on
   the contact) and the two-hop count (a self-join of the recently active pairs, minus the
   busiest go-betweens past :data:`pipelines.features.engagement.MAX_TWO_HOP_PATHS`, chosen by
   :func:`pipelines.features.engagement.dropped_go_betweens` as locally);
3. ``groupBy(bucket).cogroup(...).applyInArrow``: each bucket's events and global columns
   -> finished features -> the model's ranking scores -> ``owner, contact, score, rank``.

The bucket is a hash of the owner (``pmod(xxhash64(owner), B)``), so a group holds whole
owners and every owner's rows are in one group: the per-owner functions give the same
answer for any set of whole owners (tested), and a Python worker is called once per
bucket instead of once per owner (tens of milliseconds each, which a log of 100k owners
would pay 200k times). B is chosen so a bucket holds about
:data:`pipelines.score.BUCKET_EVENTS` events (at least one bucket per core): a group is
one Arrow table in one worker, so memory per task is bounded by that, not by the largest
owner alone; an owner is never split, and one owner with a million events is ~50 MB of
event columns plus the feature step's working set (measured: README).

The model reaches the executors as the bytes of its pickle-free serving file (``.npz``,
``pipelines.engagement.serving``), broadcast once and read with ``allow_pickle=False``: no
scikit-learn and no pickle on the executors. Arrow crosses as ``large_string`` / plain
numbers (``spark.sql.execution.arrow.useLargeVarTypes``), and ``pl.from_arrow`` takes it
without a copy.

On a cluster::

    spark-submit pipelines/distributed/spark_score.py --interactions s3://.../events/ \\
        --format parquet --as-of 2026-01-01 --model engagement.npz --out s3://.../scores/
"""

from __future__ import annotations

import argparse
import io
import math
import os
import shutil
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

BUCKET = "_owner_bucket"
INSTALL_HINT = "install with pip install 'helpnext[spark]'; Spark needs Java 17"
DAY_US = 86_400 * 1_000_000


class SparkUnavailable(RuntimeError):
    """PySpark or Java is missing: the message says how to install them."""


# -- the session ---------------------------------------------------------------------------


def check_spark() -> None:
    """Raise :class:`SparkUnavailable` (one line: what to install) unless PySpark 4 with
    its Arrow support and a Java runtime are present."""
    try:
        import pandas  # noqa: F401 - PySpark's Arrow UDFs need it
        import pyarrow  # noqa: F401
        import pyspark
    except ImportError:
        raise SparkUnavailable(INSTALL_HINT) from None
    if int(pyspark.__version__.split(".")[0]) < 4:
        raise SparkUnavailable(f"PySpark {pyspark.__version__} is too old: {INSTALL_HINT}")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and not shutil.which("java"):
        raise SparkUnavailable(f"no Java runtime found: {INSTALL_HINT}")


def spark_session(master: str | None = "local[*]", app: str = "helpnext-score"):
    """A SparkSession for scoring (``master`` None: whatever ``spark-submit`` set)."""
    check_spark()
    from pyspark.sql import SparkSession

    if master is None or master.startswith("local"):
        # local workers run this very interpreter, which has polars and helpnext
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName(app)
    if master is not None:
        builder = builder.master(master)
        if master.startswith("local"):
            builder = builder.config("spark.ui.enabled", "false").config(
                "spark.sql.shuffle.partitions", "2"
            )
    return (
        builder.config("spark.sql.execution.arrow.useLargeVarTypes", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


# -- input ---------------------------------------------------------------------------------


def read_events(spark, path: str, fmt: str):
    """Events as a Spark DataFrame: ``owner, contact, ts_us`` (microseconds since 1970,
    UTC), ``direction`` and the optional canonical columns present. ``fmt``: ``parquet``
    (a file or folder, e.g. partitioned by owner) or ``edges`` (``SRC DST [WEIGHT] TS``
    lines, ``%``/``#`` comments, optionally gzip'd: each edge is an "out" event of SRC
    and an "in" event of DST)."""
    from pyspark.sql import functions as F

    from pipelines.score import ScoreInputError

    if fmt == "edges":
        text = F.regexp_replace(F.col("value"), "\r", "")  # CRLF files
        lines = spark.read.text(path).select(F.trim(text).alias("v"))
        lines = lines.filter((F.col("v") != "") & ~F.col("v").startswith("%"))
        lines = lines.filter(~F.col("v").startswith("#"))
        parts = F.split(F.col("v"), r"[ \t,]+")
        edges = lines.select(
            parts.getItem(0).cast("long").alias("src"),
            parts.getItem(1).cast("long").alias("dst"),
            F.floor(F.element_at(parts, -1).cast("double")).cast("long").alias("ts"),
        ).filter(F.col("src") != F.col("dst"))
        ts = (F.col("ts") * 1_000_000).alias("ts_us")
        out = edges.select(F.col("src").alias("owner"), F.col("dst").alias("contact"), ts)
        inc = edges.select(F.col("dst").alias("owner"), F.col("src").alias("contact"), ts)
        return out.withColumn("direction", F.lit("out")).unionByName(
            inc.withColumn("direction", F.lit("in"))
        )
    if fmt != "parquet":
        raise ScoreInputError(f"unknown format {fmt!r}; known formats: edges, parquet")
    frame = spark.read.parquet(path)
    names = frame.columns
    missing = [c for c in ("owner", "contact", "ts", "direction") if c not in names]
    if missing:
        raise ScoreInputError(
            f"{path}: the events lack column(s) {', '.join(missing)} "
            f"(need owner, contact, ts, direction; has {', '.join(names)})"
        )
    kind = dict(frame.dtypes)["ts"]
    if kind in ("bigint", "int", "double", "float"):
        ts_us = F.col("ts").cast("long") * 1_000_000
    else:
        ts_us = F.unix_micros(F.col("ts").cast("timestamp"))
    optional = [c for c in ("channel", "is_give", "thread", "n_participants") if c in names]
    return frame.select(
        F.col("owner").cast("long").alias("owner"),
        F.col("contact").cast("long").alias("contact"),
        ts_us.alias("ts_us"),
        F.col("direction").cast("string").alias("direction"),
        *optional,
    )


def _polars_events(table):
    """An Arrow table of :func:`read_events` rows as the canonical Polars event frame."""
    import polars as pl

    from pipelines.columns import TS, conform_events

    frame = pl.from_arrow(table).drop(BUCKET, strict=False)
    return conform_events(
        frame.with_columns(pl.from_epoch("ts_us", time_unit="us").alias(TS)).drop("ts_us")
    )


# -- the model on executors ----------------------------------------------------------------

_RANKERS: dict[int, object] = {}


def _ranker(model_bytes: bytes | None):
    """The ranker of a serving file's bytes (None: the shipped heuristic), once per worker."""
    key = hash(model_bytes)
    if key not in _RANKERS:
        if model_bytes is None:
            from pipelines.score import HeuristicRanker

            _RANKERS[key] = HeuristicRanker()
        else:
            from pipelines.engagement.personal import from_arrays, is_bundle
            from pipelines.engagement.serving import PortableRanker, load_arrays

            arrays = load_arrays(io.BytesIO(model_bytes))
            _RANKERS[key] = from_arrays(arrays) if is_bundle(arrays) else PortableRanker(arrays)
    return _RANKERS[key]


# -- the job -------------------------------------------------------------------------------


def _arrow_out(frame):
    import polars as pl

    return frame.to_arrow(compat_level=pl.CompatLevel.oldest())


def global_step(spark, inputs):
    """Spark's version of :func:`pipelines.score.global_step`: ``owner, contact`` and every
    global column of each pair of ``inputs``."""
    import numpy as np
    from pyspark.sql import functions as F

    from pipelines.features.engagement import (
        ACTIVE_DAYS,
        CONTACT_AGGREGATE_COLUMNS,
        MAX_TWO_HOP_PATHS,
        dropped_go_betweens,
    )

    contacts = inputs.groupBy("contact").agg(
        F.min("age_last_any").alias("contact_age_last"),
        F.sum("_n_7d").alias("contact_n_7d"),
        F.sum("_n_28d").alias("contact_n_28d"),
        F.sum("n_in_7d").alias("contact_sent_7d"),
        F.sum("_dec_7").alias("contact_dec_7"),
        F.sum(F.when(F.col("age_last_any") < ACTIVE_DAYS, 1).otherwise(0)).alias(
            "contact_partners_28d"
        ),
        F.sum("_dec_28").alias("_contact_dec_28"),
    )
    active = inputs.filter(F.col("age_last_any") < ACTIVE_DAYS).select("owner", "contact")
    out_degree = active.groupBy("owner").agg(F.count("*").alias("_active_ties"))
    in_degree = active.groupBy("contact").agg(F.count("*").alias("_in"))
    paths = (
        out_degree.join(in_degree, out_degree.owner == in_degree.contact)
        .select(F.col("owner").alias("mid"), (F.col("_active_ties") * F.col("_in")).alias("n"))
        .cache()
    )
    total = paths.agg(F.sum("n")).first()[0] or 0
    first, second = active, active  # owner -> go-between, go-between -> contact
    if total > MAX_TWO_HOP_PATHS:
        rows = paths.orderBy("mid").collect()
        ids = np.array([r["mid"] for r in rows], dtype=np.int64)
        dropped = dropped_go_betweens(ids, np.array([r["n"] for r in rows], dtype=np.int64))
        gone = spark.createDataFrame([(int(i),) for i in dropped], "mid long")
        first = active.join(gone, active.contact == gone.mid, "left_anti")
        second = active.join(gone, active.owner == gone.mid, "left_anti")
    paths.unpersist()
    a = first.select(F.col("owner"), F.col("contact").alias("_mid"))
    b = second.select(F.col("owner").alias("_mid"), F.col("contact"))
    common = a.join(b, "_mid").groupBy("owner", "contact").agg(F.count("*").alias("_common"))
    return (
        inputs.select("owner", "contact")
        .join(common, ["owner", "contact"], "left")
        .join(out_degree, "owner", "left")
        .join(contacts, "contact", "left")
        .select(
            "owner",
            "contact",
            *[F.col(c).cast("double").alias(c) for c in CONTACT_AGGREGATE_COLUMNS],
            F.coalesce(F.col("_common").cast("double"), F.lit(0.0)).alias("common_recent"),
            F.coalesce(F.col("_active_ties"), F.lit(0)).cast("long").alias("_active_ties"),
        )
    )


def score_spark(
    spark,
    events,
    as_of: datetime,
    model_bytes: bytes | None,
    top: int | None = None,
    buckets: int | None = None,
):
    """``owner, contact, score, rank`` of every owner of ``events`` (:func:`read_events`
    rows) at ``as_of``, as a Spark DataFrame; ``model_bytes``: a serving file (None: the
    shipped heuristic). Owners are grouped in ``buckets`` by a hash of the owner (default:
    about :data:`pipelines.score.BUCKET_EVENTS` events a bucket, at least one per core);
    an owner is never split. Raises ``ScoreInputError`` when no event precedes ``as_of``."""
    import polars as pl
    from pyspark.sql import functions as F

    from pipelines.features.engagement import global_inputs, pair_features
    from pipelines.score import BUCKET_EVENTS, ScoreInputError, score_owner_events

    cut = int((as_of.replace(tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())
    cut_us = cut * 1_000_000 + as_of.microsecond
    past = events.filter(F.col("ts_us") < F.lit(cut_us))
    if buckets is None:
        n_events = past.count()
        if n_events == 0:
            raise ScoreInputError(f"no events before {as_of.isoformat()}: nothing to score")
        parallel = spark.sparkContext.defaultParallelism
        buckets = max(parallel, math.ceil(n_events / BUCKET_EVENTS))
    # whole owners per group: the owner's bucket (Python workers are called once a group)
    past = past.withColumn(BUCKET, F.pmod(F.xxhash64("owner"), F.lit(buckets)))
    shipped = spark.sparkContext.broadcast(model_bytes)

    def inputs_of(table):
        return _arrow_out(global_inputs(pair_features(_polars_events(table), as_of)))

    input_schema = (
        "owner long, contact long, age_last_any double, _n_7d long, _n_28d long, "
        "n_in_7d long, _dec_7 double, _dec_28 double"
    )
    inputs = past.groupBy(BUCKET).applyInArrow(inputs_of, input_schema).cache()
    glob = global_step(spark, inputs)

    def scores_of(table, glob_table):
        glob_part = pl.from_arrow(glob_table).drop(BUCKET)
        ranked = score_owner_events(
            _polars_events(table), glob_part, as_of, _ranker(shipped.value), top
        )
        return _arrow_out(ranked)

    return (
        past.groupBy(BUCKET)
        .cogroup(
            glob.withColumn(BUCKET, F.pmod(F.xxhash64("owner"), F.lit(buckets))).groupBy(BUCKET)
        )
        .applyInArrow(scores_of, "owner long, contact long, score double, rank long")
    )


def write_scores(scores, out: str) -> None:
    """Write Parquet partitioned by owner to ``out``. A local path is written beside it and
    renamed into place (nothing half-written); any other (hdfs://, s3://) relies on
    Spark's job commit (files appear only when the job succeeds)."""
    local = "://" not in out or out.startswith("file://")
    if not local:
        scores.write.mode("overwrite").partitionBy("owner").parquet(out)
        return
    from pipelines.score import replacing_folder

    target = Path(out.removeprefix("file://"))
    with replacing_folder(target) as tmp:
        scores.write.mode("overwrite").partitionBy("owner").parquet(str(tmp / "data"))
        for item in (tmp / "data").iterdir():
            os.replace(item, tmp / item.name)
        (tmp / "data").rmdir()


# -- spark-submit ----------------------------------------------------------------------------


def parse_as_of(text: str) -> datetime:
    """Whole seconds since 1970 or an ISO date / date-time (UTC)."""
    try:
        return datetime(1970, 1, 1) + timedelta(seconds=float(text))
    except ValueError:
        when = datetime.fromisoformat(text)
        return when.astimezone(UTC).replace(tzinfo=None) if when.tzinfo else when


def main(argv: list[str] | None = None) -> int:
    """``spark-submit pipelines/distributed/spark_score.py --interactions PATH --as-of T
    --out DIR [--format parquet|edges] [--model SERVING.npz] [--top N] [--master URL]``."""
    parser = argparse.ArgumentParser(prog="spark_score", description=main.__doc__)
    parser.add_argument("--interactions", required=True)
    parser.add_argument("--format", default="parquet", choices=("parquet", "edges"))
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--model",
        help="a serving file or a ranking bundle (.npz, as helpnext score --engine spark "
        "ships); default: Interactions Rank",
    )
    parser.add_argument("--top", type=int)
    parser.add_argument("--master", help="default: the one spark-submit sets")
    args = parser.parse_args(argv)
    try:
        model_bytes = None
        if args.model:
            model_bytes = Path(args.model).read_bytes()
            _ranker(model_bytes)  # refuse a bad file here
        spark = spark_session(args.master)
        events = read_events(spark, args.interactions, args.format)
        scores = score_spark(spark, events, parse_as_of(args.as_of), model_bytes, args.top)
        write_scores(scores, args.out)
    except (SparkUnavailable, ValueError, OSError) as err:
        print(f"spark_score: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
