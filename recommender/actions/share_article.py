"""Share an article: the item whose text best matches what is known of the contact
(position, company, tags, notes, endorsed skills, past messages), by TF-IDF + cosine,
weighted by the article's freshness. Never the same item twice to the same person.

The text model is TF-IDF (English stop words, sublinear tf, smooth idf, l2-normalised rows)
and cosine similarity. ``tfidf`` reproduces scikit-learn's ``TfidfVectorizer`` exactly (same
vocabulary, same floats) with numpy and scipy.sparse only, because importing scikit-learn
alone costs more than a second on the daily path."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from recommender.actions.context import PlanContext, candidates_frame, day, first_name
from recommender.actions.stop_words import ENGLISH_STOP_WORDS
from recommender.store.items import item_text, load_items

MIN_SIMILARITY = 0.08
FULL_SIMILARITY = 0.35


TOKEN_PATTERN = re.compile(r"(?u)(?<![\w+#])[a-zA-Z][a-zA-Z0-9+#]+")  # keeps C++, C#


def tfidf(docs: list[str]):
    """TF-IDF of ``docs``: (csr matrix with sorted indices, vocabulary array), or None when
    no document has a term.

    Same result as scikit-learn's ``TfidfVectorizer(stop_words="english",
    sublinear_tf=True, token_pattern=TOKEN_PATTERN.pattern).fit_transform(docs)`` and its
    ``get_feature_names_out()`` (bit for bit in practice; the tests demand 1e-12):
    lowercase, ``TOKEN_PATTERN`` tokens minus English stop words; columns = sorted distinct
    terms; tf = 1 + ln(count); idf = ln((1 + n) / (1 + df)) + 1; rows divided by their l2
    norm, the sum of squares taken in scikit-learn's order (terms by first occurrence in
    the corpus)."""
    from scipy.sparse import csr_matrix

    findall = TOKEN_PATTERN.findall
    stop = ENGLISH_STOP_WORDS
    tokens: list[str] = []
    lengths = np.zeros(len(docs), dtype=np.int64)
    for d, doc in enumerate(docs):
        terms = [t for t in findall(doc.lower()) if t not in stop]
        tokens += terms
        lengths[d] = len(terms)
    first_seen = list(dict.fromkeys(tokens))  # scikit-learn's provisional column order
    n_terms = len(first_seen)
    if n_terms == 0:  # scikit-learn: "empty vocabulary" ValueError
        return None
    column = dict(zip(first_seen, range(n_terms), strict=True))
    cols = np.fromiter(map(column.__getitem__, tokens), dtype=np.int64, count=len(tokens))
    rows = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
    # one entry per (document, term), ordered by document then first-seen column
    keys, counts = np.unique(rows * n_terms + cols, return_counts=True)
    rows, cols = np.divmod(keys, n_terms)
    indptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(docs)), out=indptr[1:])

    df = np.bincount(cols, minlength=n_terms).astype(np.float64)
    df += 1.0
    idf = np.full(n_terms, float(len(docs) + 1))
    idf /= df
    np.log(idf, out=idf)
    idf += 1.0

    data = np.log(counts.astype(np.float64))
    data += 1.0
    data *= idf[cols]
    norms = np.sqrt(_sequential_row_sums(data * data, indptr))
    data /= np.repeat(norms, np.diff(indptr))

    # columns renumbered to sorted terms, entries re-sorted within rows
    vocab = sorted(first_seen)
    rank = np.empty(n_terms, dtype=np.int64)
    rank[[column[t] for t in vocab]] = np.arange(n_terms)
    cols = rank[cols]
    order = np.argsort(rows * n_terms + cols, kind="stable")
    index_dtype = np.int32 if max(len(data), n_terms) < np.iinfo(np.int32).max else np.int64
    matrix = csr_matrix(
        (data[order], cols[order].astype(index_dtype), indptr.astype(index_dtype)),
        shape=(len(docs), n_terms),
    )
    matrix.has_sorted_indices = True
    return matrix, np.asarray(vocab, dtype=object)


def _sequential_row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Per-row sums of csr ``values``, added strictly left to right from 0.0 like
    scikit-learn's row normaliser (numpy's own sums are pairwise, so they can differ in the
    last bit). Vectorised across rows: step k adds the k-th entry of every row that has
    one."""
    lengths = np.diff(indptr)
    by_length = np.argsort(-lengths, kind="stable")
    starts = indptr[:-1][by_length]
    remaining = lengths[by_length]
    sums = np.zeros(len(lengths))
    # rows_with[k] = how many rows have more than k entries (they come first)
    rows_with = np.searchsorted(
        -remaining, -np.arange(remaining[0] if len(remaining) else 0), "left"
    )
    for k, m in enumerate(rows_with.tolist()):
        sums[:m] += values[starts[:m] + k]
    out = np.empty_like(sums)
    out[by_length] = sums
    return out


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
