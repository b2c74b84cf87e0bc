"""The day's plan statistics are reused only when that is the same as recomputing them
(or, for the engagement model, the same as recomputing at the earlier moment they were
made for), and never see anything after the moment asked for."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_actions_helpers import AS_OF, build_home

from recommender.actions.context import build_context
from recommender.store.db import open_store

LATER = AS_OF + timedelta(hours=5)
COMPARED = ["contact", "n_events", "n_out", "n_in", "first_ts", "last_ts", "rhythm_days"]
COMPARED += ["interactions_rank", "engagement", "days_since", "overdue", "who"]


def _cached_at(store, owner):
    return store.scalar("SELECT as_of FROM plan_cache WHERE owner_id = ?", [owner])


def _assert_same(a, b):
    assert_frame_equal(
        a.stats.select(COMPARED).sort("contact"),
        b.stats.select(COMPARED).sort("contact"),
        check_exact=False,
        rel_tol=1e-9,
    )
    assert a.pool == b.pool


@pytest.fixture
def home(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
    return helpnext_home, ids


def test_a_later_plan_the_same_day_reuses_the_statistics_exactly(home):
    path, _ = home
    with open_store(path) as store:
        owner = store.owner_id()
        first = build_context(store, owner, AS_OF, use_model=False)
        assert _cached_at(store, owner) == AS_OF
        reused = build_context(store, owner, LATER, use_model=False)
        assert _cached_at(store, owner) == AS_OF  # reused, not recomputed
        fresh = build_context(store, owner, LATER, reuse=False, use_model=False)
    assert first.model_version == reused.model_version == fresh.model_version
    # the heuristic moves to the later moment exactly: same numbers as a fresh computation
    _assert_same(reused, fresh)
    assert (reused.stats["days_since"] - first.stats["days_since"]).round(6).unique().to_list() == [
        round(5 / 24, 6)
    ]


def test_a_model_ranked_plan_reuses_the_scores_of_the_days_first_plan(home):
    """With no trained model the shipped prior ranks; its scores are those of T1 all day."""
    path, _ = home
    with open_store(path) as store:
        owner = store.owner_id()
        first = build_context(store, owner, AS_OF)
        reused = build_context(store, owner, LATER)
        assert _cached_at(store, owner) == AS_OF
    assert first.model_version.startswith("engagement:prior:")
    assert reused.model_version == first.model_version
    a = first.stats.sort("contact")["engagement"].to_list()
    assert reused.stats.sort("contact")["engagement"].to_list() == a


@pytest.mark.parametrize(
    "when",
    [AS_OF - timedelta(minutes=1), AS_OF.replace(hour=0) + timedelta(days=1)],
    ids=["earlier", "next-day"],
)
def test_an_earlier_moment_or_another_day_is_computed_afresh(home, when):
    path, _ = home
    with open_store(path) as store:
        owner = store.owner_id()
        build_context(store, owner, AS_OF)
        got = build_context(store, owner, when)
        assert _cached_at(store, owner) == when
        _assert_same(got, build_context(store, owner, when, reuse=False))


def test_an_event_between_the_two_moments_is_seen(home, cli):
    path, ids = home
    between = (AS_OF + timedelta(hours=1)).isoformat()
    logged = cli("log", str(ids["hal"]), "--note", "coffee", "--date", between)
    assert logged.exit_code == 0, logged.stderr
    with open_store(path) as store:
        owner = store.owner_id()
        early = build_context(store, owner, AS_OF)  # Hal's only event is after AS_OF
        late = build_context(store, owner, LATER)
        assert _cached_at(store, owner) == LATER
    assert ids["hal"] not in early.stats["contact"].to_list()
    assert late.stats.filter(pl.col("contact") == ids["hal"])["n_events"].to_list() == [1]


def test_any_change_to_the_history_is_seen(home, cli):
    path, ids = home
    with open_store(path) as store:
        owner = store.owner_id()
        before = build_context(store, owner, LATER)
    logged = cli("log", str(ids["hal"]), "--note", "coffee", "--date", AS_OF.isoformat())
    assert logged.exit_code == 0, logged.stderr
    with open_store(path) as store:
        after = build_context(store, owner, LATER)
    n = {c.stats.filter(pl.col("contact") == ids["hal"]).height for c in (before, after)}
    assert n == {0, 1}


def test_a_new_model_is_not_served_stale_scores(home, cli):
    path, _ = home
    with open_store(path) as store:
        owner = store.owner_id()
        build_context(store, owner, AS_OF)
        key = store.scalar("SELECT cache_key FROM plan_cache")
    trained = cli("train", "--as-of", AS_OF.isoformat())
    assert trained.exit_code == 0, trained.stderr
    with open_store(path) as store:
        got = build_context(store, owner, LATER)
        assert store.scalar("SELECT cache_key FROM plan_cache") != key
        assert _cached_at(store, owner) == LATER
        again = build_context(store, owner, LATER + timedelta(hours=1))  # reused
        assert _cached_at(store, owner) == LATER
        fresh = build_context(store, owner, LATER, reuse=False)
    assert got.model_version.startswith("engagement:")
    # the model's scores are those of the moment they were computed for
    by_contact = ["contact", "engagement", "who"]
    assert_frame_equal(again.stats.select(by_contact), fresh.stats.select(by_contact))


def test_forget_leaves_nothing_of_the_person_in_the_cache(home, cli):
    path, ids = home
    with open_store(path) as store:
        build_context(store, store.owner_id(), AS_OF)
        assert store.scalar(
            "SELECT count(*) FROM plan_cache_contacts WHERE contact_id = ?", [ids["gus"]]
        )
    done = cli("forget", str(ids["gus"]), "--yes")
    assert done.exit_code == 0, done.stderr
    with open_store(path, read_only=True) as store:
        assert not store.scalar(
            "SELECT count(*) FROM plan_cache_contacts WHERE contact_id = ?", [ids["gus"]]
        )


def test_a_read_only_store_is_not_written(home):
    path, _ = home
    with open_store(path, read_only=True) as store:
        ctx = build_context(store, store.owner_id(create=False), AS_OF)
        assert ctx.stats.height > 0
        assert store.scalar("SELECT count(*) FROM plan_cache") == 0


def test_a_recomputed_context_keeps_nothing(home):
    # batch scoring (`score --actions`) recomputes per owner and leaves no cache behind
    path, _ = home
    with open_store(path) as store:
        ctx = build_context(store, store.owner_id(), AS_OF, reuse=False)
        assert ctx.stats.height > 0
        assert store.scalar("SELECT count(*) FROM plan_cache") == 0
        assert store.scalar("SELECT count(*) FROM plan_cache_contacts") == 0
