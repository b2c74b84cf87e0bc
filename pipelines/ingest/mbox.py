"""E-mail: an mbox file (Gmail Takeout, Thunderbird, mutt), streamed message by message.

Only the headers are parsed (stdlib ``email`` parser, ``compat32`` policy); bodies are
skipped line by line, so a 1 GB file needs no more memory than its largest header block
plus the rows it yields. ``mailbox.mbox`` is not used: it builds a table of contents of
the whole file first and reads each message whole.

Messages are split at ``From `` lines that start the file or follow a blank line; body lines
escaped as ``>From `` (mboxrd/mboxo) are body. Direction comes from the owner's addresses
(``--me``): a message from the owner is one ``out`` interaction per To/Cc recipient; any
other message is one ``in`` interaction with its sender. Bulk mail (List-Id,
List-Unsubscribe, ``Precedence: bulk/list/junk``, Auto-Submitted, no-reply senders, Gmail
spam) is skipped and counted, as are messages whose Date does not parse.

Replies: ``thread`` is the root Message-ID of the reply chain (References, else the
parent's thread, else In-Reply-To); ``detail`` is JSON ``{"message_id", "in_reply_to"}``
so reply-latency features can pair a reply with the message it answers.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from pipelines.errors import InputError
from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.placeholders import is_placeholder_address
from pipelines.ingest.text import own_addresses

CHUNK = 1 << 20
MAX_HEADER_BYTES = 1 << 20  # a header block larger than this is not a mail header
FLUSH_ROWS = 20_000  # interactions kept as Python objects before they go to a frame
_COLUMNS = ("ref", "uid_key", "ts", "direction", "thread", "n_participants", "subject", "detail")
BULK_PRECEDENCE = {"bulk", "list", "junk"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_MSGID = re.compile(r"<[^<>\s]+>")
_FROM_LINE_DATE = re.compile(rb"^From \S+\s+(.+?)\s*$")


# the header fields read; the rest (Received, DKIM-Signature, ARC-*...: most of a real
# header block) is cut out with one C-speed search before the stdlib parser sees it
_WANTED = re.compile(
    rb"^(?:from|to|cc|date|message-id|in-reply-to|references|subject|list-id|list-unsubscribe"
    rb"|precedence|auto-submitted|x-gmail-labels)[ \t]*:.*\n(?:[ \t].*\n)*",
    re.IGNORECASE | re.MULTILINE,
)
_QUOTED = re.compile(r'"[^"]*"')
_SEPARATOR = re.compile(rb"\n\r?\nFrom ")
_HEADER_END = re.compile(rb"\n\r?\n")


def _open(path: Path):
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller closes it
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except IsADirectoryError:
        raise InputError(path, "is a directory, expected an mbox file") from None
    except PermissionError:
        raise InputError(path, "permission denied") from None


def iter_header_blocks(path: Path, digest) -> Iterator[tuple[int, bytes, bytes]]:
    """Yield ``(line number of the From_ line, From_ line, header bytes)`` per message.

    Reads the file in 1 MB chunks and skips bodies with ``re`` searches for the next
    ``From `` line after a blank line, so memory stays at a chunk plus one header block,
    whatever the size of the file or of one message.
    """
    with _open(path) as handle:
        reader = _Chunks(path, handle, digest)
        reader.to_first_from_line()
        while True:
            # buf[off:] starts at a From_ line: find the end of the headers
            start_line = reader.base_line
            end = reader.header_end(start_line)
            buf, off = reader.buf, reader.off
            if end is None:
                text = buf[off:].rstrip(b"\r\n")
                if b"\n" in text:
                    raise InputError(
                        path,
                        f"the file ends inside the headers of the message starting at line "
                        f"{start_line}: it looks truncated",
                        line=start_line + text.count(b"\n"),
                    )
                yield start_line, text, b""
                return
            first_nl = buf.find(b"\n", off)
            from_line = buf[off:first_nl].rstrip(b"\r")
            header = buf[first_nl + 1 : end.start() + 1]
            yield start_line, from_line, header
            if not reader.skip_body(end.start()):
                return


class _Chunks:
    """An mbox read in chunks of :data:`CHUNK` bytes: ``buf[off:]`` is the part not yet
    consumed, starting at line ``base_line``; each chunk read goes into ``digest``."""

    def __init__(self, path: Path, handle, digest):
        self.path = path
        self.handle = handle
        self.digest = digest
        self.buf = b""
        self.off = 0  # where the unconsumed part of buf starts
        self.base_line = 1  # line number of buf[off]
        self.eof = False

    def more(self) -> bool:
        """Read the next chunk (False at the end of the file); NUL bytes are refused."""
        if self.eof:
            return False
        block = self.handle.read(CHUNK)
        if not block:
            self.eof = True
            return False
        self.digest.update(block)
        nul = block.find(b"\x00")
        if nul >= 0:
            at = self.base_line + self.buf.count(b"\n", self.off) + block.count(b"\n", 0, nul)
            raise InputError(
                self.path,
                "contains NUL bytes: this is a binary or damaged file, not an mbox",
                line=at,
            )
        self.buf = self.buf[self.off :] + block
        self.off = 0
        return True

    def drop(self, upto: int) -> None:
        """Consume ``buf`` up to ``upto``, counting the lines passed."""
        self.base_line += self.buf.count(b"\n", self.off, upto)
        self.off = upto

    def to_first_from_line(self) -> None:
        """Skip leading blank lines; the first non-blank line must be a From_ line."""
        while not self.buf.strip() and self.more():
            pass
        if not self.buf.strip():
            raise InputError(self.path, "the file is empty")
        while len(self.buf.lstrip(b"\r\n")) < 5 and self.more():
            pass
        self.drop(len(self.buf) - len(self.buf.lstrip(b"\r\n")))
        if not self.buf.startswith(b"From ", self.off):
            raise InputError(
                self.path,
                "not an mbox file: it should start with a 'From ' line "
                "(export mail as mbox, e.g. Gmail Takeout or Thunderbird ImportExportTools)",
                line=self.base_line,
            )

    def header_end(self, start_line: int):
        """The match ending the headers of the message at ``off`` (None: the file ends first);
        headers over :data:`MAX_HEADER_BYTES` are refused."""
        while True:
            end = _HEADER_END.search(self.buf, self.off)
            if end is not None:
                return end
            if len(self.buf) - self.off > MAX_HEADER_BYTES:
                raise InputError(
                    self.path,
                    f"the message starting at line {start_line} has over 1 MB of headers: "
                    "this is not a mail file",
                    line=start_line,
                )
            if not self.more():
                return None

    def skip_body(self, pos: int) -> bool:
        """Skip the body from ``pos`` up to the next From_ line after a blank line (False:
        the file ends first)."""
        while True:
            found = _SEPARATOR.search(self.buf, pos)
            if found is not None:
                self.drop(found.end() - 5)
                return True
            keep = max(pos, len(self.buf) - 8)  # a separator may straddle two chunks
            self.drop(keep)
            if not self.more():
                return False
            pos = 0


def _decode(value: str | None) -> str | None:
    if value is None:
        return None
    value = str(value)
    if "=?" in value:
        try:
            value = str(make_header(decode_header(value)))
        except (UnicodeDecodeError, LookupError, ValueError):
            pass
    value = " ".join(value.split())
    return value or None


@lru_cache(maxsize=1 << 16)
def _parse_address_field(value: str) -> tuple[tuple[str, str], ...]:
    """Addresses of one header value. The common shapes (``Name <a@b>``, ``a@b``, comma
    separated, no quotes or comments) take a fast path; anything else goes to
    ``email.utils.getaddresses``. Cached: the same From/To values recur all through a box."""
    quoted = _QUOTED.findall(value) if '"' in value else ()
    if "(" in value or ";" in value or any("," in q or "<" in q for q in quoted):
        pairs = getaddresses([value])
    else:
        pairs = []
        for part in value.split(","):
            lt = part.find("<")
            if lt >= 0:
                gt = part.find(">", lt)
                name = part[:lt].strip()
                if len(name) > 1 and name[0] == name[-1] == '"':
                    name = name[1:-1]
                pairs.append((name, part[lt + 1 : gt if gt > 0 else None]))
            else:
                pairs.append(("", part))
    out = []
    for name, addr in pairs:
        addr = addr.strip().strip("<>").lower()
        if _EMAIL.match(addr):
            out.append((name.strip(), addr))
    return tuple(out)


def _addresses(values: list) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        if value is not None:
            out.extend(_parse_address_field(" ".join(str(value).split())))
    return out


def _to_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


_FOUR_DIGIT_YEAR = re.compile(r"(?<![\d:+-])(\d{4})(?=\s+\d{1,2}:\d{2})")


def _parse_date(raw: str | None, from_line: bytes) -> datetime | None | bool:
    """The message time (naive UTC); False when a Date header is present but unparseable."""
    if raw is not None and str(raw).strip():
        try:
            when = _to_utc(parsedate_to_datetime(str(raw)))
        except (TypeError, ValueError, IndexError, OverflowError):
            return False
        # the parser reads a two-digit year (and so "0000") as 19xx or 20xx: a year
        # written with four digits must be the one read
        year = _FOUR_DIGIT_YEAR.search(str(raw))
        return when if year is None or int(year.group(1)) == when.year else False
    match = _FROM_LINE_DATE.match(from_line)
    if match:
        try:
            text = match.group(1).decode("ascii", "replace")
            return _to_utc(datetime.strptime(" ".join(text.split()[:5]), "%a %b %d %H:%M:%S %Y"))
        except ValueError:
            pass
    return None


def _msgid(value) -> str | None:
    if value is None:
        return None
    found = _MSGID.search(str(value))
    return found.group(0) if found else None


def _bulk_reason(msg: dict, sender: str | None) -> str | None:
    if msg.get("list-id") is not None:
        return "mailing_list"
    if msg.get("list-unsubscribe") is not None:
        return "newsletter"
    precedence = str(msg.get("precedence", "")).strip().lower()
    if precedence in BULK_PRECEDENCE:
        return f"precedence_{precedence}"
    auto = str(msg.get("auto-submitted", "no")).strip().lower()
    if auto and auto != "no":
        return "automated"
    if sender and is_placeholder_address(sender):
        return "no_reply_sender"
    labels = str(msg.get("x-gmail-labels", "")).lower()
    if "spam" in labels.split(","):
        return "spam"
    return None


def _my_addresses(me: list[str]) -> set[str]:
    return own_addresses(
        me, "give your own address with --me (repeat it for every address you use)"
    )


def _read_header(handle, limit: int = MAX_HEADER_BYTES) -> bytes | None:
    """The header block at the start of a one-message file (None: over ``limit``)."""
    data = b""
    while True:
        block = handle.read(CHUNK >> 4)
        data += block
        end = _HEADER_END.search(data)
        if end is not None:
            return data[: end.start() + 1]
        if len(data) > limit:
            return None
        if not block:
            return data if data.endswith(b"\n") else data + b"\n"


def iter_maildir_blocks(
    path: Path, digest, skipped: dict[str, int], links: list[str] | None = None
):
    """Yield ``(None, b"", header bytes)`` per message of a Maildir tree, never reading a
    body: every folder with ``cur/`` or ``new/`` below ``path`` (Maildir and Maildir++
    subfolders as Thunderbird, mutt, Evolution and Dovecot write them) through the stdlib
    ``mailbox.Maildir``; a tree without any (the Enron corpus: folders of one-message
    files) file by file. Links are not followed. Messages come in path order, so the
    digest of their names and headers identifies the input."""
    import mailbox
    import os

    if not path.exists():
        raise InputError(path, "no such folder")
    if not path.is_dir():
        raise InputError(path, "not a folder: a Maildir is a folder with cur/ and new/ inside")
    boxes, plain = [], []
    links = [] if links is None else links
    for root, dirs, files in os.walk(path, followlinks=False):
        here = Path(root)
        # a linked folder (cur/ or a Maildir++ subfolder) is not part of the export
        linked = sorted(d for d in dirs if (here / d).is_symlink())
        for name in linked:
            skipped["link"] = skipped.get("link", 0) + 1
            links.append(str((here / name).relative_to(path)))
        dirs[:] = sorted(d for d in dirs if d not in linked)
        if {"cur", "new"} & set(dirs):
            boxes.append(here)
        if here.name not in ("cur", "new", "tmp"):
            plain.extend(here / f for f in sorted(files) if not f.startswith("."))
    if boxes:
        for folder in boxes:
            if not all((folder / sub).is_dir() for sub in ("cur", "new")):
                # a Maildir copied by hand or kept in git has lost its empty new/ (or cur/),
                # which mailbox.Maildir requires: read the messages that are there
                yield from _partial_maildir(path, folder, digest, skipped, links)
                continue
            box = mailbox.Maildir(folder, factory=None, create=False)
            for key in sorted(box.iterkeys()):
                file = folder / box._lookup(key)  # noqa: SLF001 - its path, to see links
                if file.is_symlink():
                    skipped["link"] = skipped.get("link", 0) + 1
                    links.append(str(file.relative_to(path)))
                    continue
                try:
                    handle = box.get_file(key)
                except OSError:
                    skipped["unreadable_file"] = skipped.get("unreadable_file", 0) + 1
                    continue
                with handle:
                    header = _read_header(handle)
                name = str(folder.relative_to(path)) + "/" + key
                yield from _block(name, header, digest, skipped, _delivered(key))
        return
    if not plain:
        raise InputError(
            path, "no mail here: expected a Maildir (cur/ and new/ folders) or message files"
        )
    for file in plain:
        header = _file_header(file, skipped, links, path)
        if header is not _SKIPPED:
            yield from _block(str(file.relative_to(path)), header, digest, skipped)


_SKIPPED = object()


def _file_header(file: Path, skipped: dict[str, int], links: list[str], root: Path):
    """The header of one message file (what :func:`_read_header` reads), or
    :data:`_SKIPPED` (counted in ``skipped``) for a link, which is never followed, or a
    file that cannot be read."""
    if file.is_symlink():
        skipped["link"] = skipped.get("link", 0) + 1
        links.append(str(file.relative_to(root)))
        return _SKIPPED
    try:
        with open(file, "rb") as handle:
            return _read_header(handle)
    except OSError:
        skipped["unreadable_file"] = skipped.get("unreadable_file", 0) + 1
        return _SKIPPED


def _partial_maildir(path: Path, folder: Path, digest, skipped: dict[str, int], links: list[str]):
    """The messages of a Maildir that has only one of ``cur/`` and ``new/``, named and
    keyed as ``mailbox.Maildir`` names them (the file name up to its ``:`` info)."""
    for sub in ("cur", "new"):
        here = folder / sub
        if not here.is_dir():
            continue
        for file in sorted(here.iterdir()):
            if file.name.startswith(".") or not (file.is_symlink() or file.is_file()):
                continue
            header = _file_header(file, skipped, links, path)
            if header is _SKIPPED:
                continue
            key = file.name.split(":", 1)[0]
            name = str(folder.relative_to(path)) + "/" + key
            yield from _block(name, header, digest, skipped, _delivered(key))


def _delivered(key: str) -> bytes:
    """A Maildir file name starts with its delivery time in Unix seconds: as a From_ line,
    it dates a message that has no Date header, as mbox's From_ line does."""
    import time

    found = re.match(r"^(\d{9,11})\.", key)
    if not found:
        return b""
    stamp = time.strftime("%a %b %d %H:%M:%S %Y", time.gmtime(int(found.group(1))))
    return b"From MAILER-DAEMON " + stamp.encode()


def _block(
    name: str, header: bytes | None, digest, skipped: dict[str, int], from_line: bytes = b""
):
    if header is None:
        skipped["header_too_large"] = skipped.get("header_too_large", 0) + 1
        return
    if b"\x00" in header:
        skipped["binary_file"] = skipped.get("binary_file", 0) + 1
        return
    digest.update(name.encode("utf-8", "surrogateescape") + b"\0" + header + b"\0")
    yield None, from_line, header


def read_maildir(path: Path, me: list[str]) -> ImportBatch:
    """Read a Maildir folder with the same rules as :func:`read_mbox`."""
    path = Path(path)
    mine = _my_addresses(me)
    digest = hashlib.sha256()
    skipped: dict[str, int] = {}
    links: list[str] = []
    blocks = iter_maildir_blocks(path, digest, skipped, links)
    batch = _read_messages(path, mine, blocks, digest, "maildir", skipped)
    if links:
        batch.details["links_not_followed"] = links[:20]
        batch.notes.append(
            f"{len(links)} link{'s' if len(links) > 1 else ''} not followed (files are read "
            f"only inside the folder): {', '.join(links[:3])}"
            + (f" and {len(links) - 3} more" if len(links) > 3 else "")
        )
    return batch


def read_mbox(path: Path, me: list[str]) -> ImportBatch:
    path = Path(path)
    mine = _my_addresses(me)
    digest = hashlib.sha256()
    return _read_messages(path, mine, iter_header_blocks(path, digest), digest, "mbox", {})


def _read_messages(
    path: Path, mine: set[str], blocks, digest, source_kind: str, skipped: dict[str, int]
) -> ImportBatch:
    parser = BytesHeaderParser(policy=compat32)
    names: dict[str, str | None] = {}
    roots: dict[str, str] = {}
    frames: list[pl.DataFrame] = []
    cols: dict[str, list] = {k: [] for k in _COLUMNS}
    first_bad_date: int | None = None
    messages = 0
    used = 0
    involves_me = 0

    def skip(reason: str) -> None:
        skipped[reason] = skipped.get(reason, 0) + 1

    for lineno, from_line, header in blocks:
        messages += 1
        msg, multi = _header_fields(parser, header)
        senders = _addresses(multi["from"])
        if not senders:
            skip("no_sender")
            continue
        sender_name, sender = senders[0]
        reason = _bulk_reason(msg, sender)
        if reason:
            skip(reason)
            continue
        ts = _parse_date(msg.get("date"), from_line)
        if ts is False or ts is None:
            skip("bad_date" if ts is False else "no_date")
            if first_bad_date is None:
                first_bad_date = lineno or 0
            continue
        recipients = _addresses(multi["to"] + multi["cc"])
        everyone = {sender} | {a for _, a in recipients}
        if everyone & mine:
            involves_me += 1
        n_participants = len(everyone | ({next(iter(mine))} if not everyone & mine else set()))
        message_id, parent, thread = _thread_of(msg, roots)
        subject = _decode(msg.get("subject"))
        key = message_id or hashlib.md5(f"{ts.isoformat()}|{sender}|{subject}".encode()).hexdigest()
        detail = json.dumps({"message_id": message_id, "in_reply_to": parent})
        others, direction = _others(sender, sender_name, recipients, mine, names)
        if not others:
            skip(direction)
            continue
        used += 1
        for addr in others:
            cols["ref"].append(addr)
            cols["uid_key"].append(f"mbox:{key}:{direction}:{addr}")
            cols["ts"].append(ts)
            cols["direction"].append(direction)
            cols["thread"].append(thread)
            cols["n_participants"].append(n_participants)
            cols["subject"].append(subject)
            cols["detail"].append(detail)
        if len(cols["ref"]) >= FLUSH_ROWS:
            frames.append(_frame(cols))
            cols = {k: [] for k in cols}

    messages += sum(
        skipped.get(k, 0) for k in ("header_too_large", "binary_file", "link", "unreadable_file")
    )
    _check_any_used(path, mine, messages, used, involves_me, first_bad_date, skipped)
    frames.append(_frame(cols))
    return _mail_batch(path, mine, digest, source_kind, frames, names, messages, used, skipped)


def _mail_batch(
    path: Path,
    mine: set[str],
    digest,
    source_kind: str,
    frames: list[pl.DataFrame],
    names: dict[str, str | None],
    messages: int,
    used: int,
    skipped: dict[str, int],
) -> ImportBatch:
    """The batch of the messages read: their interactions, the people named, the counts."""
    interactions = pl.concat(frames, rechunk=True)
    people = pl.DataFrame(
        {
            "ref": list(names),
            "display_name": [_display_name(n, a) for a, n in names.items()],
            "emails": [[a] for a in names],
        }
    )
    details = {"messages": messages, "messages_used": used, "skipped": skipped}
    return ImportBatch(
        source_kind=source_kind,
        label=path.name,
        sha256=digest.hexdigest(),
        people=people,
        interactions=interactions,
        owner_aliases=[("email", m) for m in sorted(mine)],
        as_of=interactions["ts"].max(),
        rows_read=messages,
        rows_skipped=messages - used,
        details=details,
    )


def _header_fields(parser, header: bytes) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The wanted header fields: the first value of each (lower-cased names), and every
    From, To and Cc value."""
    parsed = parser.parsebytes(b"".join(_WANTED.findall(header)))
    msg: dict[str, str] = {}
    multi: dict[str, list[str]] = {"from": [], "to": [], "cc": []}
    for name, value in parsed.items():
        key = name.lower()
        if key in multi:
            multi[key].append(value)
        msg.setdefault(key, value)
    return msg, multi


def _thread_of(msg: dict[str, str], roots: dict[str, str]) -> tuple[str | None, str | None, str]:
    """(Message-ID, the message it replies to, its thread: the first of its References, else
    the thread of its parent, else itself); ``roots`` remembers each message's thread."""
    message_id = _msgid(msg.get("message-id"))
    parent = _msgid(msg.get("in-reply-to"))
    refs = _MSGID.findall(str(msg.get("references") or ""))
    if parent is None and refs:
        parent = refs[-1]
    if refs:
        thread = refs[0]
    elif parent is not None:
        thread = roots.get(parent, parent)
    else:
        thread = message_id
    if message_id is not None:
        roots[message_id] = thread
    return message_id, parent, thread


def _others(
    sender: str,
    sender_name: str | None,
    recipients: list[tuple[str, str]],
    mine: set[str],
    names: dict[str, str | None],
) -> tuple[list[str], str]:
    """(the people the message is with, "out" or "in"); no one: ([], the reason it is
    skipped). Their names go into ``names`` (the first one seen)."""
    if sender not in mine:
        if names.get(sender) is None:
            names[sender] = sender_name
        return [sender], "in"
    others: list[str] = []
    placeholder = False
    for name, addr in recipients:
        if is_placeholder_address(addr):
            placeholder = True
            continue
        if addr not in mine and addr not in others:
            others.append(addr)
            if names.get(addr) is None:
                names[addr] = name
    if not others:
        return [], "to_no_reply_address" if placeholder else "to_myself"
    return others, "out"


def _check_any_used(
    path: Path,
    mine: set[str],
    messages: int,
    used: int,
    involves_me: int,
    first_bad_date: int | None,
    skipped: dict[str, int],
) -> None:
    """An :class:`InputError` when no message could be used, saying why (wrong ``--me``,
    dates that do not parse, or what was skipped)."""
    if used and not involves_me:
        raise InputError(
            path,
            f"none of the {messages} messages is from or to {', '.join(sorted(mine))}; "
            "check --me (give every address you use)",
        )
    if used:
        return
    if (
        messages
        and first_bad_date is not None
        and sum(skipped.values()) == skipped.get("bad_date", 0) + skipped.get("no_date", 0)
    ):
        raise InputError(
            path,
            "no message has a Date that parses (e.g. 'Tue, 18 Jun 2024 14:05:00 +0000')",
            line=first_bad_date or None,
        )
    what = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(skipped.items()))
    raise InputError(
        path,
        f"no personal message to or from {', '.join(sorted(mine))} among {messages} "
        f"messages ({what or 'none readable'}); check --me",
    )


def _frame(cols: dict[str, list]) -> pl.DataFrame:
    """Rows gathered so far as a compact (Arrow) frame."""
    return pl.DataFrame(
        {**cols, "channel": pl.repeat("email", len(cols["ref"]), eager=True)},
        schema={
            "ref": pl.String,
            "uid_key": pl.String,
            "ts": pl.Datetime("us"),
            "direction": pl.String,
            "thread": pl.String,
            "n_participants": pl.Int32,
            "subject": pl.String,
            "detail": pl.String,
            "channel": pl.String,
        },
    )


def _display_name(name: str | None, addr: str) -> str:
    name = _decode(name)
    if name:
        name = name.strip().strip("'\"").strip()
    if not name or "@" in name:
        return addr
    if "," in name and name.count(",") == 1:  # "Smith, Dana" -> "Dana Smith"
        last, first = (p.strip() for p in name.split(","))
        if first and last and " " not in last:
            name = f"{first} {last}"
    return name
