"""Introduction candidates for 30,000 contacts: the sparse top-k neighbour search on TF-IDF
profile vectors plus pair scoring, on the home of ``bench_today.py`` (built on first use).
Target: under 10 s.

    .venv/bin/python benchmarks/bench_introductions.py [--contacts 30000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> int:
    from bench_today import AS_OF, ensure_home

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=30_000)
    parser.add_argument("--interactions", type=int, default=1_000_000)
    parser.add_argument(
        "--home", type=Path, default=Path(tempfile.gettempdir()) / "helpnext-bench-today"
    )
    args = parser.parse_args()
    home = ensure_home(args.home, args.contacts, args.interactions)

    from recommender.actions import introduce
    from recommender.actions.context import build_context
    from recommender.store.db import open_store

    with open_store(home, read_only=True) as store:
        ctx = build_context(store, store.owner_id(create=False), AS_OF)
        everyone = ctx.stats["contact"].to_list()
        # every tie with exchanges both ways counts as warm here, whatever its last date
        introduce.WARM_DAYS = float("inf")
        warm = introduce.warm_ties(ctx, everyone).height
        started = time.perf_counter()
        pairs = introduce.introduction_pairs(ctx, everyone)
        took = time.perf_counter() - started
    complementary = int(pairs["complementary"].sum()) if pairs.height else 0
    print(f"home: {args.contacts:,} contacts, {args.interactions:,} interactions")
    print(
        f"introduction candidates among {warm:,} warm ties (k = {introduce.K_NEIGHBOURS}): "
        f"{pairs.height:,} scored pairs ({complementary:,} hiring x looking) in {took:.2f} s "
        "(target < 10 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
