"""Personal mode: the personal protocol's figures, and `helpnext train` on a personal home.

    .venv/bin/python benchmarks/bench_personal.py [FILE|gen:KIND:SEED ...] [--owners 24] [--seed 1]
    .venv/bin/python benchmarks/bench_personal.py --train [--interactions 50000]

Figures: for each log (default: the shared email-Eu-core log and its Dept3 slice), the
personal protocol (``helpnext eval --personal``: each sampled owner alone in a fresh home
through the real import path, trained and scored there at each cutoff) - mean per-owner
NDCG@10 and MRR, overall and on dormant ties, for the model and the best baseline, the
margin with its 95 % bootstrap interval over owners, and what selection chose.

``--train``: a personal home of ``--interactions`` events (one owner, 3,000 contacts, the
``bench_today`` generator) and ``helpnext train`` on it in a fresh process, timed (target:
under 30 s for 50,000 interactions).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "interactions"
DEFAULT = [DATA / "email-Eu-core-temporal.txt.gz", DATA / "email-Eu-core-temporal-Dept3.txt"]


def _log(name: str):
    """An edge list: a file, or ``gen:KIND:SEED`` for a generated log (pipelines.synthetic)."""
    from pipelines.ingest.edges import read_edges
    from pipelines.synthetic import GENERATORS

    if name.startswith("gen:"):
        _, kind, seed = name.split(":")
        return GENERATORS[kind](seed=int(seed))
    return read_edges(Path(name))


def figures(path: Path, owners: int, seed: int) -> None:
    from pipelines.ingest.edges import events_from_edges
    from recommender.personal_eval import run_personal

    started = time.perf_counter()
    report = run_personal(events_from_edges(_log(str(path))), owners, seed)
    took = time.perf_counter() - started
    print(
        f"\n{path.name}: {len(report['owners'])} owners of {report['eligible']} eligible, "
        f"seed {seed}, {took:.0f} s"
    )
    for part in ("overall", "dormant"):
        summary = report["summary"][part]
        model = summary["rankers"].get("model", {})
        for metric in ("ndcg@10", "mrr"):
            v = summary["vs_best_baseline"].get(metric)
            if not v:
                continue
            best = summary["rankers"][v["best_baseline"]]
            lo, hi = v["ci95"]
            print(
                f"  {part:8s} {metric:8s} model {model[metric]:.4f} vs {v['best_baseline']} "
                f"{best[metric]:.4f}: {v['margin']:+.4f} [{lo:+.4f}, {hi:+.4f}] "
                f"({model['owners']} owners)"
            )
    chosen = Counter(
        (c["selection"]["overall"], c["selection"]["dormant"])
        for o in report["owners"]
        for c in o["cutoffs"]
    )
    print(
        "  selection (everyone, dormant):", ", ".join(f"{k}: {n}" for k, n in chosen.most_common())
    )


def train_timing(n_interactions: int) -> None:
    from benchmarks.bench_today import AS_OF, HELPNEXT, build, child_env

    with tempfile.TemporaryDirectory(prefix="helpnext-bench-personal-") as tmp:
        home = Path(tmp) / "home"
        build(home, 3000, n_interactions)
        started = time.perf_counter()
        done = subprocess.run(
            [*HELPNEXT, "--home", str(home), "train", "--as-of", AS_OF.strftime("%Y-%m-%d")],
            capture_output=True,
            text=True,
            env=child_env(),
        )
        took = time.perf_counter() - started
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        raise SystemExit(done.returncode)
    print(
        f"helpnext train, personal home of {n_interactions:,} interactions: {took:.1f} s "
        "(target < 30 s)"
    )
    print("\n".join("  " + line for line in done.stdout.splitlines()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--owners", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train", action="store_true")
    parser.add_argument("--interactions", type=int, default=50_000)
    args = parser.parse_args(argv)
    if args.train:
        train_timing(args.interactions)
        return 0
    for path in args.files or DEFAULT:
        figures(path, args.owners, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
