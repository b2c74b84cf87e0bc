"""A small known home for the report tests, built through the real CSV import path.

As of ``T`` (1 Jun 2024):

* Ana Strong: 8 messages every 10 days, alternating from you and to you, the last 10 days
  ago, and an endorsement to you 5 days ago (never given back): strong, heard from you;
* Ben Regular: 2 messages to you, 20 and 15 days ago: regular;
* Cleo Dormant: 5 messages every 25 days, the last 300 days ago: dormant, past her rhythm;
* ``<script>alert(1)</script>``: 6 messages a week apart, the last 107 days ago: strong,
  15x past a 7-day rhythm, the most drifting;
* Dan Never: a connection only.
"""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path

T = datetime(2024, 6, 1)
SCRIPT_NAME = "<script>alert(1)</script>"
ESCAPED_NAME = "&lt;script&gt;alert(1)&lt;/script&gt;"

PEOPLE = [
    ("c1", "Ana Strong"),
    ("c2", "Ben Regular"),
    ("c3", "Cleo Dormant"),
    ("c4", SCRIPT_NAME),
    ("c5", "Dan Never"),
]


def _interactions() -> list[tuple[str, int, str, str]]:
    rows = []  # (contact, days before T, direction, channel)
    rows += [("c1", 80 - 10 * i, "out" if i % 2 == 0 else "in", "message") for i in range(8)]
    rows += [("c1", 5, "in", "endorsement")]
    rows += [("c2", 20, "in", "message"), ("c2", 15, "in", "message")]
    rows += [("c3", 400 - 25 * i, "out" if i % 2 == 0 else "in", "message") for i in range(5)]
    rows += [("c4", 142 - 7 * i, "out" if i % 2 == 0 else "in", "message") for i in range(6)]
    return rows


def write_csvs(folder: Path, later: bool = False) -> tuple[Path, Path]:
    """contacts.csv and interactions.csv; ``later`` adds events after T (which no report as
    of T may see)."""
    folder.mkdir(parents=True, exist_ok=True)
    contacts = folder / "contacts.csv"
    with open(contacts, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["contact_id", "name", "company", "connected_on"])
        for ref, name in PEOPLE:
            w.writerow([ref, name, "Acme", "2022-01-01"])
    interactions = folder / "interactions.csv"
    rows = _interactions()
    if later:
        rows += [("c5", -3, "in", "endorsement"), ("c3", -2, "out", "message")]
    with open(interactions, "w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["contact_id", "date", "direction", "channel"])
        for ref, days, direction, channel in rows:
            w.writerow([ref, (T - timedelta(days=days)).isoformat(" "), direction, channel])
    return contacts, interactions


def build(cli, home: Path, folder: Path, later: bool = False, interactions: bool = True) -> None:
    contacts, events = write_csvs(folder, later)
    args = ["import", "csv", "--home", home, "--contacts", contacts]
    if interactions:
        args += ["--interactions", events]
    result = cli(*args)
    assert result.exit_code == 0, result.stderr
