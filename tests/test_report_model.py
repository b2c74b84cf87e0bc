"""The ranking section with a trained engagement model: what `train` chose to rank with,
judged on the held-out weeks it was chosen on against the best heuristic; a model trained
after the report's moment is not judged."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from pipelines.engagement.personal import label

pytestmark = pytest.mark.slow


def _section(html: str, key: str) -> str:
    return re.search(rf'<section id="{key}".*?</section>', html, re.S).group(0)


def test_ranking_section_shows_the_models_card(cli, helpnext_home, tmp_path):
    assert cli("demo").exit_code == 0
    assert cli("train", "--as-of", "2024-06-19").exit_code == 0
    card_path = sorted((helpnext_home / "models").glob("engagement-*.json"))[-1]
    selection = json.loads(card_path.read_text())["metrics"]["selection"]
    comparison = selection["comparison"]
    per = comparison["per_cutoff"]
    assert len(per) == len(comparison["validation_cutoffs"]) and per
    out = tmp_path / "r.html"
    assert cli("report", "--as-of", "2024-06-19T12:00", "--out", out).exit_code == 0
    ranking = unescape(_section(out.read_text(), "ranking"))
    chosen = sum(r["chosen"] for r in per) / len(per)
    base = sum(r["heuristic"] for r in per) / len(per)
    wins = sum(r["chosen"] > r["heuristic"] for r in per)
    ranker, heuristic = label(selection["overall"]), label(comparison["best_heuristic"])
    assert (
        f"On your own history {ranker} scores {chosen:.3f} against {base:.3f} for the best "
        f"baseline ({heuristic})"
    ) in ranking
    assert f"ahead on {wins} of {len(per)} cutoffs" in ranking
    assert "Every option on the held-out weeks (mean NDCG@10)" in ranking
    assert ranking.count("<svg") == 1
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
