"""Time point-in-time features for one cutoff over a generated log of 10,000,000 events
between 200,000 people, and their peak memory. Targets: < 30 s and < 6 GB peak RSS.

Also prints the ratio of the feature time to the time Polars alone takes to read the file.

    .venv/bin/python benchmarks/bench_features.py [--events N] [--people N]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DAYS = 730


def generate(path: Path, n_events: int, n_people: int, seed: int = 0) -> None:
    """A two-year log in the canonical event schema: everyone writes mostly to a few
    favourites (geometric offsets), some group messages, some gives, bursty times."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    owner = rng.integers(0, n_people, n_events)
    contact = (owner + rng.geometric(0.08, n_events)) % n_people
    seconds = np.sort(rng.integers(0, DAYS * 86_400, n_events))
    direction = np.where(rng.random(n_events) < 0.5, "out", "in")
    channel = rng.choice(
        ["email", "message", "meeting", "endorsement"], n_events, p=[0.6, 0.3, 0.08, 0.02]
    )
    group = rng.random(n_events) < 0.05
    frame = pl.DataFrame(
        {
            "owner": owner.astype("int64"),
            "contact": contact.astype("int64"),
            "ts": pl.Series(seconds * 1_000_000).cast(pl.Datetime("us")),
            "direction": direction,
            "channel": channel,
            "is_give": channel == "endorsement",
            "thread": pl.Series(rng.integers(0, 100_000, n_events)).cast(pl.String),
            "n_participants": np.where(group, 4, 2).astype("int32"),
        }
    )
    frame = frame.with_columns(pl.when(pl.Series(group)).then(pl.col("thread")).alias("thread"))
    frame.write_parquet(path)


def measure(path: Path, what: str) -> None:
    """Run in a fresh process so peak RSS belongs to this step alone."""
    from datetime import datetime, timedelta

    import polars as pl

    start = time.perf_counter()
    if what == "read":
        frame = pl.read_parquet(path)
        rows = frame.height
    else:
        from pipelines.features.engagement import build_features

        as_of = datetime(1970, 1, 1) + timedelta(days=int(DAYS * 0.8))
        rows = build_features(pl.scan_parquet(path), as_of).collect().height
    elapsed = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"{elapsed:.3f} {peak_kb} {rows}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--measure", choices=["read", "features"])
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.measure:
        measure(args.path, args.measure)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.parquet"
        t0 = time.perf_counter()
        generate(path, args.events, args.people)
        print(
            f"generated {args.events:,} events over {args.people:,} people in "
            f"{time.perf_counter() - t0:.1f} s ({path.stat().st_size / 1e6:.0f} MB parquet)"
        )
        results = {}
        for what in ("read", "features"):
            out = subprocess.run(
                [sys.executable, __file__, "--measure", what, "--path", str(path)],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.split()
            results[what] = (float(out[0]), int(out[1]) / 1e6, int(out[2]))
        read_s, read_gb, _ = results["read"]
        feat_s, feat_gb, pairs = results["features"]
        print(f"polars read_parquet: {read_s:.2f} s, peak RSS {read_gb:.2f} GB")
        print(
            f"features (one cutoff, {pairs:,} pairs): {feat_s:.2f} s (target < 30 s), "
            f"peak RSS {feat_gb:.2f} GB (target < 6 GB)"
        )
        print(f"ratio feature time / read time: {feat_s / read_s:.1f}x")


if __name__ == "__main__":
    main()
