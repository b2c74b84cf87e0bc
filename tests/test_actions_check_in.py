from test_actions_helpers import AS_OF, build_home

from recommender.actions import check_in
from recommender.actions.context import build_context
from recommender.store.db import open_store


def test_the_strong_tie_gone_quiet_is_due(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = check_in.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found["contact"].to_list() == [ids["ed"]]
    reason = found["reason"][0]
    assert "last in touch 1 Jun 2023" in reason and "every ~14 days" in reason
    assert "40 exchanges" in reason


def test_strength_and_overdue_are_combined_not_intensity_alone():
    # a solid tie 3x overdue beats a thin one 20x overdue; both capped at 1
    assert check_in.fit_of(40, 3.0) > check_in.fit_of(5, 20.0)
    assert check_in.fit_of(40, 6.0) > check_in.fit_of(40, 3.0)
    assert check_in.fit_of(10_000, 1_000.0) == 1.0
    assert check_in.fit_of(40, 1.0) == 0.0
