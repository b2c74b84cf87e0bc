"""``helpnext demo``: build the bundled sample network into the home and show its list."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from recommender.commands.common import HomeOption, console, resolve_home

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
    n: Annotated[int, typer.Option("--n", min=1, help="How many people to list.")] = 10,
) -> None:
    """Import the bundled sample network (two LinkedIn exports a year apart) into the home
    and print who to get back in touch with, as of the newer export."""
    from rich.table import Table

    from pipelines.ingest.linkedin import import_linkedin
    from recommender.commands.imports import report
    from recommender.importer import apply_batch
    from recommender.overdue import overdue_ties
    from recommender.store import open_store

    where = resolve_home(home)
    as_of = None
    with open_store(where) as store:
        for path in sample_paths():
            batch = import_linkedin(path)
            as_of = batch.as_of
            report(apply_batch(store, batch), as_json=False)
        owner = store.owner_id()
        ties = overdue_ties(store, as_of, owner, n=n)
    console.print(f"\nDemo home: {where}")
    if ties.height == 0:
        console.print("No warm tie is overdue.")
        return
    table = Table(title=f"Warm ties most overdue against their own rhythm, as of {as_of:%d %b %Y}")
    for column in ("contact", "company", "last in touch", "usual gap", "overdue", "sent/recv"):
        table.add_column(column)
    for row in ties.iter_rows(named=True):
        table.add_row(
            row["name"] or str(row["contact"]),
            row["company"] or "",
            f"{row['last_day']:%d %b %Y} ({row['days_since']} d ago)",
            f"{row['rhythm_days']:.0f} d",
            f"{row['overdue']:.1f}x",
            f"{row['sent']}/{row['received']}",
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
