"""Point-in-time features per (owner, contact) at ``as_of`` T (Polars, lazy).

Only events with ``ts < T`` are read: the first step of :func:`build_features` is that
filter, so deleting every event at or after T changes nothing here (tested).

One row per pair the owner exchanged anything with before T (the *candidates*). Columns:
``owner``, ``contact`` and every name in :data:`FEATURE_COLUMNS` (Float64, no nulls).
Ages are in days; "never" is :data:`NEVER_DAYS`.

Families (names in one place, below):

* recency per direction and per channel group;
* counts in several windows, per direction;
* exponentially decayed sums (Interactions Rank style) at several half-lives, out and in apart;
* reciprocity, reply latency, unanswered incoming messages;
* regularity (typical gap between exchanges; how overdue the contact is against it); tie age;
* the give ledger both ways; co-participation in group threads / meetings;
* owner-level normalisers and within-owner percentile ranks of the strong baseline scores.
"""

from __future__ import annotations

from datetime import datetime

import polars as pl

from pipelines.columns import (
    CHANNEL,
    CONTACT,
    DIRECTION,
    IN,
    IS_GIVE,
    N_PARTICIPANTS,
    OUT,
    OWNER,
    THREAD,
    TS,
    conform_events,
)

DAY_US = 86_400 * 1_000_000
NEVER_DAYS = 36_500.0  # "no such event": a hundred years ago
HALF_LIVES = (7, 14, 28, 56)  # Interactions Rank half-lives (the baselines use these)
FAST_HALF_LIVES = (1,)  # chat-like logs: is the pair in a burst right now?
WINDOWS = (7, 28, 90)
IR_WEIGHTS = (1, 2)
DORMANT_DAYS = 30

# channel groups for per-channel recency
CHANNEL_GROUPS = {
    "msg": ("message", "email"),
    "meet": ("meeting", "call"),
}

RECENCY_COLUMNS = [
    "age_last_any",
    "age_last_out",
    "age_last_in",
    *[f"age_last_{g}" for g in CHANNEL_GROUPS],
]
COUNT_COLUMNS = [
    "n_out",
    "n_in",
    "n_all",
    *[f"n_{d}_{w}d" for w in WINDOWS for d in (OUT, IN)],
]
DECAY_COLUMNS = [f"dec_{d}_{h}" for h in (*FAST_HALF_LIVES, *HALF_LIVES) for d in (OUT, IN)]
IR_COLUMNS = [f"ir_{h}_w{w}" for h in HALF_LIVES for w in IR_WEIGHTS]
RELATION_COLUMNS = [
    "recip_share_out",
    "recip_balance",
    "reply_latency_days",
    "reply_rate",
    "unanswered_in",
    "gap_mean_days",
    "gap_out_mean_days",
    "overdue",
    "overdue_out",
    "tie_age",
    "give_out",
    "give_in",
    "give_balance",
    "n_group",
    "n_threads",
]
OWNER_COLUMNS = [
    "owner_n_contacts",
    "owner_n_out_28d",
    "owner_dec_out_28",
    "share_dec_out_28",
    "share_dec_in_28",
    "owner_age_last_out",
]
# within-owner percentile ranks (1 = the owner's strongest contact on that score)
RANKED = {
    "pct_recency": "neg_age_last_any",
    "pct_recency_out": "neg_age_last_out",
    "pct_n_all": "n_all",
    "pct_n_out": "n_out",
    "pct_ir_7_w2": "ir_7_w2",
    "pct_ir_28_w2": "ir_28_w2",
    "pct_ir_56_w2": "ir_56_w2",
    "pct_dec_out_7": "dec_out_7",
    "pct_dec_in_7": "dec_in_7",
    "pct_overdue": "neg_overdue",
    "pct_fast_ir": "fast_ir",
}
RANK_COLUMNS = list(RANKED)

FEATURE_COLUMNS: list[str] = [
    *RECENCY_COLUMNS,
    *COUNT_COLUMNS,
    *DECAY_COLUMNS,
    *IR_COLUMNS,
    *RELATION_COLUMNS,
    *OWNER_COLUMNS,
    *RANK_COLUMNS,
]


def _age_days(expr: pl.Expr, as_of: datetime) -> pl.Expr:
    return (pl.lit(as_of, dtype=pl.Datetime("us")) - expr).dt.total_microseconds() / DAY_US


def _reply_stats(events: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """Per pair: mean days from an incoming message to the owner's next outgoing one,
    the share of incoming messages answered, and incoming messages not answered since.

    One sort by (owner, contact, ts); the "next out" time is a global backward fill whose
    pair is carried along and checked, so no per-group window is needed.
    """
    is_out = pl.col(DIRECTION) == OUT
    same_pair = (pl.col("_next_owner") == pl.col(OWNER)) & (
        pl.col("_next_contact") == pl.col(CONTACT)
    )
    s = (
        events.select(OWNER, CONTACT, TS, is_out.alias("_out"))
        # at equal ts an "out" row sorts first: a reply at the same second is still a reply
        .sort([OWNER, CONTACT, TS, "_out"], descending=[False, False, False, True])
        .with_columns(
            pl.when("_out").then(pl.col(TS)).backward_fill().alias("_next_out"),
            pl.when("_out").then(pl.col(OWNER)).backward_fill().alias("_next_owner"),
            pl.when("_out").then(pl.col(CONTACT)).backward_fill().alias("_next_contact"),
        )
        .filter(~pl.col("_out"))
        .with_columns(
            pl.when(same_pair)
            .then((pl.col("_next_out") - pl.col(TS)).dt.total_microseconds() / DAY_US)
            .alias("_latency")
        )
    )
    return s.group_by(OWNER, CONTACT).agg(
        pl.col("_latency").mean().alias("reply_latency_days"),
        pl.col("_latency").is_not_null().mean().alias("reply_rate"),
        pl.col("_latency").is_null().sum().cast(pl.Float64).alias("unanswered_in"),
    )


def _pair_aggregates(ev: pl.LazyFrame, as_of: datetime) -> pl.LazyFrame:
    """One group-by over the events. Every aggregate is a plain sum / min / max of a column
    prepared beforehand (no filters inside the aggregation), which keeps Polars on its fast
    path."""
    out = pl.col(DIRECTION) == OUT
    inc = pl.col(DIRECTION) == IN
    age = pl.col("_age")
    group = pl.col(N_PARTICIPANTS) > 2
    prep: list[pl.Expr] = [
        pl.when(out).then(age).alias("_age_out"),
        pl.when(inc).then(age).alias("_age_in"),
        out.cast(pl.UInt32).alias("_is_out"),
        inc.cast(pl.UInt32).alias("_is_in"),
        (age < DORMANT_DAYS).cast(pl.UInt32).alias("_recent"),
        (pl.col(IS_GIVE) & out).cast(pl.UInt32).alias("_give_out"),
        (pl.col(IS_GIVE) & inc).cast(pl.UInt32).alias("_give_in"),
        group.cast(pl.UInt32).alias("_group"),
        pl.when(group).then(pl.col(THREAD)).alias("_thread"),
    ]
    for name, channels in CHANNEL_GROUPS.items():
        prep.append(pl.when(pl.col(CHANNEL).is_in(channels)).then(age).alias(f"_age_{name}"))
    for w in WINDOWS:
        prep.append((out & (age < w)).cast(pl.UInt32).alias(f"_w_out_{w}"))
        prep.append((inc & (age < w)).cast(pl.UInt32).alias(f"_w_in_{w}"))
    for h in (*FAST_HALF_LIVES, *HALF_LIVES):
        decay = 0.5 ** (age / h)
        prep.append(pl.when(out).then(decay).otherwise(0.0).alias(f"_d_out_{h}"))
        prep.append(pl.when(inc).then(decay).otherwise(0.0).alias(f"_d_in_{h}"))
    aggs: list[pl.Expr] = [
        age.min().alias("age_last_any"),
        pl.col("_age_out").min().alias("age_last_out"),
        pl.col("_age_in").min().alias("age_last_in"),
        age.max().alias("tie_age"),
        pl.col("_age_out").max().alias("_age_first_out"),
        *[pl.col(f"_age_{g}").min().alias(f"age_last_{g}") for g in CHANNEL_GROUPS],
        pl.col("_is_out").sum().alias("n_out"),
        pl.col("_is_in").sum().alias("n_in"),
        pl.len().alias("n_all"),
        pl.col("_recent").sum().alias("n_all_dormant_window"),
        *[pl.col(f"_w_{d}_{w}").sum().alias(f"n_{d}_{w}d") for w in WINDOWS for d in (OUT, IN)],
        *[
            pl.col(f"_d_{d}_{h}").sum().alias(f"dec_{d}_{h}")
            for h in (*FAST_HALF_LIVES, *HALF_LIVES)
            for d in (OUT, IN)
        ],
        pl.col("_give_out").sum().alias("give_out"),
        pl.col("_give_in").sum().alias("give_in"),
        pl.col("_group").sum().alias("n_group"),
        pl.col("_thread").n_unique().alias("_n_threads_raw"),
        pl.col("_thread").null_count().alias("_n_threads_null"),
    ]
    return ev.with_columns(prep).group_by(OWNER, CONTACT).agg(aggs)


def build_features(events: pl.LazyFrame | pl.DataFrame, as_of: datetime) -> pl.LazyFrame:
    """Features of every (owner, contact) pair with an event before ``as_of``, sorted by
    (owner, contact)."""
    ev = conform_events(events).filter(pl.col(TS) < pl.lit(as_of, dtype=pl.Datetime("us")))
    ev = ev.with_columns(_age_days(pl.col(TS), as_of).alias("_age"))
    pairs = _pair_aggregates(ev, as_of).join(
        _reply_stats(ev, as_of), on=[OWNER, CONTACT], how="left"
    )
    never = pl.lit(NEVER_DAYS)
    f = pairs.with_columns(
        [pl.col(c).fill_null(never) for c in ("age_last_out", "age_last_in", "_age_first_out")]
        + [pl.col(f"age_last_{g}").fill_null(never) for g in CHANNEL_GROUPS]
        + [
            pl.col("reply_latency_days").fill_null(never),
            pl.col("reply_rate").fill_null(0.0),
            pl.col("unanswered_in").fill_null(0.0),
            (pl.col("_n_threads_raw") - (pl.col("_n_threads_null") > 0).cast(pl.UInt32)).alias(
                "n_threads"
            ),
        ]
    )
    n_all = pl.col("n_all").cast(pl.Float64)
    n_out = pl.col("n_out").cast(pl.Float64)
    n_in = pl.col("n_in").cast(pl.Float64)
    gap = (pl.col("tie_age") - pl.col("age_last_any")) / (n_all - 1).clip(lower_bound=1)
    gap = pl.when(n_all > 1).then(gap).otherwise(pl.col("tie_age") + 1)
    gap_out = (pl.col("_age_first_out") - pl.col("age_last_out")) / (n_out - 1).clip(lower_bound=1)
    gap_out = pl.when(n_out > 1).then(gap_out).otherwise(pl.col("tie_age") + 1)
    f = f.with_columns(
        [
            pl.lit(w, dtype=pl.Float64)
            .mul(pl.col(f"dec_{OUT}_{h}"))
            .add(pl.col(f"dec_{IN}_{h}"))
            .alias(f"ir_{h}_w{w}")
            for h in HALF_LIVES
            for w in IR_WEIGHTS
        ]
        + [
            (n_out / n_all).alias("recip_share_out"),
            ((pl.min_horizontal(n_out, n_in) + 1) / (pl.max_horizontal(n_out, n_in) + 1)).alias(
                "recip_balance"
            ),
            gap.alias("gap_mean_days"),
            gap_out.alias("gap_out_mean_days"),
            (pl.col("give_in") - pl.col("give_out")).alias("give_balance"),
        ]
    ).with_columns(
        (pl.col("age_last_any") / (pl.col("gap_mean_days") + 0.01)).alias("overdue"),
        (
            pl.col("age_last_out").clip(upper_bound=pl.col("tie_age") + 1)
            / (pl.col("gap_out_mean_days") + 0.01)
        ).alias("overdue_out"),
    )
    by_owner = pl.col(OWNER)
    f = f.with_columns(
        pl.len().over(by_owner).alias("owner_n_contacts"),
        pl.col(f"n_{OUT}_28d").sum().over(by_owner).alias("owner_n_out_28d"),
        pl.col(f"dec_{OUT}_28").sum().over(by_owner).alias("owner_dec_out_28"),
        pl.col(f"dec_{IN}_28").sum().over(by_owner).alias("_owner_dec_in_28"),
        pl.col("age_last_out").min().over(by_owner).alias("owner_age_last_out"),
        (-pl.col("age_last_any")).alias("neg_age_last_any"),
        (-pl.col("age_last_out")).alias("neg_age_last_out"),
        (-(pl.col("overdue") - 1).abs()).alias("neg_overdue"),
        (
            2 * pl.col(f"dec_{OUT}_{FAST_HALF_LIVES[0]}") + pl.col(f"dec_{IN}_{FAST_HALF_LIVES[0]}")
        ).alias("fast_ir"),
    ).with_columns(
        (pl.col(f"dec_{OUT}_28") / pl.col("owner_dec_out_28").clip(lower_bound=1e-12)).alias(
            "share_dec_out_28"
        ),
        (pl.col(f"dec_{IN}_28") / pl.col("_owner_dec_in_28").clip(lower_bound=1e-12)).alias(
            "share_dec_in_28"
        ),
        *[
            (pl.col(src).rank("average").over(by_owner) / pl.len().over(by_owner)).alias(name)
            for name, src in RANKED.items()
        ],
    )
    return f.select(
        OWNER,
        CONTACT,
        *[pl.col(c).cast(pl.Float64) for c in FEATURE_COLUMNS],
        pl.col("n_all_dormant_window").cast(pl.Int64),
    ).sort(OWNER, CONTACT)
