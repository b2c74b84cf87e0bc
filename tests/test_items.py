import json
from datetime import datetime

import pytest
from conftest import TEST_DATA

from pipelines.ingest.articles import import_articles
from pipelines.ingest.jobs import import_jobs
from recommender.errors import InputError
from recommender.store.db import open_store
from recommender.store.items import import_items, load_items

ITEMS = TEST_DATA / "items"


@pytest.mark.parametrize(
    "name, titles",
    [
        ("articles.csv", ["Scaling PyTorch model training", "A title only"]),
        ("articles.jsonl", ["Data contracts in practice", "Hiring your first designer"]),
        ("links.md", ["The quiet art of the check-in", "Feature stores explained"]),
        ("feed.xml", ["Vector search at scale"]),
    ],
)
def test_every_article_format_reads(name, titles):
    batch = import_articles(ITEMS / name)
    assert batch.items["title"].to_list() == titles
    assert batch.items["kind"].unique().to_list() == ["article"]
    # no text: the title stands in
    assert batch.items["text"].null_count() == 0


def test_details_of_each_format():
    csv = import_articles(ITEMS / "articles.csv").items
    assert csv["text"][1] == "A title only"
    assert csv["tags"][0] == "ml;pytorch"
    jsonl = import_articles(ITEMS / "articles.jsonl").items
    assert jsonl["tags"][0] == "data engineering;dbt"
    assert jsonl["published_at"][1] == datetime(2024, 6, 18)
    md = import_articles(ITEMS / "links.md").items
    assert md["published_at"].to_list() == [datetime(2024, 3, 1), None]
    assert md["text"][0] == "short essay"
    feed = import_articles(ITEMS / "feed.xml").items
    assert feed["text"][0] == "Approximate nearest neighbours for search ."
    assert feed["published_at"][0] == datetime(2024, 5, 6, 10)


def test_jobs_without_company_are_kept_company_unknown():
    jobs = import_jobs(ITEMS / "jobs.csv").items
    assert jobs["company"].to_list() == ["Omega", None]
    assert jobs["text"][0] == "Spark and Airflow pipelines"


def test_a_job_without_title_names_file_and_line():
    with pytest.raises(InputError, match=r"jobs_no_title.csv, line 3: .*no title"):
        import_jobs(ITEMS / "jobs_no_title.csv")


def test_a_bad_date_skips_its_row_and_names_the_line(tmp_path):
    batch = import_articles(ITEMS / "articles_bad_date.csv")
    assert batch.items["title"].to_list() == ["Fine"]
    worse = tmp_path / "worse.csv"
    worse.write_text(
        "title,url,date\nA,https://example.org/1,soon\nB,https://example.org/2,someday\n"
    )
    with pytest.raises(InputError, match=r"worse.csv, line 2: 2 of 2 rows cannot be read"):
        import_articles(worse)


def test_reimport_is_idempotent_and_future_items_are_invisible(helpnext_home):
    with open_store(helpnext_home) as store:
        first = import_items(store, import_articles(ITEMS / "articles.csv"))
        again = import_items(store, import_articles(ITEMS / "articles.csv"))
        overlap = import_items(store, import_articles(ITEMS / "links.md"))
        count = store.scalar("SELECT count(*) FROM items")
        before = load_items(store, "article", datetime(2024, 5, 21))
    assert first.items_added == 2 and again.already_imported
    assert overlap.items_added == 2 and overlap.undated == 1
    assert count == 4
    # dated on or after as_of (and the undated one, dated at import) are not there yet
    assert sorted(before["title"].to_list()) == [
        "Scaling PyTorch model training",
        "The quiet art of the check-in",
    ]
    fresh = dict(zip(before["title"], before["freshness"], strict=True))
    assert fresh["Scaling PyTorch model training"] == pytest.approx(0.5 ** (1 / 30))


def test_cli_import_articles_and_jobs(cli):
    done = cli("import", "articles", ITEMS / "articles.jsonl", "--json")
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["items_added"] == 2
    again = cli("import", "articles", ITEMS / "articles.jsonl")
    assert "already imported" in again.stdout
    jobs = cli("import", "jobs", ITEMS / "jobs.csv")
    assert jobs.exit_code == 0 and "2 new" in jobs.stdout
    bad = cli("import", "jobs", ITEMS / "jobs_no_title.csv")
    assert bad.exit_code == 1
    assert bad.stderr.startswith("helpnext: error: ") and "line 3" in bad.stderr
    missing = cli("import", "articles", ITEMS / "nope.csv")
    assert missing.exit_code == 1 and "no such file" in missing.stderr
