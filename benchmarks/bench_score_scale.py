"""Batch scoring at scale: the local engine (owners streamed in buckets) and Spark
``local[2]`` on generated Parquet event logs of 1M and 10M events (50 events a person:
20k and 200k people), each step in its own process (wall seconds, peak RSS, rows/s):

* ``read``: a bare Polars read of the same file (``pl.read_parquet``): the floor;
* ``read + sort``: that read and one sort of the events by (owner, contact, time), as
  the feature step sorts them (one stable sort on one Int64 key): the least any exact
  feature step does (each pair's events in time order), a floor closer to the real one;
* ``features``: the feature step alone (pair features per bucket, the global step,
  finished features; no model), and ``features (one pass)``: the same in memory at once
  (``build_features``: what batch scoring did before owners were streamed);
* ``score``: ``helpnext score --interactions FILE --out scores.parquet`` end to end;
* ``spark``: ``helpnext score --engine spark --master local[2]`` (1M only unless
  ``--spark-all``: on two cores a 10M run takes long).

Then the fitted exponent of time against events (log-log slope over the sizes run).

    .venv/bin/python benchmarks/bench_score_scale.py [--sizes 1000000,10000000] [--spark-all]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PY = str(ROOT / ".venv" / "bin" / "python")
HELPNEXT = str(ROOT / ".venv" / "bin" / "helpnext")
DAYS = 365
AS_OF = DAYS * 86_400  # seconds: after every event
EVENTS_PER_PERSON = 50


def generate(path: Path, n_events: int, seed: int = 0) -> None:
    """``owner, contact, ts, direction`` events: each owner has eight favourites (70 % of
    their events) and writes now and then to anyone; times uniform over a year."""
    rng = np.random.default_rng(seed)
    people = max(n_events // EVENTS_PER_PERSON, 10)
    favourites = rng.integers(0, people, size=(people, 8), dtype=np.int64)
    owner = rng.integers(0, people, size=n_events, dtype=np.int64)
    contact = np.where(
        rng.random(n_events) < 0.7,
        favourites[owner, rng.integers(0, 8, size=n_events)],
        rng.integers(0, people, size=n_events, dtype=np.int64),
    )
    keep = owner != contact
    ts = rng.integers(0, DAYS * 86_400, size=n_events, dtype=np.int64)
    pl.DataFrame(
        {
            "owner": owner[keep],
            "contact": contact[keep],
            "ts": ts[keep],
            "direction": np.where(rng.random(n_events) < 0.5, "out", "in")[keep],
        }
    ).write_parquet(path)


# each child prints the seconds of its step alone (after its imports) on its last line
READ = """
import sys, time
import polars as pl
start, cpu = time.perf_counter(), time.process_time()
pl.read_parquet(sys.argv[1])
print(time.perf_counter() - start, time.process_time() - cpu)
"""
READ_SORT = """
import sys, time
import polars as pl
start, cpu = time.perf_counter(), time.process_time()
events = pl.read_parquet(sys.argv[1])
o, c, t = events["owner"], events["contact"], events["ts"]  # ts: whole seconds
key = ((o - o.min()) * (c.max() - c.min() + 1) + c - c.min()) * (t.max() - t.min() + 1)
events.with_columns((key + t - t.min()).alias("_key")).sort("_key", maintain_order=True)
print(time.perf_counter() - start, time.process_time() - cpu)
"""
FEATURES = """
import sys, time
from datetime import datetime, timedelta
from pipelines.score import HeuristicRanker, read_parquet_events, score_owners
as_of = datetime(1970, 1, 1) + timedelta(seconds=int(sys.argv[2]))
start, cpu = time.perf_counter(), time.process_time()
score_owners(read_parquet_events(sys.argv[1]), as_of, HeuristicRanker())
print(time.perf_counter() - start, time.process_time() - cpu)
"""
ONE_PASS = """
import sys, time
from datetime import datetime, timedelta
from pipelines.features.engagement import build_features
from pipelines.score import read_parquet_events
as_of = datetime(1970, 1, 1) + timedelta(seconds=int(sys.argv[2]))
start, cpu = time.perf_counter(), time.process_time()
build_features(read_parquet_events(sys.argv[1]), as_of).collect()
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def run(label: str, cmd: list[str], n_events: int, rows: dict) -> dict:
    m = measure(cmd, shown=label)
    if m["exit"] != 0:
        print(f"  {label}: failed: {m['stderr'][-400:]}")
        return m
    try:  # the step's own wall and CPU seconds, when the child printed them
        m["step"], m["step_cpu"] = map(float, m["stdout"].splitlines()[-1].split())
    except (IndexError, ValueError):
        m["step"], m["step_cpu"] = m["seconds"], m["cpu_seconds"] or float("nan")
    rate = n_events / m["step"] if m["step"] else float("nan")
    print(
        f"  {label:<22} {m['step']:7.2f} s wall {m['step_cpu']:7.2f} s CPU "
        f"({m['seconds']:6.1f} s process)  {m['peak_rss_mb']:6.0f} MB peak RSS  "
        f"{rate:11,.0f} events/s"
    )
    rows.setdefault(label, []).append((n_events, m["step"], m["step_cpu"]))
    return m


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--spark-all", action="store_true")
    parser.add_argument("--no-spark", action="store_true")
    parser.add_argument("--no-one-pass", action="store_true", help="skip the old in-memory pass")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows: dict[str, list] = {}
    with tempfile.TemporaryDirectory(prefix="bench-score-scale-") as tmp:
        for n in sizes:
            log = Path(tmp) / f"events-{n}.parquet"
            generate(log, n)
            people = max(n // EVENTS_PER_PERSON, 10)
            size_mb = log.stat().st_size / 1024**2
            print(f"{n:,} events, {people:,} people ({size_mb:.0f} MB Parquet):")
            read = run("read", [PY, "-c", READ, str(log)], n, rows)
            floor = run("read + sort", [PY, "-c", READ_SORT, str(log)], n, rows)
            feat = run("features", [PY, "-c", FEATURES, str(log), str(AS_OF)], n, rows)
            for base, name in ((read, "read"), (floor, "read + sort")):
                if base["exit"] == 0 and feat["exit"] == 0:
                    wall = feat["step"] / max(base["step"], 1e-9)
                    cpu = feat["step_cpu"] / max(base["step_cpu"], 1e-9)
                    print(f"  features / {name} = {wall:.1f}x wall, {cpu:.1f}x CPU")
            if not args.no_one_pass:
                run("features (one pass)", [PY, "-c", ONE_PASS, str(log), str(AS_OF)], n, rows)
            out = Path(tmp) / f"scores-{n}.parquet"
            score = [HELPNEXT, "--home", str(Path(tmp) / "home"), "score"]
            score += ["--interactions", str(log), "--as-of", str(AS_OF)]
            m = run("score (local)", [*score, "--out", str(out)], n, rows)
            if m["exit"] == 0:
                print(f"  rows scored: {pl.scan_parquet(out).select(pl.len()).collect().item():,}")
            if not args.no_spark and (args.spark_all or n == min(sizes)):
                spark = [*score, "--engine", "spark", "--master", "local[2]", "--top", "10"]
                run("score (spark local[2])", [*spark, "--out", str(Path(tmp) / f"s-{n}")], n, rows)
    print(f"(load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print("time ~ events^k, k fitted over the sizes run (wall; CPU, steadier on a busy machine):")
    for label, points in rows.items():
        if len(points) >= 2:
            x = np.log([p[0] for p in points])
            k_wall = np.polyfit(x, np.log([max(p[1], 1e-3) for p in points]), 1)[0]
            k_cpu = np.polyfit(x, np.log([max(p[2], 1e-3) for p in points]), 1)[0]
            print(f"  {label:<22} k = {k_wall:.2f} wall, {k_cpu:.2f} CPU")
    if not any(len(p) >= 2 for p in rows.values()):
        print("  (one size only)")


if __name__ == "__main__":
    main()
