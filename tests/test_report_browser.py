"""The report in a real browser: Debian's Chromium, headless, driven by Playwright, the page
opened from file:// with every network request blocked.

Needs /usr/bin/chromium (Debian's ``chromium``; ``.ci/run`` installs it). Without it the
test is skipped with a reason, except where ``HELPNEXT_REQUIRE_BROWSER=1`` (CI), where a
missing browser fails it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import report_home
from report_home import SCRIPT_NAME

CHROMIUM = os.environ.get("HELPNEXT_CHROMIUM", "/usr/bin/chromium")
SECTIONS = ("ties", "touches", "gives", "drifting", "answers", "ranking", "week")
# the flags a root, offline, headless Chromium needs (no sandbox as root; no calls home)
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def _browser_or_skip() -> None:
    if Path(CHROMIUM).is_file() or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if os.environ.get("HELPNEXT_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def report_page(cli, helpnext_home, tmp_path) -> Path:
    """A report whose every section has a chart: the known home, one plan shown and answered."""
    import json

    report_home.build(cli, helpnext_home, tmp_path / "csv")
    plan = json.loads(cli("today", "--as-of", "2024-05-01", "--json").stdout)
    assert cli("skip", str(plan["suggestions"][0]["id"]), "--as-of", "2024-05-02").exit_code == 0
    out = tmp_path / "report.html"
    result = cli("report", "--as-of", report_home.T.isoformat(), "--out", out)
    assert result.exit_code == 0, result.stderr
    return out


def test_report_renders_offline_in_chromium(report_page, tmp_path):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    requested, blocked, errors = [], [], []

    def route(r):
        requested.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 900})
            context.route("**/*", route)
            page = context.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report_page.as_uri(), wait_until="load")
            sizes = {}
            for key in SECTIONS:
                charts = page.locator(f"section#{key} svg.chart")
                assert charts.count() >= 1, f"section {key} has no chart"
                box = charts.first.bounding_box()
                sizes[key] = (box["width"], box["height"])
            # the name is text on the page, not a script that ran
            drifting = page.locator("section#drifting").inner_text()
            assert SCRIPT_NAME in drifting
            assert page.evaluate("typeof window.alert") == "function"
            assert page.locator("script").count() == 0
            shot = tmp_path / "report.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert errors == []
    assert blocked == [] and all(u.startswith("file://") for u in requested)
    assert requested == [report_page.as_uri()]
    assert all(w > 100 and h > 30 for w, h in sizes.values()), sizes
    assert shot.stat().st_size > 20_000
