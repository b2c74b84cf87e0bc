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

People in a batch that share any key are one person (union-find); a person whose keys
already name a contact is that contact. Fuzzy name matches never merge by themselves:
they are only proposed (see ``recommender.duplicates``).
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


def _components(n_rows: int, keys: pl.DataFrame) -> list[int]:
    """Union-find over rows that share a key: component id (smallest row) per row."""
    parent = list(range(n_rows))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    groups = (
        keys.group_by("owner_key", "kind", "key")
        .agg(pl.col("row"))
        .filter(pl.col("row").list.len() > 1)["row"]
    )
    for rows in groups.to_list():
        root = find(rows[0])
        for other in rows[1:]:
            r = find(other)
            if r != root:
                if r < root:
                    root, r = r, root
                parent[r] = root
    return [find(i) for i in range(n_rows)]


def resolve(people: pl.DataFrame, keys: pl.DataFrame, existing: pl.DataFrame) -> pl.DataFrame:
    """Assign each person row a component and the existing contact it resolves to.

    ``people``: rows with ``row, owner_key``; ``keys``: ``row, kind, key, priority``;
    ``existing``: identities ``owner_key, kind, key, contact_id`` and optionally
    ``root_id`` (the contact it is merged into, else itself).

    Returns ``row, component, contact_id, root_id, roots`` (null contact_id: a new
    contact), where every row of a component gets the same contact: the one reached
    through the strongest key. A contact that was merged into another keeps receiving
    what its own keys name (so a split restores it exactly); ``root_id`` is where it
    shows. ``roots`` lists every distinct root the component touches: more than one means
    the new record bridges contacts that are one person, and the caller merges them.
    """
    if "root_id" not in existing.columns:
        existing = existing.with_columns(pl.col("contact_id").alias("root_id"))
    keys = keys.join(people.select("row", "owner_key"), on="row")
    comp = _components(people.height, keys)
    rows = people.select("row").with_columns(pl.Series("component", comp, dtype=pl.Int64))
    hits = (
        keys.join(existing, on=["owner_key", "kind", "key"], how="inner")
        .join(rows, on="row")
        .sort(["component", "priority", "contact_id"])
    )
    best = hits.group_by("component", maintain_order=True).agg(
        pl.col("contact_id").first(),
        pl.col("root_id").first(),
        pl.col("root_id").unique(maintain_order=True).alias("roots"),
        pl.col("kind").unique(maintain_order=True).alias("hit_kinds"),
    )
    return rows.join(best, on="component", how="left").with_columns(
        pl.col("roots").fill_null(pl.lit([], dtype=pl.List(pl.Int64))),
        pl.col("roots").fill_null(pl.lit([], dtype=pl.List(pl.Int64))).alias("also"),
    )
