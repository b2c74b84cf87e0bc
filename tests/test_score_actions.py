"""`helpnext score --actions`: the batch plan, on the hand-made home with known answers."""

import polars as pl
from conftest import TEST_DATA
from test_actions_helpers import AS_OF, build_home

from recommender.store.db import open_store


def test_score_with_actions_adds_the_best_act_and_its_reason(cli, helpnext_home, tmp_path):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
    out = tmp_path / "plan.csv"
    result = cli("score", "--as-of", AS_OF.isoformat(), "--out", out, "--actions")
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(out)
    assert frame.columns == ["owner", "contact", "score", "rank", "action", "reason"]
    by_contact = {r["contact"]: r for r in frame.iter_rows(named=True)}
    cy = by_contact[ids["cy"]]
    assert cy["action"] == "reciprocate"
    assert "endorsed you for SQL (10 May 2024)" in cy["reason"]
    assert by_contact[ids["ed"]]["action"] == "check_in"
    # one row per candidate, ranks 1..n within the owner
    assert sorted(frame["rank"].to_list()) == list(range(1, frame.height + 1))


def test_actions_need_the_store(cli, tmp_path):
    result = cli(
        "score",
        "--interactions",
        TEST_DATA / "edges" / "snap_tabs.txt",
        "--as-of",
        "100",
        "--out",
        tmp_path / "x.csv",
        "--actions",
    )
    assert result.exit_code == 2
    assert "--actions needs the store" in result.stderr
    assert not (tmp_path / "x.csv").exists()


def test_train_also_trains_the_preference_model_and_says_so(cli, helpnext_home):
    import json

    with open_store(helpnext_home) as store:
        build_home(store)
    plan = json.loads(cli("today", "--as-of", AS_OF.isoformat(), "--json").stdout)
    first = plan["suggestions"][0]["id"]
    assert cli("done", first).exit_code == 0
    result = cli("train", "--as-of", "2024-06-03", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["model_id"]
    preference = summary["preference"]
    # one answer is far too little to learn from: nothing is promoted, and it says why
    assert preference["promoted"] is False and preference["message"]
    human = cli("train", "--as-of", "2024-06-03")
    assert human.exit_code == 0
    assert "preference" in human.stdout.splitlines()[-1]
