"""One person = one contact across mail, LinkedIn, address books; duplicates, merge, split;
the owner's tags and notes."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import polars as pl
import pytest
from conftest import TEST_DATA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.ingest.batch import ImportBatch
from pipelines.ingest.google_contacts import read_google_contacts
from pipelines.ingest.mbox import read_mbox
from pipelines.ingest.vcard import read_vcard
from recommender.errors import UsageError
from recommender.store.db import open_store
from recommender.store.duplicates import (
    merge_contacts,
    propose_duplicates,
    split_contact,
)
from recommender.store.events import load_events
from recommender.store.importer import apply_batch
from recommender.store.lookup import find_contact
from recommender.store.tags import add_note, add_tags, contact_profile_text, remove_tags

MAIL = (
    "From x Tue Jun 18 14:05:00 2024\n"
    "From: Dana Smith <dana@acme.com>\nTo: me@example.com\n"
    "Date: Tue, 18 Jun 2024 14:05:00 +0000\nMessage-ID: <m1@acme.com>\nSubject: hi\n\nhello\n\n"
    "From x Wed Jun 19 14:05:00 2024\n"
    "From: me@example.com\nTo: Dana Smith <dana@acme.com>\n"
    "Date: Wed, 19 Jun 2024 14:05:00 +0000\nMessage-ID: <m2@example.com>\nSubject: Re: hi\n\nyo\n"
)


def mail_batch(tmp_path, text=MAIL, name="mail.mbox"):
    path = tmp_path / name
    path.write_text(text)
    return read_mbox(path, ["me@example.com"])


def linkedin_batch(email: str | None = None, company: str = "Acme", url: str | None = None):
    """What the LinkedIn importer yields for one connection (built by hand here)."""
    people = pl.DataFrame(
        {
            "ref": ["c1"],
            "first_name": ["Dana"],
            "last_name": ["Smith"],
            "company": [company],
            "position": ["Data Lead"],
            "emails": [[email] if email else []],
            "linkedin_url": [url],
            "connected_on": [datetime(2023, 1, 5)],
        }
    )
    interactions = pl.DataFrame(
        {
            "ref": ["c1"],
            "uid_key": [f"li:msg:{company}:{email}"],
            "ts": [datetime(2024, 1, 2)],
            "channel": ["message"],
            "direction": ["in"],
        }
    )
    return ImportBatch(
        source_kind="linkedin",
        label=f"linkedin-{company}-{email}",
        sha256=f"li-{company}-{email}-{url}",
        people=people,
        interactions=interactions,
        as_of=datetime(2024, 6, 1),
    )


def dana_ids(store) -> list[int]:
    rows = store.con.execute(
        "SELECT contact_id FROM contacts WHERE merged_into IS NULL AND display_name ILIKE 'dana%'"
    ).fetchall()
    return [r[0] for r in rows]


SOURCES = ("mail", "linkedin", "vcard")


@pytest.mark.parametrize("order", list(itertools.permutations(SOURCES)))
@pytest.mark.parametrize(
    "linkedin",
    [
        {"company": "Acme"},  # bridged through e-mail + name/company (vCard ORG "Acme Inc.")
        {"company": "Globex", "email": "dana.smith@gmail.com"},  # bridged by the vCard's 2 e-mails
    ],
    ids=["name+company", "two-emails"],
)
def test_same_person_in_every_import_order_is_one_contact(tmp_path, helpnext_home, order, linkedin):
    batches = {
        "mail": lambda: mail_batch(tmp_path),
        "linkedin": lambda: linkedin_batch(**linkedin),
        "vcard": lambda: read_vcard(TEST_DATA / "vcard" / "google.vcf"),
    }
    with open_store(helpnext_home) as store:
        for name in order:
            apply_batch(store, batches[name]())
        ids = dana_ids(store)
        assert len(ids) == 1, order
        events = load_events(store).collect()
        dana_events = events.filter(pl.col("contact") == ids[0])
        assert dana_events.height == 3  # 2 e-mails + 1 LinkedIn message: nothing lost
        assert store.scalar("SELECT count(*) FROM interactions") == 3


def test_bridge_merge_is_recorded_and_reversible(tmp_path, helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, mail_batch(tmp_path))
        apply_batch(store, linkedin_batch(company="Globex", email="dana.smith@gmail.com"))
        assert len(dana_ids(store)) == 2
        result = apply_batch(store, read_vcard(TEST_DATA / "vcard" / "google.vcf"))
        assert result.details["contacts_merged"] == 1
        (merge,) = store.frame("SELECT * FROM merges").to_dicts()
        assert merge["reason"] == "bridge"
        evidence = json.loads(merge["evidence"])
        assert "email:dana.smith@gmail.com" in evidence["keys"]
        (kept,) = dana_ids(store)
        # an e-mail known only through the absorbed contact names the merged one
        assert find_contact(store, "dana.smith@gmail.com") == kept
        split_contact(store, kept)
        assert len(dana_ids(store)) == 2
        # split restores the exact interactions each had
        per = store.frame(
            "SELECT contact_id, count(*) AS n FROM interactions GROUP BY ALL ORDER BY contact_id"
        )["n"].to_list()
        assert per == [2, 1]
        # the owner said they are different: the same bridge does not merge them again
        again = apply_batch(store, read_vcard(TEST_DATA / "vcard" / "apple.vcf"))
        assert again.details["contacts_merged"] == 0
        store.con.execute("DELETE FROM imports WHERE source_kind = 'vcard'")
        assert (
            apply_batch(store, read_vcard(TEST_DATA / "vcard" / "google.vcf")).details[
                "contacts_merged"
            ]
            == 0
        )
        assert len(dana_ids(store)) == 2


def test_two_john_lees_at_different_companies_stay_apart(helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, read_vcard(TEST_DATA / "vcard" / "apple.vcf"))  # Initech
        apply_batch(store, read_google_contacts(TEST_DATA / "google" / "contacts.csv"))  # Globex
        johns = store.frame(
            "SELECT company FROM contacts WHERE display_name = 'John Lee' AND merged_into IS NULL "
            "ORDER BY company"
        )["company"].to_list()
        assert johns == ["Globex", "Initech"]
        proposals = propose_duplicates(store)
        assert not [p for p in proposals if p["a"]["name"] == "John Lee"]


def test_mail_from_john_joins_only_the_right_john(tmp_path, helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, read_vcard(TEST_DATA / "vcard" / "apple.vcf"))
        apply_batch(store, read_google_contacts(TEST_DATA / "google" / "contacts.csv"))
        apply_batch(store, read_mbox(TEST_DATA / "mbox" / "thunderbird.mbox", ["me@example.com"]))
        rows = store.frame(
            """SELECT c.company, count(i.interaction_id) AS n FROM contacts c
               LEFT JOIN interactions i USING (contact_id)
               WHERE c.display_name = 'John Lee' GROUP BY ALL ORDER BY c.company"""
        ).rows()
        assert rows == [("Globex", 0), ("Initech", 2)]


def test_duplicates_merge_split_cli(tmp_path, cli, helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, mail_batch(tmp_path))
        apply_batch(store, linkedin_batch(company="Acme"))
        smyth = MAIL.replace("Dana Smith <dana@acme.com>", "Dana Smyth <dsmyth@other.org>")
        smyth = smyth.replace("<m1@", "<s1@").replace("<m2@", "<s2@")
        apply_batch(store, mail_batch(tmp_path, smyth, "smyth.mbox"))
    result = cli("contacts", "duplicates", "--json")
    assert result.exit_code == 0, result.stderr
    proposals = json.loads(result.stdout)
    top = proposals[0]
    assert (top["a"]["contact_id"], top["b"]["contact_id"], top["score"]) == (1, 2, 100.0)
    assert top["shared_tokens"] == ["dana", "smith"]
    assert top["companies"] == ["Acme"]
    assert top["sources"] == ["linkedin", "mbox"]
    assert top["a"]["emails"] == ["dana@acme.com"]
    # the misspelt Smyth is proposed too, below the exact match
    assert any({p["a"]["contact_id"], p["b"]["contact_id"]} == {1, 3} for p in proposals[1:])
    assert "possible duplicates" in cli("contacts", "duplicates").stdout

    merged = cli("contacts", "merge", "1", "2", "--json")
    assert merged.exit_code == 0, merged.stderr
    assert json.loads(merged.stdout)["absorbed_id"] == 2
    listed = json.loads(cli("contacts", "--json").stdout)
    dana = [c for c in listed if c["name"] == "Dana Smith"]
    assert len(dana) == 1 and dana[0]["interactions"] == 3
    assert cli("tag", "dana@acme.com", "hiring").exit_code == 0
    again = cli("contacts", "merge", "1", "2")
    assert again.exit_code == 2 and "already one contact" in again.stderr

    split = cli("contacts", "split", "2", "--json")
    assert split.exit_code == 0, split.stderr
    assert json.loads(split.stdout) == [{"merge_id": 1, "kept_id": 1, "absorbed_id": 2}]
    listed = json.loads(cli("contacts", "--json").stdout)
    assert sorted(c["interactions"] for c in listed if c["name"] == "Dana Smith") == [1, 2]
    after = json.loads(cli("contacts", "duplicates", "--json").stdout)
    assert not any({p["a"]["contact_id"], p["b"]["contact_id"]} == {1, 2} for p in after)
    bad = cli("contacts", "split", "3")
    assert bad.exit_code == 2 and "not merged" in bad.stderr
    missing = cli("contacts", "merge", "1", "nobody-here")
    assert missing.exit_code == 1 and missing.stderr.startswith("helpnext: error: no contact")


def test_merge_chains_split_exactly(tmp_path, helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, read_google_contacts(TEST_DATA / "google" / "contacts.csv"))
        merge_contacts(store, 2, 3)  # 3 -> 2
        merge_contacts(store, 1, 2)  # 2 (with 3) -> 1
        rows = store.frame("SELECT contact_id, merged_into FROM contacts ORDER BY 1").rows()
        assert rows == [(1, None), (2, 1), (3, 1)]
        split_contact(store, 1)
        rows = store.frame("SELECT contact_id, merged_into FROM contacts ORDER BY 1").rows()
        assert rows == [(1, None), (2, None), (3, 2)]
        with pytest.raises(UsageError):
            merge_contacts(store, 2, 2)


def test_tags_and_notes(cli, helpnext_home):
    assert cli("import", "vcard", TEST_DATA / "vcard" / "google.vcf").exit_code == 0
    result = cli("tag", "Dana Smith", "Hiring", "mentor", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "contact_id": 1,
        "changed": ["hiring", "mentor"],
        "tags": ["friends", "hiring", "mentor", "work"],
    }
    removed = json.loads(cli("tag", "1", "mentor", "--remove", "--json").stdout)
    assert removed["tags"] == ["friends", "hiring", "work"]
    assert (
        cli(
            "note", "dana@acme.com", "interested in data engineering", "--kind", "interest"
        ).exit_code
        == 0
    )
    assert cli("note", "1", "looking for a senior role", "--kind", "need").exit_code == 0
    bad = cli("note", "1", "x", "--kind", "gossip")
    assert bad.exit_code == 2 and "not one of interest, need, note" in bad.stderr
    nobody = cli("tag", "Nobody Known", "x")
    assert nobody.exit_code == 1 and nobody.stderr.startswith("helpnext: error: no contact")
    with open_store(helpnext_home) as store:
        profile = contact_profile_text(store, [1]).row(0, named=True)
        assert profile["tags"] == ["friends", "hiring", "work"]
        assert profile["interests"] == ["interested in data engineering"]
        assert profile["needs"] == ["looking for a senior role"]
        assert "data engineering" in profile["text"] and "hiring" in profile["text"]
        assert "Head of Data" in profile["text"]  # position from the address book


def test_profile_folds_merged_contacts(helpnext_home):
    with open_store(helpnext_home) as store:
        apply_batch(store, read_google_contacts(TEST_DATA / "google" / "contacts.csv"))
        add_tags(store, 2, ["python"])
        add_note(store, 3, "wants intros to investors", "need")
        merge_contacts(store, 2, 3)
        profile = contact_profile_text(store).filter(pl.col("contact_id") == 2).row(0, named=True)
        assert profile["tags"] == ["python"]
        assert profile["needs"] == ["wants intros to investors"]
        assert 3 not in contact_profile_text(store)["contact_id"].to_list()
        assert remove_tags(store, 2, ["python"]) == ["python"]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 5)), min_size=1, max_size=6))
def test_any_merges_then_splits_restore_the_store(pairs):
    """Merging any contacts in any order never changes which interactions exist, and
    splitting every merge again restores every contact exactly."""
    import tempfile
    from pathlib import Path

    from recommender.store.duplicates import root_of

    with tempfile.TemporaryDirectory() as home, open_store(Path(home)) as store:
        apply_batch(store, read_google_contacts(TEST_DATA / "google" / "contacts.csv"))
        apply_batch(store, read_vcard(TEST_DATA / "vcard" / "apple.vcf"))
        apply_batch(store, read_mbox(TEST_DATA / "mbox" / "thunderbird.mbox", ["me@example.com"]))
        before = store.frame("SELECT contact_id, merged_into FROM contacts ORDER BY 1").rows()
        n_events = load_events(store).collect().height
        for a, b in pairs:
            if root_of(store, a) != root_of(store, b):
                merge_contacts(store, a, b)
        assert load_events(store).collect().height == n_events
        shown = store.scalar("SELECT count(*) FROM contacts WHERE merged_into IS NULL")
        assert shown == len({root_of(store, c) for c in range(1, 6)})
        while True:
            roots = store.con.execute(
                "SELECT DISTINCT merged_into FROM contacts WHERE merged_into IS NOT NULL"
            ).fetchall()
            if not roots:
                break
            split_contact(store, int(roots[0][0]))
        assert (
            store.frame("SELECT contact_id, merged_into FROM contacts ORDER BY 1").rows() == before
        )
