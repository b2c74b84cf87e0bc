"""Print the evaluation tables (DESIGN.md protocol) for the real SNAP e-mail logs.

.venv/bin/python benchmarks/bench_eval.py [FILE ...]
.venv/bin/python benchmarks/bench_eval.py --synthetic
.venv/bin/python benchmarks/bench_eval.py --robustness [FILE ...]
.venv/bin/python benchmarks/bench_eval.py --synthetic --seeds 0,1,2

``--robustness`` runs the protocol on each real log at other cutoff fractions than the
protocol's (each fraction alone: a period the method was not tuned on) and prints, per
cutoff and averaged over them, the model's margin over the best baseline on NDCG@10 and MRR,
overall and on the dormant slice. ``--seeds`` does the same for the synthetic logs over
several generator seeds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from pipelines.engagement.train import model_scorer  # noqa: E402
from pipelines.evaluate import run_protocol  # noqa: E402
from pipelines.ingest.edges import events_from_edges, read_edges  # noqa: E402
from pipelines.metrics import METRICS as M  # noqa: E402
from pipelines.synthetic import bursty_log, checkin_log, steady_log, term_chat_log  # noqa: E402
from recommender.cli.model import print_report  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "interactions"
DEFAULT = [DATA / "email-Eu-core-temporal.txt.gz", DATA / "email-Eu-core-temporal-Dept3.txt"]


SYNTHETIC = (
    ("synthetic bursty chat", bursty_log),
    ("synthetic steady e-mail", steady_log),
    ("synthetic quarterly check-ins", checkin_log),
    ("synthetic term chat with churn", term_chat_log),
)
ROBUST_FRACTIONS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65)
CELLS = (("overall", "ndcg@10"), ("overall", "mrr"), ("dormant", "ndcg@10"), ("dormant", "mrr"))


def _mean_report(reports: list[dict]) -> dict:
    """Every ranker's metrics averaged over the reports (cutoffs, seeds) that have it."""
    out: dict = {}
    for part in ("overall", "dormant"):
        names = {n for r in reports for n in r[part]}
        out[part] = {
            n: {m: float(np.mean([r[part][n][m] for r in reports if n in r[part]])) for m in M}
            for n in names
        }
    return out


def _margins(report: dict) -> str:
    """``model value (margin over the best baseline, its name)`` for the four cells."""
    cells = []
    for part, metric in CELLS:
        ranks = report[part]
        if "model" not in ranks:
            cells.append(f"{'-':>26}")
            continue
        best = max((n for n in ranks if n != "model"), key=lambda n: ranks[n][metric])
        diff = ranks["model"][metric] - ranks[best][metric]
        cells.append(f"{ranks['model'][metric]:.4f} ({diff:+.4f} {best:<13})")
    return " | ".join(cells)


HEADER = " | ".join(f"{p} {m:<7} (model - best baseline)" for p, m in CELLS)


def robustness(paths: list[Path], fractions=ROBUST_FRACTIONS) -> None:
    for path in paths:
        if not path.exists():
            print(f"skipped (not found): {path}")
            continue
        start = time.perf_counter()
        events = events_from_edges(read_edges(path))
        print(f"{path.name}: one cutoff at each fraction of the span, H = 7 days")
        print(f"{'fraction':>8} {'owners':>10} | {HEADER}")
        reports = []
        for f in fractions:
            r = run_protocol(events, {"model": model_scorer()}, fractions=(f,))
            c = r["cutoffs"][0]
            if c["owners"]:
                reports.append(r)
            owners = f"{c['owners']}/{c['owners_dormant']}"
            print(f"{f:>8} {owners:>10} | {_margins(r) if c['owners'] else ''}", flush=True)
        print(f"{'mean':>8} {len(reports):>4} cuts | {_margins(_mean_report(reports))}")
        print(f"{path.name}: {time.perf_counter() - start:.1f} s\n")


def synthetic_seeds(seeds: list[int]) -> None:
    print(f"{'log':<32} {'seed':>4} | {HEADER}")
    for name, make in SYNTHETIC:
        reports = []
        for seed in seeds:
            r = run_protocol(events_from_edges(make(seed=seed)), {"model": model_scorer()})
            reports.append(r)
            print(f"{name:<32} {seed:>4} | {_margins(r)}", flush=True)
        print(f"{name:<32} {'mean':>4} | {_margins(_mean_report(reports))}")


def run_synthetic() -> None:
    for name, make in SYNTHETIC:
        start = time.perf_counter()
        edges = make()
        report = run_protocol(events_from_edges(edges), {"model": model_scorer()})
        report["source"] = f"{name} ({edges.height:,} messages)"
        print_report(report)
        print(f"{name}: {time.perf_counter() - start:.1f} s (training included)\n")


def main(paths: list[Path]) -> None:
    for path in paths:
        if not path.exists():
            print(f"skipped (not found): {path}")
            continue
        start = time.perf_counter()
        report = run_protocol(events_from_edges(read_edges(path)), {"model": model_scorer()})
        report["source"] = path.name
        print_report(report)
        print(f"{path.name}: {time.perf_counter() - start:.1f} s (training included)\n")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args == ["--synthetic"]:
        run_synthetic()
    elif args[:2] == ["--synthetic", "--seeds"] and len(args) == 3:
        synthetic_seeds([int(x) for x in args[2].split(",")])
    elif args[:1] == ["--robustness"]:
        robustness([Path(p) for p in args[1:]] or DEFAULT)
    else:
        main([Path(p) for p in args] or DEFAULT)
