-- Secrets at rest (issue 11): a stack version's env values and uploaded files are sealed with
-- the key from BERTH_SECRET_KEY_FILE or data/secret.key (see src/secrets.rs). `sealed` = 1 when
-- both columns hold sealed text; rows written before this migration are sealed at start-up.
ALTER TABLE stack_versions ADD COLUMN sealed INTEGER NOT NULL DEFAULT 0;

-- A value sealed with the key that sealed this database: a different key is refused at start-up
-- with a clear error instead of failing on the first page that opens a value.
CREATE TABLE secret_key_check (
    id     INTEGER PRIMARY KEY CHECK (id = 1),
    sealed TEXT    NOT NULL
);
