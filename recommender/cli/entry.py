"""The ``helpnext`` console script.

Answering a suggestion (``done`` / ``skip`` / ``snooze`` / ``never``) is the command people
run most and it must feel instant, so it is answered by ``recommender.store.feedback.fast_cli``
without loading Typer and Rich; anything that path does not recognise (help, other
options, bad values) goes to the full command line in ``recommender.cli.app``, which gives
the same answer, only later.
"""

from __future__ import annotations

import sys

FEEDBACK_VERBS = frozenset({"done", "skip", "snooze", "never"})


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if FEEDBACK_VERBS.intersection(args[:3]):
        from recommender.actions.registry import BY_NAME
        from recommender.store.feedback import fast_cli

        code = fast_cli(args, BY_NAME)
        if code is not None:
            return code
    from recommender.cli.app import main as full_cli

    return full_cli(args)
