"""Time ``helpnext score`` over Eu-core at one cutoff (the protocol's 60 % cutoff, the only
one with activity after it), training included, as a user runs it. Target: < 20 s.

    .venv/bin/python benchmarks/bench_score.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT.parent / "shared" / "data" / "interactions" / "email-Eu-core-temporal.txt.gz"
AS_OF = 41_675_552  # the 60 % cutoff of the log's span (seconds)


def main() -> None:
    if not LOG.exists():
        sys.exit(f"not found: {LOG}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "scores.csv"
        cmd = [
            str(ROOT / ".venv" / "bin" / "helpnext"),
            "--home",
            str(Path(tmp) / "home"),
            "score",
            "--interactions",
            str(LOG),
            "--format",
            "edges",
            "--as-of",
            str(AS_OF),
            "--out",
            str(out),
        ]
        start = time.perf_counter()
        subprocess.run(cmd, check=True)
        elapsed = time.perf_counter() - start
        rows = sum(1 for _ in out.open()) - 1
    print(
        f"score over {LOG.name} at --as-of {AS_OF}: {elapsed:.1f} s wall, {rows:,} rows "
        f"(target < 20 s)"
    )


if __name__ == "__main__":
    main()
