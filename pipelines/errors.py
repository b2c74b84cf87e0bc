"""The errors the pipelines raise about their input; the CLI turns each into one line.

They live here, in the lower layer, so that the importers and pipelines never import
``recommender``; ``recommender.errors`` re-exports them beside the store's and models' own.
"""

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


class UsageError(HelpnextError):
    """Options that do not make sense together, or a value out of range."""

    exit_code = 2
