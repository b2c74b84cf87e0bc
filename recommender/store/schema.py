"""The store's schema, as an ordered list of migrations.

Each migration is applied once, in one transaction, and recorded in ``schema_version``.
Add new tables or columns by appending a migration; never edit a released one.

Times are ``TIMESTAMP`` without a zone and always mean UTC.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE owners (
            owner_id    BIGINT PRIMARY KEY,
            key         TEXT NOT NULL UNIQUE,   -- 'me' in personal use; 'node:<id>' for edge-list owners
            name        TEXT,
            headline    TEXT,
            industry    TEXT,
            created_at  TIMESTAMP NOT NULL
        );
        -- how the owner appears in sources: normalised name, e-mail, profile URL
        CREATE TABLE owner_aliases (
            owner_id BIGINT NOT NULL,
            kind     TEXT NOT NULL,
            key      TEXT NOT NULL,
            PRIMARY KEY (owner_id, kind, key)
        );
        -- the owner's own positions (Positions.csv)
        CREATE TABLE owner_positions (
            owner_id    BIGINT NOT NULL,
            company     TEXT,
            title       TEXT,
            location    TEXT,
            started_on  DATE,
            finished_on DATE,
            import_id   BIGINT
        );
        CREATE TABLE contacts (
            contact_id   BIGINT PRIMARY KEY,
            owner_id     BIGINT NOT NULL,
            display_name TEXT NOT NULL,
            first_name   TEXT,
            last_name    TEXT,
            company      TEXT,
            position     TEXT,
            email        TEXT,
            linkedin_url TEXT,
            phone        TEXT,
            location     TEXT,
            industry     TEXT,
            birthday     DATE,
            notes        TEXT,
            connected_on TIMESTAMP,             -- when the tie formed, if a source says so
            role_seen_at TIMESTAMP,             -- as-of time of the source company/position came from
            first_seen   TIMESTAMP,             -- earliest dated evidence of the contact
            created_at   TIMESTAMP NOT NULL,    -- wall clock of the import that created it
            merged_into  BIGINT                 -- set while merged into another contact
        );
        -- one key that names a person in a source; resolves to one contact
        CREATE TABLE identities (
            owner_id   BIGINT NOT NULL,
            kind       TEXT NOT NULL,           -- email | linkedin | name_company | linkedin_name | node | ref
            key        TEXT NOT NULL,
            contact_id BIGINT NOT NULL,
            import_id  BIGINT,
            PRIMARY KEY (owner_id, kind, key)
        );
        CREATE TABLE interactions (
            interaction_id BIGINT PRIMARY KEY,
            uid            TEXT NOT NULL,       -- md5 of the source's natural key: re-imports dedupe on it
            owner_id       BIGINT NOT NULL,
            contact_id     BIGINT NOT NULL,
            ts             TIMESTAMP NOT NULL,
            channel        TEXT NOT NULL,       -- message | email | meeting | call | invitation |
                                                -- endorsement | recommendation | introduction | note | share
            direction      TEXT NOT NULL,       -- out (owner -> contact) | in (contact -> owner)
            is_give        BOOLEAN NOT NULL DEFAULT FALSE,
            thread         TEXT,                -- conversation / meeting / reply-chain id
            n_participants INTEGER NOT NULL DEFAULT 2,
            subject        TEXT,
            body           TEXT,
            detail         TEXT,                -- e.g. the endorsed skill
            import_id      BIGINT
        );
        CREATE UNIQUE INDEX interactions_uid ON interactions (uid);
        -- dated facts about a contact that are not exchanges: connected, new_role
        CREATE TABLE events (
            event_id     BIGINT PRIMARY KEY,
            uid          TEXT NOT NULL UNIQUE,
            owner_id     BIGINT NOT NULL,
            contact_id   BIGINT NOT NULL,
            ts           TIMESTAMP NOT NULL,
            kind         TEXT NOT NULL,
            old_company  TEXT,
            old_position TEXT,
            new_company  TEXT,
            new_position TEXT,
            detail       TEXT,
            import_id    BIGINT
        );
        CREATE TABLE tags (
            owner_id   BIGINT NOT NULL,
            contact_id BIGINT NOT NULL,
            tag        TEXT NOT NULL,
            source     TEXT NOT NULL,           -- user | vcard | google | csv
            created_at TIMESTAMP NOT NULL,
            PRIMARY KEY (contact_id, tag)
        );
        -- the owner's free-text notes: interests, needs, anything else
        CREATE TABLE notes (
            note_id    BIGINT PRIMARY KEY,
            owner_id   BIGINT NOT NULL,
            contact_id BIGINT NOT NULL,
            kind       TEXT NOT NULL,           -- interest | need | note
            text       TEXT NOT NULL,
            created_at TIMESTAMP NOT NULL
        );
        CREATE TABLE imports (
            import_id          BIGINT PRIMARY KEY,
            source_kind        TEXT NOT NULL,
            file_name          TEXT NOT NULL,
            sha256             TEXT NOT NULL,
            started_at         TIMESTAMP NOT NULL,
            finished_at        TIMESTAMP NOT NULL,
            rows_read          BIGINT NOT NULL,
            rows_skipped       BIGINT NOT NULL,
            contacts_added     BIGINT NOT NULL,
            interactions_added BIGINT NOT NULL,
            events_added       BIGINT NOT NULL,
            details            TEXT             -- JSON
        );
        """,
    ),
    (
        2,
        """
        -- one contact absorbed into another (``contacts.merged_into``); undone by a split.
        -- ``moved`` lists contacts that were merged into the absorbed one and were re-pointed
        -- to the kept one, so a split restores them exactly. A row with ``undone_at`` set also
        -- records that the owner said these two are different people: they are never merged
        -- automatically again, nor proposed.
        CREATE TABLE merges (
            merge_id    BIGINT PRIMARY KEY,
            owner_id    BIGINT NOT NULL,
            kept_id     BIGINT NOT NULL,
            absorbed_id BIGINT NOT NULL,
            reason      TEXT NOT NULL,          -- bridge (an import linked both) | user
            evidence    TEXT,                   -- JSON: keys, scores
            moved       BIGINT[],
            import_id   BIGINT,
            created_at  TIMESTAMP NOT NULL,
            undone_at   TIMESTAMP
        );
        """,
    ),
    (
        3,
        """
        -- things the owner can give: articles and job postings (``helpnext import articles|jobs``)
        CREATE TABLE items (
            item_id      BIGINT PRIMARY KEY,
            uid          TEXT NOT NULL UNIQUE,  -- md5 of kind + url (or title + company): re-imports dedupe
            kind         TEXT NOT NULL,         -- article | job
            title        TEXT NOT NULL,
            url          TEXT,
            text         TEXT,                  -- body or summary (the title when the source had none)
            tags         TEXT,                  -- ';'-separated
            company      TEXT,                  -- jobs: the hiring company (NULL when not given)
            location     TEXT,
            published_at TIMESTAMP NOT NULL,    -- the item's date (the import time when it had none)
            import_id    BIGINT,
            created_at   TIMESTAMP NOT NULL
        );
        -- every suggestion ``helpnext today`` showed, with what it was shown with
        CREATE TABLE suggestions (
            suggestion_id      BIGINT PRIMARY KEY,
            as_of              TIMESTAMP NOT NULL,
            owner_id           BIGINT NOT NULL,
            contact_id         BIGINT NOT NULL,
            action             TEXT NOT NULL,   -- share_article | introduce | send_job |
                                                -- congratulate | reciprocate | check_in
            item_id            BIGINT,
            partner_contact_id BIGINT,
            score              DOUBLE NOT NULL,
            reason             TEXT NOT NULL,
            model_version      TEXT NOT NULL,
            propensity         DOUBLE NOT NULL, -- probability it was shown with (1.0: deterministic)
            created_at         TIMESTAMP NOT NULL,
            status             TEXT NOT NULL DEFAULT 'open', -- open | done | skipped | snoozed | never
            status_at          TIMESTAMP,
            snoozed_until      TIMESTAMP        -- the contact is held back until then
        );
        CREATE INDEX suggestions_owner_contact ON suggestions (owner_id, contact_id);
        """,
    ),
    (
        4,
        """
        -- what each shown suggestion was scored with (JSON: the feature values), so the
        -- preference model learns from exactly what was shown
        ALTER TABLE suggestions ADD COLUMN features TEXT;
        -- every answer the owner gave to a suggestion (``helpnext done|skip|snooze|never``;
        -- named so as not to clash with a user-made ``feedback`` table);
        -- suggestions with no answer by the next day count as ignored at training time
        CREATE TABLE suggestion_feedback (
            feedback_id    BIGINT PRIMARY KEY,
            suggestion_id  BIGINT NOT NULL,
            owner_id       BIGINT NOT NULL,
            contact_id     BIGINT NOT NULL,
            outcome        TEXT NOT NULL,       -- done | skipped | snoozed | never
            answered_at    TIMESTAMP NOT NULL,  -- when the owner answered (--as-of, else now)
            note           TEXT,
            snooze_days    INTEGER,
            interaction_id BIGINT,              -- the give 'done' recorded
            created_at     TIMESTAMP NOT NULL
        );
        CREATE INDEX suggestion_feedback_suggestion ON suggestion_feedback (suggestion_id);
        -- people the owner asked never to be suggested again (``helpnext unnever`` removes)
        CREATE TABLE never_contacts (
            owner_id      BIGINT NOT NULL,
            contact_id    BIGINT NOT NULL,
            since         TIMESTAMP NOT NULL,
            suggestion_id BIGINT,
            PRIMARY KEY (owner_id, contact_id)
        );
        -- every preference model trained: its comparison with the model in use, and whether
        -- it was promoted (artifact and card in <home>/models, see model_registry)
        CREATE TABLE preference_models (
            model_id       TEXT PRIMARY KEY,
            owner_id       BIGINT NOT NULL,
            trained_at     TIMESTAMP NOT NULL,  -- wall clock
            as_of          TIMESTAMP NOT NULL,  -- feedback before this moment was used
            trained_until  TIMESTAMP,           -- the newest suggestion in its training split
            n_train        BIGINT NOT NULL,
            n_test         BIGINT NOT NULL,
            metrics        TEXT NOT NULL,       -- JSON: candidate and current on the test split
            compared_with  TEXT,                -- model id in use then ('prior': none)
            promoted       BOOLEAN NOT NULL,
            artifact_sha256 TEXT
        );
        """,
    ),
    (
        5,
        """
        -- the day's per-contact statistics and engagement scores of the newest plan
        -- (recommender.store.plan_cache): reused by a later plan the same day while the owner's
        -- interactions, contacts and engagement model are unchanged; one entry per owner
        CREATE TABLE plan_cache (
            owner_id      BIGINT PRIMARY KEY,
            cache_key     TEXT NOT NULL,       -- model + fingerprint of interactions and contacts
            as_of         TIMESTAMP NOT NULL,  -- the moment the scores were computed for
            model_version TEXT NOT NULL,
            created_at    TIMESTAMP NOT NULL
        );
        CREATE TABLE plan_cache_contacts (
            owner_id          BIGINT NOT NULL,
            contact_id        BIGINT NOT NULL,
            n_events          BIGINT NOT NULL,
            n_out             BIGINT NOT NULL,
            n_in              BIGINT NOT NULL,
            first_ts          TIMESTAMP NOT NULL,
            last_ts           TIMESTAMP NOT NULL,
            interactions_rank DOUBLE NOT NULL,
            rhythm_mean       DOUBLE,
            rhythm_days       DOUBLE,
            engagement        DOUBLE NOT NULL
        );
        """,
    ),
    (
        6,
        """
        -- tombstones of forgotten people (recommender.store.tombstones): salted sha256 of each of
        -- their identity keys, never the keys themselves; later imports leave them out
        CREATE TABLE forgotten (
            tombstone_id BIGINT NOT NULL,
            kind         TEXT NOT NULL,      -- email | linkedin | node | linkedin_name | name_company | name
            key_hash     TEXT NOT NULL,      -- sha256(salt, kind, key), hex
            forgotten_at TIMESTAMP NOT NULL,
            PRIMARY KEY (kind, key_hash)
        );
        -- the home's random salt for those hashes (one row)
        CREATE TABLE forget_salt (
            salt TEXT NOT NULL
        );
        """,
    ),
    (
        7,
        """
        -- the models this home trained (recommender.registry): the card's own sha256,
        -- which covers its files' sha256. The daily path uses a model only when its card
        -- matches what is recorded here, so editing files under models/ alone is refused
        CREATE TABLE model_files (
            model_id    TEXT PRIMARY KEY,
            name        TEXT NOT NULL,
            card_sha256 TEXT NOT NULL,
            recorded_at TIMESTAMP NOT NULL,
            how         TEXT NOT NULL      -- saved (by train) | found (at this upgrade)
        );
        """,
    ),
]
# run after the migration of that version, in its transaction (Python, not SQL)
AFTER_MIGRATION = {7: "recommender.registry:record_found_models"}

LATEST_VERSION = MIGRATIONS[-1][0]
