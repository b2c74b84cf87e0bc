"""Benchmark: identity resolution over 30,000 contacts with 5 identities each.

Builds (in memory, seeded) an address book of 30,000 people, each with three e-mail
addresses, a LinkedIn profile URL and a name + company: 150,000 identity keys. Then, in a
temporary store, times:

1. importing it (union-find within the batch, new contacts, 150,000 identities);
2. a second source of 30,000 records: 10,000 naming a known person by one e-mail,
   1,000 bridging two known people (one e-mail of each: they are merged, reversibly),
   19,000 new people;
3. proposing duplicates over all contacts (blocked fuzzy name match, rapidfuzz cdist);
4. ``resolve()`` alone (the pure key-matching step) on the second source.

Target: each step under 10 s.

    .venv/bin/python benchmarks/bench_identity.py [--contacts N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.ingest.batch import ImportBatch  # noqa: E402
from recommender.store.db import open_store  # noqa: E402
from recommender.store.duplicates import propose_duplicates  # noqa: E402
from recommender.store.identity import full_name_expr, person_keys, resolve  # noqa: E402
from recommender.store.importer import apply_batch  # noqa: E402

TARGET_SECONDS = 10.0
FIRST = [
    "Ana", "João", "Jürgen", "Søren", "Wei", "Priya", "Olga", "Kenji", "Fatima", "Amara", "Lars",
    "María", "Chloé", "Mehmet", "Zoë", "Łukasz", "Aarav", "Sven", "Ingrid", "Tomás", "Dana",
    "John", "Grace", "Noah", "Liam", "Emma", "Mia", "Omar", "Yuki", "Ravi", "Nadia", "Pablo",
]  # fmt: skip
LAST = [
    "Souza", "Müller", "Kierkegaard", "Zhang", "Sharma", "Ivanova", "Tanaka", "Al-Sayed", "Okafor",
    "Nilsson", "García", "Dubois", "Yılmaz", "Nowak", "Patel", "Berg", "Haugen", "Ruiz", "Smith",
    "Lee", "Kowalski", "Rossi", "Novak", "Kim", "Chen", "Silva", "Costa", "Jensen", "Larsen",
]  # fmt: skip
COMPANIES = [f"Company {i}" for i in range(400)]
SYLLABLES = ["ka", "lo", "mi", "ren", "sto", "var", "di", "ne", "bor", "tel", "quo", "zin"]


def _names(base: list[str], n: int, seed: int) -> list[str]:
    """``base`` plus invented names from syllables: a realistic spread of surnames."""
    rng = random.Random(seed)
    made = {
        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        for _ in range(n)
    }
    return base + sorted(made)


def _typo(rng: random.Random, word: str) -> str:
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice("aeiourstn") + word[i + 1 :]


def address_book(n: int, seed: int = 5) -> pl.DataFrame:
    rng = random.Random(seed)
    firsts, lasts = _names(FIRST, 300, 1), _names(LAST, 3000, 2)
    rows = []
    for i in range(n):
        first, last = rng.choice(firsts), rng.choice(lasts)
        middle = f" {chr(65 + i % 26)}." if i % 3 else ""
        rows.append(
            {
                "ref": f"p{i}",
                "first_name": first + middle,
                "last_name": last,
                "company": rng.choice(COMPANIES),
                "emails": [
                    f"{first.lower()}.{last.lower()}.{i}@work{i % 50}.com",
                    f"p{i}@home.example",
                    f"{i}.alt@mail.example",
                ],
                "linkedin_url": f"https://www.linkedin.com/in/person-{i}-{i * 7919 % 10007:x}",
            }
        )
    return pl.DataFrame(rows)


def second_source(n: int, book: pl.DataFrame, seed: int = 6) -> pl.DataFrame:
    rng = random.Random(seed)
    firsts, lasts = _names(FIRST, 300, 3), _names(LAST, 3000, 4)
    rows = []
    emails = book["emails"].to_list()
    names = book.select("first_name", "last_name").rows()
    for i in range(n):
        if i < n // 3:  # a known person, by one e-mail, under a misspelt name
            k = rng.randrange(book.height)
            first, last = names[k]
            rows.append({"ref": f"s{i}", "first_name": first, "last_name": _typo(rng, last),
                         "emails": [emails[k][2]]})  # fmt: skip
        elif i < n // 3 + n // 30:  # one record naming two known people: a bridge
            a, b = rng.randrange(book.height), rng.randrange(book.height)
            first, last = names[a]
            rows.append({"ref": f"s{i}", "first_name": first, "last_name": last,
                         "emails": [emails[a][0], emails[b][1]]})  # fmt: skip
        else:
            rows.append({"ref": f"s{i}", "first_name": rng.choice(firsts),
                         "last_name": rng.choice(lasts), "emails": [f"new{i}@else.example"]})  # fmt: skip
    return pl.DataFrame(rows)


def _batch(kind: str, people: pl.DataFrame) -> ImportBatch:
    return ImportBatch(
        source_kind=kind,
        label=f"{kind}-bench",
        sha256=f"{kind}-{people.height}",
        people=people,
        interactions=pl.DataFrame(),
    )


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    book = address_book(args.contacts)
    other = second_source(args.contacts, book)
    home = Path(tempfile.mkdtemp(prefix="bench-identity-"))
    results: dict = {"contacts": args.contacts}
    try:
        with open_store(home) as store:
            first, results["import_seconds"] = _timed(
                lambda: apply_batch(store, _batch("vcard", book))
            )
            results["identities"] = int(store.scalar("SELECT count(*) FROM identities"))
            results["contacts_added"] = first.contacts_added
            existing = store.frame(
                "SELECT 'me' AS owner_key, kind, key, contact_id FROM identities"
            )
            second, results["second_import_seconds"] = _timed(
                lambda: apply_batch(store, _batch("google_contacts", other))
            )
            results["second"] = {
                "contacts_added": second.contacts_added,
                "contacts_updated": second.contacts_updated,
                "contacts_merged": second.details["contacts_merged"],
            }
            proposals, results["duplicates_seconds"] = _timed(lambda: propose_duplicates(store))
            results["contacts_shown"] = int(
                store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")
            )
            results["proposals"] = len(proposals)
        people = (
            _batch("x", other)
            .people.with_columns(pl.lit("me").alias("owner_key"))
            .with_row_index("row")
            .with_columns(pl.col("row").cast(pl.Int64), full_name_expr().alias("display_name"))
        )

        def pure():
            keys = person_keys(people, "google_contacts")
            return resolve(people.select("row", "owner_key"), keys, existing)

        _, results["resolve_only_seconds"] = _timed(pure)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"identity: {args.contacts:,} contacts, {results['identities']:,} identities "
        f"(peak RSS {results['peak_rss_mb']} MB)"
    )
    print(f"  1. first import               {results['import_seconds']:6.2f} s")
    s = results["second"]
    print(
        f"  2. second source ({args.contacts:,} rows)  {results['second_import_seconds']:6.2f} s: "
        f"{s['contacts_added']:,} new, {s['contacts_updated']:,} updated, "
        f"{s['contacts_merged']:,} merged"
    )
    print(
        f"  3. propose duplicates         {results['duplicates_seconds']:6.2f} s: "
        f"{results['proposals']:,} proposals over {results['contacts_shown']:,} contacts"
    )
    print(f"  4. resolve() alone            {results['resolve_only_seconds']:6.2f} s")
    worst = max(
        results[k] for k in ("import_seconds", "second_import_seconds", "duplicates_seconds")
    )
    print(
        f"  target: each under {TARGET_SECONDS:.0f} s: {'met' if worst < TARGET_SECONDS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
