-- Optional TOTP (RFC 6238) for local accounts (issue 18). Never edit this file once shipped:
-- add a new migration.

-- One row per account that set TOTP up. The shared secret is sealed (crate::secrets, purpose
-- "totp secret"); enabled_at stays NULL until a first code confirms the enrolment; last_step is
-- the newest 30-second step whose code was accepted (a code is usable once).
CREATE TABLE user_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret     TEXT    NOT NULL,
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

-- Single-use recovery codes, stored as sha256 of the code without separators.
CREATE TABLE totp_recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
);

-- Half sign-ins: the password was right, the code is still to come. The browser holds a random
-- token (cookie); this holds its sha256. Short-lived; never in berth's state in the swarm.
CREATE TABLE login_pending (
    token_hash  BLOB    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    next        TEXT    NOT NULL,
    device_hash BLOB,
    tries       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
