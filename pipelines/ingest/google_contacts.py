"""Address book: a Google Contacts CSV export (``contacts.csv``, "Google CSV").

Reads the current layout (``First Name``, ``Last Name``, ``Organization Name``,
``Organization Title``, ``Labels``, ``E-mail 1 - Value`` ...) and the older one (``Given
Name``, ``Family Name``, ``Organization 1 - Name``, ``Group Membership`` ...). Several
values in one cell are joined with `` ::: ``. Labels become tags, without Google's system
groups (``* myContacts``, ``* starred``). Contacts only, no interactions.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.text import read_table, read_text, sha256_bytes

MAX_MULTI = 10
# skipped rows named by line in the import's report
SHOW_SKIPPED = 5
SEP = " ::: "
REQUIRED = ["First Name"]
SINGLE = [
    "Name",
    "Middle Name",
    "Last Name",
    "Nickname",
    "Organization Name",
    "Organization Title",
    "Birthday",
    "Notes",
    "Labels",
]
EMAILS = [f"E-mail {i} - Value" for i in range(1, MAX_MULTI + 1)]
PHONES = [f"Phone {i} - Value" for i in range(1, MAX_MULTI + 1)]
WEBSITES = [f"Website {i} - Value" for i in range(1, MAX_MULTI + 1)]
ALIASES = {
    "First Name": ["Given Name"],
    "Middle Name": ["Additional Name"],
    "Last Name": ["Family Name"],
    "Organization Name": ["Organization 1 - Name"],
    "Organization Title": ["Organization 1 - Title"],
    "Labels": ["Group Membership"],
}
SYSTEM_LABELS = ["mycontacts", "my contacts", "starred"]  # "* My Contacts" before 2018
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _multi(expr: pl.Expr) -> pl.Expr:
    return (
        expr.fill_null("")
        .str.split(":::")
        .list.eval(pl.element().str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
    )


def _check_last_row(text: str, header_line: int, delimiter: str, path: Path) -> None:
    """Google writes every column on every row: a short last row means a cut-off file."""
    body = text.split("\n", header_line - 1)[-1] if header_line > 1 else text
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    width, last, start, line_start = None, None, 1, 1
    for record in reader:
        if width is None:
            width = len(record)
        elif any(f.strip() for f in record):
            last, line_start = record, start
        start = reader.line_num + 1
    if width and last is not None and len(last) < width:
        raise InputError(
            path,
            f"the last row has {len(last)} of {width} columns: the file looks truncated",
            line=header_line + line_start - 1,
        )


def read_google_contacts(path: Path) -> ImportBatch:
    path = Path(path)
    read_as: list[str] = []
    text, raw = read_text(path, report=read_as)
    table = read_table(
        text,
        path,
        REQUIRED,
        SINGLE + EMAILS + PHONES + WEBSITES,
        aliases=ALIASES,
        what="Google Contacts CSV",
    )
    frame = table.frame
    _check_last_row(text, table.header_line, table.delimiter, path)
    if frame.height == 0:
        raise InputError(path, "no contacts below the header (is the file truncated?)", line=2)
    people = _people(frame)
    nameless = people["display_name"].is_null().arg_true().to_list()
    why = "a contact has no name, e-mail or organisation"
    if nameless and len(nameless) * 2 > people.height:
        first = table.line_of_row(int(nameless[0]))
        raise InputError(
            path,
            f"{len(nameless):,} of {people.height:,} rows name nobody; the first: {why}"
            if people.height > 1
            else why,
            line=first,
        )
    notes, details = list(read_as), {"contacts_rows": people.height}
    if nameless:
        lines = [table.line_of_row(int(r)) for r in nameless[:SHOW_SKIPPED]]
        details["rows_skipped"] = {"count": len(nameless), "why": why, "first_lines": lines}
        more = f" and {len(nameless) - len(lines):,} more" if len(nameless) > len(lines) else ""
        notes.append(
            f"{len(nameless):,} row{'s' if len(nameless) > 1 else ''} with no name, e-mail or "
            f"organisation skipped (line{'s' if len(lines) > 1 else ''} "
            f"{', '.join(f'{n:,}' for n in lines)}{more})"
        )
        people = people.filter(pl.col("display_name").is_not_null())
    return ImportBatch(
        source_kind="google_contacts",
        label=path.name,
        sha256=sha256_bytes(raw),
        people=people,
        interactions=pl.DataFrame(),
        rows_read=people.height + len(nameless),
        rows_skipped=table.dropped_empty + len(nameless),
        details=details,
        notes=notes,
    )


def _people(frame: pl.DataFrame) -> pl.DataFrame:
    """One person row per contact row (``ref`` = its row number): names, addresses, the
    LinkedIn profile among the websites, the owner's labels as tags."""
    emails = (
        pl.concat_list([_multi(pl.col(c)) for c in EMAILS])
        .list.eval(
            pl.element().str.to_lowercase().filter(pl.element().str.contains(_EMAIL.pattern))
        )
        .list.unique(maintain_order=True)
    )
    phones = pl.concat_list([_multi(pl.col(c)) for c in PHONES])
    sites = pl.concat_list([_multi(pl.col(c)) for c in WEBSITES])
    linkedin = sites.list.eval(
        pl.element().filter(pl.element().str.to_lowercase().str.contains("linkedin.com/"))
    ).list.first()
    labels = (
        _multi(pl.col("Labels"))
        .list.eval(pl.element().str.strip_prefix("* "))
        .list.eval(pl.element().filter(~pl.element().str.to_lowercase().is_in(SYSTEM_LABELS)))
    )
    first = pl.concat_str(
        [pl.col("First Name"), pl.col("Middle Name")], separator=" ", ignore_nulls=True
    )
    # Google's own "Name" column is the name as the owner wrote it (王二狗, not 王 二狗);
    # rebuilt from its parts only when the column is absent or empty
    rebuilt = pl.concat_str(
        [pl.col("First Name"), pl.col("Middle Name"), pl.col("Last Name")],
        separator=" ",
        ignore_nulls=True,
    )
    display = pl.coalesce(pl.col("Name"), pl.when(rebuilt != "").then(rebuilt))
    people = frame.with_row_index("_row").select(
        pl.format("row{}", "_row").alias("ref"),
        display.alias("display_name"),
        pl.when(first != "").then(first).alias("first_name"),
        pl.col("Last Name").alias("last_name"),
        pl.col("Organization Name").alias("company"),
        pl.col("Organization Title").alias("position"),
        emails.alias("emails"),
        linkedin.alias("linkedin_url"),
        phones.list.first().alias("phone"),
        pl.col("Birthday")
        .str.replace(r"^--", "1904-")
        .str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        .alias("birthday"),
        pl.col("Notes").alias("notes"),
        labels.alias("tags"),
        pl.col("Nickname"),
        pl.col("Organization Name").alias("_org"),
    )
    # a row named by nothing but an e-mail, nickname or company still names a person
    return people.with_columns(
        pl.coalesce("display_name", "Nickname", pl.col("emails").list.first(), "_org").alias(
            "display_name"
        )
    ).drop("Nickname", "_org")
