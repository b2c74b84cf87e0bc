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

from pipelines.evaluate import METRICS as M  # noqa: E402
from pipelines.evaluate import events_from_edges, run_protocol  # noqa: E402
from pipelines.ingest.edges import read_edges  # noqa: E402
from pipelines.train import model_scorer  # noqa: E402
from recommender.commands.model import print_report  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "interactions"
DEFAULT = [DATA / "email-Eu-core-temporal.txt.gz", DATA / "email-Eu-core-temporal-Dept3.txt"]


def bursty_log(seed: int = 0, people: int = 200, days: int = 300):
    """A chat-like log where recency dominates: each pair talks in short bursts during a few
    episodes of interest (days to weeks), at random times, both directions."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    n_pairs = people * 12
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.05, n_pairs)) % people
    src, dst, ts = [], [], []
    for a, b in zip(u, v, strict=True):
        for _ in range(rng.poisson(2) + 1):
            start = rng.uniform(0, days * 86_400)
            length = rng.exponential(7 * 86_400)
            n = rng.poisson(max(length / 86_400, 0.5) * 3) + 1
            t = np.sort(start + rng.uniform(0, length, n))
            out = rng.random(n) < 0.5
            src += list(np.where(out, a, b))
            dst += list(np.where(out, b, a))
            ts += list(t.astype(np.int64))
    frame = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    return frame.filter(pl.col("ts") < days * 86_400).sort("ts")


def steady_log(seed: int = 0, people: int = 200, days: int = 300):
    """An e-mail-like log where frequency dominates: stable per-pair Poisson rates."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    n_pairs = people * 15
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.05, n_pairs)) % people
    rate = rng.lognormal(-2.0, 1.2, n_pairs)  # messages per day
    counts = rng.poisson(rate * days)
    pu, pv = np.repeat(u, counts), np.repeat(v, counts)
    out = rng.random(len(pu)) < 0.6
    ts = rng.uniform(0, days * 86_400, len(pu)).astype(np.int64)
    return pl.DataFrame(
        {"src": np.where(out, pu, pv), "dst": np.where(out, pv, pu), "weight": 1.0, "ts": ts}
    ).sort("ts")


def checkin_log(seed: int = 0, people: int = 200, days: int = 400):
    """Dormant ties revived on a rhythm: each person keeps in touch with a few ties by a
    short exchange every 60 to 120 days (a quarterly check-in, jittered, the owner writing
    first), on top of a steady background of frequent but short-lived chatter. Between
    check-ins those ties sit in the dormant slice; knowing the rhythm is what ranks them."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    src, dst, ts = [], [], []
    for a in range(people):
        for b in (a + rng.geometric(0.1, rng.integers(3, 9))) % people:
            period = rng.uniform(60, 120)
            t = rng.uniform(0, period)
            while t < days:
                n = rng.integers(1, 4)
                when = (t + np.sort(rng.uniform(0, 2, n))) * 86_400
                src += [a] + [b if i % 2 else a for i in range(1, n)]
                dst += [b] + [a if i % 2 else b for i in range(1, n)]
                ts += list(when.astype(np.int64))
                t += period * rng.uniform(0.85, 1.15)
    steady = bursty_log(seed + 1, people, days)
    checkins = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    frame = pl.concat([checkins.cast(steady.schema), steady])
    return frame.filter(pl.col("ts") < days * 86_400).sort("ts")


def term_chat_log(seed: int = 0, people: int = 600, days: int = 190):
    """A student-messaging-like log: people join over the first weeks and leave after a
    while (a term), and chat in short bursts with partners while both are around. Recency
    ranks well; knowing who is still around anywhere in the log (the contact's side) is
    what ranks better."""
    import numpy as np
    import polars as pl

    rng = np.random.default_rng(seed)
    join = rng.exponential(25, people).clip(0, days - 5)
    leave = np.minimum(join + rng.exponential(60, people) + 5, days)
    n_pairs = people * 6
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.02, n_pairs)) % people
    src, dst, ts = [], [], []
    for a, b in zip(u, v, strict=True):
        lo, hi = max(join[a], join[b]), min(leave[a], leave[b])
        if hi - lo < 1:
            continue
        for _ in range(rng.poisson(1.5) + 1):
            t = rng.uniform(lo, hi) + np.cumsum(rng.exponential(0.3, rng.poisson(4) + 1))
            t = t[t < hi]
            out = rng.random(len(t)) < 0.5
            src += list(np.where(out, a, b))
            dst += list(np.where(out, b, a))
            ts += list((t * 86_400).astype(np.int64))
    return pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts}).sort("ts")


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
