"""Today's plan: the pool, the choice, exploration, the demo extras."""
