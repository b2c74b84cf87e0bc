"""Feedback and retraining speed.

* retraining the preference model on 5,000 answered suggestions (target: under 10 s);
* recording one answer, ``helpnext done ID`` in a fresh process, start-up included
  (target: under 0.5 s); ``helpnext --version`` is printed beside it: the floor every
  command pays for Python, Typer (and its Pydantic) and the command modules; and the same
  answer through ``recommender.store.feedback.fast_cli``, which skips Typer (what an entry point
  that tries it first would cost).

    .venv/bin/python benchmarks/bench_feedback.py [--events 5000] [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

HELPNEXT = [sys.executable, "-m", "recommender"]


def shown_features(home: Path) -> tuple[int, list[dict]]:
    """(owner, features of every candidate of one real plan of the sample home)."""
    import json as _json

    from recommender.actions.context import build_context
    from recommender.plan.daily import all_candidates, latest_activity
    from recommender.preference import add_features
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        owner = store.owner_id(create=False)
        ctx = build_context(store, owner, latest_activity(store))
        frame = add_features(ctx, all_candidates(ctx))
    return owner, [_json.loads(f) for f in frame["features"].to_list()]


def fill_feedback(home: Path, owner: int, templates: list[dict], n: int, seed: int = 1) -> None:
    """``n`` shown suggestions over ``n / 5`` days, each answered (done for check-ins and
    introductions of people in data roles, mostly; skipped or ignored otherwise)."""
    import polars as pl

    from recommender.store.db import open_store

    rng = random.Random(seed)
    start = datetime(2021, 1, 1, 9)
    rows, answers = [], []
    for i in range(n):
        f = rng.choice(templates)
        shown = start + timedelta(days=i // 5)
        explored = i % 5 == 4
        likes = f["action"] in ("introduce", "check_in") and "data" in f.get("position", "")
        draw = rng.random()
        outcome = (
            "done"
            if draw < (0.8 if likes else 0.15)
            else ("skipped" if draw < 0.7 else ("snoozed" if draw < 0.75 else None))
        )
        rows.append(
            {
                "suggestion_id": i + 1,
                "as_of": shown,
                "owner_id": owner,
                "contact_id": f["contact"],
                "action": f["action"],
                "score": f["prior"],
                "reason": "benchmark",
                "model_version": "bench",
                "propensity": 1 / 60 if explored else 1.0,
                "created_at": shown,
                "status": {"skipped": "skipped", None: "open"}.get(outcome, outcome),
                "features": json.dumps(f),
            }
        )
        if outcome is not None:
            answers.append(
                {
                    "feedback_id": len(answers) + 1,
                    "suggestion_id": i + 1,
                    "owner_id": owner,
                    "contact_id": f["contact"],
                    "outcome": outcome,
                    "answered_at": shown + timedelta(hours=6),
                    "created_at": shown + timedelta(hours=6),
                }
            )
    suggestions = pl.DataFrame(rows)
    feedback = pl.DataFrame(answers)
    with open_store(home) as store, store.transaction() as con:
        con.register("suggestions_frame", suggestions)
        con.register("feedback_frame", feedback)
        con.execute("INSERT INTO suggestions BY NAME SELECT * FROM suggestions_frame")
        con.execute("INSERT INTO suggestion_feedback BY NAME SELECT * FROM feedback_frame")


def time_cli(home: Path, args: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*HELPNEXT, "--home", str(home), *args], capture_output=True, text=True, cwd=REPO
    )
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"helpnext {' '.join(args)}: {proc.stderr}")
    return took


FAST = (
    "import sys; from recommender.actions.registry import BY_NAME; "
    "from recommender.store.feedback import fast_cli; sys.exit(fast_cli(sys.argv[1:], BY_NAME))"
)


def time_fast(home: Path, suggestion_id: int) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", FAST, "--home", str(home), "done", str(suggestion_id)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"fast_cli done {suggestion_id}: {proc.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_simulation import build_sample_home

    from recommender.preference import train_preference
    from recommender.store.db import open_store

    with tempfile.TemporaryDirectory(prefix="helpnext-bench-feedback-") as tmp:
        home = Path(tmp) / "home"
        build_sample_home(home)
        owner, templates = shown_features(home)
        fill_feedback(home, owner, templates, args.events)
        as_of = datetime(2021, 1, 1) + timedelta(days=args.events // 5 + 2)
        with open_store(home) as store:
            answered = store.scalar("SELECT count(*) FROM suggestion_feedback")
            took = []
            for _ in range(3):
                t0 = time.perf_counter()
                result = train_preference(store, as_of=as_of, owner_id=owner)
                took.append(time.perf_counter() - t0)
        print(
            f"retrain on {args.events:,} shown suggestions ({answered:,} answered, the rest "
            f"ignored): {', '.join(f'{t:.2f}' for t in took)} s in 3 runs (target < 10 s)"
        )
        print(f"  {result.summary()}")

        # one answer per run, each on a suggestion still open
        with open_store(home) as store:
            open_ids = [
                r[0]
                for r in store.con.execute(
                    "SELECT suggestion_id FROM suggestions WHERE status = 'open' "
                    "ORDER BY suggestion_id LIMIT ?",
                    [2 * args.runs],
                ).fetchall()
            ]
        fast_ids = open_ids[args.runs :]
        open_ids = open_ids[: args.runs]
        floor = [time_cli(home, ["--version"]) for _ in range(args.runs)]
        done = [time_cli(home, ["done", str(sid), "--note", "bench"]) for sid in open_ids]
        print(
            f"helpnext done ID (fresh process): median {statistics.median(done):.3f} s, "
            f"min {min(done):.3f} s over {len(done)} runs (target < 0.5 s)"
        )
        fast = [time_fast(home, sid) for sid in fast_ids]
        print(
            f"recommender.store.feedback.fast_cli done ID (fresh process, no Typer): median "
            f"{statistics.median(fast):.3f} s, min {min(fast):.3f} s over {len(fast)} runs"
        )
        print(
            f"helpnext --version (the floor of any command): median "
            f"{statistics.median(floor):.3f} s, min {min(floor):.3f} s"
        )


if __name__ == "__main__":
    main()
