"""Point-in-time features: known answers on a hand-made history, and the proof that
nothing at or after the cutoff leaks into a feature or a score."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.columns import conform_events
from pipelines.features.engagement import FEATURE_COLUMNS, NEVER_DAYS, build_features
from pipelines.features.labels import build_labels
from pipelines.ingest.edges import events_from_edges
from pipelines.score import score_events

T = datetime(2024, 3, 1)


def day(d: float) -> datetime:
    """``d`` days before T."""
    return T - timedelta(days=d)


def events(rows) -> pl.DataFrame:
    cols = ["owner", "contact", "ts", "direction", "channel", "is_give", "thread", "n_participants"]
    return conform_events(pl.DataFrame(rows, schema=cols, orient="row")).collect()


@pytest.fixture
def history() -> pl.DataFrame:
    return events(
        [
            # owner 1 and contact 10: a regular e-mail exchange, last outgoing 2 days ago
            (1, 10, day(30), "in", "email", False, None, 2),
            (1, 10, day(29), "out", "email", False, None, 2),  # reply after 1 day
            (1, 10, day(16), "in", "email", False, None, 2),
            (1, 10, day(2), "out", "email", False, None, 2),  # reply after 14 days
            (1, 10, day(1), "in", "email", False, None, 2),  # unanswered
            # owner 1 and contact 20: they endorsed me twice, I gave once; one group meeting
            (1, 20, day(100), "in", "endorsement", True, None, 2),
            (1, 20, day(90), "in", "endorsement", True, None, 2),
            (1, 20, day(80), "out", "recommendation", True, None, 2),
            (1, 20, day(60), "out", "meeting", False, "m1", 5),
            # after T: must never count
            (1, 20, T, "out", "email", False, None, 2),
            (1, 30, T + timedelta(days=1), "out", "email", False, None, 2),
        ]
    )


def _row(frame: pl.DataFrame, owner: int, contact: int) -> dict:
    return frame.filter((pl.col("owner") == owner) & (pl.col("contact") == contact)).row(
        0, named=True
    )


def test_feature_columns_are_named_in_one_place(history):
    f = build_features(history, T).collect()
    assert f.columns[:2] == ["owner", "contact"]
    assert [c for c in f.columns if c in FEATURE_COLUMNS] == FEATURE_COLUMNS
    assert len(set(FEATURE_COLUMNS)) == len(FEATURE_COLUMNS)
    assert f.select(pl.col(FEATURE_COLUMNS).null_count().sum()).sum_horizontal().item() == 0


def test_candidates_are_pairs_with_an_event_before_t(history):
    f = build_features(history, T).collect()
    assert sorted(f.select("owner", "contact").rows()) == [(1, 10), (1, 20)]  # not 30: after T


def test_known_answers_recency_counts_decay(history):
    f = build_features(history, T).collect()
    a = _row(f, 1, 10)
    assert a["age_last_any"] == pytest.approx(1.0)
    assert a["age_last_out"] == pytest.approx(2.0)
    assert a["age_last_in"] == pytest.approx(1.0)
    assert a["age_last_msg"] == pytest.approx(1.0)
    assert a["age_last_meet"] == NEVER_DAYS
    assert (a["n_out"], a["n_in"], a["n_all"]) == (2, 3, 5)
    assert (a["n_out_7d"], a["n_in_7d"], a["n_out_28d"], a["n_in_28d"]) == (1, 1, 1, 2)
    assert a["dec_out_7"] == pytest.approx(0.5 ** (29 / 7) + 0.5 ** (2 / 7))
    assert a["dec_in_28"] == pytest.approx(0.5 ** (30 / 28) + 0.5 ** (16 / 28) + 0.5 ** (1 / 28))
    # Interactions Rank: w * outgoing + incoming
    assert a["ir_28_w2"] == pytest.approx(2 * a["dec_out_28"] + a["dec_in_28"])
    assert a["ir_56_w1"] == pytest.approx(a["dec_out_56"] + a["dec_in_56"])


def test_known_answers_reciprocity_rhythm_ledger_groups(history):
    f = build_features(history, T).collect()
    a = _row(f, 1, 10)
    assert a["recip_share_out"] == pytest.approx(2 / 5)
    assert a["reply_latency_days"] == pytest.approx((1 + 14) / 2)  # mean of the two replies
    assert a["reply_rate"] == pytest.approx(2 / 3)
    assert a["unanswered_in"] == 1
    assert a["tie_age"] == pytest.approx(30.0)
    assert a["gap_mean_days"] == pytest.approx((30 - 1) / 4)
    assert a["overdue"] == pytest.approx(1 / ((30 - 1) / 4 + 0.01))
    b = _row(f, 1, 20)
    assert (b["give_in"], b["give_out"], b["give_balance"]) == (2, 1, 1)
    assert (b["n_group"], b["n_threads"]) == (1, 1)
    assert b["age_last_meet"] == pytest.approx(60.0)
    assert b["unanswered_in"] == 0  # both endorsements were followed by an outgoing event
    # owner-level normalisers and within-owner percentile ranks
    assert a["owner_n_contacts"] == b["owner_n_contacts"] == 2
    assert a["pct_recency"] == 1.0 and b["pct_recency"] == 0.5
    assert a["share_dec_out_28"] + b["share_dec_out_28"] == pytest.approx(1.0)


def test_known_answers_contact_side():
    # contact 10 is busy with owners 1 and 2; contact 20 has gone quiet everywhere
    f = build_features(
        events(
            [
                (1, 10, day(40), "out", "email", False, None, 2),
                (1, 10, day(20), "in", "email", False, None, 2),
                (2, 10, day(3), "in", "email", False, None, 2),
                (2, 10, day(2), "out", "email", False, None, 2),
                (1, 20, day(50), "out", "email", False, None, 2),
                (2, 20, day(45), "in", "email", False, None, 2),
                (2, 20, T, "in", "email", False, None, 2),  # at T: never counts
            ]
        ),
        T,
    ).collect()
    a, b = _row(f, 1, 10), _row(f, 2, 10)
    for r in (a, b):  # the contact's side is the same whichever owner looks at them
        assert r["contact_age_last"] == pytest.approx(2.0)
        assert (r["contact_n_7d"], r["contact_n_28d"], r["contact_sent_7d"]) == (2, 3, 1)
        assert r["contact_partners_28d"] == 2
        assert r["contact_dec_7"] == pytest.approx(sum(0.5 ** (d / 7) for d in (40, 20, 3, 2)))
    with_1 = 0.5 ** (40 / 28) + 0.5 ** (20 / 28)
    with_2 = 0.5 ** (3 / 28) + 0.5 ** (2 / 28)
    assert a["contact_share_28"] == pytest.approx(with_1 / (with_1 + with_2))
    assert a["contact_share_28"] + b["contact_share_28"] == pytest.approx(1.0)
    q = _row(f, 1, 20)
    assert q["contact_age_last"] == pytest.approx(45.0)
    assert (q["contact_n_28d"], q["contact_partners_28d"]) == (0, 0)
    # owner 1 ranks busy contact 10 above quiet contact 20
    assert a["pct_contact_dec_7"] == 1.0 and q["pct_contact_dec_7"] == 0.5


def test_known_answers_common_recent_ties(monkeypatch):
    import pipelines.features.engagement as features

    t0 = int(T.timestamp())
    d = 86_400
    edges = pl.DataFrame(
        {
            # 1-2 and 2-3 and 4-2 and 4-3 active; 1-3 quiet for 60 days; 1-4 active
            "src": [1, 2, 4, 4, 1, 1],
            "dst": [2, 3, 2, 3, 3, 4],
            "weight": 1.0,
            "ts": [t0 - 5 * d, t0 - 3 * d, t0 - 2 * d, t0 - 9 * d, t0 - 60 * d, t0 - d],
        }
    )
    f = build_features(events_from_edges(edges), T).collect()
    # 1's active ties are 2 and 4; both are in touch with 3 lately
    assert _row(f, 1, 3)["common_recent"] == 2
    assert _row(f, 1, 3)["common_recent_share"] == pytest.approx(2 / 2)
    assert _row(f, 1, 2)["common_recent"] == 1  # via 4
    assert _row(f, 3, 1)["common_recent"] == 2  # via 2 and 4
    # ids far apart (matrix rows by rank instead of by id) give the same counts
    far = edges.with_columns(pl.col("src") * 10**12, pl.col("dst") * 10**12)
    spread = build_features(events_from_edges(far), T).collect()
    assert spread["common_recent"].to_list() == f["common_recent"].to_list()
    # a one-owner home knows no ties between contacts
    alone = build_features(events_from_edges(edges).filter(pl.col("owner") == 1), T).collect()
    assert alone["common_recent"].sum() == 0
    # 26 two-hop paths (3 x 3 through 2 and through 4, 2 x 2 through 1 and 3): with a
    # budget of 17 only the busiest go-between is left out (2; its tie with 4 goes by id)
    monkeypatch.setattr(features, "MAX_TWO_HOP_PATHS", 17)
    capped = build_features(events_from_edges(edges), T).collect()
    assert _row(capped, 1, 3)["common_recent"] == 1


def test_labels_use_only_the_window(history):
    lab = build_labels(history, T, timedelta(days=7)).collect()
    assert sorted(lab.select("owner", "contact").rows()) == [(1, 20), (1, 30)]
    assert build_labels(history, T, timedelta(hours=1)).collect().rows() == [(1, 20, 1)]


def _random_log(seed: int, n_nodes: int = 25, n_events: int = 4000, days: int = 90) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n_nodes, n_events)
    # each node writes mostly to a few favourite contacts
    dst = (src + rng.geometric(0.35, n_events)) % n_nodes
    ts = np.sort(rng.integers(0, days * 86_400, n_events))
    edges = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    return events_from_edges(edges)


def test_deleting_events_after_t_changes_no_feature_and_no_score():
    full = _random_log(0)
    cutoff = datetime(1970, 1, 1) + timedelta(days=70)
    cut = full.filter(pl.col("ts") < cutoff)
    assert cut.height < full.height
    assert_frame_equal(
        build_features(full, cutoff).collect(), build_features(cut, cutoff).collect()
    )
    scores_full, info = score_events(full, cutoff)
    scores_cut, _ = score_events(cut, cutoff)
    assert "fallback" not in info["validation"]  # the learned model really ran
    assert_frame_equal(scores_full, scores_cut)


def test_features_do_not_depend_on_the_order_of_the_events():
    full = _random_log(1)
    cutoff = datetime(1970, 1, 1) + timedelta(days=70)
    shuffled = full.sample(fraction=1.0, shuffle=True, seed=7)
    # the store's order (owner, contact, time, "out" first) takes the no-sort path
    presorted = full.sort("owner", "contact", "ts", pl.col("direction") == "in")
    expected = build_features(shuffled, cutoff).collect()
    assert_frame_equal(build_features(full, cutoff).collect(), expected)
    assert_frame_equal(build_features(presorted, cutoff).collect(), expected)


def test_the_store_order_is_recognised_and_any_other_order_is_not():
    from pipelines.features.engagement import _in_pair_order

    pair = np.array([1, 1, 1, 2, 2, 5])
    order = np.array([3, 3, 9, 1, 4, 0])
    assert _in_pair_order(pair, order)
    assert not _in_pair_order(pair, np.array([3, 2, 9, 1, 4, 0]))  # time goes back in a pair
    assert not _in_pair_order(np.array([1, 2, 1]), np.array([0, 0, 0]))  # pair comes back
    assert _in_pair_order(np.array([4]), np.array([7]))


def test_give_balance_is_signed_and_large_ids_are_handled():
    rows = [
        (5, 2**40, day(10), "out", "endorsement", True, None, 2),
        (5, 2**40, day(9), "out", "introduction", True, None, 2),
        (-3, 7, day(8), "in", "email", False, None, 2),
    ]
    f = build_features(events(rows), T).collect()
    a = _row(f, 5, 2**40)
    assert (a["give_in"], a["give_out"], a["give_balance"]) == (0, 2, -2)
    assert _row(f, -3, 7)["n_in"] == 1
    assert f.select("owner", "contact").rows() == [(-3, 7), (5, 2**40)]  # sorted by pair


@pytest.mark.parametrize("kind", ["specials", "float ties", "integers", "signed zeros"])
def test_within_owner_ranks_are_polars_average_ranks(kind):
    """The percentile ranks' row sorts (owners of one size at once) give exactly Polars'
    ``rank("average").over(owner)``: ties, -0.0 = 0.0, NaN after +inf, one big owner."""
    from pipelines.features.engagement import _group_layout, _ranks_within, _sortable

    rng = np.random.default_rng(len(kind))
    for _ in range(50):
        sizes = np.r_[rng.integers(1, 40, size=rng.integers(1, 30)), rng.integers(1, 3000)]
        n = int(sizes.sum())
        if kind == "specials":
            values = rng.choice([0.0, 1.0, np.nan, np.inf, -np.inf, 2.5, -3.0], n)
        elif kind == "float ties":
            values = rng.integers(0, 5, n).astype(float) / 3
        elif kind == "integers":
            values = rng.integers(0, 5, n)
        else:
            values = rng.choice([0.0, -0.0, 1.5, -2.0], n)
        owner = np.repeat(np.arange(len(sizes)), sizes)
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        got = _ranks_within(*_sortable(values), _group_layout(starts, sizes))
        want = pl.DataFrame({"owner": owner, "v": values}).select(
            pl.col("v").rank("average").over("owner")
        )
        assert np.array_equal(got, want.to_series().to_numpy())


def test_features_of_rows_not_sorted_by_owner_rank_the_same():
    """finish_features on rows out of owner order takes the Polars path: the same ranks
    exactly, the owner sums to rounding (Polars adds them in another order there)."""
    from pipelines.features.engagement import finish_features, pair_features, with_global_columns

    rng = np.random.default_rng(3)
    n = 3000
    log = pl.DataFrame(
        {
            "owner": rng.integers(0, 30, n),
            "contact": rng.integers(30, 90, n),
            "ts": pl.Series(rng.integers(0, 50 * 86_400, n) * 1_000_000).cast(pl.Datetime("us")),
            "direction": rng.choice(["out", "in"], n),
        }
    )
    pairs = with_global_columns(pair_features(log, datetime(1970, 3, 1)))
    in_order = finish_features(pairs).collect()
    shuffled = finish_features(pairs.sample(fraction=1.0, shuffle=True, seed=1)).collect()
    shuffled = shuffled.sort("owner", "contact")
    assert_frame_equal(shuffled, in_order)
    ranks = [c for c in FEATURE_COLUMNS if c.startswith("pct_")]
    assert len(ranks) == 12 and shuffled.select(ranks).equals(in_order.select(ranks))
