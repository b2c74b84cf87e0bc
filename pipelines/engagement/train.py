"""The engagement model: who will the owner write to in the next H days?

Self-supervised on the very log it scores: training examples are the candidates of many
earlier cutoffs t (all with ``t + H <= T``, so no label reaches past the scoring cutoff T),
labelled by whether the owner sent to them in ``[t, t + H)``.

The estimator (:class:`EngagementRanker`) is a gradient-boosted tree model over the
point-in-time features, which include the strong baselines themselves (Interactions Rank at
several half-lives, recency, frequency) and their within-owner percentile ranks. Training
keeps only (owner, cutoff) groups with at least one target, the way the ranking is judged, and
weighs every group equally. On the most recent training cutoffs (held out, still strictly
before T) it then chooses how to combine the learned score with the best baseline (rank
blend with weight ``alpha``; ``alpha = 0`` is a pure fallback to the baseline), so on a log
where learning does not pay it ranks like the best baseline instead of worse.

Dormant candidates (no exchange in the last 30 days) behave differently: every recency-type
feature is near zero for them, so the blend, fitted mostly on active ties, orders them
poorly. Their order is chosen apart, by the same held-out rule applied to that segment
alone: the blend's own order, a ranker trained on dormant candidates only, the segment's
best baseline, or an even mix of the last two - whichever ranks the segment's own targets
best on the validation cutoffs (all strictly before T). The chosen order refills the slots
the blend gave the dormant candidates, so the ordering *between* active and dormant ties
stays the learned one (:func:`reorder_within`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from pipelines.columns import OWNER, TS, conform_events
from pipelines.engagement.ranking import (
    DEFAULT_BLEND,
    LEARNED_ORDER,
    MIX,
    MODEL_ORDER,
    SEGMENTS,
    RankBlend,
    check_order,
    segment_mask,
    signed_log,
)
from pipelines.features.baselines import BASELINES, candidate_frame
from pipelines.features.engagement import FEATURE_COLUMNS
from pipelines.features.labels import DEFAULT_HORIZON, LABEL
from pipelines.metrics import owner_metrics, rank_within_owner

CUTOFF = "cutoff"
GROUP = "_group"
# blend weights (hgb, lin, baseline) tried on the validation cutoffs
BLENDS = ((0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.25, 0.25, 0.5), (0.0, 0.0, 1.0))
assert BLENDS[0] == DEFAULT_BLEND
_AGE_LAST = FEATURE_COLUMNS.index("age_last_any")
# a segment ranker (the dormant one) learns from a small share of the candidates, mostly one
# target per group: fewer, larger tree leaves and a more regularised linear part (measured
# over 8 logs x 4-10 cutoffs: its own order ranks the segment better on 6 of them)
SEGMENT_PARAMS = {"max_iter": 30, "min_samples_leaf": 200, "C": 0.05}


def _pair_differences(
    X: np.ndarray, y: np.ndarray, groups: np.ndarray, per_pos: int, rng, max_pairs: int = 25_000
):
    """Rows ``x_pos - x_neg`` (label 1) and their negation (label 0) for positives and
    sampled negatives of the same group (owner at a cutoff)."""
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    bounds = np.flatnonzero(np.diff(g)) + 1
    pos_idx, neg_idx = [], []
    for part in np.split(order, bounds):
        pos = part[y[part] == 1]
        neg = part[y[part] == 0]
        if len(pos) == 0 or len(neg) == 0:
            continue
        for p in pos:
            take = neg if len(neg) <= per_pos else rng.choice(neg, per_pos, replace=False)
            pos_idx.append(np.full(len(take), p))
            neg_idx.append(take)
    if not pos_idx:
        return np.empty((0, X.shape[1])), np.empty(0, dtype=int)
    pi, ni = np.concatenate(pos_idx), np.concatenate(neg_idx)
    if len(pi) > max_pairs:
        keep = rng.choice(len(pi), max_pairs, replace=False)
        pi, ni = pi[keep], ni[keep]
    diff = X[pi] - X[ni]
    return np.vstack([diff, -diff]), np.concatenate([np.ones(len(pi), int), np.zeros(len(pi), int)])


class EngagementRanker(RankBlend, ClassifierMixin, BaseEstimator):
    """Two learned rankers over :data:`FEATURE_COLUMNS`, blended per owner with a baseline.

    * ``hgb_``: gradient-boosted trees (pointwise, every (owner, cutoff) group weighs the same);
    * ``lin_``: a pairwise linear ranker (logistic regression on ``x_target - x_other`` within
      a group, on signed-log features) - a learned, per-log Interactions Rank.

    ``rank_scores(frame)`` blends the within-owner percentile ranks of the two and of the
    ``baseline`` score with ``weights`` (hgb, lin, baseline). ``weights`` and ``baseline``
    are usually chosen by :func:`train_engagement` on held-out earlier cutoffs.

    ``segment_orders`` (pairs ``(segment, order)``, segments in :data:`SEGMENTS`) then
    re-orders the candidates *inside* a segment (e.g. the dormant ones, whose recency-type
    features are all near zero) while keeping the slots the blend gave them: ``order`` is
    ``"model"`` (no change), ``"learned"`` (a ranker trained on that segment alone,
    ``segment_rankers_``) or ``"base:<baseline>"``.
    """

    def __init__(
        self,
        *,
        weights: tuple[float, float, float] = (0.5, 0.5, 0.0),
        baseline: str = "ir_28d_w2",
        max_iter: int = 50,
        learning_rate: float = 0.12,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 80,
        l2_regularization: float = 1.0,
        C: float = 0.3,
        pairs_per_target: int = 8,
        segment_orders: tuple = (),
        random_state: int = 0,
    ):
        self.weights = weights
        self.baseline = baseline
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.C = C
        self.pairs_per_target = pairs_per_target
        self.segment_orders = segment_orders
        self.random_state = random_state

    def fit(self, X, y, groups=None):
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y).astype(int)
        if X.ndim != 2 or X.shape[1] != len(FEATURE_COLUMNS):
            raise ValueError(f"expected {len(FEATURE_COLUMNS)} feature columns, got {X.shape}")
        if self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}; choose from {sorted(BASELINES)}")
        self.classes_ = np.unique(y)
        self.feature_names_in_ = np.array(FEATURE_COLUMNS, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.hgb_ = self.lin_ = None
        self.segment_rankers_ = {}
        for segment, order in self.segment_orders:
            check_order(segment, order)
            if order == LEARNED_ORDER or order.startswith(MIX):
                m = segment_mask(segment, X[:, _AGE_LAST])
                g = None if groups is None else np.asarray(groups)[m]
                keep = np.ones(int(m.sum()), bool) if g is None else np.isin(g, g[y[m] == 1])
                sub = self._segment_ranker().fit(
                    X[m][keep], y[m][keep], None if g is None else g[keep]
                )
                self.segment_rankers_[segment] = sub
        if len(self.classes_) < 2:
            return self  # nothing to learn from: the baseline alone ranks
        rng = np.random.default_rng(self.random_state)
        # one thread: on a shared 2-core machine OpenMP spinning costs far more than it gains
        with threadpool_limits(1):
            self._fit_parts(X, y, groups, rng)
        return self

    def _segment_ranker(self) -> EngagementRanker:
        params = self.get_params() | SEGMENT_PARAMS
        params |= {"weights": DEFAULT_BLEND, "segment_orders": ()}
        return EngagementRanker(**params)

    def _fit_parts(self, X, y, groups, rng) -> None:
        if self.weights[0] > 0:
            self.hgb_ = HistGradientBoostingClassifier(
                max_iter=self.max_iter,
                learning_rate=self.learning_rate,
                max_leaf_nodes=self.max_leaf_nodes,
                min_samples_leaf=self.min_samples_leaf,
                l2_regularization=self.l2_regularization,
                early_stopping=False,
                random_state=self.random_state,
            ).fit(X, y)
        if self.weights[1] > 0:
            groups = np.zeros(len(y), dtype=np.int64) if groups is None else np.asarray(groups)
            D, t = _pair_differences(signed_log(X), y, groups, self.pairs_per_target, rng)
            if len(t):
                self.lin_ = make_pipeline(
                    StandardScaler(with_mean=False),
                    # Newton steps on 64 columns: same optimum as lbfgs, 2-3x faster here
                    LogisticRegression(
                        C=self.C, fit_intercept=False, max_iter=100, solver="newton-cholesky"
                    ),
                ).fit(D, t)

    def _learned(self, X: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        # one thread: on a shared 2-core machine OpenMP spinning costs far more than it gains
        with threadpool_limits(1):
            h = self.hgb_.predict_proba(X)[:, 1] if self.hgb_ is not None else None
            lin = self.lin_.decision_function(signed_log(X)) if self.lin_ is not None else None
        return h, lin

    def predict_proba(self, X):
        check_is_fitted(self, "classes_")
        X = np.asarray(X, dtype=np.float64)
        h, lin = self._learned(X)
        if h is None and lin is not None:
            h = 1.0 / (1.0 + np.exp(-lin))
        p = np.full(X.shape[0], 0.5) if h is None else h
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)


# -- training sets --------------------------------------------------------------------


def training_cutoffs(
    events: pl.DataFrame,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    n: int = 10,
    step: timedelta | None = None,
    min_history: timedelta = timedelta(days=28),
) -> list[datetime]:
    """Up to ``n`` cutoffs t with ``t + H <= as_of`` whose window holds outgoing events,
    newest first, spaced ``step`` (default H) apart, each with ``min_history`` of log before it."""
    step = step or horizon
    ev = events.filter(pl.col(TS) < as_of)
    if ev.height == 0:
        return []
    first = ev[TS].min()
    out_ts = ev.filter(pl.col("direction") == "out")[TS].sort().to_numpy()
    cutoffs: list[datetime] = []
    t = as_of - horizon
    while len(cutoffs) < n and t - min_history >= first:
        lo = np.searchsorted(out_ts, np.datetime64(t, "us"), side="left")
        hi = np.searchsorted(out_ts, np.datetime64(t + horizon, "us"), side="left")
        if hi > lo:
            cutoffs.append(t)
        t -= step
    return cutoffs


def training_set(
    events: pl.DataFrame,
    cutoffs: list[datetime],
    horizon: timedelta = DEFAULT_HORIZON,
    target_groups: int | None = None,
) -> tuple[pl.DataFrame, list[datetime]]:
    """Candidates of the cutoffs (newest first) with ``label`` and ``cutoff`` (its index),
    and the cutoffs used.

    Only (owner, cutoff) groups with at least one target are kept, the way rankings are
    judged. With ``target_groups``, stops adding older cutoffs once that many groups are in
    (a small log gets more cutoffs than a big one).
    """
    frames, used, n_groups = [], [], 0
    for t in cutoffs:
        f = candidate_frame(events, t, horizon)
        f = f.filter(pl.col(LABEL).sum().over(OWNER) > 0)
        if f.height == 0:
            continue
        frames.append(f.with_columns(pl.lit(len(used), dtype=pl.Int32).alias(CUTOFF)))
        used.append(t)
        n_groups += f[OWNER].n_unique()
        if target_groups is not None and n_groups >= target_groups:
            break
    if not frames:
        return pl.DataFrame(), []
    return pl.concat(frames, how="vertical"), used


def _group_quality(frame: pl.DataFrame, scores: np.ndarray) -> np.ndarray:
    """NDCG@10 + MRR of every (cutoff, owner) group of a training-set frame, in a fixed
    order (cutoff, then owner), so two rankers can be compared group by group."""
    parts = []
    scored = frame.select(CUTOFF, OWNER, LABEL).with_columns(pl.Series("score", scores))
    for c in sorted(scored[CUTOFF].unique().to_list()):
        part = scored.filter(pl.col(CUTOFF) == c)
        per = owner_metrics(rank_within_owner(part, "score", seed=c))
        parts.append((per["ndcg@10"] + per["mrr"]).to_numpy())
    return np.concatenate(parts) if parts else np.zeros(0)


def _per_cutoff(frame: pl.DataFrame, model_q: np.ndarray, base_q: np.ndarray) -> list[dict]:
    """Per validation cutoff (index 0 = newest): the model's and the best baseline's mean
    (NDCG@10 + MRR) / 2 over its (owner) groups, in :func:`_group_quality`'s order."""
    rows, at = [], 0
    for c in sorted(frame[CUTOFF].unique().to_list()):
        n = frame.filter(pl.col(CUTOFF) == c)[OWNER].n_unique()
        part = slice(at, at + n)
        rows.append(
            {
                "cutoff": int(c),
                "groups": int(n),
                "model": float(model_q[part].mean() / 2),
                "baseline": float(base_q[part].mean() / 2),
            }
        )
        at += n
    return rows


def _negative_rate(data: pl.DataFrame, max_negatives: int = 15) -> float:
    """The share of non-targets :func:`_fit` keeps (at most ``max_negatives`` a group)."""
    neg = data.filter(pl.col(LABEL) == 0).group_by(CUTOFF, OWNER).len()
    total = int(neg["len"].sum()) if neg.height else 0
    return 1.0 if total == 0 else float(neg["len"].clip(upper_bound=max_negatives).sum() / total)


def _calibration(
    frame: pl.DataFrame, proba: np.ndarray | None, negative_rate: float = 1.0, bins: int = 10
) -> list[dict]:
    """Predicted probability (the trees' p of a message within the horizon, corrected for
    the share of non-targets kept in training) against the observed rate, by decile of the
    prediction, on held-out validation cutoffs."""
    if proba is None or frame.height < bins:
        return []
    p = np.asarray(proba, dtype=float)
    p = p * negative_rate / (p * negative_rate + (1.0 - p))  # undo the negatives' sampling
    scored = pl.DataFrame({"p": p, "y": frame[LABEL].to_numpy()})
    return (
        scored.with_columns(
            (pl.col("p").rank("ordinal") * bins // (scored.height + 1)).alias("decile")
        )
        .group_by("decile")
        .agg(
            pl.col("p").mean().alias("predicted"),
            (pl.col("y") > 0).mean().alias("observed"),
            pl.len().alias("n"),
        )
        .sort("decile")
        .with_columns(pl.col("decile") + 1)
        .to_dicts()
    )


@dataclass
class TrainResult:
    model: EngagementRanker
    cutoffs: list[datetime]
    n_rows: int
    n_groups: int
    validation: dict
    data_hash: str


def events_hash(events: pl.DataFrame) -> str:
    """sha256 of an event frame, independent of row order (Polars row hashes, sorted)."""
    ev = conform_events(events).collect()
    rows = ev.hash_rows(seed=20240601).sort().to_numpy().tobytes()
    return hashlib.sha256(rows).hexdigest()


def train_engagement(
    events: pl.DataFrame,
    as_of: datetime,
    horizon: timedelta = DEFAULT_HORIZON,
    *,
    n_cutoffs: int = 40,
    target_groups: int = 2000,
    validation_share: float = 0.25,
    min_groups: int = 8,
    random_state: int = 0,
    **params,
) -> TrainResult:
    """Train on cutoffs before ``as_of`` and choose the baseline blend on the newest ones.

    With fewer than ``min_groups`` (owner, cutoff) groups to learn from, the model ranks by
    the default baseline (the result's ``validation`` says so).
    """
    events = conform_events(events).collect()
    cutoffs = training_cutoffs(events, as_of, horizon, n=n_cutoffs)
    data, cutoffs = training_set(events, cutoffs, horizon, target_groups)
    n_groups = data.select(CUTOFF, OWNER).unique().height if data.height else 0
    past = events.filter(pl.col(TS) < as_of)
    if n_groups < min_groups:
        # too little to learn from: rank by the strong default baseline, and say so
        model = EngagementRanker(weights=(0.0, 0.0, 1.0), random_state=random_state, **params)
        model.fit(np.zeros((1, len(FEATURE_COLUMNS))), np.zeros(1, dtype=int))
        validation = {
            "fallback": f"only {n_groups} (owner, cutoff) group(s) with a target before the "
            f"cutoff (need {min_groups}): ranking by Interactions Rank (28 days, w=2)"
        }
        return TrainResult(model, cutoffs, data.height, n_groups, validation, events_hash(past))
    n_val = min(max(2, round(validation_share * len(cutoffs))), len(cutoffs) - 1)
    model, validation = fit_and_choose(data, n_val, random_state=random_state, **params)
    validation = {"cutoffs": [c.isoformat() for c in cutoffs[:n_val]]} | validation
    return TrainResult(model, cutoffs, data.height, n_groups, validation, events_hash(past))


def by_group(frame: pl.DataFrame) -> pl.DataFrame:
    """``owner`` replaced by one key per (cutoff, owner), the original kept as ``_owner``.

    Scoring a frame of several cutoffs needs it: the blend, the segment orders and the
    baselines' ties all work per owner, and an owner seen at two cutoffs must be ranked at
    each apart, as inference ranks one cutoff at a time."""
    key = pl.col(CUTOFF).cast(pl.Int64) * (1 << 40) + pl.col(OWNER)
    return frame.with_columns(pl.col(OWNER).alias("_owner"), key.alias(OWNER))


def fit_and_choose(
    data: pl.DataFrame, n_val: int, *, random_state: int = 0, **params
) -> tuple[EngagementRanker, dict]:
    """Fit on a training set (cutoff index 0 = newest) after choosing, on its ``n_val`` newest
    cutoffs, the blend, the baseline and the segment orders; then refit on all of it."""
    validation: dict = {}
    weights, baseline, segment_orders = DEFAULT_BLEND, "ir_28d_w2", ()
    if n_val > 0:
        val = by_group(data.filter(pl.col(CUTOFF) < n_val))
        fit = data.filter(pl.col(CUTOFF) >= n_val)
        base_q = {
            name: _group_quality(val, val.select(expr)[:, 0].to_numpy().astype(float))
            for name, expr in BASELINES.items()
        }
        baseline = max(base_q, key=lambda n: base_q[n].mean())
        inner = _fit(
            EngagementRanker(
                weights=(1, 1, 1), baseline=baseline, random_state=random_state, **params
            ),
            fit,
        )
        parts = inner.score_parts(val)
        quality = {b: _group_quality(val, inner.rank_scores(val, b, parts)) for b in BLENDS}
        weights = DEFAULT_BLEND
        # leave the default only for a blend that is better by more than two standard errors
        # of the paired per-group difference: small logs give noisy validation cutoffs
        margins = {}
        for b in BLENDS:
            diff = quality[b] - quality[DEFAULT_BLEND]
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.inf
            margins[b] = float(diff.mean() - 2 * se)
        challenger = max(BLENDS, key=lambda b: margins[b])
        if margins[challenger] > 0:
            weights = challenger
        segment_orders, segment_report = _choose_segment_orders(
            inner, fit, val, inner.rank_scores(val, weights, parts)
        )
        validation |= {
            "per_cutoff": _per_cutoff(val, quality[weights], base_q[baseline]),
            "calibration": _calibration(val, parts[1], _negative_rate(fit)),
            "segments": segment_report,
            "baselines": {n: float(q.mean() / 2) for n, q in base_q.items()},
            "blends": {str(b): float(q.mean() / 2) for b, q in quality.items()},
            "measure": "mean of (NDCG@10 + MRR) / 2 over (owner, cutoff) groups",
            "chosen_weights": list(weights),
            "chosen_baseline": baseline,
        }
    model = _fit(
        EngagementRanker(
            weights=weights,
            baseline=baseline,
            segment_orders=segment_orders,
            random_state=random_state,
            **params,
        ),
        data,
    )
    return model, validation


def _choose_segment_orders(
    inner: EngagementRanker,
    fit: pl.DataFrame,
    val: pl.DataFrame,
    overall: np.ndarray,
) -> tuple[tuple, dict]:
    """For each segment, the order inside it that ranks its own targets best on the
    validation cutoffs (``val``, from :func:`by_group`): the blended model's (``overall``), a
    ranker trained on the segment alone, the best baseline of that segment, or an even mix
    of the last two. Judged only on (owner, cutoff) groups with a target in the segment,
    among the segment's candidates (how the dormant slice is judged), on the very scores
    inference gives: :meth:`RankBlend.reorder_segments` over all of a group's candidates, so
    the learned order's percentile ranks and the ties are those of serving.

    A challenger replaces the model's order only when its mean is higher; ties keep it."""
    orders, report = [], {}
    age_val = val["age_last_any"].to_numpy()
    age_fit = fit["age_last_any"].to_numpy()
    for segment in SEGMENTS:
        m = segment_mask(segment, age_val)
        part = val.filter(pl.Series(m))
        has_target = part.select(pl.col(LABEL).sum().over(OWNER) > 0).to_series()
        keep = has_target.to_numpy()
        part = part.filter(has_target)
        if part.height == 0:
            continue
        base_q = {
            f"base:{n}": _group_quality(part, part.select(e)[:, 0].to_numpy().astype(float))
            for n, e in BASELINES.items()
        }
        best_base = max(base_q, key=lambda n: base_q[n].mean())
        options = [MODEL_ORDER, best_base]
        fit_seg = fit.filter(pl.Series(segment_mask(segment, age_fit)))
        fit_seg = fit_seg.filter(pl.col(LABEL).sum().over(CUTOFF, OWNER) > 0)
        if fit_seg.height and fit_seg[LABEL].n_unique() == 2:
            # a throwaway: ``inner`` only serves this validation
            inner.segment_rankers_ = {segment: _fit(inner._segment_ranker(), fit_seg)}
            options += [LEARNED_ORDER, MIX + best_base[5:]]
        quality = {}
        for order in options:
            total = inner.reorder_segments(val, overall, ((segment, order),))
            quality[order] = _group_quality(part, total[m][keep])
        means = {k: float(q.mean() / 2) for k, q in quality.items()}
        choice = max(means, key=lambda k: (means[k], k == MODEL_ORDER))
        orders.append((segment, choice))
        report[segment] = {"groups": len(quality[MODEL_ORDER]), "orders": means, "chosen": choice}
    return tuple(orders), report


def _fit(model: EngagementRanker, data: pl.DataFrame, max_negatives: int = 15) -> EngagementRanker:
    """Fit on every target and at most ``max_negatives`` random non-targets per (owner,
    cutoff) group, so busy owners do not drown the rest (cheaper than sample weights)."""
    grp = [CUTOFF, OWNER]
    data = data.with_columns(
        pl.int_range(pl.len()).shuffle(seed=model.random_state).over([*grp, LABEL]).alias("_i")
    ).filter((pl.col(LABEL) == 1) | (pl.col("_i") < max_negatives))
    groups = data.select((pl.col(CUTOFF).cast(pl.Int64) * (1 << 40) + pl.col(OWNER)).alias("g"))
    return model.fit(
        data.select(FEATURE_COLUMNS).to_numpy(),
        data[LABEL].to_numpy(),
        groups=groups["g"].to_numpy(),
    )


def model_scorer(horizon: timedelta = DEFAULT_HORIZON, **params):
    """A scorer for :func:`pipelines.evaluate.run_protocol`: trains on the events before
    each cutoff only, then scores that cutoff's candidates."""

    def scorer(past: pl.DataFrame, cutoff: datetime, frame: pl.DataFrame, info: dict) -> np.ndarray:
        result = train_engagement(past, cutoff, horizon, **params)
        info.update(result.validation | {"rows": result.n_rows, "groups": result.n_groups})
        return result.model.rank_scores(frame)

    scorer.wants_info = True  # type: ignore[attr-defined]
    return scorer
