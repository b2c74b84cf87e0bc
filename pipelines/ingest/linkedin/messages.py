"""LinkedIn messages: ``messages.csv`` (2021 on, or the 2018 ``Messages.csv`` layout) ->
messages with their recipients, the owner as the messages tell them, and message
interactions with group-conversation sizes.

Part of :mod:`pipelines.ingest.linkedin.export`, which runs these steps and documents the
decisions they follow (who is the owner, which messages count, how ``TO`` fields split).
"""

from __future__ import annotations

import hashlib
import re

import polars as pl

from pipelines.ingest.linkedin.files import (
    LINKEDIN_DATES,
    OWNER_REF,
    Export,
    head_text,
    iso,
    keys_of,
    load_table,
    name_key,
    url_key,
)
from pipelines.ingest.linkedin.parts import Parts
from pipelines.ingest.text import parse_dates

MESSAGES_REQUIRED = ("CONVERSATION ID", "FROM", "TO", "DATE", "CONTENT")
MESSAGES_OPTIONAL = (
    "CONVERSATION TITLE",
    "SENDER PROFILE URL",
    "RECIPIENT PROFILE URLS",
    "SUBJECT",
    "FOLDER",
    "IS MESSAGE DRAFT",
    "IS CONVERSATION DRAFT",
)
MESSAGES_2018_REQUIRED = ("From", "To", "Date", "Content", "Direction")
MESSAGES_2018_OPTIONAL = ("Subject", "Folder")
_TRUE = ("true", "yes", "1")
_CREDENTIAL = re.compile(r"^[A-Z][A-Za-z.\-]{0,11}$|^[A-Z.\- ]{2,12}$")


def _split_names(raw: str, keys: dict[str, str | None], known: set[str]) -> list[str]:
    pieces = [p.strip() for p in raw.split(",") if p.strip()]
    names: list[str] = []
    for piece in pieces:
        credential = len(piece.split()) == 1 or bool(_CREDENTIAL.match(piece))
        if names and keys.get(piece) not in known and credential:
            names[-1] = f"{names[-1]}, {piece}"
        else:
            names.append(piece)
    return names


def _recipients(pairs: pl.DataFrame, known: set[str]) -> pl.DataFrame:
    """For each distinct (to, to_urls): the list of recipients as (name, url) structs."""
    raws = pairs["to"].to_list()
    url_raws = pairs["to_urls"].to_list()
    pieces = sorted({p.strip() for r in raws if r for p in r.split(",") if p.strip()})
    keys = keys_of(pieces)
    names_out, urls_out = [], []
    for raw, url_raw in zip(raws, url_raws, strict=True):
        names = _split_names(raw, keys, known) if raw else []
        urls = [u.strip() for u in url_raw.split(",") if u.strip()] if url_raw else []
        if urls:
            if len(urls) == 1 and len(names) > 1:
                names = [raw.strip()]
            if not names:
                names = [None] * len(urls)
            elif len(urls) != len(names):
                urls = [None] * len(names)
        else:
            urls = [None] * len(names)
        names_out.append(names)
        urls_out.append(urls)
    recips = pl.DataFrame(
        {"n": names_out, "u": urls_out},
        schema={"n": pl.List(pl.String), "u": pl.List(pl.String)},
    )
    return pairs.select("to", "to_urls").with_columns(
        recips.select(
            pl.struct(
                pl.col("n").alias("name"),
                pl.col("u").alias("url"),
            ).alias("recips")
        )["recips"]
    )


def _dated(t, column: str) -> pl.DataFrame:
    """The table with its date column parsed (unreadable rows left out, see parse_dates)."""
    return parse_dates(t, [column], required=[column], preferred=LINKEDIN_DATES)


def read_messages(export: Export, parts: Parts) -> None:
    raw = export.read_bytes("messages.csv")
    head = head_text(raw).casefold()
    if "conversation id" in head or "from,to,date" not in head.replace("\t", ","):
        t = load_table(
            export,
            "messages.csv",
            MESSAGES_REQUIRED,
            MESSAGES_OPTIONAL,
            what="LinkedIn messages",
            raw=raw,
        )
        f = _dated(t, "DATE").select(
            pl.col("CONVERSATION ID").alias("conv"),
            pl.col("FROM").alias("from"),
            pl.col("SENDER PROFILE URL").alias("from_url"),
            pl.col("TO").alias("to"),
            pl.col("RECIPIENT PROFILE URLS").alias("to_urls"),
            pl.col("DATE").alias("date"),
            pl.col("SUBJECT").alias("subject"),
            pl.col("CONTENT").alias("content"),
            pl.col("FOLDER").str.to_uppercase().alias("folder"),
            (
                pl.col("IS MESSAGE DRAFT").str.to_lowercase().is_in(_TRUE)
                | pl.col("IS CONVERSATION DRAFT").str.to_lowercase().is_in(_TRUE)
            )
            .fill_null(False)
            .alias("draft"),
            pl.lit(None, dtype=pl.Boolean).alias("out_hint"),
        )
    else:
        parts.messages_2018 = True
        t = load_table(
            export,
            "messages.csv",
            MESSAGES_2018_REQUIRED,
            MESSAGES_2018_OPTIONAL,
            what="LinkedIn Messages (2018 layout)",
            raw=raw,
        )
        direction = pl.col("Direction").str.to_uppercase()
        f = _dated(t, "Date").select(
            pl.lit(None, dtype=pl.String).alias("conv"),
            pl.col("From").alias("from"),
            pl.lit(None, dtype=pl.String).alias("from_url"),
            pl.col("To").alias("to"),
            pl.lit(None, dtype=pl.String).alias("to_urls"),
            pl.col("Date").alias("date"),
            pl.col("Subject").alias("subject"),
            pl.col("Content").alias("content"),
            pl.col("Folder").str.to_uppercase().alias("folder"),
            pl.lit(False).alias("draft"),
            pl.when(direction == "OUTGOING")
            .then(True)
            .when(direction == "INCOMING")
            .then(False)
            .alias("out_hint"),
        )
    del raw
    t.forget_source()  # no error can need the file's lines past here: free its bytes
    f = f.rename({"date": "ts"}).with_row_index("row")
    spam = f["folder"].eq("SPAM").fill_null(False)
    drafts = f["draft"]
    if (spam | drafts).any():
        f = f.filter(~spam & ~drafts)
    parts.count(
        "messages.csv",
        t.frame.height,
        int(spam.sum()) + int((drafts & ~spam).sum()),
        spam=int(spam.sum()),
        drafts=int((drafts & ~spam).sum()),
    )
    parts.saw(f["ts"])
    # the text columns travel apart and are gathered once at the end (joins copy columns)
    parts.message_text = f.select("row", "subject", "content")
    parts.messages = f.drop("subject", "content", "folder", "draft")


def attach_recipients(parts: Parts) -> None:
    f = parts.messages
    senders = f.select(pl.col("from").unique())
    known = set(senders.select(name_key(pl.col("from"))).to_series().drop_nulls().to_list())
    if parts.connections is not None:
        known |= set(parts.connections["nk"].drop_nulls().to_list())
    pairs = f.select("to", "to_urls").unique(maintain_order=True)
    recips = _recipients(pairs, known)
    parts.messages = f.join(recips, on=["to", "to_urls"], how="left", nulls_equal=True).drop(
        "to", "to_urls"
    )


def explode_recipients(f: pl.DataFrame, keep: list[str]) -> pl.DataFrame:
    return (
        f.select(*keep, pl.col("recips"))
        .with_columns(
            pl.col("recips").struct.field("name").alias("r_name"),
            pl.col("recips").struct.field("url").alias("r_url"),
        )
        .drop("recips")
        .explode(["r_name", "r_url"])
        .filter(pl.col("r_name").is_not_null() | pl.col("r_url").is_not_null())
    )


def owner_from_messages(parts: Parts) -> tuple[str | None, str | None]:
    """(owner's display name, owner's profile URL) as the messages tell them."""
    f = parts.messages
    if f is None or f.height == 0:
        return parts.owner_name, None
    senders = f.select(
        pl.col("from").alias("name"), pl.col("from_url").alias("url"), "out_hint", "conv", "row"
    )
    name = parts.owner_name
    if name is None and parts.messages_2018:
        top = (
            senders.filter(pl.col("out_hint").fill_null(False) & pl.col("name").is_not_null())
            .group_by("name")
            .len()
            .sort(["len", "name"], descending=[True, False])
        )
        if top.height:
            name = top["name"][0]
    if name is None:
        conv = pl.coalesce(pl.col("conv"), pl.format("row:{}", "row")).alias("c")
        recips = explode_recipients(f.with_columns(conv), ["c"]).select(
            "c", pl.col("r_name").alias("name")
        )
        every = pl.concat([senders.select(conv, "name"), recips]).with_columns(
            name_key(pl.col("name")).alias("k")
        )
        counts = (
            every.drop_nulls("k")
            .group_by("k")
            .agg(
                pl.col("c").n_unique().alias("n"),
                pl.col("name").mode().sort().first().alias("name"),
            )
            .sort(["n", "k"], descending=[True, False])
        )
        if counts.height:
            name = counts["name"][0]
    if name is None:
        return None, None
    own_key = pl.select(name_key(pl.lit(name))).item()
    urls = (
        senders.filter(pl.col("url").is_not_null())
        .group_by("name", "url")
        .len()
        .filter(name_key(pl.col("name")) == own_key)
        .select(url_key(pl.col("url")).alias("u"), "len")
        .drop_nulls()
        .group_by("u")
        .agg(pl.col("len").sum())
        .sort(["len", "u"], descending=[True, False])
    )
    return name, (urls["u"][0] if urls.height else None)


def content_md5(content: pl.Series) -> pl.Series:
    """md5 hex of the UTF-8 of each content (null -> md5 of ''): the digests DuckDB's
    ``md5(coalesce(c, ''))`` gives, which the stored interaction uids were made of."""
    md5 = hashlib.md5
    utf8 = content.fill_null("").cast(pl.Binary).to_list()
    return pl.Series([md5(b).hexdigest() for b in utf8], dtype=pl.String)


def message_interactions(parts: Parts, res: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """(interactions, messages that gave none: to or from nobody but the owner)."""
    f = parts.messages
    text = parts.message_text
    text = text.with_columns(content_md5(text["content"]).alias("h"))
    parts.messages = parts.message_text = None
    senders = res.select(
        pl.col("name").alias("from"),
        pl.col("url").alias("from_url"),
        pl.col("ref").alias("s_ref"),
        pl.col("nk").fill_null("").alias("s_key"),
    )
    f = f.join(senders, on=["from", "from_url"], how="left", nulls_equal=True)
    f = f.with_columns(
        pl.coalesce(pl.col("out_hint"), (pl.col("s_ref") == OWNER_REF))
        .fill_null(False)
        .alias("is_out"),
        pl.coalesce(pl.col("conv"), pl.format("row:{}", "row")).alias("c"),
    )
    recips = res.select(
        pl.col("name").alias("r_name"),
        pl.col("url").alias("r_url"),
        pl.col("ref").alias("r_ref"),
        pl.col("nk").fill_null("").alias("r_key"),
    )
    rx = explode_recipients(f, ["row", "c"]).join(
        recips, on=["r_name", "r_url"], how="left", nulls_equal=True
    )
    f = f.join(_conversation_sizes(f, rx), on="c", how="left")
    keep = ["row", "conv", "ts", "s_key", "n"]
    out = (
        rx.filter(pl.col("r_ref").is_not_null() & (pl.col("r_ref") != OWNER_REF))
        .select("row", "r_ref", "r_key")
        .join(f.filter(pl.col("is_out")).select(keep), on="row", how="inner")
        .select(
            "row",
            pl.col("r_ref").alias("ref"),
            pl.lit("out").alias("direction"),
            *keep[1:],
            pl.col("r_key").alias("other_key"),
        )
    )
    inc = f.filter(
        ~pl.col("is_out") & pl.col("s_ref").is_not_null() & (pl.col("s_ref") != OWNER_REF)
    ).select(
        "row",
        pl.col("s_ref").alias("ref"),
        pl.lit("in").alias("direction"),
        *keep[1:],
        pl.lit("me").alias("other_key"),
    )
    both = pl.concat([out, inc]).join(text, on="row", how="left")
    used = both["row"].n_unique() if both.height else 0
    return _message_rows(both), f.height - used


def _conversation_sizes(f: pl.DataFrame, rx: pl.DataFrame) -> pl.DataFrame:
    """``c, n``: the distinct people of each conversation, the owner included."""
    every = pl.concat(
        [
            f.select("c", pl.col("s_ref").alias("p")),
            rx.select("c", pl.col("r_ref").alias("p")),
            f.select("c", pl.lit(OWNER_REF).alias("p")),
        ]
    )
    return every.drop_nulls("p").group_by("c").agg(pl.col("p").n_unique().cast(pl.Int32).alias("n"))


def _message_rows(both: pl.DataFrame) -> pl.DataFrame:
    """The interaction rows of the messages, keyed by the event itself (see ``uid_key``)."""
    return both.select(
        "ref",
        pl.format(
            "li:msg:{}:{}:{}:{}:{}",
            pl.col("conv").fill_null(""),
            iso("ts"),
            "s_key",
            "other_key",
            "h",
        ).alias("uid_key"),
        "ts",
        pl.lit("message").alias("channel"),
        "direction",
        pl.lit(False).alias("is_give"),
        pl.col("conv").alias("thread"),
        pl.max_horizontal(pl.col("n"), pl.lit(2)).cast(pl.Int32).alias("n_participants"),
        "subject",
        pl.col("content").alias("body"),
    )
