"""Typer command modules. Each exposes ``register(app)``; ``recommender.cli`` joins them."""
