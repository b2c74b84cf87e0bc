"""The ranking section with a trained engagement model: its card's held-out backtest and
calibration, the features its trees split on; a model trained after the report's moment
is not judged."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

pytestmark = pytest.mark.slow


def _section(html: str, key: str) -> str:
    return re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)


def test_ranking_section_shows_the_models_card(cli, helpnext_home, tmp_path):
    assert cli("demo").exit_code == 0
    assert cli("train", "--as-of", "2024-06-19").exit_code == 0
    card_path = sorted((helpnext_home / "models").glob("engagement-*.json"))[-1]
    validation = json.loads(card_path.read_text())["metrics"]["validation"]
    per = validation["per_cutoff"]
    assert len(per) == len(validation["cutoffs"]) and per
    assert [r["decile"] for r in validation["calibration"]] == list(range(1, 11))
    out = tmp_path / "r.html"
    assert cli("report", "--as-of", "2024-06-19T12:00", "--out", out).exit_code == 0
    ranking = unescape(_section(out.read_text(), "ranking"))
    model = sum(r["model"] for r in per) / len(per)
    base = sum(r["baseline"] for r in per) / len(per)
    wins = sum(r["model"] > r["baseline"] for r in per)
    assert (
        f"On your own history the model scores {model:.3f} against {base:.3f} for the best "
        f"baseline ({validation['chosen_baseline']})"
    ) in ranking
    assert f"ahead on {wins} of {len(per)} cutoffs" in ranking
    assert "Calibration by decile (held-out cutoffs)" in ranking
    assert "Features that weigh most" in ranking
    assert ranking.count("<svg") == 3
    # a report for a moment before the model's training sees nothing of it
    early = tmp_path / "early.html"
    assert cli("report", "--as-of", "2024-06-01", "--out", early).exit_code == 0
    before = unescape(_section(early.read_text(), "ranking"))
    assert "after this report's moment, so it is not judged here" in before
    assert "Features that weigh most" not in before
    # nor does this week's plan: it ranks by Interactions Rank then
    week = unescape(_section(early.read_text(), "week"))
    assert "with interactions-rank-28d" in week and "engagement-" not in week
    assert "with engagement:" in unescape(_section(out.read_text(), "week"))
