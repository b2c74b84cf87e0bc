"""Ranking metrics on hand-checked frames."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipelines.metrics import mean_metrics, owner_metrics, rank_within_owner


def _frame(rows):
    return pl.DataFrame(rows, schema=["owner", "score", "label"], orient="row")


def test_perfect_and_worst_single_target():
    # owner 1: the target is ranked first; owner 2: the target is ranked third of three
    f = _frame([(1, 3.0, 1), (1, 2.0, 0), (1, 1.0, 0), (2, 3.0, 0), (2, 2.0, 0), (2, 1.0, 1)])
    per = owner_metrics(rank_within_owner(f, "score"))
    assert per["owner"].to_list() == [1, 2]
    assert per["ndcg@10"].to_list() == pytest.approx([1.0, 1 / math.log2(4)])
    assert per["recall@10"].to_list() == pytest.approx([1.0, 1.0])
    assert per["mrr"].to_list() == pytest.approx([1.0, 1 / 3])


def test_two_targets_ndcg_by_hand():
    # targets at ranks 2 and 3: DCG = 1/log2(3) + 1/log2(4); IDCG = 1 + 1/log2(3)
    f = _frame([(7, 0.9, 0), (7, 0.8, 1), (7, 0.7, 1), (7, 0.1, 0)])
    m = mean_metrics(f, "score")
    expected = (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))
    assert m["ndcg@10"] == pytest.approx(expected)
    assert m["mrr"] == pytest.approx(0.5)
    assert m["recall@10"] == pytest.approx(1.0)
    assert m["owners"] == 1


def test_recall_at_10_counts_only_the_top_ten():
    # 12 candidates, targets at ranks 1 and 12
    rows = [(1, float(100 - i), 1 if i in (0, 11) else 0) for i in range(12)]
    m = mean_metrics(_frame(rows), "score")
    assert m["recall@10"] == pytest.approx(0.5)
    assert m["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert m["mrr"] == pytest.approx(1.0)


def test_owners_without_target_are_left_out_and_averaged_over_owners():
    f = _frame([(1, 1.0, 1), (1, 0.0, 0), (2, 1.0, 0), (2, 0.0, 0), (3, 1.0, 0), (3, 0.0, 1)])
    m = mean_metrics(f, "score")
    assert m["owners"] == 2
    assert m["mrr"] == pytest.approx((1.0 + 0.5) / 2)
    assert mean_metrics(_frame([(1, 1.0, 0)]), "score") is None


def test_ties_are_broken_at_random_with_a_seed():
    # all scores equal: over many owners the target lands on rank 1 about half the time
    rows = [(o, 0.0, lab) for o in range(400) for lab in (1, 0)]
    f = _frame(rows)
    a = mean_metrics(f, "score", seed=1)
    b = mean_metrics(f, "score", seed=1)
    assert a == b
    assert 0.68 < a["mrr"] < 0.82  # expected 0.75 = (1 + 1/2) / 2
    ranks = rank_within_owner(f, "score", seed=3)
    assert sorted(ranks.filter(pl.col("owner") == 0)["rank"].to_list()) == [1, 2]
