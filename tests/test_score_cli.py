"""``helpnext score`` / ``eval`` / ``train`` through the real CLI, with known answers."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

DAY = 86_400
AS_OF = 100 * DAY

# owner 1 writes to 2 every few days up to the cutoff, to 3 once long ago, and 4 wrote to 1
# once; owner 2 answers 1; owner 5 has a single contact (6).
TINY = f"""% owner 1's obvious favourite is 2
1 2 {90 * DAY}
1 2 {95 * DAY}
1 2 {98 * DAY}
1 2 {99 * DAY}
1 3 {10 * DAY}
4 1 {50 * DAY}
2 1 {97 * DAY}
5 6 {80 * DAY}
1 2 {101 * DAY}
"""


@pytest.fixture
def tiny(tmp_path) -> Path:
    path = tmp_path / "tiny.txt"
    path.write_text(TINY)
    return path


def _score(cli, log: Path, out: Path, *extra: str):
    return cli(
        "score",
        "--interactions",
        log,
        "--format",
        "edges",
        "--as-of",
        str(AS_OF),
        "--out",
        out,
        *extra,
    )


def test_score_writes_the_exact_header_and_the_obvious_answer(cli, tiny, tmp_path):
    out = tmp_path / "scores.csv"
    result = _score(cli, tiny, out)
    assert result.exit_code == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "owner,contact,score,rank"
    frame = pl.read_csv(out)
    one = frame.filter(pl.col("owner") == 1).sort("rank")
    assert one["contact"].to_list() == [2, 4, 3]  # favourite first; 3 was a single old message
    assert one["rank"].to_list() == [1, 2, 3]
    assert one["score"].is_sorted(descending=True)
    # everyone with a message before --as-of is an owner, receivers included
    assert sorted(frame["owner"].unique().to_list()) == [1, 2, 3, 4, 5, 6]
    assert frame.filter(pl.col("owner") == 5).select("contact", "rank").rows() == [(6, 1)]
    assert not list(tmp_path.glob(".scores.csv.*"))  # no temp file left behind


def test_top_n_and_parquet(cli, tiny, tmp_path):
    out = tmp_path / "top.parquet"
    assert _score(cli, tiny, out, "--top", "1").exit_code == 0
    frame = pl.read_parquet(out)
    assert frame.columns == ["owner", "contact", "score", "rank"]
    assert frame.filter(pl.col("owner") == 1).select("contact", "rank").rows() == [(2, 1)]
    assert frame.group_by("owner").len()["len"].max() == 1


def test_out_of_order_lines_give_the_same_scores(cli, tiny, tmp_path):
    lines = tiny.read_text().splitlines()
    shuffled = tmp_path / "shuffled.txt"
    shuffled.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert _score(cli, tiny, a).exit_code == 0
    assert _score(cli, shuffled, b).exit_code == 0
    assert a.read_text() == b.read_text()


def test_duplicated_timestamps_count_as_messages(cli, tmp_path):
    # owner 1 wrote to 3 three times at one second, and to 2 once at that same second
    log = tmp_path / "dup.txt"
    log.write_text(f"1 3 {50 * DAY}\n1 3 {50 * DAY}\n1 3 {50 * DAY}\n1 2 {50 * DAY}\n")
    out = tmp_path / "dup.csv"
    assert _score(cli, log, out).exit_code == 0
    one = pl.read_csv(out).filter(pl.col("owner") == 1).sort("rank")
    assert one["contact"].to_list() == [3, 2]


def test_unknown_format_lists_the_formats(cli, tiny, tmp_path):
    result = cli("score", "--interactions", tiny, "--format", "csv", "--out", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert (
        result.stderr.strip()
        == "helpnext: error: unknown --format 'csv'; known formats: edges, parquet"
    )
    assert not (tmp_path / "x.csv").exists()


def test_no_events_before_as_of_is_a_clear_error_and_writes_nothing(cli, tiny, tmp_path):
    out = tmp_path / "none.csv"
    out.write_text("keep me\n")
    result = cli("score", "--interactions", tiny, "--format", "edges", "--as-of", "5", "--out", out)
    assert result.exit_code == 1
    assert "no events before 1970-01-01T00:00:05: nothing to score" in result.stderr
    assert result.stderr.startswith("helpnext: error: ")
    assert out.read_text() == "keep me\n"  # the old file is untouched


def test_bad_output_extension_and_bad_file(cli, tiny, tmp_path):
    result = _score(cli, tiny, tmp_path / "x.xlsx")
    assert result.exit_code == 2 and "use a file name ending in .csv or .parquet" in result.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("1 2\n")
    result = _score(cli, bad, tmp_path / "x.csv")
    assert result.exit_code == 1 and "bad.txt" in result.stderr and "Traceback" not in result.stderr


def test_eval_on_a_log_file_prints_json(cli, tiny):
    result = cli("eval", "--interactions", tiny, "--format", "edges", "--json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert {"model", "recency", "ir_28d_w2"} <= set(report["overall"]) or report["overall"] == {}
    assert len(report["cutoffs"]) == 4


def test_train_and_score_need_a_history(cli):
    result = cli("train")
    assert result.exit_code == 1
    assert "import some first" in result.stderr
