"""Where helpnext keeps its files: one home directory per user."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_HOME = "HELPNEXT_HOME"
STORE_FILE = "helpnext.duckdb"
PENDING_ERASURE_FILE = "forget-pending.json"  # see recommender.store.erasure


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
    """Create the home directory readable by its owner only (see :func:`private_dir`)."""
    return private_dir(home)


def private_dir(folder: Path) -> Path:
    """Create ``folder`` (mode 0700), or make an existing one 0700 when others could read
    it or write to it, saying so in one line on stderr (or warning when it cannot)."""
    import stat
    import sys

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(folder.stat().st_mode)
    if mode & 0o077:
        try:
            os.chmod(folder, 0o700)
            said = f"{folder} was open to others (mode {mode:04o}); made it 0700 (you only)"
        except OSError as err:
            said = (
                f"warning: {folder} is open to others (mode {mode:04o}) and could not be "
                f"made 0700 ({err.strerror or err})"
            )
        print(f"helpnext: {said}", file=sys.stderr, flush=True)
    return folder


def store_path(home: Path) -> Path:
    return home / STORE_FILE


def pending_path(home: Path) -> Path:
    """The record of a forget not yet finished (contact ids only)."""
    return home / PENDING_ERASURE_FILE


def models_dir(home: Path) -> Path:
    return home / "models"
