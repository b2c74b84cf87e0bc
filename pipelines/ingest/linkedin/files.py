"""Opening a LinkedIn data export (a zip or its unpacked folder) and reading its CSV files,
and the keys and date formats all of its readers share.

File names are matched case-insensitively, in any subfolder (LinkedIn has shipped both
``messages.csv`` and ``Messages.csv``; some zips wrap everything in one folder). Errors name
the file as ``export.zip:Connections.csv``.

Large files (``messages.csv`` of a long-lived account runs to hundreds of MB) are handed to
:func:`pipelines.ingest.text.read_table` as bytes, which Polars parses without decoding them
into one Python string; smaller ones are decoded first.
"""

from __future__ import annotations

import hashlib
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.text import Table, decode, read_table, sha256_file

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
# above this size a file is parsed from bytes (no Python str of the whole file)
FAST_PATH_BYTES = 4 << 20
# the most one file of an export may hold (a zip member as it inflates, or a file on disk)
MAX_MEMBER_BYTES = 1 << 30
# a zip member that inflates more than this many times its packed size, beyond
# RATIO_FREE_BYTES, is refused as a zip bomb (real CSV packs 3 to 15 times)
MAX_RATIO = 100
RATIO_FREE_BYTES = 16 << 20
_READ_CHUNK = 4 << 20
_MAX_DEPTH = 4


@dataclass
class Export:
    """The known files of one export: lower-cased base name -> (label, member)."""

    path: Path
    sha256: str
    members: dict[str, tuple[str, str | Path]] = field(default_factory=dict)
    # the notes of every table read (how it was read, when that was not plain)
    tables_notes: list[list[str]] = field(default_factory=list)
    # (label, the rows each table left out as unreadable): filled in as they are read
    tables_skipped: list[tuple[str, list]] = field(default_factory=list)
    # export files that were links (or behind a linked folder): reported, never read
    links: list[str] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None

    def has(self, name: str) -> bool:
        return name in self.members

    def label(self, name: str) -> str:
        return self.members[name][0]

    def read_bytes(self, name: str) -> bytes:
        """One member's bytes, within ``MAX_MEMBER_BYTES`` and (zipped) ``MAX_RATIO``: a
        member is streamed and counted as it inflates, whatever its header claims."""
        label, member = self.members[name]
        if self._zip is None:
            try:
                size = Path(member).stat().st_size
                if size > MAX_MEMBER_BYTES:
                    raise InputError(label, _too_big(size))
                return Path(member).read_bytes()
            except OSError as err:
                raise InputError(label, f"cannot read ({err.strerror or err})") from None
        try:
            info = self._zip.getinfo(str(member))
            _check_declared(info, label)
            limit = min(
                MAX_MEMBER_BYTES, max(RATIO_FREE_BYTES, MAX_RATIO * max(info.compress_size, 1))
            )
            out = bytearray()
            with self._zip.open(info) as handle:
                while block := handle.read(_READ_CHUNK):
                    out += block
                    if len(out) > limit:
                        raise InputError(label, _bomb(info, len(out)))
            return bytes(out)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError) as err:
            raise InputError(
                label, f"damaged or truncated zip entry ({err}); download the export again"
            ) from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _too_big(size: int) -> str:
    return (
        f"{size / (1 << 20):,.0f} MB is more than one export file may hold "
        f"({MAX_MEMBER_BYTES >> 20:,} MB); this is not a LinkedIn export file"
    )


def _bomb(info: zipfile.ZipInfo, inflated: int) -> str:
    return (
        f"inflates past {inflated / (1 << 20):,.0f} MB from {info.compress_size:,} bytes "
        f"(more than {MAX_RATIO} times its packed size or {MAX_MEMBER_BYTES >> 20:,} MB): "
        "refused as a zip bomb, not read"
    )


def _check_declared(info: zipfile.ZipInfo, label: str) -> None:
    """Refuse a member whose own header already says it is too big or inflates too much."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise InputError(label, _too_big(info.file_size))
    if info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(
        info.compress_size, 1
    ):
        raise InputError(label, _bomb(info, info.file_size))


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
        root = path.resolve()
        for child in sorted(path.rglob("*")):
            if len(child.parts) - base > _MAX_DEPTH or not child.is_file():
                continue
            name = child.name.casefold()
            if name not in KNOWN_FILES:
                continue
            # a link, or a file reached through a linked folder, is not part of the export
            if child.is_symlink() or not child.resolve().is_relative_to(root):
                export.links.append(str(child))
                continue
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


def load_table(
    export: Export,
    name: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    aliases: dict[str, Iterable[str]] | None = None,
    what: str | None = None,
    raw: bytes | None = None,
) -> Table:
    """Read one known file of ``export`` (or its already read bytes ``raw``) into a string
    frame of canonical columns."""
    label = export.label(name)
    if raw is None:
        raw = export.read_bytes(name)
    notes: list[str] = []
    source = raw if len(raw) >= FAST_PATH_BYTES else decode(raw, label, notes)
    table = read_table(source, label, required, optional, aliases, what)
    table.notes[:0] = notes
    export.tables_notes.append(table.notes)  # day-first dates are noted there later
    export.tables_skipped.append((label, table.skipped))
    return table


def head_text(raw: bytes, n: int = 8192) -> str:
    """The first bytes of a file as text (for telling layouts apart)."""
    raw = raw[:n]
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raw = raw[: len(raw) - len(raw) % 2]
        return raw.decode("utf-16", "ignore")
    return raw.decode("utf-8", "ignore")


# -- keys and dates shared by the readers ---------------------------------------------------

# the ref a mention of the owner resolves to
OWNER_REF = "\x00owner"
# the date spellings LinkedIn writes, tried before every other known one
LINKEDIN_DATES = [
    "%Y-%m-%d %H:%M:%S UTC",
    "%d %b %Y",
    "%m/%d/%y, %I:%M %p",
    "%Y/%m/%d %H:%M:%S UTC",
]


def name_key(expr: pl.Expr) -> pl.Expr:
    """Normalised full name: no accents, lower case, letters and digits only, and nothing
    after a comma ("Jane Doe, MBA" -> "jane doe"). Empty -> null."""
    return (
        expr.str.split(",")
        .list.first()
        .str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .replace("", None)
    )


def url_key(expr: pl.Expr) -> pl.Expr:
    """A LinkedIn profile URL in one spelling: ``https://www.linkedin.com/in/<slug>``
    (any scheme, host prefix, query or trailing slash removed; vanity slugs lower-cased).
    Not a profile URL -> null."""
    slug = (
        expr.str.strip_chars()
        .str.replace(r"[?#].*$", "")
        .str.extract(r"(?i)^(?:[a-z]+://)?(?:[a-z0-9-]+\.)?linkedin\.com/in/([^/\s]+)", 1)
    )
    # vanity slugs are case-insensitive; member ids (ACoAA...) are not
    slug = pl.when(slug.str.starts_with("ACo")).then(slug).otherwise(slug.str.to_lowercase())
    return pl.when(slug.is_not_null()).then(pl.lit("https://www.linkedin.com/in/") + slug)


def keys_of(values: list[str]) -> dict[str, str | None]:
    series = pl.DataFrame({"v": values}, schema={"v": pl.String})
    return dict(zip(values, series.select(name_key(pl.col("v")))["v"].to_list(), strict=True))


def iso(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%dT%H:%M:%S")
