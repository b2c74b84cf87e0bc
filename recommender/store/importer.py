"""Apply an :class:`~pipelines.ingest.batch.ImportBatch` to the store, in one transaction.

Steps: recognise an input already imported (same source kind and sha256: nothing
changes); create owners; resolve people to contacts (``recommender.store.identity``); fill in
what contacts lacked; record ``new_role`` events where a newer source shows a different
company or position; insert interactions not seen before (deduped on md5 of the source's
natural key); record the import's provenance.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime

import polars as pl

from pipelines.arrow import ArrowStream
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.owners import PERSONAL_OWNER
from pipelines.ingest.placeholders import placeholder_address_expr, placeholder_name_expr
from recommender.store.db import Store, utcnow
from recommender.store.identity import full_name_expr, person_keys, resolve
from recommender.store.tombstones import left_out


@dataclass
class ImportResult:
    source_kind: str
    label: str
    already_imported: bool = False
    import_id: int | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    contacts_added: int = 0
    contacts_updated: int = 0
    interactions_added: int = 0
    interactions_known: int = 0
    events_added: int = 0
    details: dict = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    nothing_to_import: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def _owner_ids(store: Store, batch: ImportBatch, now: datetime) -> pl.DataFrame:
    """owner_key -> owner_id for every owner in the batch (created when new)."""
    con = store.con
    keys = pl.concat(
        [batch.people.select("owner_key"), batch.interactions.select("owner_key")]
    ).unique()
    if not batch.multi_owner:
        keys = pl.DataFrame({"owner_key": [PERSONAL_OWNER]})
    known = store.frame("SELECT key AS owner_key, owner_id FROM owners")
    new = keys.join(known, on="owner_key", how="anti").sort("owner_key")
    if new.height:
        start = store.next_id("owners", "owner_id")
        new = new.with_columns(
            (pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("owner_id"),
            pl.lit(now).alias("created_at"),
        )
        con.register("_new_owners", ArrowStream(new))
        con.execute(
            "INSERT INTO owners (owner_id, key, created_at) "
            "SELECT owner_id, owner_key, created_at FROM _new_owners"
        )
        con.unregister("_new_owners")
    ids = store.frame("SELECT key AS owner_key, owner_id FROM owners")
    return keys.join(ids, on="owner_key")


def _personal_owner_details(store: Store, batch: ImportBatch, owner_id: int, import_id: int):
    con = store.con
    if batch.owner_name:
        con.execute(
            "UPDATE owners SET name = ? WHERE owner_id = ? AND name IS NULL",
            [batch.owner_name, owner_id],
        )
    for kind, key in batch.owner_aliases:
        if key:
            con.execute(
                "INSERT INTO owner_aliases VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                [owner_id, kind, key],
            )
    if batch.owner_positions is not None and batch.owner_positions.height:
        con.execute("DELETE FROM owner_positions WHERE owner_id = ?", [owner_id])
        positions = batch.owner_positions.with_columns(
            pl.lit(owner_id, dtype=pl.Int64).alias("owner_id"),
            pl.lit(import_id, dtype=pl.Int64).alias("import_id"),
        )
        con.register("_pos", ArrowStream(positions))
        con.execute(
            "INSERT INTO owner_positions (owner_id, company, title, location, started_on, "
            "finished_on, import_id) SELECT owner_id, company, title, location, started_on, "
            "finished_on, import_id FROM _pos"
        )
        con.unregister("_pos")


def _one_per_contact(people: pl.DataFrame) -> pl.DataFrame:
    """Merge the rows of one contact: first non-null value of each field wins."""
    value_cols = [
        c
        for c in people.columns
        if c
        not in (
            "row",
            "component",
            "contact_id",
            "owner_key",
            "owner_id",
            "ref",
            "also",
            "root_id",
            "distinct_group",
        )
    ]
    return (
        people.sort("row")
        .group_by("contact_id", maintain_order=True)
        .agg(
            pl.col("owner_id").first(),
            *[
                pl.col(c)
                .list.explode(keep_nulls=False, empty_as_null=False)
                .drop_nulls()
                .unique(maintain_order=True)
                if c in ("emails", "tags")
                else pl.col(c).drop_nulls().first()
                for c in value_cols
            ],
        )
    )


def _without_placeholders(
    people: pl.DataFrame, interactions: pl.DataFrame, result: ImportResult
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Drop placeholder addresses from every person, and the people who are then nobody (a
    placeholder or no name, and no address, profile or source id left), with their
    interactions. The one list of placeholders is ``pipelines.ingest.placeholders``."""
    emails = pl.col("emails").fill_null([])
    people = people.with_columns(
        emails.list.eval(pl.element().filter(~placeholder_address_expr(pl.element())))
    )
    nobody = (
        (placeholder_name_expr(pl.col("display_name")) | pl.col("display_name").is_null())
        & (pl.col("emails").list.len() == 0)
        & pl.col("linkedin_url").is_null()
        & pl.col("id_key").is_null()
    ) | (
        placeholder_address_expr(pl.col("display_name"))
        & (pl.col("emails").list.len() == 0)
        & pl.col("linkedin_url").is_null()
        & pl.col("id_key").is_null()
    )
    gone = people.filter(nobody)
    if not gone.height:
        return people, interactions
    before = interactions.height
    interactions = interactions.join(
        gone.select("owner_key", "ref"), on=["owner_key", "ref"], how="anti"
    )
    result.details["placeholders_left_out"] = {
        "people": gone.height,
        "interactions": before - interactions.height,
    }
    result.notes.append(
        f"{gone.height:,} placeholder or no-reply {'entry' if gone.height == 1 else 'entries'} "
        f"left out ({before - interactions.height:,} interactions)"
    )
    return people.filter(~nobody), interactions


def apply_batch(store: Store, batch: ImportBatch) -> ImportResult:
    """Write ``batch`` into the store in one transaction and say what changed."""
    result = ImportResult(batch.source_kind, batch.label, notes=list(batch.notes))
    if batch.empty:
        result.nothing_to_import = True
        result.rows_read, result.rows_skipped = batch.rows_read, batch.rows_skipped
        result.details.update(batch.details)
        return result
    with store.transaction():
        seen = store.scalar(
            "SELECT import_id FROM imports WHERE source_kind = ? AND sha256 = ?",
            [batch.source_kind, batch.sha256],
        )
        if seen is not None:
            result.already_imported = True
            result.import_id = int(seen)
            return result
        now = utcnow()
        import_id = store.next_id("imports", "import_id")
        owners = _owner_ids(store, batch, now)
        people, interactions = _batch_rows(store, batch, owners, import_id, result)
        # -- who is who ---------------------------------------------------------------
        people, interactions, keys = _without_forgotten(store, batch, people, interactions, result)
        people, bridges = _contact_ids(store, people, keys, owners, result)
        # -- contacts: new ones, then fill-ins and role changes for known ones ----------
        _write_contacts(store, batch, people, import_id, now, result)
        _write_identities(store, keys, people, import_id)
        _write_source_tags(store, batch, people, now)
        # -- interactions -------------------------------------------------------------------
        result.interactions_added, result.interactions_known = _insert_interactions(
            store, interactions, people, import_id
        )
        _update_first_seen(store, import_id)
        # -- a record that names two known contacts by exact keys: they are one person --
        result.details["contacts_merged"] = _merge_bridged(store, bridges, keys, people, import_id)
        _record_import(store, batch, import_id, now, result)
    return result


def _batch_rows(
    store: Store, batch: ImportBatch, owners: pl.DataFrame, import_id: int, result: ImportResult
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The batch's people (numbered by ``row``, with their owner and display name) and
    interactions, placeholders left out; a personal import records the owner's details."""
    people = batch.people
    interactions = batch.interactions
    if not batch.multi_owner:
        people = people.with_columns(pl.lit(PERSONAL_OWNER).alias("owner_key"))
        interactions = interactions.with_columns(pl.lit(PERSONAL_OWNER).alias("owner_key"))
    people = people.join(owners, on="owner_key", how="left").with_columns(
        full_name_expr().alias("display_name")
    )
    people, interactions = _without_placeholders(people, interactions, result)
    people = people.with_row_index("row").with_columns(pl.col("row").cast(pl.Int64))
    if not batch.multi_owner:
        _personal_owner_details(store, batch, int(owners["owner_id"][0]), import_id)
    return people, interactions


def _without_forgotten(
    store: Store,
    batch: ImportBatch,
    people: pl.DataFrame,
    interactions: pl.DataFrame,
    result: ImportResult,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """People, interactions and the people's keys, forgotten people left out (and said)."""
    keys = person_keys(people, batch.source_kind)
    gone, n_forgotten = left_out(store, keys)
    if not gone.height:
        return people, interactions, keys
    refs = people.join(gone, on="row", how="semi").select("owner_key", "ref")
    before = interactions.height
    interactions = interactions.join(refs, on=["owner_key", "ref"], how="anti")
    people = (
        people.join(gone, on="row", how="anti")
        .drop("row")
        .with_row_index("row")
        .with_columns(pl.col("row").cast(pl.Int64))
    )
    keys = person_keys(people, batch.source_kind)
    result.details["forgotten_left_out"] = {
        "people": n_forgotten,
        "rows": gone.height,
        "interactions": before - interactions.height,
    }
    result.notes.append(
        f"{n_forgotten} forgotten {'person' if n_forgotten == 1 else 'people'} left out "
        f"({before - interactions.height:,} interactions; `helpnext unforget` undoes it)"
    )
    return people, interactions, keys


def _contact_ids(
    store: Store,
    people: pl.DataFrame,
    keys: pl.DataFrame,
    owners: pl.DataFrame,
    result: ImportResult,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """People with their ``contact_id`` (a known contact, else a new id per component) and
    ``is_new``; and the components that bridge two or more known contacts."""
    owner_list = owners["owner_id"].to_list()
    existing = store.frame(
        "SELECT o.key AS owner_key, i.kind, i.key, i.contact_id, "
        "coalesce(c.merged_into, i.contact_id) AS root_id FROM identities i "
        "JOIN owners o USING (owner_id) JOIN contacts c ON c.contact_id = i.contact_id "
        "WHERE list_contains(?, i.owner_id)",
        [owner_list],
    ).with_columns(pl.col("contact_id").cast(pl.Int64), pl.col("root_id").cast(pl.Int64))
    resolved = resolve(people.select("row", "owner_key", "distinct_group"), keys, existing)
    bridges = (
        resolved.filter(pl.col("roots").list.len() > 1)
        .unique("component", maintain_order=True)
        .select("component", "roots", "hit_kinds")
    )
    people = people.join(resolved.select("row", "component", "contact_id", "also"), on="row")
    new_components = (
        people.filter(pl.col("contact_id").is_null()).select("component").unique().sort("component")
    )
    start = store.next_id("contacts", "contact_id")
    new_components = new_components.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("new_id")
    )
    people = people.join(new_components, on="component", how="left").with_columns(
        pl.coalesce("contact_id", "new_id").alias("contact_id"),
        pl.col("new_id").is_not_null().alias("is_new"),
    )
    result.details["contacts_bridged"] = bridges.height
    return people, bridges


def _write_contacts(
    store: Store,
    batch: ImportBatch,
    people: pl.DataFrame,
    import_id: int,
    now: datetime,
    result: ImportResult,
) -> None:
    """Insert the new contacts; fill in and date the role changes of the known ones."""
    con = store.con
    merged = _one_per_contact(
        people.drop("is_new", "new_id").with_columns(pl.col("emails").fill_null([]))
    )
    is_new = people.filter("is_new").select("contact_id").unique()
    fresh = merged.join(is_new, on="contact_id", how="semi").with_columns(
        pl.col("emails").list.first().alias("email"),
        pl.lit(now).alias("created_at"),
        pl.when(pl.col("company").is_not_null() | pl.col("position").is_not_null())
        .then(pl.lit(batch.as_of, dtype=pl.Datetime("us")))
        .alias("role_seen_at"),
    )
    result.contacts_added = fresh.height
    if fresh.height:
        con.register("_fresh", ArrowStream(fresh))
        con.execute(
            """INSERT INTO contacts (contact_id, owner_id, display_name, first_name, last_name,
                   company, position, email, linkedin_url, phone, location, birthday, notes,
                   connected_on, role_seen_at, created_at)
               SELECT contact_id, owner_id, coalesce(display_name, email, 'unknown'),
                   first_name, last_name, company, position, email, linkedin_url, phone,
                   location, birthday, notes, connected_on, role_seen_at, created_at
               FROM _fresh"""
        )
        con.unregister("_fresh")
    known = merged.join(is_new, on="contact_id", how="anti")
    if known.height:
        result.contacts_updated, result.events_added = _update_known(store, batch, known, import_id)


def _write_identities(
    store: Store, keys: pl.DataFrame, people: pl.DataFrame, import_id: int
) -> None:
    """Each person's keys, pointing at their contact (a key already known stays as it is)."""
    idents = (
        keys.join(people.select("row", "owner_id", "contact_id"), on="row")
        .select("owner_id", "kind", "key", "contact_id")
        .unique(["owner_id", "kind", "key"], keep="first")
        .with_columns(pl.lit(import_id, dtype=pl.Int64).alias("import_id"))
    )
    store.con.register("_idents", ArrowStream(idents))
    store.con.execute(
        "INSERT INTO identities SELECT owner_id, kind, key, contact_id, import_id FROM _idents "
        "ON CONFLICT DO NOTHING"
    )
    store.con.unregister("_idents")


def _write_source_tags(
    store: Store, batch: ImportBatch, people: pl.DataFrame, now: datetime
) -> None:
    """The tags the source gives people (lower-cased, blank ones dropped)."""
    tags = (
        people.select("contact_id", "owner_id", "tags")
        .explode("tags")
        .drop_nulls("tags")
        .with_columns(pl.col("tags").str.strip_chars().str.to_lowercase())
        .filter(pl.col("tags") != "")
        .unique(["contact_id", "tags"])
    )
    if tags.height:
        store.con.register("_tags", ArrowStream(tags))
        store.con.execute(
            "INSERT INTO tags SELECT owner_id, contact_id, tags, ?, ? FROM _tags "
            "ON CONFLICT DO NOTHING",
            [batch.source_kind, now],
        )
        store.con.unregister("_tags")


def _update_first_seen(store: Store, import_id: int) -> None:
    """A contact is first seen at their earliest interaction or their connection date."""
    store.con.execute(
        """UPDATE contacts SET first_seen = s.first_ts
           FROM (SELECT contact_id, min(ts) AS first_ts FROM interactions
                 WHERE import_id = ? GROUP BY contact_id) s
           WHERE contacts.contact_id = s.contact_id
             AND (contacts.first_seen IS NULL OR s.first_ts < contacts.first_seen)""",
        [import_id],
    )
    store.con.execute(
        """UPDATE contacts SET first_seen = connected_on
           WHERE connected_on IS NOT NULL AND (first_seen IS NULL OR connected_on < first_seen)"""
    )


def _record_import(
    store: Store, batch: ImportBatch, import_id: int, now: datetime, result: ImportResult
) -> None:
    """The import's provenance row (source, file hash, counts, details)."""
    result.import_id = import_id
    result.rows_read = batch.rows_read
    result.rows_skipped = batch.rows_skipped
    result.details.update(batch.details)
    store.con.execute(
        "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            import_id,
            batch.source_kind,
            batch.label,
            batch.sha256,
            now,
            utcnow(),
            batch.rows_read,
            batch.rows_skipped,
            result.contacts_added,
            result.interactions_added,
            result.events_added,
            json.dumps(result.details, default=str),
        ],
    )


def _merge_bridged(
    store: Store, bridges: pl.DataFrame, keys: pl.DataFrame, people: pl.DataFrame, import_id: int
) -> int:
    """Merge the contacts each bridging component touches into the one its strongest key
    named (reversibly, see ``recommender.store.duplicates``); pairs the owner split stay apart.
    Components that share contacts chain into one group (union-find over contacts)."""
    if bridges.height == 0:
        return 0
    from recommender.store.duplicates import kept_apart, merge_roots_bulk

    apart = kept_apart(store)
    if apart:
        ids = sorted({x for pair in apart for x in pair})
        roots = dict(
            store.con.execute(
                "SELECT contact_id, coalesce(merged_into, contact_id) FROM contacts "
                "WHERE list_contains(?, contact_id)",
                [ids],
            ).fetchall()
        )
        apart = {(roots.get(a, a), roots.get(b, b)) for a, b in apart}
    evidence_keys = (
        keys.join(people.select("row", "component"), on="row")
        .join(bridges.select("component"), on="component", how="semi")
        .group_by("component")
        .agg(pl.format("{}:{}", "kind", "key").unique().sort().alias("keys"))
    )
    by_component = dict(
        zip(evidence_keys["component"].to_list(), evidence_keys["keys"].to_list(), strict=True)
    )
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def separated(ra: int, rb: int) -> bool:
        return any({find(p), find(q)} == {ra, rb} for p, q in apart)

    evidence: dict[int, dict] = {}
    for component, roots_list, kinds in bridges.iter_rows():
        kept = find(roots_list[0])
        for other in roots_list[1:]:
            ro = find(other)
            if ro == kept or (apart and separated(kept, ro)):
                continue
            parent[ro] = kept
            evidence[ro] = {"matched_by": kinds, "keys": by_component.get(component, [])}
    merges = [(find(x), x, evidence[x]) for x in parent if find(x) != x]
    return merge_roots_bulk(store, merges, reason="bridge", import_id=import_id)


def _new_role_events(store: Store, changes: pl.DataFrame, as_of: datetime, import_id: int) -> int:
    """Record each role change as a dated ``new_role`` event; how many were new."""
    con = store.con
    start = store.next_id("events", "event_id")
    changes = changes.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + start).alias("event_id"),
        pl.format(
            "new_role:{}:{}:{}",
            "contact_id",
            pl.col("new_company").fill_null(""),
            pl.col("new_position").fill_null(""),
        ).alias("uid"),
        pl.lit(as_of, dtype=pl.Datetime("us")).alias("ts"),
        pl.lit(import_id, dtype=pl.Int64).alias("import_id"),
    )
    con.register("_changes", ArrowStream(changes))
    before = store.scalar("SELECT count(*) FROM events")
    con.execute(
        """INSERT INTO events (event_id, uid, owner_id, contact_id, ts, kind, old_company,
               old_position, new_company, new_position, import_id)
           SELECT event_id, uid, owner_id, contact_id, ts, 'new_role', old_company,
               old_position, new_company, new_position, import_id FROM _changes
           ON CONFLICT DO NOTHING"""
    )
    added = int(store.scalar("SELECT count(*) FROM events")) - int(before)
    con.unregister("_changes")
    return added


def _update_known(store: Store, batch: ImportBatch, known: pl.DataFrame, import_id: int):
    """Fill blanks of known contacts; a changed company/position from a source at least as
    recent as the one the current role came from becomes a dated ``new_role`` event."""
    con = store.con
    con.register(
        "_known", ArrowStream(known.with_columns(pl.col("emails").list.first().alias("email")))
    )
    as_of = batch.as_of
    events_added = 0
    if as_of is not None:
        changes = store.frame(
            """SELECT c.contact_id, c.owner_id, c.company AS old_company, c.position AS old_position,
                      k.company AS new_company, k.position AS new_position
               FROM contacts c JOIN _known k USING (contact_id)
               WHERE (k.company IS NOT NULL OR k.position IS NOT NULL)
                 AND (c.company IS NOT NULL OR c.position IS NOT NULL)
                 AND (c.role_seen_at IS NULL OR c.role_seen_at < ?)
                 AND (coalesce(lower(k.company), '') <> coalesce(lower(c.company), '')
                      OR coalesce(lower(k.position), '') <> coalesce(lower(c.position), ''))""",
            [as_of],
        )
        if changes.height:
            events_added = _new_role_events(store, changes, as_of, import_id)
        con.execute(
            """UPDATE contacts SET company = k.company, position = k.position, role_seen_at = ?
               FROM _known k
               WHERE contacts.contact_id = k.contact_id
                 AND (k.company IS NOT NULL OR k.position IS NOT NULL)
                 AND (contacts.role_seen_at IS NULL OR contacts.role_seen_at <= ?)""",
            [as_of, as_of],
        )
    updated = con.execute(
        """UPDATE contacts SET
               first_name = coalesce(contacts.first_name, k.first_name),
               last_name = coalesce(contacts.last_name, k.last_name),
               company = coalesce(contacts.company, k.company),
               position = coalesce(contacts.position, k.position),
               email = coalesce(contacts.email, k.email),
               linkedin_url = coalesce(contacts.linkedin_url, k.linkedin_url),
               phone = coalesce(contacts.phone, k.phone),
               location = coalesce(contacts.location, k.location),
               birthday = coalesce(contacts.birthday, k.birthday),
               notes = coalesce(contacts.notes, k.notes),
               connected_on = coalesce(contacts.connected_on, k.connected_on)
           FROM _known k WHERE contacts.contact_id = k.contact_id
             AND ((contacts.first_name IS NULL AND k.first_name IS NOT NULL)
               OR (contacts.last_name IS NULL AND k.last_name IS NOT NULL)
               OR (contacts.company IS NULL AND k.company IS NOT NULL)
               OR (contacts.position IS NULL AND k.position IS NOT NULL)
               OR (contacts.email IS NULL AND k.email IS NOT NULL)
               OR (contacts.linkedin_url IS NULL AND k.linkedin_url IS NOT NULL)
               OR (contacts.phone IS NULL AND k.phone IS NOT NULL)
               OR (contacts.location IS NULL AND k.location IS NOT NULL)
               OR (contacts.birthday IS NULL AND k.birthday IS NOT NULL)
               OR (contacts.notes IS NULL AND k.notes IS NOT NULL)
               OR (contacts.connected_on IS NULL AND k.connected_on IS NOT NULL))"""
    ).fetchall()
    con.unregister("_known")
    return (int(updated[0][0]) if updated else 0), events_added


def _insert_interactions(
    store: Store, interactions: pl.DataFrame, people: pl.DataFrame, import_id: int
) -> tuple[int, int]:
    if interactions.height == 0:
        return 0, 0
    con = store.con
    refs = people.select("owner_key", "ref", "owner_id", "contact_id").unique(["owner_key", "ref"])
    rows = interactions.join(refs, on=["owner_key", "ref"], how="inner")
    missing = interactions.height - rows.height
    if missing:
        raise AssertionError(f"{missing} interactions name no person of the batch")
    rows = rows.drop("owner_key", "ref").with_columns(
        pl.lit(import_id, dtype=pl.Int64).alias("import_id"),
        pl.col("is_give").fill_null(False),
        pl.col("n_participants").fill_null(2),
    )
    con.register("_rows", ArrowStream(rows))
    start = store.next_id("interactions", "interaction_id")
    # one statement, no staging copy: dedupe within the batch, skip what the store has
    added = con.execute(
        """INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel,
               direction, is_give, thread, n_participants, subject, body, detail, import_id)
           SELECT ? + row_number() OVER (ORDER BY ts, uid) - 1, uid, owner_id, contact_id, ts,
               channel, direction, is_give, thread, n_participants, subject, body, detail,
               import_id
           FROM (SELECT md5(uid_key) AS uid, * EXCLUDE (uid_key) FROM _rows
                 QUALIFY row_number() OVER (PARTITION BY md5(uid_key)) = 1) r
           WHERE NOT EXISTS (SELECT 1 FROM interactions i WHERE i.uid = r.uid)""",
        [start],
    ).fetchall()[0][0]
    con.unregister("_rows")
    return added, rows.height - added
