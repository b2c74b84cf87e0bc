"""``helpnext report``: the network at a glance, one offline HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import (
    AsOfOption,
    HomeOption,
    JsonOption,
    parse_as_of,
    print_json,
    resolve_home,
)


def report(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Where to write the page (default: report.html in the home).",
            show_default=False,
        ),
    ] = None,
    as_of: AsOfOption = None,
    home: HomeOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write one offline HTML page of your network's patterns over months: ties and the
    once-a-quarter check, touches by channel, the give ledger both ways, drifting ties, your
    plan and answers, how good the ranking is, and this week's plan. Charts are inline SVG;
    the page fetches nothing and is readable by you only (0600). Prints its path."""
    from recommender.report import write_report

    path = write_report(resolve_home(home), parse_as_of(as_of), out)
    if as_json:
        print_json({"report": str(path)})
        return
    typer.echo(f"Report written to {path} (open it in any browser; it works offline)")
