"""How good the ranking really is, judged on the owner's own history and never on what
the ranker learned from.

* With an engagement model trained before the report's moment: its card's backtest (each
  held-out validation cutoff: the model, fitted on older cutoffs only, against the best
  baseline), its calibration on those cutoffs (predicted against observed rate of writing
  within 7 days, by decile), and the features its trees split on most (read from its
  pickle-free serving form; nothing is unpickled).
* Otherwise the plan ranks by Interactions Rank, which learns nothing, so it is backtested
  here: at the last :data:`BACKTEST_CUTOFFS` weekly cutoffs T (with T + 7 days before the
  report's moment), everyone you exchanged with before T ranked by it and by the other
  baselines, against whom you wrote to in [T, T + 7 days).

Quality is the mean of NDCG@10 and MRR, as in training.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from recommender.report import svg
from recommender.report.section import Section, Table, day, plural, short_day

HORIZON = timedelta(days=7)
BACKTEST_CUTOFFS = 8
IN_USE = "interactions rank (28 days)"
HEURISTIC_BASELINES = ("recency", "frequency", "outgoing frequency")
FEATURES_SHOWN = 10
DECILES = 10


def engagement_card(home: Path) -> dict | None:
    """The card of the engagement model ``today`` uses (the newest), or None."""
    from recommender.registry import list_models

    cards = [c for c in list_models(home) if c.get("name") == "engagement"]
    return cards[-1] if cards else None


def trained_as_of(card: dict) -> datetime:
    """The moment the model's training history ends (it saw nothing from then on)."""
    return datetime.fromisoformat(str(card.get("details", {}).get("as_of")))


def quality_section(home: Path, events: pl.DataFrame, as_of: datetime) -> Section:
    section = Section("ranking", "How good the ranking is")
    section.notes.append(
        "Quality: the mean of NDCG@10 and MRR over the moments judged (1.0 = whoever you "
        "wrote to next was always ranked first)."
    )
    card = engagement_card(home)
    trained = None
    if card is not None:
        trained = trained_as_of(card)
    validation = (card or {}).get("metrics", {}).get("validation", {})
    selection = (card or {}).get("metrics", {}).get("selection") or {}
    if card is not None and trained <= as_of and selection.get("comparison", {}).get("per_cutoff"):
        _from_selection(section, home, card, selection)
        return section
    if card is not None and trained <= as_of and validation.get("cutoffs"):
        _from_card(section, home, card, validation)
        return section
    if card is None:
        why = (
            "Nothing trained on your history yet: the plan ranks with the prior shipped with "
            "helpnext (`helpnext train` compares it with the heuristics on your own weeks). "
            "Interactions Rank is backtested here on your own history."
        )
    elif trained > as_of:
        why = (
            f"The engagement model was trained on history up to {day(trained)}, after "
            "this report's moment, so it is not judged here; Interactions Rank, which "
            "learns nothing, is backtested instead."
        )
    elif selection:
        reason = selection.get("note") or "no held-out weeks"
        why = (
            f"Too little history to compare rankings on ({reason}); Interactions Rank is "
            "backtested here instead."
        )
    else:
        reason = validation.get("fallback") or "its card holds no backtest"
        why = f"The engagement model fell back to Interactions Rank: {reason}."
    section.notes.insert(0, why)
    _backtest(section, events, as_of)
    return section


# -- with a model: its card ----------------------------------------------------------------


def _from_selection(section: Section, home: Path, card: dict, selection: dict) -> None:
    """What ``train`` chose to rank with, judged on the held-out weeks it was chosen on,
    against the best heuristic of those weeks (NDCG@10)."""
    from pipelines.engagement.personal import label

    comparison = selection["comparison"]
    per = list(reversed(comparison["per_cutoff"]))  # oldest first
    chosen, best_h = selection["overall"], comparison["best_heuristic"]
    section.notes[0] = (
        "Quality: NDCG@10 on the held-out weeks (1.0 = whoever you wrote to next was always "
        "ranked first)."
    )
    section.notes.insert(
        0,
        f"Ranked by {label(chosen)} (model {card['model_id']}, trained on your history before "
        f"{day(datetime.fromisoformat(card['details']['as_of']))}), chosen on your "
        f"{plural(len(per), 'newest held-out week')}; every option was fitted on older weeks "
        "only."
        + (
            f" Dormant ties are ordered by {label(selection['dormant'])}."
            if selection.get("dormant") != chosen
            else ""
        ),
    )
    labels = [short_day(datetime.fromisoformat(r["cutoff"])) for r in per]
    _judged(
        section,
        labels,
        [r["chosen"] for r in per],
        [r["heuristic"] for r in per],
        label(chosen),
        label(best_h),
    )
    scores = comparison.get("overall") or {}
    section.tables.append(
        Table(
            "Every option on the held-out weeks (mean NDCG@10)",
            ["option", "everyone", "dormant ties"],
            [
                [label(k), f"{v:.3f}", _fmt(comparison.get("dormant", {}).get(k))]
                for k, v in sorted(scores.items(), key=lambda kv: -kv[1])
            ],
        )
    )


def _fmt(value) -> str:
    return "-" if value is None else f"{value:.3f}"


def _from_card(section: Section, home: Path, card: dict, validation: dict) -> None:
    baseline = validation.get("chosen_baseline", "baseline")
    cutoffs = validation.get("cutoffs", [])
    per = validation.get("per_cutoff") or []
    section.notes.insert(
        0,
        f"Model {card['model_id']}, trained on your history before "
        f"{day(datetime.fromisoformat(card['details']['as_of']))}; judged on its "
        f"{plural(len(cutoffs), 'held-out cutoff')} by a copy fitted on older cutoffs only.",
    )
    if per:
        rows = sorted(per, key=lambda r: -r["cutoff"])  # oldest first
        labels = [
            short_day(datetime.fromisoformat(cutoffs[r["cutoff"]]))
            if r["cutoff"] < len(cutoffs)
            else str(r["cutoff"])
            for r in rows
        ]
        model_q = [r["model"] for r in rows]
        base_q = [r["baseline"] for r in rows]
    else:  # a card from before per-cutoff figures: the means only
        weights = tuple(validation.get("chosen_weights", ()))
        model_mean = validation.get("blends", {}).get(str(weights))
        base_mean = validation.get("baselines", {}).get(baseline)
        if model_mean is None or base_mean is None:
            section.empty = (
                "The engagement model's card holds no backtest (an older helpnext): run "
                "`helpnext train` again to see it."
            )
            return
        labels, model_q, base_q = ["held-out cutoffs"], [model_mean], [base_mean]
        section.notes.append("Per-cutoff figures appear once the model is retrained.")
    _judged(section, labels, model_q, base_q, "the model", baseline)
    _calibration(section, validation.get("calibration") or [])
    weights = feature_weights(home)
    if weights:
        names, shares = zip(*weights, strict=True)
        section.charts.append(
            svg.hbars(
                list(names),
                list(shares),
                label="The features the model's trees split on most (share of all splits)",
                value_format="{:.0%}",
                fill=svg.color(4),
            )
        )
        section.tables.append(
            Table(
                "Features that weigh most",
                ["feature", "share of splits"],
                [[n, f"{s:.1%}"] for n, s in weights],
            )
        )


def _calibration(section: Section, calibration: list[dict]) -> None:
    """Predicted against observed by decile of the prediction: chart, note and table."""
    if not calibration:
        return
    section.charts.append(
        svg.lines(
            [f"{r['decile']}" for r in calibration],
            [
                svg.Series("predicted", [r["predicted"] for r in calibration], svg.color(0)),
                svg.Series("observed", [r["observed"] for r in calibration], svg.color(1)),
            ],
            label="Calibration: predicted and observed chance you write within 7 days, "
            "by decile of the prediction (1 = lowest)",
            fit=True,
        )
    )
    top = calibration[-1]
    section.notes.append(
        f"Calibration: in the top tenth of its predictions the model expected you to write "
        f"to {top['predicted']:.0%} of the people within 7 days, and you wrote to "
        f"{top['observed']:.0%}. Predictions are corrected for the non-targets left out in "
        "training."
    )
    section.tables.append(
        Table(
            "Calibration by decile (held-out cutoffs)",
            ["decile", "candidates", "predicted", "observed"],
            [
                [r["decile"], r["n"], f"{r['predicted']:.1%}", f"{r['observed']:.1%}"]
                for r in calibration
            ],
        )
    )


def feature_weights(home: Path, shown: int = FEATURES_SHOWN) -> list[tuple[str, float]]:
    """(feature, share of the trees' splits) of the newest engagement model's serving form,
    most used first; [] when it has no trees. Verified against its card, never unpickled."""
    from pipelines.features.engagement import FEATURE_COLUMNS
    from recommender.errors import ModelIntegrityError
    from recommender.registry import load_serving

    try:
        found = load_serving(home)
    except ModelIntegrityError:
        return []
    if found is None or "trees.feature" not in found[0]:
        return []
    arrays = found[0]
    used = arrays["trees.feature"][~arrays["trees.leaf"]]
    if used.size == 0:
        return []
    counts = np.bincount(used, minlength=len(FEATURE_COLUMNS))
    order = np.argsort(-counts, kind="stable")[:shown]
    return [(FEATURE_COLUMNS[i], float(counts[i] / used.size)) for i in order if counts[i]]


def _judged(section, labels, ranker_q, base_q, ranker: str, baseline: str) -> None:
    lead = [a - b for a, b in zip(ranker_q, base_q, strict=True)]
    section.charts.append(
        svg.columns(
            labels,
            [
                svg.Series(f"{ranker} ahead", [max(d, 0.0) for d in lead], svg.color(2)),
                svg.Series(
                    f"best baseline ({baseline}) ahead",
                    [max(-d, 0.0) for d in lead],
                    svg.color(3),
                    below=True,
                ),
            ],
            label=f"Backtest on your own history: how far {ranker} is ahead of (above the "
            "line) or behind (below) the best baseline at each cutoff, in quality points",
            sides=(f"{ranker} better", "baseline better"),
        )
    )
    section.tables.append(
        Table(
            "Backtest per cutoff",
            ["cutoff", ranker, f"best baseline ({baseline})"],
            [
                [lab, f"{a:.3f}", f"{b:.3f}"]
                for lab, a, b in zip(labels, ranker_q, base_q, strict=True)
            ],
        )
    )
    wins = sum(a > b for a, b in zip(ranker_q, base_q, strict=True))
    mean_r, mean_b = float(np.mean(ranker_q)), float(np.mean(base_q))
    verdict = "better than" if mean_r > mean_b else "no better than"
    section.takeaway = (
        f"On your own history {ranker} scores {mean_r:.3f} against {mean_b:.3f} for the best "
        f"baseline ({baseline}): {verdict} it, ahead on {wins} of "
        f"{plural(len(labels), 'cutoff')}."
    )


# -- without a model: Interactions Rank backtested here ------------------------------------


def _scores_at(events: pl.DataFrame, t: datetime) -> pl.DataFrame:
    """Every candidate at ``t`` (anyone exchanged with before it), its baseline scores and
    whether you wrote to them in [t, t + 7 days)."""
    from recommender.engagement import HALF_LIFE_DAYS, OUT_WEIGHT

    past = events.filter(pl.col("ts") < t)
    out = pl.col("direction") == "out"
    age = (pl.lit(t, dtype=pl.Datetime("us")) - pl.col("ts")).dt.total_seconds() / 86400.0
    scored = past.group_by("contact").agg(
        (pl.when(out).then(OUT_WEIGHT).otherwise(1.0) * 0.5 ** (age / HALF_LIFE_DAYS))
        .sum()
        .alias(IN_USE),
        (-age.min()).alias("recency"),
        pl.len().cast(pl.Float64).alias("frequency"),
        out.sum().cast(pl.Float64).alias("outgoing frequency"),
    )
    targets = events.filter(out & (pl.col("ts") >= t) & (pl.col("ts") < t + HORIZON))
    hit = targets.select(pl.col("contact").unique(), pl.lit(1).alias("label"))
    return (
        scored.join(hit, on="contact", how="left")
        .with_columns(pl.col("label").fill_null(0), pl.lit(1).alias("owner"))
        .sort("contact")
    )


def _quality(frame: pl.DataFrame, score: str, seed: int) -> float:
    from pipelines.metrics import owner_metrics, rank_within_owner

    per = owner_metrics(rank_within_owner(frame.select("owner", score, "label"), score, seed))
    return float((per["ndcg@10"][0] + per["mrr"][0]) / 2)


def _backtest(section: Section, events: pl.DataFrame, as_of: datetime) -> None:
    if events.height == 0:
        section.empty = (
            "Nothing to judge a ranking on: no exchanges yet (connections only). Import "
            "messages, mail or calendar (`helpnext import linkedin`, `import mbox`, `import ics`)."
        )
        return
    first = events["ts"].min()
    frames, cutoffs = [], []
    for k in range(BACKTEST_CUTOFFS):
        t = as_of - HORIZON - timedelta(weeks=k)
        if t <= first:
            break
        frame = _scores_at(events, t)
        if frame["label"].sum() > 0:
            frames.append(frame)
            cutoffs.append(t)
    if not frames:
        section.empty = (
            f"Nothing to judge a ranking on yet: you wrote to nobody you knew within 7 days of "
            f"any of the last {BACKTEST_CUTOFFS} weekly cutoffs before {day(as_of)}."
        )
        return
    frames, cutoffs = frames[::-1], cutoffs[::-1]  # oldest first
    quality = {
        name: [_quality(f, name, seed) for seed, f in enumerate(frames)]
        for name in (IN_USE, *HEURISTIC_BASELINES)
    }
    best = max(HEURISTIC_BASELINES, key=lambda n: (np.mean(quality[n]), n))
    _judged(section, [short_day(t) for t in cutoffs], quality[IN_USE], quality[best], IN_USE, best)
    pooled = pl.concat(
        f.with_columns(
            (pl.col(IN_USE).rank("ordinal") * DECILES // (f.height + 1) + 1).alias("decile")
        ).select("decile", "label")
        for f in frames
    )
    per = (
        pooled.group_by("decile")
        .agg(pl.len().alias("n"), pl.col("label").mean().alias("observed"))
        .sort("decile")
    )
    section.charts.append(
        svg.columns(
            [str(d) for d in per["decile"]],
            [svg.Series("you wrote within 7 days", per["observed"].to_list(), svg.color(1))],
            percent=True,
            label="How often you wrote within 7 days, by decile of Interactions Rank "
            "(1 = lowest; it gives no probability, only an order)",
        )
    )
    section.tables.append(
        Table(
            "Observed rate by decile of Interactions Rank",
            ["decile", "candidates", "wrote within 7 days"],
            [[r["decile"], r["n"], f"{r['observed']:.1%}"] for r in per.iter_rows(named=True)],
        )
    )
    section.notes.append(
        "Interactions Rank: the sum over past exchanges of 2 (from you) or 1 (to you) times "
        "0.5 ** (age / 28 days). It has no features to weigh; `helpnext train` learns a model "
        "that weighs about 70."
    )
