"""Same behaviour, proven: the demo home's plan, ``score`` output and ``eval --json`` at a
fixed ``--as-of`` equal the answers recorded in ``tests/golden/`` before the layout moved.

To record them again after a change that is meant to alter behaviour (say so in
CHANGELOG.md): ``HELPNEXT_RECORD_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py``.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

GOLDEN = Path(__file__).resolve().parent / "golden"
AS_OF = "2024-06-20"
# what differs between two runs of the same code: when a model was trained, where the home is
VOLATILE = (
    (re.compile(r"(engagement|preference)-\d{8}T\d{6,12}Z"), r"\1-<trained-at>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00"), "<clock>"),
)
TIMING_KEYS = {"seconds", "elapsed_s", "trained_at", "created_at", "home", "path", "out"}


def _stable(value):
    """JSON with run-specific values blanked and floats rounded to 9 decimals."""
    if isinstance(value, dict):
        return {k: ("<run>" if k in TIMING_KEYS else _stable(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, float):
        return round(value, 9)
    if isinstance(value, str):
        for pattern, replacement in VOLATILE:
            value = pattern.sub(replacement, value)
        return value
    return value


def _check(name: str, answer) -> None:
    path = GOLDEN / name
    if os.environ.get("HELPNEXT_RECORD_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(answer, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
        return
    recorded = json.loads(path.read_text())
    assert answer == recorded, f"{name} changed: the redesign must not change behaviour"


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    """The demo home trained at ``AS_OF``; returns a runner of helpnext commands in it."""
    from typer.testing import CliRunner

    from recommender.cli.app import app

    home = tmp_path_factory.mktemp("golden") / "home"
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(app, ["--home", str(home), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    run("demo")
    run("train", "--as-of", AS_OF, "--json")
    return run


def test_the_plan_is_unchanged(demo_home):
    _check("today.json", _stable(json.loads(demo_home("today", "--as-of", AS_OF, "--json"))))


def test_the_scores_are_unchanged(demo_home, tmp_path):
    out = tmp_path / "scores.csv"
    demo_home("score", "--as-of", AS_OF, "--out", str(out), "--actions")
    with out.open(newline="") as handle:
        rows = [_stable({k: _number(v) for k, v in row.items()}) for row in csv.DictReader(handle)]
    assert rows, "the demo home scores at least one contact"
    _check("score.json", rows)


def test_the_evaluation_is_unchanged(demo_home):
    _check("eval.json", _stable(json.loads(demo_home("eval", "--json"))))


def _number(text: str):
    try:
        return float(text) if "." in text or "e" in text.lower() else int(text)
    except ValueError:
        return text
