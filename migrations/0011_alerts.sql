-- Alerts (issue 15): where notifications go, how the rules are tuned, what is muted, and every
-- alert raised (active while resolved_at is NULL; the rest is the history).

-- A channel's settings (URL, SMTP host and credentials, webhook secret) are one JSON text sealed
-- with crate::secrets: URLs can carry tokens. `target` is what the page shows (no secret).
CREATE TABLE alert_channels (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL CHECK (kind IN ('webhook', 'slack', 'ntfy', 'email')),
    target       TEXT NOT NULL,
    settings     TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    last_sent_at INTEGER,
    last_error   TEXT
);

-- Only edited rules have a row; the others run with their defaults.
-- channels: NULL = every channel, else channel ids separated by commas ('' = none).
CREATE TABLE alert_rules (
    rule       TEXT PRIMARY KEY,
    enabled    INTEGER NOT NULL,
    count      INTEGER NOT NULL,
    minutes    INTEGER NOT NULL,
    channels   TEXT,
    updated_at INTEGER NOT NULL,
    updated_by TEXT NOT NULL
);

CREATE TABLE alert_mutes (
    id         INTEGER PRIMARY KEY,
    scope      TEXT NOT NULL CHECK (scope IN ('stack', 'service')),
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (scope, name)
);

CREATE TABLE alerts (
    id          INTEGER PRIMARY KEY,
    key         TEXT NOT NULL,
    rule        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    stack       TEXT NOT NULL DEFAULT '',
    link        TEXT NOT NULL,
    title       TEXT NOT NULL,
    detail      TEXT NOT NULL,
    raised_at   INTEGER NOT NULL,
    resolved_at INTEGER
);
CREATE UNIQUE INDEX alerts_active ON alerts (key) WHERE resolved_at IS NULL;
CREATE INDEX alerts_recent ON alerts (raised_at);
