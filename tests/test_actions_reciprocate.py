from test_actions_helpers import AS_OF, build_home

from recommender.actions import reciprocate
from recommender.actions.context import build_context
from recommender.store.db import open_store


def test_only_the_unreturned_endorsement_is_reciprocated(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = reciprocate.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found["contact"].to_list() == [ids["cy"]]
    reason = found["reason"][0]
    assert "endorsed you for SQL (10 May 2024)" in reason
    assert "not returned the favour" in reason


def test_an_endorsement_after_as_of_does_not_count(helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
        found = reciprocate.candidates(
            build_context(store, store.owner_id(), AS_OF.replace(year=2024, month=5, day=1))
        )
    assert found.height == 0
