"""How the engagement ranker turns its parts into one ranking (no scikit-learn needed).

The learned parts (a gradient-boosted tree score and a pairwise linear score) come from
``_learned(X)``; everything after them lives here and is shared by the scikit-learn
estimator (:class:`pipelines.engagement.train.EngagementRanker`, which trains) and by its pickle-free
serving form (:class:`pipelines.engagement.serving.PortableRanker`, which the daily plan loads):

* the blend: within-owner percentile ranks of the parts and of a baseline, weighted;
* segment orders: candidates of a segment (the dormant ones) keep the slots the blend gave
  them but are re-ordered among themselves by the order chosen for that segment.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.columns import OWNER
from pipelines.features.baselines import BASELINES
from pipelines.features.engagement import DORMANT_DAYS, FEATURE_COLUMNS

# blend weights (hgb, lin, baseline)
DEFAULT_BLEND = (0.5, 0.5, 0.0)
# candidate segments: the order *inside* each is chosen apart on held-out cutoffs
SEGMENTS = ("dormant",)
MODEL_ORDER = "model"  # keep the overall model's order inside the segment
LEARNED_ORDER = "learned"  # a ranker trained on the segment's candidates alone
MIX = "mix:"  # "mix:<baseline>": learned and baseline percentile ranks, half each


def segment_mask(segment: str, age_last_any: np.ndarray) -> np.ndarray:
    """Rows of ``segment``: "dormant" = no exchange in the last :data:`DORMANT_DAYS` days
    (the protocol's dormant slice), "active" = the rest."""
    dormant = np.asarray(age_last_any) >= DORMANT_DAYS
    return dormant if segment == "dormant" else ~dormant


def reorder_within(
    owner: np.ndarray, overall: np.ndarray, within: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Keep the slots ``overall`` gives the rows of ``mask`` in each owner's ranking, and
    refill them in the order of ``within`` (ties by ``overall``): the ordering *between*
    segments stays the learned one, the order *inside* the segment becomes ``within``'s."""
    idx = np.flatnonzero(mask)
    if len(idx) < 2:
        return overall
    part = pl.DataFrame({"o": owner[idx], "s": overall[idx], "d": within[idx], "i": idx})
    slots = part.sort(["o", "s"], descending=[False, True])["s"].to_numpy()
    rows = part.sort(["o", "d", "s"], descending=[False, True, True])["i"].to_numpy()
    out = np.array(overall, dtype=np.float64, copy=True)
    out[rows] = slots
    return out


def within_owner_pct(owner: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Each row's percentile rank (average ties) among its owner's rows, in (0, 1]."""
    frame = pl.DataFrame({"o": owner, "s": score})
    return frame.select((pl.col("s").rank("average").over("o") / pl.len().over("o")).alias("p"))[
        "p"
    ].to_numpy()


def signed_log(X):
    """``sign(x) * log1p(|x|)``: counts, decayed sums and ages on a scale a linear model can use."""
    X = np.asarray(X, dtype=np.float64)
    return np.sign(X) * np.log1p(np.abs(X))


def check_order(segment: str, order: str) -> None:
    """Refuse an unknown segment or order with the choices."""
    if segment not in SEGMENTS:
        raise ValueError(f"unknown segment {segment!r}; choose from {SEGMENTS}")
    base_name = order[len(MIX) :] if order.startswith(MIX) else order[5:]
    if order not in (MODEL_ORDER, LEARNED_ORDER) and base_name not in BASELINES:
        raise ValueError(
            f"unknown order {order!r} for {segment}: use 'model', 'learned', "
            f"'base:<name>' or 'mix:<name>' with a name in {sorted(BASELINES)}"
        )


class RankBlend:
    """The ranking half of the engagement ranker. Subclasses provide ``_learned(X)`` ->
    (trees score or None, linear score or None) and the attributes ``weights``,
    ``baseline``, ``segment_orders``, ``segment_rankers_`` (segment -> a ranker of the same
    kind) and ``classes_`` once fitted."""

    weights: tuple[float, float, float]
    baseline: str
    segment_orders: tuple

    def _learned(self, X: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        raise NotImplementedError

    def _check_fitted(self) -> None:
        if not hasattr(self, "classes_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet")

    def rank_scores(
        self, frame: pl.DataFrame, weights=None, parts=None, segments=None
    ) -> np.ndarray:
        """One ranking score per row of a feature frame (``owner`` plus the features).

        ``parts`` (from :meth:`score_parts`) saves recomputing the learned scores when
        several blends of one frame are compared."""
        self._check_fitted()
        w = np.asarray(self.weights if weights is None else weights, dtype=float)
        owner, h, lin, base = parts if parts is not None else self.score_parts(frame)
        chosen = [
            (wi, s) for wi, s in zip(w, (h, lin, base), strict=True) if s is not None and wi > 0
        ]
        if not chosen:
            total = base
        elif len(chosen) == 1:
            total = chosen[0][1]
        else:
            total = sum(wi * within_owner_pct(owner, s) for wi, s in chosen)
            # a tiny tie-breaker keeps the order inside equal blended ranks sensible
            total = total + 1e-6 * within_owner_pct(owner, base)
        return self.reorder_segments(frame, total, segments)

    def segment_order_scores(self, frame: pl.DataFrame, segment: str, order: str):
        """The score that orders ``segment``'s rows under ``order`` (None for "model")."""
        if order == MODEL_ORDER:
            return None
        if order == LEARNED_ORDER or order.startswith(MIX):
            sub = getattr(self, "segment_rankers_", {}).get(segment)
            learned = None if sub is None else sub.rank_scores(frame)
            if learned is None or order == LEARNED_ORDER:
                return learned
            owner = frame[OWNER].to_numpy()
            base = frame.select(BASELINES[order[len(MIX) :]])[:, 0].to_numpy()
            return within_owner_pct(owner, learned) + within_owner_pct(owner, base)
        return frame.select(BASELINES[order[5:]])[:, 0].to_numpy().astype(np.float64)

    def reorder_segments(self, frame: pl.DataFrame, total: np.ndarray, segments=None):
        """Apply ``segment_orders`` (or ``segments``) to blended scores ``total``."""
        orders = self.segment_orders if segments is None else segments
        if not orders or frame.height == 0:
            return total
        owner = frame[OWNER].to_numpy()
        age = frame["age_last_any"].to_numpy()
        for segment, order in orders:
            within = self.segment_order_scores(frame, segment, order)
            if within is not None:
                total = reorder_within(owner, total, within, segment_mask(segment, age))
        return total

    def score_parts(self, frame: pl.DataFrame):
        """(owner, trees score, linear score, baseline score) of every row."""
        self._check_fitted()
        owner = frame[OWNER].to_numpy()
        base = frame.select(BASELINES[self.baseline])[:, 0].to_numpy().astype(np.float64)
        h, lin = self._learned(frame.select(FEATURE_COLUMNS).to_numpy())
        return owner, h, lin, base
