"""`helpnext report` on a big home: 30,000 contacts, 1,000,000 interactions, a trained model.

Reuses the home of ``bench_today.py`` (built once and cached in --home, default
$TMPDIR/helpnext-bench-today: the network through the real store writer, items, and
``helpnext train``), then writes the report in a subprocess several times (process start
included) and prints wall time, peak RSS and the page's size.

Targets: under 5 s, under 1 GB peak, a page under 2 MB.

    .venv/bin/python benchmarks/bench_report.py [--contacts 30000] [--interactions 1000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from _measure import measure  # noqa: E402
from bench_today import AS_OF, HELPNEXT, child_env, ensure_home  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--home", type=Path, default=Path(tempfile.gettempdir()) / "helpnext-bench-today"
    )
    args = parser.parse_args()
    home = ensure_home(args.home, args.contacts, args.interactions)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.html"
        command = [
            *HELPNEXT,
            "--home",
            str(home),
            "report",
            "--as-of",
            AS_OF.strftime("%Y-%m-%d"),
            "--out",
            str(out),
        ]
        env = child_env()
        measure(command, env)  # writes the bytecode of a fresh checkout, like an install does
        runs = [measure(command, env) for _ in range(args.runs)]
        failed = [r for r in runs if r["exit"]]
        if failed:
            raise SystemExit(failed[0]["stderr"])
        size = out.stat().st_size
    walls = [r["seconds"] for r in runs]
    cpus = [r["cpu_seconds"] for r in runs if r["cpu_seconds"] is not None]
    peaks = [r["peak_rss_mb"] for r in runs]
    print(f"home: {args.contacts:,} contacts, {args.interactions:,} interactions, trained model")
    print(
        f"`helpnext report`, process start included (targets: < 5 s, < 1 GB, page < 2 MB): "
        f"wall median {statistics.median(walls):.2f} s (min {min(walls):.2f}, max "
        f"{max(walls):.2f}) over {len(walls)} runs; peak RSS {max(peaks):.0f} MB; "
        f"page {size / 1024:.0f} KB"
    )
    if cpus:
        print(f"CPU (user + system) median {statistics.median(cpus):.2f} s")
    print(
        f"load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
        "(wall times grow with the load)"
    )
    ok = statistics.median(walls) < 5 and max(peaks) < 1024 and size < 2 * 1024**2
    print("within targets" if ok else "OUTSIDE the targets")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
