"""The owner key of a personal home: the one person whose history it holds.

Kept free of heavy imports: the store (and so every light CLI command) reads it.
"""

PERSONAL_OWNER = "me"
