"""Saved models: a joblib artifact plus a JSON model card, verified before loading.

joblib files run code when they are unpickled, so :func:`load_model` first checks that
the artifact's sha256 matches the card's, and that the card itself is unchanged (the card
carries a sha256 of its own content), and refuses with :class:`ModelIntegrityError`
*before* anything is unpickled.

Those checksums are unkeyed: whoever can write ``models/`` can recompute them. So the
store records each saved model's card checksum (table ``model_files``, :func:`record_model`)
and the daily path serves a model only when its card is the recorded one: editing files
under ``models/`` alone is refused. Models found when a home is first opened by this
version are recorded as found (trust on first use, :func:`record_found_models`).

Layout, in ``<home>/models/``::

    engagement-20260101T120000Z.joblib   the estimator (mode 0600)
    engagement-20260101T120000Z.npz      its serving form, when it has one (mode 0600)
    engagement-20260101T120000Z.json     its card (mode 0600)
    registry.json                         history: every save, newest last

The serving form (:func:`load_serving`) is plain numeric arrays read with
``allow_pickle=False``: the daily plan scores with it without unpickling anything and
without importing scikit-learn (``pipelines.engagement.serving``). Its sha256 is in the card too.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.cards import card_digest as _card_digest
from recommender.errors import ModelIntegrityError, NotFoundError, StaleModelError, StoreError
from recommender.store.models import record_model_file, recorded_cards
from recommender.store.paths import ensure_home, models_dir, private_dir

CARD_VERSION = 1
REGISTRY_FILE = "registry.json"
ARTIFACT_SUFFIX = ".joblib"
SERVING_SUFFIX = ".npz"
CARD_SUFFIX = ".json"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_private(path: Path, data: bytes) -> None:
    """Write atomically (temp file in the same folder, then rename), mode 0600."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def versions() -> dict[str, str]:
    import joblib

    from pipelines.engagement.prior import library_versions

    return library_versions() | {"joblib": joblib.__version__}


def save_model(
    home: Path,
    model: Any,
    *,
    name: str = "engagement",
    training_data_sha256: str,
    metrics: dict[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
    serving: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Save ``model`` and its card in ``<home>/models``; return the card.

    ``serving`` (named numpy arrays, e.g. :func:`pipelines.engagement.serving.export_ranker`) is
    saved beside it as ``<model_id>.npz`` and recorded in the card."""
    import joblib

    if not name.replace("-", "").replace("_", "").isalnum():
        raise StoreError(f"model name {name!r}: use letters, digits, '-' and '_' only")
    folder = private_dir(models_dir(ensure_home(Path(home))))
    history = _read_registry(folder)  # a damaged registry stops us before any file is written
    now = now or datetime.now(UTC).replace(tzinfo=None)
    model_id = f"{name}-{now:%Y%m%dT%H%M%S%fZ}"
    artifact = folder / f"{model_id}{ARTIFACT_SUFFIX}"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{artifact.name}.", suffix=".tmp")
    os.close(fd)
    try:
        joblib.dump(model, tmp)
        os.chmod(tmp, 0o600)
        digest = sha256_file(Path(tmp))
        os.replace(tmp, artifact)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    card: dict[str, Any] = {
        "card_version": CARD_VERSION,
        "model_id": model_id,
        "name": name,
        "artifact": artifact.name,
        "artifact_sha256": digest,
        "created_at": now.isoformat(),
        "estimator": f"{type(model).__module__}.{type(model).__qualname__}",
        "params": _jsonable(model.get_params()) if hasattr(model, "get_params") else {},
        "versions": versions(),
        "training_data_sha256": training_data_sha256,
        "metrics": metrics or {},
        "details": details or {},
    }
    if serving is not None:
        import numpy as np

        buffer = io.BytesIO()
        np.savez(buffer, **serving)
        data = buffer.getvalue()
        serving_path = folder / f"{model_id}{SERVING_SUFFIX}"
        _write_private(serving_path, data)
        card["serving"] = {"file": serving_path.name, "sha256": hashlib.sha256(data).hexdigest()}
    card["card_sha256"] = _card_digest(card)
    _write_private(folder / f"{model_id}{CARD_SUFFIX}", _dumps(card))
    history.append(
        {"model_id": model_id, "name": name, "saved_at": now.isoformat(), "artifact_sha256": digest}
    )
    _write_private(folder / REGISTRY_FILE, _dumps({"models": history}))
    return card


def _dumps(payload: Any) -> bytes:
    return (json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n").encode()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def _read_registry(folder: Path) -> list[dict[str, Any]]:
    path = folder / REGISTRY_FILE
    if not path.exists():
        return []
    try:
        return list(json.loads(path.read_text())["models"])
    except (ValueError, KeyError, TypeError):
        raise StoreError(
            f"{path}: model registry is damaged; remove it to start a new one"
        ) from None


def list_models(home: Path) -> list[dict[str, Any]]:
    """Cards of every saved model, oldest first (cards that cannot be read are skipped)."""
    folder = models_dir(Path(home))
    if not folder.is_dir():
        return []
    cards = []
    for path in sorted(folder.glob(f"*{CARD_SUFFIX}")):
        if path.name == REGISTRY_FILE:
            continue
        try:
            cards.append(json.loads(path.read_text()))
        except ValueError:
            continue
    return sorted(cards, key=lambda c: str(c.get("created_at", "")))


def history(home: Path) -> list[dict[str, Any]]:
    folder = models_dir(Path(home))
    return _read_registry(folder) if folder.is_dir() else []


def _card_path(home: Path, model_id: str | None, name: str) -> Path:
    folder = models_dir(Path(home))
    if model_id is not None:
        path = folder / f"{model_id}{CARD_SUFFIX}"
        if not path.exists():
            raise NotFoundError(f"no model {model_id!r} in {folder}")
        return path
    cards = [c for c in list_models(home) if c.get("name") == name]
    if not cards:
        raise NotFoundError(f"no trained {name} model in {folder}; run 'helpnext train' first")
    return folder / f"{cards[-1]['model_id']}{CARD_SUFFIX}"


def verify_model(
    home: Path,
    model_id: str | None = None,
    name: str = "engagement",
    recorded: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The card of a model whose card and artifact are intact (and, given ``recorded``,
    the card the store recorded); raises otherwise.

    Reads bytes only: nothing is unpickled here.
    """
    card_path = _card_path(home, model_id, name)
    card = _checked_card(card_path)
    _check_recorded(card_path, card, recorded)
    artifact = card_path.parent / str(card.get("artifact", ""))
    if Path(card.get("artifact", "")).name != card.get("artifact") or not artifact.is_file():
        raise ModelIntegrityError(f"{card_path}: its model file {artifact.name!r} is missing")
    actual = sha256_file(artifact)
    if actual != card.get("artifact_sha256"):
        raise ModelIntegrityError(
            f"{artifact}: sha256 {actual[:12]}... does not match its card "
            f"({str(card.get('artifact_sha256'))[:12]}...); the file was changed after training, "
            "so it is not loaded (joblib files can run code). Retrain with 'helpnext train'."
        )
    return card


# -- the store's record of the models this home trained (issue 18) --------------------------

NOT_RECORDED = (
    "{path}: not the model helpnext recorded when it was trained (its card or files were "
    "changed or replaced under models/, or train was interrupted); refusing to use it. "
    "Retrain with 'helpnext train'."
)


def home_records(home: Path) -> dict[str, str]:
    """:func:`recorded_cards` of ``home``'s store (opened read-only for the look-up)."""
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        return recorded_cards(store)


def record_model(store, card: dict[str, Any], how: str = "saved") -> None:
    """Record a saved model's card checksum in the store: the daily path uses only
    models whose card matches."""
    record_model_file(
        store, card["model_id"], card.get("name", ""), card["card_sha256"], _utcnow(), how
    )


def record_found_models(store) -> None:
    """Trust on first use, once: the upgrade that adds ``model_files`` records the cards
    found intact in ``models/`` (models trained before it). An in-memory stand-in store
    (a home without a store file) records nothing."""
    home = Path(store.path).parent
    if not Path(store.path).exists():
        return
    for card in list_models(home):
        if isinstance(card, dict) and card.get("model_id") and card.get("card_sha256"):
            if card["card_sha256"] == _card_digest(card):
                record_model(store, card, how="found")


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _check_recorded(card_path: Path, card: dict, recorded: dict[str, str] | None) -> None:
    if recorded is not None and recorded.get(str(card.get("model_id"))) != card.get("card_sha256"):
        raise ModelIntegrityError(NOT_RECORDED.format(path=card_path))


def _checked_card(card_path: Path) -> dict[str, Any]:
    """A card whose own checksum holds; raises otherwise."""
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError) as err:
        raise ModelIntegrityError(
            f"{card_path}: model card unreadable ({err}); refusing to load"
        ) from None
    if not isinstance(card, dict) or card.get("card_sha256") != _card_digest(card):
        raise ModelIntegrityError(
            f"{card_path}: the model card was edited (its checksum does not match); refusing to "
            "load the model. Retrain with 'helpnext train'."
        )
    return card


def damage(
    home: Path, model_id: str, name: str, recorded: dict[str, str] | None = None
) -> str | None:
    """Why a saved model's files fail their checks (card, artifact and serving file, bytes
    only: nothing is unpickled; given ``recorded``, the card the store recorded), or None
    when they are intact."""
    try:
        card = verify_model(home, model_id, name, recorded)
        if card.get("serving"):
            load_serving(home, model_id, name)
    except (ModelIntegrityError, NotFoundError) as err:
        return str(err)
    return None


def verify_card(home: Path, model_id: str) -> dict[str, Any]:
    """The card of ``model_id`` with its own checksum checked (bytes only, nothing loaded)."""
    return _checked_card(_card_path(home, model_id, "engagement"))


def load_model(
    home: Path, model_id: str | None = None, name: str = "engagement"
) -> tuple[Any, dict]:
    """(estimator, card) of a verified model: the newest of ``name`` unless ``model_id``."""

    card = verify_model(home, model_id, name)
    artifact = models_dir(Path(home)) / card["artifact"]
    # read once, check these very bytes, then unpickle them: no window to swap the file
    data = artifact.read_bytes()
    if hashlib.sha256(data).hexdigest() != card["artifact_sha256"]:
        raise ModelIntegrityError(f"{artifact}: changed while loading; refusing to load it")
    return unpickle_model(data, artifact), card


# where the classes of models saved by earlier versions now live (issue 16's layout move);
# a name here is only ever an alias while one artifact is read, never a module of its own
MOVED_MODULES = {
    "pipelines.train": "pipelines.engagement.train",
    "pipelines.ranking": "pipelines.engagement.ranking",
    "pipelines.portable": "pipelines.engagement.serving",
    "pipelines.personal": "pipelines.engagement.personal",
    "pipelines.labels": "pipelines.features.labels",
    "recommender.preference_model": "pipelines.preference.estimator",
    "recommender.preference_features": "pipelines.preference.features",
}


def unpickle_model(data: bytes, source: Path | str = "model") -> Any:
    """A model artifact's object. Classes pickled under their old module paths
    (:data:`MOVED_MODULES`) load from their new ones; an artifact naming code this version
    does not have is refused in one line."""
    import importlib

    import joblib

    aliased = [old for old in MOVED_MODULES if old not in sys.modules]
    for old in aliased:
        sys.modules[old] = importlib.import_module(MOVED_MODULES[old])
    try:
        return joblib.load(io.BytesIO(data))
    except (ImportError, AttributeError) as err:
        raise ModelIntegrityError(
            f"{source}: saved by another helpnext version ({err}); retrain with 'helpnext train'"
        ) from None
    finally:
        for old in aliased:
            sys.modules.pop(old, None)


def load_serving(
    home: Path,
    model_id: str | None = None,
    name: str = "engagement",
    recorded: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict] | None:
    """(arrays, card) of the newest ``name`` model's serving form (or ``model_id``'s), or
    None when that model has none (saved before serving forms, or not exportable).

    The card's own checksum (and, given ``recorded``, that it is the card the store
    recorded) and the file's sha256 are checked on the very bytes loaded; the arrays are
    read with ``allow_pickle=False``, so nothing runs code."""
    from pipelines.engagement.serving import load_arrays

    card_path = _card_path(home, model_id, name)
    card = _checked_card(card_path)
    _check_recorded(card_path, card, recorded)
    entry = card.get("serving")
    if not entry:
        return None
    path = card_path.parent / str(entry.get("file", ""))
    if Path(str(entry.get("file", ""))).name != entry.get("file") or not path.is_file():
        raise ModelIntegrityError(f"{card_path}: its serving file {path.name!r} is missing")
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != entry.get("sha256"):
        raise ModelIntegrityError(
            f"{path}: sha256 {actual[:12]}... does not match its card "
            f"({str(entry.get('sha256'))[:12]}...); the file was changed after training, so it "
            "is not used. Retrain with 'helpnext train'."
        )
    try:
        return load_arrays(io.BytesIO(data)), card
    except ValueError as err:  # e.g. an object array, which would need pickle
        raise ModelIntegrityError(f"{path}: not a plain-array serving file ({err})") from None


def engagement_card(home: Path) -> dict | None:
    """The newest engagement model's card (checksum checked), or None when none was trained."""
    if not any(c.get("name") == "engagement" for c in list_models(home)):
        return None
    return _checked_card(_card_path(home, None, "engagement"))


NO_SERVING = (
    "{model_id} has no pickle-free serving form (its card names none), and the daily path "
    "never unpickles a model file: retrain with 'helpnext train'"
)


def _own_ranker(home: Path, recorded: dict[str, str]):
    """(ranker, card) of the newest engagement model from its serving form (plain arrays,
    no unpickling), when its card is the one the store recorded. A card without one is
    refused (:data:`NO_SERVING`): a joblib file runs code when loaded."""
    found = load_serving(home, recorded=recorded)
    if found is not None:
        from pipelines.engagement.serving import ExportError, FeatureSetError, PortableRanker

        arrays, card = found
        try:
            return PortableRanker(arrays), card
        except FeatureSetError:
            raise StaleModelError(f"{card['model_id']} was made for another feature set") from None
        except (ExportError, KeyError, TypeError, ValueError) as err:
            raise ModelIntegrityError(
                f"{card['model_id']}: serving file unusable ({err}); retrain with 'helpnext train'"
            ) from None
    card = _checked_card(_card_path(home, None, "engagement"))
    raise ModelIntegrityError(NO_SERVING.format(model_id=card["model_id"]))


def selection_of(card: dict | None) -> tuple[str, str]:
    """(overall, dormant) ranking options a card's model ranks with: the prior when no
    model was trained; the owner's own model for a model trained before personal selection."""
    from pipelines.engagement.personal import OWN, PRIOR

    if card is None:
        return PRIOR, PRIOR
    chosen = (card.get("details") or {}).get("selection") or {}
    return str(chosen.get("overall", OWN)), str(chosen.get("dormant", chosen.get("overall", OWN)))


def home_ranker(home: Path, recorded: dict[str, str] | None = None):
    """(ranker, version) for a home at serving time: the promoted engagement model with the
    selection ``train`` recorded on its card, or the shipped prior when none was trained.

    ``recorded``: the store's record of the home's models (:func:`recorded_cards`; read
    from the home's store when not given). Raises :class:`ModelIntegrityError` for a
    damaged model or one the store did not record, :class:`PriorIntegrityError` for a
    damaged prior the ranking needs (callers rank by the heuristic and say so)."""
    from pipelines.engagement.personal import OWN, PRIOR, PersonalRanker, components
    from recommender.prior import STEMS, load_prior, prior_version

    card = engagement_card(Path(home))
    overall, dormant = selection_of(card)
    parts = set(components(overall) + components(dormant))
    own = None
    if card is not None:  # verified (and refused when changed) even when it does not rank
        if recorded is None:
            recorded = home_records(Path(home))
        own, card = _own_ranker(Path(home), recorded)
        if OWN not in parts:
            own = None
    priors = {}
    for option in sorted(parts & set(STEMS)):
        priors[option], prior_card = load_prior(option=option)
    if card is None:
        return PersonalRanker(PRIOR, PRIOR, priors), prior_version(prior_card)
    return PersonalRanker(overall, dormant, priors, own), card["model_id"]


def score_contacts(store, owner_id: int, as_of: datetime, events=None):
    """``(frame[contact, engagement, ranked_by], version)`` for one owner of ``store`` at
    ``as_of``: the promoted model with its selection, or the shipped prior when no model
    was trained. ``events``: that owner's events before ``as_of``, when the caller has read
    them already. Nothing is unpickled when the model has a serving form (what keeps
    ``helpnext today`` fast).

    Scores with :func:`pipelines.score.score_owners`, the batch scorer's own function, so
    ``helpnext score`` gives the very order ``helpnext today`` ranks with."""
    import polars as pl

    from pipelines.features.engagement import DORMANT_DAYS
    from pipelines.score import ScoreInputError, score_owners
    from recommender.store.events import load_events

    ranker, version = home_ranker(Path(store.path).parent, recorded_cards(store))
    if events is None:
        events = load_events(store, [owner_id], before=as_of)
    schema = {"contact": pl.Int64, "engagement": pl.Float64, "ranked_by": pl.String}
    try:
        # one owner: one pass in memory (buckets and their spill files are for many owners)
        scores = score_owners(events, as_of, ranker, bucket_events=1 << 62)
    except ScoreInputError:  # no events before as_of
        return pl.DataFrame(schema=schema), version
    when = pl.lit(as_of, dtype=pl.Datetime("us"))
    quiet = (
        events.lazy()
        .filter(pl.col("ts") < when)
        .group_by("contact")
        .agg(((when - pl.col("ts").max()).dt.total_microseconds() / 86_400e6).alias("_age"))
        .collect()
    )
    out = scores.join(quiet, on="contact", how="left").sort("contact")
    dormant = (out["_age"].fill_null(0.0) >= DORMANT_DAYS).to_numpy()
    ranked_by = [ranker.dormant if d else ranker.overall for d in dormant]
    return out.select(
        pl.col("contact").cast(pl.Int64),
        pl.col("score").cast(pl.Float64).alias("engagement"),
        pl.Series("ranked_by", ranked_by, dtype=pl.String),
    ), version


def load_engagement_ranker(home: Path):
    """``(ranker, card)`` of the home's promoted engagement ranking (the model and the
    selection ``train`` recorded), or None when none was trained (:func:`home_ranker`)."""
    if engagement_card(Path(home)) is None:
        return None
    ranker, model_id = home_ranker(Path(home))
    return ranker, {"model_id": model_id}


# -- retention ------------------------------------------------------------------------------

KEEP_ENV = "HELPNEXT_KEEP_MODELS"
DEFAULT_KEEP = 3


def keep_last() -> int:
    """How many of the newest models of each kind are kept (``HELPNEXT_KEEP_MODELS``,
    default 3, at least 1: the engagement model in use is the newest)."""
    raw = os.environ.get(KEEP_ENV, "").strip()
    try:
        return max(1, int(raw)) if raw else DEFAULT_KEEP
    except ValueError:
        raise StoreError(f"{KEEP_ENV}={raw!r}: give a whole number of models to keep") from None


def prune_models(home: Path, keep: set[str] | frozenset = frozenset(), last: int | None = None):
    """Remove the files of models that are neither among the newest ``last`` of their
    kind nor in ``keep`` (the promoted ones). A model's card goes first, so an interrupted
    removal leaves no card naming missing files; the registry's history is kept whole.
    Returns the ids of the models removed."""
    last = keep_last() if last is None else max(1, last)
    folder = models_dir(Path(home))
    if not folder.is_dir():
        return []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for card in list_models(home):
        by_kind.setdefault(str(card.get("name")), []).append(card)
    removed = []
    for cards in by_kind.values():
        for card in cards[:-last]:
            model_id = str(card.get("model_id") or "")
            if not model_id or model_id in keep:
                continue
            files = [folder / f"{model_id}{CARD_SUFFIX}"]
            files += [folder / str(card.get("artifact") or f"{model_id}{ARTIFACT_SUFFIX}")]
            serving = (card.get("serving") or {}).get("file")
            if serving:
                files.append(folder / str(serving))
            for path in files:
                if path.parent == folder and path.name.startswith(model_id):
                    path.unlink(missing_ok=True)
            removed.append(model_id)
    return removed
