"""Give-first acts: one module per act, their registry, and the plan context."""
