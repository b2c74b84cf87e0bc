"""Introduce: a partner for the contact among the owner's warm ties, scored as a pair.

Candidate pairs come from a sparse top-k neighbour search on TF-IDF profile vectors
(cosine, k = 20: exact for the few hundred contacts of a daily plan, locality-sensitive
hashing for large sets, see :func:`top_k_neighbours`), plus every hiring x looking-for-work pair among
warm ties: never all pairs. A pair scores for complementary needs (one hires, the other
looks for work), for the same field at different companies (profile similarity), and by
how warm the colder of the two ties is. Pairs who already shared a conversation thread or
meeting, who work at the same company, or who were suggested before, are left out.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, first_name
from recommender.actions.share_article import shared_terms
from recommender.store.history import thread_members

K_NEIGHBOURS = 20
WARM_DAYS = 120.0
MIN_SIMILARITY = 0.15
FULL_SIMILARITY = 0.4
MAX_NEED_SIDE = 100
EXACT_LIMIT = 2000
SKETCH_DIM = 64
BUCKET_SIZE = 500
HASH_TABLES = 2

PAIR_SCHEMA = {
    "a": pl.Int64,
    "b": pl.Int64,
    "fit": pl.Float64,
    "similarity": pl.Float64,
    "complementary": pl.Boolean,
    "terms": pl.String,
}


def warm_ties(ctx: PlanContext, contacts: list[int] | None = None) -> pl.DataFrame:
    """Ties with exchanges both ways and contact within ``WARM_DAYS``."""
    stats = ctx.stats if contacts is None else ctx.stats.filter(pl.col("contact").is_in(contacts))
    return stats.filter(
        (pl.col("n_in") > 0) & (pl.col("n_out") > 0) & (pl.col("days_since") <= WARM_DAYS)
    )


def shared_thread_pairs(ctx: PlanContext, contacts: list[int]) -> set[tuple[int, int]]:
    """(a, b), a < b, for contacts that appear in one conversation thread or meeting."""
    rows = thread_members(ctx.store, ctx.owner, ctx.as_of, contacts)
    if rows.height == 0:
        return set()
    multi = rows.filter(pl.len().over("thread") >= 2)
    if multi.height == 0:
        return set()
    pairs = (
        multi.join(multi, on="thread", suffix="_b")
        .filter(pl.col("contact") < pl.col("contact_b"))
        .select("contact", "contact_b")
        .unique()
    )
    return set(pairs.iter_rows())


def _exact_top_k(x, k: int) -> np.ndarray:
    sims = (x @ x.T).toarray()
    k = min(k, x.shape[0])
    return np.argpartition(-sims, k - 1, axis=1)[:, :k]


def _dense_top_k(z: np.ndarray, k: int) -> np.ndarray:
    sims = z @ z.T
    m = z.shape[0]
    k = min(k, m)
    return np.argpartition(sims, m - k, axis=1)[:, m - k :]


def top_k_neighbours(x, k: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each row's ``k`` nearest rows by cosine (itself included), from l2-normalised
    sparse rows, as (rows, their neighbour indices) blocks.

    Up to ``EXACT_LIMIT`` rows (a daily plan's pool): exact, one sparse product. More
    (batch, benchmarks): locality-sensitive hashing, as vector indexes do. The rows are
    projected on 64 random directions (a Johnson-Lindenstrauss sketch that keeps cosines);
    the signs of a few of those directions put each row in a bucket of about
    ``BUCKET_SIZE`` rows (``HASH_TABLES`` independent hashings), and the top-k is taken
    within each bucket on the sketch. Cost about n * bucket size instead of n * n;
    approximate (a neighbour in no shared bucket is missed); the pair scores that follow
    are exact cosines."""
    n = x.shape[0]
    if n <= EXACT_LIMIT:
        return [(np.arange(n), _exact_top_k(x, k + 1))]
    rng = np.random.default_rng(seed)
    sketch = np.asarray(x @ rng.standard_normal((x.shape[1], SKETCH_DIM)))
    norms = np.linalg.norm(sketch, axis=1, keepdims=True)
    z = (sketch / np.where(norms == 0, 1.0, norms)).astype(np.float32)
    bits = max(1, int(np.ceil(np.log2(n / BUCKET_SIZE))))
    blocks = []
    for _ in range(HASH_TABLES):
        planes = sketch @ rng.standard_normal((SKETCH_DIM, bits))
        codes = (planes > 0).astype(np.int64) @ (1 << np.arange(bits, dtype=np.int64))
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for members in np.split(order, bounds):
            for start in range(0, len(members), 2 * BUCKET_SIZE):  # cut crowded buckets
                block = members[start : start + 2 * BUCKET_SIZE]
                if len(block) >= 2:
                    blocks.append((block, block[_dense_top_k(z[block], k + 1)]))
    return blocks


def _scored_pairs(ctx: PlanContext, contacts: list[int] | None, k: int):
    """(pairs frame, profile vectors, vocabulary, contact -> row) or None."""
    warm = warm_ties(ctx, ctx.pool if contacts is None else contacts)
    if warm.height < 2:
        return None
    found = _profile_vectors(ctx, warm, contacts)
    if found is None:
        return None
    ids, x, vocab = found
    n = len(ids)
    index = {c: i for i, c in enumerate(ids)}
    lefts, rights = [], []
    nonempty = np.flatnonzero(x.getnnz(axis=1))
    if len(nonempty) >= 2:
        for rows, neighbours in top_k_neighbours(x[nonempty], k):
            lefts.append(np.repeat(nonempty[rows], neighbours.shape[1]))
            rights.append(nonempty[neighbours.ravel()])
    looking, hiring = _need_sides(ctx, ids, index)
    if len(looking) and len(hiring):
        lefts.append(np.repeat(looking, len(hiring)))
        rights.append(np.tile(hiring, len(looking)))
    if not lefts:
        return None
    left, right = np.concatenate(lefts), np.concatenate(rights)
    keep = left != right
    lo, hi = np.minimum(left, right)[keep], np.maximum(left, right)[keep]
    codes = np.sort(lo.astype(np.int64) * n + hi)
    codes = codes[np.r_[True, codes[1:] != codes[:-1]]]  # unique (np.unique hashes: slower)
    # leave out pairs already in touch, suggested before, or at the same company
    known = _known_codes(ctx, ids, index)
    if known:
        codes = codes[~np.isin(codes, np.fromiter(known, dtype=np.int64))]
    i, j = codes // n, codes % n
    info = warm.select("contact", "who", "company")
    aligned = pl.DataFrame({"contact": ids}).join(info, on="contact", how="left")
    company = aligned["company"].str.to_lowercase().fill_null("").to_numpy()
    who = aligned["who"].fill_null(0.0).to_numpy()
    same = (company[i] == company[j]) & (company[i] != "")
    i, j = i[~same], j[~same]
    if len(i) == 0:
        return None
    return _pairs_frame(x, ids, i, j, who, looking, hiring), x, vocab, index


def _profile_vectors(ctx: PlanContext, warm: pl.DataFrame, contacts: list[int] | None):
    """(contacts, their profile vectors, vocabulary) of the warm ties, or None (fewer than
    two): the plan's shared text space for the pool, else vectors of their profiles."""
    from recommender.actions.share_article import text_space, vectorize

    space = text_space(ctx) if contacts is None else None
    if space is not None:  # the plan's shared space (the pool's profiles)
        ids = [c for c in warm["contact"].to_list() if c in space.index]
        x = space.profiles[[space.index[c] for c in ids]]
        vocab = space.vocab
    else:
        profiles = ctx.profiles(warm["contact"].to_list())
        ids = profiles["contact"].to_list()
        vectors = vectorize(profiles["doc"].to_list(), [])
        if vectors is None:
            return None
        x, _, vocab = vectors
    if len(ids) < 2:
        return None
    return ids, x, vocab


def _need_sides(
    ctx: PlanContext, ids: list[int], index: dict[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of those looking for work and of those hiring, warmest first (at most
    :data:`MAX_NEED_SIDE` each)."""
    needs = ctx.needs().filter(pl.col("contact").is_in(ids))
    by_who = needs.join(ctx.who(), on="contact", how="left").sort(
        ["who", "contact"], descending=[True, False], nulls_last=True
    )
    looking = np.array(
        [index[c] for c in by_who.filter("looking")["contact"]][:MAX_NEED_SIDE], dtype=np.int64
    )
    hiring = np.array(
        [index[c] for c in by_who.filter("hiring")["contact"]][:MAX_NEED_SIDE], dtype=np.int64
    )
    return looking, hiring


def _known_codes(ctx: PlanContext, ids: list[int], index: dict[int, int]) -> set[int]:
    """Pairs (as ``low * n + high`` of their rows) already in touch or suggested before."""
    n = len(ids)
    known = {
        min(index[a], index[b]) * n + max(index[a], index[b])
        for a, b in shared_thread_pairs(ctx, ids)
    }
    for a, b in (
        ctx.past_suggestions()
        .filter((pl.col("action") == "introduce") & pl.col("partner").is_not_null())
        .select("contact", "partner")
        .iter_rows()
    ):
        if a in index and b in index:
            known.add(min(index[a], index[b]) * n + max(index[a], index[b]))
    return known


def _pairs_frame(x, ids, i, j, who, looking, hiring) -> pl.DataFrame:
    """The candidate pairs (rows ``i``, ``j``) that are complementary or similar enough,
    with their fit, oriented (the one helped first), best first."""
    n = len(ids)
    sims = np.asarray(x[i].multiply(x[j]).sum(axis=1)).ravel()
    is_looking = np.zeros(n, dtype=bool)
    is_looking[looking] = True
    is_hiring = np.zeros(n, dtype=bool)
    is_hiring[hiring] = True
    comp = (is_looking[i] & is_hiring[j]) | (is_looking[j] & is_hiring[i])
    keep = comp | (sims >= MIN_SIMILARITY)
    i, j, sims, comp = i[keep], j[keep], sims[keep], comp[keep]
    warmth = np.minimum(who[i], who[j])
    fit = (0.6 * comp + 0.4 * np.minimum(1.0, sims / FULL_SIMILARITY)) * (0.5 + 0.5 * warmth)
    # orientation: the one looking for work is the one helped; else the warmer tie
    swap = np.where(comp, is_looking[j] & ~is_looking[i], who[j] > who[i])
    a = np.where(swap, j, i)
    b = np.where(swap, i, j)
    ids_arr = np.asarray(ids, dtype=np.int64)
    return pl.DataFrame(
        {
            "a": ids_arr[a],
            "b": ids_arr[b],
            "fit": fit,
            "similarity": sims,
            "complementary": comp,
        },
        schema={k: v for k, v in PAIR_SCHEMA.items() if k != "terms"},
    ).sort(["fit", "a", "b"], descending=[True, False, False])


def introduction_pairs(
    ctx: PlanContext, contacts: list[int] | None = None, k: int = K_NEIGHBOURS
) -> pl.DataFrame:
    """Scored candidate pairs ``a, b, fit, similarity, complementary`` among the warm ties
    in ``contacts`` (default: the pool), best first; ``a`` is the one helped."""
    found = _scored_pairs(ctx, contacts, k)
    if found is None:
        return pl.DataFrame(schema={k: v for k, v in PAIR_SCHEMA.items() if k != "terms"})
    return found[0]


def _describe(ctx: PlanContext, contact: int) -> str:
    info = ctx.row(contact)
    role = " at ".join(p for p in (info.get("position"), info.get("company")) if p)
    return f"{info.get('name') or contact}" + (f" ({role})" if role else "")


def candidates(ctx: PlanContext) -> pl.DataFrame:
    found = _scored_pairs(ctx, None, K_NEIGHBOURS)
    if found is None:
        return candidates_frame([])
    pairs, x, vocab, index = found
    needs = {r["contact"]: r for r in ctx.needs().iter_rows(named=True)}
    # both orientations: the one helped first (fit as scored), the other slightly lower
    flipped = pairs.select(
        pl.col("b").alias("a"),
        pl.col("a").alias("b"),
        pl.col("fit") * 0.9,
        pl.exclude("a", "b", "fit"),
    )
    both = pl.concat(
        [
            pairs.with_columns(pl.lit(False).alias("flipped")),
            flipped.with_columns(pl.lit(True).alias("flipped")),
        ]
    )
    best = both.sort(["fit", "a", "b"], descending=[True, False, False]).unique(
        "a", keep="first", maintain_order=True
    )
    rows = []
    for r in best.iter_rows(named=True):
        a, b = r["a"], r["b"]
        ia, ib = ctx.row(a), ctx.row(b)
        recent_days = max(ia.get("days_since") or 0.0, ib.get("days_since") or 0.0)
        if r["complementary"] and not r["flipped"]:
            looking = needs.get(a, {}).get("looking_why") or "looking for work"
            hiring = needs.get(b, {}).get("hiring_why") or "hiring"
            what = (
                f"{first_name(ia.get('name'))} is looking for work ({looking}) and "
                f"{_describe(ctx, b)} is hiring ({hiring})"
            )
        elif r["complementary"]:
            hiring = needs.get(a, {}).get("hiring_why") or "hiring"
            looking = needs.get(b, {}).get("looking_why") or "looking for work"
            what = (
                f"{first_name(ia.get('name'))} is hiring ({hiring}) and "
                f"{_describe(ctx, b)} is looking for work ({looking})"
            )
        else:
            terms = ", ".join(shared_terms(x, index[a], x, index[b], vocab))
            what = (
                f"{_describe(ctx, a)} and {_describe(ctx, b)} share {terms} at different companies"
            )
        reason = (
            f"{what}; both were in touch with you in the last {recent_days:.0f} days and "
            "they have never shared a conversation"
        )
        rows.append(
            {"contact": a, "action": "introduce", "partner": b, "fit": r["fit"], "reason": reason}
        )
    return candidates_frame(rows)
