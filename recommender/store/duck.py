"""What every DuckDB connection of helpnext shares: its settings and the store's clock."""

from __future__ import annotations

from datetime import UTC, datetime

# helpnext never goes online: DuckDB must not fetch extensions on its own
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def utcnow() -> datetime:
    """Wall-clock now as a naive UTC datetime (the store's convention)."""
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
