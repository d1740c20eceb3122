-- Git-backed stacks (issue 13): a stack whose source is a git repository. berth fetches the
-- commit its ref names (on an interval, on a push webhook, or when asked) and deploys it
-- through the same pipeline as the editor. The access token, the env values kept in berth and
-- the webhook secret are sealed (see src/secrets.rs); the webhook is found by the SHA-256 of
-- its secret.
CREATE TABLE git_sources (
    stack          TEXT    PRIMARY KEY,
    url            TEXT    NOT NULL,
    ref_kind       TEXT    NOT NULL CHECK (ref_kind IN ('branch', 'tag', 'commit')),
    ref_name       TEXT    NOT NULL,
    -- one path a line, in merge order
    compose_paths  TEXT    NOT NULL,
    env_path       TEXT,
    token          TEXT,
    env            TEXT    NOT NULL,
    prune          INTEGER NOT NULL DEFAULT 1,
    -- NULL: the global default (BERTH_GIT_SYNC_INTERVAL)
    interval_secs  INTEGER,
    paused         INTEGER NOT NULL DEFAULT 0,
    hook_id        TEXT    NOT NULL UNIQUE,
    hook_secret    TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    username       TEXT,
    -- the last sync: when, how it ended (deployed, unchanged, invalid, failed) and why
    last_sync_at   INTEGER,
    last_result    TEXT,
    last_message   TEXT,
    -- the newest commit berth fetched (deployed or refused): a sync skips it
    last_sha       TEXT,
    last_subject   TEXT,
    last_author    TEXT
);

-- The commit each version of a git-backed stack was deployed from.
CREATE TABLE stack_version_commits (
    stack    TEXT    NOT NULL,
    version  INTEGER NOT NULL,
    sha      TEXT    NOT NULL,
    subject  TEXT    NOT NULL,
    author   TEXT    NOT NULL,
    PRIMARY KEY (stack, version)
);
