"""Today's plan: the right few people, one concrete give-first act each, and why.

``build_plan`` computes every action's candidates on a pool of contacts (the top few
hundred by engagement and by dormant strength, plus those with specific evidence: a give
to return, a new role), scores each as ``0.5 * who + 0.5 * fit`` (who = engagement
percentile, or the tie's strength for a check-in), keeps the best act per person, and picks
a deliberate mix: at most ``ceil(n / 3)`` of one kind of act while others are available, a
dormant tie when one is due, nobody suggested within the cool-down (14 days), nobody
snoozed or set to 'never'. Every pick is stored in ``suggestions`` with the features it was
scored with and the probability it was shown with; ids are stable for the same plan on the
same day.

Learning (``recommender.preference``): with a promoted preference model the score becomes
``0.2 * score + 0.8 * p(done)`` and one slot in five explores (``recommender.plan.exploration``,
seeded by owner and day); the other picks are deterministic (propensity 1.0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import polars as pl

from recommender.actions.context import CANDIDATE_SCHEMA, PlanContext, build_context, start_of_day
from recommender.actions.registry import BY_NAME, act, names
from recommender.store import history, profiles
from recommender.store import suggestions as stored
from recommender.store.db import Store, utcnow

COOL_DOWN_DAYS = 14
PLAN_VERSION = "plan-v1"
WHO_WEIGHT = 0.5

EMPTY_HOME_MESSAGE = (
    "Nothing to plan yet: this home has no contacts. Import your history first, e.g. "
    "`helpnext import linkedin EXPORT.zip` (or csv, mbox, ics, vcard), then articles and "
    "job postings to give with `helpnext import articles FILE` / `helpnext import jobs FILE`."
)

MULTI_OWNER_MESSAGE = (
    "This home holds a multi-owner log (an edge list) and no personal network: `today` plans "
    "for you as the owner. Import your own history (e.g. `helpnext import linkedin`), or use "
    "`helpnext score` for batch scores of every owner."
)


def all_candidates(ctx: PlanContext, actions: tuple[str, ...] = names()) -> pl.DataFrame:
    """Every action's candidates with ``who`` filled in and ``score``."""
    frames = [act(name).candidates(ctx) for name in actions]
    frame = pl.concat(frames) if frames else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    who = ctx.who().rename({"who": "_who"})
    return (
        frame.join(who, on="contact", how="left")
        .with_columns(pl.coalesce("who", "_who", pl.lit(0.0)).alias("who"))
        .drop("_who")
        .with_columns(
            (WHO_WEIGHT * pl.col("who") + (1 - WHO_WEIGHT) * pl.col("fit")).round(4).alias("score")
        )
        .sort(["score", "contact", "action"], descending=[True, False, False])
    )


def held_back(ctx: PlanContext, cool_down_days: int = COOL_DOWN_DAYS) -> set[int]:
    """Contacts not to suggest at as_of: suggested within the cool-down, snoozed until
    after as_of, or set to 'never' (``helpnext never``; ``unnever`` lifts it)."""
    from recommender.store.feedback import never_contacts

    never = never_contacts(ctx.store, ctx.owner)
    past = ctx.past_suggestions()
    if past.height == 0:
        return never
    since = start_of_day(ctx.as_of) - timedelta(days=cool_down_days)
    held = past.filter(
        (pl.col("as_of") >= since)
        | (pl.col("snoozed_until").is_not_null() & (pl.col("snoozed_until") > ctx.as_of))
    )
    return set(held["contact"].to_list()) | never


def choose(candidates: pl.DataFrame, n: int, held: set[int] = frozenset()) -> pl.DataFrame:
    """The plan: best act per person, a mix of acts, a due check-in among them."""
    pool = candidates.filter(
        ~pl.col("contact").is_in(list(held))
        & (pl.col("partner").is_null() | ~pl.col("partner").is_in(list(held)))
    )
    best = pool.unique("contact", keep="first", maintain_order=True)
    cap = max(1, math.ceil(n / 3))
    picked: list[dict] = []
    used: set[int] = set()
    counts: dict[str, int] = {}

    introduced: set[int] = set()  # everyone in a picked introduction, either side

    def take(row: dict) -> bool:
        # one act per person; nobody in two introductions
        if row["contact"] in used:
            return False
        if row["action"] == "introduce" and {row["contact"], row["partner"]} & introduced:
            return False
        picked.append(row)
        used.add(row["contact"])
        if row["action"] == "introduce":
            introduced.update((row["contact"], row["partner"]))
        counts[row["action"]] = counts.get(row["action"], 0) + 1
        return True

    rows = best.to_dicts()
    if n >= 2:  # a dormant tie among them when one is due
        due = [r for r in pool.filter(pl.col("action") == "check_in").to_dicts()]
        for r in due:
            if take(r):
                break
    # variety first: the best suggestion of each kind of act that has one, strongest kind
    # first; then fill by score (at most ``cap`` of one act while others remain)
    for r in pool.unique("action", keep="first", maintain_order=True).to_dicts():
        if len(picked) >= n:
            break
        if counts.get(r["action"], 0) == 0:
            for alt in pool.filter(pl.col("action") == r["action"]).to_dicts():
                if alt["contact"] not in used and take(alt):
                    break
    for capped in (True, False):
        for r in rows:
            if len(picked) >= n:
                break
            if capped and counts.get(r["action"], 0) >= cap:
                continue
            if r["contact"] in used:
                continue
            take(r)
    frame = pl.DataFrame(picked, schema=candidates.schema) if picked else candidates.clear()
    return frame.sort(["score", "contact"], descending=[True, False])


@dataclass
class Plan:
    as_of: datetime
    owner: int
    model_version: str
    suggestions: (
        pl.DataFrame
    )  # id, contact, name, company, action, item..., partner..., score, reason
    message: str | None = None

    def as_dicts(self) -> list[dict]:
        out = []
        for r in self.suggestions.iter_rows(named=True):
            out.append(
                {
                    "id": r["suggestion_id"],
                    "contact_id": r["contact"],
                    "name": r["name"],
                    "company": r["company"],
                    "action": r["action"],
                    "item": None
                    if r["item_id"] is None
                    else {"id": r["item_id"], "title": r["item_title"], "url": r["item_url"]},
                    "partner": None
                    if r["partner"] is None
                    else {"contact_id": r["partner"], "name": r["partner_name"]},
                    "score": r["score"],
                    "reason": r["reason"],
                    "ranked_by": r.get("ranked_by"),
                    "status": r["status"],
                    "propensity": r.get("propensity", 1.0),
                }
            )
        return out


def save_suggestions(store: Store, ctx: PlanContext, chosen: pl.DataFrame) -> list[int]:
    """Store each pick (reusing the id of the same pick made earlier the same day)."""
    day0 = start_of_day(ctx.as_of)
    ids: list[int] = []
    now = utcnow()
    with store.transaction():
        for r in chosen.iter_rows(named=True):
            found = stored.same_pick_id(store, ctx.owner, r, day0, day0 + timedelta(days=1))
            if found is not None:
                ids.append(int(found))
                continue
            ids.append(
                stored.add_suggestion(store, ctx.as_of, ctx.owner, r, ctx.model_version, now)
            )
    return ids


def _decorate(store: Store, chosen: pl.DataFrame, ids: list[int]) -> pl.DataFrame:
    frame = chosen.with_columns(pl.Series("suggestion_id", ids, dtype=pl.Int64))
    people = profiles.names_and_companies(
        store, frame["contact"].to_list() + frame["partner"].drop_nulls().to_list()
    )
    items = stored.items_shown(store, frame["item_id"].drop_nulls().to_list())
    status = stored.statuses(store, ids)
    partners = people.select(
        pl.col("contact").alias("partner"), pl.col("name").alias("partner_name")
    )
    return (
        frame.join(people, on="contact", how="left")
        .join(partners, on="partner", how="left")
        .join(items, on="item_id", how="left")
        .join(status, on="suggestion_id", how="left")
        .sort(["score", "contact"], descending=[True, False])
    )


def build_plan(
    store: Store,
    as_of: datetime | None = None,
    n: int = 5,
    owner_id: int | None = None,
    save: bool = True,
    events: pl.DataFrame | None = None,
    use_model: bool = True,
) -> Plan:
    """Today's plan for the personal owner (or ``owner_id``), stored unless ``save=False``.
    ``events``: that owner's events before ``as_of`` (``owner_events``), when already read;
    ``use_model=False`` ranks by the heuristic (e.g. when the model learned from later events)."""
    as_of = as_of or utcnow()
    owner = owner_id if owner_id is not None else store.owner_id(create=False)
    if owner is None and profiles.has_owners(store):
        return Plan(as_of, 0, PLAN_VERSION, pl.DataFrame(), message=MULTI_OWNER_MESSAGE)
    if owner is None or not profiles.has_contacts(store, owner):
        return Plan(as_of, owner or 0, PLAN_VERSION, pl.DataFrame(), message=EMPTY_HOME_MESSAGE)
    ctx = build_context(store, owner, as_of, use_model=use_model, events=events)
    version = f"{ctx.model_version}+{PLAN_VERSION}"
    ctx.model_version = version
    from recommender.plan.exploration import plan_with_exploration
    from recommender.preference import add_features, rescore

    candidates, preference = rescore(ctx, all_candidates(ctx))
    if preference is not None:
        version = ctx.model_version = f"{version}+preference:{preference}"
    chosen = plan_with_exploration(
        ctx, candidates, n, held_back(ctx), choose, explore=preference is not None
    )
    if "features" not in chosen.columns:  # stored with each pick for the preference model
        chosen = add_features(ctx, chosen)
    if chosen.height == 0:
        message = (
            "Nobody to suggest right now: no exchanges before this date, or everyone is in "
            "their cool-down or snoozed."
            if ctx.stats.height
            else f"No interactions before {as_of:%Y-%m-%d}: import messages or try a later --as-of."
        )
        return Plan(as_of, owner, version, pl.DataFrame(), message=message)
    if save and not store.read_only:
        ids = save_suggestions(store, ctx, chosen)
    else:
        ids = [None] * chosen.height
    return Plan(as_of, owner, version, with_ranked_by(ctx, _decorate(store, chosen, ids)))


def with_ranked_by(ctx: PlanContext, suggestions: pl.DataFrame) -> pl.DataFrame:
    """``ranked_by``: what placed each person (the home's model, the prior or a heuristic,
    the dormant ties' own choice for a dormant tie), in words."""
    from pathlib import Path

    from pipelines.engagement.personal import label
    from pipelines.features.engagement import DORMANT_DAYS
    from recommender.engagement import ranked_by_options

    overall, dormant = ranked_by_options(Path(ctx.store.path).parent, ctx.model_version)
    days = suggestions.join(ctx.stats.select("contact", "days_since"), on="contact", how="left")
    quiet = days["days_since"].fill_null(0.0) >= DORMANT_DAYS
    words = [label(dormant if q else overall) for q in quiet.to_list()]
    return suggestions.with_columns(pl.Series("ranked_by", words, dtype=pl.String))


def latest_activity(store: Store) -> datetime | None:
    """Just after the latest interaction (the natural --as-of of a sample home)."""
    last = history.latest_interaction(store)
    return None if last is None else last + timedelta(seconds=1)


def top_actions(
    store: Store, owner: int, contacts: list[int] | None, as_of: datetime
) -> pl.DataFrame:
    """Batch helper for ``helpnext score --actions``: the best act and its reason for each
    of ``contacts`` (all with evidence when None) of ``owner`` at ``as_of``.

    Returns ``owner, contact, action, reason`` (contacts with no fitting act are absent).
    Nothing is stored.
    """
    ctx = build_context(store, owner, as_of, reuse=False)
    if contacts is not None:
        ctx.pool = sorted(set(contacts))
    from recommender.preference import rescore

    # the order today ranks acts in: with the owner's promoted preference model, if any
    frame, _ = rescore(ctx, all_candidates(ctx))
    if contacts is not None:
        frame = frame.filter(pl.col("contact").is_in(list(contacts)))
    return (
        frame.unique("contact", keep="first", maintain_order=True)
        .select(pl.lit(owner, dtype=pl.Int64).alias("owner"), "contact", "action", "reason")
        .sort("contact")
    )


# -- one contact: show and log ------------------------------------------------------------


def contact_card(
    store: Store, contact: int, as_of: datetime | None = None, limit: int = 15
) -> dict:
    """Everything ``helpnext show`` prints about one contact, as of ``as_of``."""
    as_of = as_of or utcnow()
    info = profiles.card_info(store, contact)
    owner = info["owner_id"]
    ids = [contact] + profiles.merged_into(store, contact)
    timeline = history.timeline(store, owner, ids, as_of, limit)
    stats = history.rhythm(store, owner, ids, as_of)
    last = stats["last_ts"]
    stats["days_since"] = None if last is None else round((as_of - last).total_seconds() / 86400, 1)
    gives = history.gives_with(store, owner, ids, as_of)
    tags = profiles.tags_of(store, ids, as_of)
    notes = profiles.notes_of(store, ids, as_of)
    open_ones = stored.open_suggestions_with(store, ids)
    return {
        "contact": info,
        "rhythm": stats,
        "timeline": timeline.to_dicts(),
        "gives_in": gives.filter(pl.col("direction") == "in").to_dicts(),
        "gives_out": gives.filter(pl.col("direction") == "out").to_dicts(),
        "tags": tags,
        "notes": notes,
        "open_suggestions": open_ones,
        "as_of": as_of,
    }


def log_interaction(
    store: Store,
    contact: int,
    note: str,
    action: str | None = None,
    when: datetime | None = None,
) -> dict:
    """Record something the owner did by hand: an interaction (channel ``note``, or the
    action's channel), direction out, a give when the action is one. The open suggestion
    for the same contact and action, if any, is marked done."""
    import hashlib

    from recommender.errors import UsageError

    if action is not None and action not in BY_NAME:
        raise UsageError(f"--action {action!r} is not one of: {', '.join(names())}")
    if not note.strip():
        raise UsageError("--note is empty: say what you did")
    when = when or utcnow()
    owner = profiles.owner_of(store, contact)
    channel = "note" if action is None else act(action).channel
    is_give = action is not None and act(action).gives
    with store.transaction():
        open_one = stored.latest_open(store, owner, contact, action or "")
        detail = None
        suggestion_id = None
        partner = None
        if open_one is not None:
            suggestion_id, item_id, partner = open_one
            if item_id is not None:
                detail = history.item_detail(store, item_id)
        people = [contact] + ([partner] if partner is not None else [])
        ids = []
        for person in people:
            uid = hashlib.md5(
                f"log|{owner}|{person}|{when.isoformat()}|{action}|{note}".encode()
            ).hexdigest()
            ids.append(
                history.add_logged_interaction(
                    store, uid, owner, person, when, channel, is_give, note, detail
                )
            )
        if suggestion_id is not None:
            stored.mark_done(store, suggestion_id, utcnow())
    return {
        "interaction_ids": ids,
        "contact_id": contact,
        "ts": when,
        "channel": channel,
        "is_give": is_give,
        "suggestion_done": suggestion_id,
    }
