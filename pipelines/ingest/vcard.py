"""Address book: vCard 3.0 / 4.0 (``.vcf`` from Google Contacts, Apple Contacts, Outlook).

Parsed with ``vobject`` (folded lines, escaping, ``itemN.`` groups as Google and Apple
write them). Each card is one person: name, every e-mail, first phone, organisation,
title, a LinkedIn profile URL when one is listed, birthday, note, and categories as tags
(Google's system group ``myContacts`` / ``starred`` is dropped). Cards are not
interactions: they add or complete contacts.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.text import read_text, sha256_bytes
from recommender.errors import InputError

SYSTEM_GROUPS = {"mycontacts", "starred", "* mycontacts", "* starred", "friends & family"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _unescape(text: str) -> str:
    return re.sub(r"\\([:;,\\])", r"\1", text).strip()


def _values(card, name: str) -> list:
    return [p for p in card.contents.get(name, [])]


def _first_text(card, name: str) -> str | None:
    for prop in _values(card, name):
        value = prop.value
        if isinstance(value, list):
            value = " ".join(v for v in value if v)
        text = _unescape(str(value)) if value is not None else ""
        if text:
            return text
    return None


def _note(card) -> str | None:
    text = _first_text(card, "note")
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else None


def _parse_bday(text: str | None) -> date | None:
    if not text:
        return None
    text = text.strip()
    digits = text.replace("-", "")
    if text.startswith("--"):  # --MMDD: no year; Google uses it. Keep month/day in year 1904
        digits = "1904" + text[2:].replace("-", "")
    match = re.match(r"^(\d{4})(\d{2})(\d{2})", digits)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def _card_lines(text: str) -> list[int]:
    return [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip().upper() == "BEGIN:VCARD"]


def _check_shape(text: str, path: Path) -> list[int]:
    lines = text.splitlines()
    first = next(((i, ln) for i, ln in enumerate(lines, 1) if ln.strip()), None)
    if first is None:
        raise InputError(path, "the file is empty")
    if first[1].strip().upper() != "BEGIN:VCARD":
        raise InputError(
            path,
            "not a vCard file: it should start with BEGIN:VCARD (export contacts as vCard/.vcf)",
            line=first[0],
        )
    begins = _card_lines(text)
    ends = [i for i, ln in enumerate(lines, 1) if ln.strip().upper() == "END:VCARD"]
    if len(ends) < len(begins):
        # find the first card without its END
        for k, start in enumerate(begins):
            nxt = begins[k + 1] if k + 1 < len(begins) else len(lines) + 1
            if not any(start < e < nxt for e in ends):
                raise InputError(
                    path,
                    f"the card starting at line {start} has no END:VCARD: the file looks truncated",
                    line=min(nxt - 1, len(lines)),
                )
    return begins


def read_vcard(path: Path) -> ImportBatch:
    import vobject

    path = Path(path)
    text, raw = read_text(path)
    begins = _check_shape(text, path)
    rows = []
    try:
        cards = list(vobject.readComponents(text, ignoreUnreadable=False))
    except Exception as err:  # vobject raises ParseError and assorted ValueErrors
        line = getattr(err, "lineNumber", None)
        message = str(err).splitlines()[0][:120] if str(err) else type(err).__name__
        raise InputError(path, f"not a valid vCard ({message})", line=line) from None
    for index, card in enumerate(cards):
        if card.name != "VCARD":
            continue
        line = begins[index] if index < len(begins) else None
        fn = _first_text(card, "fn")
        first = last = None
        for n in _values(card, "n"):
            value = n.value
            first = _unescape(getattr(value, "given", "") or "") or None
            last = _unescape(getattr(value, "family", "") or "") or None
            break
        emails = []
        for prop in _values(card, "email"):
            addr = _unescape(str(prop.value)).lower()
            addr = re.sub(r"^mailto:", "", addr)
            if _EMAIL.match(addr) and addr not in emails:
                emails.append(addr)
        org = None
        for prop in _values(card, "org"):
            value = prop.value if isinstance(prop.value, list) else [prop.value]
            org = _unescape(str(value[0])) if value and value[0] else None
            break
        linkedin = None
        for prop in _values(card, "url") + _values(card, "x-socialprofile"):
            url = _unescape(str(prop.value))
            if "linkedin.com/" in url.lower():
                linkedin = url
                break
        tags = []
        for prop in _values(card, "categories"):
            value = prop.value if isinstance(prop.value, list) else str(prop.value).split(",")
            for tag in value:
                tag = _unescape(str(tag))
                if tag and tag.lower() not in SYSTEM_GROUPS and tag not in tags:
                    tags.append(tag)
        display = fn or " ".join(p for p in (first, last) if p) or None
        if display is None and not emails:
            display = org
        if display is None and not emails:
            raise InputError(path, "a card has no name (FN or N) and no e-mail", line=line)
        rows.append(
            {
                "ref": f"card{index}",
                "display_name": display or emails[0],
                "first_name": first,
                "last_name": last,
                "company": org,
                "position": _first_text(card, "title"),
                "emails": emails,
                "linkedin_url": linkedin,
                "phone": _first_text(card, "tel"),
                "birthday": _parse_bday(_first_text(card, "bday")),
                "notes": _note(card),
                "tags": tags,
            }
        )
    if not rows:
        raise InputError(path, "no contact card (BEGIN:VCARD ... END:VCARD) in the file")
    people = pl.DataFrame(rows, schema_overrides={"birthday": pl.Date}, infer_schema_length=None)
    return ImportBatch(
        source_kind="vcard",
        label=path.name,
        sha256=sha256_bytes(raw),
        people=people,
        interactions=pl.DataFrame(),
        rows_read=len(rows),
        details={"cards": len(rows)},
    )
