"""helpnext: who in your professional network to help next, and how."""

__version__ = "0.1.0"
