"""The contract every give-first act keeps, checked for every act of the registry (in the
manner of scikit-learn's ``parametrize_with_checks``: one test per act and check).

On the hand-made home of ``test_actions_helpers`` (where every act has candidates), with a
future added after ``AS_OF`` (replies, gives back, shared threads, shares, new roles, notes,
tags, items), each act's candidates:

* have exactly the candidate schema (``CANDIDATE_SCHEMA``), one act's name in ``action``;
* exist (the home is built so that every act has some);
* have ``fit`` in [0, 1];
* have a reason quoting evidence: a date, a quoted text or a number;
* are point-in-time safe: deleting every interaction, event, item, note and tag dated at or
  after ``AS_OF`` changes nothing in them.

Each check is shown to catch an act that breaks it (``test_each_check_catches_a_broken_act``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from test_actions_helpers import AS_OF, build_home

from recommender.actions.context import (
    CANDIDATE_SCHEMA,
    PlanContext,
    build_context,
    candidates_frame,
)
from recommender.actions.registry import ACTS, act
from recommender.store.db import Store, open_store

Candidates = Callable[[PlanContext], pl.DataFrame]

# what an act may quote as evidence: a date ('10 May 2024', 'Jun 2023'), a quoted text, a number
EVIDENCE = re.compile(r"\b(\d{1,2} )?[A-Z][a-z]{2} \d{4}\b|'[^']+'|\b\d+\b")
# the tables with dated rows, and the column that dates them
DATED = {
    "interactions": "ts",
    "events": "ts",
    "items": "published_at",
    "notes": "created_at",
    "tags": "created_at",
}


def _message(store: Store, owner: int, contact: int, ts: datetime, **row) -> None:
    values = {
        "channel": "message",
        "direction": "in",
        "is_give": False,
        "thread": None,
        "body": None,
        "detail": None,
    } | row
    store.con.execute(
        """INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel,
               direction, is_give, thread, n_participants, body, detail)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 2, ?, ?)""",
        [
            store.next_id("interactions", "interaction_id"),
            f"future|{contact}|{ts.isoformat()}|{values['channel']}|{values['direction']}",
            owner,
            contact,
            ts,
            *values.values(),
        ],
    )


def add_a_future(store: Store, ids: dict[str, int]) -> None:
    """Rows dated after ``AS_OF`` that would change every act's candidates if it read them."""
    owner = store.owner_id()
    june = lambda d: datetime(2024, 6, d, 12)  # noqa: E731
    with store.transaction() as con:
        for ref in ids:  # everyone writes back
            _message(store, owner, ids[ref], june(2), body="good to hear from you")
        _message(store, owner, ids["ed"], june(3), direction="out", body="catching up")
        _message(store, owner, ids["hal"], june(3), channel="meeting", direction="out")
        _message(
            store, owner, ids["cy"], june(4), channel="endorsement", direction="out", is_give=True
        )
        for ref in ("ana", "bo"):
            _message(store, owner, ids[ref], june(5), thread="future-group", body="hello all")
        _message(
            store,
            owner,
            ids["gus"],
            june(6),
            channel="share",
            direction="out",
            detail="https://example.org/pytorch-training",
        )
        _message(store, owner, ids["di"], june(7), body="I was laid off, looking for a job")
        for event_id, ref in ((900, "gus"), (901, "hal")):
            con.execute(
                "INSERT INTO events (event_id, uid, owner_id, contact_id, ts, kind, "
                "new_company, new_position) VALUES (?, ?, ?, ?, ?, 'new_role', 'Omega', 'CTO')",
                [event_id, f"future-role-{ref}", owner, ids[ref], june(8)],
            )
        con.execute(
            "INSERT INTO notes VALUES (900, ?, ?, 'need', 'looking for work in design', ?)",
            [owner, ids["cy"], june(9)],
        )
        con.execute(
            "INSERT INTO tags VALUES (?, ?, 'hiring', 'user', ?)", [owner, ids["fay"], june(9)]
        )
        con.execute(
            "INSERT INTO items (item_id, uid, kind, title, url, text, company, published_at, "
            "created_at) VALUES (900, 'future-job', 'job', 'Product Designer', "
            "'https://jobs.example.org/9', 'design review onboarding flow', 'Omega', ?, ?)",
            [june(10), june(10)],
        )


def forget_the_future(store: Store) -> None:
    """Delete every dated row at or after ``AS_OF``."""
    with store.transaction() as con:
        for table, column in DATED.items():
            con.execute(f"DELETE FROM {table} WHERE {column} >= ?", [AS_OF])


@dataclass
class Home:
    """The home with a future (``store``) and the same home without it (``past``)."""

    store: Store
    past: Store
    ctx: dict[tuple, PlanContext] = field(default_factory=dict)

    def context(self, which: str, as_of: datetime = AS_OF) -> PlanContext:
        if (which, as_of) not in self.ctx:
            store = self.store if which == "full" else self.past
            found = build_context(store, store.owner_id(), as_of, reuse=False)
            self.ctx[which, as_of] = found
        return self.ctx[which, as_of]

    def run(self, candidates: Candidates, which: str = "full", as_of=AS_OF) -> pl.DataFrame:
        return candidates(self.context(which, as_of))


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    stores = []
    for name in ("full", "past"):
        store = open_store(tmp_path_factory.mktemp(name) / "home")
        add_a_future(store, build_home(store))
        stores.append(store)
    forget_the_future(stores[1])
    yield Home(*stores)
    for store in stores:
        store.close()


# -- the checks --------------------------------------------------------------------------


def check_schema(candidates: Candidates, home: Home) -> None:
    frame = home.run(candidates)
    assert dict(frame.schema) == CANDIDATE_SCHEMA
    assert frame["action"].n_unique() <= 1, "one act's name in 'action'"


def check_has_candidates(candidates: Candidates, home: Home) -> None:
    assert home.run(candidates).height > 0, "this home gives every act candidates"


def check_fit_in_unit_interval(candidates: Candidates, home: Home) -> None:
    fit = home.run(candidates)["fit"]
    assert fit.null_count() == 0 and fit.is_nan().sum() == 0
    assert ((fit >= 0.0) & (fit <= 1.0)).all(), f"fit outside [0, 1]: {fit.to_list()}"


def check_reason_quotes_evidence(candidates: Candidates, home: Home) -> None:
    for reason in home.run(candidates)["reason"].to_list():
        assert reason and reason.strip(), "an empty reason"
        assert EVIDENCE.search(reason), f"no date, quote or number in {reason!r}"


def check_point_in_time_safe(candidates: Candidates, home: Home) -> None:
    assert_frame_equal(home.run(candidates, "full"), home.run(candidates, "past"))


CHECKS = (
    check_schema,
    check_has_candidates,
    check_fit_in_unit_interval,
    check_reason_quotes_evidence,
    check_point_in_time_safe,
)


@pytest.mark.parametrize(
    ("name", "check"),
    [(a.name, c) for a in ACTS for c in CHECKS],
    ids=[f"{a.name}-{c.__name__}" for a in ACTS for c in CHECKS],
)
def test_act_keeps_the_contract(name, check, home):
    check(act(name).candidates, home)


# -- each check can fail -----------------------------------------------------------------


def _check_in(ctx: PlanContext) -> pl.DataFrame:
    return act("check_in").candidates(ctx)


def _leaky(ctx: PlanContext) -> pl.DataFrame:
    """Reads every interaction, the future too."""
    n = ctx.store.scalar("SELECT count(*) FROM interactions")
    return _check_in(ctx).with_columns(pl.lit(n / 10_000).alias("fit"))


BROKEN = {
    check_schema: lambda ctx: _check_in(ctx).with_columns(pl.col("fit").cast(pl.Float32)),
    check_has_candidates: lambda ctx: candidates_frame([]),
    check_fit_in_unit_interval: lambda ctx: _check_in(ctx).with_columns(pl.lit(1.5).alias("fit")),
    check_reason_quotes_evidence: lambda ctx: _check_in(ctx).with_columns(
        pl.lit("worth a message").alias("reason")
    ),
    check_point_in_time_safe: _leaky,
}


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_each_check_catches_a_broken_act(check, home):
    check(_check_in, home)  # the act it breaks keeps the contract
    with pytest.raises(AssertionError):
        check(BROKEN[check], home)


@pytest.mark.parametrize("name", [a.name for a in ACTS])
def test_the_future_would_change_every_act(name, home):
    """The point-in-time check has teeth: seen from after the future, both homes differ."""
    later = datetime(2024, 6, 15)
    full, past = (home.run(act(name).candidates, which, later) for which in ("full", "past"))
    assert not full.equals(past)


def test_every_act_of_the_registry_is_checked():
    assert [a.name for a in ACTS] == [
        "reciprocate",
        "congratulate",
        "introduce",
        "send_job",
        "share_article",
        "check_in",
    ]


def test_the_registry_says_what_each_act_is_called_records_and_gives():
    assert [(a.name, a.label, a.report_label, a.channel, a.gives) for a in ACTS] == [
        ("reciprocate", "give back", "give back", "endorsement", True),
        ("congratulate", "congratulate", "congratulate", "message", False),
        ("introduce", "introduce", "introduce", "introduction", True),
        ("send_job", "send job", "send a job", "share", True),
        ("share_article", "share article", "share an article", "share", True),
        ("check_in", "check in", "check in", "message", False),
    ]
    # giving back an endorsement is an endorsement; any other give-back is a message
    assert act("reciprocate").done_channel("Cy endorsed you for SQL (10 May 2024)") == (
        "endorsement"
    )
    assert act("reciprocate").done_channel("Cy recommended you (1 May 2024)") == "message"
    assert act("send_job").done_channel(None) == "share"


def test_the_registry_imports_neither_polars_nor_an_act():
    """``helpnext done`` reads the registry: it must stay light."""
    import subprocess
    import sys

    code = (
        "import sys, recommender.actions.registry as r; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'polars', 'sklearn', "
        "'pyarrow'} or m.startswith('recommender.actions.') and m != r.__name__))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
