"""One person = one contact: identity keys and their resolution.

Each person a source names yields identity keys, strongest first:

=============  ==========================================================  ========
kind           key                                                         strength
=============  ==========================================================  ========
email          normalised e-mail address                                   exact
linkedin       LinkedIn profile slug (``linkedin.com/in/<slug>``)          exact
node           a source's own id (edge-list node, CSV ``contact_id``)      exact
linkedin_name  normalised full name, for LinkedIn connections only          exact*
name_company   normalised full name + normalised company                   exact
=============  ==========================================================  ========

(*) a LinkedIn export names each connection once, so within LinkedIn the name is a key;
it lets a re-import find a connection whose company changed when the export has no URL.

People in a batch that share an exact key (e-mail, profile, source id) are one person
(union-find); a person whose exact keys name a contact is that contact. The name keys
join only when nothing tells the two apart: two different profile URLs are two people
whatever their names and companies, two different e-mail addresses with nothing but a
name in common are two people, two rows of one LinkedIn Connections.csv are two people,
and a name that several such people share joins none of them (see :func:`resolve`).
Fuzzy name matches never merge by themselves: they are only proposed (see
``recommender.store.duplicates``).
"""

from __future__ import annotations

import polars as pl

KEY_PRIORITY = {"email": 1, "linkedin": 2, "node": 3, "linkedin_name": 4, "name_company": 5}

_COMPANY_SUFFIXES = (
    "inc|incorporated|ltd|limited|llc|llp|gmbh|corp|corporation|co|company|plc|sa|sas|ag|bv|"
    "nv|srl|spa|ab|as|oy|pty|kk|group|holdings"
)


def norm_email_expr(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    e = e.str.strip_chars().str.strip_chars("<>").str.to_lowercase()
    e = e.str.replace(r"^mailto:", "")
    return pl.when(e.str.contains(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")).then(e).otherwise(None)


def norm_name_expr(col: str | pl.Expr) -> pl.Expr:
    """Lower case, accents and punctuation removed, credentials after a comma dropped."""
    e = pl.col(col) if isinstance(col, str) else col
    e = e.str.replace(r",.*$", "")  # "Jane Doe, MBA" -> "Jane Doe"
    e = e.str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    e = e.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ").str.strip_chars()
    return pl.when(e.str.len_chars() > 0).then(e).otherwise(None)


def norm_company_expr(col: str | pl.Expr) -> pl.Expr:
    e = pl.col(col) if isinstance(col, str) else col
    e = e.str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    e = e.str.to_lowercase().str.replace_all(r"[^\p{L}\p{N}]+", " ")
    e = e.str.replace_all(rf"\b({_COMPANY_SUFFIXES})\b", " ").str.replace_all(r"\s+", " ")
    e = e.str.strip_chars()
    return pl.when(e.str.len_chars() > 0).then(e).otherwise(None)


def linkedin_slug_expr(col: str | pl.Expr) -> pl.Expr:
    """``https://www.linkedin.com/in/Jane-Doe-12ab/?x=y`` -> ``jane-doe-12ab``."""
    e = pl.col(col) if isinstance(col, str) else col
    slug = e.str.to_lowercase().str.extract(r"linkedin\.com/(?:in|pub)/([^/?#\s]+)", 1)
    return slug


def norm_name(text: str | None) -> str | None:
    return pl.select(norm_name_expr(pl.lit(text, dtype=pl.String))).item()


def norm_email(text: str | None) -> str | None:
    return pl.select(norm_email_expr(pl.lit(text, dtype=pl.String))).item()


def full_name_expr() -> pl.Expr:
    """display_name, else first + last name."""
    joined = pl.concat_str(
        [pl.col("first_name").fill_null(""), pl.col("last_name").fill_null("")], separator=" "
    ).str.strip_chars()
    return pl.coalesce(pl.col("display_name"), pl.when(joined != "").then(joined))


def person_keys(people: pl.DataFrame, source_kind: str) -> pl.DataFrame:
    """Identity keys of each person row: columns ``row, kind, key, priority``.

    ``people`` follows ``PEOPLE_SCHEMA`` plus a ``row`` index column.
    """
    name = norm_name_expr(full_name_expr())
    company = norm_company_expr("company")
    parts = [
        people.select("row", pl.col("emails").alias("key"))
        .explode("key")
        .select("row", pl.lit("email").alias("kind"), norm_email_expr("key").alias("key")),
        people.select(
            "row", pl.lit("linkedin").alias("kind"), linkedin_slug_expr("linkedin_url").alias("key")
        ),
        people.select("row", pl.lit("node").alias("kind"), pl.col("id_key").alias("key")),
        people.select(
            "row",
            pl.lit("name_company").alias("kind"),
            pl.when(name.is_not_null() & company.is_not_null())
            .then(pl.concat_str([name, company], separator="|"))
            .alias("key"),
        ),
    ]
    if source_kind == "linkedin":
        parts.append(people.select("row", pl.lit("linkedin_name").alias("kind"), name.alias("key")))
    keys = pl.concat(parts).drop_nulls("key").unique(["row", "kind", "key"])
    return keys.with_columns(
        pl.col("kind").replace_strict(KEY_PRIORITY, return_dtype=pl.Int32).alias("priority")
    )


STRONG_KINDS = ("email", "linkedin", "node")
# name-based keys, tried in this order once the exact ones have joined what they join
WEAK_KINDS = ("linkedin_name", "name_company")
# for each name-based key: exact keys whose values, when both sides have some and none is
# shared, show two different people (two profile URLs are two people even with one name
# and company; two e-mail addresses with only a name in common are two people); "root":
# two known contacts are never joined by that key alone
CONFLICTING = {
    "linkedin_name": ("root", "linkedin", "email", "node"),
    "name_company": ("linkedin", "node"),
}


class _People:
    """Union-find over entities (batch rows, then known contacts by their root) with, per
    set, what tells people apart: exact keys by kind, known roots, one-person-per-row
    groups of the source (a LinkedIn Connections.csv names each connection once)."""

    def __init__(self, n: int):
        self.parent = list(range(n))
        self.keys: dict[int, dict[str, set[str]]] = {}
        self.roots: dict[int, set[int]] = {}
        self.groups: dict[int, set[str]] = {}

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra
        for attr in ("keys", "roots", "groups"):
            table = getattr(self, attr)
            other = table.pop(rb, None)
            if other is None:
                continue
            mine = table.setdefault(ra, {} if attr == "keys" else set())
            if attr == "keys":
                for kind, values in other.items():
                    mine.setdefault(kind, set()).update(values)
            else:
                mine.update(other)
        return ra

    def conflict(self, ra: int, rb: int, kinds: tuple[str, ...]) -> bool:
        roots_a, roots_b = self.roots.get(ra, set()), self.roots.get(rb, set())
        if "root" in kinds and roots_a and roots_b and roots_a != roots_b:
            return True  # two known contacts: a name alone never merges them
        if self.groups.get(ra, set()) & self.groups.get(rb, set()):
            return True  # two rows of one list that names each person once
        keys_a, keys_b = self.keys.get(ra, {}), self.keys.get(rb, {})
        for kind in kinds:
            if kind == "root":
                continue
            va, vb = keys_a.get(kind), keys_b.get(kind)
            if va and vb and not va & vb:
                return True
        return False


def resolve(people: pl.DataFrame, keys: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """Assign each person row a component and the existing contact it resolves to.

    ``people``: rows with ``row, owner_key`` and optionally ``distinct_group`` (rows with
    the same value are different people); ``keys``: ``row, kind, key, priority``;
    ``existing``: identities ``owner_key, kind, key, contact_id`` and optionally
    ``root_id`` (the contact it is merged into, else itself).

    Exact keys (e-mail, profile, source id) join whatever shares them. Name keys then join
    a row to others or to one known contact only when nothing tells them apart (see
    ``CONFLICTING``) and the name is not ambiguous: when the people sharing a name cannot
    all be one person, the name joins none of them (a proposal for ``contacts duplicates``
    at most).

    Returns ``row, component, contact_id, root_id, roots`` (null contact_id: a new
    contact), where every row of a component gets the same contact: the one reached
    through the strongest key. A contact that was merged into another keeps receiving
    what its own keys name (so a split restores it exactly); ``root_id`` is where it
    shows. ``roots`` lists every distinct root the component touches: more than one means
    the new record bridges contacts that are one person, and the caller merges them.
    """
    if "root_id" not in existing.columns:
        existing = existing.with_columns(pl.col("contact_id").alias("root_id"))
    n = people.height
    keys = keys.join(people.select("row", "owner_key"), on="row")
    hits = keys.join(existing, on=["owner_key", "kind", "key"], how="inner")
    root_ids = hits["root_id"].unique().sort().to_list()
    node_of_root = {r: n + i for i, r in enumerate(root_ids)}
    uf = _People(n + len(root_ids))
    strong = keys.filter(pl.col("kind").is_in(STRONG_KINDS))
    _seed(uf, people, strong, existing, node_of_root)
    _join_exact(uf, strong, hits, node_of_root)
    _join_names(uf, keys, hits, node_of_root)
    return _components(uf, people, hits)


def _seed(
    uf: _People,
    people: pl.DataFrame,
    strong: pl.DataFrame,
    existing: pl.DataFrame,
    node_of_root: dict[int, int],
) -> None:
    """Give each node (a row, or a known contact hit) its exact keys, its root and its
    ``distinct_group``, which tell people apart."""
    for row, kind, key in strong.select("row", "kind", "key").iter_rows():
        uf.keys.setdefault(row, {}).setdefault(kind, set()).add(key)
    if node_of_root:
        known = existing.filter(
            pl.col("root_id").is_in(list(node_of_root)) & pl.col("kind").is_in(STRONG_KINDS)
        )
        for root, kind, key in known.select("root_id", "kind", "key").iter_rows():
            node = node_of_root[root]
            uf.keys.setdefault(node, {}).setdefault(kind, set()).add(key)
        for root, node in node_of_root.items():
            uf.roots[node] = {root}
    if "distinct_group" in people.columns:
        for row, group in people.select("row", "distinct_group").drop_nulls().iter_rows():
            uf.groups[row] = {group}


def _join_exact(
    uf: _People, strong: pl.DataFrame, hits: pl.DataFrame, node_of_root: dict[int, int]
) -> None:
    """Exact keys: shared within the batch, or naming a known contact."""
    groups = (
        strong.group_by("owner_key", "kind", "key")
        .agg(pl.col("row"))
        .filter(pl.col("row").list.len() > 1)["row"]
    )
    for rows in groups.to_list():
        for other in rows[1:]:
            uf.union(rows[0], other)
    strong_hits = hits.filter(pl.col("kind").is_in(STRONG_KINDS))
    for row, root in strong_hits.select("row", "root_id").unique().iter_rows():
        uf.union(row, node_of_root[root])


def _join_names(
    uf: _People, keys: pl.DataFrame, hits: pl.DataFrame, node_of_root: dict[int, int]
) -> None:
    """Name keys: join only what nothing tells apart, and never on an ambiguous name."""
    for kind in WEAK_KINDS:
        weak = keys.filter(pl.col("kind") == kind).select(
            "owner_key", "key", pl.col("row").alias("node")
        )
        weak_known = (
            hits.filter(pl.col("kind") == kind)
            .select("owner_key", "key", "root_id")
            .unique()
            .with_columns(
                pl.col("root_id").replace_strict(node_of_root, return_dtype=pl.Int64).alias("node")
            )
            .select("owner_key", "key", "node")
        )
        members = (
            pl.concat([weak.with_columns(pl.col("node").cast(pl.Int64)), weak_known])
            .group_by("owner_key", "key")
            .agg(pl.col("node").unique())
            .filter(pl.col("node").list.len() > 1)["node"]
        )
        kinds = CONFLICTING[kind]
        for nodes in members.to_list():
            sets = sorted({uf.find(x) for x in nodes})
            if len(sets) < 2:
                continue
            if any(uf.conflict(a, b, kinds) for i, a in enumerate(sets) for b in sets[i + 1 :]):
                continue
            for other in sets[1:]:
                uf.union(sets[0], other)


def _components(uf: _People, people: pl.DataFrame, hits: pl.DataFrame) -> pl.DataFrame:
    """Each row's component (its first row) and the contact reached through its strongest
    key among the known contacts the component joined (see :func:`resolve`)."""
    n = people.height
    finds = [uf.find(i) for i in range(n)]
    first_row: dict[int, int] = {}
    for i, f in enumerate(finds):
        first_row.setdefault(f, i)
    rows = people.select("row").with_columns(
        pl.Series("component", [first_row[f] for f in finds], dtype=pl.Int64)
    )
    # the known contacts each component joined; a name hit on any other one is dropped
    allowed = pl.DataFrame(
        [(first_row[f], root) for f in first_row for root in sorted(uf.roots.get(f, ()))],
        schema={"component": pl.Int64, "root_id": pl.Int64},
        orient="row",
    )
    best = (
        hits.join(rows, on="row")
        .join(allowed, on=["component", "root_id"], how="semi")
        .sort(["component", "priority", "contact_id"])
        .group_by("component", maintain_order=True)
        .agg(
            pl.col("contact_id").first(),
            pl.col("root_id").first(),
            pl.col("root_id").unique(maintain_order=True).alias("roots"),
            pl.col("kind").unique(maintain_order=True).alias("hit_kinds"),
        )
    )
    return rows.join(best, on="component", how="left").with_columns(
        pl.col("roots").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        pl.col("roots").fill_null(pl.lit([], dtype=pl.List(pl.Int64))).alias("also"),
    )
