from datetime import datetime

from test_actions_helpers import AS_OF, build_home

from recommender.actions import congratulate
from recommender.actions.congratulate import _anniversary
from recommender.actions.context import build_context
from recommender.store.db import open_store


def test_a_recent_new_role_is_congratulated(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = congratulate.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found["contact"].to_list() == [ids["fay"]]
    assert "new role: VP Marketing at Zeta (was Marketing Lead at Zeta)" in found["reason"][0]


def test_the_role_change_is_unknown_before_it_was_seen(helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
        found = congratulate.candidates(
            build_context(store, store.owner_id(), datetime(2024, 5, 19))
        )
    assert found.height == 0


def test_anniversaries():
    assert _anniversary(datetime(2019, 3, 15), datetime(2024, 3, 17)) == 5
    assert _anniversary(datetime(2019, 3, 15), datetime(2024, 3, 13)) == 5
    assert _anniversary(datetime(2019, 3, 15), datetime(2024, 4, 15)) is None
    assert _anniversary(datetime(2024, 3, 15), datetime(2024, 3, 16)) is None


def test_a_connection_anniversary_is_offered(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = congratulate.candidates(
            build_context(store, store.owner_id(), datetime(2024, 3, 16))
        )
    rows = {r["contact"]: r["reason"] for r in found.iter_rows(named=True)}
    assert "connected 5 years ago (15 Mar 2019)" in rows[ids["ana"]]
