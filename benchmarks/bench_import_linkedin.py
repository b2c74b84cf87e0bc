"""Benchmark: import a large LinkedIn export (30,000 connections, 1,000,000 message rows).

Generates the export (late-2024 layout, a zip, in a temporary folder, never committed), then
times ``import_linkedin()`` alone in a subprocess and the full CLI import
(``helpnext --home TMP import linkedin PATH``), each with its wall time and peak RSS
(``/usr/bin/time -v`` when present, else ``getrusage(RUSAGE_CHILDREN)``).
Target: under 60 s and under 2 GB each.

    .venv/bin/python benchmarks/bench_import_linkedin.py [--connections N] [--messages N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import polars as pl
from _measure import measure  # benchmarks/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
TARGET_SECONDS = 60.0
TARGET_BYTES = 2 * 1024**3

PREAMBLE = (
    "Notes:\n"
    '"When exporting your connection data, you may notice that some of the email addresses are '
    "missing. You will only see email addresses for connections who have allowed their connections "
    "to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more here "
    'https://www.linkedin.com/help/linkedin/answer/261"\n\n'
)
FIRST = [
    "Ana", "João", "Jürgen", "Søren", "Wei", "Priya", "Olga", "Kenji", "Fatima", "Amara", "Lars",
    "María", "Chloé", "Mehmet", "Nguyễn", "Zoë", "Łukasz", "Aarav", "Sven", "Ingrid", "Tomás",
]  # fmt: skip
LAST = [
    "Souza", "Müller", "Kierkegaard", "Zhang", "Sharma", "Ivanova", "Tanaka", "Al-Sayed", "Okafor",
    "Nilsson", "García", "Dubois", "Yılmaz", "Văn An", "Nowak", "Patel", "Berg", "Haugen", "Ruiz",
]  # fmt: skip
COMPANIES = ["Acme", "Siemens", "Nordisk", "Baidu", "Infosys", "Yandex", "Sony", "Volvo", "SAP"]
TITLES = ["Data Engineer", "Product Manager", "Recruiter", "CTO", "Analyst", "Designer"]
TEXTS = [
    "Thanks for the intro, much appreciated",
    "Are you hiring for data engineering this quarter?",
    "I am looking for a new role, happy to chat",
    "Congrats on the new position!",
    "Sharing an article on streaming pipelines you might like",
    "Coffee next week? 😊",
    "Could you review my talk proposal, please",
]


def make_export(folder: Path, n_connections: int, n_messages: int, seed: int = 7) -> Path:
    """Write ``folder/linkedin-big.zip``: Profile, Connections and messages (late 2024)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    idx = np.arange(n_connections)
    first = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), n_connections)]
    last = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), n_connections)]
    conns = pl.DataFrame(
        {
            "First Name": first,
            "Last Name": [f"{s} {i}" for s, i in zip(last, idx, strict=True)],
            "URL": [f"https://www.linkedin.com/in/p-{i}" for i in idx],
            "Email Address": [f"p{i}@example.com" if i % 20 == 0 else None for i in idx],
            "Company": np.array(COMPANIES, dtype=object)[
                rng.integers(0, len(COMPANIES), n_connections)
            ],
            "Position": np.array(TITLES, dtype=object)[rng.integers(0, len(TITLES), n_connections)],
            "Connected On": pl.Series(
                rng.integers(1_400_000_000, 1_718_000_000, n_connections) * 1_000_000
            )
            .cast(pl.Datetime("us"))
            .dt.strftime("%d %b %Y"),
        },
        schema_overrides={"Email Address": pl.String},
    )
    names = (conns["First Name"] + " " + conns["Last Name"]).to_numpy()
    urls = conns["URL"].to_numpy()
    owner, owner_url = "Ana Souza", "https://www.linkedin.com/in/ana-souza"

    # conversations: one per contact, Zipf-like activity, plus group chats of 3 to 5 people
    n_groups = max(1, n_connections // 15)
    group_members = [
        rng.choice(n_connections, rng.integers(2, 5), replace=False) for _ in range(n_groups)
    ]
    weights = 1.0 / (1 + idx) ** 0.8
    pick = rng.choice(n_connections, n_messages, p=weights / weights.sum())
    is_group = rng.random(n_messages) < 0.08
    group = rng.integers(0, n_groups, n_messages)
    out = rng.random(n_messages) < 0.5
    ts = np.sort(rng.integers(1_500_000_000, 1_730_000_000, n_messages))[::-1]

    frm, frm_url, to, to_url, conv = [], [], [], [], []
    for i in range(n_messages):  # generating only: the importer itself has no such loop
        if is_group[i]:
            members = group_members[group[i]]
            conv.append(f"2-group-{group[i]}")
            if out[i]:
                frm.append(owner)
                frm_url.append(owner_url)
                to.append(", ".join(names[members]))
                to_url.append(",".join(urls[members]))
            else:
                s = members[0]
                rest = members[1:]
                frm.append(names[s])
                frm_url.append(urls[s])
                to.append(", ".join([owner, *names[rest]]))
                to_url.append(",".join([owner_url, *urls[rest]]))
        else:
            c = pick[i]
            conv.append(f"2-conv-{c}")
            if out[i]:
                frm.append(owner)
                frm_url.append(owner_url)
                to.append(names[c])
                to_url.append(urls[c])
            else:
                frm.append(names[c])
                frm_url.append(urls[c])
                to.append(owner)
                to_url.append(owner_url)
    texts = np.array(TEXTS, dtype=object)[rng.integers(0, len(TEXTS), n_messages)]
    folder_col = np.where(rng.random(n_messages) < 0.01, "SPAM", "INBOX")
    messages = pl.DataFrame(
        {
            "CONVERSATION ID": conv,
            "CONVERSATION TITLE": None,
            "FROM": frm,
            "SENDER PROFILE URL": frm_url,
            "TO": to,
            "RECIPIENT PROFILE URLS": to_url,
            "DATE": pl.Series(ts * 1_000_000)
            .cast(pl.Datetime("us"))
            .dt.strftime("%Y-%m-%d %H:%M:%S UTC"),
            "SUBJECT": None,
            "CONTENT": [f"{t} ({i})" for i, t in enumerate(texts)],
            "FOLDER": folder_col,
            "IS MESSAGE DRAFT": "false",
            "IS CONVERSATION DRAFT": "false",
        },
        schema_overrides={"CONVERSATION TITLE": pl.String, "SUBJECT": pl.String},
    )
    target = folder / "linkedin-big.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr(
            "Profile.csv",
            "First Name,Last Name,Maiden Name,Address,Birth Date,Headline,Summary,Industry,"
            "Zip Code,Geo Location,Twitter Handles,Websites,Instant Messengers\n"
            "Ana,Souza,,,,Data engineer,,Software,,Lisbon,,,\n",
        )
        archive.writestr("Connections.csv", PREAMBLE + conns.write_csv().rstrip("\n"))
        archive.writestr("messages.csv", messages.write_csv())
    return target


IMPORTER_ONLY = """
import sys, time
from pipelines.ingest.linkedin.export import import_linkedin
t = time.perf_counter()
b = import_linkedin(sys.argv[1])
print(f"people={b.people.height} interactions={b.interactions.height} rows_read={b.rows_read} "
      f"skipped={b.rows_skipped} owner={b.owner_name!r} seconds={time.perf_counter() - t:.2f}")
"""


def _cli_has_linkedin_import() -> bool:
    proc = subprocess.run(
        [str(VENV_BIN / "helpnext"), "import", "--help"], capture_output=True, text=True
    )
    return proc.returncode == 0 and "linkedin" in proc.stdout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=30_000)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="write the export here and keep it")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-linkedin-"))
    try:
        folder = args.keep or work
        start = time.perf_counter()
        export = make_export(folder, args.connections, args.messages)
        generated = time.perf_counter() - start
        size_mb = export.stat().st_size / 1024**2
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        results = {
            "export": str(export),
            "zip_mb": round(size_mb, 1),
            "generate_seconds": round(generated, 1),
            "connections": args.connections,
            "messages": args.messages,
        }
        results["importer"] = measure(
            [str(VENV_BIN / "python"), "-c", IMPORTER_ONLY, str(export)],
            env,
            shown=f".venv/bin/python -c 'import_linkedin(PATH)' {export}",
        )
        if _cli_has_linkedin_import():
            home = work / "home"
            results["cli"] = measure(
                [
                    str(VENV_BIN / "helpnext"),
                    "--home",
                    str(home),
                    "import",
                    "linkedin",
                    str(export),
                ],
                env,
            )
        else:
            results["cli"] = "skipped: `helpnext import linkedin` does not exist yet"
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print(
            f"export: {args.connections:,} connections, {args.messages:,} messages, "
            f"{results['zip_mb']} MB zip (generated in {results['generate_seconds']} s)"
        )
        for name in ("importer", "cli"):
            r = results[name]
            if isinstance(r, str):
                print(f"{name}: {r}")
                continue
            ok = (
                r["exit"] == 0
                and r["seconds"] < TARGET_SECONDS
                and r["peak_rss_mb"] * 1024**2 < TARGET_BYTES
            )
            print(
                f"{name}: {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB, exit {r['exit']} "
                f"[{'ok' if ok else 'OVER TARGET'}]"
            )
            print(f"  $ {r['cmd']}")
            if r["stdout"].strip():
                print("  " + r["stdout"].strip().splitlines()[-1])
            if r["exit"] != 0:
                print("  " + r["stderr"].strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
