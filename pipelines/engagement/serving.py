"""The engagement ranker's serving form: plain arrays, no pickle, no scikit-learn.

``helpnext today`` runs every morning and must answer in under two seconds; importing
scikit-learn alone takes more than one (it pulls in scipy.stats), and unpickling a joblib
file runs code. So training also writes the fitted ranker as plain numeric arrays (an
``.npz`` read with ``allow_pickle=False``, its sha256 in the model card), and the daily path
scores with :class:`PortableRanker`:

* the gradient-boosted trees: every tree's nodes (feature, threshold, where missing values
  go, children, leaf values) walked for all rows and trees at once in numpy, summed in
  scikit-learn's order from the same baseline, then the logistic link;
* the pairwise linear ranker: ``signed_log(X) / scale @ coef``;
* the blend and the segment orders: the very same code as the estimator
  (:class:`pipelines.engagement.ranking.RankBlend`).

:func:`export_ranker` refuses what it cannot reproduce (categorical splits, multi-class), and
:func:`check_same_scores` (run at save time) compares the two forms' ranking scores on the
training features; a mismatch means no serving file is written and scoring uses the
estimator.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from pipelines.engagement.ranking import RankBlend, check_order, signed_log
from pipelines.features.engagement import FEATURE_COLUMNS

FORMAT_VERSION = 1
TOLERANCE = 1e-9


class ExportError(ValueError):
    """The estimator has a part the serving form cannot reproduce exactly."""


class FeatureSetError(ExportError):
    """A serving file written for another feature set (an older helpnext): sound, but stale."""


# -- export (needs the fitted scikit-learn estimator) -------------------------------------


def _export_trees(hgb, prefix: str) -> dict[str, np.ndarray]:
    if getattr(hgb, "n_trees_per_iteration_", 1) != 1:
        raise ExportError("only binary tree models can be exported")
    trees = [predictors[0] for predictors in hgb._predictors]
    nodes = [tree.nodes for tree in trees]
    if any(n["is_categorical"].any() for n in nodes):
        raise ExportError("categorical splits cannot be exported")
    sizes = np.array([len(n) for n in nodes], dtype=np.int64)
    offsets = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    every = np.concatenate(nodes) if nodes else np.zeros(0, dtype=[("value", "f8")])
    shift = np.repeat(offsets, sizes)
    return {
        f"{prefix}trees.baseline": np.asarray(hgb._baseline_prediction, dtype=np.float64).ravel(),
        f"{prefix}trees.roots": offsets,
        f"{prefix}trees.feature": every["feature_idx"].astype(np.int64),
        f"{prefix}trees.threshold": every["num_threshold"].astype(np.float64),
        f"{prefix}trees.missing_left": every["missing_go_to_left"].astype(bool),
        f"{prefix}trees.left": every["left"].astype(np.int64) + shift,
        f"{prefix}trees.right": every["right"].astype(np.int64) + shift,
        f"{prefix}trees.leaf": every["is_leaf"].astype(bool),
        f"{prefix}trees.value": every["value"].astype(np.float64),
    }


def _export_linear(lin, prefix: str) -> dict[str, np.ndarray]:
    scaler, logistic = lin[0], lin[-1]
    if getattr(scaler, "with_mean", False) or logistic.coef_.shape[0] != 1:
        raise ExportError("the linear part must be StandardScaler(with_mean=False) + binary LR")
    scale = np.ones(len(FEATURE_COLUMNS)) if scaler.scale_ is None else scaler.scale_
    return {
        f"{prefix}lin.scale": np.asarray(scale, dtype=np.float64),
        f"{prefix}lin.coef": np.asarray(logistic.coef_[0], dtype=np.float64),
        f"{prefix}lin.intercept": np.asarray(logistic.intercept_, dtype=np.float64).ravel(),
    }


def export_ranker(model, prefix: str = "") -> dict[str, np.ndarray]:
    """A fitted :class:`pipelines.engagement.train.EngagementRanker` as named arrays (``np.savez``-able
    without pickle). Segment rankers are stored under ``segment.<name>.``."""
    if not hasattr(model, "classes_"):
        raise ExportError("the model is not fitted")
    if list(model.feature_names_in_) != FEATURE_COLUMNS:
        raise ExportError("the model was trained on another feature set")
    orders = [list(pair) for pair in model.segment_orders]
    arrays: dict[str, np.ndarray] = {
        f"{prefix}format": np.array(FORMAT_VERSION),
        f"{prefix}weights": np.asarray(model.weights, dtype=np.float64),
        f"{prefix}baseline": np.array(model.baseline),
        f"{prefix}segment_orders": np.array(orders, dtype=str).reshape(len(orders), 2),
        f"{prefix}classes": np.asarray(model.classes_, dtype=np.int64),
        f"{prefix}features": np.array(FEATURE_COLUMNS),
    }
    if model.hgb_ is not None:
        arrays |= _export_trees(model.hgb_, prefix)
    if model.lin_ is not None:
        arrays |= _export_linear(model.lin_, prefix)
    for segment, sub in sorted(getattr(model, "segment_rankers_", {}).items()):
        arrays |= export_ranker(sub, f"{prefix}segment.{segment}.")
    return arrays


# -- serving (numpy and polars only) ------------------------------------------------------


class PortableRanker(RankBlend):
    """Scores like the exported estimator, from :func:`export_ranker`'s arrays."""

    def __init__(self, arrays: dict[str, np.ndarray], prefix: str = ""):
        def get(name: str):
            return arrays.get(prefix + name)

        if get("format") is None or int(get("format")) != FORMAT_VERSION:
            raise ExportError(f"unknown serving format {get('format')!r}")
        # its own arrays, without the prefix: what :meth:`arrays` hands on (a bundle)
        self._arrays = {k[len(prefix) :]: v for k, v in arrays.items() if k.startswith(prefix)}
        if [str(f) for f in get("features")] != FEATURE_COLUMNS:
            raise FeatureSetError("the serving file was made for another feature set")
        self.weights = tuple(float(w) for w in get("weights"))
        self.baseline = str(get("baseline"))
        self.segment_orders = tuple((str(s), str(o)) for s, o in get("segment_orders"))
        for segment, order in self.segment_orders:
            check_order(segment, order)
        self.classes_ = get("classes")
        self.trees = (
            {k: get(f"trees.{k}") for k in _TREE_KEYS} if get("trees.roots") is not None else None
        )
        self.linear = (
            {k: get(f"lin.{k}") for k in ("scale", "coef", "intercept")}
            if get("lin.coef") is not None
            else None
        )
        self.segment_rankers_ = {}
        for segment, _ in self.segment_orders:
            if f"{prefix}segment.{segment}.format" in arrays:
                self.segment_rankers_[segment] = PortableRanker(
                    arrays, f"{prefix}segment.{segment}."
                )

    def arrays(self, prefix: str = "") -> dict[str, np.ndarray]:
        """The arrays this ranker was read from, under ``prefix``."""
        return {prefix + k: v for k, v in self._arrays.items()}

    def _learned(self, X: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        X = np.asarray(X, dtype=np.float64)
        h = None if self.trees is None else _tree_proba(self.trees, X)
        lin = None
        if self.linear is not None:
            z = signed_log(X) / self.linear["scale"]
            lin = z @ self.linear["coef"] + self.linear["intercept"][0]
        return h, lin

    def predict_proba(self, X) -> np.ndarray:
        h, lin = self._learned(X)
        if h is None and lin is not None:
            h = 1.0 / (1.0 + np.exp(-lin))
        p = np.full(np.shape(X)[0], 0.5) if h is None else h
        return np.column_stack([1 - p, p])


_TREE_KEYS = ("baseline", "roots", "feature", "threshold", "missing_left", "left", "right")
_TREE_KEYS += ("leaf", "value")


# (row, tree) pairs walked at once: the rows go a block at a time, so memory stays bounded
# (half a million rows times a hundred trees at once took gigabytes), the same numbers
TREE_BLOCK_PAIRS = 2_000_000


def _tree_proba(trees: dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """p(label 1): every (row, tree) pair walked down its tree, all pairs of a block of
    rows at once; each step moves only the pairs still at an inner node (work = the
    total path length). A row's number depends on that row alone."""
    n = X.shape[0]
    roots = trees["roots"]
    n_trees = len(roots)
    block = max(1, TREE_BLOCK_PAIRS // max(n_trees, 1))
    if n > block:
        return np.concatenate([_tree_proba(trees, X[i : i + block]) for i in range(0, n, block)])
    row = np.repeat(np.arange(n), n_trees)
    node = np.tile(roots, n)
    leaf = trees["leaf"]
    walking = np.flatnonzero(~leaf[node])
    while walking.size:
        at = node[walking]
        x = X[row[walking], trees["feature"][at]]
        go_left = np.where(np.isnan(x), trees["missing_left"][at], x <= trees["threshold"][at])
        step = np.where(go_left, trees["left"][at], trees["right"][at])
        node[walking] = step
        walking = walking[~leaf[step]]
    values = trees["value"][node].reshape(n, n_trees)
    raw = np.zeros(n) + trees["baseline"][0]
    for t in range(n_trees):  # scikit-learn adds the trees one by one, in order
        raw += values[:, t]
    return 1.0 / (1.0 + np.exp(-raw))


def check_same_scores(model, portable: PortableRanker, frame: pl.DataFrame) -> float:
    """The largest difference between the two forms' ranking scores on ``frame``; raises
    :class:`ExportError` above :data:`TOLERANCE`."""
    if frame.height == 0:
        return 0.0
    a = model.rank_scores(frame)
    b = portable.rank_scores(frame)
    gap = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    if not gap <= TOLERANCE:
        raise ExportError(f"the serving form differs from the estimator by {gap:.3g}")
    return gap


def load_arrays(data: Any) -> dict[str, np.ndarray]:
    """Arrays of a serving file (a path or a file object); never unpickles."""
    with np.load(data, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def serving_form(model, events: pl.DataFrame, as_of) -> dict[str, np.ndarray] | None:
    """The arrays to save beside ``model``, checked to score the features at ``as_of``
    exactly like it; None (score with the estimator) when it cannot be reproduced."""
    from pipelines.features.engagement import build_features

    try:
        arrays = export_ranker(model)
        check_same_scores(model, PortableRanker(arrays), build_features(events, as_of).collect())
    except ExportError:
        return None
    return arrays
