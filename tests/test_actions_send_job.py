from test_actions_helpers import AS_OF, build_home

from recommender.actions import send_job
from recommender.actions.context import build_context
from recommender.store.db import open_store


def test_the_data_job_goes_to_the_one_looking(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        found = send_job.candidates(build_context(store, store.owner_id(), AS_OF))
        job = store.scalar("SELECT item_id FROM items WHERE title = 'Senior Data Engineer'")
    assert found["contact"].to_list() == [ids["bo"]]
    assert found["item_id"][0] == job
    assert "'Senior Data Engineer' at Omega" in found["reason"][0]
    assert "tag 'open to work'" in found["reason"][0]


def test_a_need_note_also_counts_as_looking(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        with store.transaction() as con:
            con.execute("DELETE FROM tags WHERE tag = 'open to work'")
            con.execute(
                "INSERT INTO notes VALUES (1, ?, ?, 'need', 'looking for a new role in data', "
                "'2020-01-01')",
                [store.owner_id(), ids["bo"]],
            )
        found = send_job.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found["contact"].to_list() == [ids["bo"]]
    assert "your note 'looking for a new role in data'" in found["reason"][0]


def test_a_tag_written_after_as_of_is_not_used(helpnext_home):
    with open_store(helpnext_home) as store:
        build_home(store)
        with store.transaction() as con:
            con.execute("UPDATE tags SET created_at = '2030-01-01'")
        found = send_job.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found.height == 0


def test_their_own_recent_message_counts_as_looking(helpnext_home):
    with open_store(helpnext_home) as store:
        ids = build_home(store)
        with store.transaction() as con:
            con.execute("DELETE FROM tags WHERE tag = 'open to work'")
            con.execute(
                "INSERT INTO interactions (interaction_id, uid, owner_id, contact_id, ts, channel, "
                "direction, body) VALUES (9999, 'm', ?, ?, '2024-05-20', 'message', 'in', "
                "'Hi! I am looking for a new role in data engineering, any leads?')",
                [store.owner_id(), ids["bo"]],
            )
        found = send_job.candidates(build_context(store, store.owner_id(), AS_OF))
    assert found["contact"].to_list() == [ids["bo"]]
    assert "they wrote 'Hi! I am looking for a new role" in found["reason"][0]
    assert "(20 May 2024)" in found["reason"][0]
