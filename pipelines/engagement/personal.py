"""Personal mode: one owner's history alone, ranked by whatever ranks *that* history best.

A personal home holds one owner's events, a few dozen (owner, cutoff) groups to learn
from: too few for a model of its own to beat a one-line heuristic everywhere. So ``train``
compares, on the owner's own weekly cutoffs before ``as_of`` (nothing at or after it is
read):

* ``prior`` and ``prior:chat``: the engagement models shipped with the package, learned
  from many people's e-mail-like and chat-like histories (:mod:`pipelines.engagement.prior`);
* ``own``: an engagement model fitted on this owner's history alone
  (:func:`pipelines.engagement.train.fit_and_choose`);
* ``avg:a+b+...``: options together (their within-owner percentile ranks averaged);
* ``base:<name>``: each strong heuristic (Interactions Rank, recency, out-frequency, ...).

The priors and the heuristics learned nothing from this owner, so every past week is held
out for them and judges them: the default for everyone is the prior that ranked those
weeks better, unless a member of a fixed family (each prior, each heuristic, each prior
with each heuristic) beat it on them by more than :data:`GATE_SE` standard errors; the
dormant ties (no exchange in :data:`pipelines.features.engagement.DORMANT_DAYS` days) get
their own default, the same way on their targets from a smaller family (the heuristics of
:data:`PARTNERS` only: far fewer targets). Another option (the owner's model, alone or
with a prior; a heuristic) replaces a default only when it beats it on the newest weeks,
after every week that model was fitted on, by the same margin of the paired per-cutoff
difference: a default stands on every past week, and a switch needs evidence from the
newest ones, where the home's present habits show (a few weeks are noisy, and the best of
several options on them is optimistic). The owner's model is not a challenger on the
dormant ties: those weeks hold too few dormant targets to judge it there. The dormant
ties are re-ordered among themselves, their slots staying those of the overall ranking. With
fewer than :data:`MIN_VALIDATION` + 1 usable cutoffs, a prior ranks (the chat prior only if
it ranked the weeks there are better than the e-mail prior), and the result says so.

Measured by the personal protocol (``benchmarks/bench_personal.py``; README, "Learning who
you will engage with") on the shared logs and generated logs of five shapes: within the
interval of the best heuristic picked afterwards, above it on most, below it on a few.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import polars as pl

from pipelines.columns import CONTACT, OWNER, TS, conform_events
from pipelines.engagement.ranking import reorder_within, segment_mask, within_owner_pct
from pipelines.features.baselines import BASELINES
from pipelines.features.labels import DEFAULT_HORIZON, LABEL
from pipelines.metrics import owner_metrics, rank_within_owner

PRIOR = "prior"  # the prior learned from e-mail-like networks (the default)
CHAT_PRIOR = "prior:chat"  # the prior learned from chat-like networks
OWN = "own"
BASE = "base:"
AVG = "avg:"  # "avg:a+b+...": the options' within-owner percentile ranks, averaged
COMBINED = f"{AVG}{PRIOR}+{OWN}"
MIN_EVENTS = 200  # fewer events before as_of: no model of the owner's own
MIN_VALIDATION = 3  # fewer held-out cutoffs with a target: the prior, no comparison
MAX_VALIDATION = 12
MIN_OWN_GROUPS = 8  # cutoffs an owner-only model needs to be fitted at all
GATE_SE = 1.0  # standard errors by which a challenger must beat the default on validation
FALLBACK = "base:ir_28d_w2"  # when no prior can be used
# the heuristics the default may lean on, one of each memory length: the last exchange,
# Interactions Rank with 7-, 28- and 56-day half-lives, all-time counts both ways and sent
PARTNERS = ("recency", "ir_7d_w2", "ir_28d_w2", "ir_56d_w1", "frequency", "out_frequency")

# what the options are called where a person reads them (today's reasons, `models`)
LABELS = {
    PRIOR: "the prior (learned from many people's histories)",
    CHAT_PRIOR: "the chat prior (learned from many people's chats)",
    OWN: "your own model",
    "heuristic": "Interactions Rank (no model)",
}
BASE_LABELS = {
    "recency": "recency",
    "frequency": "frequency",
    "out_frequency": "how often you wrote to them",
}


def components(option: str) -> list[str]:
    """The single options an option is made of (itself, or an average's parts)."""
    return option[len(AVG) :].split("+") if option.startswith(AVG) else [option]


def label(option: str) -> str:
    """How ``option`` reads in a reason: "ranked by ..."."""
    if option.startswith(AVG):
        names = [
            label(p) if p.startswith(BASE) else label(p).split(" (")[0] for p in components(option)
        ]
        return ", ".join(names[:-1]) + f" and {names[-1]} together"
    if option.startswith(BASE):
        name = option[len(BASE) :]
        if name.startswith("ir_"):
            half, w = name[3:].split("d_w")
            return f"Interactions Rank ({half}-day half-life, w={w})"
        return BASE_LABELS.get(name, name)
    return LABELS.get(option, option)


def personal_view(events: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Every owner's events as if each owner had a home of their own: contact ids made
    unique per owner, so the contact-side features (a contact's activity with anyone, the
    two-hop count) see only that owner's side, exactly as in a one-owner home."""
    ev = conform_events(events).collect()
    if ev.height == 0:
        return ev
    offset = int(ev[OWNER].max()) + 1
    width = int(ev[CONTACT].max()) + 1
    pair = (pl.col(OWNER).cast(pl.Int64) * width + pl.col(CONTACT)).rank("dense").cast(pl.Int64)
    return ev.with_columns((pair + offset).alias(CONTACT))


# -- the options' scores -----------------------------------------------------------------


def option_scores(
    option: str, frame: pl.DataFrame, priors: dict, own, memo: dict | None = None
) -> np.ndarray:
    """One score per row of a feature frame under ``option`` (higher = sooner).
    ``priors``: prior name -> ranker; ``own``: the owner's model or None; ``memo`` keeps
    each single option's scores of this frame, so options sharing a part score it once."""
    if memo is not None:
        if option not in memo:
            memo[option] = (
                option_scores(option, frame, priors, own)
                if not option.startswith(AVG)
                else _average(option, frame, priors, own, memo)
            )
        return memo[option]
    if option.startswith(AVG):
        return _average(option, frame, priors, own, {})
    if option.startswith(BASE):
        return frame.select(BASELINES[option[len(BASE) :]])[:, 0].to_numpy().astype(np.float64)
    if option == OWN:
        if own is None:
            raise ValueError(f"option {option!r} needs the owner's own model")
        return np.asarray(own.rank_scores(frame), dtype=np.float64)
    if option in (priors or {}):
        return np.asarray(priors[option].rank_scores(frame), dtype=np.float64)
    raise ValueError(f"ranking option {option!r} is unknown or its model is not loaded")


def _average(option: str, frame: pl.DataFrame, priors: dict, own, memo: dict) -> np.ndarray:
    owner = frame[OWNER].to_numpy()
    parts = [option_scores(p, frame, priors, own, memo) for p in components(option)]
    return sum(within_owner_pct(owner, p) for p in parts)


def check_option(option: str, priors: dict, own) -> None:
    """Refuse an option that names an unknown heuristic or a model that is not there."""
    for part in components(option):
        if part.startswith(BASE):
            if part[len(BASE) :] not in BASELINES:
                raise ValueError(f"unknown heuristic {part!r}")
        elif part == OWN:
            if own is None:
                raise ValueError(f"option {option!r} needs the owner's own model")
        elif part not in (priors or {}):
            raise ValueError(f"ranking option {option!r}: {part!r} is not loaded")


class PersonalRanker:
    """Ranks a feature frame the way :func:`select_personal` chose: ``overall`` orders
    everyone, ``dormant`` re-orders the dormant candidates inside their slots.

    ``priors`` (name -> ranker) and ``own`` are rankers with ``rank_scores(frame)``
    (estimators or their pickle-free serving forms); only those the options use are needed."""

    def __init__(self, overall: str, dormant: str, priors: dict | None = None, own=None):
        priors = priors or {}
        for option in (overall, dormant):
            check_option(option, priors, own)
        self.overall, self.dormant, self.priors, self.own = overall, dormant, priors, own

    def rank_scores(self, frame: pl.DataFrame) -> np.ndarray:
        if frame.height == 0:
            return np.zeros(0)
        memo: dict = {}
        total = option_scores(self.overall, frame, self.priors, self.own, memo)
        if self.dormant == self.overall:
            return total
        within = option_scores(self.dormant, frame, self.priors, self.own, memo)
        mask = segment_mask("dormant", frame["age_last_any"].to_numpy())
        return reorder_within(frame[OWNER].to_numpy(), total, within, mask)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The whole ranking as plain arrays (one ``.npz``, no pickle): the options and each
        model part under ``part.<name>.`` (:func:`from_arrays` reads it back)."""
        from pipelines.engagement.serving import PortableRanker, export_ranker

        arrays = {
            "personal.format": np.array(BUNDLE_FORMAT),
            "personal.overall": np.array(self.overall),
            "personal.dormant": np.array(self.dormant),
        }
        parts = dict(self.priors) | ({OWN: self.own} if self.own is not None else {})
        for name, ranker in parts.items():
            prefix = f"part.{name}."
            if isinstance(ranker, PortableRanker):
                arrays |= ranker.arrays(prefix)
            else:  # a fitted estimator
                arrays |= export_ranker(ranker, prefix)
        return arrays

    def ranked_by(self, frame: pl.DataFrame) -> np.ndarray:
        """Per row, the option that placed it (the dormant one for dormant candidates)."""
        dormant = segment_mask("dormant", frame["age_last_any"].to_numpy())
        return np.where(dormant, self.dormant, self.overall).astype(object)


BUNDLE_FORMAT = 1


def is_bundle(arrays: dict) -> bool:
    return "personal.format" in arrays


def from_arrays(arrays: dict[str, np.ndarray]) -> PersonalRanker:
    """The :class:`PersonalRanker` of :meth:`PersonalRanker.to_arrays`' arrays."""
    from pipelines.engagement.serving import ExportError, PortableRanker

    if int(arrays["personal.format"]) != BUNDLE_FORMAT:
        raise ExportError(f"unknown ranking bundle format {arrays['personal.format']!r}")
    overall, dormant = str(arrays["personal.overall"]), str(arrays["personal.dormant"])
    names = {p for o in (overall, dormant) for p in components(o) if not p.startswith(BASE)}
    parts = {n: PortableRanker(arrays, f"part.{n}.") for n in names}
    own = parts.pop(OWN, None)
    return PersonalRanker(overall, dormant, parts, own)


# -- selection on the owner's own recent past ---------------------------------------------


def _per_group(frame: pl.DataFrame, scores: np.ndarray, seed: int) -> np.ndarray:
    """NDCG@10 of every (cutoff, owner) group with a target, ordered by group key."""
    if frame.height == 0:
        return np.zeros(0)
    part = frame.select(OWNER, LABEL).with_columns(pl.Series("score", scores))
    return owner_metrics(rank_within_owner(part, "score", seed=seed))["ndcg@10"].to_numpy()


@dataclass
class Selection:
    overall: str
    dormant: str
    note: str | None = None
    comparison: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"overall": self.overall, "dormant": self.dormant, "note": self.note} | (
            {"comparison": self.comparison} if self.comparison else {}
        )


@dataclass
class PersonalResult:
    selection: Selection
    own: object | None  # the owner-only model refitted on every cutoff before as_of
    cutoffs: list[datetime]
    n_rows: int
    own_validation: dict


def _choose(results: dict[str, np.ndarray], default: str, k: float = GATE_SE) -> str:
    """``default`` unless another option beats it on the same groups by more than ``k``
    standard errors of the paired per-group difference; then the one that does by most.

    A few held-out weeks are noisy, and the best of a dozen options on them is optimistic:
    moving off the option that is best a priori needs evidence, not a lucky week."""
    base = results.get(default)
    if base is None or len(base) == 0:
        return default
    best, best_margin = default, 0.0
    for option, q in results.items():
        if option == default or len(q) != len(base) or len(q) < 2:
            continue
        diff = q - base
        margin = diff.mean() - k * diff.std(ddof=1) / np.sqrt(len(diff))
        if margin > best_margin:
            best, best_margin = option, margin
    return best


def candidate_options(priors: dict, own) -> list[str]:
    """The options every selection compares: each prior, each prior with the owner's model,
    the owner's model, each heuristic."""
    options = list(priors)
    if own is not None:
        options += [f"{AVG}{name}+{OWN}" for name in priors] + [OWN]
    return options + [f"{BASE}{name}" for name in BASELINES]


def compare_options(
    val: pl.DataFrame, priors: dict, own, options: list[str] | None = None, seed: int = 0
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(overall, dormant) NDCG@10 of each option (default: :func:`candidate_options`) on
    the validation frame ``val`` (owner keys per (cutoff, owner) group, as
    :func:`pipelines.engagement.train.by_group` makes)."""
    mask = segment_mask("dormant", val["age_last_any"].to_numpy())
    dormant = val.filter(pl.Series(mask))
    overall_q, dormant_q, memo = {}, {}, {}
    for option in options if options is not None else candidate_options(priors, own):
        scores = option_scores(option, val, priors, own, memo)
        overall_q[option] = _per_group(val, scores, seed)
        dormant_q[option] = _per_group(dormant, scores[mask], seed)
    return overall_q, dormant_q


def family(priors: dict, heuristics=PARTNERS) -> list[str]:
    """The fixed rankers a default is chosen from (none learned anything from the owner):
    each prior, each of ``heuristics``, and each prior with each of them."""
    partners = [f"{BASE}{name}" for name in heuristics]
    return list(priors) + partners + [f"{AVG}{e}+{p}" for e in priors for p in partners]


def _expert(weeks_q: dict[str, np.ndarray], priors: dict) -> str:
    """The prior that ranked the weeks of ``weeks_q`` better (the first, the e-mail prior,
    on a tie): e-mail-like or chat-like histories."""
    return max(priors, key=lambda name: float(weeks_q[name].mean()))


def defaults(
    weeks_q: dict[str, np.ndarray], weeks_dormant_q: dict[str, np.ndarray], priors: dict
) -> tuple[str, str]:
    """(everyone's default, the dormant ties' default), from the scores of every past week
    of the owner (``weeks_q``, ``weeks_dormant_q``: NDCG@10 per week, on all targets and on
    the dormant ones): the prior that ranked those weeks better (the expert: e-mail-like or
    chat-like histories), unless a member of :func:`family` beat it on them by more than
    :data:`GATE_SE` standard errors of the paired difference. The priors and heuristics
    learned nothing from this owner, so each past week is held out for them; but a short
    history has few weeks, and the best of a few dozen rankers on them is a lucky one (on
    a generated term chat, always taking the best lost 0.04 overall to recency, the gate
    won 0.06). The dormant ties are where homes differ most (a chat goes quiet for a term,
    an e-mail tie for a year), so they get their own default, from the smaller family of
    :data:`PARTNERS` (one heuristic of each memory length: they have far fewer targets).
    Without a week with a dormant target, the expert ranks them."""
    expert = _expert(weeks_q, priors)
    overall = _choose({k: weeks_q[k] for k in family(priors, BASELINES)}, expert)
    quiet = {name: weeks_dormant_q[name] for name in family(priors) if len(weeks_dormant_q[name])}
    if not quiet:
        return overall, expert
    return overall, _choose(quiet, expert)


def _comparison(
    used: list[datetime],
    defaults_: tuple[str, str],
    overall: str,
    overall_q: dict[str, np.ndarray],
    dormant_q: dict[str, np.ndarray],
    weeks_q: dict[str, np.ndarray],
) -> dict:
    """What the card records of a selection: each option's mean NDCG@10, the rule, the
    weeks judged on and, per week, the option chosen for everyone beside the best heuristic."""
    default, dormant_default = defaults_
    dormant_groups = max(len(v) for v in dormant_q.values())
    compared = used[: len(overall_q[default])]  # the weeks judged on, newest first
    comparison = {
        "measure": "mean NDCG@10 over your newest weekly cutoffs, after the ones your own "
        "model was fitted on (the defaults were chosen on every past week: every_week)",
        "rule": f"the default ({default}; {dormant_default} for dormant ties) unless another "
        f"option beats it by more than {GATE_SE:g} standard errors of the paired difference",
        "default": default,
        "dormant_default": dormant_default,
        "validation_cutoffs": [c.isoformat() for c in compared],
        "every_week": {k: round(float(v.mean()), 4) for k, v in weeks_q.items()},
        "every_week_cutoffs": len(used),
        "overall": {k: round(float(v.mean()), 4) for k, v in overall_q.items()},
        "dormant": {k: round(float(v.mean()), 4) for k, v in dormant_q.items() if len(v)},
        "dormant_groups": dormant_groups,
    }
    heuristics = {k: v for k, v in overall_q.items() if k.startswith(BASE)}
    best_h = max(heuristics, key=lambda k: float(heuristics[k].mean()))
    if len(overall_q[overall]) == len(compared):  # one group per cutoff, newest first
        comparison["best_heuristic"] = best_h
        comparison["per_cutoff"] = [
            {
                "cutoff": cutoff.isoformat(),
                "chosen": round(float(overall_q[overall][i]), 4),
                "heuristic": round(float(overall_q[best_h][i]), 4),
            }
            for i, cutoff in enumerate(compared)
        ]
    return comparison


def _judged(
    val: pl.DataFrame, priors: dict, own_val, defaults_: tuple[str, str], seed: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """(overall, dormant) NDCG@10 of the options that may replace each slice's default, and
    of that default, on the newest weeks (``val``: after every week the owner's model was
    fitted on). A default is chosen on every past week; replacing it needs evidence from
    the newest ones, where a home's present habits show. The owner's model is a challenger
    for everyone only: the newest weeks hold a handful of dormant targets at most, too few
    to judge a model fitted on the owner's own history there (on both shared logs it lost
    on that slice whenever it passed the gate). Everyone's default is not a challenger on
    the dormant ties, nor theirs on everyone."""
    options, fixed = candidate_options(priors, own_val), candidate_options(priors, None)
    judged = list(dict.fromkeys(options + list(defaults_)))
    overall_q, dormant_q = compare_options(val, priors, own_val, judged, seed)
    overall = set(options) | {defaults_[0]}
    dormant = set(fixed) | {defaults_[1]}
    return (
        {k: v for k, v in overall_q.items() if k in overall},
        {k: v for k, v in dormant_q.items() if k in dormant},
    )


def _few_weeks_prior(weeks: pl.DataFrame | None, priors: dict, fallback: str, seed: int) -> str:
    """With too few weeks to compare rankings on, the prior of the history's kind: of the
    shipped priors (e-mail-like, chat-like), the one that ranked the weeks there are better,
    the e-mail prior on a tie or with no week. Two options learned nothing from this owner:
    a week or two tells a term's chat from a mailbox (on a generated term chat, the e-mail
    prior put the one target of a one-week home 16th of 17, recency and the chat prior
    first), where a choice among dozens would be a lucky draw."""
    if weeks is None or weeks.height == 0 or len(priors) < 2:
        return fallback
    return _expert(compare_options(weeks, priors, None, list(priors), seed)[0], priors)


def select_personal(
    events: pl.DataFrame,
    as_of: datetime,
    priors: dict,
    horizon: timedelta = DEFAULT_HORIZON,
    *,
    n_cutoffs: int = 40,
    random_state: int = 0,
) -> PersonalResult:
    """Choose how to rank one owner's contacts at ``as_of`` from that owner's events
    before it (see the module docstring); fit the owner-only model on every cutoff when
    the choice uses it."""
    from pipelines.engagement import train

    CUTOFF, by_group, fit_and_choose = train.CUTOFF, train.by_group, train.fit_and_choose
    training_cutoffs, training_set = train.training_cutoffs, train.training_set
    past = conform_events(events).collect().filter(pl.col(TS) < as_of)
    cutoffs = training_cutoffs(past, as_of, horizon, n=n_cutoffs)
    data, used = training_set(past, cutoffs, horizon) if cutoffs else (pl.DataFrame(), [])
    priors = dict(priors or {})
    fallback = PRIOR if PRIOR in priors else next(iter(priors), FALLBACK)
    if len(used) < MIN_VALIDATION + 1:
        weeks = by_group(data) if used else None
        fallback = _few_weeks_prior(weeks, priors, fallback, random_state)
        note = (
            f"only {len(used)} weekly cutoff(s) before {as_of:%Y-%m-%d} with a message to a "
            f"known contact (need {MIN_VALIDATION + 1}) to compare rankings on: ranking with "
            f"{label(fallback)}"
        )
        return PersonalResult(Selection(fallback, fallback, note), None, used, data.height, {})
    n_val = min(MAX_VALIDATION, max(MIN_VALIDATION, len(used) // 3), len(used) - 1)
    val = by_group(data.filter(pl.col(CUTOFF) < n_val))
    older = data.filter(pl.col(CUTOFF) >= n_val).with_columns(pl.col(CUTOFF) - n_val)
    own_val, notes = None, []
    n_older = len(used) - n_val
    if past.height < MIN_EVENTS:
        notes.append(
            f"only {past.height:,} interactions (a model of your own needs {MIN_EVENTS}): "
            "compared the prior with the heuristics"
        )
    elif n_older >= MIN_OWN_GROUPS:
        inner = min(max(2, round(0.25 * n_older)), n_older - 1)
        own_val, _ = fit_and_choose(older, inner, random_state=random_state)
    # the defaults: the fixed rankers learned nothing from this owner, so every past week
    # is held out for them (more weeks, a surer choice); a challenger must then beat a
    # default on the newest weeks, after the ones the owner's model was fitted on
    weeks = by_group(data)
    # every fixed ranker (the family holds each prior and each heuristic)
    options = family(priors, BASELINES)
    weeks_q, weeks_dormant_q = compare_options(weeks, priors, None, options, random_state)
    default, dormant_default = (
        defaults(weeks_q, weeks_dormant_q, priors) if priors else (fallback,) * 2
    )
    overall_q, dormant_q = _judged(val, priors, own_val, (default, dormant_default), random_state)
    overall = _choose(overall_q, default)
    dormant_groups = max(len(v) for v in dormant_q.values())
    if dormant_groups >= MIN_VALIDATION:
        dormant = _choose(dormant_q, dormant_default)
    else:
        dormant = dormant_default
        notes.append(
            f"only {dormant_groups} week(s) with a dormant tie written to: dormant "
            f"ties ranked with {label(dormant_default)}"
        )
    comparison = _comparison(
        used, (default, dormant_default), overall, overall_q, dormant_q, weeks_q
    )
    own, own_validation = None, {}
    if OWN in components(overall) + components(dormant):
        inner = min(max(2, round(0.25 * len(used))), len(used) - 1)
        own, own_validation = fit_and_choose(data, inner, random_state=random_state)
    note = "; ".join(notes) or None
    selection = Selection(overall, dormant, note, comparison)
    return PersonalResult(selection, own, used, data.height, own_validation)
