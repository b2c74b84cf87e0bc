"""The store's named queries for the acts and the plan (``store.profiles``, ``store.history``,
``store.suggestions``), with known answers on the hand-made home of ``test_actions_helpers``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from test_actions_helpers import AS_OF, build_home

from recommender.store import history, profiles, suggestions
from recommender.store.db import open_store


@pytest.fixture
def home(helpnext_home):
    with open_store(helpnext_home) as store:
        yield store, build_home(store), store.owner_id()


def test_profiles_read_tags_positions_and_contacts(home):
    store, ids, owner = home
    tags = profiles.tags_before(store, owner, AS_OF)
    assert tags.rows() == [(ids["ana"], "hiring"), (ids["bo"], "open to work")]
    assert profiles.tags_before(store, owner, datetime(2019, 1, 1)).height == 0
    positions = dict(profiles.positions(store, owner).select("contact", "text").rows())
    assert positions[ids["ed"]] == "Sales Director" and ids["hal"] not in positions
    assert profiles.contact_rows(store, ids["fay"])[0]["name"] == "Fay Promoted"
    assert profiles.contact_rows(store, 10_000) == []
    assert profiles.owner_of(store, ids["fay"]) == owner
    assert profiles.has_owners(store) and profiles.has_contacts(store, owner)
    assert profiles.tags_of(store, [ids["ana"]], AS_OF) == ["hiring"]
    docs = dict(profiles.profile_docs(store, owner, AS_OF, [ids["gus"], ids["hal"]]).rows())
    assert "pytorch" in docs[ids["gus"]] and docs[ids["hal"]] == ""


def test_history_reads_only_the_past(home):
    store, ids, owner = home
    gives = history.unreturned_gives(store, owner, AS_OF)
    assert gives.select("contact", "ts", "channel", "detail").rows() == [
        (ids["cy"], datetime(2024, 5, 10), "endorsement", "SQL")
    ]
    assert history.unreturned_gives(store, owner, datetime(2024, 5, 10)).height == 0
    roles = history.new_roles(store, owner, AS_OF)
    assert roles.select("contact", "ts").rows() == [(ids["fay"], datetime(2024, 5, 20))]
    assert history.met_contacts(store, owner, AS_OF) == []
    hiring = history.messages_matching(
        store, owner, AS_OF, AS_OF - timedelta(days=120), "we are hiring"
    )
    assert set(hiring["contact"].to_list()) == {ids["ana"]}
    assert set(hiring["hit"].to_list()) == {"we are hiring"}
    rhythm = history.rhythm(store, owner, [ids["ed"]], AS_OF)
    assert (rhythm["n_events"], rhythm["rhythm_days"]) == (40, 14.0)
    assert history.latest_interaction(store) < AS_OF


def test_suggestions_are_written_found_and_marked_done(home):
    store, ids, owner = home
    pick = {
        "contact": ids["cy"],
        "action": "reciprocate",
        "item_id": None,
        "partner": None,
        "score": 0.7,
        "reason": "Cy endorsed you",
    }
    day = AS_OF.replace(hour=0)
    with store.transaction():
        new_id = suggestions.add_suggestion(store, AS_OF, owner, pick, "v1", AS_OF)
    assert suggestions.same_pick_id(store, owner, pick, day, day + timedelta(days=1)) == new_id
    assert suggestions.same_pick_id(store, owner, pick, day + timedelta(days=1), AS_OF) is None
    assert suggestions.statuses(store, [new_id]).rows() == [(new_id, "open")]
    assert suggestions.latest_open(store, owner, ids["cy"], "reciprocate") == (new_id, None, None)
    assert [s["id"] for s in suggestions.open_suggestions_with(store, [ids["cy"]])] == [new_id]
    assert suggestions.suggestions_before(store, owner, day).height == 0
    assert suggestions.suggestions_before(store, owner, AS_OF + timedelta(days=1)).height == 1
    with store.transaction():
        suggestions.mark_done(store, new_id, AS_OF)
    assert suggestions.statuses(store, [new_id]).rows() == [(new_id, "done")]
    assert suggestions.latest_open(store, owner, ids["cy"], "reciprocate") is None
