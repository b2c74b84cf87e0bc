from test_actions_helpers import AS_OF, build_home

from recommender.actions import introduce
from recommender.actions.context import build_context
from recommender.store.db import open_store


def _pairs(store):
    ctx = build_context(store, store.owner_id(), AS_OF)
    return ctx, introduce.candidates(ctx)


def test_hiring_and_looking_who_never_met_are_introduced(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        _, found = _pairs(store)
    by_contact = {r["contact"]: r for r in found.iter_rows(named=True)}
    assert by_contact[ids["bo"]]["partner"] == ids["ana"]
    assert "looking for work (tag 'open to work')" in by_contact[ids["bo"]]["reason"]
    assert "is hiring (tag 'hiring')" in by_contact[ids["bo"]]["reason"]
    # the complementary pair is the best one
    assert found.sort("fit", descending=True)["contact"][0] == ids["bo"]


def test_the_same_pair_after_a_shared_thread_is_not_introduced(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store, shared_thread=True)
        ctx, found = _pairs(store)
        pairs = introduce.introduction_pairs(ctx)
    together = {ids["ana"], ids["bo"]}
    assert not any({r["contact"], r["partner"]} == together for r in found.iter_rows(named=True))
    assert not any({r["a"], r["b"]} == together for r in pairs.iter_rows(named=True))


def test_dormant_and_nameonly_contacts_are_not_partners(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        _, found = _pairs(store)
    people = set(found["contact"].to_list()) | set(found["partner"].to_list())
    assert ids["ed"] not in people and ids["hal"] not in people


def test_large_sets_use_hashing_and_still_find_their_twins(monkeypatch):
    """Above EXACT_LIMIT rows the search is approximate (LSH); rows that share a profile
    must still find each other, and never a row of another topic first."""
    import numpy as np
    from scipy.sparse import csr_matrix

    monkeypatch.setattr(introduce, "EXACT_LIMIT", 50)
    monkeypatch.setattr(introduce, "BUCKET_SIZE", 20)
    rng = np.random.default_rng(1)
    topics = rng.random((30, 200)) * (rng.random((30, 200)) < 0.05)
    rows = np.repeat(topics, 4, axis=0)  # 120 rows: 30 topics x 4 twins
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    found: dict[int, set[int]] = {}
    for block, neighbours in introduce.top_k_neighbours(csr_matrix(rows), k=3):
        for row, near in zip(block, neighbours, strict=True):
            found.setdefault(int(row), set()).update(int(n) for n in near)
    assert len(found) == 120
    for row, near in found.items():
        twins = {row // 4 * 4 + t for t in range(4)}
        assert twins <= near, row
