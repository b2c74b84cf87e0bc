"""``helpnext demo``: build the bundled sample network into the home and show its list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender.cli.common import HomeOption, console, resolve_home
from recommender.cli.render import import_report, render_plan

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "data" / "sample"
SAMPLE_EXPORTS = ("linkedin-export-2023-06.zip", "linkedin-export-2024-06.zip")


def sample_paths(sample_dir: Path = SAMPLE_DIR) -> list[Path]:
    from recommender.errors import HelpnextError

    paths = [sample_dir / name for name in SAMPLE_EXPORTS]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise HelpnextError(
            f"the sample network is missing from {sample_dir} ({', '.join(missing)}); "
            "run `python data/generate_sample.py` in the helpnext source folder"
        )
    return paths


def demo(
    home: HomeOption = None,
    n: Annotated[int, typer.Option("--n", min=1, max=50, help="How many suggestions.")] = 6,
) -> None:
    """Import the bundled sample network (two LinkedIn exports a year apart, articles and
    job postings) into the home, print its daily plan as of the sample's last day, and
    write its report (report.html in the home)."""
    from pipelines.ingest.linkedin.export import import_linkedin
    from recommender.plan.daily import build_plan, latest_activity
    from recommender.plan.demo import build_demo_extras
    from recommender.report import write_report
    from recommender.store.db import open_store
    from recommender.store.importer import apply_batch

    where = resolve_home(home)
    with open_store(where) as store:
        for path in sample_paths():
            import_report(apply_batch(store, import_linkedin(path)), as_json=False)
        build_demo_extras(store, SAMPLE_DIR)
        moment = latest_activity(store)
        plan = build_plan(store, moment, n=n)
    console.print(f"\nDemo home: {where}  (try: helpnext --home {where} show CONTACT)")
    render_plan(plan)
    page = write_report(where, moment)
    typer.echo(f"\nThe demo network at a glance: {page} (open it in a browser; it works offline)")
