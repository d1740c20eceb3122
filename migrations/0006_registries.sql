-- Private registries (issue 12): where images are pulled from with a login. `address` is the
-- normalised registry host[:port] (`docker.io` for Docker Hub); `secret` is the password or
-- token sealed with the database's secret key (src/secrets.rs, purpose "registry secret");
-- `ca_pem` an optional CA certificate (PEM) for a self-hosted registry.
-- Never edit this file once shipped: add a new migration.
CREATE TABLE registries (
    id         INTEGER PRIMARY KEY,
    address    TEXT    NOT NULL UNIQUE,
    username   TEXT    NOT NULL,
    secret     TEXT    NOT NULL,
    ca_pem     TEXT,
    created_at INTEGER NOT NULL,
    created_by TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT    NOT NULL
);
