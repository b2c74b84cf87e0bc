"""The engagement ranker's serving form scores exactly like the estimator, is checked
against its card, never unpickles, and keeps scikit-learn out of the daily plan."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.engagement.serving import (
    ExportError,
    PortableRanker,
    check_same_scores,
    export_ranker,
    load_arrays,
    serving_form,
)
from pipelines.engagement.train import EngagementRanker, _fit, training_cutoffs, training_set
from pipelines.features.engagement import FEATURE_COLUMNS, build_features
from pipelines.ingest.edges import events_from_edges, read_edges
from recommender import registry as model_registry
from recommender.errors import ModelIntegrityError

DEPT3 = (
    Path(__file__).resolve().parents[2]
    / "shared/data/interactions/email-Eu-core-temporal-Dept3.txt"
)


@pytest.fixture(scope="module")
def dept3():
    events = events_from_edges(read_edges(DEPT3))
    ts = events["ts"]
    cutoff = ts.min() + (ts.max() - ts.min()) * 0.6
    past = events.filter(pl.col("ts") < cutoff)
    data, _ = training_set(past, training_cutoffs(past, cutoff, n=12))
    frame = build_features(past, cutoff).collect()
    return past, cutoff, data, frame


def _round_trip(model) -> PortableRanker:
    buffer = io.BytesIO()
    np.savez(buffer, **export_ranker(model))
    buffer.seek(0)
    return PortableRanker(load_arrays(buffer))


@pytest.mark.parametrize(
    "orders",
    [
        (),
        (("dormant", "learned"),),
        (("dormant", "mix:ir_28d_w2"),),
        (("dormant", "base:recency"),),
    ],
)
def test_every_part_and_segment_order_scores_exactly_like_the_estimator(dept3, orders):
    _, _, data, frame = dept3
    model = _fit(EngagementRanker(segment_orders=orders), data)
    assert model.hgb_ is not None and model.lin_ is not None
    portable = _round_trip(model)
    for weights in [(0.5, 0.5, 0.0), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.25, 0.25, 0.5)]:
        expected = model.rank_scores(frame, weights)
        assert np.abs(portable.rank_scores(frame, weights) - expected).max() <= 1e-12
    assert check_same_scores(model, portable, frame) <= 1e-12
    X = frame.select(FEATURE_COLUMNS).to_numpy()
    assert np.abs(portable.predict_proba(X) - model.predict_proba(X)).max() <= 1e-12


def test_missing_values_take_the_branch_the_trees_learned(dept3):
    _, _, data, frame = dept3
    model = _fit(EngagementRanker(weights=(1.0, 0.0, 0.0)), data)
    portable = _round_trip(model)
    X = frame.select(FEATURE_COLUMNS).to_numpy().copy()
    rng = np.random.default_rng(3)
    X[rng.random(X.shape) < 0.2] = np.nan
    assert np.abs(portable.predict_proba(X) - model.predict_proba(X)).max() <= 1e-12


def test_a_model_that_cannot_be_reproduced_gets_no_serving_form(dept3):
    past, cutoff, data, _ = dept3
    model = _fit(EngagementRanker(), data)
    assert serving_form(model, past, cutoff) is not None
    model.hgb_.n_trees_per_iteration_ = 2  # as if multi-class: not exportable
    with pytest.raises(ExportError):
        export_ranker(model)
    assert serving_form(model, past, cutoff) is None


def _train_home(cli, tmp_path, helpnext_home) -> Path:
    """A personal home: person 0 of Dept3 as "me", every message to or from them."""
    edges = read_edges(DEPT3)
    when = pl.from_epoch("ts", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S").alias("date")
    out = edges.filter(pl.col("src") == 0).select(
        pl.col("dst").cast(pl.String).alias("contact_id"), when, pl.lit("out").alias("direction")
    )
    back = edges.filter(pl.col("dst") == 0).select(
        pl.col("src").cast(pl.String).alias("contact_id"), when, pl.lit("in").alias("direction")
    )
    path = tmp_path / "interactions.csv"
    pl.concat([out, back]).with_columns(pl.lit("email").alias("channel")).write_csv(path)
    imported = cli("import", "csv", "--interactions", path)
    assert imported.exit_code == 0, imported.stderr
    trained = cli("train", "--json")
    assert trained.exit_code == 0, trained.stderr
    return helpnext_home


def test_train_writes_a_serving_form_recorded_in_the_card(cli, tmp_path, helpnext_home):
    home = _train_home(cli, tmp_path, helpnext_home)
    card = model_registry.list_models(home)[-1]
    serving = home / "models" / card["serving"]["file"]
    assert serving.suffix == ".npz" and (serving.stat().st_mode & 0o777) == 0o600
    arrays, loaded = model_registry.load_serving(home)
    assert loaded["model_id"] == card["model_id"]
    estimator, _ = model_registry.load_model(home)
    assert list(arrays) == list(export_ranker(estimator))


def test_a_tampered_serving_file_is_refused_in_one_line(cli, tmp_path, helpnext_home):
    home = _train_home(cli, tmp_path, helpnext_home)
    card = model_registry.list_models(home)[-1]
    serving = home / "models" / card["serving"]["file"]
    data = bytearray(serving.read_bytes())
    data[len(data) // 2] ^= 0xFF
    serving.write_bytes(bytes(data))
    refused = cli("today")
    assert refused.exit_code == 1
    assert "does not match its card" in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_a_model_from_an_older_feature_set_gives_way_to_the_heuristic_with_a_note(
    cli, tmp_path, helpnext_home
):
    home = _train_home(cli, tmp_path, helpnext_home)

    def older(arrays: dict) -> dict:
        return arrays | {"features": arrays["features"][:-1]}  # what an older helpnext wrote

    card_path, card = _rewrite_serving(home, older)
    _record(home, card)  # as the older helpnext that trained it would have
    planned = cli("today", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert "another feature set" in planned.stderr and "helpnext train" in planned.stderr
    assert json.loads(planned.stdout)["model_version"].startswith("interactions-rank-28d")


def test_a_serving_file_that_needs_pickle_is_refused_even_with_a_matching_card(
    cli, tmp_path, helpnext_home
):
    import hashlib

    home = _train_home(cli, tmp_path, helpnext_home)
    card_path = sorted((home / "models").glob("engagement-*.json"))[-1]
    card = json.loads(card_path.read_text())
    marker = tmp_path / "ran"
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array([_Marker(marker)], dtype=object))
    data = buffer.getvalue()
    (home / "models" / card["serving"]["file"]).write_bytes(data)
    card["serving"]["sha256"] = hashlib.sha256(data).hexdigest()
    card["card_sha256"] = model_registry._card_digest(card)
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelIntegrityError, match="not a plain-array serving file"):
        model_registry.load_serving(home)
    assert not marker.exists()


class _Marker:
    """Unpickling this would create a file: proof that nothing was unpickled."""

    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return (Path.touch, (Path(self.path),))


def test_the_daily_plan_with_a_trained_model_never_imports_scikit_learn(
    cli, tmp_path, helpnext_home
):
    home = _train_home(cli, tmp_path, helpnext_home)
    code = (
        "import sys\n"
        "from recommender.store.db import open_store\n"
        "from recommender.plan.daily import build_plan\n"
        f"with open_store({str(home)!r}, read_only=True) as store:\n"
        "    plan = build_plan(store, n=5, save=False)\n"
        "print(plan.model_version.split('+')[0], plan.suggestions.height,\n"
        "      sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy')\n"
        "             and m.startswith(('sklearn', 'scipy.stats'))))\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    version, height, loaded = done.stdout.split(" ", 2)
    assert version.startswith("engagement:engagement-")
    assert int(height) > 0
    assert loaded.strip() == "[]"


def _rewrite_serving(home: Path, change) -> tuple[Path, dict]:
    """Rewrite the newest engagement model's serving file with ``change(arrays)`` and its
    card with both sha256 recomputed, as whoever can write models/ could."""
    import hashlib

    card_path = sorted((home / "models").glob("engagement-*.json"))[-1]
    card = json.loads(card_path.read_text())
    serving = home / "models" / card["serving"]["file"]
    with np.load(serving, allow_pickle=False) as npz:
        arrays = change(dict(npz))
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    serving.write_bytes(buffer.getvalue())
    card["serving"]["sha256"] = hashlib.sha256(buffer.getvalue()).hexdigest()
    card["card_sha256"] = model_registry._card_digest(card)
    card_path.write_text(json.dumps(card))
    return card_path, card


def _record(home: Path, card: dict) -> None:
    from recommender.store.db import open_store

    with open_store(home) as store:
        model_registry.record_model(store, card)


def test_a_forged_card_without_a_serving_form_never_gets_its_pickle_run(
    cli, tmp_path, helpnext_home
):
    """Whoever can write models/ swaps in a pickle, drops "serving" from the card and
    recomputes both hashes: the daily path refuses in one line and runs nothing (the card
    is not the one the store recorded; and were it recorded, a card without a serving
    form is refused: the daily path never unpickles)."""
    import hashlib

    home = _train_home(cli, tmp_path, helpnext_home)
    card_path = sorted((home / "models").glob("engagement-*.json"))[-1]
    card = json.loads(card_path.read_text())
    marker = tmp_path / "ran"
    artifact = home / "models" / card["artifact"]
    import pickle

    artifact.write_bytes(pickle.dumps(_Marker(marker)))
    card["artifact_sha256"] = hashlib.sha256(artifact.read_bytes()).hexdigest()
    card.pop("serving")
    card["card_sha256"] = model_registry._card_digest(card)
    card_path.write_text(json.dumps(card))
    for command in (("today",), ("score", "--out", str(tmp_path / "s.csv"))):
        refused = cli(*command)
        assert refused.exit_code == 1, (command, refused.stdout)
        assert "not the model helpnext recorded" in refused.stderr
        assert refused.stderr.count("\n") == 1
        assert not marker.exists()
    _record(home, card)  # even a card the store recorded: never unpickled
    for command in (("today",), ("score", "--out", str(tmp_path / "s.csv"))):
        refused = cli(*command)
        assert refused.exit_code == 1, (command, refused.stdout)
        assert "never unpickles" in refused.stderr and refused.stderr.count("\n") == 1
        assert not marker.exists()
    assert not (tmp_path / "s.csv").exists()


def test_rewritten_serving_file_and_card_with_their_hashes_are_refused(
    cli, tmp_path, helpnext_home
):
    """Editing files under models/ alone (a valid plain-array serving file with other
    numbers, the card's two sha256 recomputed) is refused by today and score in one line,
    and `helpnext models` shows the model as damaged."""
    home = _train_home(cli, tmp_path, helpnext_home)

    def zeroed(arrays: dict) -> dict:
        return {k: (v * 0 if v.dtype.kind == "f" else v) for k, v in arrays.items()}

    card_path, card = _rewrite_serving(home, zeroed)
    assert model_registry.load_serving(home) is not None  # its own checks all hold
    line = f"helpnext: error: {card_path}: not the model helpnext recorded when it was trained"
    for command in (("today",), ("score", "--out", str(tmp_path / "s.csv"))):
        refused = cli(*command)
        assert refused.exit_code == 1, (command, refused.stdout)
        assert refused.stderr.startswith(line) and refused.stderr.count("\n") == 1
    assert not (tmp_path / "s.csv").exists()
    listed = json.loads(cli("models", "--json").stdout)["models"]
    (shown,) = [m for m in listed if m["version"] == card["model_id"]]
    assert shown["files"] == "damaged" and "not the model helpnext recorded" in shown["damaged"]


def test_a_model_trained_before_the_record_is_trusted_on_first_use(cli, tmp_path, helpnext_home):
    """A home from before the store recorded models: the upgrade records the models it
    finds intact (trust on first use), and the plan ranks with them as before."""
    import duckdb

    home = _train_home(cli, tmp_path, helpnext_home)
    con = duckdb.connect(str(home / "helpnext.duckdb"))
    con.execute("DROP TABLE model_files")
    con.execute("DELETE FROM schema_version WHERE version = 7")
    con.close()
    planned = cli("today", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert json.loads(planned.stdout)["model_version"].startswith("engagement:engagement-")
    con = duckdb.connect(str(home / "helpnext.duckdb"), read_only=True)
    hows = {h for (h,) in con.execute("SELECT how FROM model_files").fetchall()}
    con.close()
    assert hows == {"found"}


def test_train_on_a_damaged_registry_installs_nothing(cli, tmp_path, helpnext_home):
    home = _train_home(cli, tmp_path, helpnext_home)
    before = sorted(p.name for p in (home / "models").iterdir())
    (home / "models" / "registry.json").write_text("{not json")
    failed = cli("train")
    assert failed.exit_code == 1
    assert "model registry is damaged" in failed.stderr and failed.stderr.count("\n") == 1
    after = sorted(p.name for p in (home / "models").iterdir())
    assert after == before  # no new model file, card or serving file


def test_models_flags_a_damaged_model_file_without_loading_it(cli, tmp_path, helpnext_home):
    home = _train_home(cli, tmp_path, helpnext_home)
    listed = json.loads(cli("models", "--json").stdout)["models"]
    engagement = [m for m in listed if m["kind"] == "engagement"][-1]
    assert engagement["files"] == "kept" and engagement["damaged"] is None
    artifact = home / "models" / f"{engagement['version']}.joblib"
    data = bytearray(artifact.read_bytes())
    data[len(data) // 2] ^= 0xFF
    artifact.write_bytes(bytes(data))
    listed = json.loads(cli("models", "--json").stdout)["models"]
    engagement = [m for m in listed if m["version"] == engagement["version"]][0]
    assert engagement["files"] == "damaged" and "does not match its card" in engagement["damaged"]
    shown = cli("models")
    assert shown.exit_code == 0 and "Damaged:" in shown.stdout and "damaged" in shown.stdout
