"""`helpnext report`: the page's numbers on a small known home, escaping, point in time,
empty states, and bad input (one line, non-zero exit, nothing half-written)."""

from __future__ import annotations

import re
import stat
from html import unescape

import report_home
from report_home import ESCAPED_NAME, SCRIPT_NAME, T

SECTIONS = ("ties", "touches", "gives", "drifting", "answers", "ranking", "week")


def _report(cli, home, out, as_of=T):
    result = cli("report", "--home", home, "--as-of", as_of.isoformat(), "--out", out)
    assert result.exit_code == 0, result.stderr
    return result


def _section(html: str, key: str) -> str:
    found = re.search(rf'<section id="{key}".*?</section>', html, re.S)
    assert found, f"no section {key}"
    return found.group(0)


def _takeaway(html: str, key: str) -> str:
    found = re.search(r'<p class="takeaway">(.*?)</p>', _section(html, key), re.S)
    assert found, f"no takeaway in {key}"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def _rows(html: str, key: str, caption: str) -> list[list[str]]:
    section = _section(html, key)
    table = re.search(
        rf"<caption>{re.escape(caption)}</caption>.*?<tbody>(.*?)</tbody>", section, re.S
    )
    assert table, f"no table {caption!r} in {key}"
    return [
        [unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def test_report_numbers_on_a_known_home(cli, helpnext_home, tmp_path):
    report_home.build(cli, helpnext_home, tmp_path / "csv")
    out = tmp_path / "report.html"
    result = _report(cli, helpnext_home, out)
    assert (
        result.stdout.strip()
        == f"Report written to {out} (open it in any browser; it works offline)"
    )
    html = out.read_text()
    for key in SECTIONS:
        _section(html, key)
    assert _rows(html, "ties", "People by tie") == [
        ["strong", "2", "1", "1"],
        ["regular", "1", "0", "0"],
        ["dormant", "1", "1", "0"],
        ["never engaged", "1", "0", "0"],
    ]
    assert _takeaway(html, "ties").startswith(
        "33% of your 3 strong and regular ties heard from you in the last 90 days"
    )
    assert _takeaway(html, "touches").startswith(
        "In the last 90 days you reached out 4 times (up from 3 in the 90 days before) and "
        "heard from people 7 times: you started 36% of the touches; mostly by message."
    )
    assert _takeaway(html, "gives") == (
        "In the last 12 months people gave to you 1 time and you gave 0 times; 1 person is "
        "still waiting for a give back."
    )
    assert _rows(html, "gives", "Waiting for a give back (top 10)") == [
        ["Ana Strong", "Acme", "1", "27 May 2024", "endorsement", "never"]
    ]
    drifting = _rows(html, "drifting", "Furthest past their rhythm")
    assert [r[0] for r in drifting] == [SCRIPT_NAME, "Cleo Dormant"]
    assert drifting[0][2:] == ["15 Feb 2024", "107", "7", "15.3"]
    assert _takeaway(html, "drifting").startswith(
        f"2 ties past their own rhythm; furthest: {SCRIPT_NAME}"
    )
    # no plan shown yet, no model: honest empty state and the heuristic's backtest
    assert "No plan shown yet" in _section(html, "answers")
    assert "Nothing trained on your history yet: the plan ranks with the prior" in unescape(
        _section(html, "ranking")
    )
    assert "<svg" in _section(html, "ranking")


def test_every_name_is_escaped_and_nothing_is_fetched(cli, helpnext_home, tmp_path):
    report_home.build(cli, helpnext_home, tmp_path / "csv")
    out = tmp_path / "report.html"
    _report(cli, helpnext_home, out)
    html = out.read_text()
    assert SCRIPT_NAME not in html
    assert ESCAPED_NAME in html
    assert "<script" not in html.lower()
    # nothing external: no remote address in any attribute, no style sheet or font link
    assert not re.search(r'(src|href)="(?!#)', html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html


def test_file_is_private_and_written_whole(cli, helpnext_home, tmp_path):
    report_home.build(cli, helpnext_home, tmp_path / "csv")
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "r.html"
    _report(cli, helpnext_home, out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["r.html"]  # no temp file left
    # the default place is report.html in the home
    result = cli("report", "--home", helpnext_home, "--as-of", T.isoformat())
    assert result.exit_code == 0
    assert (helpnext_home / "report.html").is_file()


def test_nothing_after_as_of_is_seen(cli, helpnext_home, tmp_path):
    report_home.build(cli, helpnext_home, tmp_path / "csv")
    before = tmp_path / "before.html"
    _report(cli, helpnext_home, before)
    report_home.build(cli, helpnext_home, tmp_path / "csv2", later=True)  # events after T
    after = tmp_path / "after.html"
    _report(cli, helpnext_home, after)
    assert before.read_text() == after.read_text()
    later = tmp_path / "later.html"
    _report(cli, helpnext_home, later, as_of=T.replace(month=7))
    assert later.read_text() != before.read_text()


def test_a_home_with_connections_only_shows_empty_states(cli, helpnext_home, tmp_path):
    report_home.build(cli, helpnext_home, tmp_path / "csv", interactions=False)
    out = tmp_path / "report.html"
    _report(cli, helpnext_home, out)
    html = out.read_text()
    assert _rows(html, "ties", "People by tie")[3] == ["never engaged", "5", "0", "0"]
    assert "none with a message yet" in _takeaway(html, "ties")
    assert "No messages, mail or meetings yet (connections only)" in _section(html, "touches")
    assert "No gives recorded yet" in _section(html, "gives")
    assert "No exchanges yet, so no rhythm to drift from" in _section(html, "drifting")
    assert "Nothing to judge a ranking on" in _section(html, "ranking")
    assert "No interactions before" in _section(html, "week")


def test_plan_and_answers(cli, helpnext_home, tmp_path):
    import json

    report_home.build(cli, helpnext_home, tmp_path / "csv")
    shown = T.replace(day=1).replace(month=5)  # 1 May 2024
    plan = json.loads(cli("today", "--as-of", shown.isoformat(), "--n", "3", "--json").stdout)
    ids = [s["id"] for s in plan["suggestions"]]
    assert len(ids) == 2  # all this small home offers
    assert cli("skip", str(ids[0]), "--as-of", "2024-05-02").exit_code == 0
    assert cli("done", str(ids[1]), "--as-of", "2024-06-05").exit_code == 0  # after T
    out = tmp_path / "report.html"
    _report(cli, helpnext_home, out)
    html = out.read_text()
    # the 'done' came after the report's moment: unanswered as of T
    assert _takeaway(html, "answers") == (
        "You did 0 of the 2 suggestions shown since your answers began on 1 May 2024 (0%)."
    )
    weeks = _rows(html, "answers", "By week (from Monday)")
    assert weeks[-5] == ["29 Apr 2024", "2", "0", "1", "0", "0", "1"]
    assert sum(int(r[1]) for r in weeks) == 2
    later = tmp_path / "later.html"
    _report(cli, helpnext_home, later, as_of=T.replace(month=7))
    assert _takeaway(later.read_text(), "answers").startswith(
        "You did 1 of the 2 suggestions shown since your answers began on 1 May 2024 (50%)"
    )


def test_bad_input_is_one_line_and_writes_nothing(cli, helpnext_home, tmp_path):
    missing = cli("report", "--home", tmp_path / "nowhere")
    assert missing.exit_code == 1
    assert (
        missing.stderr
        == f"helpnext: error: no helpnext home at {tmp_path / 'nowhere'}: import your history first, or pass --home\n"
    )
    report_home.build(cli, helpnext_home, tmp_path / "csv")
    out = tmp_path / "kept.html"
    _report(cli, helpnext_home, out)
    kept = out.read_text()
    early = cli("report", "--home", helpnext_home, "--as-of", "2019-01-01", "--out", out)
    assert early.exit_code == 2
    assert early.stderr.startswith(
        "helpnext: error: nothing in this home is dated before --as-of 2019-01-01"
    )
    assert early.stderr.count("\n") == 1
    assert out.read_text() == kept  # the earlier page is untouched
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    unwritable = cli("report", "--home", helpnext_home, "--out", blocked / "r.html")
    assert unwritable.exit_code == 2
    assert "does not exist" in unwritable.stderr and unwritable.stderr.count("\n") == 1
    folder = cli("report", "--home", helpnext_home, "--out", tmp_path)
    assert folder.exit_code == 2 and "is a folder" in folder.stderr
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "helpnext.duckdb").write_bytes(b"not a database" * 100)
    broken = cli("report", "--home", damaged, "--out", tmp_path / "d.html")
    assert broken.exit_code == 1
    assert "not a valid DuckDB database" in broken.stderr and broken.stderr.count("\n") == 1
    assert not (tmp_path / "d.html").exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_an_address_book_without_dates_still_reports(cli, helpnext_home, tmp_path):
    from conftest import TEST_DATA

    assert cli("import", "vcard", TEST_DATA / "vcard" / "google.vcf").exit_code == 0
    out = tmp_path / "report.html"
    _report(cli, helpnext_home, out)
    people = _rows(out.read_text(), "ties", "People by tie")
    assert people[3][0] == "never engaged" and int(people[3][1]) > 0
    assert sum(int(r[1]) for r in people[:3]) == 0
