"""LinkedIn data export (zip or unpacked folder, 2018 to 2024 layouts) -> :class:`ImportBatch`.

Files read (names matched case-insensitively, in any subfolder; each one optional, but at
least one must be there): ``Connections.csv``, ``messages.csv`` (2021 on) or
``Messages.csv`` (2018), ``Invitations.csv``, ``Endorsement_Received_Info.csv``,
``Endorsement_Given_Info.csv``, ``Recommendations_Received.csv``,
``Recommendations_Given.csv``, ``Profile.csv`` and ``Positions.csv`` (the owner's own).

Decisions (a reader of the data should know them):

- **Owner.** ``Profile.csv``'s name; else the most frequent ``From`` of 2018 OUTGOING
  messages; else the participant found in the most conversations (the owner is in all of
  them). The owner's profile URL is the ``SENDER PROFILE URL`` they send with most often.
- **Messages.** A message the owner sent is one ``out`` interaction per recipient other
  than the owner; a message someone else sent is one ``in`` interaction with the sender
  only (other recipients of a group message did not talk to the owner). Group membership
  is kept in ``thread`` (the conversation id) and ``n_participants`` (distinct people in
  the whole conversation, owner included; per message for 2018 files, which have no
  conversation id and so no thread). SPAM-folder messages and drafts are skipped and
  counted in ``rows_skipped``.
- **Who is who.** A message, invitation, endorsement or recommendation names a person by
  profile URL and/or name. It is matched to a connection by profile URL first, then by
  normalised full name (accents, case, punctuation and anything after a comma, as in
  "Jane Doe, MBA", ignored); anyone else becomes a person row of their own, one per URL
  (or per normalised name when no URL is known). ``TO`` fields list several recipients
  comma-joined; a piece after a comma that is a single word and not a known name (MBA,
  PhD) stays with the name before it.
- **Gives.** Endorsements and recommendations are gives: received ones ``in``, given ones
  ``out``; ``detail`` is the endorsed skill, ``body`` the recommendation text.
- **uid_key** is built from the event itself (conversation id, timestamp, normalised
  sender and recipient names, md5 of the content; for the other channels date, names and
  skill), never from row numbers, so the same event in an older and a newer export is
  the same key and the store keeps it once.
- **as_of** is the latest timestamp found in the export's rows (messages, connections,
  invitations, endorsements, recommendations): LinkedIn does not write the export date
  into the files, and a new company or position seen in this export is dated there.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipelines.dates import EARLIEST_DAY
from pipelines.errors import InputError
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.linkedin.files import (
    KNOWN_FILES,
    LINKEDIN_DATES,
    OWNER_REF,
    Export,
    iso,
    load_table,
    name_key,
    open_export,
    url_key,
)
from pipelines.ingest.linkedin.messages import (
    attach_recipients,
    explode_recipients,
    message_interactions,
    owner_from_messages,
    read_messages,
)
from pipelines.ingest.linkedin.parts import Parts
from pipelines.ingest.owners import PERSONAL_OWNER
from pipelines.ingest.placeholders import placeholder_name_expr
from pipelines.ingest.text import parse_dates

CONNECTIONS_REQUIRED = ("First Name", "Last Name", "Company", "Position", "Connected On")
CONNECTIONS_OPTIONAL = ("URL", "Email Address")
INVITATIONS_REQUIRED = ("From", "To", "Sent At", "Direction")
INVITATIONS_OPTIONAL = ("Message", "inviterProfileUrl", "inviteeProfileUrl")
ENDORSE_ROLE = {
    "endorsement_received_info.csv": "Endorser",
    "endorsement_given_info.csv": "Endorsee",
}
RECOMMEND_REQUIRED = ("Last Name", "Text", "Creation Date")
RECOMMEND_OPTIONAL = ("First Name", "Company", "Job Title", "Status")
RECOMMEND_ALIASES = {"Creation Date": ["Creation Date.1", "Created On", "Date"]}
PROFILE_REQUIRED = ("First Name", "Last Name")
PROFILE_OPTIONAL = ("Headline", "Industry")
POSITIONS_REQUIRED = ("Company Name", "Title")
POSITIONS_OPTIONAL = ("Location", "Started On", "Finished On")

DISPLAY_NAMES = {
    "connections.csv": "Connections.csv",
    "messages.csv": "messages.csv",
    "invitations.csv": "Invitations.csv",
    "endorsement_received_info.csv": "Endorsement_Received_Info.csv",
    "endorsement_given_info.csv": "Endorsement_Given_Info.csv",
    "recommendations_received.csv": "Recommendations_Received.csv",
    "recommendations_given.csv": "Recommendations_Given.csv",
    "profile.csv": "Profile.csv",
    "positions.csv": "Positions.csv",
}


def _full_name(first: str, last: str) -> pl.Expr:
    return (
        pl.concat_str([pl.col(first), pl.col(last)], separator=" ", ignore_nulls=True)
        .str.strip_chars()
        .replace("", None)
    )


def _read_connections(export: Export, parts: Parts) -> None:
    t = load_table(
        export,
        "connections.csv",
        CONNECTIONS_REQUIRED,
        CONNECTIONS_OPTIONAL,
        what="LinkedIn Connections",
    )
    f = parse_dates(t, ["Connected On"], preferred=LINKEDIN_DATES)
    f = f.with_row_index("row")
    nameless = (
        pl.col("First Name").is_null() & pl.col("Last Name").is_null() & pl.col("URL").is_null()
    )
    kept = f.filter(~nameless)
    parts.count("Connections.csv", f.height, f.height - kept.height)
    parts.saw(kept["Connected On"])
    parts.connections = kept.select(
        pl.format("conn:{}", "row").alias("ref"),
        pl.col("First Name").alias("first_name"),
        pl.col("Last Name").alias("last_name"),
        _full_name("First Name", "Last Name").alias("display_name"),
        pl.col("Company").alias("company"),
        pl.col("Position").alias("position"),
        pl.when(pl.col("Email Address").is_not_null())
        .then(pl.col("Email Address").str.split(",").list.eval(pl.element().str.strip_chars()))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
        .alias("emails"),
        url_key(pl.col("URL")).alias("linkedin_url"),
        pl.col("Connected On").alias("connected_on"),
        # each row of Connections.csv is a different person, whatever the names
        pl.lit("linkedin:connections").alias("distinct_group"),
    ).with_columns(name_key(pl.col("display_name")).alias("nk"))


def _other_frame(
    f: pl.DataFrame,
    *,
    name: pl.Expr,
    url: pl.Expr,
    ts: str,
    channel: str,
    direction: pl.Expr,
    uid: pl.Expr,
    first: pl.Expr | None = None,
    last: pl.Expr | None = None,
    company: pl.Expr | None = None,
    position: pl.Expr | None = None,
    body: pl.Expr | None = None,
    detail: pl.Expr | None = None,
) -> pl.DataFrame:
    none = pl.lit(None, dtype=pl.String)
    return f.select(
        name.alias("name"),
        url.alias("url"),
        (first if first is not None else none).alias("first"),
        (last if last is not None else none).alias("last"),
        (company if company is not None else none).alias("company"),
        (position if position is not None else none).alias("position"),
        pl.col(ts).alias("ts"),
        pl.lit(channel).alias("channel"),
        direction.alias("direction"),
        pl.lit(channel in ("endorsement", "recommendation")).alias("is_give"),
        (body if body is not None else none).alias("body"),
        (detail if detail is not None else none).alias("detail"),
        uid.alias("uid_key"),
    )


def _read_invitations(export: Export, parts: Parts) -> None:
    t = load_table(
        export,
        "invitations.csv",
        INVITATIONS_REQUIRED,
        INVITATIONS_OPTIONAL,
        what="LinkedIn Invitations",
    )
    f = parse_dates(t, ["Sent At"], required=["Sent At"], preferred=LINKEDIN_DATES)
    d = pl.col("Direction").str.to_uppercase()
    known = f.filter(d.is_in(["OUTGOING", "INCOMING"]))
    parts.count("Invitations.csv", f.height, f.height - known.height)
    parts.saw(known["Sent At"])
    out = pl.col("Direction").str.to_uppercase() == "OUTGOING"
    uid = pl.format(
        "li:inv:{}:{}:{}",
        iso("Sent At"),
        name_key(pl.col("From")).fill_null(""),
        name_key(pl.col("To")).fill_null(""),
    )
    parts.others.append(
        _other_frame(
            known,
            name=pl.when(out).then(pl.col("To")).otherwise(pl.col("From")),
            url=pl.when(out)
            .then(pl.col("inviteeProfileUrl"))
            .otherwise(pl.col("inviterProfileUrl")),
            ts="Sent At",
            channel="invitation",
            direction=pl.when(out).then(pl.lit("out")).otherwise(pl.lit("in")),
            uid=uid,
            body=pl.col("Message"),
        )
    )


def _read_endorsements(export: Export, parts: Parts, file: str) -> None:
    role = ENDORSE_ROLE[file]
    first, last, url = f"{role} First Name", f"{role} Last Name", f"{role} Public Url"
    t = load_table(
        export,
        file,
        ("Endorsement Date", "Skill Name", first, last),
        (url, "Endorsement Status"),
        what=f"LinkedIn {file}",
    )
    f = parse_dates(
        t, ["Endorsement Date"], required=["Endorsement Date"], preferred=LINKEDIN_DATES
    )
    parts.count(DISPLAY_NAMES[file], f.height)
    parts.saw(f["Endorsement Date"])
    direction = "in" if role == "Endorser" else "out"
    full = _full_name(first, last)
    parts.others.append(
        _other_frame(
            f,
            name=full,
            url=pl.col(url),
            first=pl.col(first),
            last=pl.col(last),
            ts="Endorsement Date",
            channel="endorsement",
            direction=pl.lit(direction),
            uid=pl.format(
                "li:endorse:{}:{}:{}:{}",
                pl.lit(direction),
                iso("Endorsement Date"),
                name_key(full).fill_null(""),
                pl.col("Skill Name").str.to_lowercase().fill_null(""),
            ),
            detail=pl.col("Skill Name"),
        )
    )


def _read_recommendations(export: Export, parts: Parts, file: str) -> None:
    t = load_table(
        export,
        file,
        RECOMMEND_REQUIRED,
        RECOMMEND_OPTIONAL,
        RECOMMEND_ALIASES,
        what=f"LinkedIn {file}",
    )
    f = parse_dates(t, ["Creation Date"], required=["Creation Date"], preferred=LINKEDIN_DATES)
    parts.count(DISPLAY_NAMES[file], f.height)
    parts.saw(f["Creation Date"])
    direction = "in" if file == "recommendations_received.csv" else "out"
    full = _full_name("First Name", "Last Name")
    parts.others.append(
        _other_frame(
            f,
            name=full,
            url=pl.lit(None, dtype=pl.String),
            first=pl.col("First Name"),
            last=pl.col("Last Name"),
            company=pl.col("Company"),
            position=pl.col("Job Title"),
            ts="Creation Date",
            channel="recommendation",
            direction=pl.lit(direction),
            uid=pl.format(
                "li:rec:{}:{}:{}",
                pl.lit(direction),
                iso("Creation Date"),
                name_key(full).fill_null(""),
            ),
            body=pl.col("Text"),
        )
    )


def _read_profile(export: Export, parts: Parts) -> None:
    t = load_table(
        export, "profile.csv", PROFILE_REQUIRED, PROFILE_OPTIONAL, what="LinkedIn Profile"
    )
    parts.count("Profile.csv", t.frame.height)
    names = t.frame.select(_full_name("First Name", "Last Name").alias("n")).drop_nulls()
    if names.height:
        parts.owner_name = names["n"][0]


def _read_positions(export: Export, parts: Parts) -> None:
    t = load_table(
        export, "positions.csv", POSITIONS_REQUIRED, POSITIONS_OPTIONAL, what="LinkedIn Positions"
    )
    f = parse_dates(
        t, ["Started On", "Finished On"], preferred=["%b %Y", "%Y"], earliest=EARLIEST_DAY
    )
    parts.count("Positions.csv", f.height)
    parts.owner_positions = f.select(
        pl.col("Company Name").alias("company"),
        pl.col("Title").alias("title"),
        pl.col("Location").alias("location"),
        pl.col("Started On").cast(pl.Date).alias("started_on"),
        pl.col("Finished On").cast(pl.Date).alias("finished_on"),
    )


# -- people --------------------------------------------------------------------------------


def _match_connections(m: pl.DataFrame, connections: pl.DataFrame | None) -> pl.DataFrame:
    """Mentions plus ``ref_u``, the connection their URL names, and ``ref_n``, the one
    their name names (each null when none does)."""
    if connections is None or not connections.height:
        return m.with_columns(
            pl.lit(None, dtype=pl.String).alias("ref_u"),
            pl.lit(None, dtype=pl.String).alias("ref_n"),
        )
    conn_url = (
        connections.filter(pl.col("linkedin_url").is_not_null())
        .unique("linkedin_url", keep="first", maintain_order=True)
        .select(pl.col("linkedin_url").alias("uk"), pl.col("ref").alias("ref_u"))
    )
    # a name names a connection only when one connection has it (namesakes are
    # different people), and a mention that has a URL only a connection without one
    conn_name = (
        connections.filter(pl.col("nk").is_not_null())
        .group_by("nk")
        .agg(
            pl.col("ref").first().alias("ref_n"),
            pl.len().alias("n_named"),
            pl.col("linkedin_url").is_null().first().alias("conn_no_url"),
        )
        .filter(pl.col("n_named") == 1)
        .drop("n_named")
    )
    # a mention with a last name only (a mangled Recommendations header): last name + company
    last_company = [
        name_key(pl.col("last_name")).alias("lk"),
        pl.col("company").str.to_lowercase().alias("ck"),
    ]
    conn_lc = (
        connections.select("ref", *last_company)
        .drop_nulls(["lk", "ck"])
        .filter(pl.len().over(["lk", "ck"]) == 1)
    )
    return (
        m.join(conn_url, on="uk", how="left")
        .join(conn_name, on="nk", how="left")
        .with_columns(
            pl.when(pl.col("first").is_null()).then(name_key(pl.col("last"))).alias("lk"),
            pl.col("company").str.to_lowercase().alias("ck"),
        )
        .join(conn_lc.rename({"ref": "ref_lc"}), on=["lk", "ck"], how="left")
        .with_columns(
            pl.when(pl.col("uk").is_null() | pl.col("conn_no_url").fill_null(False))
            .then(pl.coalesce("ref_n", "ref_lc"))
            .alias("ref_n")
        )
        .drop("lk", "ck", "ref_lc", "conn_no_url")
    )


def _resolve(
    mentions: pl.DataFrame,
    connections: pl.DataFrame | None,
    owner_key: str | None,
    owner_url: str | None,
) -> pl.DataFrame:
    """Distinct (name, url) mentions -> ``ref`` (a connection's, a new person's, or
    OWNER_REF), plus the columns a new person row needs."""
    m = mentions.with_columns(
        name_key(pl.col("name")).alias("nk"), url_key(pl.col("url")).alias("uk")
    )
    by_url = pl.col("uk").is_not_null() & pl.lit(owner_url is not None)
    is_owner = (
        pl.when(by_url)
        .then(pl.col("uk") == pl.lit(owner_url, dtype=pl.String))
        .otherwise(pl.col("nk") == pl.lit(owner_key, dtype=pl.String))
        .fill_null(False)
    )
    m = _match_connections(m.with_columns(is_owner.alias("is_owner")), connections)
    strangers = pl.col("ref_u").is_null() & pl.col("ref_n").is_null() & ~pl.col("is_owner")
    # a mention without a URL is the stranger of that name only when one URL has it
    url_of_name = (
        m.filter(strangers & pl.col("uk").is_not_null() & pl.col("nk").is_not_null())
        .group_by("nk")
        .agg(pl.col("uk").unique().alias("uks"))
        .filter(pl.col("uks").list.len() == 1)
        .select("nk", pl.col("uks").list.first().alias("uk_n"))
    )
    m = m.join(url_of_name, on="nk", how="left")
    # "LinkedIn Member" (a deleted or hidden account) without a URL names nobody
    nobody = placeholder_name_expr(pl.col("name")) & pl.col("uk").is_null()
    ref = (
        pl.when(nobody)
        .then(pl.lit(None, dtype=pl.String))
        .when(pl.col("is_owner"))
        .then(pl.lit(OWNER_REF))
        .when(pl.col("ref_u").is_not_null())
        .then(pl.col("ref_u"))
        .when(pl.col("ref_n").is_not_null())
        .then(pl.col("ref_n"))
        .when(pl.col("uk").is_not_null())
        .then(pl.lit("li:") + pl.col("uk"))
        .when(pl.col("uk_n").is_not_null())
        .then(pl.lit("li:") + pl.col("uk_n"))
        .when(pl.col("nk").is_not_null())
        .then(pl.lit("name:") + pl.col("nk"))
    )
    return m.with_columns(ref.alias("ref"))


def _new_people(resolved: pl.DataFrame) -> pl.DataFrame:
    new = resolved.filter(
        pl.col("ref").str.starts_with("li:") | pl.col("ref").str.starts_with("name:")
    )
    name = pl.col("name").str.strip_chars()
    return (
        new.sort(["ref", "name", "url"], nulls_last=True)
        .group_by("ref", maintain_order=True)
        .agg(
            name.drop_nulls().first().alias("display_name"),
            pl.col("first").drop_nulls().first().alias("first"),
            pl.col("last").drop_nulls().first().alias("last"),
            pl.col("company").drop_nulls().first().alias("company"),
            pl.col("position").drop_nulls().first().alias("position"),
            pl.col("uk").drop_nulls().first().alias("linkedin_url"),
        )
        .select(
            "ref",
            pl.coalesce(
                "display_name", pl.col("linkedin_url").str.extract(r"/in/([^/]+)$", 1)
            ).alias("display_name"),
            pl.when(pl.col("last").is_not_null())
            .then(pl.col("first"))
            .otherwise(pl.col("display_name").str.split(" ").list.first())
            .alias("first_name"),
            pl.coalesce(
                "last",
                pl.col("display_name").str.split_exact(" ", 1).struct.field("field_1"),
            ).alias("last_name"),
            "company",
            "position",
            "linkedin_url",
        )
    )


def _placeholder_messages(messages: pl.DataFrame) -> int:
    """Messages sent by or to a placeholder member (no profile URL)."""
    sender = placeholder_name_expr(pl.col("from")) & pl.col("from_url").is_null()
    recips = explode_recipients(messages, ["row"]).filter(
        placeholder_name_expr(pl.col("r_name")) & pl.col("r_url").is_null()
    )
    return messages.filter(sender | pl.col("row").is_in(recips["row"].implode())).height


def _mentions(parts: Parts) -> pl.DataFrame:
    cols = ["name", "url", "first", "last", "company", "position"]
    frames = [o.select(cols) for o in parts.others]
    if parts.messages is not None:
        f = parts.messages
        none = pl.lit(None, dtype=pl.String)
        extra = [none.alias(c) for c in cols[2:]]
        frames.append(
            f.select(pl.col("from").alias("name"), pl.col("from_url").alias("url"), *extra)
        )
        rx = explode_recipients(f, []).select(
            pl.col("r_name").alias("name"), pl.col("r_url").alias("url"), *extra
        )
        frames.append(rx)
    if not frames:
        return pl.DataFrame(schema={c: pl.String for c in cols})
    return pl.concat(frames).unique(["name", "url"], keep="first", maintain_order=True)


def import_linkedin(path: Path | str) -> ImportBatch:
    """Read a LinkedIn data export (zip or folder) into an :class:`ImportBatch`."""
    path = Path(path)
    export = open_export(path)
    parts = Parts()
    try:
        _read_files(path, export, parts)
    finally:
        export.close()
    _note_what_was_not_read(export, parts)

    owner_name, owner_url = owner_from_messages(parts)
    owner_key = (
        pl.select(name_key(pl.lit(owner_name, dtype=pl.String))).item() if owner_name else None
    )
    res = _resolve(_mentions(parts), parts.connections, owner_key, owner_url)
    interactions = _interactions(parts, res)  # counts what it skips: before the counts are read
    aliases: list[tuple[str, str]] = []
    if owner_key:
        aliases.append(("name", owner_key))
    if owner_url:
        aliases.append(("linkedin", owner_url))
    return ImportBatch(
        source_kind="linkedin",
        label=path.name,
        sha256=export.sha256,
        people=_people(parts, res),
        interactions=interactions,
        owner_name=owner_name,
        owner_aliases=aliases,
        owner_positions=parts.owner_positions,
        as_of=max(parts.dates) if parts.dates else None,
        rows_read=parts.rows_read,
        rows_skipped=parts.rows_skipped,
        details=parts.details,
        notes=parts.notes,
    )


def _read_files(path: Path, export: Export, parts: Parts) -> None:
    """Each file the export has, read into ``parts`` (the owner's own files first)."""
    if not export.members:
        raise InputError(
            path,
            "no LinkedIn export files found; expected at least one of "
            + ", ".join(DISPLAY_NAMES[n] for n in KNOWN_FILES),
        )
    if export.has("profile.csv"):
        _read_profile(export, parts)
    if export.has("positions.csv"):
        _read_positions(export, parts)
    if export.has("connections.csv"):
        _read_connections(export, parts)
    if export.has("messages.csv"):
        read_messages(export, parts)
        attach_recipients(parts)
    if export.has("invitations.csv"):
        _read_invitations(export, parts)
    for file in ENDORSE_ROLE:
        if export.has(file):
            _read_endorsements(export, parts, file)
    for file in ("recommendations_received.csv", "recommendations_given.csv"):
        if export.has(file):
            _read_recommendations(export, parts, file)


def _note_what_was_not_read(export: Export, parts: Parts) -> None:
    """The tables' notes, links not followed and unreadable rows, into ``parts``."""
    for notes in export.tables_notes:
        parts.notes.extend(notes)
    if export.links:
        parts.details["links_not_followed"] = len(export.links)
        parts.notes.append(
            f"{len(export.links)} linked file{'s' if len(export.links) > 1 else ''} not read "
            f"(a link leads outside the export): {', '.join(Path(p).name for p in export.links[:3])}"
        )
    unreadable = {
        Path(label.rsplit(":", 1)[-1]).name: sum(n for _, n, _ in skipped)
        for label, skipped in export.tables_skipped
        if skipped
    }
    if unreadable:
        parts.details["unreadable_rows"] = unreadable
        parts.rows_skipped += sum(unreadable.values())


def _interactions(parts: Parts, res: pl.DataFrame) -> pl.DataFrame | None:
    """Messages, invitations and gives with the people resolved (``res``); rows without a
    counterpart are counted as skipped."""
    frames = []
    if parts.messages is not None:
        placeholder_messages = _placeholder_messages(parts.messages)
        messages, unmatched = message_interactions(parts, res)
        frames.append(messages)
        parts.rows_skipped += unmatched
        parts.details["messages.csv"]["without_counterpart"] = unmatched
        if placeholder_messages:
            parts.details["messages.csv"]["with_placeholder_member"] = placeholder_messages
            parts.notes.append(
                f"{placeholder_messages:,} messages with a 'LinkedIn Member' placeholder "
                "(a deleted or hidden account) left out"
            )
    for other in parts.others:
        joined = other.join(
            res.select("name", "url", "ref"), on=["name", "url"], how="left", nulls_equal=True
        )
        good = joined.filter(pl.col("ref").is_not_null() & (pl.col("ref") != OWNER_REF))
        parts.rows_skipped += joined.height - good.height
        frames.append(
            good.drop("name", "url", "first", "last", "company", "position").with_columns(
                pl.lit(2, dtype=pl.Int32).alias("n_participants")
            )
        )
    interactions = pl.concat(frames, how="diagonal_relaxed") if frames else None
    if interactions is not None:
        interactions = interactions.with_columns(pl.lit(PERSONAL_OWNER).alias("owner_key"))
    return interactions


def _people(parts: Parts, res: pl.DataFrame) -> pl.DataFrame:
    """The people named: the new ones of ``res`` and the connections (with the profile URL
    learned from other files when theirs was missing)."""
    people = [_new_people(res)]
    if parts.connections is not None:
        learned = (
            res.filter(pl.col("ref").str.starts_with("conn:") & pl.col("uk").is_not_null())
            .group_by("ref")
            .agg(pl.col("uk").sort().first().alias("uk"))
        )
        people.append(
            parts.connections.join(learned, on="ref", how="left")
            .with_columns(pl.coalesce("linkedin_url", "uk").alias("linkedin_url"))
            .drop("nk", "uk")
        )
    people_frame = pl.concat(people, how="diagonal_relaxed")
    if "emails" not in people_frame.columns:
        people_frame = people_frame.with_columns(
            pl.lit(None, dtype=pl.List(pl.String)).alias("emails")
        )
    return people_frame.with_columns(
        pl.lit(PERSONAL_OWNER).alias("owner_key"),
        pl.col("emails").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
