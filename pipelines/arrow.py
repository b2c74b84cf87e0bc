"""Polars frames handed to DuckDB without pyarrow."""

from __future__ import annotations


class ArrowStream:
    """A Polars frame seen by DuckDB through the Arrow C stream interface only, so
    ``con.register(name, ArrowStream(frame))`` needs no pyarrow (DuckDB would convert a
    Polars frame itself with ``to_arrow()``, which imports it: 0.2 s of a daily plan)."""

    def __init__(self, frame):
        self.frame = frame

    def __arrow_c_stream__(self, requested_schema=None):
        return self.frame.__arrow_c_stream__(requested_schema)
