"""Old homes keep working: a model saved before the layout moved (its classes pickled under
``pipelines.train`` and friends) loads and scores as before; an artifact naming code this
version does not have is refused in one line that says to retrain."""

from __future__ import annotations

import io
import pickle
import sys

import joblib
import numpy as np
import pytest

from pipelines.engagement import train as train_module
from recommender import registry
from recommender.errors import ModelIntegrityError


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A real engagement model trained on the demo home, and its home."""
    from typer.testing import CliRunner

    from recommender.cli.app import app

    home = tmp_path_factory.mktemp("old-models") / "home"
    runner = CliRunner()
    for args in (["demo"], ["train", "--as-of", "2024-06-20"]):
        result = runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
    return registry.load_model(home)[0], home


def _saved_as_before(model) -> bytes:
    """``model`` dumped as the version before the move wrote it: its class in
    ``pipelines.train``."""
    cls = type(model)
    assert cls.__module__ == "pipelines.engagement.train"
    sys.modules["pipelines.train"] = train_module
    cls.__module__ = "pipelines.train"
    try:
        out = io.BytesIO()
        joblib.dump(model, out)
    finally:
        cls.__module__ = "pipelines.engagement.train"
        del sys.modules["pipelines.train"]
    return out.getvalue()


def test_a_model_saved_before_the_move_loads_and_scores_the_same(trained):
    model, _home = trained
    data = _saved_as_before(model)
    assert b"pipelines.train" in data
    with pytest.raises(ModuleNotFoundError):  # plain unpickling no longer finds it
        joblib.load(io.BytesIO(data))
    loaded = registry.unpickle_model(data)
    assert type(loaded) is type(model)
    assert "pipelines.train" not in sys.modules  # the alias lasted only while loading
    rows = np.random.default_rng(0).normal(size=(50, model.n_features_in_))
    assert np.array_equal(loaded.predict_proba(rows), model.predict_proba(rows))


def test_an_artifact_naming_unknown_code_is_refused_in_one_line():
    class Gone:
        pass

    Gone.__module__ = "pipelines.never_was"
    Gone.__qualname__ = "Gone"
    sys.modules["pipelines.never_was"] = type(sys)("pipelines.never_was")
    sys.modules["pipelines.never_was"].Gone = Gone
    try:
        data = pickle.dumps(Gone())
    finally:
        del sys.modules["pipelines.never_was"]
    with pytest.raises(ModelIntegrityError, match="retrain with 'helpnext train'") as err:
        registry.unpickle_model(data, "models/old.joblib")
    assert "\n" not in str(err.value) and str(err.value).startswith("models/old.joblib")
