"""Extras for the demo home, so ``make demo`` shows every kind of act.

``build_demo_extras(store, sample_dir)`` imports the bundled articles and job postings,
and writes a few tags and notes the owner would have written (who is hiring, who is
looking for work), dated just before the sample's latest interaction so that a plan
``--as-of`` that moment sees them. Idempotent: running it twice adds nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import polars as pl

from recommender.store.db import Store
from recommender.store.history import two_way_ties
from recommender.store.tags import add_dated

DEMO_SOURCE = "demo"


def build_demo_extras(store: Store, sample_dir: Path | str, as_of: datetime | None = None) -> dict:
    """Import ``sample_dir``/articles.csv and jobs.csv; tag a recruiter 'hiring' and two warm
    ties 'looking for work' (one with a need note). Returns what it did."""
    from pipelines.ingest.articles import import_articles
    from pipelines.ingest.jobs import import_jobs
    from recommender.plan.daily import latest_activity
    from recommender.store.items import import_items

    sample_dir = Path(sample_dir)
    done: dict = {"items": []}
    for name, reader in (("articles.csv", import_articles), ("jobs.csv", import_jobs)):
        path = sample_dir / name
        if path.exists():
            done["items"].append(import_items(store, reader(path)).as_dict())
    owner = store.owner_id(create=False)
    as_of = as_of or latest_activity(store)
    if owner is None or as_of is None:
        return done
    written = as_of - timedelta(days=2)
    warm = two_way_ties(store, owner, as_of)
    low = pl.col("position").fill_null("").str.to_lowercase()
    hiring = warm.filter(low.str.contains("recruit|talent|engineering manager|head of"))
    looking = warm.filter(
        low.str.contains("data engineer|analytics engineer|data scientist|machine learning")
    )
    tags: list[tuple[int, str]] = []
    if hiring.height:
        tags.append((int(hiring["contact"][0]), "hiring"))
    picks = [c for c in looking["contact"].to_list() if c not in {t[0] for t in tags}][:2]
    tags += [(int(c), "looking for work") for c in picks[:1]]
    notes = [(int(c), "need", "looking for a new data role after the reorg") for c in picks[1:2]]
    add_dated(store, owner, tags, notes, DEMO_SOURCE, written)
    done["tags"] = tags
    done["notes"] = notes
    done["as_of"] = as_of
    return done
