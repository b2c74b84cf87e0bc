"""Names and addresses that stand for nobody: the one list every importer consults.

A source sometimes names a placeholder where a person would be: LinkedIn writes
"LinkedIn Member" for deleted or hidden accounts (no profile URL), Google Calendar names
``unknownorganizer@calendar.google.com`` as the organiser of events it imported, and
automated senders (``noreply@``, ``googlecommunityteam-noreply@google.com``,
``calendar-notification@google.com``, ``mailer-daemon@``) send mail nobody wrote. None of
them is ever a contact; importers leave them out and count how many rows they left out.

Importers use :func:`is_placeholder_name` / :func:`is_placeholder_address` (or the Polars
expressions of the same rules); ``recommender.store.importer`` applies the same test to every
person of every batch as a last guard.
"""

from __future__ import annotations

import re

import polars as pl

# display names that stand for an unknown or hidden person (compared case-insensitively,
# after white space is collapsed)
PLACEHOLDER_NAMES = frozenset(
    {
        "linkedin member",
        "linkedin user",
        "former linkedin member",
        "unknown",
        "unknown sender",
        "unknown organizer",
        "unknown organiser",
        "undisclosed recipients",
        "undisclosed-recipients",
        "no name",
        "(no name)",
    }
)

# whole addresses that name nobody
PLACEHOLDER_ADDRESSES = frozenset(
    {
        "unknownorganizer@calendar.google.com",
        "calendar-notification@google.com",
        "calendar-server@google.com",
        "undisclosed-recipients@",
    }
)

# local parts of automated senders: no-reply in any spelling, anywhere in the local part
# (``noreply@``, ``no-reply-1234@``, ``googlecommunityteam-noreply@``), bounces, daemons
_AUTOMATED_LOCAL = (
    r"(?:^|[-_.+])(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply)(?:$|[-_.+0-9])"
    r"|^(?:mailer[-_.]?daemon|postmaster|bounces?)(?:$|[-_.+])"
)
_AUTOMATED = re.compile(_AUTOMATED_LOCAL, re.IGNORECASE)
# calendars and rooms Google names as attendees (its own holiday, birthday and week-number
# calendars, imported calendars, meeting rooms): not people. A shared group calendar
# (``@group.calendar.google.com``, a club or team) stays: someone runs it
_GROUP_CALENDAR_PATTERN = (
    r"@(?:group\.v\.calendar|import\.calendar|resource\.calendar)\.google\.com$"
)
_GROUP_CALENDAR = re.compile(_GROUP_CALENDAR_PATTERN, re.IGNORECASE)


def _norm(name: str) -> str:
    return " ".join(name.replace('"', " ").split()).casefold()


def is_placeholder_name(name: str | None) -> bool:
    """True when ``name`` is a placeholder such as LinkedIn's "LinkedIn Member"."""
    return bool(name) and _norm(name) in PLACEHOLDER_NAMES


def is_placeholder_address(address: str | None) -> bool:
    """True when ``address`` names nobody: a listed placeholder or an automated sender."""
    if not address:
        return False
    address = address.strip().lower()
    if address in PLACEHOLDER_ADDRESSES or _GROUP_CALENDAR.search(address):
        return True
    local = address.split("@", 1)[0]
    return bool(_AUTOMATED.search(local))


def placeholder_name_expr(expr: pl.Expr) -> pl.Expr:
    """Polars: True where the name column holds a placeholder name (null -> False)."""
    normed = (
        expr.str.replace_all('"', " ").str.replace_all(r"\s+", " ").str.strip_chars()
    ).str.to_lowercase()
    return normed.is_in(sorted(PLACEHOLDER_NAMES)).fill_null(False)


def placeholder_address_expr(expr: pl.Expr) -> pl.Expr:
    """Polars: True where the address column holds a placeholder address (null -> False)."""
    a = expr.str.strip_chars().str.to_lowercase()
    local = a.str.split("@").list.first()
    return (
        a.is_in(sorted(PLACEHOLDER_ADDRESSES))
        | a.str.contains(_GROUP_CALENDAR_PATTERN)
        | local.str.contains("(?i)" + _AUTOMATED_LOCAL)
    ).fill_null(False)
