"""``helpnext done|skip|snooze|never`` and ``unnever`` on the hand-made home (known plan)."""

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from test_actions_helpers import AS_OF, build_home

from recommender.actions.registry import BY_NAME
from recommender.store.db import open_store

DAY = AS_OF.strftime("%Y-%m-%d")
LATER = AS_OF + timedelta(hours=6)


@pytest.fixture
def plan(cli, helpnext_home):
    """ref -> contact id, and action -> the suggestion today showed (the six-act plan)."""
    with open_store(helpnext_home) as store:
        ids = build_home(store)
    shown = cli("today", "--as-of", DAY, "--n", "6", "--json")
    assert shown.exit_code == 0, shown.stderr
    by_action = {s["action"]: s for s in json.loads(shown.stdout)["suggestions"]}
    return ids, by_action


def _gives(helpnext_home, since=AS_OF):
    with open_store(helpnext_home, read_only=True) as store:
        return store.frame(
            "SELECT contact_id, ts, channel, direction, is_give, body, detail FROM interactions "
            "WHERE ts >= ? ORDER BY interaction_id",
            [since],
        ).to_dicts()


def _status(helpnext_home, suggestion_id):
    with open_store(helpnext_home, read_only=True) as store:
        return store.con.execute(
            "SELECT status, status_at, snoozed_until FROM suggestions WHERE suggestion_id = ?",
            [suggestion_id],
        ).fetchall()[0]


def test_done_an_introduction_records_a_give_to_both_people(cli, helpnext_home, plan):
    ids, shown = plan
    intro = shown["introduce"]
    done = cli("done", intro["id"], "--note", "intro by mail", "--as-of", LATER.isoformat())
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == f"Suggestion #{intro['id']} done; recorded 2 gives."
    gives = _gives(helpnext_home)
    assert [(g["contact_id"], g["channel"], g["direction"], g["is_give"]) for g in gives] == [
        (ids["ana"], "introduction", "out", True),
        (ids["bo"], "introduction", "out", True),
    ]
    assert {g["ts"] for g in gives} == {LATER}
    assert gives[0]["body"] == "intro by mail"
    assert gives[0]["detail"] == "Bo Seeker" and gives[1]["detail"] == "Ana Hire"
    assert _status(helpnext_home, intro["id"])[:2] == ("done", LATER)
    with open_store(helpnext_home, read_only=True) as store:
        rows = store.frame("SELECT suggestion_id, outcome, note FROM suggestion_feedback")
    assert rows.to_dicts() == [
        {"suggestion_id": intro["id"], "outcome": "done", "note": "intro by mail"}
    ]


@pytest.mark.parametrize(
    ("action", "channel", "is_give", "detail"),
    [
        ("share_article", "share", True, "https://example.org/pytorch-training"),
        ("send_job", "share", True, "https://jobs.example.org/1"),
        ("congratulate", "message", False, None),
        ("reciprocate", "endorsement", True, None),
        ("check_in", "message", False, None),
    ],
)
def test_done_records_the_act_as_its_channel(
    cli, helpnext_home, plan, action, channel, is_give, detail
):
    _, shown = plan
    suggestion = shown[action]
    assert cli("done", suggestion["id"], "--as-of", LATER.isoformat()).exit_code == 0
    (give,) = _gives(helpnext_home)
    assert give["contact_id"] == suggestion["contact_id"]
    assert (give["channel"], give["direction"], give["is_give"], give["detail"]) == (
        channel,
        "out",
        is_give,
        detail,
    )
    assert give["body"] == f"{action.replace('_', ' ')} (suggestion #{suggestion['id']})"


def test_a_done_give_shows_in_the_ledger(cli, helpnext_home, plan):
    ids, shown = plan
    assert cli("done", shown["reciprocate"]["id"], "--as-of", LATER.isoformat()).exit_code == 0
    card = cli("show", ids["cy"], "--as-of", (LATER + timedelta(hours=1)).isoformat(), "--json")
    ledger = json.loads(card.stdout)
    assert [g["channel"] for g in ledger["gives_out"]] == ["endorsement"]
    # and it is no longer a give to return
    nxt = (AS_OF + timedelta(days=20)).strftime("%Y-%m-%d")
    later = json.loads(cli("today", "--as-of", nxt, "--n", "8", "--json").stdout)
    assert not [
        s
        for s in later["suggestions"]
        if s["contact_id"] == ids["cy"] and s["action"] == "reciprocate"
    ]


def test_unknown_and_already_answered_ids_are_one_clear_line(cli, helpnext_home, plan):
    _, shown = plan
    missing = cli("done", "999")
    assert missing.exit_code == 1
    assert missing.stderr == (
        "helpnext: error: no suggestion #999; `helpnext today` lists today's suggestions "
        "with their ids\n"
    )
    sid = shown["check_in"]["id"]
    assert cli("skip", sid, "--as-of", LATER.isoformat()).exit_code == 0
    for again in (["done", sid], ["skip", sid], ["never", sid], ["snooze", sid, "--days", "3"]):
        result = cli(*again)
        assert result.exit_code == 1
        assert result.stderr == (
            f"helpnext: error: suggestion #{sid} was already answered (skipped on "
            f"{LATER:%Y-%m-%d}); an answer is not changed\n"
        )
    assert _gives(helpnext_home) == []  # a skip records no interaction
    with open_store(helpnext_home, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM suggestion_feedback") == 1


def test_snooze_holds_the_person_back_past_the_cool_down(cli, helpnext_home, plan):
    ids, shown = plan
    sid = shown["reciprocate"]["id"]
    snoozed = cli("snooze", sid, "--days", "40", "--as-of", LATER.isoformat(), "--json")
    assert snoozed.exit_code == 0, snoozed.stderr
    assert json.loads(snoozed.stdout)["snoozed_until"] == str(LATER + timedelta(days=40))
    assert _status(helpnext_home, sid) == ("snoozed", LATER, LATER + timedelta(days=40))
    day20 = (AS_OF + timedelta(days=20)).strftime("%Y-%m-%d")
    people = {
        s["contact_id"]
        for s in json.loads(cli("today", "--as-of", day20, "--n", "8", "--json").stdout)[
            "suggestions"
        ]
    }
    assert ids["cy"] not in people and ids["ed"] in people
    assert cli("snooze", shown["check_in"]["id"], "--days", "0").exit_code == 2


def test_never_and_unnever(cli, helpnext_home, plan):
    ids, shown = plan
    sid = shown["check_in"]["id"]
    never = cli("never", sid, "--as-of", LATER.isoformat())
    assert never.exit_code == 0, never.stderr
    assert f"contact #{ids['ed']} is held back (undo: unnever {ids['ed']})" in never.stdout
    day20 = (AS_OF + timedelta(days=20)).strftime("%Y-%m-%d")
    day21 = (AS_OF + timedelta(days=21)).strftime("%Y-%m-%d")
    first = json.loads(cli("today", "--as-of", day20, "--n", "8", "--json").stdout)
    assert ids["ed"] not in {s["contact_id"] for s in first["suggestions"]}
    undo = cli("unnever", "Ed Dormant")
    assert undo.stdout.strip() == f"Contact #{ids['ed']} can be suggested again."
    assert cli("unnever", "Ed Dormant").stdout.strip().endswith("nothing changed.")
    second = json.loads(cli("today", "--as-of", day21, "--n", "8", "--json").stdout)
    assert ids["ed"] in {s["contact_id"] for s in second["suggestions"]}
    assert _status(helpnext_home, sid)[0] == "never"  # the answer itself is history


def test_feedback_commands_import_neither_polars_nor_sklearn(helpnext_home, plan):
    _, shown = plan
    code = (
        "import sys\n"
        "from recommender.cli.app import main\n"
        f"code = main(['done', '{shown['check_in']['id']}'])\n"
        "heavy = [m for m in ('polars', 'sklearn', 'pyarrow') if m in sys.modules]\n"
        "print(code, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "0 []"


def test_a_failed_write_leaves_nothing_behind(helpnext_home, plan):
    """The partner's interaction fails (its uid is taken) after the contact's was written:
    the whole answer is rolled back."""
    import hashlib

    import duckdb

    from recommender.store.feedback import record

    ids, shown = plan
    sid = shown["introduce"]["id"]
    taken = hashlib.md5(f"feedback|{sid}|{ids['bo']}".encode()).hexdigest()
    with open_store(helpnext_home) as store:
        with store.transaction() as con:
            con.execute(
                "INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel, "
                "direction) VALUES (100000, ?, 1, ?, ?, 'note', 'out')",
                [taken, ids["bo"], AS_OF - timedelta(days=400)],
            )
        n_before = store.scalar("SELECT count(*) FROM interactions")
        with pytest.raises(duckdb.ConstraintException):
            record(store, sid, "done", acts=BY_NAME, at=LATER)
        assert store.scalar("SELECT count(*) FROM interactions") == n_before
        assert store.scalar("SELECT count(*) FROM suggestion_feedback") == 0
        assert store.scalar("SELECT status FROM suggestions WHERE suggestion_id = ?", [sid]) == (
            "open"
        )


def test_the_answer_time_defaults_to_now(cli, helpnext_home, plan):
    _, shown = plan
    before = datetime.now().replace(microsecond=0) - timedelta(days=1)
    assert cli("skip", shown["send_job"]["id"]).exit_code == 0
    status, at, _ = _status(helpnext_home, shown["send_job"]["id"])
    assert status == "skipped" and at > before


def test_the_fast_path_answers_like_the_command_line(cli, helpnext_home, plan, capsys):
    """``recommender.store.feedback.fast_cli``: the same answers without Typer; anything it does
    not know is left to the full command line (None)."""
    from recommender.store.feedback import fast_cli

    _, shown = plan
    capsys.readouterr()
    intro, share = shown["introduce"]["id"], shown["share_article"]["id"]
    assert (
        fast_cli(["--home", str(helpnext_home), "done", str(intro), "--as-of", DAY], BY_NAME) == 0
    )
    assert capsys.readouterr().out == f"Suggestion #{intro} done; recorded 2 gives.\n"
    assert fast_cli(["done", str(intro)], BY_NAME) == 1
    typer_says = cli("done", intro).stderr
    assert capsys.readouterr().err == typer_says
    assert fast_cli(["never", str(share), "--json"], BY_NAME) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "never"
    for other in (
        ["today"],
        ["done", "--help"],
        ["snooze", str(intro)],
        ["snooze", str(intro), "--days", "0"],
        ["skip", str(intro), "--note", "x"],
        ["done", "abc"],
        ["done", str(intro), "--verbose"],
    ):
        assert fast_cli(other, BY_NAME) is None, other


def test_the_console_script_answers_feedback_without_loading_the_full_cli(helpnext_home, cli):
    """`helpnext done ID` is the hot path: it must not import Typer (a third of a second)."""
    import json
    import subprocess
    import sys

    with open_store(helpnext_home) as store:
        build_home(store)
    plan = json.loads(cli("today", "--as-of", AS_OF.isoformat(), "--json").stdout)
    first = plan["suggestions"][0]["id"]
    probe = (
        "import sys; from recommender.cli.entry import main; "
        f"code = main(['--home', {str(helpnext_home)!r}, 'skip', '{first}']); "
        "print(code, 'typer' in sys.modules)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[-1] == "0 False"
    assert f"Suggestion #{first}" in lines[0]
    # anything else still reaches the full command line
    again = subprocess.run(
        [sys.executable, "-m", "recommender", "--home", str(helpnext_home), "skip", str(first)],
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "already" in again.stderr
