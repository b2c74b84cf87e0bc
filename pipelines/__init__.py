"""Polars pipelines: ingest (one module per source), features, labels, train, evaluate, score."""
