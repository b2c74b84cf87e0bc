"""Proof by simulation: a simulated owner with hidden preferences answers 30 daily plans
through the same Typer app the command line runs; the ranker that retrains every 3 days
ends up with a clearly higher done-rate than the same ranker with learning off.

``benchmarks/bench_simulation.py`` runs the full 60 days and prints the table; this test
runs 30 days of both rankers (side by side, two processes) to stay near a minute.
"""

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.slow
def test_the_learning_ranker_learns_what_the_owner_does(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import bench_simulation as sim
    finally:
        sys.path.remove(str(BENCH))

    lines: list[str] = []
    runs = sim.run_arms(days=30, retrain_every=3, seed=7, work=tmp_path, log=lines.append)
    summary = sim.report(runs, 30, log=lines.append)
    print("\n".join(lines))
    static, learned = runs["static"], runs["learning"]
    assert [d["shown"] for d in static["days"]] == [5] * 30
    assert [d["shown"] for d in learned["days"]] == [5] * 30
    # the same code before the first model: the same plans on the first days
    assert [d["people"] for d in learned["days"][:9]] == [d["people"] for d in static["days"][:9]]
    assert any(t["promoted"] for t in learned["trainings"])
    # one slot in five explores once a model is in use; never without one
    assert sum(d["explored"] for d in static["days"]) == 0
    assert sum(d["explored"] for d in learned["days"][20:]) == 10
    late_static = sim.done_rate(static, 16, 30)
    late_learned = sim.done_rate(learned, 16, 30)
    assert late_learned >= 1.3 * late_static, summary
    # it stopped offering what the owner never does
    assert sim.action_mix(learned, 16, 30).get("share_article", 0) < sim.action_mix(
        static, 16, 30
    ).get("share_article", 0)
    # and it does not freeze on a few people
    assert sim.distinct_people(learned) >= 30 and sim.distinct_people(static) >= 30
