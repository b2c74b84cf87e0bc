"""The errors the pipelines raise about their input; the CLI turns each into one line.

They live here, in the lower layer, so that the importers and pipelines never import
``recommender``; ``recommender.errors`` re-exports them beside the store's and models' own.
"""

from __future__ import annotations

from pathlib import Path

EXCERPT_CHARS = 80  # of input quoted in a message
MAX_MESSAGE_CHARS = 1000  # a message longer than this is cut (it still names the file)


def excerpt(value, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)``, or its first ``limit`` characters and how long it was: an error
    quotes input, never a 50 MB line of it."""
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(value)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


class HelpnextError(Exception):
    """Base class: a problem the user can act on. ``str(err)`` is the whole message."""

    exit_code = 1


class InputError(HelpnextError):
    """A file the user gave us is not what we expected.

    The message names the file, the line (when known) and what was expected.
    """

    def __init__(self, path: Path | str, message: str, line: int | None = None):
        self.path = Path(path)
        self.line = line
        if len(message) > MAX_MESSAGE_CHARS:
            message = message[:MAX_MESSAGE_CHARS] + "... (message cut)"
        self.reason = message
        where = f"{self.path}" if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {message}")


class UsageError(HelpnextError):
    """Options that do not make sense together, or a value out of range."""

    exit_code = 2
