-- OpenID Connect sign-in (issue 18). One provider, configured by an admin on /settings; the
-- client secret is sealed (crate::secrets) like every other secret berth keeps.
CREATE TABLE oidc_settings (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    enabled       INTEGER NOT NULL DEFAULT 0,
    issuer        TEXT    NOT NULL,
    client_id     TEXT    NOT NULL,
    -- sealed; empty when none was given
    client_secret TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    -- space-separated, besides openid
    scopes        TEXT    NOT NULL,
    groups_claim  TEXT    NOT NULL,
    -- one "group = role" a line
    role_map      TEXT    NOT NULL,
    -- one "group = team, team" a line
    team_map      TEXT    NOT NULL,
    -- the role of people in no mapped group; NULL refuses their sign-in
    default_role  TEXT CHECK (default_role IN ('admin', 'operator', 'deployer', 'viewer')),
    -- plain http to a provider that is not on this machine
    allow_http    INTEGER NOT NULL DEFAULT 0,
    ca_pem        TEXT,
    updated_at    INTEGER NOT NULL
);

-- An account made by an OIDC sign-in is keyed by the provider's issuer and subject, never by a
-- name the provider sends; it has no usable password.
ALTER TABLE users ADD COLUMN oidc_issuer TEXT;
ALTER TABLE users ADD COLUMN oidc_subject TEXT;
CREATE UNIQUE INDEX users_oidc_identity ON users(oidc_issuer, oidc_subject)
    WHERE oidc_issuer IS NOT NULL;

-- Sign-ins under way: state (hashed), the browser that started it (hashed cookie), nonce and
-- PKCE verifier (sealed). Taken once by the callback; older than 10 minutes is expired.
CREATE TABLE oidc_logins (
    state_hash    BLOB    PRIMARY KEY,
    browser_hash  BLOB    NOT NULL,
    nonce         TEXT    NOT NULL,
    pkce_verifier TEXT    NOT NULL,
    next          TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);
