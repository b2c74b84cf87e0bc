"""Batch scoring off one machine: the Spark engine (spark_score.py), which runs the same
Polars features and serving arrays as the local engine in ``groupBy(owner).applyInArrow``."""
