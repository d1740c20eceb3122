//! OpenID Connect (migration 0013): the provider's settings (the client secret sealed), the
//! sign-ins under way (state hashed, nonce and PKCE verifier sealed, taken once), and the
//! accounts keyed by the provider's issuer and subject.

use sqlx::SqlitePool;

use crate::auth::oidc::Settings;
use crate::auth::roles::Role;

const SECRET: &str = "oidc client secret";
const NONCE: &str = "oidc nonce";
const VERIFIER: &str = "oidc pkce verifier";
/// A sign-in must come back from the provider within this.
pub const LOGIN_TTL_SECS: i64 = 600;
/// At most this many sign-ins under way (a flood of /auth/oidc/start stays bounded).
pub const MAX_PENDING: i64 = 10_000;

type Row = (
    bool,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    Option<String>,
);

/// The stored settings, the secret opened; `None` before an admin saved any.
pub async fn settings(db: &SqlitePool) -> sqlx::Result<Option<Settings>> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT enabled, issuer, client_id, client_secret, display_name, scopes, groups_claim,
                role_map, team_map, default_role, allow_http, ca_pem
         FROM oidc_settings WHERE id = 1",
    )
    .fetch_optional(db)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let client_secret = if r.3.is_empty() {
        String::new()
    } else {
        super::sealer(db)?
            .open_text(SECRET, &r.3)
            .map_err(super::unsealing)?
    };
    Ok(Some(Settings {
        enabled: r.0,
        issuer: r.1,
        client_id: r.2,
        client_secret,
        display_name: r.4,
        scopes: r.5,
        groups_claim: r.6,
        role_map: r.7,
        team_map: r.8,
        default_role: r.9.and_then(|s| s.parse().ok()),
        allow_http: r.10,
        ca_pem: r.11,
    }))
}

/// Saves the settings (the secret sealed).
pub async fn save(db: &SqlitePool, s: &Settings) -> sqlx::Result<()> {
    let secret = if s.client_secret.is_empty() {
        String::new()
    } else {
        super::sealer(db)?.seal(SECRET, s.client_secret.as_bytes())
    };
    sqlx::query(
        "INSERT INTO oidc_settings (id, enabled, issuer, client_id, client_secret, display_name,
            scopes, groups_claim, role_map, team_map, default_role, allow_http, ca_pem, updated_at)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET enabled = excluded.enabled, issuer = excluded.issuer,
            client_id = excluded.client_id, client_secret = excluded.client_secret,
            display_name = excluded.display_name, scopes = excluded.scopes,
            groups_claim = excluded.groups_claim, role_map = excluded.role_map,
            team_map = excluded.team_map, default_role = excluded.default_role,
            allow_http = excluded.allow_http, ca_pem = excluded.ca_pem,
            updated_at = excluded.updated_at",
    )
    .bind(s.enabled)
    .bind(&s.issuer)
    .bind(&s.client_id)
    .bind(secret)
    .bind(&s.display_name)
    .bind(&s.scopes)
    .bind(&s.groups_claim)
    .bind(&s.role_map)
    .bind(&s.team_map)
    .bind(s.default_role.map(Role::as_str))
    .bind(s.allow_http)
    .bind(&s.ca_pem)
    .bind(super::now())
    .execute(db)
    .await?;
    Ok(())
}

/// The provider's display name when sign-in with it is on (for the login page).
pub async fn enabled_name(db: &SqlitePool) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT display_name FROM oidc_settings WHERE id = 1 AND enabled = 1")
        .fetch_optional(db)
        .await
}

/// A sign-in under way, as the callback gets it back.
pub struct Pending {
    pub browser_hash: Vec<u8>,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Records a sign-in under way; false when [`MAX_PENDING`] are (the check is in the statement).
pub async fn begin_login(
    db: &SqlitePool,
    state_hash: &[u8],
    browser_hash: &[u8],
    nonce: &str,
    pkce_verifier: &str,
    next: &str,
) -> sqlx::Result<bool> {
    let now = super::now();
    sqlx::query("DELETE FROM oidc_logins WHERE created_at < ?")
        .bind(now - LOGIN_TTL_SECS)
        .execute(db)
        .await?;
    let sealer = super::sealer(db)?;
    let res = sqlx::query(
        "INSERT INTO oidc_logins (state_hash, browser_hash, nonce, pkce_verifier, next, created_at)
         SELECT ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM oidc_logins) < ?",
    )
    .bind(state_hash)
    .bind(browser_hash)
    .bind(sealer.seal(NONCE, nonce.as_bytes()))
    .bind(sealer.seal(VERIFIER, pkce_verifier.as_bytes()))
    .bind(next)
    .bind(now)
    .bind(MAX_PENDING)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Takes the sign-in of `state_hash` (once: a second callback with it finds nothing), unless
/// it expired.
pub async fn take_login(db: &SqlitePool, state_hash: &[u8]) -> sqlx::Result<Option<Pending>> {
    let row: Option<(Vec<u8>, String, String, String)> = sqlx::query_as(
        "DELETE FROM oidc_logins WHERE state_hash = ? AND created_at >= ?
         RETURNING browser_hash, nonce, pkce_verifier, next",
    )
    .bind(state_hash)
    .bind(super::now() - LOGIN_TTL_SECS)
    .fetch_optional(db)
    .await?;
    let Some((browser_hash, nonce, verifier, next)) = row else {
        return Ok(None);
    };
    let sealer = super::sealer(db)?;
    Ok(Some(Pending {
        browser_hash,
        nonce: sealer.open_text(NONCE, &nonce).map_err(super::unsealing)?,
        pkce_verifier: sealer
            .open_text(VERIFIER, &verifier)
            .map_err(super::unsealing)?,
        next,
    }))
}

/// Why an OIDC sign-in found no account it may use.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// a local account (or another provider's person) has the name
    NameTaken,
    /// the last admin would lose the role
    LastAdmin,
}

/// Creates or updates the account of (`issuer`, `subject`): its name (when free), role and
/// teams, all in one transaction. A name held by a local account or by another identity is
/// never taken over.
pub async fn sign_in_account(
    db: &SqlitePool,
    issuer: &str,
    subject: &str,
    username: &str,
    role: Role,
    team_ids: &[i64],
) -> sqlx::Result<Result<i64, Refusal>> {
    let mut tx = db.begin().await?;
    let existing: Option<(i64, String)> =
        sqlx::query_as("SELECT id, role FROM users WHERE oidc_issuer = ? AND oidc_subject = ?")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&mut *tx)
            .await?;
    let id = match existing {
        Some((id, _)) => {
            // the last admin's check is in the same statement as the change
            let res = sqlx::query(
                "UPDATE users SET role = ?1 WHERE id = ?2
                 AND (?1 = 'admin' OR role <> 'admin'
                      OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
            )
            .bind(role.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                return Ok(Err(Refusal::LastAdmin));
            }
            id
        }
        None => {
            let now = super::now();
            // no usable password: an argon2 hash never has this shape
            let res = sqlx::query(
                "INSERT INTO users (username, password_hash, is_admin, role, created_at,
                    password_changed_at, oidc_issuer, oidc_subject)
                 VALUES (?, '!oidc', ?, ?, ?, ?, ?, ?) ON CONFLICT(username) DO NOTHING",
            )
            .bind(username)
            .bind(role == Role::Admin)
            .bind(role.as_str())
            .bind(now)
            .bind(now)
            .bind(issuer)
            .bind(subject)
            .execute(&mut *tx)
            .await?;
            if res.rows_affected() != 1 {
                return Ok(Err(Refusal::NameTaken));
            }
            res.last_insert_rowid()
        }
    };
    sqlx::query("DELETE FROM team_members WHERE user_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for t in team_ids {
        sqlx::query("INSERT OR IGNORE INTO team_members (team_id, user_id) VALUES (?, ?)")
            .bind(t)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(Ok(id))
}

/// The name of the account of (`issuer`, `subject`), if it exists.
pub async fn username_of(
    db: &SqlitePool,
    issuer: &str,
    subject: &str,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT username FROM users WHERE oidc_issuer = ? AND oidc_subject = ?")
        .bind(issuer)
        .bind(subject)
        .fetch_optional(db)
        .await
}

/// The account of (`issuer`, `subject`) lost every mapped group at the provider: it becomes a
/// viewer of no team (unless it is the last admin: checked in the same statement) and its
/// sessions end. The number of sessions ended.
pub async fn strip(db: &SqlitePool, issuer: &str, subject: &str) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let id: Option<i64> =
        sqlx::query_scalar("SELECT id FROM users WHERE oidc_issuer = ? AND oidc_subject = ?")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(id) = id else {
        return Ok(0);
    };
    sqlx::query(
        "UPDATE users SET role = 'viewer' WHERE id = ?1
         AND (role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM team_members WHERE user_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = ?")
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(ended)
}
