"""Who: how likely the owner is to reach out to each contact soon.

``model_engagement`` uses the promoted engagement model and the ranking ``train`` chose
for the home (:mod:`pipelines.engagement.personal`), or the prior shipped with the package when no
model was trained; only when neither can be used, the plan ranks by a transparent
heuristic, Interactions Rank (Roth et al., KDD 2010; computed with the contact statistics,
:func:`recommender.actions.context.contact_stats`, from the constants here): the sum over past
exchanges of ``2 ** (outgoing) * 0.5 ** (age / 28 days)``.
Only interactions before ``as_of`` count.
"""

from __future__ import annotations

import sys
from datetime import datetime

import polars as pl

from recommender.store.db import Store

HALF_LIFE_DAYS = 28.0
OUT_WEIGHT = 2.0
HEURISTIC_VERSION = "interactions-rank-28d"


def model_engagement(store: Store, owner_id: int, as_of: datetime, events=None):
    """(scores with ``ranked_by``, version) from the promoted engagement model and the
    selection ``train`` made for this home (``recommender.registry.score_contacts``),
    or from the shipped prior when no model was trained; None means: use the heuristic.

    A trained model that fails its integrity check raises (one clear line: retrain). A prior
    that fails its check, or a model made for an older feature set, gives way to the
    heuristic with a note on stderr; any other failure of the model path falls back to the
    heuristic rather than leaving the owner without a plan."""
    from recommender import registry as model_registry
    from recommender.errors import HelpnextError, PriorIntegrityError, StaleModelError

    try:
        frame, version = model_registry.score_contacts(store, owner_id, as_of, events)
    except StaleModelError as err:
        _note(
            f"the engagement model {err} (an older helpnext); ranking by Interactions Rank "
            "until you run 'helpnext train'"
        )
        return None
    except PriorIntegrityError as err:
        _note(f"{err}; ranking by Interactions Rank instead")
        return None
    except HelpnextError:
        raise
    except Exception:  # noqa: BLE001 - any other failure of the model path
        return None
    return frame.select(
        pl.col("contact").cast(pl.Int64), pl.col("engagement").cast(pl.Float64), "ranked_by"
    ), f"engagement:{version}"


def _note(text: str) -> None:
    print(f"helpnext: note: {text}", file=sys.stderr, flush=True)


def ranked_by_options(home, version: str) -> tuple[str, str]:
    """(overall, dormant) options behind a plan's engagement ``version``."""
    from pathlib import Path

    if not version.startswith("engagement:"):
        return "heuristic", "heuristic"
    model_id = version.split("+")[0][len("engagement:") :]
    if model_id.startswith("prior:"):
        return "prior", "prior"
    from recommender import registry as model_registry

    try:
        card = model_registry.verify_card(Path(home), model_id)
    except Exception:  # noqa: BLE001 - a card gone since: say nothing rather than guess
        return "heuristic", "heuristic"
    return model_registry.selection_of(card)


def shipped_default():
    """``(ranker, model_id)`` that scores when a home has no promoted engagement model: the
    prior shipped with the package (:mod:`recommender.prior`), as ``today`` ranks; when the
    prior fails its checks, Interactions Rank (:class:`pipelines.score.HeuristicRanker`),
    with a note on stderr."""
    from pipelines.engagement.personal import PRIOR, PersonalRanker
    from pipelines.score import HeuristicRanker
    from recommender.errors import PriorIntegrityError
    from recommender.prior import load_prior, prior_version

    try:
        prior, card = load_prior()
    except PriorIntegrityError as err:
        _note(f"{err}; scoring with Interactions Rank instead")
        ranker = HeuristicRanker()
        return ranker, ranker.model_id
    return PersonalRanker(PRIOR, PRIOR, {PRIOR: prior}), prior_version(card)


def promoted_ranker(home):
    """``(ranker, model_id)`` of the home's promoted engagement ranking
    (``recommender.registry.load_engagement_ranker``: the model and the selection
    ``train`` recorded), else :func:`shipped_default`. A model that fails its integrity
    check raises; one made for an older feature set, or a ranking whose prior fails its
    checks, gives way to Interactions Rank with a note on stderr, as in ``today``."""
    from pipelines.score import HeuristicRanker
    from recommender.errors import PriorIntegrityError, StaleModelError
    from recommender.registry import load_engagement_ranker

    try:
        found = load_engagement_ranker(home)
    except StaleModelError as err:
        _note(
            f"the engagement model {err} (an older helpnext); scoring with Interactions "
            "Rank until you run 'helpnext train'"
        )
        ranker = HeuristicRanker()
        return ranker, ranker.model_id
    except PriorIntegrityError as err:
        _note(f"{err}; scoring with Interactions Rank instead")
        ranker = HeuristicRanker()
        return ranker, ranker.model_id
    if found is None:
        return shipped_default()
    model, card = found
    return model, card["model_id"]


def serving_key(store: Store, use_model: bool) -> str:
    """The engagement model a plan would use (its id and serving file), or the heuristic."""
    if not use_model:
        return "heuristic"
    from pathlib import Path

    from recommender.registry import list_models

    cards = [c for c in list_models(Path(store.path).parent) if c.get("name") == "engagement"]
    if not cards:  # the shipped prior ranks (the heuristic when it fails its checks)
        from recommender.errors import PriorIntegrityError
        from recommender.prior import prior_version, read_card, stamp

        try:
            return f"{prior_version(read_card())}:{stamp()}"
        except PriorIntegrityError:
            return "heuristic"
    card = cards[-1]
    return f"{card.get('model_id')}:{card.get('card_sha256')}"
