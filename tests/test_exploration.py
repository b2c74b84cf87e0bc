"""Exploration: one slot in five drawn at random, with its probability logged."""

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl
import pytest

from recommender.actions.context import CANDIDATE_SCHEMA
from recommender.plan.daily import choose
from recommender.plan.exploration import (
    EXPLORE_TOP,
    WEIGHT_FLOOR,
    exploration_slots,
    plan_with_exploration,
    rng_for,
)

AS_OF = datetime(2024, 6, 20, 9)
ACTS = ("check_in", "share_article", "congratulate", "reciprocate", "send_job")


@dataclass
class Ctx:
    """What exploration reads of a plan context: owner, as_of and past suggestions."""

    owner: int = 1
    as_of: datetime = AS_OF
    past: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"contact": pl.Int64, "as_of": pl.Datetime("us")}
        )
    )

    def past_suggestions(self) -> pl.DataFrame:
        return self.past


def candidates(n_people: int, pref: list[float] | None = None) -> pl.DataFrame:
    rows = [
        {
            "contact": c,
            "action": ACTS[c % len(ACTS)],
            "fit": 1.0 - c / 1000,
            "who": 1.0 - c / 1000,
            "reason": f"reason {c}",
        }
        for c in range(1, n_people + 1)
    ]
    frame = pl.DataFrame(rows).select(
        (pl.col(c).cast(t) if c in rows[0] else pl.lit(None, dtype=t).alias(c))
        for c, t in CANDIDATE_SCHEMA.items()
    )
    frame = frame.with_columns(((pl.col("who") + pl.col("fit")) / 2).alias("score"))
    if pref is not None:
        frame = frame.with_columns(pl.Series("pref", pref, dtype=pl.Float64))
    return frame.sort("score", descending=True)


def test_the_generator_is_seeded_by_owner_and_day():
    same = rng_for(1, AS_OF).random(3), rng_for(1, AS_OF.replace(hour=17)).random(3)
    assert list(same[0]) == list(same[1])
    assert list(rng_for(1, AS_OF + timedelta(days=1)).random(3)) != list(same[0])
    assert list(rng_for(2, AS_OF).random(3)) != list(same[0])


def test_one_slot_in_five():
    assert [exploration_slots(n) for n in (1, 4, 5, 9, 10, 12)] == [0, 0, 1, 1, 2, 2]


def test_four_greedy_picks_and_one_uniform_draw_before_any_model():
    frame = candidates(30)
    plan = plan_with_exploration(Ctx(), frame, 5, set(), choose)
    assert plan.height == 5 and plan["contact"].n_unique() == 5
    greedy = plan.filter(~pl.col("explored"))
    assert greedy["propensity"].to_list() == [1.0] * 4
    assert set(greedy["contact"]) == set(choose(frame, 4)["contact"])
    (drawn,) = plan.filter(pl.col("explored")).to_dicts()
    assert drawn["propensity"] == pytest.approx(1 / 26)  # 30 people, 4 taken, all alike
    again = plan_with_exploration(Ctx(), frame, 5, set(), choose)
    assert again["contact"].to_list() == plan["contact"].to_list()


def test_the_draw_varies_from_day_to_day():
    frame = candidates(60)
    drawn = {
        plan_with_exploration(Ctx(as_of=AS_OF + timedelta(days=d)), frame, 5, set(), choose)
        .filter(pl.col("explored"))["contact"]
        .item()
        for d in range(12)
    }
    assert len(drawn) >= 6


def test_people_suggested_often_are_drawn_less():
    frame = candidates(14)
    past = pl.DataFrame(
        {"contact": [10, 10, 11], "as_of": [AS_OF - timedelta(days=d) for d in (3, 20, 5)]}
    )
    ctx = Ctx(past=past)
    plan = plan_with_exploration(ctx, frame, 5, set(), choose)
    greedy = set(plan.filter(~pl.col("explored"))["contact"])
    spare = [c for c in range(1, 15) if c not in greedy]
    assert len(spare) == 10 and {10, 11} <= set(spare)
    weight = {c: WEIGHT_FLOOR + 1.0 for c in spare}
    weight[10] = WEIGHT_FLOOR + 1 / 3
    weight[11] = WEIGHT_FLOOR + 1 / 2
    (drawn,) = plan.filter(pl.col("explored")).to_dicts()
    assert drawn["propensity"] == pytest.approx(weight[drawn["contact"]] / sum(weight.values()))


def test_with_a_model_the_draw_goes_to_the_unsure():
    pref = [0.999] * 40
    pref[35] = 0.5  # contact 36: the one the model cannot call
    frame = candidates(40, pref)
    sure = WEIGHT_FLOOR + 4 * 0.999 * 0.001
    total = (WEIGHT_FLOOR + 1.0) + 35 * sure  # 36 people left after the 4 greedy picks
    drawn = []
    for d in range(20):
        plan = plan_with_exploration(Ctx(as_of=AS_OF + timedelta(days=d)), frame, 5, set(), choose)
        (row,) = plan.filter(pl.col("explored")).to_dicts()
        expected = (WEIGHT_FLOOR + 1.0) / total if row["contact"] == 36 else sure / total
        assert row["propensity"] == pytest.approx(expected)
        drawn.append(row["contact"])
    assert drawn.count(36) >= 4  # p = 0.36 a day, against 0.018 for each of the others
    assert max(drawn.count(c) for c in set(drawn) - {36}) <= 2


def test_small_networks_are_not_explored():
    frame = candidates(12)  # 5 picks leave 7 spare: fewer than MIN_SPARE
    plan = plan_with_exploration(Ctx(), frame, 5, set(), choose)
    assert not plan["explored"].any() and plan["propensity"].to_list() == [1.0] * 5
    assert plan["contact"].to_list() == choose(frame, 5)["contact"].to_list()


def test_the_draw_is_among_the_best_remaining():
    frame = candidates(200)
    for d in range(10):
        plan = plan_with_exploration(Ctx(as_of=AS_OF + timedelta(days=d)), frame, 5, set(), choose)
        (drawn,) = plan.filter(pl.col("explored")).to_dicts()
        assert drawn["contact"] <= 4 + EXPLORE_TOP + 1
        assert drawn["propensity"] == pytest.approx(1 / EXPLORE_TOP)


@pytest.mark.slow
def test_today_on_the_sample_logs_features_and_propensity(cli, helpnext_home):
    """Without a preference model: deterministic picks (propensity 1), features logged."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from bench_simulation import build_sample_home

    build_sample_home(helpnext_home)
    first = json.loads(cli("today", "--as-of", "2024-06-20", "--json").stdout)["suggestions"]
    again = json.loads(cli("today", "--as-of", "2024-06-20T18:00", "--json").stdout)["suggestions"]
    assert [s["id"] for s in first] == [s["id"] for s in again]
    props = sorted(s["propensity"] for s in first)
    assert len(first) == 5 and props == [1.0] * 5
    from recommender.store.db import open_store

    with open_store(helpnext_home, read_only=True) as store:
        rows = store.frame(
            "SELECT contact_id, action, score, propensity, features FROM suggestions"
        )
    assert sorted(rows["propensity"].to_list()) == props
    for r in rows.iter_rows(named=True):
        features = json.loads(r["features"])
        assert features["contact"] == r["contact_id"] and features["action"] == r["action"]
        assert features["prior"] == pytest.approx(r["score"])  # no preference model yet
