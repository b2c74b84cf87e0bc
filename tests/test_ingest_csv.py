import pytest
from conftest import TEST_DATA

from pipelines.ingest.generic_csv import import_csv
from recommender.errors import InputError, UsageError
from recommender.store.db import open_store
from recommender.store.importer import apply_batch

CONTACTS = TEST_DATA / "csv" / "contacts.csv"
INTERACTIONS = TEST_DATA / "csv" / "interactions.csv"


def test_contacts_and_interactions_import_with_known_answers():
    with open_store() as store:
        result = apply_batch(store, import_csv(CONTACTS, INTERACTIONS))
        assert result.contacts_added == 4  # c1..c3 and c9, known only from interactions
        assert result.interactions_added == 5
        rows = store.frame(
            "SELECT c.display_name, i.channel, i.direction, i.is_give FROM interactions i "
            "JOIN contacts c USING (contact_id) ORDER BY i.ts"
        ).rows()
        assert rows == [
            ("Dana Smith", "email", "out", False),
            ("Dana Smith", "email", "in", False),
            ("Ola Nordmann", "endorsement", "in", True),
            ("Zoë Müller", "message", "out", False),
            ("c9", "call", "in", False),
        ]
        tags = store.frame("SELECT tag FROM tags ORDER BY tag")["tag"].to_list()
        assert tags == ["data", "hiring", "looking for work"]
        # both of Dana's addresses name her
        keys = store.frame("SELECT key FROM identities WHERE kind = 'email' ORDER BY key")[
            "key"
        ].to_list()
        assert keys == ["dana.smith@gmail.com", "dana@acme.com", "zoe@example.org"]


def test_reimport_of_contacts_alone_finds_the_same_people():
    with open_store() as store:
        apply_batch(store, import_csv(CONTACTS, INTERACTIONS))
        again = apply_batch(store, import_csv(CONTACTS, None))
        assert again.contacts_added == 0
        assert store.scalar("SELECT count(*) FROM contacts") == 4


@pytest.mark.parametrize(
    "content, message",
    [
        ("contact_id,date,direction\nc1,2024-01-01,sideways\n", "line 2: direction 'sideways'"),
        ("contact_id,date,direction,channel\nc1,2024-01-01,out,pigeon\n", "channel 'pigeon'"),
        ("contact_id,date,direction\nc1,,out\nc1,yesterday,out\n", "line 2: 2 of 2 rows cannot"),
        ("contact_id,date,direction\nc1,,out\n", "line 2: date is empty"),
        ("who,when\nc1,2024\n", "expected a interactions.csv file with columns contact_id, date"),
    ],
)
def test_bad_interactions(tmp_path, content, message):
    path = tmp_path / "interactions.csv"
    path.write_text(content)
    with pytest.raises(InputError) as err:
        import_csv(None, path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_contacts_need_names_and_unique_ids(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("contact_id,name\nc1,Ana\nc1,Bo\nc2,Cy\n")
    batch = import_csv(path, None)
    assert batch.people["display_name"].to_list() == ["Ana", "Cy"]
    assert batch.notes == [
        "contacts.csv: 1 unreadable row skipped (line 3: contact_id 'c1' appears twice)"
    ]
    path.write_text("contact_id,name,company\nc1,,Acme\n")
    with pytest.raises(InputError, match="line 2: a contact needs a name"):
        import_csv(path, None)


def test_nothing_given():
    with pytest.raises(UsageError):
        import_csv(None, None)
