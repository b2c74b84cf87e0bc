import json
from datetime import timedelta

from test_actions_helpers import AS_OF, build_home

from recommender.plan.daily import build_plan, top_actions
from recommender.store.db import open_store

DAY = AS_OF.strftime("%Y-%m-%d")


def _home(helpnext_home, **kw):
    with open_store(helpnext_home) as store:
        return build_home(store, **kw)


def _today(cli, *args):
    done = cli("today", "--as-of", *args, "--json")
    assert done.exit_code == 0, done.stderr
    return json.loads(done.stdout)


def test_the_plan_is_a_mix_with_reasons(cli, helpnext_home):
    ids = _home(helpnext_home)
    plan = _today(cli, DAY, "--n", "6")
    got = {s["contact_id"]: s["action"] for s in plan["suggestions"]}
    assert got == {
        ids["cy"]: "reciprocate",
        ids["ed"]: "check_in",
        ids["bo"]: "send_job",
        ids["gus"]: "share_article",
        ids["fay"]: "congratulate",
        ids["ana"]: "introduce",
    }
    scores = [s["score"] for s in plan["suggestions"]]
    assert scores == sorted(scores, reverse=True)
    assert all(s["reason"] and s["id"] for s in plan["suggestions"])
    intro = next(s for s in plan["suggestions"] if s["action"] == "introduce")
    assert intro["partner"]["contact_id"] == ids["bo"]
    job = next(s for s in plan["suggestions"] if s["action"] == "send_job")
    assert job["item"]["title"] == "Senior Data Engineer"


def test_a_dormant_tie_is_included_even_in_a_short_plan(cli, helpnext_home):
    ids = _home(helpnext_home)
    plan = _today(cli, DAY, "--n", "2")
    assert [s["contact_id"] for s in plan["suggestions"]].count(ids["ed"]) == 1
    assert len(plan["suggestions"]) == 2


def test_ids_are_stable_and_stored_with_propensity(cli, helpnext_home):
    _home(helpnext_home)
    first = _today(cli, DAY)
    again = _today(cli, f"{DAY}T15:00:00")
    assert [s["id"] for s in first["suggestions"]] == [s["id"] for s in again["suggestions"]]
    with open_store(helpnext_home, read_only=True) as store:
        rows = store.frame("SELECT * FROM suggestions")
    assert rows.height == len(first["suggestions"])
    assert set(rows["propensity"].to_list()) == {1.0}
    assert rows["model_version"][0] == first["model_version"]


def test_cool_down_and_snooze(cli, helpnext_home):
    ids = _home(helpnext_home)
    first = {s["contact_id"] for s in _today(cli, DAY, "--n", "3")["suggestions"]}
    next_day = (AS_OF + timedelta(days=1)).strftime("%Y-%m-%d")
    second = {s["contact_id"] for s in _today(cli, next_day, "--n", "3")["suggestions"]}
    assert not first & second
    with open_store(helpnext_home) as store, store.transaction() as con:
        con.execute(
            "UPDATE suggestions SET status = 'snoozed', snoozed_until = ? WHERE contact_id = ?",
            [AS_OF + timedelta(days=60), ids["cy"]],
        )
    later = (AS_OF + timedelta(days=20)).strftime("%Y-%m-%d")
    third = {s["contact_id"] for s in _today(cli, later, "--n", "8")["suggestions"]}
    assert ids["cy"] not in third  # snoozed until day 60, though the cool-down is over
    assert ids["ed"] in third  # the cool-down is over


def test_nothing_after_as_of_is_used(helpnext_home):
    """Deleting everything after as_of changes no suggestion."""
    with open_store(helpnext_home) as store:
        build_home(store)
        before = build_plan(store, AS_OF, n=6, save=False).suggestions
        with store.transaction() as con:
            con.execute("DELETE FROM interactions WHERE ts >= ?", [AS_OF])
            con.execute("DELETE FROM items WHERE published_at >= ?", [AS_OF])
        after = build_plan(store, AS_OF, n=6, save=False).suggestions
    cols = ["contact", "action", "item_id", "partner", "score", "reason"]
    assert before.select(cols).equals(after.select(cols))


def test_human_output_is_a_table(cli, helpnext_home):
    _home(helpnext_home)
    done = cli("today", "--as-of", DAY)
    assert done.exit_code == 0, done.stderr
    assert "Today's plan" in done.stdout and "give back" in done.stdout


def test_empty_home_says_what_to_import(cli):
    done = cli("today")
    assert done.exit_code == 0
    assert "Nothing to plan yet" in done.stdout and "helpnext import linkedin" in done.stdout
    payload = json.loads(cli("today", "--json").stdout)
    assert payload["suggestions"] == [] and "import" in payload["message"]


def test_before_any_interaction_says_so(cli, helpnext_home):
    _home(helpnext_home)
    done = cli("today", "--as-of", "2000-01-01")
    assert done.exit_code == 0 and "No interactions before 2000-01-01" in done.stdout


def test_bad_as_of_is_one_line(cli):
    done = cli("today", "--as-of", "someday")
    assert done.exit_code == 2 and done.stderr.startswith("helpnext: error: --as-of")


def test_top_actions_for_batch_scoring(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        frame = top_actions(store, store.owner_id(), [ids["cy"], ids["hal"], ids["gus"]], AS_OF)
    assert frame.columns == ["owner", "contact", "action", "reason"]
    assert dict(zip(frame["contact"], frame["action"], strict=True)) == {
        ids["cy"]: "reciprocate",
        ids["gus"]: "share_article",
    }


def test_demo_extras_give_every_kind_of_act(helpnext_home):
    from conftest import REPO

    from pipelines.ingest.linkedin.export import import_linkedin
    from recommender.actions.context import build_context
    from recommender.actions.registry import names
    from recommender.plan.daily import all_candidates
    from recommender.plan.demo import build_demo_extras
    from recommender.store.importer import apply_batch

    sample = REPO / "data" / "sample"
    exports = sorted(sample.glob("linkedin-export-*.zip"))
    if len(exports) < 2:
        import pytest

        pytest.skip("the sample network has not been generated")
    with open_store(helpnext_home) as store:
        for path in exports:
            apply_batch(store, import_linkedin(path))
        done = build_demo_extras(store, sample)
        again = build_demo_extras(store, sample)
        assert all(r["already_imported"] for r in again["items"])
        assert store.scalar("SELECT count(*) FROM notes") == len(done["notes"])
        ctx = build_context(store, store.owner_id(), done["as_of"])
        kinds = set(all_candidates(ctx)["action"].to_list())
    assert kinds == set(names())


def test_a_merged_contact_counts_for_the_one_it_was_merged_into(helpnext_home):
    from recommender.actions.context import build_context

    with open_store(helpnext_home) as store:
        ids = build_home(store)
        with store.transaction() as con:
            con.execute(
                "UPDATE contacts SET merged_into = ? WHERE contact_id = ?", [ids["cy"], ids["di"]]
            )
        ctx = build_context(store, store.owner_id(), AS_OF)
    counts = dict(zip(ctx.stats["contact"], ctx.stats["n_events"], strict=True))
    assert counts[ids["cy"]] == 16 + 17 and ids["di"] not in counts


def test_a_multi_owner_log_says_today_is_personal(cli, tmp_path):
    edges = tmp_path / "edges.txt"
    edges.write_text("1 2 1700000000\n2 1 1700000100\n")
    assert cli("import", "edges", edges).exit_code == 0
    done = cli("today")
    assert done.exit_code == 0 and "multi-owner log" in done.stdout
