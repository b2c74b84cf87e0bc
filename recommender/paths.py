"""Where helpnext keeps its files: one home directory per user."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_HOME = "HELPNEXT_HOME"
STORE_FILE = "helpnext.duckdb"
PENDING_ERASURE_FILE = "forget-pending.json"  # see recommender.erasure


def user_home(explicit: Path | str | None = None) -> Path:
    """The helpnext home: ``explicit`` (``--home``), else ``$HELPNEXT_HOME``, else the
    platform's user data directory."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("helpnext", appauthor=False))


def ensure_home(home: Path) -> Path:
    """Create the home directory readable by its owner only."""
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    return home


def store_path(home: Path) -> Path:
    return home / STORE_FILE


def pending_path(home: Path) -> Path:
    """The record of a forget not yet finished (contact ids only)."""
    return home / PENDING_ERASURE_FILE


def models_dir(home: Path) -> Path:
    return home / "models"
