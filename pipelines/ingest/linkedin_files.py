"""Opening a LinkedIn data export (a zip or its unpacked folder) and reading its CSV files.

File names are matched case-insensitively, in any subfolder (LinkedIn has shipped both
``messages.csv`` and ``Messages.csv``; some zips wrap everything in one folder). Errors name
the file as ``export.zip:Connections.csv``.

Large UTF-8 files (``messages.csv`` of a long-lived account runs to hundreds of MB) are read
straight from bytes by Polars, never decoded into one Python string; when anything about
such a file is off, it is read again through :func:`pipelines.ingest.text.read_table`,
whose errors name the line.
"""

from __future__ import annotations

import csv
import hashlib
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.ingest.text import (
    DATE_FORMATS,
    HEADER_SEARCH_LINES,
    NULL_VALUES,
    Table,
    decode,
    parse_dates,
    parse_datetime_expr,
    read_table,
    sha256_file,
)
from recommender.errors import InputError

# files a LinkedIn export may hold that this importer reads (lower-cased base names)
KNOWN_FILES = (
    "connections.csv",
    "messages.csv",
    "invitations.csv",
    "endorsement_received_info.csv",
    "endorsement_given_info.csv",
    "recommendations_received.csv",
    "recommendations_given.csv",
    "profile.csv",
    "positions.csv",
)
# above this size a UTF-8 file is parsed from bytes (no Python str of the whole file)
FAST_PATH_BYTES = 4 << 20
_MAX_DEPTH = 4


@dataclass
class Export:
    """The known files of one export: lower-cased base name -> (label, member)."""

    path: Path
    sha256: str
    members: dict[str, tuple[str, str | Path]] = field(default_factory=dict)
    _zip: zipfile.ZipFile | None = None

    def has(self, name: str) -> bool:
        return name in self.members

    def label(self, name: str) -> str:
        return self.members[name][0]

    def read_bytes(self, name: str) -> bytes:
        label, member = self.members[name]
        if self._zip is None:
            try:
                return Path(member).read_bytes()
            except OSError as err:
                raise InputError(label, f"cannot read ({err.strerror or err})") from None
        try:
            return self._zip.read(str(member))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as err:
            raise InputError(
                label, f"damaged or truncated zip entry ({err}); download the export again"
            ) from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _pick(members: dict[str, tuple[str, str | Path]], name: str, label: str, member) -> None:
    """Keep the shallowest file of each known name (a top-level one beats a nested copy)."""
    depth = str(member).replace("\\", "/").count("/")
    old = members.get(name)
    if old is None or depth < str(old[1]).replace("\\", "/").count("/"):
        members[name] = (label, member)


def open_export(path: Path | str) -> Export:
    """Open a LinkedIn export: a ``.zip``, its unpacked folder, or one of its CSV files."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file or folder")
    if path.is_dir():
        export = Export(path=path, sha256="")
        base = len(path.parts)
        for child in sorted(path.rglob("*")):
            if len(child.parts) - base > _MAX_DEPTH or not child.is_file():
                continue
            name = child.name.casefold()
            if name in KNOWN_FILES:
                _pick(export.members, name, str(child), child)
        digest = hashlib.sha256()
        for name in sorted(export.members):
            digest.update(
                name.encode() + b"\0" + sha256_file(Path(export.members[name][1])).encode()
            )
        export.sha256 = digest.hexdigest()
        return export
    if path.name.casefold() in KNOWN_FILES and not zipfile.is_zipfile(path):
        export = Export(path=path, sha256=sha256_file(path))
        export.members[path.name.casefold()] = (str(path), path)
        return export
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as err:
        raise InputError(
            path,
            f"not a zip file ({err}); expected a LinkedIn data export: the .zip LinkedIn "
            "sends, or the folder it unpacks to",
        ) from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    export = Export(path=path, sha256=sha256_file(path), _zip=archive)
    for info in archive.infolist():
        if info.is_dir():
            continue
        member = info.filename
        name = member.replace("\\", "/").rsplit("/", 1)[-1].casefold()
        if name in KNOWN_FILES:
            _pick(export.members, name, f"{path.name}:{member}", member)
    return export


# -- tables ---------------------------------------------------------------------------------


def _norm_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').split()).casefold()


@dataclass
class LoadedTable:
    """A table read from an export file. ``frame`` is all-string; ``precise()`` re-reads
    the file through :func:`read_table` (slow, exact line numbers) for error messages."""

    label: str
    frame: pl.DataFrame
    dropped_empty: int
    _raw: bytes | None = field(default=None, repr=False)
    _spec: tuple = field(default=(), repr=False)
    _table: Table | None = field(default=None, repr=False)

    def precise(self) -> Table:
        if self._table is None:
            text = decode(self._raw, self.label)
            self._table = read_table(text, self.label, *self._spec)
        return self._table

    def parse_dates(
        self, columns: Sequence[str], preferred: Sequence[str] = (), required: Sequence[str] = ()
    ) -> pl.DataFrame:
        """Parse date columns with the ``preferred`` formats (fast) and, when a value does
        not fit them, with every known spelling; an unparseable value raises an error
        naming its line."""
        frame = self.frame
        if preferred:
            fast = frame.with_columns(parse_datetime_expr(c, preferred) for c in columns)
            ok = all(
                not (frame[c].is_not_null() & fast[c].is_null()).any()
                and (c not in required or not fast[c].is_null().any())
                for c in columns
            )
            if ok:
                return fast
        if self._table is None and self._raw is None:
            return parse_dates(self.precise(), columns, required)  # pragma: no cover
        slow = frame.with_columns(parse_datetime_expr(c, DATE_FORMATS) for c in columns)
        ok = all(
            not (frame[c].is_not_null() & slow[c].is_null()).any()
            and (c not in required or not slow[c].is_null().any())
            for c in columns
        )
        if ok:
            return slow
        return parse_dates(self.precise(), columns, required)  # raises, naming the line


def _fast_frame(
    raw: bytes,
    wanted: list[str],
    required: Sequence[str],
    accept: dict[str, str],
) -> tuple[pl.DataFrame, int] | None:
    """Parse UTF-8 ``raw`` with Polars directly; None when anything looks off."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if raw.find(b"\x00") >= 0:
        return None
    head_bytes = raw[: 256 * 1024]
    cut = head_bytes.rfind(b"\n")
    head = head_bytes[: cut + 1 if cut >= 0 else len(head_bytes)].decode("utf-8", "ignore")
    lines = head.split("\n", HEADER_SEARCH_LINES)[:HEADER_SEARCH_LINES]
    need = {_norm_header(c) for c in required}
    found = None
    for i, line in enumerate(lines):
        for delimiter in (",", "\t", ";"):
            try:
                fields = next(csv.reader([line.rstrip("\r")], delimiter=delimiter))
            except (StopIteration, csv.Error):
                continue
            mapped = {
                _norm_header(accept[_norm_header(f)]) for f in fields if _norm_header(f) in accept
            }
            if need <= mapped:
                found = (i, delimiter, fields)
                break
        if found:
            break
    if found is None:
        return None
    index, delimiter, fields = found
    names, seen = [], set()
    for f in fields:
        canonical = accept.get(_norm_header(f)) or f"__extra_{len(names)}"
        if canonical in seen:
            canonical = f"__dup_{len(names)}"
        seen.add(canonical)
        names.append(canonical)
    try:
        frame = pl.read_csv(
            raw,
            has_header=True,
            skip_lines=index,
            new_columns=names,
            separator=delimiter,
            infer_schema=False,
            null_values=NULL_VALUES,
            quote_char='"',
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError:
        return None
    if frame.width != len(names):
        return None
    frame = frame.select([c for c in names if not c.startswith(("__extra_", "__dup_"))])
    missing = [pl.lit(None, dtype=pl.String).alias(c) for c in wanted if c not in frame.columns]
    frame = frame.with_columns(missing).select(wanted)
    # the same clean-up as read_table, touching only the columns that need it (no copies
    # of a several-hundred-MB frame when nothing changes)
    padded = [
        c
        for c in wanted
        if frame.select(pl.col(c).str.contains(r"^\s|\s$").any()).item()
        or frame.select((pl.col(c) == "").any()).item()
    ]
    if padded:
        frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in padded)
    empty = ~pl.any_horizontal(pl.col(c).is_not_null() for c in wanted)
    n_empty = frame.select(empty.sum()).item()
    if n_empty:
        frame = frame.filter(~empty)
    return frame, n_empty


def load_table(
    export: Export,
    name: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    aliases: dict[str, Iterable[str]] | None = None,
    what: str | None = None,
    raw: bytes | None = None,
) -> LoadedTable:
    """Read one known file of ``export`` (or its already read bytes ``raw``) into a string
    frame of canonical columns."""
    label = export.label(name)
    if raw is None:
        raw = export.read_bytes(name)
    spec = (required, optional, aliases, what)
    if len(raw) >= FAST_PATH_BYTES and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        wanted = list(required) + [c for c in optional if c not in required]
        accept = {_norm_header(c): c for c in wanted}
        for canonical, alts in (aliases or {}).items():
            for alt in alts:
                accept.setdefault(_norm_header(alt), canonical)
        fast = _fast_frame(raw, wanted, required, accept)
        if fast is not None:
            return LoadedTable(label, fast[0], fast[1], _raw=raw, _spec=spec)
    text = decode(raw, label)
    table = read_table(text, label, required, optional, aliases, what)
    return LoadedTable(label, table.frame, table.dropped_empty, _raw=raw, _spec=spec, _table=table)


def head_text(raw: bytes, n: int = 8192) -> str:
    """The first bytes of a file as text (for telling layouts apart)."""
    raw = raw[:n]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw = raw[: len(raw) - len(raw) % 2]
        return raw.decode("utf-16", "ignore")
    return raw.decode("utf-8", "ignore")
