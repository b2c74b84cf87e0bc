"""Share an article: the item whose text best matches what is known of the contact
(position, company, tags, notes, endorsed skills, past messages), by TF-IDF + cosine,
weighted by the article's freshness. Never the same item twice to the same person.

The text model is scikit-learn's ``TfidfVectorizer`` (English stop words, sublinear tf,
smooth idf, l2-normalised rows) and cosine similarity."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from recommender.actions import PlanContext, candidates_frame, day, first_name
from recommender.items import item_text, load_items

MIN_SIMILARITY = 0.08
FULL_SIMILARITY = 0.35


TOKEN_PATTERN = re.compile(r"(?u)(?<![\w+#])[a-zA-Z][a-zA-Z0-9+#]+")  # keeps C++, C#


def tfidf(docs: list[str]):
    """TF-IDF of ``docs`` (scikit-learn's ``TfidfVectorizer``): (csr matrix with sorted
    indices, vocabulary array), or None when no document has a term."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", sublinear_tf=True, token_pattern=TOKEN_PATTERN.pattern
    )
    try:
        matrix = vectorizer.fit_transform(docs).tocsr()
    except ValueError:  # empty vocabulary: nothing but stop words or no words at all
        return None
    matrix.sort_indices()
    return matrix, vectorizer.get_feature_names_out()


def vectorize(profile_docs: list[str], item_docs: list[str]):
    """TF-IDF fitted on both sides; returns (profiles matrix, items matrix, vocabulary)."""
    found = tfidf(list(profile_docs) + list(item_docs))
    if found is None:
        return None
    matrix, vocab = found
    n = len(profile_docs)
    return matrix[:n], matrix[n:], vocab


def shared_terms(a, i: int, b, j: int, vocab, k: int = 3) -> list[str]:
    """The ``k`` terms contributing most to the cosine of row ``i`` of csr matrix ``a`` and
    row ``j`` of ``b`` (read straight from the csr arrays: no sparse slicing)."""
    a_idx = a.indices[a.indptr[i] : a.indptr[i + 1]]
    b_idx = b.indices[b.indptr[j] : b.indptr[j + 1]]
    common, ia, ib = np.intersect1d(a_idx, b_idx, assume_unique=True, return_indices=True)
    if len(common) == 0:
        return []
    weight = a.data[a.indptr[i] + ia] * b.data[b.indptr[j] + ib]
    order = np.argsort(-weight, kind="stable")[:k]
    return [str(vocab[common[n]]) for n in order]


@dataclass
class TextSpace:
    """One TF-IDF space per plan: profiles of the pool (and of those looking for work),
    articles and job postings, fitted together so that every action shares it."""

    ids: list[int]  # contacts with a non-empty profile, in matrix row order
    index: dict[int, int]
    profiles: object  # csr rows of ``ids``
    items: dict[str, tuple[pl.DataFrame, object]]  # kind -> (items frame, csr rows)
    vocab: np.ndarray


def text_space(ctx: PlanContext) -> TextSpace | None:
    if "text_space" in ctx._cache:
        return ctx._cache["text_space"]
    contacts = sorted(set(ctx.pool) | set(ctx.looking_contacts()))
    profiles = ctx.profiles(contacts).filter(pl.col("doc").str.strip_chars() != "")
    items = {kind: load_items(ctx.store, kind, ctx.as_of) for kind in ("article", "job")}
    docs = profiles["doc"].to_list()
    for frame in items.values():
        if frame.height:
            docs += item_text(frame).to_list()
    found = tfidf(docs) if profiles.height else None
    space = None
    if found is not None:
        matrix, vocab = found
        n = profiles.height
        rows: dict[str, tuple[pl.DataFrame, object]] = {}
        start = n
        for kind, frame in items.items():
            rows[kind] = (frame, matrix[start : start + frame.height])
            start += frame.height
        ids = profiles["contact"].to_list()
        space = TextSpace(ids, {c: i for i, c in enumerate(ids)}, matrix[:n], rows, vocab)
    ctx._cache["text_space"] = space
    return space


def match_matrix(ctx: PlanContext, kind: str, contacts: list[int]):
    """(items, contact ids, similarity contacts x items, their profile rows, item rows,
    vocabulary) for ``contacts`` that have a profile, or None."""
    space = text_space(ctx)
    if space is None:
        return None
    items, xi = space.items[kind]
    ids = [c for c in contacts if c in space.index]
    if items.height == 0 or not ids:
        return None
    xp = space.profiles[[space.index[c] for c in ids]]
    sims = (xp @ xi.T).toarray()
    return items, ids, sims, xp, xi, space.vocab


def pick_best(ctx: PlanContext, ids: list[int], fit: np.ndarray, item_ids: list[int], allowed=None):
    """Row-wise best item by ``fit`` (already -inf where it must not be offered), skipping
    items given before; yields (row, column) for rows with a finite best."""
    given = ctx.given_items()
    if given.height:
        row_of = {c: r for r, c in enumerate(ids)}
        col_of = {item: j for j, item in enumerate(item_ids)}
        for contact, item in given.iter_rows():
            if contact in row_of and item in col_of:
                fit[row_of[contact], col_of[item]] = -np.inf
    if allowed is not None:
        fit[~allowed] = -np.inf
    best = np.argmax(fit, axis=1)
    for row, j in enumerate(best.tolist()):
        if np.isfinite(fit[row, j]):
            yield row, j


def candidates(ctx: PlanContext) -> pl.DataFrame:
    found = match_matrix(ctx, "article", ctx.pool)
    if found is None:
        return candidates_frame([])
    items, ids, sims, xp, xi, vocab = found
    fresh = items["freshness"].to_numpy()
    fit = np.minimum(1.0, sims / FULL_SIMILARITY) * (0.3 + 0.7 * fresh)[None, :]
    fit[sims < MIN_SIMILARITY] = -np.inf
    item_ids = items["item_id"].to_list()
    rows = []
    for row, j in pick_best(ctx, ids, fit, item_ids):
        contact = ids[row]
        item = items.row(j, named=True)
        terms = shared_terms(xp, row, xi, j, vocab)
        name = first_name(ctx.row(contact).get("name"))
        reason = (
            f"'{item['title']}' ({day(item['published_at'])}) fits what {name} cares about: "
            + ", ".join(terms)
        )
        rows.append(
            {
                "contact": contact,
                "action": "share_article",
                "item_id": item_ids[j],
                "fit": float(fit[row, j]),
                "reason": reason,
            }
        )
    return candidates_frame(rows)
