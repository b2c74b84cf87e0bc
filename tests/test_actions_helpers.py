"""A hand-made home with known answers, shared by the plan/action tests (no tests here).

As of 2024-06-01 the owner's network holds:

* Ana (Acme, Engineering Manager, tagged 'hiring') and Bo (Beta, Data Engineer, tagged
  'open to work'): both warm, never in one thread -> introduce Bo to Ana; send Bo the data
  engineering job;
* Cy endorsed the owner for SQL on 10 May 2024 and was never endorsed back -> reciprocate;
* Di endorsed the owner for Python, and the owner endorsed Di back later -> nothing to return;
* Ed: 40 exchanges every ~14 days until June 2023, silent since -> check in;
* Fay: a new role seen on 20 May 2024 -> congratulate;
* Gus, a machine learning engineer who writes about PyTorch training -> the PyTorch article;
* Hal: a name and nothing else.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from pipelines.ingest.articles import ItemBatch
from pipelines.ingest.batch import INTERACTION_SCHEMA, ImportBatch
from recommender.store.db import Store
from recommender.store.importer import apply_batch
from recommender.store.items import import_items

AS_OF = datetime(2024, 6, 1, 9, 0)
PAST = datetime(2020, 1, 1)

PEOPLE = [
    ("ana", "Ana Hire", "Acme", "Engineering Manager", ["hiring"]),
    ("bo", "Bo Seeker", "Beta", "Data Engineer", ["open to work"]),
    ("cy", "Cy Endorser", "Gamma", "Product Designer", []),
    ("di", "Di Giver", "Delta", "Backend Developer", []),
    ("ed", "Ed Dormant", "Epsilon", "Sales Director", []),
    ("fay", "Fay Promoted", "Zeta", "VP Marketing", []),
    ("gus", "Gus Learner", "Eta", "Machine Learning Engineer", []),
    ("hal", "Hal Quiet", None, None, []),
]

TOPICS = {
    "ana": "we are hiring for our platform team, interviews next week",
    "bo": "my data pipelines in spark and airflow, data engineering work",
    "cy": "the design review of the onboarding flow",
    "di": "the api migration and go services",
    "ed": "quarterly sales numbers and the new territory",
    "fay": "the marketing campaign launch",
    "gus": "pytorch model training on gpus, transformers fine tuning",
}


def _msg(ref, ts, direction, text, thread=None, channel="message", detail=None, is_give=False):
    return {
        "owner_key": "me",
        "ref": ref,
        "uid_key": f"{ref}|{ts.isoformat()}|{direction}|{channel}|{thread}",
        "ts": ts,
        "channel": channel,
        "direction": direction,
        "is_give": is_give,
        "thread": thread or f"t-{ref}",
        "n_participants": 2,
        "subject": None,
        "body": text,
        "detail": detail,
    }


def interactions(shared_thread: bool = False) -> list[dict]:
    rows = []
    for ref in ("ana", "bo", "cy", "di", "fay", "gus"):
        for week in range(1, 16):  # weekly, both ways, last one ~3 days before AS_OF
            ts = AS_OF - timedelta(days=7 * week - 4 + len(ref) % 2)
            rows.append(_msg(ref, ts, "out" if week % 2 else "in", TOPICS[ref]))
    for k in range(40):  # Ed: every 14 days until 1 June 2023
        ts = datetime(2023, 6, 1) - timedelta(days=14 * k)
        rows.append(_msg("ed", ts, "out" if k % 2 else "in", TOPICS["ed"]))
    rows.append(
        _msg(
            "cy",
            datetime(2024, 5, 10),
            "in",
            None,
            channel="endorsement",
            detail="SQL",
            is_give=True,
        )
    )
    rows.append(
        _msg(
            "di",
            datetime(2024, 3, 1),
            "in",
            None,
            channel="endorsement",
            detail="Python",
            is_give=True,
        )
    )
    rows.append(
        _msg(
            "di",
            datetime(2024, 4, 1),
            "out",
            None,
            channel="endorsement",
            detail="Go",
            is_give=True,
        )
    )
    if shared_thread:
        rows.append(_msg("ana", datetime(2024, 2, 1), "in", "group chat", thread="group-1"))
        rows.append(_msg("bo", datetime(2024, 2, 1), "in", "group chat", thread="group-1"))
    return rows


def build_home(store: Store, shared_thread: bool = False, items: bool = True) -> dict[str, int]:
    """Write the network (and its articles and jobs) into ``store``; return ref -> contact id."""
    people = pl.DataFrame(
        [
            {
                "owner_key": "me",
                "ref": ref,
                "display_name": name,
                "company": company,
                "position": position,
                "tags": tags,
                "id_key": ref,
                "connected_on": datetime(2019, 3, 15),
            }
            for ref, name, company, position, tags in PEOPLE
        ]
    )
    batch = ImportBatch(
        source_kind="csv",
        label="hand-made",
        sha256=f"hand-made-{shared_thread}",
        people=people,
        interactions=pl.DataFrame(interactions(shared_thread), schema=INTERACTION_SCHEMA),
        as_of=AS_OF - timedelta(days=12),
    )
    apply_batch(store, batch)
    ids = {
        ref: int(store.scalar("SELECT contact_id FROM contacts WHERE display_name = ?", [name]))
        for ref, name, *_ in PEOPLE
    }
    owner = store.owner_id()
    with store.transaction() as con:
        con.execute("UPDATE tags SET created_at = ?", [PAST])
        con.execute(
            """INSERT INTO events (event_id, uid, owner_id, contact_id, ts, kind, old_company,
                   old_position, new_company, new_position)
               VALUES (1, 'fay-role', ?, ?, ?, 'new_role', 'Zeta', 'Marketing Lead', 'Zeta',
                   'VP Marketing')""",
            [owner, ids["fay"], datetime(2024, 5, 20)],
        )
    if items:
        add_items(store)
    return ids


ARTICLES = [
    {
        "title": "Scaling PyTorch model training",
        "url": "https://example.org/pytorch-training",
        "text": "How to speed up pytorch training of transformers on many gpus.",
        "tags": "ml;pytorch",
        "published_at": datetime(2024, 5, 20),
    },
    {
        "title": "Design reviews that help",
        "url": "https://example.org/design-reviews",
        "text": "Running a design review for an onboarding flow.",
        "tags": "design",
        "published_at": datetime(2024, 5, 25),
    },
    {
        "title": "From the future: PyTorch 9 training",
        "url": "https://example.org/future",
        "text": "pytorch model training transformers gpus fine tuning",
        "tags": "ml",
        "published_at": datetime(2024, 7, 1),
    },
]
JOBS = [
    {
        "title": "Senior Data Engineer",
        "company": "Omega",
        "text": "Build data pipelines with spark and airflow.",
        "url": "https://jobs.example.org/1",
        "published_at": datetime(2024, 5, 28),
    },
]


def add_items(store: Store) -> None:
    import_items(
        store,
        ItemBatch(
            "articles",
            "a",
            "sha-a",
            pl.DataFrame(ARTICLES).with_columns(pl.lit("article").alias("kind")),
        ),
    )
    import_items(
        store,
        ItemBatch(
            "jobs", "j", "sha-j", pl.DataFrame(JOBS).with_columns(pl.lit("job").alias("kind"))
        ),
    )
