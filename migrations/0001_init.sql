-- berth's first schema: local accounts, server-side sessions, the audit log.
-- Times are unix seconds (audit: milliseconds). Never edit this file once shipped: add a new migration.

CREATE TABLE users (
    id                  INTEGER PRIMARY KEY,
    username            TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    password_hash       TEXT    NOT NULL,
    is_admin            INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    password_changed_at INTEGER NOT NULL
);

CREATE TABLE sessions (
    -- sha256 of the random token in the cookie: a leaked database does not leak live sessions
    id_hash      BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf_token   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    flash        TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Browsers that signed in successfully before: their login attempts are throttled separately, so
-- an attacker hammering a user name cannot lock that user out of their own browser.
CREATE TABLE trusted_devices (
    token_hash   BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at_ms    INTEGER NOT NULL,
    username TEXT,
    ip       TEXT,
    action   TEXT    NOT NULL,
    target   TEXT,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('ok', 'failed', 'denied')),
    detail   TEXT
);
CREATE INDEX audit_log_at ON audit_log(at_ms);
