"""Training, and the model registry: save / load round trip, and a tampered or edited
model refused before anything is unpickled."""

from __future__ import annotations

import json
import os
import pickle
import stat
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.engagement.ranking import reorder_within
from pipelines.engagement.train import (
    CUTOFF,
    EngagementRanker,
    by_group,
    train_engagement,
    training_cutoffs,
    training_set,
)
from pipelines.features.engagement import FEATURE_COLUMNS, build_features
from pipelines.ingest.edges import events_from_edges
from recommender import registry as model_registry
from recommender.errors import ModelIntegrityError, NotFoundError

EPOCH = datetime(1970, 1, 1)


def _log(seed: int = 0, n_nodes: int = 20, n_events: int = 3000, days: int = 80) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    src = rng.integers(0, n_nodes, n_events)
    dst = (src + rng.geometric(0.4, n_events)) % n_nodes
    ts = np.sort(rng.integers(0, days * 86_400, n_events))
    return events_from_edges(pl.DataFrame({"src": src, "dst": dst, "weight": 1.0, "ts": ts}))


@pytest.fixture(scope="module")
def trained():
    events = _log()
    as_of = EPOCH + timedelta(days=70)
    return events, as_of, train_engagement(events, as_of)


def test_training_cutoffs_never_let_labels_reach_past_t(trained):
    events, as_of, result = trained
    h = timedelta(days=7)
    assert result.cutoffs and all(t + h <= as_of for t in result.cutoffs)
    assert training_cutoffs(events, as_of, h, n=3) == [as_of - h, as_of - 2 * h, as_of - 3 * h]
    assert "fallback" not in result.validation
    assert sum(result.validation["chosen_weights"]) == pytest.approx(1.0)


def test_save_load_round_trip_gives_the_same_scores(trained, tmp_path):
    events, as_of, result = trained
    card = model_registry.save_model(
        tmp_path, result.model, training_data_sha256=result.data_hash, metrics={"x": 1.0}
    )
    artifact = tmp_path / "models" / card["artifact"]
    assert stat.S_IMODE(os.stat(artifact).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(artifact.with_suffix(".json")).st_mode) == 0o600
    for key in ("python", "scikit-learn", "polars"):
        assert card["versions"][key]
    assert card["artifact_sha256"] == model_registry.sha256_file(artifact)
    model, loaded_card = model_registry.load_model(tmp_path)
    assert loaded_card == card
    frame = build_features(events, as_of).collect()
    assert np.array_equal(model.rank_scores(frame), result.model.rank_scores(frame))
    assert [c["model_id"] for c in model_registry.list_models(tmp_path)] == [card["model_id"]]
    assert model_registry.history(tmp_path)[-1]["model_id"] == card["model_id"]


class _Marker:
    """Unpickling this creates a file: proof that the pickle was executed."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def _save_small(home):
    model = EngagementRanker(weights=(0.0, 0.0, 1.0)).fit(
        np.zeros((2, len(FEATURE_COLUMNS))), np.array([0, 1])
    )
    return model_registry.save_model(home, model, training_data_sha256="0" * 64)


def test_a_swapped_model_file_is_refused_before_unpickling(tmp_path):
    card = _save_small(tmp_path)
    marker = tmp_path / "pwned"
    artifact = tmp_path / "models" / card["artifact"]
    artifact.write_bytes(pickle.dumps(_Marker(marker)))
    with pytest.raises(ModelIntegrityError, match="does not match its card"):
        model_registry.load_model(tmp_path)
    assert not marker.exists()


def test_an_edited_card_is_refused_before_unpickling(tmp_path):
    card = _save_small(tmp_path)
    marker = tmp_path / "pwned"
    folder = tmp_path / "models"
    # the attacker swaps the model AND writes its hash into the card
    evil = pickle.dumps(_Marker(marker))
    (folder / card["artifact"]).write_bytes(evil)
    card_path = folder / f"{card['model_id']}.json"
    edited = json.loads(card_path.read_text())
    edited["artifact_sha256"] = model_registry.hashlib.sha256(evil).hexdigest()
    card_path.write_text(json.dumps(edited))
    with pytest.raises(ModelIntegrityError, match="card was edited"):
        model_registry.load_model(tmp_path)
    assert not marker.exists()


def test_no_model_yet_is_a_clear_not_found(tmp_path):
    with pytest.raises(NotFoundError, match="helpnext train"):
        model_registry.load_model(tmp_path)


def test_too_little_history_falls_back_to_the_baseline():
    events = _log(n_nodes=3, n_events=20, days=40)
    result = train_engagement(events, EPOCH + timedelta(days=35))
    assert "fallback" in result.validation
    frame = build_features(events, EPOCH + timedelta(days=35)).collect()
    assert np.allclose(result.model.rank_scores(frame), frame["ir_28_w2"].to_numpy())


def test_reorder_within_keeps_the_segments_slots_and_applies_the_inner_order():
    # owner 1: rows 0..3 with overall scores 4 3 2 1; rows 1 and 3 form the segment
    owner = np.array([1, 1, 1, 1, 2, 2])
    overall = np.array([4.0, 3.0, 2.0, 1.0, 2.0, 1.0])
    within = np.array([0.0, 0.1, 0.0, 0.9, 0.5, 0.7])
    mask = np.array([False, True, False, True, True, True])
    out = reorder_within(owner, overall, within, mask)
    # row 3 now takes the better segment slot (3.0), row 1 the worse (1.0); others unchanged
    assert out.tolist() == [4.0, 1.0, 2.0, 3.0, 1.0, 2.0]


def test_dormant_order_is_chosen_on_earlier_cutoffs_and_survives_save_load(trained, tmp_path):
    events, as_of, result = trained
    seg = result.validation["segments"]["dormant"]
    assert seg["chosen"] in seg["orders"] and seg["groups"] > 0
    assert result.model.segment_orders == (("dormant", seg["chosen"]),)
    card = model_registry.save_model(tmp_path, result.model, training_data_sha256="0" * 64)
    model, _ = model_registry.load_model(tmp_path, card["model_id"])
    frame = build_features(events, as_of).collect()
    assert np.array_equal(model.rank_scores(frame), result.model.rank_scores(frame))


def test_an_unknown_segment_order_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="'model', 'learned'"):
        EngagementRanker(segment_orders=(("dormant", "nonsense"),)).fit(
            np.zeros((2, len(FEATURE_COLUMNS))), np.array([0, 1])
        )


def test_validation_ranks_each_cutoff_apart_as_serving_does(trained):
    # the same owners at two cutoffs in one frame: by_group keeps every owner's percentile
    # ranks, segment re-orders and ties inside one cutoff, as serving one cutoff does
    events, as_of, result = trained
    data, used = training_set(events, training_cutoffs(events, as_of, n=2))
    assert len(used) == 2
    scores = result.model.rank_scores(by_group(data))
    for c in range(2):
        rows = (data[CUTOFF] == c).to_numpy()
        alone = result.model.rank_scores(data.filter(pl.col(CUTOFF) == c))
        assert np.allclose(scores[rows], alone)
    keyed = by_group(data)
    assert keyed.select(CUTOFF, "_owner").n_unique() == keyed["owner"].n_unique()
