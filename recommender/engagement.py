"""Who: how likely the owner is to reach out to each contact soon.

``engagement_scores`` uses the trained engagement model from the registry when one is
installed and usable; otherwise a transparent heuristic, Interactions Rank (Roth et al.,
KDD 2010): the sum over past exchanges of ``2 ** (outgoing) * 0.5 ** (age / 28 days)``.
Only interactions before ``as_of`` count.
"""

from __future__ import annotations

import sys
from datetime import datetime

import polars as pl

from recommender.store import Store

HALF_LIFE_DAYS = 28.0
OUT_WEIGHT = 2.0
HEURISTIC_VERSION = "interactions-rank-28d"


def interactions_rank(store: Store, owner_id: int, as_of: datetime) -> pl.DataFrame:
    """``contact, engagement`` by Interactions Rank, computed inside DuckDB (one scan)."""
    return store.frame(
        f"""SELECT coalesce(c.merged_into, i.contact_id) AS contact,
                   sum(CASE WHEN i.direction = 'out' THEN {OUT_WEIGHT} ELSE 1.0 END
                       * pow(0.5, date_diff('second', i.ts, ?::TIMESTAMP) / 86400.0
                                  / {HALF_LIFE_DAYS})) AS engagement
            FROM interactions i JOIN contacts c USING (contact_id)
            WHERE i.owner_id = ? AND i.ts < ?
            GROUP BY ALL""",
        [as_of, owner_id, as_of],
    ).with_columns(pl.col("contact").cast(pl.Int64), pl.col("engagement").cast(pl.Float64))


def model_engagement(store: Store, owner_id: int, as_of: datetime, events=None):
    """(scores, model version) from the newest trained engagement model
    (``recommender.model_registry.score_contacts``), or None when none was trained.

    A model that fails its integrity check raises (one clear line: retrain); a model made
    for an older feature set gives way to the heuristic with a note on stderr; any other
    failure of the model path falls back to the heuristic rather than leaving the owner
    without a plan."""
    from recommender.errors import HelpnextError, StaleModelError

    try:
        from recommender import model_registry
    except ImportError:
        return None
    scorer = getattr(model_registry, "score_contacts", None)
    if scorer is None:
        return None
    try:
        result = scorer(store, owner_id, as_of, events)
    except StaleModelError as err:
        print(
            f"helpnext: note: the engagement model {err} (an older helpnext); ranking by "
            "Interactions Rank until you run 'helpnext train'",
            file=sys.stderr,
            flush=True,
        )
        return None
    except HelpnextError:
        raise
    except Exception:  # noqa: BLE001 - any other failure of the model path
        return None
    if result is None:
        return None
    frame, version = result
    return frame.select(
        pl.col("contact").cast(pl.Int64), pl.col("engagement").cast(pl.Float64)
    ), f"engagement:{version}"


def engagement_with_version(
    store: Store, owner_id: int, as_of: datetime, use_model: bool = True
) -> tuple[pl.DataFrame, str]:
    if use_model:
        found = model_engagement(store, owner_id, as_of)
        if found is not None:
            return found
    return interactions_rank(store, owner_id, as_of), HEURISTIC_VERSION


def engagement_scores(store: Store, owner_id: int, as_of: datetime) -> pl.DataFrame:
    """``contact, engagement`` (higher = more likely to reach out within 7 days)."""
    return engagement_with_version(store, owner_id, as_of)[0]


def shipped_default():
    """``(ranker, model_id)`` that scores when a home has no promoted engagement model:
    for now the heuristic above (what ``today`` falls back to), as a ranker over the
    features (:class:`pipelines.score.HeuristicRanker`). The one place to swap in a prior
    shipped with the package."""
    from pipelines.score import HeuristicRanker

    ranker = HeuristicRanker()
    return ranker, ranker.model_id


def promoted_ranker(home):
    """``(ranker, model_id)`` of the home's promoted engagement model
    (``recommender.model_registry.load_engagement_ranker``), else :func:`shipped_default`.
    A model that fails its integrity check raises; one made for an older feature set gives
    way to the default with a note on stderr, as in ``today``."""
    from recommender.errors import StaleModelError
    from recommender.model_registry import load_engagement_ranker

    try:
        found = load_engagement_ranker(home)
    except StaleModelError as err:
        print(
            f"helpnext: note: the engagement model {err} (an older helpnext); scoring with "
            "the default until you run 'helpnext train'",
            file=sys.stderr,
            flush=True,
        )
        found = None
    if found is None:
        return shipped_default()
    model, card = found
    return model, card["model_id"]
