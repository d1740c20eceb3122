-- Deploy webhooks (issue 13): a secret URL per hook, `POST /hooks/{lookup}{secret}`, that
-- redeploys its stack, changes an image tag or deploys a compose body. The URL's secret part is
-- stored only as its SHA-256; `lookup` (random, not secret on its own) finds the row so the
-- hash is compared in constant time. A signed hook also needs an HMAC-SHA256 of the body made
-- with its signing key, which berth must hold to check it: sealed like a stack's env values.
CREATE TABLE stack_webhooks (
    id           INTEGER PRIMARY KEY,
    stack        TEXT    NOT NULL,
    lookup       TEXT    NOT NULL UNIQUE,
    secret_hash  BLOB    NOT NULL,
    -- sealed signing key; NULL: a plain secret URL
    signing_key  TEXT,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    rotated_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX stack_webhooks_by_stack ON stack_webhooks(stack);
