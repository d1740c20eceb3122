-- A deploy can end superseded: a newer deploy or a removal of the stack took over before it
-- applied anything, or while it waited for convergence. SQLite cannot change a CHECK
-- constraint in place: the table is rebuilt with the same columns.

CREATE TABLE stack_versions_new (
    id          INTEGER PRIMARY KEY,
    stack       TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    compose     TEXT    NOT NULL,
    env         TEXT    NOT NULL DEFAULT '',
    files       TEXT    NOT NULL DEFAULT '{}',
    prune       INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    username    TEXT,
    -- running: being applied or waited for; ok: applied and converged; degraded: applied, but
    -- tasks fail or did not converge; failed: Docker refused part of it (the summary says what
    -- was done); superseded: a newer deploy or a removal took over (the summary says which)
    outcome     TEXT    NOT NULL CHECK (outcome IN ('running', 'ok', 'degraded', 'failed', 'superseded')),
    summary     TEXT,
    events      TEXT,
    finished_at INTEGER,
    redeploy_of INTEGER,
    -- 0004: env and files hold sealed text
    sealed      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (stack, version)
);
INSERT INTO stack_versions_new (id, stack, version, compose, env, files, prune, created_at,
                                username, outcome, summary, events, finished_at, redeploy_of, sealed)
    SELECT id, stack, version, compose, env, files, prune, created_at,
           username, outcome, summary, events, finished_at, redeploy_of, sealed
    FROM stack_versions;
DROP TABLE stack_versions;
ALTER TABLE stack_versions_new RENAME TO stack_versions;
CREATE INDEX stack_versions_by_stack ON stack_versions(stack, version DESC);
