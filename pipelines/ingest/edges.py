"""Edge lists (SNAP / KONECT style): ``SRC DST TS`` or ``SRC DST WEIGHT TS`` per line.

``%`` or ``#`` comment lines, space- or tab-separated, CRLF or LF, optionally gzip'd.
A multi-owner log: every sender is an owner, and so is every recipient (whether someone
counts as an owner at a moment T must not depend on whether they send after T). TS is
seconds (any origin).
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

import polars as pl

from pipelines.columns import CONTACT, DIRECTION, IN, OUT, OWNER, TS, conform_events
from pipelines.dates import EARLIEST, latest, span_text
from pipelines.errors import InputError, excerpt
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.text import decode, sha256_file

EDGE_SCHEMA = {"src": pl.Int64, "dst": pl.Int64, "weight": pl.Float64, "ts": pl.Int64}
_COMMENT = ("%", "#")


def _open_head(path: Path, n: int = 64 * 1024) -> bytes:
    with open(path, "rb") as handle:
        head = handle.read(n)
    if head[:2] == b"\x1f\x8b":
        try:
            with gzip.open(path, "rb") as handle:
                head = handle.read(n)
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(path, f"damaged gzip file ({err})") from None
    return head


def _layout(path: Path) -> tuple[int, str, int]:
    """(number of leading comment/blank lines, separator, number of columns)."""
    try:
        head = _open_head(path)
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected an edge-list file") from None
    # decode only the complete lines of the head, so a cut multi-byte character is no error
    cut = head.rfind(b"\n")
    text = decode(head if cut < 0 else head[: cut + 1] or head, path)
    skip = 0
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(_COMMENT):
            skip += 1
            continue
        sep = "\t" if "\t" in stripped else " "
        fields = [f for f in re.split(r"[ \t]+", stripped)]
        if len(fields) not in (3, 4):
            raise InputError(
                path,
                f"expected 'SRC DST TS' or 'SRC DST WEIGHT TS' per line, found {len(fields)} "
                f"field(s): {stripped[:60]!r}",
                line=skip + 1,
            )
        if re.search(r"[ \t]{2,}", stripped):
            sep = "multi"
        return skip, sep, len(fields)
    raise InputError(path, "no edges in the file (only comments or blank lines)")


def _locate_bad(path: Path, ncols: int) -> InputError:
    """Slow path for errors: find the first line that is not a valid edge."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            return InputError(path, f"damaged or truncated gzip file ({err})")
    text = decode(raw, path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith(_COMMENT):
            continue
        fields = re.split(r"[ \t]+", stripped)
        if len(fields) != ncols:
            return InputError(
                path,
                f"expected {ncols} fields like the lines above, found {len(fields)}",
                line=number,
            )
        for name, value in zip(("SRC", "DST"), fields[:2], strict=True):
            if not re.fullmatch(r"-?\d+", value):
                return InputError(
                    path, f"{name} {excerpt(value)} is not an integer id", line=number
                )
        for name, value in (("TS", fields[-1]),) + ((("WEIGHT", fields[2]),) if ncols == 4 else ()):
            try:
                float(value)
            except ValueError:
                return InputError(path, f"{name} {excerpt(value)} is not a number", line=number)
    return InputError(path, "cannot read as an edge list")


def read_edges(path: Path | str, skipped: dict | None = None) -> pl.DataFrame:
    """Read an edge list into ``src, dst, weight, ts`` (ts in whole seconds), file order.
    Edges whose TS is out of range are left out, counted in ``skipped`` when given."""
    path = Path(path)
    skip, sep, ncols = _layout(path)
    names = ["src", "dst", "ts"] if ncols == 3 else ["src", "dst", "weight", "ts"]
    try:
        if sep == "multi":
            text = decode(
                path.read_bytes() if path.suffix != ".gz" else gzip.decompress(path.read_bytes()),
                path,
            )
            rows = [
                re.split(r"[ \t]+", ln.strip())
                for ln in text.splitlines()[skip:]
                if ln.strip() and not ln.lstrip().startswith(_COMMENT)
            ]
            if any(len(r) != ncols for r in rows):
                raise pl.exceptions.ComputeError("ragged")
            frame = pl.DataFrame(rows, schema=names, orient="row")
        else:
            frame = pl.read_csv(
                path,
                separator=sep,
                has_header=False,
                skip_rows=skip,
                comment_prefix=None,
                new_columns=names,
                infer_schema=False,
                truncate_ragged_lines=False,
            )
        if frame.width != ncols:
            raise pl.exceptions.ComputeError("width")
        frame = frame.with_columns(
            pl.col("src").str.strip_chars().cast(pl.Int64, strict=True),
            pl.col("dst").str.strip_chars().cast(pl.Int64, strict=True),
            pl.col("ts").str.strip_chars().cast(pl.Float64, strict=True),
        )
        if ncols == 4:
            frame = frame.with_columns(
                pl.col("weight").str.strip_chars().cast(pl.Float64, strict=True)
            )
        else:
            frame = frame.with_columns(pl.lit(1.0).alias("weight"))
        if frame.select(pl.any_horizontal(pl.all().is_null()).any()).item():
            raise pl.exceptions.ComputeError("nulls")
    except (
        pl.exceptions.PolarsError,
        OSError,
        EOFError,
        UnicodeDecodeError,
        ValueError,
        zlib.error,
    ):
        raise _locate_bad(path, ncols) from None
    if frame.height == 0:
        raise InputError(path, "no edges in the file (only comments or blank lines)")
    # seconds from 1970 (or from the log's own start) up to a year past now: a TS of 1e14
    # or 99999999999999999999 is no time a later command can read (issue 18)
    last = (latest() - EARLIEST).total_seconds()
    ts = pl.col("ts")
    sane = ts.is_finite() & (ts >= 0) & (ts <= last)
    out = frame.height - frame.select(sane.sum()).item()
    if out:
        first = frame.with_row_index("_i").filter(~sane).row(0, named=True)
        if out == frame.height:
            raise InputError(
                path,
                f"every TS is outside {span_text()} as seconds from 1970 (the first: "
                f"{_excerpt(first['ts'])})",
            )
        frame = frame.filter(sane)
        if skipped is not None:
            skipped["ts_out_of_range"] = out
            skipped["ts_out_of_range_example"] = _excerpt(first["ts"])
    return frame.select(
        pl.col("src"), pl.col("dst"), pl.col("weight"), pl.col("ts").floor().cast(pl.Int64)
    )


def _excerpt(value: float) -> str:
    return f"{value:.6g}"


def import_edges(path: Path | str) -> ImportBatch:
    path = Path(path)
    out_of_range: dict = {}
    edges = read_edges(path, out_of_range)
    n_read = edges.height + out_of_range.get("ts_out_of_range", 0)
    e = edges.filter(pl.col("src") != pl.col("dst")).with_columns(
        pl.int_range(pl.len()).over(["src", "dst", "ts"]).alias("_n")
    )
    loops = edges.height - e.height
    skipped = loops + out_of_range.get("ts_out_of_range", 0)
    uid = pl.format("edges:{}:{}:{}:{}", "src", "dst", "ts", "_n")
    ts = pl.from_epoch("ts", time_unit="s")
    out = e.select(
        pl.col("src").cast(pl.String).alias("owner_key"),
        pl.col("dst").cast(pl.String).alias("ref"),
        uid.alias("uid_key"),
        ts.alias("ts"),
        pl.lit("out").alias("direction"),
    )
    inc = e.select(
        pl.col("dst").cast(pl.String).alias("owner_key"),
        pl.col("src").cast(pl.String).alias("ref"),
        uid.alias("uid_key"),
        ts.alias("ts"),
        pl.lit("in").alias("direction"),
    )
    interactions = pl.concat([out, inc]).with_columns(
        pl.lit("message").alias("channel"),
        pl.lit(False).alias("is_give"),
        pl.lit(2, dtype=pl.Int32).alias("n_participants"),
        # one event gives an out row and an in row: the direction keeps their uids apart
        (pl.col("uid_key") + ":" + pl.col("direction")).alias("uid_key"),
        ("node:" + pl.col("owner_key")).alias("owner_key"),
    )
    people = (
        interactions.select("owner_key", "ref")
        .unique()
        .with_columns(
            pl.col("ref").alias("display_name"),
            pl.col("ref").alias("id_key"),
        )
    )
    return ImportBatch(
        source_kind="edges",
        label=path.name,
        sha256=sha256_file(path),
        people=people,
        interactions=interactions,
        multi_owner=True,
        as_of=None,
        rows_read=n_read,
        rows_skipped=skipped,
        details={
            "self_loops_dropped": loops,
            "owners": pl.concat([e["src"], e["dst"]]).n_unique(),
            **({"ts_out_of_range": out_of_range["ts_out_of_range"]} if out_of_range else {}),
        },
        notes=[
            f"{out_of_range['ts_out_of_range']:,} edges with a TS outside {span_text()} "
            f"left out (e.g. {out_of_range['ts_out_of_range_example']})"
        ]
        if out_of_range
        else [],
    )


def events_from_edges(edges: pl.DataFrame) -> pl.DataFrame:
    """Every node's view of an edge list ``src, dst, ts``: ``src -> dst`` is an "out" event
    of owner src and an "in" event of owner dst.

    Sorted by owner, contact and time. Unlike a per-sender view, whether a node is an owner
    here does not depend on the future (someone who has only received so far still has
    candidates), which keeps features at T a function of the events before T alone.
    Self-loops are dropped.
    """
    e = edges.filter(pl.col("src") != pl.col("dst"))
    ts = pl.from_epoch("ts", time_unit="s")
    out = e.select(
        pl.col("src").alias(OWNER),
        pl.col("dst").alias(CONTACT),
        ts.alias(TS),
        pl.lit(OUT).alias(DIRECTION),
    )
    inc = e.select(
        pl.col("dst").alias(OWNER),
        pl.col("src").alias(CONTACT),
        ts.alias(TS),
        pl.lit(IN).alias(DIRECTION),
    )
    # in the features' order (owner, contact, time, "out" first): every cutoff's features
    # then skip their sort
    return (
        conform_events(pl.concat([out, inc]))
        .sort(OWNER, CONTACT, TS, pl.col(DIRECTION) == IN, maintain_order=True)
        .collect()
    )
