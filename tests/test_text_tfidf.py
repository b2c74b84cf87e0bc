"""``share_article.tfidf`` is scikit-learn's TfidfVectorizer without importing scikit-learn:
same vocabulary, same sparsity pattern, same floats (to 1e-12), None for an empty vocabulary.
These tests import scikit-learn as the reference; the daily path must not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from recommender.actions.share_article import TOKEN_PATTERN, tfidf
from recommender.actions.stop_words import ENGLISH_STOP_WORDS as COPIED_STOP_WORDS

REPO = Path(__file__).resolve().parents[1]


def sklearn_tfidf(docs: list[str]):
    """The implementation ``tfidf`` replaced, verbatim."""
    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, token_pattern=TOKEN_PATTERN.pattern
    )
    try:
        matrix = vectorizer.fit_transform(docs).tocsr()
    except ValueError:
        return None
    matrix.sort_indices()
    return matrix, vectorizer.get_feature_names_out()


def assert_same(docs: list[str]) -> None:
    ours, theirs = tfidf(docs), sklearn_tfidf(docs)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    (x, vocab), (y, ref_vocab) = ours, theirs
    assert vocab.dtype == ref_vocab.dtype
    assert vocab.tolist() == ref_vocab.tolist()
    assert sparse.isspmatrix_csr(x) and type(x) is type(y)
    assert x.shape == y.shape == (len(docs), len(ref_vocab))
    assert x.dtype == np.float64
    assert x.has_sorted_indices
    assert np.array_equal(x.indptr, y.indptr)
    assert np.array_equal(x.indices, y.indices)
    assert np.allclose(x.toarray(), y.toarray(), rtol=0, atol=1e-12)
    assert np.allclose(x.data, y.data, rtol=0, atol=1e-12)


KNOWN = [
    "Senior Data Engineer at Acme: data pipelines, Spark, Airflow",
    "C++ and C# developer; likes c++ templates and C#/.NET",
    "The and of with for",  # stop words only: an all-zero row
    "",
    "pytorch pytorch pytorch PyTorch training at scale",
    "Machine learning engineer, PyTorch, distributed training, MLOps",
    "Straße naïve café résumé Über ÉCOLE x y z a1 b2 3d",
    "e-mail e+mail a#b #hash +plus x++ go golang Go",
    "ΣΊΣΥΦΟΣ İstanbul \u212aelvin ﬁle",  # non-ASCII letters whose lowercase may be ASCII
    "repeated repeated repeated repeated words words",
]


def test_known_documents_match_sklearn():
    assert_same(KNOWN)


def test_known_documents_in_other_orders_match_sklearn():
    assert_same(list(reversed(KNOWN)))
    assert_same(KNOWN[1:2] * 3 + KNOWN)


def test_values_by_hand():
    x, vocab = tfidf(["data data pipelines", "data"])
    assert vocab.tolist() == ["data", "pipelines"]
    idf_data = np.log(3 / 3) + 1
    idf_pipelines = np.log(3 / 2) + 1
    row = np.array([(1 + np.log(2)) * idf_data, idf_pipelines])
    assert np.allclose(x.toarray(), [row / np.linalg.norm(row), [1.0, 0.0]], atol=1e-15)


@pytest.mark.parametrize(
    "docs",
    [[], [""], ["", "  "], ["the of and", "a an"], ["x y z 1 22 333"], ["+#", "c", "I"]],
)
def test_empty_vocabulary_is_none(docs):
    assert tfidf(docs) is None
    assert sklearn_tfidf(docs) is None


def test_single_term_and_empty_rows():
    x, vocab = tfidf(["", "python", "the"])
    assert vocab.tolist() == ["python"]
    assert x.getnnz(axis=1).tolist() == [0, 1, 0]
    assert x.toarray().tolist() == [[0.0], [1.0], [0.0]]
    assert_same(["", "python", "the"])


def test_callers_csr_api():
    x, _ = tfidf(KNOWN)
    assert np.allclose(sparse.linalg.norm(x, axis=1)[x.getnnz(axis=1) > 0], 1.0)
    rows = x[[1, 0, 1]]
    assert np.array_equal(rows.toarray(), x.toarray()[[1, 0, 1]])
    dense = np.ones((x.shape[1], 2))
    assert np.allclose(x @ dense, x.toarray() @ dense)
    assert np.allclose((x[:3] @ x[3:].T).toarray(), x.toarray()[:3] @ x.toarray()[3:].T)


WORDS = [
    "data",
    "Data",
    "DATA",
    "pipelines",
    "C++",
    "c++",
    "C#",
    "c#",
    "F#",
    "x++",
    "the",
    "and",
    "of",
    "with",
    "a",
    "I",
    "go",
    "Python3",
    "ml",
    "ML",
    "naïve",
    "Straße",
    "ÉCOLE",
    "İ",
    "\u212a8s",
    "ΣΑΣ",
    "数据",
    "e-mail",
    "#tag",
    "+1",
    "_x",
    "x_y",
    "3d",
]
ALPHABET = "abcXYZ019+#_-. \n\téßİΣ\u212a数"

piece = st.one_of(st.sampled_from(WORDS), st.text(alphabet=ALPHABET, max_size=8))
document = st.lists(piece, max_size=25).flatmap(
    lambda parts: st.sampled_from([" ", "", ", ", "\n"]).map(lambda sep: sep.join(parts))
)


@settings(max_examples=300, deadline=None)
@given(st.lists(document, max_size=12))
def test_random_documents_match_sklearn(docs):
    assert_same(docs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=8))
def test_arbitrary_unicode_matches_sklearn(docs):
    assert_same(docs)


def test_larger_corpus_with_long_documents_matches_sklearn():
    rng = np.random.default_rng(7)
    vocab = np.array(WORDS + [f"term{i}" for i in range(3000)] + sorted(ENGLISH_STOP_WORDS))
    docs = []
    for i in range(400):
        n = 3000 if i % 50 == 0 else int(rng.integers(0, 80))
        docs.append(" ".join(rng.choice(vocab, size=n).tolist()))
    assert_same(docs)


def test_stop_words_are_sklearns():
    assert isinstance(COPIED_STOP_WORDS, frozenset)
    assert COPIED_STOP_WORDS == ENGLISH_STOP_WORDS
    assert len(COPIED_STOP_WORDS) == 318


def test_daily_path_does_not_import_sklearn():
    code = (
        "import recommender.actions.share_article as s; s.tfidf(['data pipelines']); "
        "import sys; print('sklearn' in sys.modules, 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]
