"""Train a personal home's engagement ranking: choose on the owner's own recent past, save.

:func:`train_home` reads the personal owner's events before ``as_of``, loads the shipped
prior (a damaged prior is left out of the comparison, and said so), lets
:func:`pipelines.engagement.personal.select_personal` compare the prior, the owner-only model, their
combination and the heuristics on the owner's newest cutoffs, and saves the result in the
home's model registry: the owner-only model (or, when nothing needs it, a baseline-only
placeholder) with its serving form, and on its card the selection and the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl


@dataclass
class TrainedHome:
    card: dict
    selection: dict
    n_rows: int
    cutoffs: list[datetime]
    prior_note: str | None


def _placeholder_model():
    """A fitted baseline-only ranker: the registry's artifact when no learned model ranks."""
    from pipelines.engagement.train import EngagementRanker
    from pipelines.features.engagement import FEATURE_COLUMNS

    model = EngagementRanker(weights=(0.0, 0.0, 1.0))
    return model.fit(np.zeros((1, len(FEATURE_COLUMNS))), np.zeros(1, dtype=int))


def train_home(
    home: Path, events: pl.DataFrame, as_of: datetime, horizon: timedelta
) -> TrainedHome:
    """Choose and save the home's engagement ranking from ``events`` (one owner's) before
    ``as_of``; see the module docstring."""
    from pipelines.engagement.personal import select_personal
    from pipelines.engagement.serving import serving_form
    from pipelines.engagement.train import events_hash
    from recommender.prior import load_priors, prior_version
    from recommender.registry import record_model, save_model
    from recommender.store.db import open_store

    past = events.filter(pl.col("ts") < as_of)
    priors, cards, refused = load_priors()
    prior_note = "; ".join(f"{line}; compared without it" for line in refused) or None
    prior_id = prior_version(cards["prior"]) if "prior" in cards else None
    result = select_personal(past, as_of, priors, horizon)
    model = result.own if result.own is not None else _placeholder_model()
    selection = result.selection.as_dict() | {"prior": prior_id}
    card = save_model(
        home,
        model,
        training_data_sha256=events_hash(past),
        metrics={"selection": selection, "validation": result.own_validation},
        details={
            "as_of": as_of.isoformat(),
            "horizon_days": horizon.days,
            "training_cutoffs": [c.isoformat() for c in result.cutoffs],
            "training_rows": result.n_rows,
            "selection": {k: selection[k] for k in ("overall", "dormant", "prior")},
        },
        serving=serving_form(model, past, as_of),
    )
    with open_store(home) as store:
        record_model(store, card)  # the daily path serves only the models the store recorded
    return TrainedHome(card, selection, result.n_rows, result.cutoffs, prior_note)


def selection_summary(selection: dict) -> list[str]:
    """The comparison in a few lines a person reads (the ``train`` output)."""
    from pipelines.engagement.personal import label

    lines = []
    if selection.get("note"):
        lines.append(f"Note: {selection['note']}.")
    comparison = selection.get("comparison") or {}
    for part, word in (("overall", "everyone"), ("dormant", "dormant ties")):
        chosen = selection[part]
        scores = comparison.get(part) or {}
        if not scores:
            lines.append(f"Ranking {word} by {label(chosen)}.")
            continue
        heuristics = {k: v for k, v in scores.items() if k.startswith("base:")}
        best_h = max(heuristics, key=heuristics.get) if heuristics else None
        shown = [k for k in ("prior", "prior:chat", "own", "avg:prior+own") if k in scores]
        if best_h:
            shown.append(best_h)
        others = ", ".join(f"{label(k)} {scores[k]:.3f}" for k in shown if k != chosen)
        at = f" (NDCG@10 {scores[chosen]:.3f}" + (f"; {others})" if others else ")")
        lines.append(f"Ranking {word} by {label(chosen)}{at}.")
    n = len(comparison.get("validation_cutoffs", []))
    weeks = comparison.get("every_week_cutoffs")
    if n and weeks:
        lines.append(
            f"Defaults chosen on all {weeks} of your past weekly cutoffs; a change from them "
            f"only on evidence from the {n} most recent, held out from training."
        )
    elif n:
        lines.append(f"Chosen on your {n} most recent weekly cutoffs, held out from training.")
    return lines
