"""Benchmark: SIGKILL ``helpnext`` at random moments, many times, and check the store.

For each command (a LinkedIn import over an older export; an edge-list import of SNAP's
email-Eu-core Dept3 log; ``helpnext train`` when it exists), restores a baseline home, starts
the command in a subprocess, kills it (half at a uniformly random delay over the whole run,
half just after the write begins), then opens the store and checks it holds exactly what it
held before the command or exactly what a finished run leaves. Prints kills survived and
how many landed during the write. Helpers are those of ``tests/test_crash.py``.

    .venv/bin/python benchmarks/bench_crash.py [--kills 60] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import test_crash as crash  # noqa: E402

COMMANDS = {
    "import linkedin": (crash.LINKEDIN_SETUP, crash.LINKEDIN_COMMAND),
    "import edges (Dept3)": (crash.EDGES_SETUP, crash.EDGES_COMMAND),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=60, help="kills per command")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="helpnext-crash-"))
    broken = 0
    try:
        for n, (label, (setup, command)) in enumerate(COMMANDS.items()):
            if "Dept3" in label and not crash.DEPT3.exists():
                print(f"{label}: shared data not available, skipped")
                continue
            rng = random.Random(f"{args.seed}-{label}")
            folder = work / f"c{n}"
            folder.mkdir()
            baseline, before, after, duration = crash.prepared(folder, "x", setup, command)
            started = time.monotonic()
            try:
                report = crash.kill_many(
                    baseline, folder / "work", command, before, after, args.kills, duration, rng
                )
            except AssertionError as err:
                broken += 1
                print(f"{label}: INVARIANT BROKEN: {err}")
                continue
            print(
                f"{label:22} runs {args.kills:4}  killed {report.kills:4}  "
                f"(during the write {report.in_write:3})  finished first "
                f"{report.finished_first:3}  store as before {report.before:4}  "
                f"as after {report.after:4}  in between 0  "
                f"({time.monotonic() - started:.0f} s, run ~{duration:.1f} s)",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
