r"""Address book: vCard 2.1 / 3.0 / 4.0 (``.vcf`` from Android, iPhone, Google, Apple,
Outlook, Lotus Notes, Thunderbird).

Read line by line with a reader of our own rather than a general vCard library, because
real address books break the rules those enforce: Android and Outlook write vCard 2.1
quoted-printable values whose soft line breaks (a trailing ``=``) continue on an unindented
line, sometimes onto an empty line or straight into the next property; iPhones fold long
base64 ``PHOTO`` blocks; Outlook writes address lines without folding; Lotus Notes adds
``PROFILE:VCARD``. The reader joins RFC folding (a line starting with white space) and
quoted-printable soft breaks, decodes ``ENCODING=QUOTED-PRINTABLE`` / ``BASE64`` / ``B``
values in their ``CHARSET`` (UTF-8 when none is named), unescapes ``\,`` ``\;`` ``\n``,
and never keeps binary properties (``PHOTO``, ``LOGO``, ``SOUND``, ``KEY``: skipped as
they stream by, so a 30 MB photo costs nothing). A display name is ``FN`` whole
(``FN:Sataro, Gojo N.`` keeps its comma), else ``N``'s given and family names.

Each card is one person: name, every e-mail, first phone, organisation, title, a
LinkedIn profile URL when one is listed, birthday, note, and categories as tags (Google's
system group ``myContacts`` / ``starred`` is dropped). Cards are not interactions: they
add or complete contacts.

A card that cannot be read (no ``END:VCARD``, a line that is no property, no name and no
e-mail, a value longer than ``MAX_VALUE_CHARS``) is skipped; the import names the file's
real line of each skipped card (the first few) and how many there were. Only a file whose
cards are mostly unreadable fails, naming the first bad card's line.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.text import decode, sha256_bytes

# Google's system groups, as Google and Android name them ("My Contacts" before 2018)
SYSTEM_GROUPS = {"mycontacts", "starred", "* mycontacts", "* starred", "friends & family"}
SYSTEM_GROUPS |= {"my contacts", "* my contacts"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# properties never kept (binary, and of no use here)
BINARY = {"PHOTO", "LOGO", "SOUND", "KEY"}
# properties read; every other one is passed over
USED = {"FN", "N", "EMAIL", "ORG", "TITLE", "URL", "X-SOCIALPROFILE", "TEL", "BDAY", "NOTE"}
USED |= {"CATEGORIES"}
# a used value longer than this makes its card unreadable (a 50 MB "name" is no name)
MAX_VALUE_CHARS = 64 * 1024
# the largest address book read (a bigger file is refused before it is read)
MAX_FILE_BYTES = 512 << 20
# skipped cards named in the import's report
SHOW_SKIPPED = 5
_PROPERTY = re.compile(r"^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)([;:])")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(text: str) -> str:
    return _ESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text).strip()


def _split(text: str, sep: str) -> list[str]:
    """Split on ``sep`` not escaped by a backslash."""
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str
    line: int

    @property
    def encoding(self) -> str:
        enc = [e.upper() for e in self.params.get("ENCODING", [])]
        bare = [t.upper() for t in self.params.get("TYPE", [])]
        for known in ("QUOTED-PRINTABLE", "BASE64", "B"):
            if known in enc or known in bare:
                return known
        return ""

    def text(self) -> str:
        """The value decoded (quoted-printable or base64, in its CHARSET), not unescaped."""
        encoding = self.encoding
        if not encoding:
            return self.value
        charset = (self.params.get("CHARSET") or ["utf-8"])[0].strip('"') or "utf-8"
        try:
            codecs.lookup(charset)
        except LookupError:
            charset = "utf-8"
        if encoding == "QUOTED-PRINTABLE":
            data = quopri.decodestring(self.value.encode("utf-8", "surrogateescape"))
        else:
            try:
                data = base64.b64decode("".join(self.value.split()), validate=False)
            except (binascii.Error, ValueError):
                return ""
        return data.decode(charset, "replace")


@dataclass
class _Card:
    line: int
    props: dict[str, list[_Property]] = field(default_factory=dict)
    problem: str | None = None
    ended: bool = False

    def add(self, prop: _Property) -> None:
        self.props.setdefault(prop.name, []).append(prop)


def _parse_property(line: str, number: int) -> _Property | None:
    """``[group.]NAME[;PARAM...]:value`` -> a property (None when the line is none)."""
    found = _PROPERTY.match(line)
    if not found:
        return None
    name = found.group(1).upper()
    if name in BINARY or name not in USED:
        return _Property(name, {}, "", number)  # passed over: its value is never read
    colon = line.find(":")
    if '"' in line[:colon]:  # a quoted parameter value may hold a colon
        colon, quoted = -1, False
        for i, ch in enumerate(line):
            if ch == '"':
                quoted = not quoted
            elif ch == ":" and not quoted:
                colon = i
                break
    if colon < 0:
        return None
    head, value = line[:colon], line[colon + 1 :]
    params: dict[str, list[str]] = {}
    for raw in head.split(";")[1:]:
        if not raw:
            continue
        key, eq, val = raw.partition("=")
        if not eq:  # vCard 2.1 bare parameter: TEL;CELL, EMAIL;INTERNET, ;QUOTED-PRINTABLE
            key, val = "TYPE", raw
        params.setdefault(key.strip().upper(), []).extend(
            v.strip().strip('"') for v in val.split(",")
        )
    return _Property(name, params, value, number)


def _decode_lines(raw: bytes, path: Path) -> list[str]:
    """The file's lines as text. UTF-8 (or UTF-16 with a BOM) as a whole; a vCard file that
    is not valid UTF-8 as a whole (a 2.1 card with raw ``CHARSET=ISO-8859-1`` bytes, an
    Outlook export in the Windows code page) is decoded line by line: UTF-8 where the line
    is, else the line's ``CHARSET``, else Windows-1252."""
    try:
        text = decode(raw, path, max_line=None)  # a long line is a photo: skipped, not refused
    except InputError:
        head = raw.lstrip()[:11].upper()
        if not head.startswith(b"BEGIN:VCARD"):
            raise
        text = None
    if text is not None:
        return text.splitlines()
    lines = []
    for chunk in raw.splitlines():
        try:
            lines.append(chunk.decode("utf-8"))
            continue
        except UnicodeDecodeError:
            pass
        charset = re.search(rb"CHARSET=\"?([A-Za-z0-9_.:-]+)", chunk, re.IGNORECASE)
        name = charset.group(1).decode("ascii") if charset else "cp1252"
        try:
            lines.append(chunk.decode(name, "replace"))
        except LookupError:
            lines.append(chunk.decode("cp1252", "replace"))
    return lines


def _cards(lines: list[str], path: Path) -> tuple[list[_Card], int]:
    """Split into cards of properties. Returns (cards, lines outside any card)."""
    split = _CardSplitter()
    for number, line in enumerate(lines, 1):
        split.read(number, line)
    card = split.card
    if card is not None and not card.ended:
        card.problem = card.problem or (
            f"the card starting at line {card.line} has no END:VCARD: the file looks truncated"
        )
    return split.cards, split.stray


class _CardSplitter:
    """Reads a file line by line into cards: the card and property being read, whether the
    current property is skipped (binary or unused: its continuation lines are dropped), the
    size of its value so far, and the count of lines outside any card."""

    def __init__(self):
        self.cards: list[_Card] = []
        self.card: _Card | None = None
        self.prop: _Property | None = None
        self.skipping = False
        self.size = 0
        self.stray = 0

    def _too_long(self) -> bool:
        """Past :data:`MAX_VALUE_CHARS`: the card has a problem and the value is dropped."""
        if self.size <= MAX_VALUE_CHARS:
            return False
        self.card.problem = self.card.problem or (
            f"a value longer than {MAX_VALUE_CHARS:,} characters"
        )
        self.prop, self.skipping = None, True
        return True

    def read(self, number: int, line: str) -> None:
        upper = line.strip().upper()
        if upper == "BEGIN:VCARD":
            card = self.card
            if card is not None and not card.ended:
                card.problem = card.problem or (
                    f"the card starting at line {card.line} has no END:VCARD before the next "
                    "BEGIN:VCARD"
                )
            self.card = _Card(number)
            self.cards.append(self.card)
            self.prop, self.skipping, self.size = None, False, 0
            return
        card = self.card
        if card is None or card.ended:
            if line.strip():
                self.stray += 1
            return
        if upper == "END:VCARD":
            card.ended = True
            self.prop, self.skipping = None, False
            return
        if line[:1] in (" ", "\t"):
            self._continuation(number, line)
            return
        prop = self.prop
        if prop is not None and prop.encoding == "QUOTED-PRINTABLE" and prop.value.endswith("="):
            # a quoted-printable soft line break: the value goes on, unindented, unless
            # the line is blank or the next property (Android ends some values with "=")
            if not line.strip():
                prop.value = prop.value[:-1]
                self.prop = None
                return
            if not _PROPERTY.match(line) or line.startswith("="):
                self.size += len(line)
                if self._too_long():
                    return
                prop.value = prop.value[:-1] + line
                return
            prop.value = prop.value[:-1]
        if not line.strip():
            self.prop, self.skipping = None, False  # a 2.1 base64 block ends with a blank line
            return
        self._property(number, line)

    def _continuation(self, number: int, line: str) -> None:
        """A folded line: the current property's value goes on."""
        prop = self.prop
        if prop is None and not self.skipping:
            if line.strip():
                self.card.problem = self.card.problem or f"line {number} continues no property"
            return
        if self.skipping:
            return
        self.size += len(line)
        if self._too_long():
            return
        if prop.encoding == "QUOTED-PRINTABLE" and prop.value.endswith("="):
            prop.value = prop.value[:-1] + line.lstrip(" \t")  # soft break, then folded
        else:
            prop.value += line[1:]

    def _property(self, number: int, line: str) -> None:
        """A line that starts a property (or is not one: an unfolded photo line, a
        multi-line address, or a problem)."""
        card = self.card
        parsed = _parse_property(line, number)
        if parsed is None:
            if self.skipping:
                return  # an unfolded base64 line of a photo
            if self.prop is not None:
                # Outlook writes a multi-line address or label without folding
                self.prop.value += "\n" + line
                return
            card.problem = card.problem or f"line {number} is not a vCard property"
            return
        self.skipping = parsed.name in BINARY or parsed.name not in USED
        if self.skipping:
            self.prop = None
            return
        self.prop, self.size = parsed, len(line)
        if self._too_long():
            return
        card.add(parsed)


def _values(card: _Card, name: str) -> list[_Property]:
    return card.props.get(name.upper(), [])


def _first_text(card: _Card, name: str) -> str | None:
    for prop in _values(card, name):
        text = _unescape(prop.text())
        if text:
            return text
    return None


def _note(card: _Card) -> str | None:
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


def _person(card: _Card, index: int) -> dict | None:
    """The person a card names (None when it names nobody: no name and no e-mail)."""
    fn = _first_text(card, "fn")
    first = last = None
    for n in _values(card, "n"):
        parts = [_unescape(p) for p in _split(n.text(), ";")]
        last = parts[0] or None if parts else None
        first = parts[1] or None if len(parts) > 1 else None
        break
    emails: list[str] = []
    for prop in _values(card, "email"):
        addr = re.sub(r"^mailto:", "", _unescape(prop.text()).lower())
        if _EMAIL.match(addr) and addr not in emails:
            emails.append(addr)
    org = None
    for prop in _values(card, "org"):
        parts = _split(prop.text(), ";")
        org = _unescape(parts[0]) or None if parts else None
        break
    linkedin = None
    for prop in _values(card, "url") + _values(card, "x-socialprofile"):
        url = _unescape(prop.text())
        if "linkedin.com/" in url.lower():
            linkedin = url
            break
    tags: list[str] = []
    for prop in _values(card, "categories"):
        for tag in _split(prop.text(), ","):
            tag = _unescape(tag)
            if tag and tag.lower() not in SYSTEM_GROUPS and tag not in tags:
                tags.append(tag)
    display = fn or " ".join(p for p in (first, last) if p) or None
    if display is None and not emails:
        display = org
    if display is None and not emails:
        return None
    return {
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


def read_vcard(path: Path) -> ImportBatch:
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except OSError as err:
        raise InputError(path, f"cannot read ({err.strerror or err})") from None
    if path.is_dir():
        raise InputError(path, "is a directory, expected a file")
    if size > MAX_FILE_BYTES:
        raise InputError(
            path,
            f"the file is {size / (1 << 20):,.0f} MB; an address book larger than "
            f"{MAX_FILE_BYTES >> 20} MB is not read",
        )
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise InputError(path, "permission denied") from None
    lines = _decode_lines(raw, path)
    first = next(((i, ln) for i, ln in enumerate(lines, 1) if ln.strip()), None)
    if first is None:
        raise InputError(path, "the file is empty")
    if first[1].strip().upper() != "BEGIN:VCARD":
        raise InputError(
            path,
            "not a vCard file: it should start with BEGIN:VCARD (export contacts as vCard/.vcf)",
            line=first[0],
        )
    cards, _ = _cards(lines, path)
    del lines
    rows, bad = [], []
    for index, card in enumerate(cards):
        person = None if card.problem else _person(card, index)
        if person is None:
            bad.append((card.line, card.problem or "a card has no name (FN or N) and no e-mail"))
            continue
        rows.append(person)
    if not rows or len(bad) > len(rows):
        line, why = bad[0]
        if len(cards) > 1:
            why = f"{len(bad):,} of {len(cards):,} cards cannot be read; the first: {why}"
        raise InputError(path, why, line=line)
    details: dict = {"cards": len(cards), "imported": len(rows)}
    notes = []
    if bad:
        details["cards_skipped"] = {
            "count": len(bad),
            "first": [{"line": ln, "why": why} for ln, why in bad[:SHOW_SKIPPED]],
        }
        shown = "; ".join(f"line {ln:,}: {why}" for ln, why in bad[:SHOW_SKIPPED])
        more = f"; and {len(bad) - SHOW_SKIPPED:,} more" if len(bad) > SHOW_SKIPPED else ""
        notes.append(
            f"{len(bad):,} unreadable card{'s' if len(bad) > 1 else ''} skipped ({shown}{more})"
        )
    people = pl.DataFrame(rows, schema_overrides={"birthday": pl.Date}, infer_schema_length=None)
    return ImportBatch(
        source_kind="vcard",
        label=path.name,
        sha256=sha256_bytes(raw),
        people=people,
        interactions=pl.DataFrame(),
        rows_read=len(cards),
        rows_skipped=len(bad),
        details=details,
        notes=notes,
    )
