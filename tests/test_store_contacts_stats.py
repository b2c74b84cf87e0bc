"""The store's named queries behind ``helpnext contacts`` and ``helpnext stats``
(``recommender.store.contacts``, ``recommender.store.stats``), on a real DuckDB store."""

from __future__ import annotations

from datetime import datetime

import pytest

from pipelines.ingest.generic_csv import import_csv
from recommender.store.contacts import contact_rows, kept_contact_id
from recommender.store.db import open_store
from recommender.store.duplicates import merge_contacts
from recommender.store.importer import apply_batch
from recommender.store.stats import store_stats


@pytest.fixture
def store(tmp_path, helpnext_home):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "contact_id,name,email,tags\n"
        "a,Dana Smith,dana@acme.com,hiring\n"
        "b,Dana S.,dana@home.example,data\n"
        "c,Ola N,ola@fjord.example,\n"
        "d,Quiet Q,q@example.org,\n"
    )
    interactions = tmp_path / "interactions.csv"
    interactions.write_text(
        "contact_id,date,direction,channel\n"
        "a,2024-01-01,out,email\na,2024-01-02,in,email\na,2024-01-03,out,message\n"
        "b,2024-02-01,in,email\nc,2024-01-05,out,email\n"
    )
    with open_store(helpnext_home) as opened:
        apply_batch(opened, import_csv(contacts, interactions))
        yield opened


def _ids(store) -> dict[str, int]:
    return {r["name"]: r["contact_id"] for r in contact_rows(store)}


def test_contact_rows_most_recent_first_with_counts_and_tags(store):
    rows = contact_rows(store)
    assert [r["name"] for r in rows] == ["Dana S.", "Ola N", "Dana Smith", "Quiet Q"]
    dana = rows[2]
    assert (dana["interactions"], dana["sent"], dana["received"], dana["tags"]) == (
        3,
        2,
        1,
        "hiring",
    )
    quiet = rows[3]
    assert (quiet["interactions"], quiet["last_interaction"], quiet["tags"]) == (0, None, None)
    assert [r["name"] for r in contact_rows(store, limit=2)] == ["Dana S.", "Ola N"]
    assert contact_rows(store, "node:404") == []


def test_merged_contacts_fold_into_the_kept_one(store):
    ids = _ids(store)
    assert kept_contact_id(store, ids["Dana S."]) == ids["Dana S."]
    merge_contacts(store, ids["Dana Smith"], ids["Dana S."], reason="user")
    assert kept_contact_id(store, ids["Dana S."]) == ids["Dana Smith"]
    assert kept_contact_id(store, 999_999) is None
    rows = contact_rows(store)
    assert [r["name"] for r in rows] == ["Dana Smith", "Ola N", "Quiet Q"]
    assert (rows[0]["interactions"], rows[0]["tags"]) == (4, "data;hiring")


def test_store_stats_counts_and_span(store):
    stats = store_stats(store)
    assert (stats["owners"], stats["contacts"], stats["interactions"]) == (1, 4, 5)
    assert stats["first_interaction"] == datetime(2024, 1, 1)
    assert stats["last_interaction"] == datetime(2024, 2, 1)
    assert stats["interactions_by_channel"] == [
        {"channel": "email", "direction": "in", "n": 2},
        {"channel": "email", "direction": "out", "n": 2},
        {"channel": "message", "direction": "out", "n": 1},
    ]
    assert stats["events"] == []
    assert [(i["import_id"], i["source_kind"]) for i in stats["imports"]] == [(1, "csv")]
    assert stats["store"] == str(store.path)
