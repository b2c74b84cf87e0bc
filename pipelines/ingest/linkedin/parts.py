"""What a LinkedIn export's files hold, before people are resolved: :class:`Parts`, filled
by the readers of :mod:`pipelines.ingest.linkedin.export` and :mod:`pipelines.ingest.linkedin.messages`
(both import it from here, so neither imports the other back)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl


@dataclass
class Parts:
    """What the files hold, before people are resolved."""

    connections: pl.DataFrame | None = None
    messages: pl.DataFrame | None = None  # one row per message, recips = list of struct
    messages_2018: bool = False
    message_text: pl.DataFrame | None = None  # row, subject, content
    others: list[pl.DataFrame] = field(default_factory=list)  # invitations, gives
    owner_name: str | None = None
    owner_positions: pl.DataFrame | None = None
    rows_read: int = 0
    rows_skipped: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    dates: list[datetime] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, name: str, read: int, skipped: int = 0, **extra: int) -> None:
        self.rows_read += read
        self.rows_skipped += skipped
        self.details[name] = {"rows": read, "skipped": skipped, **extra}

    def saw(self, column: pl.Series) -> None:
        latest = column.max()
        if latest is not None:
            self.dates.append(latest)
