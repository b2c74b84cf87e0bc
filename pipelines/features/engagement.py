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
* the contact's side: how active the contact is with anyone (recency, counts, decayed
  activity, distinct partners, this owner's share of it) and how many of the owner's
  active ties are in touch with them (two hops);
* owner-level normalisers and within-owner percentile ranks of the strong baseline scores.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
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
ACTIVE_DAYS = 28  # a pair is "recently active" (the contact's side, two-hop counts)

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
# the contact's side: how active they are with anyone (in a multi-owner log, every owner
# they exchanged with; in a personal home, the owner alone) - someone who has gone quiet
# everywhere is less likely to be written to than a quiet tie who is busy elsewhere
CONTACT_SIDE_COLUMNS = [
    "contact_age_last",
    "contact_n_7d",
    "contact_n_28d",
    "contact_sent_7d",
    "contact_dec_7",
    "contact_partners_28d",
    "contact_share_28",
    "common_recent",
    "common_recent_share",
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
    "pct_contact_dec_7": "contact_dec_7",
}
RANK_COLUMNS = list(RANKED)

FEATURE_COLUMNS: list[str] = [
    *RECENCY_COLUMNS,
    *COUNT_COLUMNS,
    *DECAY_COLUMNS,
    *IR_COLUMNS,
    *RELATION_COLUMNS,
    *CONTACT_SIDE_COLUMNS,
    *OWNER_COLUMNS,
    *RANK_COLUMNS,
]


def _age_days(expr: pl.Expr, as_of: datetime) -> pl.Expr:
    return (pl.lit(as_of, dtype=pl.Datetime("us")) - expr).dt.total_microseconds() / DAY_US


def _pair_key(events: pl.DataFrame) -> pl.Expr:
    """One Int64 per (owner, contact) that sorts like the pair: ``owner << 32 | contact``
    when the ids fit (they almost always do), else the same over dense ranks of the ids."""
    lo_o, hi_o, lo_c, hi_c = events.select(
        pl.col(OWNER).min().alias("a"),
        pl.col(OWNER).max().alias("b"),
        pl.col(CONTACT).min().alias("c"),
        pl.col(CONTACT).max().alias("d"),
    ).row(0)
    fits = lo_o is not None and lo_o >= 0 and hi_o < 2**31 and lo_c >= 0 and hi_c < 2**32
    owner = pl.col(OWNER) if fits else pl.col(OWNER).rank("dense").cast(pl.Int64) - 1
    contact = pl.col(CONTACT) if fits else pl.col(CONTACT).rank("dense").cast(pl.Int64) - 1
    return (owner.cast(pl.Int64) * (1 << 32) + contact.cast(pl.Int64)).alias("_pair")


FLAG_COLUMNS = ["_out", "_in", "_give", "_grp", "_thread", *[f"_ch_{g}" for g in CHANNEL_GROUPS]]


def event_flags(events: pl.LazyFrame | pl.DataFrame, as_of: datetime) -> pl.LazyFrame:
    """The events before ``as_of`` reduced to what the pair features read: ``owner``,
    ``contact``, ``ts`` and the flags :data:`FLAG_COLUMNS` (direction, give, group event,
    the group's thread, channel groups), strings gone (what the sorts move, and what batch
    scoring spills per bucket)."""
    is_in = pl.col(DIRECTION) == IN
    group = pl.col(N_PARTICIPANTS) > 2
    return (
        conform_events(events)
        .filter(pl.col(TS) < pl.lit(as_of, dtype=pl.Datetime("us")))
        .select(
            OWNER,
            CONTACT,
            TS,
            (pl.col(DIRECTION) == OUT).alias("_out"),
            is_in.alias("_in"),
            pl.col(IS_GIVE).alias("_give"),
            group.alias("_grp"),
            pl.when(group).then(pl.col(THREAD)).alias("_thread"),
            *[pl.col(CHANNEL).is_in(ch).alias(f"_ch_{g}") for g, ch in CHANNEL_GROUPS.items()],
        )
    )


def _sorted_events(flags: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """A slim frame of numbers and flags (:func:`event_flags` rows), one row per event,
    sorted by (pair, ts) with an "out" event first at equal ts (a reply at the same second
    is still a reply), with each event's age at ``as_of`` in days.

    Events that arrive in that order already (the store hands them over sorted) are not
    sorted again; others get one stable sort on one Int64 key when the times are whole
    seconds and the key fits, else two stable single-key sorts (by time, then by pair:
    several times faster than one sort on both keys)."""
    frame = (
        flags.lazy()
        .select(
            _pair_key(flags),
            (pl.col(TS).dt.epoch("us") * 2 + pl.col("_in").cast(pl.Int64)).alias("_order"),
            OWNER,
            CONTACT,
            _age_days(pl.col(TS), as_of).alias("_age"),
            *FLAG_COLUMNS,
        )
        .collect()
    )
    order = frame["_order"].to_numpy()
    if _in_pair_order(frame["_pair"].to_numpy(), order):
        return frame
    # whole seconds (most logs): (owner, contact, time, direction) as one number, one sort
    us = order >> 1
    key = None
    if not (us % 1_000_000).any():
        seconds = (us // 1_000_000) * 2 + (order & 1)
        key = _lex_key([frame[OWNER].to_numpy(), frame[CONTACT].to_numpy(), seconds])
    if key is not None:
        return (
            frame.with_columns(pl.Series("_key", key))
            .sort("_key", maintain_order=True)
            .drop("_key")
        )
    return frame.sort("_order", maintain_order=True).sort("_pair", maintain_order=True)


def _lex_key(columns: list[np.ndarray]) -> np.ndarray | None:
    """One Int64 per row that sorts like the integer ``columns`` (first the most
    significant), when the product of their spans fits in 63 bits; else None."""
    lows = [int(c.min()) for c in columns]
    spans = [int(c.max()) - lo + 1 for c, lo in zip(columns, lows, strict=True)]
    if math.prod(spans) >= 2**63:
        return None
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column, lo, span in zip(columns, lows, spans, strict=True):
        key *= span
        key += column - lo
    return key


def _in_pair_order(pair: np.ndarray, order: np.ndarray) -> bool:
    """Whether rows already run by pair, then by time (one vectorised pass)."""
    if len(pair) < 2:
        return True
    step = np.diff(pair)
    return bool((step >= 0).all() and ((step > 0) | (np.diff(order) >= 0)).all())


class _PairSlices:
    """Sums, minima and maxima per pair of the sorted events: each pair is one contiguous
    slice starting at ``starts`` (``n`` events in all), so each is one ``reduceat``."""

    def __init__(self, starts: np.ndarray, n: int):
        self.starts = starts
        self.n = n

    def total(self, x: np.ndarray) -> np.ndarray:
        # each pair is one contiguous slice: reduceat adds its values in event order
        dtype = np.float64 if x.dtype.kind == "f" else np.int64
        if not self.n:
            return np.zeros(0, dtype=dtype)
        return np.add.reduceat(x, self.starts, dtype=dtype)

    def lowest(self, x: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        x = x if where is None else np.where(where, x, np.inf)
        return np.minimum.reduceat(x, self.starts) if self.n else np.zeros(0)

    def highest(self, x: np.ndarray, where: np.ndarray | None = None) -> np.ndarray:
        x = x if where is None else np.where(where, x, -np.inf)
        return np.maximum.reduceat(x, self.starts) if self.n else np.zeros(0)


def _pair_aggregates(s: pl.DataFrame) -> pl.DataFrame:
    """Every per-pair aggregate of the sorted events in one pass: each pair is a contiguous
    slice, so sums are ``np.add.reduceat`` over the slice starts, the newest / oldest
    event is the slice's last / first row, and masked minima / maxima are ``reduceat`` over
    the slice starts (no hashing, no Python loop over pairs). Ages of "no such event" are
    null, like a Polars ``min`` over nothing."""
    pair = s["_pair"].to_numpy()
    n = len(pair)
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]]) if n else np.zeros(0, int)
    counts = np.diff(np.r_[starts, n])
    slices = _PairSlices(starts, n)
    total, lowest, highest = slices.total, slices.lowest, slices.highest
    age = s["_age"].to_numpy()
    out = s["_out"].to_numpy()
    inc = s["_in"].to_numpy()
    cols: dict[str, np.ndarray] = {
        OWNER: s[OWNER].to_numpy()[starts],
        CONTACT: s[CONTACT].to_numpy()[starts],
    }
    ends = starts + counts - 1
    # within a pair the events run oldest first, so the last one is the newest
    cols["age_last_any"] = age[ends]
    cols["age_last_out"] = lowest(age, out)
    cols["age_last_in"] = lowest(age, inc)
    cols["tie_age"] = age[starts]
    cols["_age_first_out"] = highest(age, out)
    for g in CHANNEL_GROUPS:
        cols[f"age_last_{g}"] = lowest(age, s[f"_ch_{g}"].to_numpy())
    cols["n_out"] = total(out)
    cols["n_in"] = total(inc)
    cols["n_all"] = counts.astype(np.int64)
    cols["n_all_dormant_window"] = total(age < DORMANT_DAYS)
    for w in WINDOWS:
        recent = age < w
        cols[f"n_{OUT}_{w}d"] = total(out & recent)
        cols[f"n_{IN}_{w}d"] = total(inc & recent)
    for h in (*FAST_HALF_LIVES, *HALF_LIVES):
        decay = np.exp(age * (-np.log(2.0) / h))  # 0.5 ** (age / h), several times faster
        cols[f"dec_{OUT}_{h}"] = total(decay * out)
        cols[f"dec_{IN}_{h}"] = total(decay * inc)
    give = s["_give"].to_numpy()
    cols["give_out"] = total(give & out)
    cols["give_in"] = total(give & inc)
    cols["n_group"] = total(s["_grp"].to_numpy())
    lat_sum, n_answered = _reply_latency(s, slices)
    frame = pl.DataFrame(cols).with_columns(pl.Series("n_threads", _thread_counts(s, pair, starts)))
    age_cols = ["age_last_out", "age_last_in", "_age_first_out"]
    age_cols += [f"age_last_{g}" for g in CHANNEL_GROUPS]
    return (
        frame.lazy()
        .with_columns(
            [pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in age_cols]
            + [
                pl.Series("_lat_sum", lat_sum),
                pl.Series("_n_answered", n_answered),
            ]
        )
        .with_columns(
            pl.when(pl.col("_n_answered") > 0)
            .then(pl.col("_lat_sum") / pl.col("_n_answered"))
            .alias("reply_latency_days"),
            pl.when(pl.col("n_in") > 0)
            .then(pl.col("_n_answered") / pl.col("n_in"))
            .alias("reply_rate"),
            (pl.col("n_in") - pl.col("_n_answered")).cast(pl.Float64).alias("unanswered_in"),
        )
        .collect()
    )


def _reply_latency(s: pl.DataFrame, slices: _PairSlices) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: the sum of reply latencies (days from an "in" event to the pair's next
    "out" one) and how many "in" events were answered. The next "out" is found by a
    backward fill whose pair is carried along and checked (no per-pair window needed)."""
    out_row = pl.col("_out")
    ts = pl.col("_order") // 2
    next_pair = pl.when(out_row).then(pl.col("_pair")).backward_fill()
    next_out = pl.when(out_row).then(ts).backward_fill()
    latency = s.select(
        pl.when(pl.col("_in") & (next_pair == pl.col("_pair"))).then((next_out - ts) / DAY_US)
    ).to_series()
    answered = latency.is_not_null().to_numpy()
    return slices.total(latency.fill_null(0.0).to_numpy()), slices.total(answered)


def _thread_counts(s: pl.DataFrame, pair: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Distinct group threads per pair, from the few group events only."""
    threads = (
        s.lazy()
        .filter(pl.col("_thread").is_not_null())
        .select("_pair", "_thread")
        .unique()
        .group_by("_pair")
        .agg(pl.len())
        .collect()
    )
    n_threads = np.zeros(len(starts), dtype=np.int64)
    n_threads[np.searchsorted(pair[starts], threads["_pair"].to_numpy())] = threads["len"]
    return n_threads


# at most this many two-hop paths are counted: past it, the busiest go-betweens (who say
# least about any one pair) are left out, so one hub cannot blow up time and memory
MAX_TWO_HOP_PATHS = 50_000_000
TWO_HOP_BLOCK_PATHS = 4_000_000  # paths multiplied out at once (memory, not the answer)

# what the global step (features that span owners) reads of every pair, and what it gives
# back: the contact's side (per contact) and the two-hop count (per pair). Batch scoring
# computes these once over every owner (``pipelines.score``: Polars, streamed; or Spark,
# ``pipelines.distributed.spark_score``) and every owner's features are finished apart.
GLOBAL_INPUT_COLUMNS = ["age_last_any", "_n_7d", "_n_28d", "n_in_7d", "_dec_7", "_dec_28"]
# the contact's side up to its share (which needs the pair), and the sum that share divides by
CONTACT_AGGREGATE_COLUMNS = [*CONTACT_SIDE_COLUMNS[:6], "_contact_dec_28"]
assert CONTACT_AGGREGATE_COLUMNS[5] == "contact_partners_28d"
TWO_HOP_COLUMNS = ["common_recent", "_active_ties"]
GLOBAL_COLUMNS = [*CONTACT_AGGREGATE_COLUMNS, *TWO_HOP_COLUMNS]


def global_inputs(pairs: pl.DataFrame) -> pl.DataFrame:
    """``owner, contact`` and :data:`GLOBAL_INPUT_COLUMNS` of :func:`pair_features`' rows."""
    return pairs.select(
        OWNER,
        CONTACT,
        pl.col("age_last_any"),
        (pl.col(f"n_{OUT}_7d") + pl.col(f"n_{IN}_7d")).alias("_n_7d"),
        (pl.col(f"n_{OUT}_28d") + pl.col(f"n_{IN}_28d")).alias("_n_28d"),
        pl.col(f"n_{IN}_7d"),
        (pl.col(f"dec_{OUT}_7") + pl.col(f"dec_{IN}_7")).alias("_dec_7"),
        (pl.col(f"dec_{OUT}_28") + pl.col(f"dec_{IN}_28")).alias("_dec_28"),
    )


def contact_aggregates(inputs: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """One row per contact: how active they are with anyone (every owner in ``inputs``,
    :func:`global_inputs` rows), the columns :data:`CONTACT_AGGREGATE_COLUMNS`.

    Summed in numpy over the rows sorted by (contact, owner): the same input gives the same
    bits on every run (a parallel group-by adds a contact's rows in a varying order)."""
    sums = {
        "contact_n_7d": "_n_7d",
        "contact_n_28d": "_n_28d",
        "contact_sent_7d": "n_in_7d",
        "contact_dec_7": "_dec_7",
        "_contact_dec_28": "_dec_28",
    }
    frame = inputs.lazy().select(CONTACT, OWNER, "age_last_any", *sums.values()).collect()
    if frame.height == 0:
        schema = {CONTACT: frame.schema[CONTACT]} | dict.fromkeys(
            CONTACT_AGGREGATE_COLUMNS, pl.Float64
        )
        return pl.DataFrame(schema=schema)
    # each (contact, owner) is one row: any sort by them gives the one order; as one
    # number when it fits (the columns then gathered in numpy: the rows come in chunks)
    contact = frame[CONTACT].to_numpy()
    key = _lex_key([contact, frame[OWNER].to_numpy()])
    if key is not None:
        order = np.argsort(key)
    else:
        order = frame.select(pl.arg_sort_by(CONTACT, OWNER)).to_series().to_numpy()
    contact = contact[order]
    starts = np.flatnonzero(np.r_[True, contact[1:] != contact[:-1]])
    age = frame["age_last_any"].to_numpy()[order].astype(np.float64)
    columns = {
        CONTACT: contact[starts],
        "contact_age_last": np.minimum.reduceat(age, starts),
        "contact_partners_28d": np.add.reduceat((age < ACTIVE_DAYS).astype(np.int64), starts),
    }
    for name, source in sums.items():
        values = frame[source].to_numpy()[order]
        columns[name] = np.add.reduceat(values, starts)
    return pl.DataFrame(columns).select(CONTACT, *CONTACT_AGGREGATE_COLUMNS)


def dropped_go_betweens(ids: np.ndarray, paths: np.ndarray) -> np.ndarray:
    """The go-betweens left out of the two-hop count: the busiest (most paths; ties by the
    smaller id) until at most :data:`MAX_TWO_HOP_PATHS` paths remain. ``ids`` ascending,
    ``paths[i]`` the paths through ``ids[i]``."""
    paths = np.asarray(paths, dtype=np.int64)
    if int(paths.sum()) <= MAX_TWO_HOP_PATHS:
        return np.zeros(0, dtype=np.asarray(ids).dtype)
    busiest = np.argsort(-paths, kind="stable")
    over = np.cumsum(paths[busiest][::-1])[::-1] > MAX_TWO_HOP_PATHS
    return np.asarray(ids)[busiest[over]]


def two_hop(inputs: pl.DataFrame) -> pl.DataFrame:
    """``common_recent`` of every pair of ``inputs`` (:func:`global_inputs` rows, in their
    order): how many of the owner's ties active in the last :data:`ACTIVE_DAYS` days were
    themselves in touch with the contact in that time (zero in a one-owner home, where only
    the owner's side is known), and ``_active_ties``: the owner's active ties.

    A sparse two-hop count: ``(A @ A)[owner, contact]`` with ``A`` the recently active
    pairs; go-betweens with the most paths are dropped until at most
    :data:`MAX_TWO_HOP_PATHS` remain (:func:`dropped_go_betweens`)."""
    owner = inputs[OWNER].to_numpy()
    contact = inputs[CONTACT].to_numpy()
    lo = min(owner.min(), contact.min()) if len(owner) else 0
    hi = max(owner.max(), contact.max()) if len(owner) else 0
    if lo >= 0 and hi < 4 * len(owner) + 1_000_000:
        o, c, n = owner, contact, int(hi) + 1  # ids index the matrix directly (no sort)
    else:
        ids, inv = np.unique(np.concatenate([owner, contact]), return_inverse=True)
        o, c, n = inv[: len(owner)], inv[len(owner) :], len(ids)
    active = inputs["age_last_any"].to_numpy() < ACTIVE_DAYS
    # paths through w: (owners with w active) x (w's own active contacts)
    out_degree = np.bincount(o[active], minlength=n)
    paths = np.bincount(c[active], minlength=n) * out_degree
    ties = pl.Series("_active_ties", out_degree[o], dtype=pl.Int64)
    if int(paths.sum()) == 0:  # e.g. a one-owner home: nobody is in between
        return pl.DataFrame([pl.Series("common_recent", np.zeros(len(o))), ties])
    import scipy.sparse as sp

    keep_mid = np.ones(n, dtype=bool)
    keep_mid[dropped_go_betweens(np.arange(n), paths)] = False
    first = active & keep_mid[c]  # owner -> go-between
    second = active & keep_mid[o]  # go-between -> contact
    A1 = sp.csr_matrix((np.ones(int(first.sum())), (o[first], c[first])), shape=(n, n))
    A2 = sp.csr_matrix((np.ones(int(second.sum())), (o[second], c[second])), shape=(n, n))
    # the product a block of owner rows at a time, each block with at most about
    # TWO_HOP_BLOCK_PATHS paths: memory stays bounded however many paths there are
    row_paths = np.cumsum(A1 @ np.diff(A2.indptr).astype(np.float64))
    common = np.zeros(len(o))
    lo = 0
    while lo < n:
        done = row_paths[lo - 1] if lo else 0.0
        hi = int(np.searchsorted(row_paths, done + TWO_HOP_BLOCK_PATHS, side="right"))
        hi = min(max(hi, lo + 1), n)
        rows = np.flatnonzero((o >= lo) & (o < hi))
        if len(rows):
            common[rows] = _lookup((A1[lo:hi] @ A2).tocsr(), o[rows] - lo, c[rows])
        lo = hi
    return pl.DataFrame([pl.Series("common_recent", common, dtype=pl.Float64), ties])


def _lookup(matrix, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``matrix[rows, cols]`` of a sparse matrix, by key (row * width + column; sorted in
    a canonical CSR matrix): far faster than fancy indexing."""
    matrix.sum_duplicates()  # canonical: each row's columns sorted, no repeats
    width = matrix.shape[1]
    keys = np.repeat(np.arange(matrix.shape[0], dtype=np.int64), np.diff(matrix.indptr)) * width
    keys += matrix.indices
    if len(keys) == 0:
        return np.zeros(len(rows))
    wanted = rows.astype(np.int64) * width + cols
    at = np.searchsorted(keys, wanted).clip(max=len(keys) - 1)
    return np.where(keys[at] == wanted, matrix.data[at], 0.0)


def global_columns(inputs: pl.DataFrame) -> pl.DataFrame:
    """:data:`GLOBAL_COLUMNS` of every row of ``inputs`` (:func:`global_inputs` rows of
    every owner), in their order: the two-hop count, and the contact's aggregates
    (:func:`contact_aggregates`, sorted by contact) put on each row by a binary search."""
    contacts = contact_aggregates(inputs)
    at = np.searchsorted(contacts[CONTACT].to_numpy(), inputs[CONTACT].to_numpy())
    return pl.concat(
        [two_hop(inputs), contacts.select(CONTACT_AGGREGATE_COLUMNS)[at]], how="horizontal"
    )


def with_global_columns(pairs: pl.DataFrame) -> pl.DataFrame:
    """``pairs`` (every owner's :func:`pair_features`) plus :data:`GLOBAL_COLUMNS`, computed
    over all of them: the one-machine, in-memory global step."""
    return pl.concat([pairs, global_columns(global_inputs(pairs))], how="horizontal")


def pair_features(events: pl.LazyFrame | pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Everything about each (owner, contact) pair that its own events tell (no other
    owner's events are read): one row per pair with an event before ``as_of``, sorted by
    (owner, contact). A function of one owner's events, so it runs owner by owner."""
    return flagged_pair_features(event_flags(events, as_of), as_of)


def flagged_pair_features(flags: pl.LazyFrame | pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """:func:`pair_features` of the events' :func:`event_flags` rows."""
    pairs = _pair_aggregates(_sorted_events(flags.lazy().collect(), as_of)).lazy()
    never = pl.lit(NEVER_DAYS)
    f = pairs.with_columns(
        [pl.col(c).fill_null(never) for c in ("age_last_out", "age_last_in", "_age_first_out")]
        + [pl.col(f"age_last_{g}").fill_null(never) for g in CHANNEL_GROUPS]
        + [
            pl.col("reply_latency_days").fill_null(never),
            pl.col("reply_rate").fill_null(0.0),
            pl.col("unanswered_in").fill_null(0.0),
        ]
    )
    n_all = pl.col("n_all").cast(pl.Float64)
    n_out = pl.col("n_out").cast(pl.Float64)
    n_in = pl.col("n_in").cast(pl.Float64)
    gap = (pl.col("tie_age") - pl.col("age_last_any")) / (n_all - 1).clip(lower_bound=1)
    gap = pl.when(n_all > 1).then(gap).otherwise(pl.col("tie_age") + 1)
    gap_out = (pl.col("_age_first_out") - pl.col("age_last_out")) / (n_out - 1).clip(lower_bound=1)
    gap_out = pl.when(n_out > 1).then(gap_out).otherwise(pl.col("tie_age") + 1)
    return (
        f.with_columns(
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
        )
        .with_columns(
            (pl.col("age_last_any") / (pl.col("gap_mean_days") + 0.01)).alias("overdue"),
            (
                pl.col("age_last_out").clip(upper_bound=pl.col("tie_age") + 1)
                / (pl.col("gap_out_mean_days") + 0.01)
            ).alias("overdue_out"),
        )
        .collect()
    )


def finish_features(pairs: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The feature frame from :func:`pair_features` rows that carry
    :data:`GLOBAL_COLUMNS`: the contact's share, the owner-level normalisers and the
    within-owner ranks. Per owner: any set of whole owners gives the same rows.
    ``pairs`` are sorted by (owner, contact), as :func:`pair_features` gives them (and
    so are the features)."""
    by_owner = pl.col(OWNER)
    pair_28 = pl.col(f"dec_{OUT}_28") + pl.col(f"dec_{IN}_28")
    pairs = pairs.lazy().collect()
    # the owner-level sums on one chunk, the owner said sorted when it is: Polars then adds
    # each owner's sums over its one slice of rows, in memory, the same bits however the
    # frame was put together (the bits the shipped priors learned from)
    owners = pairs.select(OWNER, f"n_{OUT}_28d", f"dec_{OUT}_28", f"dec_{IN}_28", "age_last_out")
    owners = owners.rechunk()
    owner = owners[OWNER].to_numpy()
    if len(owner) and not (owner[1:] < owner[:-1]).any():
        owners = owners.with_columns(by_owner.set_sorted())
    owners = owners.select(
        pl.len().over(by_owner).alias("owner_n_contacts"),
        pl.col(f"n_{OUT}_28d").sum().over(by_owner).alias("owner_n_out_28d"),
        pl.col(f"dec_{OUT}_28").sum().over(by_owner).alias("owner_dec_out_28"),
        pl.col(f"dec_{IN}_28").sum().over(by_owner).alias("_owner_dec_in_28"),
        pl.col("age_last_out").min().over(by_owner).alias("owner_age_last_out"),
    )
    f = pl.concat([pairs, owners], how="horizontal").lazy()
    f = f.with_columns(
        (pair_28 / pl.col("_contact_dec_28").clip(lower_bound=1e-12)).alias("contact_share_28"),
        (pl.col("common_recent") / pl.col("_active_ties").clip(lower_bound=1)).alias(
            "common_recent_share"
        ),
        (-pl.col("age_last_any")).alias("neg_age_last_any"),
        (-pl.col("age_last_out")).alias("neg_age_last_out"),
        (-(pl.col("overdue") - 1).abs()).alias("neg_overdue"),
        (
            2 * pl.col(f"dec_{OUT}_{FAST_HALF_LIVES[0]}") + pl.col(f"dec_{IN}_{FAST_HALF_LIVES[0]}")
        ).alias("fast_ir"),
        (pl.col(f"dec_{OUT}_28") / pl.col("owner_dec_out_28").clip(lower_bound=1e-12)).alias(
            "share_dec_out_28"
        ),
        (pl.col(f"dec_{IN}_28") / pl.col("_owner_dec_in_28").clip(lower_bound=1e-12)).alias(
            "share_dec_in_28"
        ),
    )
    frame = f.collect(engine="in-memory")
    return (
        frame.lazy()
        .with_columns(_owner_percentiles(frame))
        .select(
            OWNER,
            CONTACT,
            *[pl.col(c).cast(pl.Float64) for c in FEATURE_COLUMNS],
            pl.col("n_all_dormant_window").cast(pl.Int64),
        )
    )


def _owner_percentiles(frame: pl.DataFrame) -> list[pl.Series] | list[pl.Expr]:
    """The within-owner percentile ranks :data:`RANKED`: the average rank (1 = lowest,
    ties share the mean of their ranks) of each source column, ranked at 10 significant
    digits (sums of the same events added in another order must tie the same way), over
    the owner's number of contacts. With the rows sorted by owner (as
    :func:`pair_features` gives them) the owners' rows are sorted in place, all owners of
    about one size at once (:func:`_ranks_within`); otherwise the Polars expressions
    ``rank("average").over(owner) / len().over(owner)``, which give the same numbers."""
    rounded = [pl.col(src).round_sig_figs(10) for src in RANKED.values()]
    owner = frame[OWNER].to_numpy()
    if len(owner) == 0 or (owner[1:] < owner[:-1]).any():
        by_owner = pl.col(OWNER)
        return [
            (r.rank("average").over(by_owner) / pl.len().over(by_owner)).alias(name)
            for name, r in zip(RANKED, rounded, strict=True)
        ]
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    counts = np.diff(np.r_[starts, len(owner)])
    size = np.repeat(counts.astype(np.float64), counts)
    layout = _group_layout(starts, counts)
    values = frame.select(rounded)
    return [
        pl.Series(name, _ranks_within(*_sortable(values[src].to_numpy()), layout) / size)
        for name, src in RANKED.items()
    ]


_LAST = np.iinfo(np.int64).max


def _sortable(values: np.ndarray) -> tuple[np.ndarray, float | int]:
    """(keys, pad): keys that sort and tie like ``values`` do in Polars (-0.0 equal to 0.0,
    every NaN equal and after +inf), and a pad that sorts after every key: finite floats
    as they are (pad +inf), integers as they are, else Int64 keys (pad the largest)."""
    if values.dtype.kind in "iu" and (len(values) == 0 or values.max() < _LAST):
        return values.astype(np.int64, copy=False), _LAST
    if values.dtype.kind == "f" and np.isfinite(values).all():
        return values, np.inf
    values = np.asarray(values, dtype=np.float64) + 0.0  # -0.0 becomes 0.0
    bits = values.view(np.int64)
    keys = bits ^ ((bits >> 63) & np.int64(0x7FFF_FFFF_FFFF_FFFF))
    keys[np.isnan(values)] = _LAST - 1
    return keys, _LAST


def _group_layout(starts: np.ndarray, counts: np.ndarray) -> list[tuple]:
    """Groups of contiguous rows (``starts``, ``counts``) by width m, a power of two: those
    of more than m/2 and at most m rows, each one row of a (groups, m) matrix. Per width:
    m, the matrix' rows, where each group's rows go in it (``cell``), each row's position
    in its group, its group's first row, the frame rows in that order, and which of them
    start a group."""
    width = np.ones(len(counts), dtype=np.int64)
    big = counts > 1
    width[big] = np.int64(1) << np.frexp(counts[big] - 1)[1]
    layout = []
    for m in np.unique(width):
        group = np.flatnonzero(width == m)
        sizes = counts[group]
        start = np.repeat(starts[group], sizes)
        pos = np.arange(len(start)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        cell = np.repeat(np.arange(len(group)) * m, sizes) + pos
        layout.append((int(m), len(group), cell, pos, start, start + pos, pos == 0))
    return layout


def _ranks_within(keys: np.ndarray, pad, layout: list[tuple]) -> np.ndarray:
    """The average rank (1-based, float64) of each key within its group
    (:func:`_group_layout`): each group's keys are one row of a matrix padded with
    ``pad`` (after every key), the rows are sorted all at once (``argsort`` along the row:
    a group of m rows costs m log m, not a sort of every row), then each run of equal keys
    gets the mean of its positions."""
    ranks = np.empty(len(keys))
    for m, rows, cell, pos, start, row, first in layout:
        if m == 1:
            ranks[row] = 1.0
            continue
        matrix = np.full(rows * m, pad, dtype=keys.dtype)
        matrix[cell] = keys[row]
        order = np.argsort(matrix.reshape(rows, m), axis=1)
        # each group's rows in ascending order of their keys (the pads sort after them)
        at = order.ravel()[cell] + start
        ordered = keys[at]
        run = np.ones(len(at), dtype=bool)
        np.not_equal(ordered[1:], ordered[:-1], out=run[1:])
        run |= first
        lo = np.flatnonzero(run)
        hi = np.r_[lo[1:], len(at)] - 1
        ranks[at] = np.repeat((pos[lo] + pos[hi] + 2) / 2, hi - lo + 1)
    return ranks


def build_features(events: pl.LazyFrame | pl.DataFrame, as_of: datetime) -> pl.LazyFrame:
    """Features of every (owner, contact) pair with an event before ``as_of``, sorted by
    (owner, contact): :func:`pair_features`, the global step over all of them
    (:func:`with_global_columns`), then :func:`finish_features`."""
    return finish_features(with_global_columns(pair_features(events, as_of)))
