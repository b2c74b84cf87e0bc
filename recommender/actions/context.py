"""The plan's context, shared by the give-first acts (one module each, listed in
:mod:`recommender.actions.registry`). Every action takes a :class:`PlanContext` and returns
candidates: one row per (contact, act) with ``fit`` in [0, 1] (how well the act fits now),
an optional ``who`` override, the item or partner, and a one-sentence ``reason`` quoting
the evidence.

The context is computed once per plan: per-contact statistics from one DuckDB scan, the
candidate pool (the top few hundred contacts by engagement and by dormant strength), tags
and notes, profile texts. Everything in it is as of ``as_of``: only rows dated before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import polars as pl

from recommender.engagement import HALF_LIFE_DAYS, HEURISTIC_VERSION, serving_key
from recommender.store import history, plan_cache, profiles
from recommender.store.db import Store
from recommender.store.plan_cache import HISTORY_COLUMNS
from recommender.store.suggestions import suggestions_before

POOL_SIZE = 300
MAX_LOOKING = 200

CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "contact": pl.Int64,
    "action": pl.String,
    "item_id": pl.Int64,
    "partner": pl.Int64,
    "fit": pl.Float64,
    "who": pl.Float64,
    "reason": pl.String,
}

LOOKING_WORDS = (
    "looking for work",
    "open to work",
    "job search",
    "job hunting",
    "looking for a job",
    "looking for a new role",
    "looking for a role",
    "between jobs",
    "seeking",
    "laid off",
    "new role",
    "new job",
    "new opportunities",
)
# phrases in a contact's own recent message that say they look for work / hire
MESSAGE_LOOKING = (
    "looking for a new role",
    "looking for a new job",
    "looking for a job",
    "looking for work",
    "open to work",
    "open to new opportunities",
    "between jobs",
    "job search",
    "i was laid off",
    "i got laid off",
)
MESSAGE_HIRING = ("we are hiring", "we're hiring", "we’re hiring", "my team is hiring")
NEED_MESSAGE_DAYS = 120.0
HIRING_WORDS = (
    "hiring",
    "recruiting",
    "recruiter",
    "talent acquisition",
    "open roles",
    "headcount",
)


def candidates_frame(rows: list[dict] | pl.DataFrame) -> pl.DataFrame:
    """Rows as a frame with exactly :data:`CANDIDATE_SCHEMA`."""
    frame = pl.DataFrame(rows) if isinstance(rows, list) else rows
    if frame.height == 0:
        return pl.DataFrame(schema=CANDIDATE_SCHEMA)
    return frame.select(
        (pl.col(c).cast(t) if c in frame.columns else pl.lit(None, dtype=t).alias(c))
        for c, t in CANDIDATE_SCHEMA.items()
    )


def day(ts: datetime | None) -> str:
    """'14 Mar 2024' (no zero padding on the day)."""
    return "never" if ts is None else f"{ts.day} {ts:%b %Y}"


def first_name(name: str | None) -> str:
    return (name or "they").split()[0]


@dataclass
class PlanContext:
    store: Store
    owner: int
    as_of: datetime
    stats: pl.DataFrame  # one row per contact with interactions (see contact_stats)
    pool: list[int]
    model_version: str
    _cache: dict = field(default_factory=dict)

    # -- lookups --------------------------------------------------------------------------
    def row(self, contact: int) -> dict:
        index = self._cache.get("row_index")
        if index is None:
            ids = self.stats["contact"].to_list()
            index = self._cache["row_index"] = dict(zip(ids, range(len(ids)), strict=True))
            self._cache["rows"] = {}
        rows = self._cache["rows"]
        if contact not in rows:
            at = index.get(contact)
            rows[contact] = (
                self._contact_only(contact) if at is None else self.stats.row(at, named=True)
            )
        return rows[contact]

    def _contact_only(self, contact: int) -> dict:
        rows = profiles.contact_rows(self.store, contact)
        base = dict.fromkeys(self.stats.columns)
        base.update({"n_events": 0, "n_out": 0, "n_in": 0, "engagement": 0.0, "who": 0.0})
        if rows:
            base.update(rows[0])
        base["contact"] = contact
        return base

    def who(self) -> pl.DataFrame:
        return self.stats.select("contact", "who")

    def tags(self) -> pl.DataFrame:
        """``contact, tag`` for tags created before as_of."""
        if "tags" not in self._cache:
            self._cache["tags"] = profiles.tags_before(self.store, self.owner, self.as_of)
        return self._cache["tags"]

    def notes(self) -> pl.DataFrame:
        """``contact, kind, text`` for notes written before as_of."""
        if "notes" not in self._cache:
            self._cache["notes"] = profiles.notes_before(self.store, self.owner, self.as_of)
        return self._cache["notes"]

    def needs(self) -> pl.DataFrame:
        """``contact, looking, hiring, looking_why, hiring_why``: who needs work, who hires,
        from tags, 'need' notes and position titles."""
        if "needs" in self._cache:
            return self._cache["needs"]
        tags = self.tags().select(
            "contact", pl.col("tag").alias("text"), pl.lit("tag").alias("src")
        )
        notes = (
            self.notes()
            .filter(pl.col("kind").is_in(["need", "note", "interest"]))
            .select("contact", "text", pl.lit("note").alias("src"))
        )
        positions = profiles.positions(self.store, self.owner)
        messages = self._need_messages()
        evidence = pl.concat(
            [tags, notes, positions.select(tags.columns), messages.select(tags.columns)],
            how="vertical_relaxed",
        )
        low = pl.col("text").str.to_lowercase().str.replace_all(r"[-_]", " ")
        looking_re = "|".join(LOOKING_WORDS)
        hiring_re = "|".join(HIRING_WORDS)
        evidence = evidence.with_columns(
            (low.str.contains(looking_re) & (pl.col("src") != "position")).alias("looking"),
            low.str.contains(hiring_re).alias("hiring"),
        )

        def why(flag: str) -> pl.Expr:
            quoted = (
                pl.when(pl.col("src") == "tag")
                .then(pl.format("tag '{}'", pl.col("text")))
                .when(pl.col("src") == "note")
                .then(pl.format("your note '{}'", pl.col("text")))
                .when(pl.col("src") == "message")
                .then(pl.format("they wrote '{}'", pl.col("text")))
                .otherwise(pl.format("position '{}'", pl.col("text")))
            )
            return quoted.filter(pl.col(flag)).first().alias(f"{flag}_why")

        needs = evidence.group_by("contact").agg(
            pl.col("looking").any(), pl.col("hiring").any(), why("looking"), why("hiring")
        )
        self._cache["needs"] = needs.filter(pl.col("looking") | pl.col("hiring"))
        return self._cache["needs"]

    def _need_messages(self) -> pl.DataFrame:
        """``contact, text, src``: what contacts wrote in the last ``NEED_MESSAGE_DAYS``
        that says they look for work or hire, quoted around the words that say so."""
        pattern = "|".join(MESSAGE_LOOKING + MESSAGE_HIRING)
        found = history.messages_matching(
            self.store, self.owner, self.as_of, recent(self.as_of, NEED_MESSAGE_DAYS), pattern
        )
        rows = []
        for r in found.unique("contact", keep="first", maintain_order=True).iter_rows(named=True):
            at = r["body"].lower().find(r["hit"])
            start = max(0, at - 20)
            snippet = " ".join(r["body"][start : at + len(r["hit"]) + 30].split())
            snippet = ("..." if start else "") + snippet + "..."
            text = f"{snippet} ({day(r['ts'])})"
            # the quoted words decide the flag: keep the matched phrase first for the regex
            rows.append(
                {"contact": int(r["contact"]), "text": text, "src": "message", "hit": r["hit"]}
            )
        if not rows:
            return pl.DataFrame(schema={"contact": pl.Int64, "text": pl.String, "src": pl.String})
        return pl.DataFrame(rows).select("contact", "text", "src")

    def looking_contacts(self, limit: int = MAX_LOOKING) -> list[int]:
        """The warmest ``limit`` contacts known to be looking for work."""
        needs = self.needs().filter(pl.col("looking"))
        if needs.height == 0:
            return []
        return (
            needs.join(self.who(), on="contact", how="left")
            .sort(["who", "contact"], descending=[True, False], nulls_last=True)
            .head(limit)["contact"]
            .to_list()
        )

    def profiles(self, contacts: list[int]) -> pl.DataFrame:
        """``contact, doc``: what is known of each contact as one text: position, company,
        tags, notes, endorsed skills, subjects and bodies of the last 30 messages."""
        key = ("profiles", tuple(contacts))
        if key in self._cache:
            return self._cache[key]
        frame = profiles.profile_docs(self.store, self.owner, self.as_of, contacts)
        self._cache[key] = frame
        return frame

    def past_suggestions(self) -> pl.DataFrame:
        """Suggestions shown before the day of as_of."""
        if "past" not in self._cache:
            self._cache["past"] = suggestions_before(
                self.store, self.owner, start_of_day(self.as_of)
            )
        return self._cache["past"]

    def given_items(self) -> pl.DataFrame:
        """``contact, item_id`` pairs already suggested before, or shared by hand (a 'share'
        interaction whose text or detail names the item's url or title)."""
        if "given" in self._cache:
            return self._cache["given"]
        past = self.past_suggestions().filter(pl.col("item_id").is_not_null())
        shared = history.items_shared(self.store, self.owner, self.as_of)
        given = pl.concat(
            [
                past.select("contact", "item_id"),
                shared.select(pl.col("contact").cast(pl.Int64), pl.col("item_id").cast(pl.Int64)),
            ]
        ).unique()
        self._cache["given"] = given
        return given


def start_of_day(ts: datetime) -> datetime:
    return ts.replace(hour=0, minute=0, second=0, microsecond=0)


# what :func:`contact_stats` says of each contact: who they are, and their history with the owner
# (HISTORY_COLUMNS, from :mod:`recommender.store.plan_cache`, which keeps them between plans)
PEOPLE_COLUMNS = ("name", "company", "position", "connected_on")


def owner_events(store: Store, owner: int, as_of: datetime) -> pl.DataFrame:
    """The owner's events before ``as_of`` (merged-away contacts folded into the contact they
    were merged into): read from the store once per plan, shared by the statistics, the
    rhythm and the engagement model."""
    from recommender.store.events import load_events

    return load_events(store, [owner], before=as_of).collect()


def contact_stats(
    store: Store, owner: int, as_of: datetime, events: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per contact the owner exchanged anything with before ``as_of``: counts,
    first/last dates, days since, Interactions Rank, and a first estimate of the rhythm
    (mean gap; :func:`exact_rhythm` replaces it by the median gap between days in touch
    for the contacts that matter). ``events``: :func:`owner_events`, when already read."""
    from recommender.engagement import HALF_LIFE_DAYS, OUT_WEIGHT

    if events is None:
        events = owner_events(store, owner, as_of)
    when = pl.lit(as_of, dtype=pl.Datetime("us"))
    out = pl.col("direction") == "out"
    age = (when - pl.col("ts")).dt.total_microseconds() / 86_400e6
    agg = (
        events.lazy()
        .group_by("contact")
        .agg(
            pl.len().cast(pl.Int64).alias("n_events"),
            out.sum().cast(pl.Int64).alias("n_out"),
            (pl.col("direction") == "in").sum().cast(pl.Int64).alias("n_in"),
            pl.col("ts").min().alias("first_ts"),
            pl.col("ts").max().alias("last_ts"),
            (pl.when(out).then(OUT_WEIGHT).otherwise(1.0) * pl.lit(0.5).pow(age / HALF_LIFE_DAYS))
            .sum()
            .alias("interactions_rank"),
        )
        .collect()
    )
    people = profiles.people(store, owner)
    span = (pl.col("last_ts") - pl.col("first_ts")).dt.total_microseconds() / 86_400e6
    return (
        agg.join(people, on="contact", how="inner")
        .select(
            "contact",
            *PEOPLE_COLUMNS,
            *HISTORY_COLUMNS,
            pl.when(pl.col("n_events") > 1)
            .then(span / (pl.col("n_events") - 1))
            .cast(pl.Float64)
            .alias("rhythm_days"),
            ((when - pl.col("last_ts")).dt.total_microseconds() / 86_400e6).alias("days_since"),
        )
        .sort("contact")
    )


def exact_rhythm(events: pl.DataFrame, contacts: list[int]) -> pl.DataFrame:
    """``contact, rhythm_days``: the median gap in days between the days in touch."""
    from pipelines.features.engagement import _in_pair_order

    days = events.filter(pl.col("contact").is_in(contacts)).select(
        "contact", pl.col("ts").dt.date().alias("d")
    )
    if not _in_pair_order(days["contact"].to_numpy(), days["d"].to_physical().to_numpy()):
        days = days.sort("contact", "d")  # the store's events come sorted: rarely needed
    same = pl.col("contact") == pl.col("contact").shift(1)
    return (
        days.lazy()
        .filter(~(same & (pl.col("d") == pl.col("d").shift(1))))  # one row per day in touch
        .with_columns(
            pl.when(same).then((pl.col("d") - pl.col("d").shift(1)).dt.total_days()).alias("gap")
        )
        .group_by("contact")
        .agg(pl.col("gap").median().cast(pl.Float64).alias("rhythm_days"))
        .filter(pl.col("rhythm_days").is_not_null())
        .collect()
    )


def _overdue(stats: pl.DataFrame, rhythm: str = "rhythm_days") -> pl.DataFrame:
    return stats.with_columns(
        (pl.col("days_since") / pl.col(rhythm).fill_null(30.0).clip(7.0, None)).alias("overdue")
    )


def build_context(
    store: Store,
    owner: int,
    as_of: datetime,
    pool_size: int = POOL_SIZE,
    use_model: bool = True,
    reuse: bool = True,
    events: pl.DataFrame | None = None,
) -> PlanContext:
    """Stats, engagement ('who' = its percentile) and the candidate pool. ``events``: the
    owner's events before ``as_of`` (:func:`owner_events`), when the caller has read them.

    The per-contact statistics and engagement scores are computed once per day and reused
    while nothing changes (:mod:`recommender.store.plan_cache`); ``reuse=False`` recomputes them
    and keeps nothing (batch scoring of many owners)."""
    key = plan_cache.cache_key(store, owner, serving_key(store, use_model)) if reuse else None
    found = (
        plan_cache.load(
            store,
            owner,
            as_of,
            key,
            half_life_days=HALF_LIFE_DAYS,
            heuristic_version=HEURISTIC_VERSION,
        )
        if key
        else None
    )
    if found is None:
        base, version = _base_stats(store, owner, as_of, pool_size, use_model, events)
        if key:
            plan_cache.save(store, owner, as_of, key, base, version)
    else:
        base, version = found
    stats, pool = _with_pool(base, as_of, pool_size)
    return PlanContext(store, owner, as_of, stats, pool, version)


def _with_pool(base: pl.DataFrame, as_of: datetime, pool_size: int):
    """(stats at ``as_of`` with days since, who and overdue; the candidate pool: the top
    ``pool_size`` by engagement and the top ``pool_size`` dormant ties, chosen on the
    mean-gap rhythm)."""
    n = max(base.height, 1)
    when = pl.lit(as_of, dtype=pl.Datetime("us"))
    stats = base.with_columns(
        ((when - pl.col("last_ts")).dt.total_microseconds() / 86_400e6).alias("days_since"),
        # ranked at 10 significant digits: equal histories summed in another order still tie
        ((pl.col("engagement").round_sig_figs(10).rank("average") - 0.5) / n).alias("who"),
    )
    top_engaged = stats.sort(["engagement", "contact"], descending=[True, False]).head(pool_size)
    dormant = (
        _overdue(stats, "rhythm_mean")
        .filter((pl.col("n_in") > 0) & (pl.col("n_out") > 0) & (pl.col("overdue") >= 1.5))
        .with_columns(
            (pl.col("n_events").log1p() * pl.col("overdue").clip(None, 6.0).log1p()).alias("_d")
        )
        .sort(["_d", "contact"], descending=[True, False])
        .head(pool_size)
    )
    pool = sorted(set(top_engaged["contact"].to_list()) | set(dormant["contact"].to_list()))
    return _overdue(stats), pool


def _base_stats(
    store: Store,
    owner: int,
    as_of: datetime,
    pool_size: int,
    use_model: bool,
    events: pl.DataFrame | None = None,
):
    """(per-contact statistics and engagement at ``as_of``, model version): one read of the
    owner's events, shared by the statistics, the engagement model and the rhythm."""
    from recommender.engagement import HEURISTIC_VERSION, model_engagement

    if events is None:
        events = owner_events(store, owner, as_of)
    stats = contact_stats(store, owner, as_of, events).rename({"rhythm_days": "rhythm_mean"})
    found = model_engagement(store, owner, as_of, events) if use_model else None
    if found is None:  # the heuristic, already computed in the same pass
        stats = stats.with_columns(pl.col("interactions_rank").alias("engagement"))
        version = HEURISTIC_VERSION
    else:
        engagement, version = found
        engagement = engagement.select("contact", "engagement")
        stats = stats.join(engagement, on="contact", how="left").with_columns(
            pl.col("engagement").fill_null(0.0)
        )
    stats = stats.with_columns(pl.col("rhythm_mean").alias("rhythm_days"))
    _, pool = _with_pool(stats, as_of, pool_size)
    if pool:  # the median rhythm for the pool (the mean gap stands in for the others)
        exact = exact_rhythm(events, pool).rename({"rhythm_days": "_exact"})
        stats = (
            stats.join(exact, on="contact", how="left")
            .with_columns(pl.coalesce("_exact", "rhythm_mean").alias("rhythm_days"))
            .drop("_exact")
        )
    return stats.drop("days_since"), version


def recent(as_of: datetime, days: float) -> datetime:
    return as_of - timedelta(days=days)
