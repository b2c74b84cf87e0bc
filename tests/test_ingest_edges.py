import gzip

import polars as pl
import pytest
from conftest import TEST_DATA, shared

from pipelines.ingest.edges import import_edges, read_edges
from recommender.errors import InputError
from recommender.store.db import open_store
from recommender.store.importer import apply_batch


def test_real_snap_logs_read_whole():
    eu = read_edges(shared("interactions", "email-Eu-core-temporal.txt.gz"))
    assert eu.height == 332_334
    assert eu.row(0) == (582, 364, 1.0, 0)
    dept3 = read_edges(shared("interactions", "email-Eu-core-temporal-Dept3.txt"))
    assert dept3.height == 12_216
    assert dept3.row(0) == (11, 39, 1.0, 0)


def test_konect_four_columns_crlf_and_percent_comments():
    e = read_edges(TEST_DATA / "edges" / "konect_crlf.txt")
    assert e.rows() == [
        (1, 2, 1.0, 100),
        (2, 1, 1.0, 200),
        (1, 3, 2.0, 300),
        (3, 3, 1.0, 400),
        (1, 2, 1.0, 100),
    ]


def test_snap_tabs_and_hash_comments():
    assert read_edges(TEST_DATA / "edges" / "snap_tabs.txt").rows() == [
        (10, 20, 1.0, 5),
        (20, 10, 1.0, 9),
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"1 2 3\n4 5 x\n", "line 2: TS 'x' is not a number"),
        (b"1 2 3\n4 5 6 7\n", "line 2: expected 3 fields like the lines above, found 4"),
        (b"% header\na b 3\n", "line 2: SRC 'a' is not an integer id"),
        (b"1 2\n", "line 1: expected 'SRC DST TS' or 'SRC DST WEIGHT TS' per line, found 2"),
        (b"% only comments\n", "no edges in the file"),
        (b"", "the file is empty"),
        (b"1 2 3\n\xff\xfe\x00garbage", "line 2: not UTF-8 text"),
    ],
)
def test_bad_edge_lists_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "log.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        read_edges(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_truncated_gzip_is_reported(tmp_path):
    data = gzip.compress(b"1 2 3\n" * 10_000)
    path = tmp_path / "log.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="log.txt.gz"):
        read_edges(path)


def test_import_into_store_is_idempotent_and_keeps_duplicates_apart():
    path = TEST_DATA / "edges" / "konect_crlf.txt"
    with open_store() as store:
        first = apply_batch(store, import_edges(path))
        # 1->2@100 twice (two real messages), 2->1, 1->3: 4 out rows and 4 in rows; node 3
        # only receives but is an owner too (that must not depend on it sending later)
        assert first.interactions_added == 8
        assert store.scalar("SELECT count(*) FROM owners") == 3
        assert first.rows_skipped == 1  # the self-loop
        again = import_edges(path)
        again.sha256 = "an overlapping newer file"  # same events under another file hash
        second = apply_batch(store, again)
        assert second.interactions_added == 0 and second.interactions_known == 8
        assert store.scalar("SELECT count(*) FROM interactions") == 8
        node1 = store.frame(
            "SELECT c.display_name, i.direction, count(*) AS n FROM interactions i "
            "JOIN contacts c USING (contact_id) JOIN owners o ON o.owner_id = i.owner_id "
            "WHERE o.key = 'node:1' GROUP BY ALL ORDER BY ALL"
        )
    assert node1.rows() == [("2", "in", 1), ("2", "out", 2), ("3", "out", 1)]
    assert isinstance(node1, pl.DataFrame)
