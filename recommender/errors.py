"""Exceptions the library raises. The CLI turns each into one line and exit code 1."""

from __future__ import annotations

from pathlib import Path


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
        self.reason = message
        where = f"{self.path}" if line is None else f"{self.path}, line {line}"
        super().__init__(f"{where}: {message}")


class StoreError(HelpnextError):
    """The store cannot be opened or is not in the expected state."""


class StoreLockedError(StoreError):
    """Another process holds the store."""


class NotFoundError(HelpnextError):
    """A contact, suggestion or model the user named does not exist."""


class ModelIntegrityError(HelpnextError):
    """A model artifact does not match its card; it is never unpickled."""


class PriorIntegrityError(ModelIntegrityError):
    """The shipped prior fails its checks; it is never used, the heuristic ranks instead."""


class StaleModelError(Exception):
    """A sound model made for another feature set (trained before an upgrade): callers
    fall back to the heuristic and tell the user to retrain; not an error of the command."""


class UsageError(HelpnextError):
    """Options that do not make sense together, or a value out of range."""

    exit_code = 2
