"""Does the ranker learn from what the owner does? A simulated owner answers 60 daily plans.

The owner of the bundled sample network (``data/sample``) has hidden preferences (see
:class:`Owner`): they act on suggestions about people in data roles (data, analytics,
machine learning), introductions and check-ins most of all, and nearly always when the
person is a former colleague (at a company the owner worked at); seldom on anyone else;
they never share articles, and never answer anything about one company. Each day they read
``helpnext today --as-of D --json`` and answer with ``helpnext done ID`` / ``skip ID`` (or
not at all) through the same Typer app the command line runs. The learning ranker retrains
its preference model every few days (``recommender.preference.train_preference``, what
``helpnext train`` calls); the other ranker is the same code with learning off (never
trained), which also means it never explores (the plan explores only with a model).

    .venv/bin/python benchmarks/bench_simulation.py [--days 60] [--retrain-every 3]

Prints the done-rate per 10-day block for both, and how many distinct people each showed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

START = datetime(2024, 6, 20, 9, 0)  # the morning after the sample's latest activity
IGNORED_COMPANY = "infosys"
DATA_ROLE = re.compile(r"data|analytics|machine learning")
WARM_ACTS = ("introduce", "check_in")
# p(done): (warm act, other act) for people in data roles, and for everyone else
DATA_DONE = (0.8, 0.6)
OTHER_DONE = (0.15, 0.15)
SEND_JOB_DONE = 0.1
COLLEAGUE_DONE = 0.95  # a warm act with a former colleague
SKIP_SHARE = 0.7  # of what is not done, how much is skipped (the rest is ignored)


def build_sample_home(home: Path) -> None:
    """The demo home: both sample LinkedIn exports, then articles, jobs, tags and notes."""
    from pipelines.ingest.linkedin.export import import_linkedin
    from recommender.cli.demo import SAMPLE_DIR, sample_paths
    from recommender.plan.demo import build_demo_extras
    from recommender.store.db import open_store
    from recommender.store.importer import apply_batch

    with open_store(home) as store:
        for path in sample_paths():
            apply_batch(store, import_linkedin(path))
        build_demo_extras(store, SAMPLE_DIR)


class Owner:
    """The simulated owner: answers a suggestion from what it is about, by hidden taste."""

    def __init__(self, colleagues: set[str], positions: dict[int, str], seed: int):
        self.colleagues = colleagues
        self.positions = positions  # the owner knows what their contacts do
        self.rng = random.Random(seed)

    def answer(self, suggestion: dict) -> str | None:
        company = (suggestion.get("company") or "").strip().lower()
        if company == IGNORED_COMPANY:
            return None
        action = suggestion["action"]
        warm = action in WARM_ACTS
        data = bool(DATA_ROLE.search(self.positions.get(suggestion["contact_id"], "")))
        if action == "share_article":
            p = 0.0
        elif warm and company in self.colleagues:
            p = COLLEAGUE_DONE
        elif action == "send_job":
            p = SEND_JOB_DONE
        else:
            p = (DATA_DONE if data else OTHER_DONE)[0 if warm else 1]
        draw = self.rng.random()
        if draw < p:
            return "done"
        return "skip" if self.rng.random() < SKIP_SHARE else None


def _what_the_owner_knows(home: Path) -> tuple[set[str], dict[int, str]]:
    """(companies the owner worked at, contact -> position), lower case."""
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        companies = store.con.execute(
            "SELECT DISTINCT lower(trim(company)) FROM owner_positions WHERE company IS NOT NULL"
        ).fetchall()
        positions = store.con.execute(
            "SELECT contact_id, lower(coalesce(position, '')) FROM contacts"
        ).fetchall()
    return {r[0] for r in companies}, {int(c): p for c, p in positions}


def simulate(
    base_home: Path,
    work: Path,
    *,
    learning: bool,
    days: int = 60,
    retrain_every: int = 3,
    seed: int = 7,
    log=None,
) -> dict:
    """Run one ranker for ``days`` days on a copy of ``base_home``; per-day results."""
    from typer.testing import CliRunner

    from recommender.cli.app import app
    from recommender.preference import train_preference
    from recommender.store.db import open_store

    home = work / ("learning" if learning else "static")
    shutil.rmtree(home, ignore_errors=True)
    shutil.copytree(base_home, home)
    runner = CliRunner()

    def cli(*args: str) -> str:
        result = runner.invoke(app, [*args, "--home", str(home)], catch_exceptions=False)
        if result.exit_code != 0:
            raise RuntimeError(f"helpnext {' '.join(args)}: {result.stderr or result.stdout}")
        return result.stdout

    owner = Owner(*_what_the_owner_knows(home), seed)
    per_day = []
    trainings = []
    for d in range(days):
        morning = START + timedelta(days=d)
        if learning and d > 0 and d % retrain_every == 0:
            with open_store(home) as store:
                result = train_preference(store, as_of=morning)
            trainings.append({"day": d + 1, **result.as_dict()})
            if log:
                log(f"  day {d + 1}: {result.summary()}")
        plan = json.loads(cli("today", "--as-of", morning.isoformat(), "--json"))
        answered_at = (morning + timedelta(hours=8)).isoformat()
        done = 0
        shown = plan["suggestions"]
        for s in shown:
            outcome = owner.answer(s)
            if outcome is not None:
                cli(outcome, str(s["id"]), "--as-of", answered_at)
            done += outcome == "done"
        per_day.append(
            {
                "day": d + 1,
                "shown": len(shown),
                "done": done,
                "people": [s["contact_id"] for s in shown],
                "actions": [s["action"] for s in shown],
                "explored": sum(s["propensity"] < 1.0 for s in shown),
            }
        )
    return {"days": per_day, "trainings": trainings}


def blocks(run: dict, size: int = 10) -> list[float]:
    """Done-rate (done / shown) per block of ``size`` days."""
    out = []
    days = run["days"]
    for start in range(0, len(days), size):
        part = days[start : start + size]
        shown = sum(d["shown"] for d in part)
        out.append(sum(d["done"] for d in part) / shown if shown else 0.0)
    return out


def done_rate(run: dict, first_day: int, last_day: int) -> float:
    part = [d for d in run["days"] if first_day <= d["day"] <= last_day]
    shown = sum(d["shown"] for d in part)
    return sum(d["done"] for d in part) / shown if shown else 0.0


def distinct_people(run: dict) -> int:
    return len({c for d in run["days"] for c in d["people"]})


def action_mix(run: dict, first_day: int, last_day: int) -> dict[str, int]:
    mix: dict[str, int] = {}
    for d in run["days"]:
        if first_day <= d["day"] <= last_day:
            for a in d["actions"]:
                mix[a] = mix.get(a, 0) + 1
    return dict(sorted(mix.items()))


def run_arms(days: int, retrain_every: int, seed: int, work: Path, log=print) -> dict:
    """Build the sample home once, then run both rankers side by side (two processes)."""
    import subprocess

    base = work / "base"
    t0 = time.perf_counter()
    build_sample_home(base)
    log(f"sample home built in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    procs = {}
    for arm in ("static", "learning"):
        out = work / f"{arm}.json"
        procs[arm] = (
            subprocess.Popen(
                [
                    sys.executable,
                    __file__,
                    "--arm",
                    arm,
                    "--base",
                    str(base),
                    "--out",
                    str(out),
                    "--days",
                    str(days),
                    "--retrain-every",
                    str(retrain_every),
                    "--seed",
                    str(seed),
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
            out,
        )
    runs = {}
    for arm, (proc, out) in procs.items():
        output, _ = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"the {arm} ranker failed:\n{output}")
        if output.strip():
            log(output.rstrip())
        runs[arm] = json.loads(out.read_text())
    log(f"both rankers, {days} days each, in {time.perf_counter() - t0:.1f} s (in parallel)")
    return runs


def report(runs: dict, days: int, log=print) -> dict:
    static, learned = runs["static"], runs["learning"]
    n_blocks = len(blocks(static))
    header = "ranker    " + " ".join(
        f"d{b * 10 + 1:>2}-{min(b * 10 + 10, days):<3}" for b in range(n_blocks)
    )
    log("")
    log(header + "  distinct people")
    for name, run in (("static", static), ("learning", learned)):
        cells = " ".join(f"{r:>7.3f}" for r in blocks(run))
        log(f"{name:<9} {cells}  {distinct_people(run)}")
    last = max(1, days - 19)
    ours, theirs = done_rate(learned, last, days), done_rate(static, last, days)
    ratio = ours / theirs if theirs else float("inf")
    log(
        f"\ndone-rate days {last}-{days}: learning {ours:.3f} vs static {theirs:.3f} "
        f"({ratio:.2f}x; target >= 1.5x)"
    )
    log(f"acts shown days {last}-{days}, static:   {action_mix(static, last, days)}")
    log(f"acts shown days {last}-{days}, learning: {action_mix(learned, last, days)}")
    promoted = sum(t["promoted"] for t in learned["trainings"])
    log(f"preference models trained: {len(learned['trainings'])}, promoted: {promoted}")
    return {"learning": ours, "static": theirs, "ratio": ratio}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--retrain-every", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--arm", choices=("static", "learning"), help=argparse.SUPPRESS)
    parser.add_argument("--base", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.arm:  # one ranker, in its own process (see run_arms)
        run = simulate(
            args.base,
            args.out.parent,
            learning=args.arm == "learning",
            days=args.days,
            retrain_every=args.retrain_every,
            seed=args.seed,
            log=print,
        )
        args.out.write_text(json.dumps(run, default=str))
        return
    with tempfile.TemporaryDirectory(prefix="helpnext-sim-") as tmp:
        runs = run_arms(args.days, args.retrain_every, args.seed, Path(tmp))
    report(runs, args.days)


if __name__ == "__main__":
    main()
