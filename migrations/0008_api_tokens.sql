-- API tokens: a name, a scope and an expiry per token, owned by an account (a token never
-- outlives or exceeds its owner: deleting the account deletes its tokens). Only the sha256 of
-- the token is stored; the token itself is shown once when it is created.
-- Never edit this file once shipped: add a new migration.

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    token_hash    BLOB    NOT NULL UNIQUE,
    -- read | operate | deploy
    scope         TEXT    NOT NULL CHECK (scope IN ('read', 'operate', 'deploy')),
    -- deploy tokens: the stacks they may act on, comma-separated
    stacks        TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    last_used_ip  TEXT,
    UNIQUE (user_id, name)
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);
