-- Stack sources and their deploy history: every deploy berth makes is kept (compose text, env,
-- who, when, outcome, progress) until deleted explicitly; a stack "has its source in berth"
-- when it has at least one version here.

CREATE TABLE stack_versions (
    id          INTEGER PRIMARY KEY,
    stack       TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    compose     TEXT    NOT NULL,
    env         TEXT    NOT NULL DEFAULT '',
    -- files uploaded with the compose file (secrets, configs, env_file): JSON {"name": base64}
    files       TEXT    NOT NULL DEFAULT '{}',
    prune       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    username    TEXT,
    -- running: being applied; ok: applied and converged; degraded: applied, but tasks fail or
    -- did not converge; failed: Docker refused part of it (the summary says what was done)
    outcome     TEXT    NOT NULL CHECK (outcome IN ('running', 'ok', 'degraded', 'failed')),
    summary     TEXT,
    events      TEXT,
    finished_at INTEGER,
    redeploy_of INTEGER,
    UNIQUE (stack, version)
);
CREATE INDEX stack_versions_by_stack ON stack_versions(stack, version DESC);
