import json

from test_actions_helpers import AS_OF, build_home

from recommender.store.db import open_store

DAY = AS_OF.strftime("%Y-%m-%d")


def test_show_has_timeline_rhythm_ledger_and_suggestions(cli, helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
    cli("today", "--as-of", DAY)
    done = cli("show", "Cy Endorser", "--as-of", DAY, "--json")
    assert done.exit_code == 0, done.stderr
    card = json.loads(done.stdout)
    assert card["rhythm"]["n_events"] == 16 and card["rhythm"]["rhythm_days"] == 7.0
    assert [g["detail"] for g in card["gives_in"]] == ["SQL"] and card["gives_out"] == []
    assert card["open_suggestions"][0]["action"] == "reciprocate"
    assert len(card["timeline"]) == 15
    human = cli("show", "Cy Endorser", "--as-of", DAY)
    assert human.exit_code == 0 and "Give ledger: 1 from them, 0 from you" in human.stdout


def test_show_a_contact_with_only_a_name(cli, helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
    done = cli("show", "Hal Quiet")
    assert done.exit_code == 0, done.stderr
    assert "No exchanges recorded yet." in done.stdout


def test_log_a_give_marks_the_suggestion_done_and_ends_the_debt(cli, helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
    cli("today", "--as-of", DAY)
    done = cli(
        "log",
        "Cy",
        "--note",
        "endorsed Cy for design",
        "--action",
        "reciprocate",
        "--date",
        DAY + "T10:00:00",
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    logged = json.loads(done.stdout)
    assert logged["channel"] == "endorsement" and logged["is_give"] is True
    assert logged["suggestion_done"] is not None
    with open_store(helpnext_home, read_only=True) as store:
        status = store.scalar("SELECT status FROM suggestions WHERE contact_id = ?", [ids["cy"]])
    assert status == "done"
    later = json.loads(cli("today", "--as-of", "2024-07-01", "--n", "8", "--json").stdout)
    assert not any(s["action"] == "reciprocate" for s in later["suggestions"])


def test_log_a_plain_note_and_bad_input(cli, helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
    done = cli("log", "Hal", "--note", "met at the meetup")
    assert done.exit_code == 0 and "Logged: note" in done.stdout
    bad = cli("log", "Hal", "--note", "x", "--action", "hug")
    assert bad.exit_code == 2 and "is not one of" in bad.stderr
    nobody = cli("log", "Nobody Here", "--note", "x")
    assert nobody.exit_code == 1 and nobody.stderr.startswith("helpnext: error: no contact")
