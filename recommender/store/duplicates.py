"""One person = one contact, after the fact: proposed duplicates, merge and split.

A merge never moves an interaction, identity, tag or note: it sets
``contacts.merged_into`` on the absorbed contact (and on the contacts it had absorbed, so
``merged_into`` always names a contact that is not merged itself), and records the merge
in the ``merges`` table. Everything that reads the store folds merged contacts into the one
they were merged into (``coalesce(merged_into, contact_id)``). A split undoes a merge
exactly and leaves a record that the two are different people: they are then never merged
automatically again nor proposed.

Duplicates are proposed, never applied, from fuzzy name similarity (``rapidfuzz``)
compared only within blocks (contacts sharing the first three letters of a name token),
(contacts whose names share the first two letters of two tokens), so the work grows
with block sizes, not with all pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict

import polars as pl

from pipelines.arrow import ArrowStream
from recommender.errors import NotFoundError, UsageError
from recommender.store.db import PERSONAL_OWNER, Store, utcnow
from recommender.store.identity import norm_company_expr, norm_name_expr

DEFAULT_THRESHOLD = 88.0
COMPANY_AGREES = 80.0  # company similarity at or above which two companies are "the same"
BLOCK_PREFIX = 2


# -- naming a contact -----------------------------------------------------------------------


def root_of(store: Store, contact_id: int) -> int:
    got = store.scalar(
        "SELECT coalesce(merged_into, contact_id) FROM contacts WHERE contact_id = ?",
        [contact_id],
    )
    if got is None:
        raise NotFoundError(f"no contact {contact_id}")
    return int(got)


# -- merge and split ------------------------------------------------------------------------


def kept_apart(store: Store, owner_id: int | None = None) -> set[tuple[int, int]]:
    """Pairs (low id, high id) the owner split: never merged automatically, never proposed."""
    sql = "SELECT kept_id, absorbed_id FROM merges WHERE undone_at IS NOT NULL"
    params: list = []
    if owner_id is not None:
        sql += " AND owner_id = ?"
        params.append(owner_id)
    return {(min(a, b), max(a, b)) for a, b in store.con.execute(sql, params).fetchall()}


def merge_contacts(
    store: Store,
    kept: int,
    absorbed: int,
    reason: str = "user",
    evidence: dict | None = None,
    import_id: int | None = None,
) -> dict:
    """Merge contact ``absorbed`` into ``kept`` (both resolved to the contacts they show
    as). Returns the merge record."""
    with store.transaction():
        rows = store.con.execute(
            "SELECT contact_id, owner_id, coalesce(merged_into, contact_id) FROM contacts "
            "WHERE contact_id IN (?, ?)",
            [kept, absorbed],
        ).fetchall()
        info = {int(r[0]): (int(r[1]), int(r[2])) for r in rows}
        for cid in (kept, absorbed):
            if cid not in info:
                raise NotFoundError(f"no contact {cid}")
        kept_root, absorbed_root = info[kept][1], info[absorbed][1]
        if info[kept][0] != info[absorbed][0]:
            raise UsageError("these contacts belong to different owners; they cannot be merged")
        if kept_root == absorbed_root:
            raise UsageError(f"contacts {kept} and {absorbed} are already one contact")
        moved = [
            int(r[0])
            for r in store.con.execute(
                "SELECT contact_id FROM contacts WHERE merged_into = ? ORDER BY contact_id",
                [absorbed_root],
            ).fetchall()
        ]
        store.con.execute(
            "UPDATE contacts SET merged_into = ? WHERE contact_id = ? OR merged_into = ?",
            [kept_root, absorbed_root, absorbed_root],
        )
        merge_id = store.next_id("merges", "merge_id")
        record = {
            "merge_id": merge_id,
            "owner_id": info[kept][0],
            "kept_id": kept_root,
            "absorbed_id": absorbed_root,
            "reason": reason,
            "evidence": evidence or {},
            "moved": moved,
            "import_id": import_id,
            "created_at": utcnow(),
        }
        store.con.execute(
            "INSERT INTO merges (merge_id, owner_id, kept_id, absorbed_id, reason, evidence, "
            "moved, import_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                merge_id,
                record["owner_id"],
                kept_root,
                absorbed_root,
                reason,
                json.dumps(record["evidence"], default=str),
                moved,
                import_id,
                record["created_at"],
            ],
        )
    return record


def merge_roots_bulk(
    store: Store,
    merges: list[tuple[int, int, dict]],
    reason: str = "bridge",
    import_id: int | None = None,
) -> int:
    """Apply many merges at once: ``(kept, absorbed, evidence)`` where both are contacts not
    merged into anything, every ``absorbed`` appears once and is never a ``kept``. Same
    records as :func:`merge_contacts`, in a few set-based statements."""
    if not merges:
        return 0
    con = store.con
    with store.transaction():
        start = store.next_id("merges", "merge_id")
        frame = pl.DataFrame(
            {
                "merge_id": [start + i for i in range(len(merges))],
                "kept_id": [m[0] for m in merges],
                "absorbed_id": [m[1] for m in merges],
                "evidence": [json.dumps(m[2], default=str) for m in merges],
            },
            schema={
                "merge_id": pl.Int64,
                "kept_id": pl.Int64,
                "absorbed_id": pl.Int64,
                "evidence": pl.String,
            },
        )
        con.register("_merges", ArrowStream(frame))
        con.execute(
            """INSERT INTO merges (merge_id, owner_id, kept_id, absorbed_id, reason, evidence,
                   moved, import_id, created_at)
               SELECT m.merge_id, c.owner_id, m.kept_id, m.absorbed_id, ?, m.evidence,
                   coalesce((SELECT list(x.contact_id ORDER BY x.contact_id) FROM contacts x
                             WHERE x.merged_into = m.absorbed_id), []),
                   ?, ?
               FROM _merges m JOIN contacts c ON c.contact_id = m.absorbed_id""",
            [reason, import_id, utcnow()],
        )
        con.execute(
            """UPDATE contacts SET merged_into = m.kept_id FROM _merges m
               WHERE contacts.contact_id = m.absorbed_id OR contacts.merged_into = m.absorbed_id"""
        )
        con.unregister("_merges")
    return len(merges)


def _undo(store: Store, merge_id: int, kept: int, absorbed: int, moved: list[int]) -> None:
    store.con.execute("UPDATE contacts SET merged_into = NULL WHERE contact_id = ?", [absorbed])
    if moved:
        store.con.execute(
            "UPDATE contacts SET merged_into = ? WHERE list_contains(?, contact_id) "
            "AND merged_into = ?",
            [absorbed, moved, kept],
        )
    store.con.execute("UPDATE merges SET undone_at = ? WHERE merge_id = ?", [utcnow(), merge_id])


def split_contact(store: Store, contact_id: int) -> list[dict]:
    """Undo merges: if ``contact_id`` was merged into another, undo that merge; if others
    were merged into it, undo every one of those. Returns the merges undone."""
    undone = []
    with store.transaction():
        merged_into = store.scalar(
            "SELECT merged_into FROM contacts WHERE contact_id = ?", [contact_id]
        )
        if merged_into is not None:
            rows = store.con.execute(
                "SELECT merge_id, kept_id, absorbed_id, moved FROM merges "
                "WHERE absorbed_id = ? AND undone_at IS NULL ORDER BY merge_id DESC LIMIT 1",
                [contact_id],
            ).fetchall()
            if not rows:  # absorbed along with another contact: split that one
                rows = store.con.execute(
                    "SELECT merge_id, kept_id, absorbed_id, moved FROM merges "
                    "WHERE list_contains(moved, ?) AND undone_at IS NULL "
                    "ORDER BY merge_id DESC LIMIT 1",
                    [contact_id],
                ).fetchall()
        else:
            rows = store.con.execute(
                "SELECT merge_id, kept_id, absorbed_id, moved FROM merges "
                "WHERE kept_id = ? AND undone_at IS NULL ORDER BY merge_id DESC",
                [contact_id],
            ).fetchall()
        if not rows:
            raise UsageError(f"contact {contact_id} is not merged with any other contact")
        for merge_id, kept, absorbed, moved in rows:
            current = root_of(store, int(absorbed))
            _undo(store, int(merge_id), current, int(absorbed), [int(m) for m in moved or []])
            undone.append(
                {"merge_id": int(merge_id), "kept_id": int(kept), "absorbed_id": int(absorbed)}
            )
    return undone


# -- proposals ------------------------------------------------------------------------------


def _contact_names(store: Store, owner_id: int) -> pl.DataFrame:
    """Root contacts with a comparable name: ``contact_id, name, norm, company, ncompany``."""
    frame = store.frame(
        "SELECT contact_id, display_name AS name, company, email FROM contacts "
        "WHERE owner_id = ? AND merged_into IS NULL",
        [owner_id],
    )
    if frame.height == 0:
        return frame
    local = pl.col("name").str.extract(r"^([^@\s]+)@", 1).str.replace_all(r"[._\-+]+", " ")
    name_source = pl.when(pl.col("name").str.contains("@")).then(local).otherwise(pl.col("name"))
    frame = frame.with_columns(
        norm_name_expr(name_source).alias("norm"),
        norm_company_expr("company").alias("ncompany"),
    ).filter(pl.col("norm").is_not_null())
    frame = frame.with_columns(
        pl.col("norm").str.split(" ").list.sort().list.join(" ").alias("norm")
    ).filter(pl.col("norm").str.split(" ").list.len() >= 2)
    return frame


def block_keys(name: str) -> set[str]:
    """Blocking keys of a normalised name: for every two of its tokens, their first
    letters, in sorted order ("dana smith", "smith dana", "dan smyth" share "da|sm")."""
    tokens = sorted({t[:BLOCK_PREFIX] for t in name.split() if len(t) >= 2})
    if len(tokens) > 4:  # long names: their first four tokens are enough
        tokens = tokens[:4]
    return {f"{a}|{b}" for i, a in enumerate(tokens) for b in tokens[i + 1 :]}


def candidate_pairs(names: list[str], threshold: float) -> dict[tuple[int, int], float]:
    """Index pairs (i < j) whose names score at least ``threshold``, compared within blocks
    of names sharing a token's first letters."""
    import numpy as np
    from rapidfuzz import fuzz, process

    blocks: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names):
        for key in block_keys(name):
            blocks[key].append(i)
    pairs: dict[tuple[int, int], float] = {}
    for members in blocks.values():
        if len(members) < 2:
            continue
        subset = [names[i] for i in members]
        scores = process.cdist(
            subset,
            subset,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            dtype=np.uint8,
            workers=-1,
        )
        rows, cols = np.nonzero(np.triu(scores, k=1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = members[r], members[c]
            key = (a, b) if a < b else (b, a)
            pairs[key] = float(scores[r, c])
    return pairs


def propose_duplicates(
    store: Store, owner_key: str = PERSONAL_OWNER, threshold: float = DEFAULT_THRESHOLD
) -> list[dict]:
    """Contacts that may be one person, best first, each with its evidence: name score,
    shared name tokens, companies, and the sources each contact came from. Pairs whose
    companies are both known and differ are left out, as are pairs the owner split."""
    from rapidfuzz import fuzz

    owner = store.owner_id(owner_key, create=False)
    if owner is None:
        return []
    frame = _contact_names(store, owner)
    if frame.height < 2:
        return []
    ids = frame["contact_id"].to_list()
    names = frame["norm"].to_list()
    companies = frame["ncompany"].to_list()
    pairs = candidate_pairs(names, threshold)
    apart = kept_apart(store, owner)
    kept = []
    for (i, j), score in pairs.items():
        ci, cj = companies[i], companies[j]
        if ci and cj and fuzz.token_sort_ratio(ci, cj) < COMPANY_AGREES:
            continue
        kept.append((i, j, score))
    if apart and kept:
        members = store.frame(
            "SELECT contact_id, coalesce(merged_into, contact_id) AS root FROM contacts "
            "WHERE owner_id = ?",
            [owner],
        )
        root = dict(zip(members["contact_id"].to_list(), members["root"].to_list(), strict=True))
        apart_roots = {
            (min(root[a], root[b]), max(root[a], root[b]))
            for a, b in apart
            if a in root and b in root
        }
        kept = [
            (i, j, s)
            for i, j, s in kept
            if (min(ids[i], ids[j]), max(ids[i], ids[j])) not in apart_roots
        ]
    if not kept:
        return []
    involved = sorted({ids[i] for i, _, _ in kept} | {ids[j] for _, j, _ in kept})
    sources = store.frame(
        """SELECT coalesce(c.merged_into, c.contact_id) AS contact_id,
                  list(DISTINCT m.source_kind ORDER BY m.source_kind) AS sources,
                  list(DISTINCT i.key ORDER BY i.key) FILTER (WHERE i.kind = 'email') AS emails
           FROM contacts c JOIN identities i ON i.contact_id = c.contact_id
           LEFT JOIN imports m ON m.import_id = i.import_id
           WHERE list_contains(?, coalesce(c.merged_into, c.contact_id))
           GROUP BY 1""",
        [involved],
    )
    by_id = {r["contact_id"]: r for r in sources.to_dicts()}
    rows = frame.select("contact_id", "name", "company").to_dicts()
    out = []
    for i, j, score in sorted(kept, key=lambda t: (-t[2], ids[t[0]], ids[t[1]])):
        a, b = rows[i], rows[j]
        info_a, info_b = by_id.get(a["contact_id"], {}), by_id.get(b["contact_id"], {})
        srcs = sorted(
            {s for s in (info_a.get("sources") or []) + (info_b.get("sources") or []) if s}
        )
        out.append(
            {
                "a": {**a, "emails": info_a.get("emails") or []},
                "b": {**b, "emails": info_b.get("emails") or []},
                "score": score,
                "shared_tokens": sorted(set(names[i].split()) & set(names[j].split())),
                "companies": sorted({c for c in (a["company"], b["company"]) if c}),
                "same_company": bool(companies[i] and companies[i] == companies[j]),
                "sources": srcs,
            }
        )
    return out
