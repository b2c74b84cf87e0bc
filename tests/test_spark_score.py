"""The Spark engine in local mode gives the local engine's answer: identical ranks, scores
within 1e-9, on a slice of email-Eu-core and on a generated multi-owner log, with the
shipped prior and with a promoted model's serving form."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from conftest import REPO, shared
from test_score_engine import generated_log, write_edges

EPOCH = datetime(1970, 1, 1)
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Spark's driver talks to its own JVM over loopback; anything else still fails."""
    original = socket.socket.connect

    def loopback_only(self, address, *args, **kwargs):
        if isinstance(address, tuple) and address and address[0] not in LOOPBACK:
            raise AssertionError(f"a network connection was attempted to {address!r}")
        return original(self, address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.fixture(scope="session")
def spark():
    from pipelines.distributed.spark_score import spark_session

    session = spark_session("local[2]")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def read_scores(folder) -> pl.DataFrame:
    frame = pl.read_parquet(folder / "**" / "*.parquet", hive_partitioning=True)
    return frame.select(pl.col("owner").cast(pl.Int64), "contact", "score", "rank").sort(
        "owner", "rank"
    )


def assert_same_answer(local: pl.DataFrame, spark: pl.DataFrame) -> None:
    assert spark.height == local.height > 0
    both = local.join(spark, on=["owner", "contact"], how="inner", suffix="_spark")
    assert both.height == local.height  # the same (owner, contact) rows
    assert (both["rank"] == both["rank_spark"]).all()
    assert (both["score"] - both["score_spark"]).abs().max() <= 1e-9


def _score(cli, log, as_of, out, *extra):
    result = cli(
        "score", "--interactions", log, "--as-of", str(as_of), "--out", out, "--json", *extra
    )
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_eu_core_slice_spark_equals_local(cli, spark, tmp_path):
    from pipelines.ingest.edges import read_edges

    edges = read_edges(shared("interactions", "email-Eu-core-temporal.txt.gz")).head(3_000)
    log = tmp_path / "eu-core-head.txt"
    write_edges(edges.select("src", "dst", "ts"), log)
    as_of = int(edges["ts"].quantile(0.8))
    _score(cli, log, as_of, tmp_path / "local.parquet")
    summary = _score(
        cli, log, as_of, tmp_path / "spark", "--engine", "spark", "--master", "local[2]"
    )
    assert summary["engine"] == "spark" and summary["model_id"].startswith("prior:")
    local = pl.read_parquet(tmp_path / "local.parquet")
    assert summary["rows"] == local.height and summary["owners"] == local["owner"].n_unique()
    assert_same_answer(local, read_scores(tmp_path / "spark"))


def test_generated_log_with_a_promoted_model_spark_equals_local(
    cli, spark, helpnext_home, tmp_path
):
    from pipelines.engagement.serving import serving_form
    from pipelines.engagement.train import train_engagement
    from pipelines.score import edge_events
    from recommender.registry import record_model, save_model
    from recommender.store.db import open_store

    log = generated_log()
    path = tmp_path / "log.txt"
    write_edges(log, path)
    as_of = EPOCH + timedelta(days=150)
    events = edge_events(log).filter(pl.col("ts") < as_of).collect()
    result = train_engagement(events, as_of, timedelta(days=7))
    serving = serving_form(result.model, events, as_of)
    assert serving is not None
    card = save_model(
        helpnext_home, result.model, training_data_sha256=result.data_hash, serving=serving
    )
    with open_store(helpnext_home) as store:  # as train does: the store records the model
        record_model(store, card)
    seconds = 150 * 86_400
    local = _score(cli, path, seconds, tmp_path / "local.parquet", "--top", "5")
    remote = _score(cli, path, seconds, tmp_path / "spark", "--engine", "spark", "--top", "5")
    assert local["model_id"] == remote["model_id"] == card["model_id"]
    scores = pl.read_parquet(tmp_path / "local.parquet")
    assert scores["rank"].max() == 5
    assert_same_answer(scores, read_scores(tmp_path / "spark"))


def test_spark_refuses_bad_input_in_one_line_and_writes_nothing(cli, spark, tmp_path):
    out = tmp_path / "out"
    no_owner = tmp_path / "events.parquet"
    pl.DataFrame({"src": [1], "contact": [2], "ts": [5], "direction": ["out"]}).write_parquet(
        no_owner
    )
    for args, text in [
        ((no_owner,), "the events lack column(s) owner"),
        ((tmp_path / "nowhere",), "nowhere: no such file"),
    ]:
        result = cli(
            "score", "--engine", "spark", "--interactions", *args, "--as-of", "100", "--out", out
        )
        assert result.exit_code == 1
        assert text in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert not out.exists()
    result = cli("score", "--engine", "spark", "--as-of", "100", "--out", out)
    assert result.exit_code == 2 and "--engine spark scores an --interactions log" in result.stderr


def test_spark_without_java_says_what_to_install(cli, tmp_path, monkeypatch):
    log = tmp_path / "log.txt"
    log.write_text("1 2 10\n2 1 20\n")
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no java on it
    result = cli(
        "score",
        "--engine",
        "spark",
        "--interactions",
        log,
        "--as-of",
        "100",
        "--out",
        tmp_path / "o",
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "helpnext: error: no Java runtime found: install with pip install 'helpnext[spark]'; "
        "Spark needs Java 17"
    )
    assert not (tmp_path / "o").exists()


def site_without(tmp_path: Path, *hidden: str) -> Path:
    """A copy (links) of this interpreter's site-packages without the distributions
    ``hidden``: run with ``python -S`` and it on PYTHONPATH, they are not installed."""
    import site

    packages = Path(next(p for p in site.getsitepackages() if Path(p, "polars").exists()))
    mirror = tmp_path / "site-packages"
    mirror.mkdir()
    for entry in packages.iterdir():
        if not entry.name.lower().startswith(hidden) and entry.suffix != ".pth":
            (mirror / entry.name).symlink_to(entry)
    return mirror


def python(args: list, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run this interpreter (a fresh process) with ``args`` in the repository."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )


def helpnext_process(args: list, env: dict[str, str], site_dir: Path | None = None):
    """The real CLI in a fresh interpreter (``python -m recommender ARGS``); with
    ``site_dir``: ``python -S``, only it and the repository on the path."""
    if site_dir is None:
        return python(["-m", "recommender", *args], env)
    env = env | {"PYTHONPATH": f"{site_dir}{os.pathsep}{REPO}"}
    return python(["-S", "-m", "recommender", *args], env)


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("HOME", "LANG", "PATH", "JAVA_HOME")}
    return keep | {"HELPNEXT_HOME": str(tmp_path / "home")} | extra


INSTALL_LINE = "install with pip install 'helpnext[spark]'; Spark needs Java 17"


@pytest.mark.parametrize("missing", ["pyspark", "java"])
def test_spark_engine_without_pyspark_or_java_says_what_to_install(tmp_path, missing):
    log = tmp_path / "log.txt"
    log.write_text("1 2 10\n2 1 20\n")
    out = tmp_path / "scores"
    args = ["score", "--engine", "spark", "--interactions", log, "--as-of", "100", "--out", out]
    if missing == "pyspark":
        env, site_dir = _env(tmp_path), site_without(tmp_path, "pyspark", "py4j")
        # the interpreter really lacks PySpark (and has everything else helpnext needs)
        probe = helpnext_process([], env, site_dir)  # no command: the usage text
        assert probe.returncode in (0, 2) and "Traceback" not in probe.stderr
        check = python(["-S", "-c", "import pyspark"], env | {"PYTHONPATH": str(site_dir)})
        assert check.returncode == 1 and "No module named 'pyspark'" in check.stderr
        expected = f"helpnext: error: {INSTALL_LINE}"
    else:
        # no java on PATH, JAVA_HOME a folder without bin/java
        (tmp_path / "jdk").mkdir()
        env, site_dir = _env(tmp_path, PATH=str(tmp_path), JAVA_HOME=str(tmp_path / "jdk")), None
        expected = f"helpnext: error: no Java runtime found: {INSTALL_LINE}"
    result = helpnext_process(args, env, site_dir)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == expected
    assert not out.exists() and not list(tmp_path.glob(".scores*"))  # nothing written


def test_spark_engine_with_no_event_before_as_of_writes_nothing(cli, tmp_path):
    out = tmp_path / "scores"
    late = tmp_path / "late.parquet"
    pl.DataFrame({"owner": [1], "contact": [2], "ts": [10**9], "direction": ["out"]}).write_parquet(
        late
    )
    edges = tmp_path / "late.txt"
    edges.write_text("1 2 1000000000\n")
    for log in (late, edges):
        result = cli(
            "score", "--engine", "spark", "--interactions", log, "--as-of", "100", "--out", out
        )
        assert result.exit_code == 1
        line = result.stderr.strip()
        assert line.startswith("helpnext: error: ") and log.name in line
        assert line.endswith(
            "no events before 1970-01-01T00:01:40: nothing to score (--as-of 1970-01-01T00:01:40)"
        )
        assert len(line.splitlines()) == 1
        assert not out.exists() and not list(tmp_path.glob(".scores*"))
    result = cli("score", "--engine", "flink", "--interactions", edges, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "helpnext: error: unknown --engine 'flink'; choose from: local, spark"
    )
    assert not out.exists()


def test_the_capped_two_hop_count_is_the_same_on_spark(spark, tmp_path, monkeypatch):
    from pipelines.distributed import spark_score
    from pipelines.features import engagement as features
    from pipelines.score import HeuristicRanker, global_step, read_events, score_owners

    path = tmp_path / "log.txt"
    write_edges(generated_log(n_people=30, n_edges=1_500), path)
    as_of = EPOCH + timedelta(days=150)
    inputs = features.global_inputs(features.pair_features(read_events(path, "edges"), as_of))
    uncapped = global_step(inputs)["common_recent"].sum()
    monkeypatch.setattr(features, "MAX_TWO_HOP_PATHS", 40)  # the busiest go-betweens go
    capped = global_step(inputs).select("owner", "contact", "common_recent", "_active_ties")
    assert 0 < capped["common_recent"].sum() < uncapped
    remote = spark_score.global_step(spark, spark.createDataFrame(inputs.to_pandas()))
    got = pl.from_arrow(remote.select(*capped.columns).toArrow())
    assert got.sort("owner", "contact").equals(capped.sort("owner", "contact"))
    local = score_owners(read_events(path, "edges"), as_of, HeuristicRanker())
    events = spark_score.read_events(spark, str(path), "edges")
    scored = spark_score.score_spark(spark, events, as_of, None).toArrow()
    assert_same_answer(local, pl.from_arrow(scored).sort("owner", "rank"))
