"""Benchmark: many damaged inputs per importer, through the real CLI (in-process).

Uses the seeds and mutations of ``tests/test_fuzz_importers.py``: every run picks a seed
(real files from ``tests/data`` and ``../shared/data``), stacks 1-3 damages (truncation,
flipped bytes, NUL bytes, dropped / duplicated / shuffled columns, other encodings, huge
fields, formula cells, broken quotes, broken zips...), imports it into a store that already
holds the undamaged seed, and checks the invariant: a clean import, or one
``helpnext: error:`` line with a non-zero exit and the store unchanged. Prints, per
importer, how many inputs were tried and the outcome counts; failures are listed with the
seed and damages that reproduce them.

    .venv/bin/python benchmarks/bench_fuzz_importers.py [--runs 300] [--seed 1] [--size 1000000]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

import test_fuzz_importers as fuzz  # noqa: E402
from typer.testing import CliRunner  # noqa: E402


def run(importer: str, runs: int, seed: int, size: int, work: Path) -> dict:
    runner = CliRunner()
    home = work / f"{importer}-home"
    counts = fuzz.baseline_home(importer, home, runner)
    seeds = fuzz.seeds_for(importer)
    if importer == "edges" and fuzz.KNOWN_BUG_GZIP:
        seeds.append(
            fuzz._gzip_seed(
                b"% 3\n" + b"".join(b"%d %d %d\n" % (i % 7, i % 5, i) for i in range(300))
            )
        )
    rng = random.Random(f"{seed}-{importer}")
    outcomes: Counter = Counter()
    failures = []
    started = time.monotonic()
    for _ in range(runs):
        chosen = seeds[rng.randrange(len(seeds))]
        steps = [
            (rng.choice(list(fuzz.MUTATIONS)), rng.randrange(1 << 30))
            for _ in range(rng.randint(1, 3))
        ]
        args = fuzz.materialise(chosen, steps, work / "case", size=rng.choice([1000, size]))
        try:
            outcome, counts, _ = fuzz.run_checked(runner, home, args, counts)
            outcomes[outcome] += 1
        except AssertionError as err:
            outcomes["FAILED"] += 1
            failures.append({"seed": chosen.name, "steps": steps, "error": str(err)[:300]})
            counts = fuzz.store_counts(home)
    return {
        "importer": importer,
        "tried": runs,
        "ok": outcomes["ok"],
        "error": outcomes["error"],
        "failed": outcomes["FAILED"],
        "seconds": round(time.monotonic() - started, 1),
        "failures": failures[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="inputs per importer")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=1_000_000, help="bytes of a huge field")
    parser.add_argument("--only", nargs="*", default=None, help="importers to run")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="helpnext-fuzz-"))
    results = []
    try:
        for importer in args.only or fuzz.IMPORTERS:
            if not fuzz.available(importer):
                print(f"{importer}: module not built yet, skipped", flush=True)
                continue
            result = run(importer, args.runs, args.seed, args.size, work)
            results.append(result)
            if not args.json:
                print(
                    f"{importer:16} tried {result['tried']:5}  ok {result['ok']:5}  "
                    f"clean error {result['error']:5}  FAILED {result['failed']:4}  "
                    f"({result['seconds']} s)",
                    flush=True,
                )
                for failure in result["failures"]:
                    print(f"    {failure['seed']} {failure['steps']}: {failure['error']}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        total = sum(r["tried"] for r in results)
        failed = sum(r["failed"] for r in results)
        print(f"total: {total} inputs, {failed} broke the invariant")
    return 1 if any(r["failed"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
