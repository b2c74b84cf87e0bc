"""Reading user files as text and CSV tables, with errors that name file and line.

Every importer reads through here, so the bad-input rules hold everywhere: a file that
is empty, not UTF-8/UTF-16, binary, truncated or missing columns raises
:class:`~recommender.errors.InputError` naming the file, the line and what was expected.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

import polars as pl

from pipelines.dates import EARLIEST, outside, span_text
from pipelines.errors import InputError, UsageError, excerpt

# the stdlib reader (used to locate errors) must accept fields as long as Polars does
csv.field_size_limit(2**31 - 1)

# the largest text file read whole (larger inputs are streamed by their importers or refused)
MAX_TEXT_BYTES = 512 << 20
# the longest line of a text file: a longer one means this is no export (a 2 GB line of
# one field is refused before it is parsed, not after it has filled memory)
MAX_LINE_BYTES = 16 << 20
_LINE_SCAN = 16 << 20  # bytes scanned at a time for the longest line
# the longest field of a table: a row with a longer one is unreadable (a 50 MB "name" is
# no name; LinkedIn's longest real fields, message bodies, stay far below)
MAX_FIELD_BYTES = 1 << 20
NULL_VALUES = ["", "NA", "N/A", "n/a", "#N/A", "null", "NULL", "None"]
# the header may sit below a preamble (LinkedIn's "Notes:" block): look this far down
HEADER_SEARCH_LINES = 25


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _line_of_offset(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


# how much of a file the encoding detector looks at (the whole file is then decoded strictly)
DETECT_BYTES = 1 << 20


def _detected(data: bytes) -> str | None:
    """The encoding charset-normalizer finds for text that is not UTF-8 (a spreadsheet
    re-save in the Windows code page, say), or None when it finds none that fits."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data[:DETECT_BYTES]))
    if not matches:
        return None
    best = matches[0]
    # a short sample fits several code pages equally well: then prefer Windows-1252, what
    # Excel on a Western European Windows writes (Jørgensen is 0xf8 there)
    for m in matches:
        if (
            m.encoding == "cp1252"
            and m.chaos <= best.chaos
            and m.coherence >= best.coherence - 0.05
        ):
            return m.encoding
    return best.encoding


def check_lines(data: bytes, label: Path | str, limit: int = MAX_LINE_BYTES) -> None:
    """Refuse ``data`` when one of its lines is longer than ``limit`` bytes (scanned in
    blocks with numpy: no copy of the file, a few MB at a time)."""
    import numpy as np

    if len(data) <= limit:
        return
    view = np.frombuffer(data, dtype=np.uint8)
    last = -1  # offset of the newline before the current line
    line = 1
    for start in range(0, len(view), _LINE_SCAN):
        block = view[start : start + _LINE_SCAN]
        ends = np.flatnonzero(block == 10) + start
        if len(ends):
            gaps = np.diff(ends, prepend=last)
            worst = int(gaps.argmax())
            if gaps[worst] - 1 > limit:
                raise InputError(label, _long_line(limit), line=line + worst)
            line += len(ends)
            last = int(ends[-1])
        elif start + len(block) - last - 1 > limit:
            raise InputError(label, _long_line(limit), line=line)
    if len(view) - last - 1 > limit:
        raise InputError(label, _long_line(limit), line=line)


def _long_line(limit: int) -> str:
    return (
        f"a line longer than {limit >> 20} MB: this is not a text export (or it is damaged); "
        "nothing was imported"
    )


def decode(
    data: bytes,
    label: Path | str,
    report: list[str] | None = None,
    max_line: int | None = MAX_LINE_BYTES,
) -> str:
    """Bytes of a text file -> str. UTF-8 (with or without BOM) or UTF-16 with a BOM;
    anything else is decoded in the encoding charset-normalizer detects (cp1252 for a
    Windows Excel re-save), and the choice is appended to ``report`` when given. A line
    longer than ``max_line`` bytes is refused (see :func:`check_lines`)."""
    if not data.strip():
        raise InputError(label, "the file is empty")
    if max_line is not None:
        check_lines(data, label, max_line)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise InputError(label, f"not valid UTF-16 text ({err.reason})") from None
    else:
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as err:
            line = _line_of_offset(data, err.start)
            byte = data[err.start : err.start + 1].hex()
            refused = InputError(
                label,
                f"not UTF-8 text (byte 0x{byte}); save the file as UTF-8 and import it again",
                line=line,
            )
            if b"\x00" in data:  # binary, not text in another encoding
                raise refused from None
            encoding = _detected(data)
            try:
                text = data.decode(encoding) if encoding else None
            except (UnicodeDecodeError, LookupError):
                text = None
            if text is None:
                raise refused from None
            if report is not None:
                report.append(
                    f"{Path(str(label)).name}: not UTF-8, read as {encoding} "
                    "(detected by charset-normalizer)"
                )
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(
            label,
            "contains NUL bytes: this looks like a binary or damaged file, not text",
            line=text.count("\n", 0, nul) + 1,
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_text(
    path: Path, label: Path | str | None = None, report: list[str] | None = None
) -> tuple[str, bytes]:
    """Read ``path`` as text (see :func:`decode`). Returns (text, raw bytes)."""
    label = label or path
    try:
        size = path.stat().st_size
        if size > MAX_TEXT_BYTES and path.is_file():
            raise InputError(
                label,
                f"the file is {size / (1 << 20):,.0f} MB; files over {MAX_TEXT_BYTES >> 20} MB "
                "are not read",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(label, "no such file") from None
    except IsADirectoryError:
        raise InputError(label, "is a directory, expected a file") from None
    except PermissionError:
        raise InputError(label, "permission denied") from None
    return decode(data, label, report), data


def _norm_header(name: str) -> str:
    return " ".join(name.replace("\ufeff", "").strip().strip('"').split()).casefold()


@dataclass
class Table:
    """A CSV table read as strings: canonical column names, plus what is needed to map a
    row back to its line in the file for error messages (the text, or the bytes it was read
    from, decoded only when an error needs a line number)."""

    label: Path | str
    frame: pl.DataFrame
    header_line: int  # 1-based line of the header
    delimiter: str
    dropped_empty: int = 0
    # how the file was read when that was not plain (encoding detected, dates day-first)
    notes: list[str] = field(default_factory=list)
    # rows left out as unreadable: [why, how many, first lines]; see :meth:`skip_rows`
    skipped: list[tuple[str, int, list[int]]] = field(default_factory=list)
    _row_index: pl.Series | None = field(default=None, repr=False)  # frame row -> raw row
    _text: str | None = field(default=None, repr=False)
    _raw: bytes | None = field(default=None, repr=False)

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = decode(self._raw, self.label)
        return self._text

    def forget_source(self) -> None:
        """Free the file's text and bytes once no error can need its line numbers."""
        self._text = self._raw = None

    def line_of_row(self, row: int) -> int:
        """1-based line in the file where frame row ``row`` starts."""
        raw = int(self._row_index[row]) if self._row_index is not None else row
        text = self.text
        body = text.split("\n", self.header_line)[-1] if self.header_line else text
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=self.delimiter)
        start = 1
        for i, _ in enumerate(reader):
            if i == raw:
                return self.header_line + start
            start = reader.line_num + 1
        return self.header_line + start

    def lines_of_rows(self, rows: Sequence[int]) -> list[int]:
        """1-based lines where frame rows ``rows`` start (one walk over the file)."""
        index = self._row_index
        raws = [int(index[r]) if index is not None else int(r) for r in rows]
        wanted = {r: None for r in raws}
        text = self.text
        body = text.split("\n", self.header_line)[-1] if self.header_line else text
        reader = csv.reader(io.StringIO(body, newline=""), delimiter=self.delimiter)
        start, last = 1, max(raws, default=-1)
        for i, _ in enumerate(reader):
            if i in wanted:
                wanted[i] = self.header_line + start
            if i >= last:
                break
            start = reader.line_num + 1
        return [wanted[r] or self.header_line + start for r in raws]

    def error(self, row: int, message: str) -> InputError:
        return InputError(self.label, message, line=self.line_of_row(row))

    @property
    def rows_skipped(self) -> int:
        return sum(n for _, n, _ in self.skipped)

    def skip_rows(self, rows: Sequence[int], why: str) -> pl.Series:
        """Leave frame rows ``rows`` out as unreadable because ``why``: they are recorded
        (count and first lines, for the import's report) and dropped from ``frame``.
        Returns the keep-mask over the frame as it was, for frames derived from it. When
        more rows than not are unreadable the file fails, naming the first bad line."""
        rows = sorted({int(r) for r in rows})
        keep = pl.Series("keep", [True] * self.frame.height)
        if not rows:
            return keep
        lines = self.lines_of_rows(rows[:SHOW_SKIPPED])
        total = self.frame.height + self.rows_skipped
        self.skipped.append((why, len(rows), lines))
        self._check_mostly(total, lines[0], why)
        keep = keep.scatter(rows, False)
        base = (
            self._row_index
            if self._row_index is not None
            else pl.int_range(self.frame.height, eager=True, dtype=pl.Int64)
        )
        self._row_index = base.filter(keep)
        self.frame = self.frame.filter(keep)
        self.notes.append(_skip_note(self.label, len(rows), lines, why))
        return keep

    def _check_mostly(self, total: int, line: int, why: str) -> None:
        bad = self.rows_skipped
        if bad * 2 > total:
            raise InputError(
                self.label,
                why
                if total <= 1
                else f"{bad:,} of {total:,} rows cannot be read; the first: {why}",
                line=min([ln for _, _, lines in self.skipped for ln in lines] or [line]),
            )


# unreadable rows named by line in an import's report
SHOW_SKIPPED = 5


def _skip_note(label, n: int, lines: Sequence[int], why: str) -> str:
    shown = ", ".join(f"{ln:,}" for ln in lines)
    more = f" and {n - len(lines):,} more" if n > len(lines) else ""
    where = f"line{'s' if len(lines) > 1 else ''} {shown}{more}"
    return f"{Path(str(label)).name}: {n:,} unreadable row{'s' if n > 1 else ''} skipped ({where}: {why})"


def _split_header(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (StopIteration, csv.Error):
        return []


@dataclass
class _Columns:
    """The columns a caller asks for: canonical names in order, and header spellings."""

    wanted: list[str]
    accept: dict[str, str]  # normalised header -> canonical name
    need: set[str]  # normalised required names

    @classmethod
    def of(
        cls,
        required: Sequence[str],
        optional: Sequence[str],
        aliases: dict[str, Iterable[str]] | None,
    ) -> _Columns:
        wanted = list(required) + [c for c in optional if c not in required]
        accept = {_norm_header(c): c for c in wanted}
        for canonical, names in (aliases or {}).items():
            for alt in names:
                accept.setdefault(_norm_header(alt), canonical)
        return cls(wanted, accept, {_norm_header(c) for c in required})

    def find_header(self, lines: Sequence[str]) -> tuple[int, str, list[str]] | None:
        """(0-based index, delimiter, fields) of the first of ``lines`` (up to
        HEADER_SEARCH_LINES) naming every required column, or None."""
        for i, line in enumerate(lines[:HEADER_SEARCH_LINES]):
            for delimiter in (",", "\t", ";"):
                fields = _split_header(line.rstrip("\r"), delimiter)
                mapped = {self.accept.get(_norm_header(f)) for f in fields}
                if self.need <= {_norm_header(m) for m in mapped if m}:
                    return i, delimiter, fields
        return None

    def names(self, fields: Sequence[str]) -> list[str]:
        """Frame column names for header ``fields``: canonical, or a placeholder for a
        column not asked for and for the second of a duplicated one."""
        names: list[str] = []
        seen: set[str] = set()
        for f in fields:
            canonical = self.accept.get(_norm_header(f)) or f"__extra_{len(names)}"
            if canonical in seen:  # a duplicated column: keep the first
                canonical = f"__dup_{len(names)}"
            seen.add(canonical)
            names.append(canonical)
        return names

    def tidy(
        self, frame: pl.DataFrame, names: Sequence[str], *, rewrite_all: bool
    ) -> tuple[pl.DataFrame, int, pl.Series | None]:
        """Of ``frame`` read with column ``names``, keep the wanted columns (missing
        optional ones as nulls), strip surrounding white space (blank -> null) and drop rows
        that are entirely empty. Returns (frame, rows dropped, frame row -> raw row or None
        when none was dropped).

        ``rewrite_all`` strips every column, which leaves fresh buffers in place of views
        into the CSV reader's (a smaller footprint downstream: about 30 MB less at the peak
        of the CLI import of a 30,000-connection export); otherwise only the columns that
        need it are rewritten, for large files (no copies of a several-hundred-MB frame for
        nothing)."""
        wanted = self.wanted
        frame = frame.select([c for c in names if not c.startswith(("__extra_", "__dup_"))])
        missing = [pl.lit(None, dtype=pl.String).alias(c) for c in wanted if c not in frame.columns]
        frame = frame.with_columns(missing).select(wanted)
        padded = [
            c
            for c in wanted
            if rewrite_all
            or frame.select(pl.col(c).str.contains(r"^\s|\s$").any()).item()
            or frame.select((pl.col(c) == "").any()).item()
        ]
        if padded:
            frame = frame.with_columns(
                pl.col(c).str.strip_chars().replace("", None) for c in padded
            )
        empty = ~pl.any_horizontal(pl.col(c).is_not_null() for c in wanted)
        n_empty = frame.select(empty.sum()).item()
        if not n_empty:
            return frame, 0, None
        kept = frame.with_row_index("__raw").filter(~empty)
        return kept.drop("__raw"), n_empty, kept["__raw"]


def _read_csv(data: bytes, names: list[str], delimiter: str, skip_lines: int = 0) -> pl.DataFrame:
    return pl.read_csv(
        data,
        has_header=True,
        skip_lines=skip_lines,
        new_columns=names,
        separator=delimiter,
        infer_schema=False,
        null_values=NULL_VALUES,
        quote_char='"',
        raise_if_empty=False,
    )


# the header of a bytes source is looked for in this much of its start
_HEAD_BYTES = 256 * 1024
# a parsed CSV: (frame, its column names, 0-based index of the header line, delimiter,
# None or (raw rows kept, rows left out as (raw row, line, why)) when read record by record)
_Parsed = tuple[pl.DataFrame, list[str], int, str, tuple[list[int], list] | None]


def _frame_from_bytes(raw: bytes, columns: _Columns) -> _Parsed | None:
    """Parse UTF-8 ``raw`` with Polars directly, never decoding it into one Python string;
    None when anything looks off (the caller then reads it as text, whose errors name the
    line)."""
    data = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    if data.find(b"\x00") >= 0:
        return None
    head_bytes = data[:_HEAD_BYTES]
    cut = head_bytes.rfind(b"\n")
    head = head_bytes[: cut + 1 if cut >= 0 else len(head_bytes)].decode("utf-8", "ignore")
    found = columns.find_header(head.split("\n", HEADER_SEARCH_LINES))
    if found is None:
        return None
    index, delimiter, fields = found
    names = columns.names(fields)
    try:
        frame = _read_csv(data, names, delimiter, skip_lines=index)
    except pl.exceptions.PolarsError:
        return None
    if frame.width != len(names):
        return None
    return frame, names, index, delimiter, None


def _frame_from_text(
    text: str, label: Path | str, required: Sequence[str], columns: _Columns, what: str | None
) -> _Parsed:
    lines = text.split("\n", HEADER_SEARCH_LINES)
    header_at = columns.find_header(lines)
    if header_at is None:
        first = next((ln.rstrip("\r") for ln in lines if ln.strip()), "")
        got = ", ".join(f for f in _split_header(first, ",") if f.strip()) or "nothing"
        kind = f"a {what} file" if what else "this file"
        raise InputError(
            label,
            f"expected {kind} with columns {', '.join(required)}; found columns: {got}",
            line=lines.index(next((ln for ln in lines if ln.strip()), lines[0])) + 1,
        )
    index, delimiter, fields = header_at
    body = text.split("\n", index)[-1] if index else text
    names = columns.names(fields)
    try:
        frame = _read_csv(body.encode("utf-8"), names, delimiter)
        return frame, names, index, delimiter, None
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, pl.exceptions.ShapeError) as err:
        reason = str(err).splitlines()[0]
    return _frame_from_records(body, label, names, index, delimiter, reason)


def _frame_from_records(
    body: str, label: Path | str, names: list[str], index: int, delimiter: str, reason: str
) -> _Parsed:
    """Read what Polars refused record by record with the stdlib reader: a row with more
    fields than the header is left out (a ``bad`` entry: raw row, line, why); a row with
    fewer is padded. A quoting error ends the reading: the file fails, naming its line."""
    width = len(names)
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter, strict=True)
    header_line = index + 1
    columns: list[list[str | None]] = [[] for _ in names]
    kept: list[int] = []
    bad: list[tuple[int, int, str]] = []
    start = 1
    nulls = set(NULL_VALUES)
    try:
        for i, record in enumerate(reader):
            line = header_line + start - 1
            start = reader.line_num + 1
            if i == 0:
                continue  # the header
            if len(record) > width:
                bad.append((i - 1, line, f"row has {len(record)} fields, the header has {width}"))
                continue
            record = record + [""] * (width - len(record))
            for col, value in zip(columns, record, strict=True):
                col.append(None if value in nulls else value)
            kept.append(i - 1)
    except csv.Error as err:
        raise InputError(
            label, f"malformed CSV ({err})", line=header_line + reader.line_num - 1
        ) from None
    if not kept and not bad:
        raise InputError(label, f"cannot read as CSV ({reason})")
    frame = pl.DataFrame(
        {
            name: pl.Series(name, col, dtype=pl.String)
            for name, col in zip(names, columns, strict=True)
        }
    )
    return frame, names, index, delimiter, (kept, bad)


def read_table(
    source: str | bytes,
    label: Path | str,
    required: Sequence[str],
    optional: Sequence[str] = (),
    aliases: dict[str, Iterable[str]] | None = None,
    what: str | None = None,
) -> Table:
    """Parse CSV (or tab-separated) ``source`` into a string-typed frame.

    Finds the header below any preamble, accepts any column order and letter case, keeps
    only ``required`` + ``optional`` columns (missing optional ones are added as nulls),
    drops rows that are entirely empty, and treats ``NA``-style fillers as nulls.

    ``source`` is the file's text, or its bytes: UTF-8 bytes are parsed as they are (a
    several-hundred-MB file is never decoded into one Python string; it is decoded only if
    an error needs a line number); bytes in any other shape (UTF-16, no header found,
    anything Polars rejects) are decoded and read as text, whose errors name the line.
    """
    columns = _Columns.of(required, optional, aliases)
    text = source if isinstance(source, str) else None
    parsed = None
    if text is None and not source.startswith((b"\xff\xfe", b"\xfe\xff")):
        check_lines(source, label)
        parsed = _frame_from_bytes(source, columns)
    notes: list[str] = []
    if parsed is None:
        if text is None:
            text = decode(source, label, notes)
        parsed = _frame_from_text(text, label, required, columns, what)
    frame, names, index, delimiter, records = parsed
    frame, dropped, row_index = columns.tidy(frame, names, rewrite_all=text is not None)
    long_fields = [
        c
        for c in columns.wanted
        if (frame.select(pl.col(c).str.len_bytes().max()).item() or 0) > MAX_FIELD_BYTES
    ]
    skipped: list[tuple[str, int, list[int]]] = []
    if records is not None:
        kept, bad = records
        raw_rows = pl.Series(kept, dtype=pl.Int64)
        row_index = raw_rows if row_index is None else raw_rows.gather(row_index)
        if bad:
            lines = [line for _, line, _ in bad]
            why = bad[0][2]
            skipped.append((why, len(bad), lines[:SHOW_SKIPPED]))
            notes.append(_skip_note(label, len(bad), lines[:SHOW_SKIPPED], why))
            total = frame.height + dropped + len(bad)
            if len(bad) * 2 > total:
                raise InputError(
                    label,
                    why
                    if total <= 1
                    else f"{len(bad):,} of {total:,} rows cannot be read; the first: {why}",
                    line=lines[0],
                )
    table = Table(
        label=label,
        frame=frame,
        header_line=index + 1,
        delimiter=delimiter,
        dropped_empty=dropped,
        notes=notes,
        skipped=skipped,
        _row_index=row_index,
        _text=text,
        _raw=source if text is None else None,
    )
    for c in long_fields:
        rows = table.frame.select(
            (pl.col(c).str.len_bytes() > MAX_FIELD_BYTES).fill_null(False).arg_true()
        ).to_series()
        if len(rows):
            table.skip_rows(rows.to_list(), f"{c} is longer than {MAX_FIELD_BYTES:,} bytes")
    return table


# -- dates --------------------------------------------------------------------------------

DATE_FORMATS = [
    "%Y-%m-%d %H:%M:%S UTC",
    "%Y/%m/%d %H:%M:%S UTC",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%m/%d/%y, %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%m/%d/%y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%y",
    "%d-%b-%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d.%m.%y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%b %Y",
    "%B %Y",
    "%Y",
]
# day-first spellings of the slashed dates: used for a column only when the month-first
# reading fails on some of its values and these read every one of them (16/09/2021)
DAY_FIRST_FORMATS = [
    "%d/%m/%Y, %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d/%m/%y, %H:%M",
    "%d/%m/%y %H:%M",
    "%d/%m/%y",
]
DATE_HINT = "a date such as 2024-06-18 14:05:00 UTC, 6/18/24, 6:14 PM, 18 Jun 2024 or 18-Jun-24"


def parse_datetime_expr(column: str, formats: Sequence[str] = DATE_FORMATS) -> pl.Expr:
    """Expression parsing a string column with the first format that fits (naive UTC)."""
    col = pl.col(column).str.strip_chars()
    return pl.coalesce(
        [col.str.strptime(pl.Datetime("us"), fmt, strict=False) for fmt in formats]
    ).alias(column)


def _all_parsed(
    frame: pl.DataFrame, parsed: pl.DataFrame, columns: Sequence[str], required: Sequence[str]
) -> bool:
    return all(
        not (frame[c].is_not_null() & parsed[c].is_null()).any()
        and (c not in required or not parsed[c].is_null().any())
        for c in columns
    )


def parse_dates(
    table: Table,
    columns: Sequence[str],
    required: Sequence[str] = (),
    formats: Sequence[str] = DATE_FORMATS,
    preferred: Sequence[str] = (),
    earliest: date = EARLIEST,
) -> pl.DataFrame:
    """Parse date columns of ``table.frame`` in place; a value that does not parse, one
    outside ``earliest`` to a year past now (:mod:`pipelines.dates`), or a missing value
    in a ``required`` column makes its row unreadable (skipped, named by line).

    With ``preferred`` formats (the few a source writes), those are tried first (fast on
    large files) and ``formats`` only when a value does not fit them."""
    frame = table.frame
    if preferred:
        fast = frame.with_columns(parse_datetime_expr(c, preferred) for c in columns)
        if _all_parsed(frame, fast, columns, required):
            return _in_range(table, frame, fast, columns, earliest)
    parsed = frame.with_columns(parse_datetime_expr(c, formats) for c in columns)
    for c in columns:
        unread = frame[c].is_not_null() & parsed[c].is_null()
        if unread.any():
            day_first = frame.select(
                parse_datetime_expr(
                    c, DAY_FIRST_FORMATS + [f for f in formats if not f.startswith("%m/")]
                )
            ).to_series()
            if not (frame[c].is_not_null() & day_first.is_null()).any():
                parsed = parsed.with_columns(day_first.alias(c))
                example = frame[c].filter(unread)[0]
                table.notes.append(
                    f"{Path(str(table.label)).name}: {c} read day-first (e.g. {excerpt(example)})"
                )
        bad = (frame[c].is_not_null() & parsed[c].is_null()).arg_true()
        if len(bad):
            row = int(bad[0])
            keep = table.skip_rows(
                bad.to_list(), f"{c} {excerpt(frame[c][row])} is not {DATE_HINT}"
            )
            frame, parsed = frame.filter(keep), parsed.filter(keep)
        if c in required:
            missing = parsed[c].is_null().arg_true()
            if len(missing):
                keep = table.skip_rows(
                    missing.to_list(), f"{c} is empty; every row needs one (is the file truncated?)"
                )
                frame, parsed = frame.filter(keep), parsed.filter(keep)
    return _in_range(table, frame, parsed, columns, earliest)


def _in_range(
    table: Table, frame: pl.DataFrame, parsed: pl.DataFrame, columns: Sequence[str], earliest
) -> pl.DataFrame:
    """``parsed`` without the rows whose date is outside the accepted range (skipped as
    unreadable, with their lines: ``01 Jan 0000`` parses, but no later command could
    read it)."""
    first = datetime.combine(earliest, time()) if type(earliest) is date else earliest
    for c in columns:
        bad = parsed.select(outside(c, first)).to_series().arg_true()
        if len(bad):
            row = int(bad[0])
            keep = table.skip_rows(
                bad.to_list(), f"{c} {excerpt(frame[c][row])} is outside {span_text(first)}"
            )
            frame, parsed = frame.filter(keep), parsed.filter(keep)
    return parsed


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def own_addresses(me: list[str], missing: str) -> set[str]:
    """The owner's own addresses (``--me``), lower-cased; each must be an e-mail address.
    ``missing``: the message when none is given."""
    mine = {m.strip().lower() for m in me if m and m.strip()}
    if not mine:
        raise UsageError(missing)
    bad = sorted(m for m in mine if not _EMAIL.match(m))
    if bad:
        raise UsageError(f"--me {bad[0]!r} is not an e-mail address")
    return mine
