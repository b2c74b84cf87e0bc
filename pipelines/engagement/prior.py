"""The prior: an engagement model learned from many people's histories, shipped in the package.

A personal home has one owner's events: a few dozen weekly cutoffs to learn from. The prior
is learned instead from thousands of (owner, cutoff) groups of other people's logs, every
owner seen *as in a personal home* (:func:`pipelines.engagement.personal.personal_view`: contact-side
features from that owner's side only), so what it learned transfers to a home with one
owner. Its training data, all in ``../shared/data`` or generated here, nothing else:

* ``prior`` (e-mail-like histories): the shared email-Eu-core log and its Dept3 slice, with
  every label before the first cutoff of the evaluation protocol (60 % of the log's span),
  so evaluating on those logs never scores a moment the prior saw the future of; and
  generated steady e-mail and quarterly check-ins (:mod:`pipelines.synthetic`);
* ``prior:chat`` (chat-like histories): generated bursty chat and a term's chat with churn.

Fixed seeds throughout. A home's own held-out weeks choose between the two
(:mod:`pipelines.engagement.personal`).

``python -m pipelines.engagement.prior --shared ../shared --out recommender/shipped`` (``make prior``)
rebuilds them: same inputs, same bytes (fixed seeds, one thread, a zip with fixed dates).
Each is written as ``<name>.npz`` (plain arrays, :func:`pipelines.engagement.serving.export_ranker`)
and ``<name>.json``, its card: the file's sha256, the training data and their hashes, the
validation metrics, the library versions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import platform
import sys
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.cards import card_digest
from pipelines.columns import OWNER, TS
from pipelines.features.labels import DEFAULT_HORIZON

CARD_VERSION = 1
SHARED_LOGS = (
    ("email-Eu-core", "data/interactions/email-Eu-core-temporal.txt.gz"),
    ("email-Eu-core Dept3", "data/interactions/email-Eu-core-temporal-Dept3.txt"),
)
TRAIN_UNTIL = 0.6  # labels of a shared log end before this share of its span
# the shipped priors: ranking option name -> (file stem, shared logs, generated logs). Logs
# differ in what predicts the next message (a rhythm in e-mail, recency in chat), and one
# model of all of them ranked chat-like homes far below recency (measured: -0.26 NDCG@10 on
# a generated term chat): so two, and each home's own held-out weeks choose between them
PRIORS = {
    "prior": (
        "engagement-prior",
        SHARED_LOGS,
        (("steady", 102), ("checkin", 103)),
    ),
    "prior:chat": (
        "engagement-prior-chat",
        (),
        (("bursty", 101), ("term_chat", 104), ("term_chat", 105), ("term_chat", 106)),
    ),
}
N_CUTOFFS = 30
CUTOFF_STEP = timedelta(days=14)
GROUPS_PER_LOG = 4000
OWNER_STRIDE = 1 << 32  # owners of different logs kept apart in the pooled training set


@dataclass
class LogPart:
    name: str
    source: str
    sha256: str
    events: pl.DataFrame  # the edge list's every-node view
    until: datetime


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def training_logs(shared: Path, logs=SHARED_LOGS, generated=()) -> list[LogPart]:
    """A prior's training logs: shared real logs (paths under ``shared``), then generated."""
    from pipelines.engagement.train import events_hash
    from pipelines.ingest.edges import events_from_edges, read_edges
    from pipelines.synthetic import GENERATORS

    parts = []
    for name, rel in logs:
        path = shared / rel
        if not path.is_file():
            raise FileNotFoundError(f"{path}: the prior is trained on it; is ../shared beside?")
        events = events_from_edges(read_edges(path))
        lo, hi = events.select(pl.col(TS).min().alias("lo"), pl.col(TS).max().alias("hi")).row(0)
        until = lo + timedelta(seconds=int(TRAIN_UNTIL * (hi - lo).total_seconds()))
        parts.append(LogPart(name, rel, _sha256(path), events, until))
    for kind, seed in generated:
        events = events_from_edges(GENERATORS[kind](seed=seed))
        until = events[TS].max() + timedelta(seconds=1)
        source = f"pipelines.synthetic.{kind}_log(seed={seed})"
        parts.append(LogPart(f"generated {kind}", source, events_hash(events), events, until))
    return parts


def pooled_training_set(parts: list[LogPart], horizon: timedelta = DEFAULT_HORIZON):
    """Training rows of every log (each owner in personal view), owners kept apart; and
    per-log counts for the card."""
    from pipelines.engagement.personal import personal_view
    from pipelines.engagement.train import CUTOFF, training_cutoffs, training_set

    frames, counts = [], []
    for i, part in enumerate(parts):
        view = personal_view(part.events)
        cutoffs = training_cutoffs(view, part.until, horizon, n=N_CUTOFFS, step=CUTOFF_STEP)
        data, used = training_set(view, cutoffs, horizon, GROUPS_PER_LOG)
        if data.height == 0:
            continue
        frames.append(data.with_columns(pl.col(OWNER) + i * OWNER_STRIDE))
        counts.append(
            {
                "log": part.name,
                "source": part.source,
                "sha256": part.sha256,
                "events": part.events.height // 2,
                "labels_before": part.until.isoformat(),
                "cutoffs": len(used),
                "groups": data.select(CUTOFF, OWNER).unique().height,
                "rows": data.height,
            }
        )
    return pl.concat(frames, how="vertical_relaxed"), counts


def train_prior(parts: list[LogPart], random_state: int = 0):
    """(fitted EngagementRanker, card fields) of a prior trained on ``parts``."""
    from pipelines.engagement.train import CUTOFF, fit_and_choose

    data, counts = pooled_training_set(parts)
    n_val = max(2, round(0.25 * N_CUTOFFS))
    model, validation = fit_and_choose(data, n_val, random_state=random_state)
    info = {
        "training_data": counts,
        "training_rows": data.height,
        "training_groups": data.select(CUTOFF, OWNER).unique().height,
        "metrics": {"validation": validation},
    }
    return model, info


def deterministic_npz(arrays: dict[str, np.ndarray]) -> bytes:
    """``np.savez``'s format with fixed member dates and order: the same arrays, the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def library_versions() -> dict[str, str]:
    """Versions of Python and the libraries a model depends on (for model cards)."""
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "polars": pl.__version__,
        "numpy": np.__version__,
    }


def build(shared: Path, out: Path, option: str = "prior") -> dict:
    """Train one prior, check its serving form, write the file and its card; the card."""
    from pipelines.engagement.personal import personal_view
    from pipelines.engagement.serving import PortableRanker, check_same_scores, export_ranker
    from pipelines.features.engagement import FEATURE_COLUMNS, build_features

    stem, logs, generated = PRIORS[option]
    parts = training_logs(shared, logs, generated)
    model, info = train_prior(parts)
    arrays = export_ranker(model)
    sample = personal_view(parts[0].events.filter(pl.col(OWNER) < 50))
    features = build_features(sample, parts[0].until).collect()
    check_same_scores(model, PortableRanker(arrays), features)
    data = deterministic_npz(arrays)
    card = {
        "card_version": CARD_VERSION,
        "name": stem,
        "option": option,
        "file": f"{stem}.npz",
        "sha256": hashlib.sha256(data).hexdigest(),
        "built_by": "make prior (python -m pipelines.engagement.prior)",
        "estimator": "pipelines.engagement.train.EngagementRanker",
        "params": json.loads(json.dumps(model.get_params(), default=str)),
        "feature_columns": FEATURE_COLUMNS,
        "horizon_days": DEFAULT_HORIZON.days,
        "versions": library_versions(),
    } | info
    card["card_sha256"] = card_digest(card)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.npz").write_bytes(data)
    (out / f"{stem}.json").write_text(
        json.dumps(card, indent=2, sort_keys=True, default=str) + "\n"
    )
    return card


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(__file__).parents[3] / "shared")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parents[2] / "recommender" / "shipped"
    )
    args = parser.parse_args(argv)
    for option in PRIORS:
        try:
            card = build(args.shared, args.out, option)
        except FileNotFoundError as err:
            print(f"prior: {err}", file=sys.stderr)
            return 1
        print(
            f"wrote {args.out / card['file']} (sha256 {card['sha256'][:12]}...) from "
            f"{card['training_groups']:,} (owner, cutoff) groups of "
            f"{len(card['training_data'])} logs"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
