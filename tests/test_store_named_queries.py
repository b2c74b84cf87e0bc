"""The store's named queries for the report, the preference model, the model registry, the
demo extras and the personal evaluation (issue 16), with known answers on the hand-made home
of ``test_actions_helpers``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_actions_helpers import AS_OF, build_home

from recommender.store import history, lookup, models, profiles, suggestions, tags
from recommender.store.db import open_store

CONNECTED = datetime(2019, 3, 15)


@pytest.fixture
def home(helpnext_home):
    with open_store(helpnext_home) as store:
        yield store, build_home(store, items=False), store.owner_id()


def _pick(contact: int, features: str | None = None) -> dict:
    return {
        "contact": contact,
        "action": "check_in",
        "item_id": None,
        "partner": None,
        "score": 0.5,
        "reason": "a while",
        "features": features,
    }


def _answer(store, feedback_id: int, suggestion: int, contact: int, outcome: str, at: datetime):
    store.con.execute(
        "INSERT INTO suggestion_feedback (feedback_id, suggestion_id, owner_id, contact_id, "
        "outcome, answered_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [feedback_id, suggestion, store.owner_id(), contact, outcome, at, at],
    )


def test_evidence_and_the_people_known_at_a_moment(home):
    store, ids, owner = home
    assert history.first_evidence(store, owner) == CONNECTED
    assert history.first_evidence(store, owner + 1) is None
    assert profiles.undated_contacts(store, owner) == 0
    assert profiles.known_at(store, owner, CONNECTED).height == 0
    assert profiles.known_at(store, owner, AS_OF).height == len(ids)
    assert profiles.people_of(store, [ids["ana"]]).rows() == [
        (ids["ana"], "Ana Hire", "Acme", "Engineering Manager")
    ]
    store.con.execute(
        "UPDATE contacts SET connected_on = NULL, first_seen = NULL WHERE contact_id = ?",
        [ids["hal"]],
    )
    assert profiles.undated_contacts(store, owner) == 1
    assert profiles.known_at(store, owner, CONNECTED)["contact"].to_list() == [ids["hal"]]


def test_owner_companies_are_trimmed_lowered_and_distinct(home):
    store, _, owner = home
    assert profiles.owner_companies(store, owner) == []
    for company in (" Acme ", "ACME", None, "", "Beta"):
        store.con.execute(
            "INSERT INTO owner_positions (owner_id, company) VALUES (?, ?)", [owner, company]
        )
    assert profiles.owner_companies(store, owner) == ["acme", "beta"]


def test_two_way_ties_need_messages_both_ways_before_as_of(home):
    store, ids, owner = home
    ties = history.two_way_ties(store, owner, AS_OF)
    assert set(ties["contact"].to_list()) == set(ids.values()) - {ids["hal"]}
    assert ties["last_ts"].is_sorted(descending=True)
    ed = history.two_way_ties(store, owner, datetime(2023, 7, 1))
    assert ed.select("contact", "n", "n_in", "n_out").rows() == [(ids["ed"], 40, 20, 20)]


def test_suggestions_with_their_first_answer(home):
    store, ids, owner = home
    with store.transaction():
        first = suggestions.add_suggestion(store, AS_OF, owner, _pick(ids["ed"], "{}"), "v", AS_OF)
        later = AS_OF + timedelta(days=1)
        second = suggestions.add_suggestion(store, later, owner, _pick(ids["cy"]), "v", later)
        _answer(store, 1, first, ids["ed"], "skipped", AS_OF + timedelta(hours=2))
        _answer(store, 2, first, ids["ed"], "done", AS_OF + timedelta(hours=1))
    day_after = AS_OF + timedelta(days=1)
    shown = suggestions.shown_with_first_answer(store, owner, day_after)
    assert shown.select("suggestion_id", "outcome").rows() == [
        (first, "done"),
        (second, "unanswered"),
    ]
    early = suggestions.shown_with_first_answer(store, owner, AS_OF + timedelta(minutes=30))
    assert early.select("suggestion_id", "outcome").rows() == [(first, "unanswered")]
    rows = suggestions.answered_features(store, owner, day_after)
    assert rows.select("suggestion_id", "outcome").rows() == [(first, "done")]
    assert suggestions.answered_features(store, owner, AS_OF)["suggestion_id"].to_list() == []


def test_dated_tags_and_notes_are_written_once(home):
    store, ids, owner = home
    at = AS_OF - timedelta(days=2)
    for _ in range(2):
        tags.add_dated(
            store, owner, [(ids["hal"], "hiring")], [(ids["hal"], "need", "a job")], "demo", at
        )
    assert profiles.tags_of(store, [ids["hal"]], AS_OF) == ["hiring"]
    assert profiles.tags_of(store, [ids["hal"]], at) == []
    assert profiles.notes_of(store, [ids["hal"]], AS_OF) == [
        {"kind": "need", "text": "a job", "created_at": at}
    ]


def test_csv_keys_name_the_source_ids(home):
    store, ids, owner = home
    assert lookup.csv_keys(store, owner) == []
    # a generic CSV import keys its people 'csv:<id>' (pipelines.ingest.generic_csv)
    store.con.execute("UPDATE identities SET key = 'csv:' || key WHERE kind = 'node'")
    keys = dict(lookup.csv_keys(store, owner))
    assert keys["csv:ana"] == ids["ana"] and len(keys) == len(ids)
    assert lookup.csv_keys(store, owner + 1) == []


def test_the_record_of_models(home):
    store, _, owner = home
    assert models.recorded_cards(store) == {} and models.promoted_model_id(store, owner) is None
    models.record_model_file(store, "m1", "preference", "a" * 64, AS_OF, "saved")
    models.record_model_file(store, "m1", "preference", "b" * 64, AS_OF, "found")
    assert models.recorded_cards(store) == {"m1": "b" * 64}
    for day, model_id, promoted in ((1, "m1", True), (2, "m2", True), (3, "m3", False)):
        row = dict.fromkeys(models.PREFERENCE_MODEL_COLUMNS)
        row |= {"model_id": model_id, "owner_id": owner, "trained_at": AS_OF + timedelta(day)}
        row |= {"as_of": AS_OF, "n_train": 30, "n_test": 10, "metrics": "{}", "promoted": promoted}
        models.record_preference_model(store, row)
    assert models.promoted_model_id(store, owner) == "m2"
    assert models.promoted_ids(store) == {"m1", "m2"}
    assert [(m, p) for m, _, _, _, _, p in models.preference_models(store)] == [
        ("m1", True),
        ("m2", True),
        ("m3", False),
    ]
