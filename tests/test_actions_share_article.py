from datetime import datetime

import pytest
from test_actions_helpers import AS_OF, build_home

from recommender.actions import share_article
from recommender.actions.context import build_context
from recommender.store.db import open_store


def _by_contact(store):
    found = share_article.candidates(build_context(store, store.owner_id(), AS_OF))
    return {r["contact"]: r for r in found.iter_rows(named=True)}


def test_the_pytorch_article_goes_to_the_ml_engineer(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = _by_contact(store)
        article = store.scalar("SELECT item_id FROM items WHERE title LIKE 'Scaling PyTorch%'")
        future = store.scalar("SELECT item_id FROM items WHERE title LIKE 'From the future%'")
    assert found[ids["gus"]]["item_id"] == article
    assert "pytorch" in found[ids["gus"]]["reason"]
    assert future not in {r["item_id"] for r in found.values()}


def test_never_the_same_item_twice(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        with store.transaction() as con:
            con.execute(
                "INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel, "
                "direction, is_give, detail) VALUES (9999, 'x', ?, ?, ?, 'share', 'out', TRUE, ?)",
                [
                    store.owner_id(),
                    ids["gus"],
                    datetime(2024, 5, 30),
                    "https://example.org/pytorch-training",
                ],
            )
        found = _by_contact(store)
        article = store.scalar("SELECT item_id FROM items WHERE title LIKE 'Scaling PyTorch%'")
    assert found.get(ids["gus"], {}).get("item_id") != article


def test_tfidf_keeps_tech_tokens_and_skips_stop_words():
    import numpy as np

    from recommender.actions.share_article import tfidf

    assert tfidf(["the and of", ""]) is None  # nothing to match on
    matrix, vocab = tfidf(
        [
            "Data pipelines: Spark, Airflow and C++ / C# data tools",
            "the and of",  # only stop words
            "Design reviews for the design system",
        ]
    )
    assert {"c++", "c#", "spark", "airflow", "design"} <= set(vocab)
    assert "the" not in set(vocab)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    assert norms == pytest.approx([1.0, 0.0, 1.0])
    # sublinear tf: "data" twice weighs less than twice "pipelines" once, same idf
    row = dict(zip(vocab, matrix.toarray()[0], strict=True))
    assert row["pipelines"] < row["data"] < 2 * row["pipelines"]
