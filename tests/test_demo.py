import json


def test_demo_builds_the_sample_home_and_prints_its_list(cli, helpnext_home):
    result = cli("demo", "--n", "6", "--home", helpnext_home)
    assert result.exit_code == 0, result.stderr
    assert "Imported linkedin-export-2023-06.zip" in result.stdout
    assert "28 role changes" in result.stdout
    assert "Today's plan, as of 19 Jun 2024" in result.stdout
    # and its report, as of the same moment, with the plan it just showed
    page = helpnext_home / "report.html"
    assert f"The demo network at a glance: {page}" in result.stdout
    html = page.read_text()
    assert "6 suggestions shown, none answered yet" in html
    plan = json.loads(cli("today", "--as-of", "2024-06-19T00:00:00", "--n", "6", "--json").stdout)
    # the demo shows every kind of give-first act
    assert {s["action"] for s in plan["suggestions"]} == {
        "share_article",
        "introduce",
        "send_job",
        "congratulate",
        "reciprocate",
        "check_in",
    }
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["contacts"] > 400
    assert {"kind": "new_role", "n": 28} in stats["events"]
    # running it again on the same home imports nothing twice
    again = cli("demo")
    assert again.exit_code == 0
    assert again.stdout.count("already imported") == 2
    assert json.loads(cli("stats", "--json").stdout)["interactions"] == stats["interactions"]
