"""The preference estimators (scikit-learn): trained by ``helpnext train``, never imported by
the daily plan, which scores with their serving form
(:class:`recommender.preference.LinearPreference`)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from pipelines.preference.features import DEFAULT_C, feature_dict


def _int32_indices(matrix):
    """liblinear takes only 32-bit sparse indices; DictVectorizer may build 64-bit ones."""
    matrix = matrix.tocsr()
    matrix.indices = matrix.indices.astype(np.int32)
    matrix.indptr = matrix.indptr.astype(np.int32)
    return matrix


class PreferenceModel(BaseEstimator):
    """Logistic regression on named suggestion features (:func:`feature_dict`): p(done | shown).

    The feature names seen in training are kept (a ``DictVectorizer``), so the model exports
    as one weight per name (:meth:`serving_arrays`); names first seen later weigh nothing.
    """

    def __init__(self, C: float = DEFAULT_C, n_features: int = 2**14, random_state: int = 0):
        self.C = C
        self.n_features = n_features  # only read by models saved before named features
        self.random_state = random_state

    def _matrix(self, features: list[dict], fit: bool = False):
        rows = [feature_dict(f) for f in features]
        if fit:
            self.vectorizer_ = DictVectorizer(sparse=True)
            return _int32_indices(self.vectorizer_.fit_transform(rows))
        if hasattr(self, "vectorizer_"):
            return _int32_indices(self.vectorizer_.transform(rows))
        from sklearn.feature_extraction import FeatureHasher  # a model saved by 0.1

        hasher = FeatureHasher(n_features=self.n_features, input_type="dict", alternate_sign=False)
        return hasher.transform(rows)

    def fit(self, features: list[dict], y, sample_weight=None) -> PreferenceModel:
        y = np.asarray(y, dtype=int)
        if len(features) != len(y):
            raise ValueError(f"{len(features)} feature rows but {len(y)} labels")
        if len(set(y.tolist())) < 2:
            raise ValueError("need both outcomes (done and not done) to learn a preference")
        self.model_ = LogisticRegression(
            C=self.C, solver="liblinear", max_iter=1000, random_state=self.random_state
        ).fit(self._matrix(features, fit=True), y, sample_weight=sample_weight)
        self.n_train_ = len(y)
        return self

    def serving_arrays(self) -> dict[str, np.ndarray]:
        """The model as plain arrays for :class:`recommender.preference.LinearPreference`."""
        check_is_fitted(self, "vectorizer_")
        return {
            "names": np.array(self.vectorizer_.get_feature_names_out(), dtype=str),
            "coef": np.asarray(self.model_.coef_[0], dtype=np.float64),
            "intercept": np.asarray(self.model_.intercept_, dtype=np.float64).ravel(),
        }

    def predict_proba(self, features: list[dict]) -> np.ndarray:
        """p(done) for each row (a 1-D array)."""
        check_is_fitted(self, "model_")
        if not features:
            return np.zeros(0)
        return self.model_.predict_proba(self._matrix(features))[:, 1]


class PriorModel(BaseEstimator):
    """The engagement prior alone, calibrated to p(done): what ranks with no preference."""

    def fit(self, features: list[dict], y, sample_weight=None) -> PriorModel:
        x = np.array([[float(f.get("prior") or 0.0)] for f in features])
        y = np.asarray(y, dtype=int)
        if len(set(y.tolist())) < 2:
            self.constant_ = float(y.mean()) if len(y) else 0.5
        else:
            self.model_ = LogisticRegression(solver="liblinear").fit(
                x, y, sample_weight=sample_weight
            )
        return self

    def predict_proba(self, features: list[dict]) -> np.ndarray:
        x = np.array([[float(f.get("prior") or 0.0)] for f in features]).reshape(-1, 1)
        if hasattr(self, "constant_"):
            return np.full(len(features), self.constant_)
        check_is_fitted(self, "model_")
        return self.model_.predict_proba(x)[:, 1]
