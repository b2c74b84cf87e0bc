"""Articles the owner could pass along: CSV, JSON lines, a Markdown list of links, RSS/Atom.

CSV / JSON lines
    ``title`` and/or ``url`` (one of them required per row), optional ``text`` (or
    ``summary`` / ``description`` / ``body``), ``tags`` (``;``- or ``,``-separated in CSV, a
    list or string in JSON), ``date`` (or ``published``).
Markdown
    one link per list item: ``- [Title](https://...) optional summary``; a date written as
    ``2024-05-01`` anywhere on the line becomes the item's date.
RSS / Atom (``.xml``, ``.rss``, ``.atom``, or any file starting with ``<``)
    read with ``feedparser``: title, link, summary, tags (categories), published date.

An article with no text is matched on its title. An article with no date gets the import
time as its date (so a backtest ``--as-of`` before the import never sees it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipelines.dates import outside, span_text
from pipelines.errors import InputError, excerpt
from pipelines.ingest.text import parse_dates, read_table, read_text, sha256_bytes

ITEM_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String,
    "title": pl.String,
    "url": pl.String,
    "text": pl.String,
    "tags": pl.String,
    "company": pl.String,
    "location": pl.String,
    "published_at": pl.Datetime("us"),
}

TEXT_ALIASES = {"text": ["summary", "description", "body", "content", "abstract"]}
DATE_ALIASES = {"date": ["published", "published_at", "pubdate", "posted", "posted_at"]}
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
FEED_SUFFIXES = (".xml", ".rss", ".atom")


@dataclass
class ItemBatch:
    kind: str  # articles | jobs (the import's source kind)
    label: str
    sha256: str
    items: pl.DataFrame
    rows_read: int = 0
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        frame = self.items
        self.items = frame.select(
            (pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c))
            for c, t in ITEM_SCHEMA.items()
        )


def _join_tags(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        parts = re.split(r"[;,|]", str(value))
    parts = [p.strip().lower() for p in parts if p and p.strip()]
    return ";".join(dict.fromkeys(parts)) or None


def read_json_lines(path: Path, text: str, columns: list[str], aliases: dict) -> pl.DataFrame:
    """JSON lines (or one JSON array) -> string frame with ``columns`` and a ``__line``."""
    stripped = text.lstrip()
    rows: list[tuple[int, dict]] = []
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(path, f"not valid JSON ({err.msg})", line=err.lineno) from None
        rows = [(1, r) for r in data]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append((number, json.loads(line)))
            except json.JSONDecodeError as err:
                raise InputError(
                    path,
                    f"not a JSON object ({err.msg}); expected one object per line",
                    line=number,
                ) from None
    out = []
    for number, row in rows:
        if not isinstance(row, dict):
            raise InputError(path, "expected a JSON object per line", line=number)
        lowered = {str(k).strip().lower(): v for k, v in row.items()}
        record = {"__line": number}
        for column in columns:
            value = lowered.get(column)
            for alt in aliases.get(column, []):
                if value in (None, ""):
                    value = lowered.get(alt)
            if column == "tags":
                value = _join_tags(value)
            elif value is not None:
                value = str(value).strip() or None
            record[column] = value
        out.append(record)
    schema = {"__line": pl.Int64} | {c: pl.String for c in columns}
    return pl.DataFrame(out, schema=schema)


def _parse_json_dates(path: Path, frame: pl.DataFrame) -> pl.DataFrame:
    from pipelines.ingest.text import DATE_HINT, parse_datetime_expr

    parsed = frame.with_columns(parse_datetime_expr("date"))
    checks = (
        (frame["date"].is_not_null() & parsed["date"].is_null(), f"is not {DATE_HINT}"),
        (parsed.select(outside("date")).to_series(), f"is outside {span_text()}"),
    )
    for bad, why in checks:
        rows = bad.arg_true()
        if len(rows):
            row = int(rows[0])
            raise InputError(
                path,
                f"date {excerpt(frame['date'][row])} {why}",
                line=int(frame["__line"][row]),
            )
    return parsed


def read_item_rows(
    path: Path, columns: list[str], aliases: dict, what: str, required: tuple[str, ...]
):
    """CSV or JSON lines -> (frame with ``date`` parsed, a ``__line`` column, raw bytes).
    A CSV header needs one of ``required``."""
    text, raw = read_text(path)
    if path.suffix.lower() in JSON_SUFFIXES or text.lstrip().startswith(("{", "[")):
        frame = _parse_json_dates(path, read_json_lines(path, text, columns, aliases))
        return frame, raw
    first_error = None
    table = None
    for column in required:
        try:
            table = read_table(
                text, path, required=[column], optional=columns, aliases=aliases, what=what
            )
            break
        except InputError as err:
            first_error = first_error or err
    if table is None:
        raise first_error
    parsed = parse_dates(table, ["date"])
    lines = [table.line_of_row(i) for i in range(parsed.height)] if parsed.height < 5000 else None
    parsed = parsed.with_columns(
        pl.Series("__line", lines, dtype=pl.Int64)
        if lines is not None
        else (pl.int_range(pl.len(), dtype=pl.Int64) + table.header_line + 1).alias("__line")
    )
    if "tags" in parsed.columns:
        parsed = parsed.with_columns(
            pl.col("tags").map_elements(_join_tags, return_dtype=pl.String)
        )
    return parsed, raw


_MD_LINK = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])\s+\[(?P<title>[^\]]+)\]\((?P<url>[^)\s]+)\)(?P<rest>.*)$"
)
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def _read_markdown(path: Path, text: str) -> pl.DataFrame:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MD_LINK.match(line)
        if not match:
            continue
        rest = match["rest"].strip().lstrip("-–—:").strip()
        date = _ISO_DATE.search(rest)
        if date:
            rest = (rest[: date.start()] + rest[date.end() :]).strip(" ()-–—:")
        rows.append(
            {
                "__line": number,
                "title": match["title"].strip(),
                "url": match["url"].strip(),
                "text": rest or None,
                "tags": None,
                "date": date.group(1) if date else None,
            }
        )
    if not rows:
        raise InputError(
            path,
            "no links found: expected a Markdown list such as '- [Title](https://...) summary'",
        )
    frame = pl.DataFrame(
        rows, schema={"__line": pl.Int64} | dict.fromkeys(rows[0].keys() - {"__line"}, pl.String)
    )
    return _parse_json_dates(path, frame)


def _read_feed(path: Path, raw: bytes) -> pl.DataFrame:
    import feedparser

    feed = feedparser.parse(raw)
    if not feed.entries:
        problem = getattr(feed, "bozo_exception", None)
        detail = f" ({problem})" if problem else ""
        raise InputError(path, f"no entries found in this RSS/Atom feed{detail}")
    rows = []
    for number, entry in enumerate(feed.entries, start=1):
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        date = None
        if stamp:
            date = "{:04d}-{:02d}-{:02d} {:02d}:{:02d}:{:02d}".format(*stamp[:6])
        summary = entry.get("summary") or ""
        summary = re.sub(r"<[^>]+>", " ", summary)
        summary = " ".join(summary.split()) or None
        tags = [t.get("term") for t in entry.get("tags", []) if t.get("term")]
        rows.append(
            {
                "__line": number,
                "title": (entry.get("title") or "").strip() or None,
                "url": entry.get("link"),
                "text": summary,
                "tags": _join_tags(tags),
                "date": date,
            }
        )
    schema = {"__line": pl.Int64} | dict.fromkeys(
        ["title", "url", "text", "tags", "date"], pl.String
    )
    return _parse_json_dates(path, pl.DataFrame(rows, schema=schema))


def check_rows(path: Path, frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Every row needs a title or a url; text falls back to the title."""
    missing = frame.filter(pl.col("title").is_null() & pl.col("url").is_null())
    if missing.height:
        raise InputError(
            path, f"this {kind} has neither a title nor a url", line=int(missing["__line"][0])
        )
    return frame.with_columns(
        pl.coalesce("title", "url").alias("title"),
        pl.coalesce("text", "title", "url").alias("text"),
    )


def import_articles(path: Path | str) -> ItemBatch:
    """Read an articles file (CSV, JSON lines, Markdown list, RSS/Atom) into an ItemBatch."""
    path = Path(path)
    text, raw = read_text(path)
    suffix = path.suffix.lower()
    if suffix in FEED_SUFFIXES or text.lstrip().startswith("<"):
        frame = _read_feed(path, raw)
    elif suffix in MARKDOWN_SUFFIXES:
        frame = _read_markdown(path, text)
    else:
        frame, raw = read_item_rows(
            path,
            ["title", "url", "text", "tags", "date"],
            TEXT_ALIASES | DATE_ALIASES,
            "articles",
            ("title", "url"),
        )
    frame = check_rows(path, frame, "article")
    items = frame.with_columns(
        pl.lit("article").alias("kind"), pl.col("date").alias("published_at")
    )
    return ItemBatch("articles", path.name, sha256_bytes(raw), items, rows_read=frame.height)
