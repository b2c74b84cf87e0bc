"""Personal mode: the shipped prior, per-home selection on the owner's own recent past, the
dormant slice's own choice, reasons that name what ranked, and the personal protocol."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipelines.cards import card_digest
from pipelines.engagement.personal import (
    CHAT_PRIOR,
    COMBINED,
    MIN_VALIDATION,
    OWN,
    PRIOR,
    PersonalRanker,
    _choose,
    components,
    family,
    label,
    personal_view,
    select_personal,
)
from pipelines.engagement.prior import SHARED_LOGS, deterministic_npz
from pipelines.features.baselines import BASELINES
from pipelines.ingest.edges import events_from_edges, read_edges
from pipelines.synthetic import GENERATORS, shifting_log
from recommender.prior import CARD, NPZ, SHIPPED, STEMS, load_prior, load_priors
from tests.conftest import REPO, shared

DEPT3 = "interactions/email-Eu-core-temporal-Dept3.txt"


def _csv_of(edges: pl.DataFrame, person: int, path: Path) -> Path:
    """One person's messages of an edge list as the interactions.csv a user imports."""
    when = pl.from_epoch("ts", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S").alias("date")
    out = edges.filter(pl.col("src") == person).select(
        pl.col("dst").cast(pl.String).alias("contact_id"), when, pl.lit("out").alias("direction")
    )
    back = edges.filter(pl.col("dst") == person).select(
        pl.col("src").cast(pl.String).alias("contact_id"), when, pl.lit("in").alias("direction")
    )
    pl.concat([out, back]).with_columns(pl.lit("email").alias("channel")).write_csv(path)
    return path


def _import_person(cli, tmp_path, person: int = 1) -> None:
    """A personal home: one person of Dept3 as "me", imported as a user would."""
    path = _csv_of(read_edges(shared(DEPT3)), person, tmp_path / "i.csv")
    assert cli("import", "csv", "--interactions", path).exit_code == 0


def _rows_csv(rows: list[tuple[str, str, str]], path: Path) -> Path:
    lines = ["contact_id,date,direction"] + [",".join(r) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


# -- the prior ------------------------------------------------------------------------------


@pytest.mark.parametrize("option", sorted(STEMS))
def test_each_shipped_prior_matches_its_card_and_names_only_shared_or_generated_data(option):
    model, card = load_prior(option=option)
    data = (SHIPPED / f"{STEMS[option]}.npz").read_bytes()
    assert hashlib.sha256(data).hexdigest() == card["sha256"] and card["option"] == option
    assert card["card_sha256"] == card_digest(card)
    assert {"python", "scikit-learn", "polars", "numpy"} <= set(card["versions"])
    shared_rel = [rel for _, rel in SHARED_LOGS]
    for entry in card["training_data"]:
        assert entry["source"] in shared_rel or entry["source"].startswith("pipelines.synthetic.")
        if entry["source"] in shared_rel:  # the very files in ../shared, byte for byte
            path = shared(*Path(entry["source"]).parts[1:])
            assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
    assert card["training_groups"] > 3000 and "validation" in card["metrics"]
    scores = model.rank_scores(_dept3_features(datetime(1970, 9, 1)))
    assert np.isfinite(scores).all() and len(np.unique(scores)) > 10


def test_the_email_prior_learned_from_the_shared_real_logs():
    _, card = load_prior()
    assert {e["source"] for e in card["training_data"]} >= {rel for _, rel in SHARED_LOGS}


def test_shared_log_labels_end_before_the_protocols_first_cutoff():
    """So evaluating on those logs never scores a moment the prior saw the future of."""
    from pipelines.evaluate import protocol_cutoffs

    entries = [e for option in STEMS for e in load_prior(option=option)[1]["training_data"]]
    for entry in entries:
        if entry["source"].startswith("data/"):
            events = events_from_edges(read_edges(shared(*Path(entry["source"]).parts[1:])))
            first = protocol_cutoffs(events)[0]
            assert datetime.fromisoformat(entry["labels_before"]) <= first


def test_the_generated_training_logs_are_the_ones_the_card_names():
    from pipelines.engagement.train import events_hash

    entries = [e for option in STEMS for e in load_prior(option=option)[1]["training_data"]]
    assert any(e["source"].startswith("pipelines.synthetic.") for e in entries)
    for entry in entries:
        if entry["source"].startswith("pipelines.synthetic."):
            kind, seed = entry["source"][len("pipelines.synthetic.") :].split("_log(seed=")
            events = events_from_edges(GENERATORS[kind](seed=int(seed.rstrip(")"))))
            assert events_hash(events) == entry["sha256"]


def test_the_serving_file_is_written_byte_for_byte_the_same():
    arrays = {"b": np.arange(5.0), "a": np.array(["x", "y"]), "format": np.array(1)}
    assert deterministic_npz(arrays) == deterministic_npz(dict(reversed(arrays.items())))
    assert deterministic_npz(arrays) != deterministic_npz(arrays | {"b": np.arange(6.0)})


def _dept3_features(as_of: datetime) -> pl.DataFrame:
    from pipelines.features.engagement import build_features

    events = personal_view(events_from_edges(read_edges(shared(DEPT3))))
    return build_features(events, as_of).collect()


def test_personal_view_gives_each_owner_the_features_of_a_home_of_their_own():
    """Owner 1's features in the pooled personal view equal those of owner 1's events alone."""
    from pipelines.features.engagement import FEATURE_COLUMNS, build_features

    events = events_from_edges(read_edges(shared(DEPT3)))
    as_of = datetime(1970, 9, 1)
    pooled = build_features(personal_view(events), as_of).collect().filter(pl.col("owner") == 1)
    alone = build_features(events.filter(pl.col("owner") == 1), as_of).collect()
    assert pooled.height == alone.height > 10
    a = pooled.sort("age_last_any", "n_all").select(FEATURE_COLUMNS).to_numpy()
    b = alone.sort("age_last_any", "n_all").select(FEATURE_COLUMNS).to_numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
    # in the multi-owner view, the contact side sees everyone: not a personal home
    multi = build_features(events, as_of).collect().filter(pl.col("owner") == 1)
    assert (multi["contact_n_28d"].to_numpy() > alone["contact_n_28d"].to_numpy()).any()


# -- homes without a model, and a changed prior -------------------------------------------


def test_a_home_with_no_trained_model_ranks_with_the_prior(cli, tmp_path):
    _import_person(cli, tmp_path)
    planned = cli("today", "--as-of", "1971-06-01", "--json")
    assert planned.exit_code == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert plan["model_version"].startswith("engagement:prior:")
    assert plan["suggestions"]
    assert {s["ranked_by"] for s in plan["suggestions"]} == {label(PRIOR)}


def test_a_changed_prior_is_refused_and_the_heuristic_ranks_and_says_so(cli, tmp_path, monkeypatch):
    folder = tmp_path / "prior"
    shutil.copytree(SHIPPED, folder)
    data = bytearray((folder / NPZ).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (folder / NPZ).write_bytes(bytes(data))
    monkeypatch.setenv("HELPNEXT_PRIOR_DIR", str(folder))
    _import_person(cli, tmp_path)
    planned = cli("today", "--as-of", "1971-06-01", "--json")
    assert planned.exit_code == 0, planned.stderr
    assert "does not match its card" in planned.stderr
    assert "ranking by Interactions Rank instead" in planned.stderr
    assert planned.stderr.count("\n") == 1
    plan = json.loads(planned.stdout)
    assert plan["model_version"].startswith("interactions-rank-28d")
    assert {s["ranked_by"] for s in plan["suggestions"]} == {label("heuristic")}
    # train leaves it out of the comparison and says so; today then uses no prior at all
    trained = cli("train", "--as-of", "1971-06-01", "--json")
    assert trained.exit_code == 0, trained.stderr
    summary = json.loads(trained.stdout)
    assert summary["prior"] is None and "compared without it" in summary["note"]
    assert PRIOR not in summary["comparison"]["overall"]


def test_an_edited_prior_card_is_refused(tmp_path):
    from recommender.errors import PriorIntegrityError

    folder = tmp_path / "prior"
    shutil.copytree(SHIPPED, folder)
    card = json.loads((folder / CARD).read_text())
    card["training_groups"] += 1
    (folder / CARD).write_text(json.dumps(card))
    with pytest.raises(PriorIntegrityError, match="card was edited"):
        load_prior(folder)


# -- selection ------------------------------------------------------------------------------


def test_too_little_history_ranks_with_the_prior_and_says_so_in_one_line(cli, tmp_path):
    _import_person(cli, tmp_path)
    trained = cli("train", "--as-of", "1970-02-20")
    assert trained.exit_code == 0, trained.stderr
    notes = [line for line in trained.stdout.splitlines() if line.startswith("Note:")]
    assert len(notes) == 1 and "ranking with the prior" in notes[0], notes
    summary = json.loads(cli("train", "--as-of", "1970-02-20", "--json").stdout)
    assert summary["ranking"] == {"overall": PRIOR, "dormant": PRIOR}
    # a few more weeks: enough to compare the prior with the heuristics, not for a model
    summary = json.loads(cli("train", "--as-of", "1970-06-01", "--json").stdout)
    assert "a model of your own needs 200" in summary["note"]
    assert PRIOR in summary["comparison"]["overall"] and OWN not in summary["comparison"]["overall"]


def test_train_compares_the_options_on_the_newest_weeks_and_today_says_which_ranked(cli, tmp_path):
    _import_person(cli, tmp_path)
    trained = cli("train", "--as-of", "1971-09-01", "--json")
    assert trained.exit_code == 0, trained.stderr
    summary = json.loads(trained.stdout)
    comparison = summary["comparison"]
    assert {PRIOR, OWN, COMBINED, "base:recency", "base:out_frequency", "base:ir_28d_w2"} <= set(
        comparison["overall"]
    )
    chosen = summary["ranking"]
    scores = comparison["overall"]
    # the default: the prior that ranked every past week better, unless a fixed ranker
    # (heuristic, prior with a heuristic) beat it there; unless another option beat that
    # on the newest weeks
    weeks = comparison["every_week"]
    priors = {PRIOR: None, CHAT_PRIOR: None}
    expert, default = max(priors, key=weeks.get), comparison["default"]
    assert default in family(priors, BASELINES)
    assert default == expert or weeks[default] > weeks[expert]  # left only on evidence
    assert comparison["every_week_cutoffs"] > len(comparison["validation_cutoffs"])
    # the dormant ties' default: from the smaller family (one heuristic per memory length)
    assert comparison["dormant_default"] in family(priors)
    assert len(family(priors)) < len(family(priors, BASELINES))
    assert chosen["overall"] == default or scores[chosen["overall"]] > scores[default]
    assert chosen["dormant"] in comparison["dormant"]
    # the owner's model is judged for everyone only (too few dormant targets in its weeks)
    assert not any(OWN in components(option) for option in comparison["dormant"])
    # held out: every validation cutoff is after every cutoff the owner-only model saw,
    # and before --as-of
    val = [datetime.fromisoformat(c) for c in comparison["validation_cutoffs"]]
    assert len(val) >= 3 and max(val) + timedelta(days=7) <= datetime(1971, 9, 1)
    # `models` shows the choice
    models = json.loads(cli("models", "--json").stdout)["models"]
    engagement = [m for m in models if m["kind"] == "engagement"][-1]
    assert engagement["metrics"]["selection"]["overall"] == chosen["overall"]
    # today names what placed each person: the dormant choice for a quiet tie
    plan = json.loads(cli("today", "--as-of", "1971-09-01", "--n", "10", "--json").stdout)
    shown = {label(chosen["overall"]), label(chosen["dormant"])}
    assert plan["suggestions"] and {s["ranked_by"] for s in plan["suggestions"]} <= shown


def test_train_says_what_ranks_and_on_which_weeks_it_was_chosen(cli, tmp_path):
    _import_person(cli, tmp_path)
    trained = cli("train", "--as-of", "1971-09-01")
    assert trained.exit_code == 0, trained.stderr
    selection = json.loads(cli("models", "--json").stdout)["models"][-1]["metrics"]["selection"]
    comparison = selection["comparison"]
    said = " ".join(trained.stdout.split())  # lines wrap at the terminal's width
    assert f"Ranking everyone by {label(selection['overall'])}" in said
    assert f"Ranking dormant ties by {label(selection['dormant'])}" in said
    weeks, newest = comparison["every_week_cutoffs"], len(comparison["validation_cutoffs"])
    assert f"Defaults chosen on all {weeks} of your past weekly cutoffs" in said
    assert f"the {newest} most recent, held out from training" in said


def test_selection_never_reads_past_as_of():
    events = events_from_edges(read_edges(shared(DEPT3))).filter(pl.col("owner") == 1)
    prior = load_priors()[0]
    as_of = datetime(1971, 6, 1)
    full = select_personal(events, as_of, prior)
    cut = select_personal(events.filter(pl.col("ts") < as_of), as_of, prior)
    assert full.selection.as_dict() == cut.selection.as_dict()


def test_an_overfitting_owner_only_model_is_not_chosen():
    """Few events, rhythms that keep changing: what the owner's first months teach an
    owner-only model does not hold later, and held-out selection sees it."""
    prior = load_priors()[0]
    events = events_from_edges(shifting_log(seed=3, people=30, days=420))
    chosen = []
    for owner in range(16):
        mine = events.filter(pl.col("owner") == owner)
        result = select_personal(mine, mine["ts"].max(), prior)
        chosen.append(result.selection.overall)
    assert chosen.count(OWN) <= 1, chosen


def _defaults_of_busiest(kind: str, seed: int, n: int = 6) -> list[str | None]:
    prior = load_priors()[0]
    events = events_from_edges(GENERATORS[kind](seed=seed))
    sizes = events.group_by("owner").len().sort(["len", "owner"], descending=[True, False])
    defaults = []
    for owner in sizes["owner"].head(n):
        mine = events.filter(pl.col("owner") == owner)
        result = select_personal(mine, mine["ts"].max(), prior)
        defaults.append(result.selection.comparison.get("default"))
    return defaults


def test_a_default_is_left_only_for_an_option_better_by_one_standard_error():
    every_week = np.array([0.9, 0.9, 0.9, 0.3, 0.3, 0.3, 0.3, 0.3])
    results = {"prior": every_week}
    # better on average, but by less than a standard error of the paired difference
    lucky = every_week + np.array([0.2, -0.2, 0.2, -0.2, 0.2, -0.2, 0.2, -0.1])
    assert _choose(results | {"base:recency": lucky}, "prior") == "prior"
    # better on every week
    steady = every_week + 0.02
    assert _choose(results | {"base:recency": steady, "x": lucky}, "prior") == "base:recency"
    # of two that pass, the one with the larger margin; an option judged on other weeks: never
    more = every_week + 0.05
    other = np.array([1.0, 1.0, 1.0])
    assert _choose(results | {"a": steady, "b": more, "c": other}, "prior") == "b"


def test_the_history_chooses_its_default_on_every_past_week():
    """A term's chat is driven by recency, steady e-mail by how often: judged on every past
    week (the priors and heuristics learned nothing from this owner), each home's default
    is built of rankers of its own kind of history: only the chat prior or a week's memory
    for a chat; for e-mail never the chat prior and never a week's memory alone."""
    short = {CHAT_PRIOR, "base:recency", "base:ir_7d_w1", "base:ir_7d_w2"}
    chat = [d for d in _defaults_of_busiest("term_chat", 2) if d]
    assert len(chat) >= 4 and all(set(components(d)) <= short for d in chat), chat
    mail = _defaults_of_busiest("steady", 2)
    assert all(d and not set(components(d)) <= short for d in mail), mail
    assert not any(CHAT_PRIOR in components(d) for d in mail), mail


# -- odd homes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rows",
    [
        [
            ("a", f"2024-0{m}-0{d} 10:00", "out" if d % 2 else "in")
            for m in range(1, 9)
            for d in (1, 5)
        ],
        [(c, f"2024-0{m}-15 10:00", "in") for c in "abcdef" for m in range(1, 9)],
        [
            (c, f"2024-03-01 1{h}:00", "out" if h % 2 else "in")
            for c in "abcdefgh"
            for h in range(8)
        ],
    ],
    ids=["one contact", "only incoming", "all on one day"],
)
def test_odd_homes_train_and_plan(cli, tmp_path, rows):
    path = _rows_csv(rows, tmp_path / "i.csv")
    assert cli("import", "csv", "--interactions", path).exit_code == 0
    trained = cli("train", "--as-of", "2024-09-01", "--json")
    assert trained.exit_code == 0, trained.stderr
    summary = json.loads(trained.stdout)
    # too little for a model of one's own: the prior, or a heuristic that clearly beat it
    assert not any(OWN in option for option in summary["ranking"].values())
    assert summary["note"]
    planned = cli("today", "--as-of", "2024-09-01", "--json")
    assert planned.exit_code == 0, planned.stderr
    plan = json.loads(planned.stdout)
    shown = {label(summary["ranking"]["overall"]), label(summary["ranking"]["dormant"])}
    assert {s["ranked_by"] for s in plan["suggestions"]} <= shown


def test_personal_ranker_reorders_only_the_dormant_slots():
    frame = pl.DataFrame(
        {
            "owner": [0] * 5,
            "age_last_any": [1.0, 40.0, 2.0, 60.0, 90.0],
            "n_out": [1.0, 9.0, 1.0, 1.0, 5.0],  # out-frequency: 1 < 3 < 4 among dormant
            "age_last_out": [1.0, 40.0, 2.0, 60.0, 90.0],
        }
    )
    ranker = PersonalRanker("base:recency", "base:out_frequency")
    scores = ranker.rank_scores(frame)
    # recency keeps active ties first and the dormant slots in place
    assert list(np.argsort(-scores)[:2]) == [0, 2]
    dormant_order = [i for i in np.argsort(-scores) if i in (1, 3, 4)]
    assert dormant_order == [1, 4, 3]
    assert list(ranker.ranked_by(frame)) == [
        "base:recency",
        "base:out_frequency",
        "base:recency",
        "base:out_frequency",
        "base:out_frequency",
    ]
    with pytest.raises(ValueError, match="needs the owner's own model"):
        PersonalRanker(OWN, OWN)


# -- the personal protocol ----------------------------------------------------------------------


def test_eval_personal_puts_each_owner_alone_in_a_home_and_reports_intervals(cli):
    done = cli(
        "eval",
        "--personal",
        "--interactions",
        shared(DEPT3),
        "--owners",
        "2",
        "--seed",
        "1",
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    report = json.loads(done.stdout)
    assert len(report["owners"]) == 2 and report["eligible"] >= 2
    assert len(report["cutoffs"]) == 4
    for owner in report["owners"]:
        for c in owner["cutoffs"]:
            assert set(c["overall"]) >= {"model", "recency", "out_frequency", "ir_28d_w2"}
            assert c["cutoff"] in report["cutoffs"]
    for part in ("overall", "dormant"):
        for name, r in report["summary"][part]["rankers"].items():
            lo, hi = r["ndcg@10_ci95"]
            assert lo - 1e-12 <= r["ndcg@10"] <= hi + 1e-12, name
        margin = report["summary"][part]["vs_best_baseline"]["ndcg@10"]
        assert margin["best_baseline"] != "model"
    human = cli("eval", "--personal", "--interactions", shared(DEPT3), "--owners", "1")
    assert human.exit_code == 0 and "bootstrap" in human.stdout


def test_eval_personal_needs_a_log(cli):
    refused = cli("eval", "--personal")
    assert refused.exit_code == 2 and "--interactions" in refused.stderr


def test_make_prior_is_one_command():
    assert "pipelines.engagement.prior" in (REPO / "Makefile").read_text()


def _few_week_choices(kind: str, seed: int, owners: int = 20) -> list[str]:
    """The ranking of every home of a generated log with 1 to 3 usable weeks: each owner
    three and five weeks after their first message."""
    priors = load_priors()[0]
    events = events_from_edges(GENERATORS[kind](seed=seed))
    chosen = []
    for owner in events["owner"].unique().sort().head(owners):
        mine = events.filter(pl.col("owner") == owner)
        first = mine.filter(pl.col("direction") == "out")["ts"].min()
        for weeks in (3, 5):
            result = select_personal(mine, first + timedelta(days=7 * weeks), priors)
            if 1 <= len(result.cutoffs) <= MIN_VALIDATION:
                assert result.selection.overall == result.selection.dormant
                assert label(result.selection.overall) in result.selection.note
                chosen.append(result.selection.overall)
    return chosen


def test_too_few_weeks_rank_with_the_prior_of_the_historys_kind():
    """Under four usable weeks nothing is compared but the two priors, on the weeks there
    are: a mailbox keeps the e-mail prior, a term's chat mostly gets the chat prior."""
    mail = _few_week_choices("steady", 2)
    chat = _few_week_choices("term_chat", 2)
    assert len(mail) >= 10 and len(chat) >= 10
    assert mail.count(PRIOR) >= 0.8 * len(mail), mail
    assert chat.count(CHAT_PRIOR) > 0.5 * len(chat), chat
    assert set(mail + chat) <= {PRIOR, CHAT_PRIOR}
