"""Generated interaction logs of different shapes (``src, dst, weight, ts`` edge lists).

Real logs differ in what predicts the next message: recency in chat, frequency in steady
e-mail, a rhythm for quarterly check-ins, who is still around for a term's chat. These
generators give each shape on demand, seeded, for the benchmarks, the tests and the
shipped prior (:mod:`pipelines.engagement.prior`), so nothing depends on one real file.
"""

from __future__ import annotations

import numpy as np
import polars as pl


def bursty_log(seed: int = 0, people: int = 200, days: int = 300):
    """A chat-like log where recency dominates: each pair talks in short bursts during a few
    episodes of interest (days to weeks), at random times, both directions."""
    rng = np.random.default_rng(seed)
    n_pairs = people * 12
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.05, n_pairs)) % people
    src, dst, ts = [], [], []
    for a, b in zip(u, v, strict=True):
        for _ in range(rng.poisson(2) + 1):
            start = rng.uniform(0, days * 86_400)
            length = rng.exponential(7 * 86_400)
            n = rng.poisson(max(length / 86_400, 0.5) * 3) + 1
            t = np.sort(start + rng.uniform(0, length, n))
            out = rng.random(n) < 0.5
            src += list(np.where(out, a, b))
            dst += list(np.where(out, b, a))
            ts += list(t.astype(np.int64))
    frame = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    return frame.filter(pl.col("ts") < days * 86_400).sort("ts")


def steady_log(seed: int = 0, people: int = 200, days: int = 300):
    """An e-mail-like log where frequency dominates: stable per-pair Poisson rates."""
    rng = np.random.default_rng(seed)
    n_pairs = people * 15
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.05, n_pairs)) % people
    rate = rng.lognormal(-2.0, 1.2, n_pairs)  # messages per day
    counts = rng.poisson(rate * days)
    pu, pv = np.repeat(u, counts), np.repeat(v, counts)
    out = rng.random(len(pu)) < 0.6
    ts = rng.uniform(0, days * 86_400, len(pu)).astype(np.int64)
    return pl.DataFrame(
        {"src": np.where(out, pu, pv), "dst": np.where(out, pv, pu), "weight": 1.0, "ts": ts}
    ).sort("ts")


def checkin_log(seed: int = 0, people: int = 200, days: int = 400):
    """Dormant ties revived on a rhythm: each person keeps in touch with a few ties by a
    short exchange every 60 to 120 days (a quarterly check-in, jittered, the owner writing
    first), on top of a steady background of frequent but short-lived chatter. Between
    check-ins those ties sit in the dormant slice; knowing the rhythm is what ranks them."""
    rng = np.random.default_rng(seed)
    src, dst, ts = [], [], []
    for a in range(people):
        for b in (a + rng.geometric(0.1, rng.integers(3, 9))) % people:
            period = rng.uniform(60, 120)
            t = rng.uniform(0, period)
            while t < days:
                n = rng.integers(1, 4)
                when = (t + np.sort(rng.uniform(0, 2, n))) * 86_400
                src += [a] + [b if i % 2 else a for i in range(1, n)]
                dst += [b] + [a if i % 2 else b for i in range(1, n)]
                ts += list(when.astype(np.int64))
                t += period * rng.uniform(0.85, 1.15)
    steady = bursty_log(seed + 1, people, days)
    checkins = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    frame = pl.concat([checkins.cast(steady.schema), steady])
    return frame.filter(pl.col("ts") < days * 86_400).sort("ts")


def term_chat_log(seed: int = 0, people: int = 600, days: int = 190):
    """A student-messaging-like log: people join over the first weeks and leave after a
    while (a term), and chat in short bursts with partners while both are around. Recency
    ranks well; knowing who is still around anywhere in the log (the contact's side) is
    what ranks better."""
    rng = np.random.default_rng(seed)
    join = rng.exponential(25, people).clip(0, days - 5)
    leave = np.minimum(join + rng.exponential(60, people) + 5, days)
    n_pairs = people * 6
    u = rng.integers(0, people, n_pairs)
    v = (u + rng.geometric(0.02, n_pairs)) % people
    src, dst, ts = [], [], []
    for a, b in zip(u, v, strict=True):
        lo, hi = max(join[a], join[b]), min(leave[a], leave[b])
        if hi - lo < 1:
            continue
        for _ in range(rng.poisson(1.5) + 1):
            t = rng.uniform(lo, hi) + np.cumsum(rng.exponential(0.3, rng.poisson(4) + 1))
            t = t[t < hi]
            out = rng.random(len(t)) < 0.5
            src += list(np.where(out, a, b))
            dst += list(np.where(out, b, a))
            ts += list((t * 86_400).astype(np.int64))
    return pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts}).sort("ts")


def shifting_log(seed: int = 0, people: int = 40, days: int = 240):
    """A small, changeable history: each person's ties switch between bursts and silence
    at random, with rhythms that change every few weeks, so what an owner's first months
    teach does not hold later. An owner-only model fitted on it overfits its past."""
    rng = np.random.default_rng(seed)
    src, dst, ts = [], [], []
    for a in range(people):
        ties = (a + rng.integers(1, people, rng.integers(4, 10))) % people
        for b in ties:
            t = rng.uniform(0, 30)
            while t < days:
                gap = rng.choice([1.0, 4.0, 20.0, 45.0]) * rng.uniform(0.5, 1.5)
                out = rng.random() < rng.choice([0.2, 0.8])
                src.append(a if out else b)
                dst.append(b if out else a)
                ts.append(int(t * 86_400))
                t += gap
    frame = pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts})
    return frame.filter(pl.col("src") != pl.col("dst")).sort("ts")


GENERATORS = {
    "bursty": bursty_log,
    "steady": steady_log,
    "checkin": checkin_log,
    "term_chat": term_chat_log,
    "shifting": shifting_log,
}
