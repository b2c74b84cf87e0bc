"""Privacy: forget a person completely, and export everything the store holds.

**Forget.** A person is one contact plus every contact merged into it. :func:`forget`
removes them from every table, found generically through DuckDB's ``information_schema``
so that tables added later are covered without touching this module:

* every row whose contact column names them: columns ``contact_id``,
  ``partner_contact_id`` and any ``*_contact_id``, plus ``contacts.merged_into`` and the
  ``merges`` record (``kept_id``, ``absorbed_id``, ``moved``);
* rows of other tables that point at a deleted row by its primary key (a ``feedback`` row
  naming a deleted ``suggestion_id``, say), followed transitively;
* mentions of their name, e-mail, profile URL or phone in the text of what remains (a group
  message that lists them, an import's details) become ``[forgotten]``.

Before that, the person's identity keys are kept as salted hashes (a tombstone, see
:mod:`recommender.store.tombstones`), so a later import that still holds them leaves them out;
``helpnext unforget`` removes the tombstone. Then the store file is rewritten (``COPY FROM
DATABASE`` into a fresh file, renamed over the old one while the write lock is held), so
the deleted bytes do not linger in free blocks of the file. A pending erasure record
(:mod:`recommender.store.erasure`) makes this resumable: a forget killed at any step is finished
by the next command that opens the home. Models trained while the person was in the store are listed: they must be
retrained (a model card in ``<home>/models/*.json`` says when its model was trained).

**Export.** :func:`export_store` writes every table as CSV (formula-looking cells
neutralised, see :mod:`pipelines.csvsafe`) plus one JSON file with all of it, into a
staging folder that is renamed into place, so a reader sees the whole export or none.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from pipelines.csvsafe import atomic_write_bytes, write_csv
from recommender.errors import NotFoundError, StoreError, UsageError
from recommender.store import erasure
from recommender.store.duck import DUCKDB_CONFIG, utcnow
from recommender.store.paths import models_dir, pending_path
from recommender.store.tombstones import bury

if TYPE_CHECKING:
    from recommender.store.db import Store

REDACTED = "[forgotten]"
# a mention shorter than this is not redacted from other records (too likely a false hit)
MIN_MENTION = 5
# tables whose remaining rows name *other* people: a name there that matches is a
# namesake, not a mention; only their free-text ``notes`` are redacted
IDENTITY_TABLES = ("contacts", "identities", "owners", "owner_aliases")
EXPORT_JSON = "helpnext-export.json"
REGISTRY_FILE = "registry.json"  # the model registry's history, not a card


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- what the store holds -----------------------------------------------------------------


def tables(store: Store) -> list[str]:
    rows = store.con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = current_database() "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def columns(store: Store) -> dict[str, dict[str, str]]:
    """table -> {column: data type} of every base table of the store."""
    rows = store.con.execute(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_catalog, table_schema, table_name) "
        "WHERE c.table_schema = 'main' AND c.table_catalog = current_database() "
        "AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position"
    ).fetchall()
    out: dict[str, dict[str, str]] = {}
    for table, column, dtype in rows:
        out.setdefault(table, {})[column] = dtype
    return out


def is_contact_column(column: str) -> bool:
    """Does a column of this name hold a contact id? (``contact_id``,
    ``partner_contact_id``, anything ending in ``_contact_id``)."""
    name = column.lower()
    return name in ("contact_id", "partner_contact_id") or name.endswith("_contact_id")


# columns that hold contact ids under other names (the merge bookkeeping)
EXTRA_CONTACT_COLUMNS = {
    ("contacts", "merged_into"),
    ("merges", "kept_id"),
    ("merges", "absorbed_id"),
    ("merges", "moved"),  # BIGINT[]
}


def contact_columns(store: Store) -> list[tuple[str, str, bool]]:
    """(table, column, is_list) of every column that holds contact ids."""
    found = []
    for table, cols in columns(store).items():
        for column, dtype in cols.items():
            if is_contact_column(column) or (table, column) in EXTRA_CONTACT_COLUMNS:
                found.append((table, column, dtype.endswith("[]")))
    return found


def primary_key(store: Store, table: str) -> str | None:
    """The single-column primary key of ``table``, if it has one."""
    rows = store.con.execute(
        "SELECT constraint_column_names FROM duckdb_constraints() "
        "WHERE database_name = current_database() AND schema_name = 'main' "
        "AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
        [table],
    ).fetchall()
    if len(rows) == 1 and len(rows[0][0]) == 1:
        return rows[0][0][0]
    return None


# -- forget -----------------------------------------------------------------------------------


@dataclass
class ForgetPlan:
    """Who will be forgotten and what that removes; also the result once done."""

    contact_id: int
    name: str
    contact_ids: list[int]
    mentions: list[str]
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    redacted: dict[str, int] = field(default_factory=dict)  # table.column -> cells redacted
    first_interaction: datetime | None = None
    entered_store: datetime | None = None
    models: list[dict[str, Any]] = field(default_factory=list)
    models_note: str = ""
    done: bool = False
    tombstone: int | None = None  # kept so later imports leave them out (``unforget`` undoes)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def person_ids(store: Store, contact_id: int) -> list[int]:
    """The contact and every contact merged into it (or into one merged into it)."""
    ids = {contact_id}
    while True:
        found = store.con.execute(
            "SELECT contact_id FROM contacts WHERE list_contains(?, merged_into)", [sorted(ids)]
        ).fetchall()
        more = {int(r[0]) for r in found} - ids
        if not more:
            return sorted(ids)
        ids |= more


def mentions_of(store: Store, ids: list[int]) -> list[str]:
    """The strings that name the person: names, e-mails, profile URLs, phones."""
    values: set[str] = set()
    rows = store.con.execute(
        "SELECT display_name, first_name || ' ' || last_name, email, linkedin_url, phone "
        "FROM contacts WHERE list_contains(?, contact_id)",
        [ids],
    ).fetchall()
    for row in rows:
        values.update(v.strip() for v in row if isinstance(v, str))
    rows = store.con.execute(
        "SELECT key FROM identities WHERE list_contains(?, contact_id) "
        "AND kind IN ('email', 'linkedin')",
        [ids],
    ).fetchall()
    values.update(r[0].strip() for r in rows if isinstance(r[0], str))
    keep = {v for v in values if len(v) >= MIN_MENTION}
    # longest first, so "Dana Smith" is replaced before a shorter mention inside it
    return sorted(keep, key=lambda v: (-len(v), v))


def _count(store: Store, sql: str, params: list) -> int:
    return int(store.scalar(sql, params) or 0)


def _match(column: str, is_list: bool) -> str:
    if is_list:
        return f"len(list_intersect({_quote(column)}, $ids)) > 0"
    return f"list_contains($ids, {_quote(column)})"


def _rows_to_remove(store: Store, ids: list[int]) -> dict[str, str]:
    """table -> WHERE clause (using ``$ids``) selecting the rows about the person."""
    where: dict[str, list[str]] = {}
    for table, column, is_list in contact_columns(store):
        where.setdefault(table, []).append(_match(column, is_list))
    return {table: " OR ".join(f"({c})" for c in clauses) for table, clauses in where.items()}


def _model_cards(home: Path) -> list[tuple[Path, dict[str, Any] | None]]:
    """(path, card) of every model card; card None when it cannot be read."""
    folder = models_dir(home)
    if not folder.is_dir():
        return []
    cards: list[tuple[Path, dict[str, Any] | None]] = []
    for path in sorted(folder.glob("*.json")):
        if path.name == REGISTRY_FILE:
            continue
        try:
            card = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            card = None
        cards.append((path, card if isinstance(card, dict) else None))
    return cards


def _when(value: Any) -> datetime | None:
    """An ISO time from a card as naive UTC (None when absent or not a time)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def models_to_retrain(
    home: Path, first_interaction: datetime | None, entered_store: datetime | None
) -> tuple[list[dict[str, Any]], str]:
    """Cards of models that may have learned from the person, and a note saying how that
    was decided. A model learned from them when it was trained (card ``created_at``)
    after they entered the store, on data up to a cutoff (``details.as_of``) after their
    first interaction. What cannot be told is listed, and the note says so."""
    listed: list[dict[str, Any]] = []
    unknown = 0
    for path, card in _model_cards(home):
        if card is None:
            listed.append({"card": path.name, "model_id": None, "why": "unreadable card"})
            unknown += 1
            continue
        trained = _when(card.get("created_at"))
        cutoff = _when((card.get("details") or {}).get("as_of")) or trained
        entry = {"card": path.name, "model_id": card.get("model_id")}
        if trained is None or entered_store is None:
            listed.append({**entry, "why": "training time unknown"})
            unknown += 1
        elif trained < entered_store:
            continue  # trained before the person was in the store
        elif first_interaction is None:
            listed.append({**entry, "why": "trained while they were in the store"})
        elif cutoff is not None and cutoff <= first_interaction:
            continue  # its data ends before their first interaction
        else:
            listed.append({**entry, "why": "trained on data that includes them"})
    note = "models are listed when trained after the person's first interaction"
    if unknown:
        note += f"; for {unknown} the training time cannot be known, so they are listed too"
    return listed, note


def plan_forget(store: Store, home: Path, contact_id: int) -> ForgetPlan:
    """What forgetting ``contact_id`` would remove (nothing is changed)."""
    name = store.scalar("SELECT display_name FROM contacts WHERE contact_id = ?", [contact_id])
    if name is None:
        raise NotFoundError(f"no contact {contact_id}")
    root = store.scalar(
        "SELECT coalesce(merged_into, contact_id) FROM contacts WHERE contact_id = ?",
        [contact_id],
    )
    ids = person_ids(store, int(root))
    plan = ForgetPlan(int(root), str(name), ids, mentions_of(store, ids))
    for table, where in _rows_to_remove(store, ids).items():
        n = _count(store, f"SELECT count(*) FROM {_quote(table)} WHERE {where}", {"ids": ids})
        if n:
            plan.rows[table] = n
    plan.first_interaction = store.scalar(
        "SELECT min(ts) FROM interactions WHERE list_contains(?, contact_id)", [ids]
    )
    plan.entered_store = store.scalar(
        "SELECT min(created_at) FROM contacts WHERE list_contains(?, contact_id)", [ids]
    )
    plan.models, plan.models_note = models_to_retrain(
        home, plan.first_interaction, plan.entered_store
    )
    return plan


def _cascade(store: Store, table: str, where: str, ids: list[int], tabs: dict) -> None:
    """Before deleting rows of ``table``, delete rows elsewhere that point at them by
    ``table``'s primary key (e.g. feedback rows of a deleted suggestion), transitively."""
    key = primary_key(store, table)
    if key is None or is_contact_column(key):
        return
    for other, cols in tabs.items():
        if other == table or key not in cols or primary_key(store, other) == key:
            continue
        child_where = f"{_quote(key)} IN (SELECT {_quote(key)} FROM {_quote(table)} WHERE {where})"
        _cascade(store, other, child_where, ids, tabs)
        store.con.execute(f"DELETE FROM {_quote(other)} WHERE {child_where}", {"ids": ids})


def _redact(store: Store, plan: ForgetPlan, tabs: dict[str, dict[str, str]]) -> None:
    """Replace mentions of the person in the text of every remaining row."""
    if not plan.mentions:
        return
    for table, cols in tabs.items():
        for column, dtype in cols.items():
            if dtype not in ("VARCHAR", "TEXT"):
                continue
            if table in IDENTITY_TABLES and column != "notes":
                continue  # remaining rows there name other people (a namesake, say)
            col = _quote(column)
            hit = " OR ".join(f"contains(lower({col}), lower(?))" for _ in plan.mentions)
            params: list[Any] = list(plan.mentions)
            n = _count(store, f"SELECT count(*) FROM {_quote(table)} WHERE {hit}", params)
            if not n:
                continue
            replaced = col
            for _ in plan.mentions:
                replaced = f"regexp_replace({replaced}, ?, '{REDACTED}', 'gi')"
            store.con.execute(
                f"UPDATE {_quote(table)} SET {col} = {replaced} WHERE {hit}",
                [_regex(m) for m in plan.mentions] + params,
            )
            plan.redacted[f"{table}.{column}"] = n


def _regex(text: str) -> str:
    special = set(r"\.^$|?*+()[]{}")
    return "".join("\\" + ch if ch in special else ch for ch in text)


def forget(
    store: Store, home: Path, contact_id: int, pending_ids: list[int] | None = None
) -> ForgetPlan:
    """Remove the person ``contact_id`` names from the store (one transaction), redact
    mentions of them, then rewrite the store file so no deleted bytes remain.

    A pending erasure record (:mod:`recommender.store.erasure`, ids only) is written first and
    removed last, so a kill at any point is finished by the next command."""
    ids = person_ids(store, contact_id)
    erasure.record(home, sorted(set(ids) | set(pending_ids or [])))
    erasure.kill_point("forget:recorded")
    with store.transaction():
        plan = plan_forget(store, home, contact_id)
        ids = plan.contact_ids
        tabs = columns(store)
        plan.tombstone = bury(store, ids)
        wheres = _rows_to_remove(store, ids)
        for table, where in wheres.items():
            _cascade(store, table, where, ids, tabs)
        # merges first: their rows name the person through kept/absorbed/moved, and the
        # contacts rows must stay until every other table has been cleared
        for table in sorted(wheres, key=lambda t: (t == "contacts", t)):
            store.con.execute(f"DELETE FROM {_quote(table)} WHERE {wheres[table]}", {"ids": ids})
        _redact(store, plan, tabs)
        plan.done = True
    erasure.kill_point("forget:deleted")
    rewrite_store(store)
    erasure.kill_point("forget:rewritten")
    erasure.clear(home, store.path.name)
    return plan


def rewrite_store(store: Store) -> None:
    """Copy the store into a fresh file and rename it over the old one, so deleted rows
    do not survive in free blocks. The caller's connection keeps the write lock until the
    new file is in place; afterwards ``store`` is reconnected to the new file."""
    path = store.path
    if not path.exists():
        return
    con = store.con
    con.execute("CHECKPOINT")
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # DuckDB creates the file itself
    alias = "helpnext_rewrite"
    try:
        source = store.scalar("SELECT current_database()")
        old_umask = os.umask(0o077)
        try:
            con.execute(f"ATTACH {_sql_text(str(tmp))} AS {alias}")
        finally:
            os.umask(old_umask)
        try:
            con.execute(f"COPY FROM DATABASE {_quote(source)} TO {alias}")
        finally:
            con.execute(f"DETACH {alias}")
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        erasure.kill_point("forget:copied")
        os.replace(tmp, path)
    except (duckdb.Error, OSError) as err:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        raise StoreError(f"{path}: could not rewrite the store ({err})") from None
    finally:
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    # the old connection points at the replaced file: close it (it has nothing to flush)
    con.close()
    try:
        store.con = duckdb.connect(str(path), read_only=store.read_only, config=DUCKDB_CONFIG)
    except duckdb.Error:  # another process took the store in between: we are done anyway
        store.con = duckdb.connect(":memory:", config=DUCKDB_CONFIG)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# -- export ---------------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def export_store(store: Store, out: Path) -> dict[str, Any]:
    """Write every table as ``<table>.csv`` plus ``helpnext-export.json`` into ``out``.

    Everything is written into a staging folder beside ``out`` first. When ``out`` does not
    exist (or is empty) the staging folder is renamed to it: the export appears whole. When
    ``out`` already holds files, each file is moved in by an atomic rename, the JSON last.
    Files are readable by the owner only."""
    out = Path(out).expanduser()
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file; name a folder")
    parent = out.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.", suffix=".partial"))
    except OSError as err:
        raise UsageError(f"cannot write to {parent} ({err.strerror or err})") from None
    os.chmod(staging, 0o700)
    try:
        payload: dict[str, Any] = {
            "exported_at": utcnow().isoformat(),
            "schema_version": store.schema_version(),
            "tables": {},
        }
        counts: dict[str, int] = {}
        for table in tables(store):
            frame = store.frame(f"SELECT * FROM {_quote(table)}")
            if frame.width == 0:
                frame = pl.DataFrame()
            write_csv(frame, staging / f"{table}.csv")
            payload["tables"][table] = [_jsonable(row) for row in frame.to_dicts()]
            counts[table] = frame.height
        data = json.dumps(payload, ensure_ascii=False, indent=1, default=str)
        atomic_write_bytes(staging / EXPORT_JSON, data.encode("utf-8"))
        files = sorted(p.name for p in staging.iterdir())
        if out.is_dir() and not any(out.iterdir()):
            out.rmdir()
        if not out.exists():
            os.replace(staging, out)
        else:
            for name in sorted(files, key=lambda n: n == EXPORT_JSON):
                os.replace(staging / name, out / name)
            staging.rmdir()
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise UsageError(f"cannot write the export to {out} ({err.strerror or err})") from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return {"out": str(out), "files": files, "rows": counts}


def finish_pending(store, home: Path) -> None:
    """Complete the erasure the record names (``store`` is open for writing)."""
    path = pending_path(home)
    try:
        ids = [int(i) for i in json.loads(path.read_text(encoding="ascii"))["contact_ids"]]
    except FileNotFoundError:
        return  # another process finished it while we waited for the lock
    except (OSError, ValueError, KeyError, TypeError):
        ids = []  # a damaged record: still rewrite the store, so nothing lingers
    print(
        "helpnext: finishing a forget that was interrupted (erasing and rewriting the store)",
        file=sys.stderr,
        flush=True,
    )
    left = [
        int(r[0])
        for r in store.con.execute(
            "SELECT coalesce(merged_into, contact_id) FROM contacts "
            "WHERE list_contains(?::BIGINT[], contact_id)",
            [ids],
        ).fetchall()
    ]
    if left:
        for root in sorted(set(left)):
            forget(store, home, root, pending_ids=ids)
        return
    rewrite_store(store)
    erasure.clear(home, store.path.name)
