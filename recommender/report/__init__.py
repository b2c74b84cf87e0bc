"""``helpnext report``: the network at a glance, one offline HTML page.

    gather.py    what is read from the store, as of one moment
    ties.py      tiers, the once-a-quarter check, drifting ties
    activity.py  touches per month by channel, the give ledger
    answers.py   the plan and the owner's answers, this week's plan
    quality.py   how good the ranking is, on the owner's own history
    svg.py       the charts, inline SVG drawn in Python
    page.py      the HTML page (inline CSS, everything escaped)

:func:`write_report` builds the whole page in memory, then writes it to a temp file in the
target folder (mode 0600) and renames it into place: an error leaves nothing half-written.
"""

from __future__ import annotations

import os
import tempfile
from datetime import datetime
from pathlib import Path

from recommender.errors import HelpnextError, StoreError, UsageError
from recommender.store.paths import store_path

REPORT_FILE = "report.html"


def build_report(store, home: Path, as_of: datetime) -> str:
    """The page's HTML for the owner of ``store`` as of ``as_of``."""
    from recommender.plan.daily import build_plan
    from recommender.report.activity import ledger_section, touches_section, waiting
    from recommender.report.answers import answers_section, week_section
    from recommender.report.gather import gather
    from recommender.report.page import render
    from recommender.report.quality import engagement_card, quality_section, trained_as_of
    from recommender.report.ties import drifting_section, tie_section

    data = gather(store, home, as_of)
    card = engagement_card(home)
    # a model that learned from events after as_of must not rank this week's plan
    use_model = card is None or trained_as_of(card) <= as_of
    sections = [
        tie_section(data.stats, data.events, as_of),
        touches_section(data.events, as_of),
        ledger_section(data.events, data.people, as_of),
        drifting_section(data.stats),
        answers_section(data.suggestions, as_of),
        quality_section(home, data.events, as_of),
        week_section(
            build_plan(store, as_of, n=5, save=False, events=data.owner_events, use_model=use_model)
        ),
    ]
    stats = data.stats
    figures = [
        (f"{stats.height:,}", "people in your network"),
        (f"{int((stats['tier'] == 'strong').sum()):,}", "strong ties"),
        (f"{int(stats['past_rhythm'].sum()):,}", "past their own rhythm"),
        (f"{waiting(data.events, data.people).height:,}", "waiting for a give back"),
        (f"{data.events.height:,}", "interactions"),
    ]
    return render(sections, as_of=as_of, figures=figures, home=str(home))


def _target(home: Path, out: Path | None) -> Path:
    target = Path(out).expanduser() if out is not None else home / REPORT_FILE
    if target.is_dir():
        raise UsageError(f"--out {target}: is a folder; give a file name such as report.html")
    if not target.parent.is_dir():
        raise UsageError(f"--out {target}: the folder {target.parent} does not exist")
    if not os.access(target.parent, os.W_OK):
        raise UsageError(f"--out {target}: cannot write in {target.parent} (permission denied)")
    return target


def write_private(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (temp file beside it, then rename), 0600."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as err:
        raise UsageError(f"--out {target}: cannot write there ({err.strerror})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except OSError as err:
        Path(tmp).unlink(missing_ok=True)
        raise UsageError(f"--out {target}: cannot write there ({err.strerror})") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(home: Path, as_of: datetime | None = None, out: Path | None = None) -> Path:
    """Write the report of ``home`` as of ``as_of`` (default: now) and return its path."""
    from recommender.store.db import open_store, utcnow

    home = Path(home).expanduser()
    if not home.is_dir():
        raise HelpnextError(
            f"no helpnext home at {home}: import your history first, or pass --home"
        )
    if not store_path(home).is_file():
        raise StoreError(
            f"no helpnext store in {home} (expected {store_path(home).name}): import your "
            "history first, e.g. `helpnext import linkedin EXPORT.zip`"
        )
    target = _target(home, out)
    with open_store(home, read_only=True) as store:
        html = build_report(store, home, as_of or utcnow())
    write_private(target, html)
    return target
