"""The bundled sample network: deterministic, committed as generated, and importable."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.linkedin.export import import_linkedin

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
NAMES = ["linkedin-export-2023-06.zip", "linkedin-export-2024-06.zip"]


def _generator():
    spec = importlib.util.spec_from_file_location(
        "generate_sample", ROOT / "data" / "generate_sample.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    _generator().generate(out)
    return out


@pytest.fixture(scope="module")
def batches():
    return [import_linkedin(SAMPLE / name) for name in NAMES]


def test_generator_is_deterministic(regenerated, tmp_path):
    _generator().generate(tmp_path)
    for name in NAMES:
        assert (tmp_path / name).read_bytes() == (regenerated / name).read_bytes()


def test_committed_zips_match_the_generator(regenerated):
    for name in NAMES:
        assert (SAMPLE / name).read_bytes() == (regenerated / name).read_bytes(), (
            f"data/sample/{name} is stale: run `python data/generate_sample.py`"
        )


def test_committed_sample_is_small():
    assert sum((SAMPLE / n).stat().st_size for n in NAMES) < 2 * 1024 * 1024


def _connections(batch) -> pl.DataFrame:
    return batch.people.filter(pl.col("connected_on").is_not_null())


def test_both_exports_import_with_about_400_connections(batches):
    old, new = batches
    assert old.owner_name == new.owner_name == "Elena Marchetti"
    assert _connections(old).height == 400
    assert 400 < _connections(new).height < 430
    assert old.as_of < new.as_of
    for batch in batches:
        channels = set(batch.interactions["channel"])
        assert channels == {"message", "invitation", "endorsement", "recommendation"}
        assert set(batch.interactions["direction"]) == {"in", "out"}
        assert (batch.interactions["n_participants"] > 2).any()  # group conversations
        assert batch.owner_positions.height == 3


def test_newer_export_is_a_superset_of_the_older_history(batches):
    old, new = batches
    old_uids = set(old.interactions.filter(pl.col("channel") != "invitation")["uid_key"])
    new_uids = set(new.interactions["uid_key"])
    assert old_uids <= new_uids
    assert len(new_uids) > len(old_uids)


def test_role_changes_between_the_exports(batches):
    old, new = (_connections(b).select("linkedin_url", "company", "position") for b in batches)
    both = old.join(new, on="linkedin_url", suffix="_new")
    assert both.height == 400
    changed = both.filter(
        (pl.col("company") != pl.col("company_new"))
        | (pl.col("position") != pl.col("position_new"))
    )
    assert 10 <= changed.height <= 40
    assert (changed["company"] != changed["company_new"]).sum() >= 5


def test_sample_text_mentions_topics_for_matching(batches):
    bodies = " ".join(batches[1].interactions["body"].drop_nulls().to_list()).lower()
    for phrase in ("data engineering", "hiring", "looking for a new role"):
        assert phrase in bodies
