"""The preference model: labels from answers, IPS weights, training, promotion, the hook."""

import json
import math
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from test_actions_helpers import AS_OF, build_home

from recommender import preference as pref
from recommender.actions.registry import BY_NAME
from recommender.store.db import open_store
from recommender.store.feedback import record

DAY = AS_OF.strftime("%Y-%m-%d")
LATER = AS_OF + timedelta(hours=6)


def test_reason_kinds():
    assert pref.reason_kind("Cy endorsed you for SQL (10 May 2024) and ...") == "endorsed"
    assert pref.reason_kind("Fay has a new role: VP Marketing at Zeta") == "new_role"
    assert pref.reason_kind("last in touch 1 Jun 2023 though you usually talk every ~14 days") == (
        "overdue"
    )
    assert pref.reason_kind("Bo is looking for work (tag 'open to work') and Ana ...") == "looking"
    assert pref.reason_kind("'Scaling PyTorch' fits what Gus cares about: pytorch") == "interest"
    assert pref.reason_kind(None) == "other"


def test_feature_dict_crosses_the_act_with_the_person():
    values = {
        "prior": 0.5,
        "action": "introduce",
        "colleague": True,
        "dormant": False,
        "company": "acme",
        "position": "senior data engineer",
        "tags": ["Hiring"],
        "days_since": 0.0,
        "contact": 7,
    }
    got = pref.feature_dict(values)
    for name in (
        "action=introduce",
        "action=introduce|colleague=True",
        "action=introduce|dormant=False",
        "company=acme",
        "contact=7",
        "tag=hiring",
        "position~data",
        "action=introduce|position~engineer",
    ):
        assert got[name] == 1.0
    assert got["prior"] == 0.5 and got["log_days"] == 0.0 and got["colleague"] == 1.0


def test_metrics_on_hand_checked_numbers():
    y, p, w = [1, 0, 0], [0.8, 0.2, 0.5], [1.0, 1.0, 2.0]
    expected = -(math.log(0.8) + math.log(0.8) + 2 * math.log(0.5)) / 4
    assert pref.ips_log_loss(y, p, w) == pytest.approx(expected)
    days = ["d1", "d1", "d1", "d2", "d2"]
    # day 1: re-ranked top 2 = rows 2 (p .9, done) and 0 (p .5, not); day 2: both done
    assert pref.done_at_k(days, [0, 0, 1, 1, 1], [0.5, 0.1, 0.9, 0.3, 0.2], k=2) == 0.75


def _home_with_plan(cli, helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
    shown = cli("today", "--as-of", DAY, "--n", "6", "--json")
    return ids, {s["action"]: s for s in json.loads(shown.stdout)["suggestions"]}


def test_labels_weights_and_ignored(cli, helpnext_home):
    _, shown = _home_with_plan(cli, helpnext_home)
    with open_store(helpnext_home) as store:
        record(store, shown["introduce"]["id"], "done", acts=BY_NAME, at=LATER)
        record(store, shown["share_article"]["id"], "skipped", acts=BY_NAME, at=LATER)
        record(store, shown["congratulate"]["id"], "snoozed", acts=BY_NAME, days=7, at=LATER)
        record(store, shown["check_in"]["id"], "never", acts=BY_NAME, at=LATER)
        owner = store.owner_id()
        assert pref.training_rows(store, owner, AS_OF + timedelta(hours=3)).height == 0
        same_day = pref.training_rows(store, owner, AS_OF + timedelta(hours=12))
        next_day = pref.training_rows(store, owner, AS_OF + timedelta(days=1, hours=1))
    outcomes = dict(zip(same_day["suggestion_id"], same_day["outcome"], strict=True))
    assert outcomes == {
        shown["introduce"]["id"]: "done",
        shown["share_article"]["id"]: "skipped",
        shown["check_in"]["id"]: "never",
    }  # snoozed: no label; unanswered on the day they were shown: not yet ignored
    got = {
        r["suggestion_id"]: (r["outcome"], r["label"], r["weight"])
        for r in next_day.iter_rows(named=True)
    }
    assert got[shown["reciprocate"]["id"]] == ("ignored", 0, pytest.approx(0.3))
    assert got[shown["send_job"]["id"]] == ("ignored", 0, pytest.approx(0.3))
    assert got[shown["introduce"]["id"]] == ("done", 1, 1.0)
    assert len(got) == 5


def test_inverse_propensity_weights_are_clipped(helpnext_home):
    with open_store(helpnext_home) as store:
        owner = store.owner_id()
        for sid, propensity, status in ((1, 0.5, "done"), (2, 0.01, "skipped"), (3, 0.2, "open")):
            store.con.execute(
                "INSERT INTO suggestions (suggestion_id, as_of, owner_id, contact_id, action, "
                "score, reason, model_version, propensity, created_at, status, status_at, "
                "features) VALUES (?, ?, ?, ?, 'check_in', 0.5, 'r', 'v', ?, ?, ?, ?, '{}')",
                [sid, AS_OF, owner, sid, propensity, AS_OF, status, AS_OF + timedelta(hours=1)],
            )
        rows = pref.training_rows(store, owner, AS_OF + timedelta(days=2))
    assert rows["weight"].to_list() == pytest.approx([2.0, pref.IPS_CLIP, 5.0 * 0.3])


def test_too_little_feedback_trains_nothing(cli, helpnext_home):
    _, shown = _home_with_plan(cli, helpnext_home)
    with open_store(helpnext_home) as store:
        record(store, shown["introduce"]["id"], "done", acts=BY_NAME, at=LATER)
        result = pref.train_preference(store, as_of=AS_OF + timedelta(days=2))
        assert store.scalar("SELECT count(*) FROM preference_models") == 0
    assert not result.trained and not result.promoted
    assert result.summary() == ("preference: not enough answered suggestions yet (6; 40 needed)")


def _fill(store, n_days: int = 24) -> datetime:
    """Past plans of the hand-made home's candidates (shown in 2023), answered by an owner
    who gives back endorsements and congratulates, and skips everything else. Returns the
    training as_of."""
    from recommender.actions.context import build_context
    from recommender.plan.daily import all_candidates

    owner = store.owner_id()
    ctx = build_context(store, owner, AS_OF)
    templates = pref.add_features(ctx, all_candidates(ctx))["features"].to_list()
    start = datetime(2023, 1, 1, 9)
    sid = 1000
    with store.transaction() as con:
        for day in range(n_days):
            for k in range(5):
                features = json.loads(templates[(day * 5 + k) % len(templates)])
                sid += 1
                shown = start + timedelta(days=day)
                liked = features["action"] in ("reciprocate", "congratulate")
                outcome = "done" if liked else "skipped"
                con.execute(
                    "INSERT INTO suggestions (suggestion_id, as_of, owner_id, contact_id, "
                    "action, score, reason, model_version, propensity, created_at, status, "
                    "status_at, features) VALUES (?, ?, ?, ?, ?, ?, 'r', 'v', 1.0, ?, ?, ?, ?)",
                    [
                        sid,
                        shown,
                        owner,
                        features["contact"],
                        features["action"],
                        features["prior"],
                        shown,
                        outcome,
                        shown + timedelta(hours=2),
                        json.dumps(features),
                    ],
                )
    return start + timedelta(days=n_days + 1)


def test_train_promote_and_rank_by_preference(cli, helpnext_home, tmp_path, monkeypatch):
    # engagement by the transparent heuristic (no prior in this folder): the known answers
    # below are the preference model's, on Interactions Rank's "who"
    monkeypatch.setenv("HELPNEXT_PRIOR_DIR", str(tmp_path / "no-prior"))
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        as_of = _fill(store)
        first = pref.train_preference(store, as_of=as_of)
        second = pref.train_preference(store, as_of=as_of)
        stored = store.frame(
            "SELECT model_id, promoted, compared_with, n_train, n_test FROM preference_models "
            "ORDER BY trained_at"
        ).to_dicts()
    assert first.trained and first.promoted and first.compared_with == "prior"
    assert first.metrics["candidate"]["ips_log_loss"] < first.metrics["current"]["ips_log_loss"]
    assert (first.n_train, first.n_test) == (95, 25)  # the newest 20 % of 120, whole days
    # the same data again gives the same model: not better than the promoted one
    assert second.trained and not second.promoted and second.compared_with == first.model_id
    assert second.metrics["candidate"] == second.metrics["current"]
    assert [(r["model_id"], r["promoted"]) for r in stored] == [
        (first.model_id, True),
        (second.model_id, False),
    ]
    assert "promoted" in first.summary() and "kept the current one" in second.summary()

    plan = json.loads(cli("today", "--as-of", DAY, "--n", "3", "--json").stdout)
    assert plan["model_version"].endswith(f"+preference:{first.model_id}")
    top = plan["suggestions"][0]
    assert (top["contact_id"], top["action"]) == (ids["cy"], "reciprocate")
    # what the owner does, and the dormant tie the plan always keeps a place for
    assert {s["action"] for s in plan["suggestions"]} == {"reciprocate", "congratulate", "check_in"}
    with open_store(helpnext_home, read_only=True) as store:
        model, _ = pref.load_promoted(store, store.owner_id(create=False))
        rows = store.frame(
            "SELECT score, features FROM suggestions WHERE as_of = ?", [AS_OF]
        ).to_dicts()
    for r in rows:
        features = json.loads(r["features"])
        p = model.predict_proba([features])[0]
        assert r["score"] == pytest.approx(round(0.2 * features["prior"] + 0.8 * p, 4))


def test_models_lists_every_model(cli, helpnext_home):
    assert cli("models").stdout.strip() == "No model trained yet: `helpnext train` trains them."
    with open_store(helpnext_home) as store:
        build_home(store, items=False)
        as_of = _fill(store)
        first = pref.train_preference(store, as_of=as_of)
        second = pref.train_preference(store, as_of=as_of)
    listed = json.loads(cli("models", "--json").stdout)["models"]
    assert [(m["kind"], m["version"], m["promoted"], m["in_use"]) for m in listed] == [
        ("preference", first.model_id, True, True),
        ("preference", second.model_id, False, False),
    ]
    assert listed[0]["metrics"]["candidate"]["ips_log_loss"] > 0
    table = cli("models")
    assert table.exit_code == 0 and "log loss" in table.stdout


def test_a_tampered_preference_model_is_refused(cli, helpnext_home):
    from recommender.store.paths import models_dir

    with open_store(helpnext_home) as store:
        build_home(store)
        result = pref.train_preference(store, as_of=_fill(store))
    # today reads the serving form (plain arrays), the file it would act on
    serving = models_dir(helpnext_home) / f"{result.model_id}.npz"
    serving.write_bytes(serving.read_bytes() + b"\0")
    refused = cli("today", "--as-of", DAY)
    assert refused.exit_code == 1
    assert "does not match its card" in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_the_serving_form_predicts_like_the_estimator(helpnext_home):
    from pipelines.preference.estimator import PreferenceModel
    from recommender import registry as model_registry

    with open_store(helpnext_home) as store:
        build_home(store)
        result = pref.train_preference(store, as_of=_fill(store))
        rows = pref.training_rows(store, store.owner_id(), datetime(2030, 1, 1))
    features = [json.loads(f) for f in rows["features"].to_list()]
    estimator, _ = model_registry.load_model(helpnext_home, result.model_id, pref.MODEL_NAME)
    assert isinstance(estimator, PreferenceModel)
    arrays, _ = model_registry.load_serving(helpnext_home, result.model_id, pref.MODEL_NAME)
    serving = pref.LinearPreference(arrays)
    expected = estimator.predict_proba(features)
    assert len(expected) == rows.height > 30
    assert np.allclose(serving.predict_proba(features), expected, rtol=0, atol=1e-12)
    unseen = dict(features[0], company="a company never seen", tags=["brand-new-tag"])
    assert np.allclose(
        serving.predict_proba([unseen]), estimator.predict_proba([unseen]), rtol=0, atol=1e-12
    )


def test_add_features_matches_the_context(helpnext_home):
    from recommender.actions.context import build_context
    from recommender.plan.daily import all_candidates

    with open_store(helpnext_home) as store:
        ids = build_home(store)
        store.con.execute(
            "INSERT INTO owner_positions (owner_id, company, title) VALUES (?, 'Gamma', 'PM')",
            [store.owner_id()],
        )
        ctx = build_context(store, store.owner_id(), AS_OF)
        frame = pref.add_features(ctx, all_candidates(ctx))
    by = {
        (r["contact"], r["action"]): json.loads(r["features"]) for r in frame.iter_rows(named=True)
    }
    cy = by[(ids["cy"], "reciprocate")]
    assert cy["colleague"] is True and cy["company"] == "gamma"
    assert cy["reason_kind"] == "endorsed" and cy["position"] == "product designer"
    ed = by[(ids["ed"], "check_in")]
    assert ed["dormant"] is True and ed["colleague"] is False and ed["n_events"] == 40
    assert by[(ids["ana"], "introduce")]["tags"] == ["hiring"]
    assert frame.filter(pl.col("prior") != pl.col("score")).height == 0
