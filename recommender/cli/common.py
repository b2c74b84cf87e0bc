"""Pieces every command module shares: the ``--home`` / ``--json`` / ``--as-of`` options,
the console, and printing helpers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from recommender.asof import parse_as_of  # noqa: F401 - re-exported for the commands
from recommender.store.paths import user_home

console = Console(highlight=False, soft_wrap=False)
err_console = Console(stderr=True, highlight=False)

HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="helpnext home folder (holds helpnext.duckdb). Default: $HELPNEXT_HOME, "
        "else your platform's user data folder.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Compute for this moment (YYYY-MM-DD, an ISO datetime, or unix seconds) "
        "instead of now, from 1970-01-01 to a year ahead. Nothing after it is used.",
        show_default=False,
    ),
]

_ROOT_HOME: dict[str, Path | None] = {"home": None}


def set_root_home(home: Path | None) -> None:
    """Called by the root callback: ``helpnext --home X cmd`` applies to every command."""
    _ROOT_HOME["home"] = home


def resolve_home(home: Path | None) -> Path:
    """The home a command works in: its own ``--home``, else the root one, else default."""
    return user_home(home or _ROOT_HOME["home"])


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")
