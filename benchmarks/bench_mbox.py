"""Benchmark: import a 200,000-message mbox (Gmail Takeout style) with flat memory.

Generates the file in a temporary folder (never committed): 3,000 correspondents, a third
of the mail sent by the owner to 1-3 recipients, replies with In-Reply-To/References,
10 % newsletters and mailing lists, bodies of 0.3-6 KB (some with ``>From`` lines). Then
times, each in a subprocess with its wall time and peak RSS (``/usr/bin/time -v`` when
present, else ``getrusage(RUSAGE_CHILDREN)``):

* ``read_mbox()`` alone on a quarter of the file and on the whole file: peak RSS should
  not grow with the file's size (only with the rows kept: a few hundred bytes a message);
* the full CLI import (``helpnext --home TMP import mbox PATH --me ...``).

Target: the whole import under 60 s.

    .venv/bin/python benchmarks/bench_mbox.py [--messages N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from _measure import measure  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
TARGET_SECONDS = 60.0
ME = "me@example.com"
FIRST = ["Ana", "João", "Jürgen", "Wei", "Priya", "Olga", "Kenji", "Fatima", "Lars", "María"]
LAST = ["Souza", "Müller", "Zhang", "Sharma", "Ivanova", "Tanaka", "Okafor", "García", "Nowak"]
WORDS = "the data pipeline meeting next week intro thanks role hiring review draft coffee".split()


def make_mbox(path: Path, n_messages: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    people = []
    for i in range(3_000):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        people.append((f"{first} {last}", f"{first.lower()}.{last.lower()}{i}@corp{i % 97}.com"))
    start = datetime(2019, 1, 1, tzinfo=UTC)
    recent: list[str] = []
    bodies = []
    for _ in range(500):
        lines = [" ".join(rng.choices(WORDS, k=12)) for _ in range(rng.randint(4, 80))]
        if rng.random() < 0.1:
            lines.append(">From the archives: escaped line")
        bodies.append(("\n".join(lines) + "\n\n").encode("utf-8"))
    with open(path, "wb", buffering=1 << 20) as out:
        for n in range(n_messages):
            ts = start + timedelta(seconds=n * 600 + rng.randint(0, 500))
            msgid = f"<m{n}@bench.example>"
            headers = [
                f"From {n}@xxx {ts:%a %b %d %H:%M:%S +0000 %Y}",
                f"X-GM-THRID: {1_700_000_000 + n // 4}",
                "X-Gmail-Labels: Inbox",
                f"Date: {format_datetime(ts)}",
                f"Message-ID: {msgid}",
            ]
            roll = rng.random()
            if roll < 0.10:
                headers += [
                    "From: News <news@shop.example>",
                    f"To: {ME}",
                    "List-Unsubscribe: <mailto:u@shop.example>",
                    "Subject: Weekly deals",
                ]
            elif roll < 0.43:
                to = rng.sample(people, rng.randint(1, 3))
                headers += [
                    f"From: Me <{ME}>",
                    "To: " + ", ".join(f'"{name}" <{addr}>' for name, addr in to),
                    f"Subject: {' '.join(rng.choices(WORDS, k=5))}",
                ]
            else:
                name, addr = rng.choice(people)
                headers += [f'From: "{name}" <{addr}>', f"To: Me <{ME}>", "Subject: Re: hello"]
            if recent and rng.random() < 0.4:
                parent = rng.choice(recent)
                headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
            recent.append(msgid)
            if len(recent) > 200:
                recent.pop(0)
            out.write(("\n".join(headers) + "\n\n").encode("utf-8") + rng.choice(bodies))


READER_ONLY = """
import sys, time
from pipelines.ingest.mbox import read_mbox
t = time.perf_counter()
b = read_mbox(sys.argv[1], [sys.argv[2]])
print(f"messages={b.rows_read} interactions={b.interactions.height} people={b.people.height} "
      f"skipped={b.details['skipped']} seconds={time.perf_counter() - t:.2f}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-mbox-"))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        quarter, whole = work / "quarter.mbox", work / "all.mbox"
        start = time.perf_counter()
        make_mbox(whole, args.messages)
        make_mbox(quarter, args.messages // 4)
        results = {
            "messages": args.messages,
            "file_mb": round(whole.stat().st_size / 1024**2, 1),
            "generate_seconds": round(time.perf_counter() - start, 1),
        }
        python = str(VENV_BIN / "python")
        results["reader_quarter"] = measure(
            [python, "-c", READER_ONLY, str(quarter), ME], env, tail=1500
        )
        results["reader_whole"] = measure([python, "-c", READER_ONLY, str(whole), ME], env)
        results["cli"] = measure(
            [
                str(VENV_BIN / "helpnext"),
                "--home",
                str(work / "home"),
                "import",
                "mbox",
                str(whole),
                "--me",
                ME,
            ],
            env,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"mbox: {results['messages']:,} messages, {results['file_mb']} MB "
            f"(generated in {results['generate_seconds']} s)"
        )
        for key in ("reader_quarter", "reader_whole", "cli"):
            r = results[key]
            print(
                f"  {key:15s} {r['seconds']:7.2f} s wall, {r['cpu_seconds']} s CPU, "
                f"peak RSS {r['peak_rss_mb']:7.1f} MB, exit {r['exit']}"
            )
            if r["stdout"]:
                print("    " + r["stdout"].replace("\n", "\n    "))
            if r["exit"]:
                print("    " + r["stderr"].replace("\n", "\n    "))
        ok = results["cli"]["exit"] == 0 and results["cli"]["seconds"] < TARGET_SECONDS
        print(f"  target: import under {TARGET_SECONDS:.0f} s wall: {'met' if ok else 'NOT met'}")
    return 0 if results["cli"]["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
