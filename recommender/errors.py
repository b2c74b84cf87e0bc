"""Exceptions the library raises. The CLI turns each into one line and exit code 1."""

from __future__ import annotations

from pipelines.errors import HelpnextError, InputError, UsageError

__all__ = [
    "HelpnextError",
    "InputError",
    "ModelIntegrityError",
    "NotFoundError",
    "PriorIntegrityError",
    "StaleModelError",
    "StoreError",
    "StoreLockedError",
    "UsageError",
]


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
