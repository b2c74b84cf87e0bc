"""``helpnext score`` with the promoted models: the order ``today`` ranks with, Parquet in
and out, owners streamed in buckets, bad input refused with one line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import polars as pl
import pytest
from conftest import shared

from pipelines.features.engagement import build_features
from pipelines.ingest.edges import read_edges
from pipelines.score import HeuristicRanker, edge_events, score_owners
from recommender.store.db import open_store

EPOCH = datetime(1970, 1, 1)


def generated_log(n_people: int = 60, n_edges: int = 3000, days: int = 200, seed: int = 7):
    """A multi-owner edge list ``src, dst, ts``: everyone has a few favourite people they
    write to in bursts, and writes now and then to anyone else."""
    rng = np.random.default_rng(seed)
    favourites = rng.integers(0, n_people, size=(n_people, 4))
    src = rng.integers(0, n_people, size=n_edges)
    pick_favourite = rng.random(n_edges) < 0.7
    dst = np.where(
        pick_favourite,
        favourites[src, rng.integers(0, 4, size=n_edges)],
        rng.integers(0, n_people, size=n_edges),
    )
    ts = np.sort(rng.integers(0, days * 86_400, size=n_edges))
    return pl.DataFrame({"src": src + 100, "dst": dst + 100, "ts": ts})


def write_edges(frame: pl.DataFrame, path) -> None:
    path.write_text("".join(f"{s} {d} {t}\n" for s, d, t in frame.iter_rows()))


def demo_home(cli, home):
    assert cli("demo", "--home", home).exit_code == 0
    with open_store(home, read_only=True) as store:
        owner = store.owner_id(create=False)
        as_of = store.scalar("SELECT max(ts) FROM interactions") + timedelta(seconds=1)
    return owner, as_of


def today_engagement_order(home, owner, as_of):
    """The contacts in the order of the engagement ``today`` ranks with (before its mix)."""
    from recommender.actions.context import build_context

    with open_store(home, read_only=True) as store:
        ctx = build_context(store, owner, as_of, reuse=False)
    stats = ctx.stats.filter(pl.col("n_events") > 0)
    return stats.sort(["engagement", "contact"], descending=[True, False])["contact"].to_list()


def score_order(cli, home, as_of, out):
    result = cli("--home", home, "score", "--as-of", as_of.isoformat(), "--out", out, "--json")
    assert result.exit_code == 0, result.stderr
    frame = pl.read_csv(out).sort("rank")
    return frame["contact"].to_list(), json.loads(result.stdout)


def test_score_ranks_the_demo_owner_in_todays_order_heuristic_then_promoted_model(
    cli, helpnext_home, tmp_path
):
    owner, as_of = demo_home(cli, helpnext_home)
    order, summary = score_order(cli, helpnext_home, as_of, tmp_path / "before.csv")
    assert summary["model_id"].startswith("prior:")  # no model trained yet: the prior
    assert order == today_engagement_order(helpnext_home, owner, as_of)
    trained = cli("--home", helpnext_home, "train", "--as-of", as_of.isoformat(), "--json")
    assert trained.exit_code == 0, trained.stderr
    model_id = json.loads(trained.stdout)["model_id"]
    order, summary = score_order(cli, helpnext_home, as_of, tmp_path / "after.csv")
    assert summary["model_id"] == model_id  # the promoted model scored, not a refit
    assert order == today_engagement_order(helpnext_home, owner, as_of)
    refit = cli(
        "--home", helpnext_home, "score", "--as-of", as_of.isoformat(), "--retrain", "--json",
        "--out", tmp_path / "refit.csv",
    )  # fmt: skip
    assert refit.exit_code == 0, refit.stderr
    assert json.loads(refit.stdout)["model_id"].startswith("retrained-")


def test_owner_buckets_give_the_same_scores_as_one_pass(tmp_path):
    events = edge_events(generated_log())
    as_of = EPOCH + timedelta(days=150)
    whole = score_owners(events, as_of, HeuristicRanker())
    streamed = score_owners(events, as_of, HeuristicRanker(), bucket_events=500)
    assert streamed.equals(whole)
    # and the bucketed features are those of the one-pass feature frame
    features = build_features(events, as_of).collect()
    assert whole.height == features.height
    best = features.sort(["owner", "ir_28_w2", "contact"], descending=[False, True, False])
    assert whole["contact"].to_list() == best["contact"].to_list()


def test_a_model_scoring_blocks_of_owners_gives_the_same_scores(monkeypatch, tmp_path):
    from pipelines import score
    from pipelines.engagement import serving as portable
    from recommender.engagement import promoted_ranker

    model, model_id = promoted_ranker(tmp_path / "home")  # the shipped prior: trees
    assert model_id.startswith("prior:")
    events = edge_events(generated_log())
    as_of = EPOCH + timedelta(days=150)
    whole = score_owners(events, as_of, model)
    monkeypatch.setattr(score, "SCORE_BLOCK_ROWS", 50)  # a block of a few owners at a time
    monkeypatch.setattr(portable, "TREE_BLOCK_PAIRS", 7)  # a row or so at a time
    assert whole.height > 20 * 50
    assert score_owners(events, as_of, model).equals(whole)


def test_eu_core_buckets_give_the_same_scores_as_one_pass():
    edges = read_edges(shared("interactions", "email-Eu-core-temporal.txt.gz")).head(20_000)
    as_of = EPOCH + timedelta(seconds=int(edges["ts"].max()) + 1)
    whole = score_owners(edge_events(edges), as_of, HeuristicRanker())
    assert whole.equals(
        score_owners(edge_events(edges), as_of, HeuristicRanker(), bucket_events=5_000)
    )


def _parquet_log(tmp_path, partitioned: bool):
    log = generated_log()
    events = edge_events(log).collect()
    if partitioned:
        folder = tmp_path / "events"
        events.write_parquet(folder, partition_by=["owner"])
        return log, folder
    path = tmp_path / "events.parquet"
    events.with_columns(pl.col("ts").dt.epoch("s")).write_parquet(path)  # ts in seconds
    return log, path


@pytest.mark.parametrize("partitioned", [False, True])
def test_parquet_events_score_like_the_edge_list_and_a_folder_out(cli, tmp_path, partitioned):
    log, events = _parquet_log(tmp_path, partitioned)
    edges = tmp_path / "log.txt"
    write_edges(log, edges)
    as_of = str(150 * 86_400)
    a, b = tmp_path / "a.parquet", tmp_path / "b-scores"
    assert cli("score", "--interactions", edges, "--as-of", as_of, "--out", a).exit_code == 0
    result = cli("score", "--interactions", events, "--as-of", as_of, "--out", b, "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["model_id"].startswith("prior:")
    assert sorted(p.name for p in b.iterdir())[:2] == ["owner=100", "owner=101"]
    got = pl.read_parquet(b, hive_partitioning=True).select("owner", "contact", "score", "rank")
    want = pl.read_parquet(a)
    assert got.cast({"owner": pl.Int64}).sort("owner", "rank").equals(want)


def test_bad_inputs_are_one_line_and_write_nothing(cli, tmp_path):
    out = tmp_path / "scores"
    out.mkdir()
    (out / "keep.txt").write_text("old results\n")

    def refused(*args, code=1):
        result = cli("score", "--as-of", "86400000", "--out", out, *args)
        assert result.exit_code == code, result.stderr
        assert result.stderr.startswith("helpnext: error: ")
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
        assert [p.name for p in out.iterdir()] == ["keep.txt"]  # the old output untouched
        assert not list(tmp_path.glob(".scores.*"))  # no temp folder left behind
        return result.stderr.strip()

    assert "unknown --engine 'hadoop'" in refused("--engine", "hadoop", code=2)
    no_owner = tmp_path / "no-owner.parquet"
    pl.DataFrame({"src": [1], "contact": [2], "ts": [5], "direction": ["out"]}).write_parquet(
        no_owner
    )
    assert "lack column(s) owner" in refused("--interactions", no_owner)
    garbled = tmp_path / "garbled.parquet"
    garbled.write_bytes(b"PAR1 this is not parquet at all")
    assert "garbled.parquet: not a readable Parquet file" in refused("--interactions", garbled)
    missing = tmp_path / "missing.parquet"
    assert "missing.parquet: no such file or folder" in refused("--interactions", missing)
    late = tmp_path / "late.parquet"
    pl.DataFrame({"owner": [1], "contact": [2], "ts": [10**9], "direction": ["out"]}).write_parquet(
        late
    )
    assert "no events before 1972-09-27T00:00:00: nothing to score" in refused(
        "--interactions", late
    )


def test_the_two_hop_count_in_small_blocks_is_the_same(monkeypatch):
    from pipelines.features import engagement as features

    events = edge_events(generated_log())
    as_of = EPOCH + timedelta(days=150)
    whole = build_features(events, as_of).collect()
    assert whole["common_recent"].max() > 0
    monkeypatch.setattr(features, "TWO_HOP_BLOCK_PATHS", 7)
    assert build_features(events, as_of).collect().equals(whole)
