"""Preference: which people, which acts and which reasons the owner actually follows through on.

Learned from feedback on the suggestions ``helpnext today`` showed, on top of the
engagement prior:

* every shown suggestion carries the feature values it was scored with
  (``suggestions.features``, JSON, written by :func:`add_features`);
* labels: done = 1; skipped / never = 0; snoozed = no label; no answer by the next day =
  ignored, a weak negative (weight :data:`IGNORED_WEIGHT`), derived here at training time;
* sample weights = 1 / propensity (inverse propensity scoring, clipped at :data:`IPS_CLIP`)
  times the label weight, so suggestions shown by exploration count for the ones not shown;
* :func:`train_preference` trains a candidate on the older 80 % of the answered suggestions,
  compares it with the model in use (the promoted one, else the engagement prior calibrated
  on the same split) on the newest 20 % by IPS-weighted log loss, saves it through
  :mod:`recommender.registry` (joblib + card with sha256), records the comparison in
  ``preference_models`` and promotes it only when it is better;
* :func:`rescore` is the plan's hook: with a promoted model, ``score = (1 - w) * prior +
  w * p(done)`` (w = :data:`PREFERENCE_WEIGHT`); without one, the prior alone.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.preference.features import DEFAULT_C, feature_dict, reason_kind
from recommender.store.db import Store, utcnow
from recommender.store.models import preference_models, promoted_model_id, record_preference_model
from recommender.store.profiles import owner_companies
from recommender.store.suggestions import answered_features

MODEL_NAME = "preference"
PREFERENCE_WEIGHT = 0.8
IPS_CLIP = 10.0
IGNORED_WEIGHT = 0.3
TEST_SHARE = 0.2
MIN_TRAIN = 30
MIN_TEST = 10
DONE_AT_K = 2
DORMANT_OVERDUE = 1.5
C_GRID = (0.1, 0.3, 1.0)  # regularisation, chosen on the newest part of the training split

LABELS = {"done": 1, "skipped": 0, "never": 0}

# -- features ----------------------------------------------------------------------------


def add_features(ctx, candidates: pl.DataFrame) -> pl.DataFrame:
    """``candidates`` plus ``prior`` (the plan's score before preference) and ``features``
    (JSON of the values the preference model reads)."""
    if candidates.height == 0:
        return candidates.with_columns(
            pl.lit(None, dtype=pl.Float64).alias("prior"),
            pl.lit(None, dtype=pl.String).alias("features"),
        )
    stats = ctx.stats.select(
        "contact",
        pl.col("company").alias("_company"),
        pl.col("position").alias("_position"),
        pl.col("days_since").alias("_days_since"),
        pl.col("overdue").alias("_overdue"),
        pl.col("n_events").alias("_n_events"),
        pl.col("engagement").alias("_engagement"),
    )
    tags = ctx.tags().group_by("contact").agg(pl.col("tag").sort().alias("_tags"))
    companies = owner_companies(ctx.store, ctx.owner)
    frame = candidates.join(stats, on="contact", how="left").join(tags, on="contact", how="left")
    rows = []
    for r in frame.iter_rows(named=True):
        company = (r["_company"] or "").strip().lower()
        overdue = r["_overdue"]
        days = r["_days_since"]
        rows.append(
            json.dumps(
                {
                    "prior": round(float(r["score"]), 4),
                    "who": round(float(r["who"] or 0.0), 4),
                    "fit": round(float(r["fit"] or 0.0), 4),
                    "engagement": round(float(r["_engagement"] or 0.0), 4),
                    "action": r["action"],
                    "reason_kind": reason_kind(r["reason"]),
                    "company": company,
                    "position": (r["_position"] or "").strip().lower(),
                    "colleague": bool(company) and company in companies,
                    "tags": list(r["_tags"] or []),
                    "days_since": None if days is None else round(float(days), 2),
                    "dormant": overdue is not None and overdue >= DORMANT_OVERDUE,
                    "n_events": int(r["_n_events"] or 0),
                    "contact": int(r["contact"]),
                },
                sort_keys=True,
            )
        )
    return candidates.with_columns(
        pl.col("score").alias("prior"), pl.Series("features", rows, dtype=pl.String)
    )


class LinearPreference:
    """The serving form of a trained :class:`~pipelines.preference.estimator.PreferenceModel`:
    one weight per feature name plus an intercept, read from plain arrays (no pickle, no
    scikit-learn import). ``p(done) = 1 / (1 + exp(-(b + sum_k w_k x_k)))``, exactly the
    logistic regression it was exported from."""

    def __init__(self, arrays: dict):
        names = [str(n) for n in arrays["names"]]
        coef = np.asarray(arrays["coef"], dtype=np.float64)
        if len(names) != len(coef):
            raise ValueError(f"{len(names)} feature names but {len(coef)} weights")
        self.weights = dict(zip(names, coef.tolist(), strict=True))
        self.intercept = float(np.asarray(arrays["intercept"], dtype=np.float64).ravel()[0])

    def decision_function(self, features: list[dict]) -> np.ndarray:
        get = self.weights.get
        return np.array(
            [
                self.intercept + sum(get(k, 0.0) * v for k, v in feature_dict(f).items())
                for f in features
            ],
            dtype=np.float64,
        )

    def predict_proba(self, features: list[dict]) -> np.ndarray:
        """p(done) for each row (a 1-D array)."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(features)))


def __getattr__(name: str):
    # the scikit-learn estimators live apart so the daily plan never imports scikit-learn;
    # joblib files saved when they lived here still find them under this module's name
    if name in ("PreferenceModel", "PriorModel"):
        from pipelines.preference import estimator as preference_model

        return getattr(preference_model, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# -- the promoted model and the plan hook ---------------------------------------------------


def home_of(store: Store) -> Path:
    return Path(store.path).parent


def load_promoted(store: Store, owner: int):
    """(model, model_id) of the promoted preference model of ``owner``, or None.

    Its serving form (:class:`LinearPreference`, plain arrays checked against the card); a
    card without one is refused (the daily path never unpickles a model file). A model
    that fails a check raises :class:`ModelIntegrityError`.
    """
    from recommender import registry as model_registry

    model_id = promoted_model_id(store, owner)
    if model_id is None:
        return None
    home = home_of(store)
    found = model_registry.load_serving(
        home, model_id=model_id, name=MODEL_NAME, recorded=model_registry.recorded_cards(store)
    )
    if found is not None:
        try:
            return LinearPreference(found[0]), model_id
        except (KeyError, ValueError) as err:
            raise model_registry.ModelIntegrityError(
                f"preference model {model_id}: serving file unusable ({err}); retrain"
            ) from None
    # the daily path never unpickles: a card without a serving form is refused
    model_registry.verify_model(
        home, model_id=model_id, name=MODEL_NAME, recorded=model_registry.recorded_cards(store)
    )
    raise model_registry.ModelIntegrityError(
        model_registry.NO_SERVING.format(model_id=f"preference model {model_id}")
    )


def rescore(ctx, candidates: pl.DataFrame) -> tuple[pl.DataFrame, str | None]:
    """The plan's preference hook: with a promoted model, features on every candidate,
    ``pref`` = p(done) and ``score`` re-mixed from the prior and it. Returns the candidates
    (sorted by the new score) and the model id used (None: the prior alone)."""
    found = load_promoted(ctx.store, ctx.owner) if candidates.height else None
    if found is None:
        # no model to read them: the features are added to the picks only (``add_features``)
        return candidates.with_columns(pl.lit(None, dtype=pl.Float64).alias("pref")), None
    frame = add_features(ctx, candidates)
    model, model_id = found
    pref = model.predict_proba([json.loads(f) for f in frame["features"].to_list()])
    frame = frame.with_columns(pl.Series("pref", pref, dtype=pl.Float64)).with_columns(
        ((1 - PREFERENCE_WEIGHT) * pl.col("prior") + PREFERENCE_WEIGHT * pl.col("pref"))
        .round(4)
        .alias("score")
    )
    return frame.sort(["score", "contact", "action"], descending=[True, False, False]), model_id


# -- training ----------------------------------------------------------------------------


@dataclass
class PreferenceResult:
    trained: bool
    promoted: bool
    message: str
    model_id: str | None = None
    compared_with: str | None = None
    n_train: int = 0
    n_test: int = 0
    metrics: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        """The comparison in one line (what ``helpnext train`` prints)."""
        if not self.trained:
            return f"preference: {self.message}"
        cand, cur = self.metrics["candidate"], self.metrics["current"]
        verdict = "promoted" if self.promoted else "kept the current one"
        return (
            f"preference {self.model_id}: IPS log loss {cand['ips_log_loss']:.4f} vs "
            f"{cur['ips_log_loss']:.4f} ({self.compared_with}); done@{DONE_AT_K} "
            f"{cand['done_at_k']:.3f} vs {cur['done_at_k']:.3f} on {self.n_test} held-out "
            f"answers; {verdict}"
        )


def training_rows(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """One row per shown suggestion with a label as of ``as_of``: ``suggestion_id, shown_at,
    outcome, label, weight, propensity, features`` (weight = IPS x label weight)."""
    frame = answered_features(store, owner, as_of)
    if frame.height == 0:
        return frame
    ignored_by = as_of - timedelta(days=1)
    frame = frame.with_columns(
        pl.when(pl.col("outcome").is_null() & (pl.col("shown_at") <= ignored_by))
        .then(pl.lit("ignored"))
        .otherwise(pl.col("outcome"))
        .alias("outcome")
    ).filter(pl.col("outcome").is_in(["done", "skipped", "never", "ignored"]))
    ips = (1.0 / pl.col("propensity").clip(1.0 / IPS_CLIP, 1.0)).clip(1.0, IPS_CLIP)
    return frame.with_columns(
        (pl.col("outcome") == "done").cast(pl.Int8).alias("label"),
        (ips * pl.when(pl.col("outcome") == "ignored").then(IGNORED_WEIGHT).otherwise(1.0)).alias(
            "weight"
        ),
    )


def ips_log_loss(y, p, w) -> float:
    y, p, w = np.asarray(y, float), np.clip(np.asarray(p, float), 1e-6, 1 - 1e-6), np.asarray(w)
    if w.sum() <= 0:
        return float("nan")
    return float(-(w * (y * np.log(p) + (1 - y) * np.log(1 - p))).sum() / w.sum())


def done_at_k(days: list, y, p, k: int = DONE_AT_K) -> float:
    """Mean over days of the done-rate among the top ``k`` of that day's shown suggestions
    when re-ranked by ``p`` (ties: the order shown)."""
    frame = pl.DataFrame({"day": days, "y": np.asarray(y, float), "p": np.asarray(p, float)})
    frame = frame.with_row_index("i")
    top = (
        frame.sort(["day", "p", "i"], descending=[False, True, False])
        .group_by("day", maintain_order=True)
        .head(k)
    )
    per_day = top.group_by("day").agg(pl.col("y").mean())
    return float(per_day["y"].mean()) if per_day.height else float("nan")


def _evaluate(model, test: pl.DataFrame, features: list[dict]) -> dict:
    p = model.predict_proba(features)
    y = test["label"].to_numpy()
    return {
        "ips_log_loss": round(ips_log_loss(y, p, test["weight"].to_numpy()), 6),
        "done_at_k": round(done_at_k(test["shown_at"].dt.date().to_list(), y, p), 6),
    }


def choose_c(train: pl.DataFrame, train_x: list[dict]) -> float:
    """The regularisation of :data:`C_GRID` with the lowest IPS log loss on the newest
    :data:`TEST_SHARE` of the training split (fitted on the rest); :data:`DEFAULT_C` when
    that split is too small to tell."""
    n = train.height
    cut = int(n * (1 - TEST_SHARE))
    fit_y, val_y = train["label"][:cut].to_numpy(), train["label"][cut:].to_numpy()
    if cut < MIN_TRAIN or n - cut < MIN_TEST or len(set(fit_y.tolist())) < 2:
        return DEFAULT_C
    from pipelines.preference import estimator as preference_model

    weight = train["weight"].to_numpy()
    scores = {}
    for c in C_GRID:
        model = preference_model.PreferenceModel(C=c).fit(
            train_x[:cut], fit_y, sample_weight=weight[:cut]
        )
        scores[c] = ips_log_loss(val_y, model.predict_proba(train_x[cut:]), weight[cut:])
    return min(C_GRID, key=lambda c: (scores[c], c))


def train_preference(
    store: Store, as_of: datetime | None = None, owner_id: int | None = None
) -> PreferenceResult:
    """Train a candidate preference model on the feedback before ``as_of`` (default now),
    compare it with the model in use on the newest answers, save it, and promote it only
    when it has the lower IPS-weighted log loss. Every trained model is recorded."""
    from threadpoolctl import threadpool_limits

    # a small model: one BLAS/OpenMP thread is fastest, and on a busy machine idle BLAS
    # threads spinning on the other cores slow liblinear down tenfold
    with threadpool_limits(limits=1):
        return _train(store, as_of, owner_id)


def _train(store: Store, as_of: datetime | None, owner_id: int | None) -> PreferenceResult:
    from recommender import registry as model_registry

    as_of = as_of or utcnow()
    owner = owner_id if owner_id is not None else store.owner_id(create=False)
    if owner is None:
        return PreferenceResult(False, False, "no owner in this home yet")
    rows = training_rows(store, owner, as_of)
    n = rows.height
    if n < MIN_TRAIN + MIN_TEST:
        return PreferenceResult(
            False,
            False,
            f"not enough answered suggestions yet ({n}; {MIN_TRAIN + MIN_TEST} needed)",
        )
    boundary = rows["shown_at"][int(n * (1 - TEST_SHARE))]
    train = rows.filter(pl.col("shown_at") < boundary)
    test = rows.filter(pl.col("shown_at") >= boundary)
    if train.height < MIN_TRAIN or test.height < MIN_TEST or train["label"].n_unique() < 2:
        return PreferenceResult(
            False,
            False,
            f"not enough varied feedback yet ({train.height} older and {test.height} newer "
            f"answers, {int(rows['label'].sum())} done)",
        )
    train_x = [json.loads(f) for f in train["features"].to_list()]
    test_x = [json.loads(f) for f in test["features"].to_list()]
    strength = choose_c(train, train_x)
    from pipelines.preference.estimator import PreferenceModel

    candidate = PreferenceModel(C=strength).fit(
        train_x, train["label"].to_numpy(), sample_weight=train["weight"].to_numpy()
    )
    current, compared_with = _model_in_use(store, owner, train, train_x)
    metrics = {
        "candidate": _evaluate(candidate, test, test_x),
        "current": _evaluate(current, test, test_x),
        "test_done_rate": round(float(test["label"].mean()), 6),
        "outcomes": dict(rows.group_by("outcome").len().sort("outcome").iter_rows()),
    }
    promoted = metrics["candidate"]["ips_log_loss"] < metrics["current"]["ips_log_loss"]
    digest = hashlib.sha256(
        rows.select("suggestion_id", "outcome", "features").write_csv().encode()
    ).hexdigest()
    card = model_registry.save_model(
        home_of(store),
        candidate,
        name=MODEL_NAME,
        training_data_sha256=digest,
        metrics=metrics,
        serving=candidate.serving_arrays(),
        details={
            "owner_id": owner,
            "as_of": as_of.isoformat(),
            "n_train": train.height,
            "n_test": test.height,
            "compared_with": compared_with,
            "promoted": promoted,
            "C": strength,
            "ips_clip": IPS_CLIP,
            "ignored_weight": IGNORED_WEIGHT,
        },
    )
    model_registry.record_model(store, card)
    _record_comparison(store, card, owner, as_of, train, test, metrics, compared_with, promoted)
    return PreferenceResult(
        True,
        promoted,
        "promoted" if promoted else "not better than the model in use; not promoted",
        card["model_id"],
        compared_with,
        train.height,
        test.height,
        metrics,
    )


def _model_in_use(store: Store, owner: int, train: pl.DataFrame, train_x: list[dict]):
    """(the model a candidate must beat, what it is): the promoted one, else the engagement
    prior calibrated on the training split (also when the promoted one is unusable)."""
    from pipelines.preference.estimator import PriorModel
    from recommender.errors import ModelIntegrityError

    compared_with = "prior"
    current = None
    try:
        found = load_promoted(store, owner)
    except ModelIntegrityError as err:
        found = None
        compared_with = f"prior (the promoted model is unusable: {err})"
    if found is not None:
        current, compared_with = found
    if current is None:
        current = PriorModel().fit(
            train_x, train["label"].to_numpy(), sample_weight=train["weight"].to_numpy()
        )
    return current, compared_with


def _record_comparison(
    store: Store,
    card: dict,
    owner: int,
    as_of: datetime,
    train: pl.DataFrame,
    test: pl.DataFrame,
    metrics: dict,
    compared_with: str,
    promoted: bool,
) -> None:
    """The candidate's row in ``preference_models``: its split, scores and the outcome."""
    record_preference_model(
        store,
        {
            "model_id": card["model_id"],
            "owner_id": owner,
            "trained_at": utcnow(),
            "as_of": as_of,
            "trained_until": train["shown_at"].max(),
            "n_train": train.height,
            "n_test": test.height,
            "metrics": json.dumps(metrics, sort_keys=True),
            "compared_with": compared_with,
            "promoted": promoted,
            "artifact_sha256": card["artifact_sha256"],
        },
    )


# -- history -------------------------------------------------------------------------------


def model_history(store: Store, home: Path | str) -> list[dict]:
    """Every model trained in ``home``, oldest first: ``kind, version, trained_at, metrics,
    promoted, in_use`` (+ ``compared_with`` for preference models). An engagement model is
    in use when it is the newest (it needs no promotion); a preference model when it is the
    newest promoted one."""
    from recommender import registry as model_registry

    out: list[dict] = []
    for card in model_registry.list_models(Path(home)):
        if card.get("name") == MODEL_NAME:
            continue
        out.append(
            {
                "kind": card.get("name", "?"),
                "version": card.get("model_id", "?"),
                "trained_at": card.get("created_at"),
                "metrics": card.get("metrics") or {},
                "promoted": True,
                "in_use": False,
                "compared_with": None,
            }
        )
    newest: dict[str, dict] = {}
    for row in out:
        newest[row["kind"]] = row
    for row in newest.values():
        row["in_use"] = True
    prefs = preference_models(store)
    in_use = {}
    for model_id, owner, _, _, _, promoted in prefs:
        if promoted:
            in_use[owner] = model_id
    for model_id, owner, trained_at, metrics, compared_with, promoted in prefs:
        out.append(
            {
                "kind": MODEL_NAME,
                "version": model_id,
                "trained_at": trained_at.isoformat() if trained_at else None,
                "metrics": json.loads(metrics),
                "promoted": bool(promoted),
                "in_use": in_use.get(owner) == model_id,
                "compared_with": compared_with,
            }
        )
    return sorted(out, key=lambda r: str(r["trained_at"]))
