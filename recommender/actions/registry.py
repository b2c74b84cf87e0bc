"""The registry of give-first acts: the one place each act is declared.

An :class:`Act` says what an act is called (``name``, as stored in ``suggestions.action``),
how the CLI and the report print it, which interaction channel ``helpnext done`` and
``helpnext log --action`` record for it, whether it is a give, and where its candidate
function lives. :data:`ACTS` lists them in the order the plan computes them.

This module imports neither polars nor the act modules (``helpnext done`` reads it and must
stay fast): an act's candidate function is named by module and imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from recommender.actions.context import PlanContext

# what ``done`` records when a reason does not say the act's own kind of give
FALLBACK_CHANNEL = "message"


@dataclass(frozen=True)
class Act:
    name: str
    label: str  # as ``today`` prints it
    report_label: str  # as the report's table of answers prints it
    channel: str  # the interaction channel a give-back of this act is recorded with
    gives: bool  # a give (features and the give ledger count it as one)
    module: str  # the module whose ``candidates(ctx)`` proposes this act
    # ``done`` records ``channel`` only when the suggestion's reason holds this word
    # (else FALLBACK_CHANNEL): a give-back for an endorsement is an endorsement
    channel_when: str | None = None

    @property
    def candidates(self) -> Callable[[PlanContext], pl.DataFrame]:
        """The act's candidate function (its module is imported now)."""
        return import_module(self.module).candidates

    def done_channel(self, reason: str | None) -> str:
        """The channel ``helpnext done`` records for a suggestion of this act."""
        if self.channel_when is not None and self.channel_when not in (reason or "").lower():
            return FALLBACK_CHANNEL
        return self.channel


ACTS: tuple[Act, ...] = (
    Act(
        "reciprocate",
        "give back",
        "give back",
        "endorsement",
        True,
        "recommender.actions.reciprocate",
        channel_when="endors",
    ),
    Act(
        "congratulate",
        "congratulate",
        "congratulate",
        "message",
        False,
        "recommender.actions.congratulate",
    ),
    Act(
        "introduce", "introduce", "introduce", "introduction", True, "recommender.actions.introduce"
    ),
    Act("send_job", "send job", "send a job", "share", True, "recommender.actions.send_job"),
    Act(
        "share_article",
        "share article",
        "share an article",
        "share",
        True,
        "recommender.actions.share_article",
    ),
    Act("check_in", "check in", "check in", "message", False, "recommender.actions.check_in"),
)
BY_NAME: dict[str, Act] = {a.name: a for a in ACTS}


def act(name: str) -> Act:
    """The act called ``name`` (a KeyError for any other name)."""
    return BY_NAME[name]


def names() -> tuple[str, ...]:
    """Every act's name, in the plan's order."""
    return tuple(a.name for a in ACTS)


def give_names() -> frozenset[str]:
    """The names of the acts that are gives."""
    return frozenset(a.name for a in ACTS if a.gives)


def label(name: str) -> str:
    """How ``today`` prints the act ``name`` (the name itself for an unknown one)."""
    found = BY_NAME.get(name)
    return name if found is None else found.label


def report_label(name: str) -> str:
    """How the report prints the act ``name`` (the name itself for an unknown one)."""
    found = BY_NAME.get(name)
    return name if found is None else found.report_label
