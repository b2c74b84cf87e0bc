"""The store: one DuckDB file per home, and the only place that runs SQL."""
