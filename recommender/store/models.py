"""The store's record of the models a home trained: the card checksum of each saved model
(table ``model_files``) and each preference model's comparison and promotion (table
``preference_models``)."""

from __future__ import annotations

from datetime import datetime

from recommender.store.db import Store

PREFERENCE_MODEL_COLUMNS = (
    "model_id",
    "owner_id",
    "trained_at",
    "as_of",
    "trained_until",
    "n_train",
    "n_test",
    "metrics",
    "compared_with",
    "promoted",
    "artifact_sha256",
)


def recorded_cards(store: Store) -> dict[str, str]:
    """model_id -> card sha256 of every model the store recorded (table ``model_files``)."""
    rows = store.con.execute("SELECT model_id, card_sha256 FROM model_files").fetchall()
    return {str(m): str(h) for m, h in rows}


def record_model_file(
    store: Store, model_id: str, name: str, card_sha256: str, at: datetime, how: str
) -> None:
    """Record (or replace) the card checksum of the saved model ``model_id``."""
    with store.transaction():
        store.con.execute(
            "INSERT OR REPLACE INTO model_files VALUES (?, ?, ?, ?, ?)",
            [model_id, name, card_sha256, at, how],
        )


def promoted_ids(store: Store) -> set[str]:
    """Ids of every promoted preference model in ``store`` (never pruned)."""
    rows = store.con.execute("SELECT model_id FROM preference_models WHERE promoted").fetchall()
    return {str(r[0]) for r in rows}


def promoted_model_id(store: Store, owner: int) -> str | None:
    """The id of the newest promoted preference model of ``owner``, or None."""
    return store.scalar(
        "SELECT model_id FROM preference_models WHERE owner_id = ? AND promoted "
        "ORDER BY trained_at DESC, model_id DESC LIMIT 1",
        [owner],
    )


def record_preference_model(store: Store, row: dict) -> None:
    """Insert one row of ``preference_models`` (``row`` keyed by
    :data:`PREFERENCE_MODEL_COLUMNS`)."""
    with store.transaction() as con:
        con.execute(
            f"INSERT INTO preference_models ({', '.join(PREFERENCE_MODEL_COLUMNS)}) "
            f"VALUES ({', '.join('?' for _ in PREFERENCE_MODEL_COLUMNS)})",
            [row[c] for c in PREFERENCE_MODEL_COLUMNS],
        )


def preference_models(store: Store) -> list[tuple]:
    """``(model_id, owner_id, trained_at, metrics, compared_with, promoted)`` of every
    preference model, oldest first."""
    return store.con.execute(
        "SELECT model_id, owner_id, trained_at, metrics, compared_with, promoted "
        "FROM preference_models ORDER BY trained_at, model_id"
    ).fetchall()
