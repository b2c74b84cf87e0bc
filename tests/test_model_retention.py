"""Model files do not pile up (issue 17, point 10): the promoted models and the newest
few of each kind are kept, the rest removed, and ``helpnext models`` says which."""

from __future__ import annotations

import json
from datetime import datetime

from sklearn.linear_model import LogisticRegression

from recommender.registry import list_models, prune_models, save_model
from recommender.store.db import open_store
from recommender.store.models import promoted_ids


def _save(home, name: str, day: int) -> str:
    card = save_model(
        home,
        LogisticRegression(C=float(day)),
        name=name,
        training_data_sha256="x" * 64,
        now=datetime(2024, 1, day),
        serving={"w": __import__("numpy").arange(3.0)},
    )
    return card["model_id"]


def test_keeps_promoted_and_newest_removes_the_rest(helpnext_home, cli, monkeypatch):
    engagement = [_save(helpnext_home, "engagement", d) for d in range(1, 6)]
    preference = [_save(helpnext_home, "preference", d) for d in range(1, 5)]
    with open_store(helpnext_home) as store:
        store.con.execute(
            "INSERT INTO preference_models (model_id, owner_id, trained_at, as_of, n_train, "
            "n_test, metrics, promoted) VALUES (?, 1, ?, ?, 1, 1, '{}', true)",
            [preference[0], datetime(2024, 1, 1), datetime(2024, 1, 1)],
        )
        keep = promoted_ids(store)
    assert keep == {preference[0]}
    removed = prune_models(helpnext_home, keep=keep, last=2)
    assert removed == engagement[:3] + preference[1:2]
    left = {c["model_id"] for c in list_models(helpnext_home)}
    assert left == set(engagement[3:]) | {preference[0]} | set(preference[2:])
    files = sorted(p.name for p in (helpnext_home / "models").iterdir())
    for model_id in removed:
        assert not [f for f in files if f.startswith(model_id)]
    assert (helpnext_home / "models" / "registry.json").exists()  # the history stays whole
    monkeypatch.setenv("HELPNEXT_KEEP_MODELS", "2")
    shown = cli("models", "--json")
    assert shown.exit_code == 0, shown.stderr
    payload = json.loads(shown.stdout)
    assert payload["keep_last"] == 2
    engagement_rows = [r for r in payload["models"] if r["kind"] == "engagement"]
    assert [r["files"] for r in engagement_rows] == ["kept", "kept"]
    text = cli("models")
    assert "newest 2 of each kind" in " ".join(text.stdout.split())


def test_keep_setting_must_be_a_number(helpnext_home, cli, monkeypatch):
    monkeypatch.setenv("HELPNEXT_KEEP_MODELS", "lots")
    result = cli("models")
    assert result.exit_code == 1 and "HELPNEXT_KEEP_MODELS='lots'" in result.stderr
