//! The audit log: who did what, when, from where, on which object, with which result.
//!
//! Nothing a stranger sends can fill the disk through it: every field is cut to a fixed byte
//! budget (on a char boundary, with a marker), identical entries within [`COLLAPSE_WINDOW_MS`]
//! are one row with a count and the time of the last one, and [`apply_retention`] deletes
//! entries by age and beyond a row count (the session janitor runs it every minute).

use std::borrow::Cow;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{FromRow, SqlitePool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Failed => "failed",
            Outcome::Denied => "denied",
        }
    }
}

/// Every action berth records, stored as its dotted name (`stack.deploy`): the audit page
/// filters by prefix (`stack.`), so the names group by area.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// the first admin was created through the setup page
    AuthSetup,
    AuthLogin,
    AuthLogout,
    AuthPasswordChange,
    /// the sign-in's second step: a one-time or recovery code (detail: which, never the code)
    AuthTotp,
    /// an account turned TOTP on (its first code confirmed the secret)
    AuthTotpEnable,
    /// an account turned its TOTP off (password and code)
    AuthTotpDisable,
    /// a sign-in through the OpenID Connect provider (detail: the role and teams it gave)
    AuthOidcLogin,
    /// an OpenID Connect sign-in refused (detail: why)
    AuthOidcRefused,
    /// an admin changed the OpenID Connect settings (the client secret is never recorded)
    AuthOidcSettings,
    /// the first admin was created from BERTH_ADMIN_PASSWORD_FILE
    SetupPasswordFile,
    /// a form without a valid CSRF token was refused
    CsrfRefused,
    /// a route's rule refused the caller's role (web::policy)
    PolicyRefused,
    UserCreate,
    UserDelete,
    /// an account's role changed
    UserRole,
    /// an admin reset another account's TOTP (it signs in with its password alone again)
    UserTotpReset,
    TeamCreate,
    TeamDelete,
    /// an account joined or left a team
    TeamMembers,
    /// a stack was given to a team (or back to admins)
    TeamStack,
    /// a deployer's new stack was claimed for their team
    TeamStackClaim,
    SwarmInit,
    SwarmRotateToken,
    NodeAvailability,
    NodeRole,
    NodeLabelAdd,
    NodeLabelRemove,
    NodeRemove,
    ServiceCreate,
    ServiceScale,
    ServiceImage,
    ServiceEnv,
    /// someone looked at a service's environment values
    ServiceEnvReveal,
    ServicePorts,
    ServiceConstraints,
    ServiceResources,
    ServiceRedeploy,
    ServiceRollback,
    ServiceDelete,
    StackDeploy,
    StackRemove,
    /// someone looked at a stack version's variable values
    StackEnvReveal,
    StackHistoryDelete,
    /// an API token was created (detail: its scope)
    TokenCreate,
    TokenRevoke,
    /// a request to the API: the token's owner, `METHOD path`, the token's name in the detail
    ApiRequest,
    /// a deploy webhook of a stack was made (its secret is never recorded)
    WebhookCreate,
    WebhookRotate,
    WebhookDelete,
    /// a call of a signed webhook without a valid signature
    WebhookRefused,
    RegistryAdd,
    RegistryUpdate,
    RegistryTest,
    RegistryRemove,
    /// a git-backed stack was created
    StackGitCreate,
    /// a git-backed stack's source was changed (a sync follows)
    StackGitEdit,
    /// a git-backed stack synced (by hand, on its interval or on a push webhook)
    StackGitSync,
    StackGitPause,
    StackGitResume,
    /// secrets, configs, networks and volumes (a secret's value is never recorded)
    SecretCreate,
    SecretRemove,
    SecretRotate,
    ConfigCreate,
    ConfigRemove,
    ConfigRotate,
    NetworkCreate,
    NetworkRemove,
    VolumeCreate,
    VolumeRemove,
    VolumePrune,
    ImageRemove,
    ImagePrune,
    AlertChannelAdd,
    /// "send a test" to an alert channel
    AlertChannelTest,
    AlertChannelRemove,
    AlertRuleUpdate,
    AlertMuteAdd,
    AlertMuteRemove,
    /// a console into a task's container opened (detail: a shell or the program, never its
    /// arguments) or closed (detail: how long it lasted and why it ended)
    ConsoleOpen,
    ConsoleClose,
    /// a one-shot command in a task's container (detail: the program and its exit code)
    ConsoleRun,
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: &'static [Action] = &[
        Action::AuthSetup,
        Action::AuthLogin,
        Action::AuthLogout,
        Action::AuthPasswordChange,
        Action::AuthTotp,
        Action::AuthTotpEnable,
        Action::AuthTotpDisable,
        Action::AuthOidcLogin,
        Action::AuthOidcRefused,
        Action::AuthOidcSettings,
        Action::SetupPasswordFile,
        Action::PolicyRefused,
        Action::UserCreate,
        Action::UserDelete,
        Action::UserRole,
        Action::UserTotpReset,
        Action::TeamCreate,
        Action::TeamDelete,
        Action::TeamMembers,
        Action::TeamStack,
        Action::TeamStackClaim,
        Action::SwarmInit,
        Action::SwarmRotateToken,
        Action::NodeAvailability,
        Action::NodeRole,
        Action::NodeLabelAdd,
        Action::NodeLabelRemove,
        Action::NodeRemove,
        Action::ServiceCreate,
        Action::ServiceScale,
        Action::ServiceImage,
        Action::ServiceEnv,
        Action::ServiceEnvReveal,
        Action::ServicePorts,
        Action::ServiceConstraints,
        Action::ServiceResources,
        Action::ServiceRedeploy,
        Action::ServiceRollback,
        Action::ServiceDelete,
        Action::StackDeploy,
        Action::StackRemove,
        Action::StackEnvReveal,
        Action::StackHistoryDelete,
        Action::TokenCreate,
        Action::TokenRevoke,
        Action::ApiRequest,
        Action::WebhookCreate,
        Action::WebhookRotate,
        Action::WebhookDelete,
        Action::WebhookRefused,
        Action::RegistryAdd,
        Action::RegistryUpdate,
        Action::RegistryTest,
        Action::RegistryRemove,
        Action::StackGitCreate,
        Action::StackGitEdit,
        Action::StackGitSync,
        Action::StackGitPause,
        Action::StackGitResume,
        Action::SecretCreate,
        Action::SecretRemove,
        Action::SecretRotate,
        Action::ConfigCreate,
        Action::ConfigRemove,
        Action::ConfigRotate,
        Action::NetworkCreate,
        Action::NetworkRemove,
        Action::VolumeCreate,
        Action::VolumeRemove,
        Action::VolumePrune,
        Action::ImageRemove,
        Action::ImagePrune,
        Action::AlertChannelAdd,
        Action::AlertChannelTest,
        Action::AlertChannelRemove,
        Action::AlertRuleUpdate,
        Action::AlertMuteAdd,
        Action::AlertMuteRemove,
        Action::ConsoleOpen,
        Action::ConsoleClose,
        Action::ConsoleRun,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::AuthSetup => "auth.setup",
            Action::AuthLogin => "auth.login",
            Action::AuthLogout => "auth.logout",
            Action::AuthPasswordChange => "auth.password_change",
            Action::AuthTotp => "auth.totp",
            Action::AuthTotpEnable => "auth.totp_enable",
            Action::AuthTotpDisable => "auth.totp_disable",
            Action::AuthOidcLogin => "auth.oidc.login",
            Action::AuthOidcRefused => "auth.oidc.refused",
            Action::AuthOidcSettings => "auth.oidc.settings",
            Action::SetupPasswordFile => "setup.password_file",
            Action::CsrfRefused => "csrf.refused",
            Action::PolicyRefused => "policy.refused",
            Action::UserCreate => "user.create",
            Action::UserDelete => "user.delete",
            Action::UserRole => "user.role",
            Action::UserTotpReset => "user.totp_reset",
            Action::TeamCreate => "team.create",
            Action::TeamDelete => "team.delete",
            Action::TeamMembers => "team.members",
            Action::TeamStack => "team.stack",
            Action::TeamStackClaim => "team.stack.claim",
            Action::SwarmInit => "swarm.init",
            Action::SwarmRotateToken => "swarm.rotate_token",
            Action::NodeAvailability => "node.availability",
            Action::NodeRole => "node.role",
            Action::NodeLabelAdd => "node.label.add",
            Action::NodeLabelRemove => "node.label.remove",
            Action::NodeRemove => "node.remove",
            Action::ServiceCreate => "service.create",
            Action::ServiceScale => "service.scale",
            Action::ServiceImage => "service.image",
            Action::ServiceEnv => "service.env",
            Action::ServiceEnvReveal => "service.env.reveal",
            Action::ServicePorts => "service.ports",
            Action::ServiceConstraints => "service.constraints",
            Action::ServiceResources => "service.resources",
            Action::ServiceRedeploy => "service.redeploy",
            Action::ServiceRollback => "service.rollback",
            Action::ServiceDelete => "service.delete",
            Action::StackDeploy => "stack.deploy",
            Action::StackRemove => "stack.remove",
            Action::StackEnvReveal => "stack.env.reveal",
            Action::StackHistoryDelete => "stack.history.delete",
            Action::TokenCreate => "token.create",
            Action::TokenRevoke => "token.revoke",
            Action::ApiRequest => "api.request",
            Action::WebhookCreate => "stack.webhook.create",
            Action::WebhookRotate => "stack.webhook.rotate",
            Action::WebhookDelete => "stack.webhook.delete",
            Action::WebhookRefused => "stack.webhook.refused",
            Action::RegistryAdd => "registry.add",
            Action::RegistryUpdate => "registry.update",
            Action::RegistryTest => "registry.test",
            Action::RegistryRemove => "registry.remove",
            Action::StackGitCreate => "stack.git.create",
            Action::StackGitEdit => "stack.git.edit",
            Action::StackGitSync => "stack.git.sync",
            Action::StackGitPause => "stack.git.pause",
            Action::StackGitResume => "stack.git.resume",
            Action::SecretCreate => "secret.create",
            Action::SecretRemove => "secret.remove",
            Action::SecretRotate => "secret.rotate",
            Action::ConfigCreate => "config.create",
            Action::ConfigRemove => "config.remove",
            Action::ConfigRotate => "config.rotate",
            Action::NetworkCreate => "network.create",
            Action::NetworkRemove => "network.remove",
            Action::VolumeCreate => "volume.create",
            Action::VolumeRemove => "volume.remove",
            Action::VolumePrune => "volume.prune",
            Action::ImageRemove => "image.remove",
            Action::ImagePrune => "image.prune",
            Action::AlertChannelAdd => "alert.channel.add",
            Action::AlertChannelTest => "alert.channel.test",
            Action::AlertChannelRemove => "alert.channel.remove",
            Action::AlertRuleUpdate => "alert.rule.update",
            Action::AlertMuteAdd => "alert.mute.add",
            Action::AlertMuteRemove => "alert.mute.remove",
            Action::ConsoleOpen => "console.open",
            Action::ConsoleClose => "console.close",
            Action::ConsoleRun => "console.run",
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub username: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: Action,
    pub target: Option<&'a str>,
    pub outcome: Outcome,
    pub detail: Option<&'a str>,
}

/// Byte budgets of the stored fields.
pub const MAX_USERNAME_BYTES: usize = 128;
pub const MAX_IP_BYTES: usize = 64;
pub const MAX_TARGET_BYTES: usize = 512;
pub const MAX_DETAIL_BYTES: usize = 2048;
/// Ends a field that was cut.
pub const TRUNCATED: &str = "…[truncated]";
/// Identical entries within one window of this length are one row.
pub const COLLAPSE_WINDOW_MS: i64 = 10 * 60 * 1000;

#[derive(Debug, Clone, FromRow)]
pub struct Row {
    pub id: i64,
    pub at_ms: i64,
    pub username: Option<String>,
    pub ip: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
    /// how many identical entries this row stands for
    pub repeat_count: i64,
    /// when the last of them came
    pub last_at_ms: i64,
}

/// `s` cut to at most `max` bytes on a char boundary, ending in [`TRUNCATED`] when cut.
pub fn clip(s: &str, max: usize) -> Cow<'_, str> {
    if s.len() <= max {
        return Cow::Borrowed(s);
    }
    let mut end = max.saturating_sub(TRUNCATED.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}{TRUNCATED}", &s[..end]))
}

/// The identity of an entry within its collapse window.
fn collapse_key(fields: &[Option<&str>], window: i64) -> Vec<u8> {
    let mut h = Sha256::new();
    for f in fields {
        match f {
            // length-prefixed, so that no two different field lists hash the same input
            Some(v) => {
                h.update([1u8]);
                h.update((v.len() as u64).to_le_bytes());
                h.update(v.as_bytes());
            }
            None => h.update([0u8]),
        }
    }
    h.update(window.to_le_bytes());
    h.finalize().to_vec()
}

pub async fn record(db: &SqlitePool, e: &Entry<'_>) -> sqlx::Result<()> {
    record_at(db, e, super::now_ms()).await
}

async fn record_at(db: &SqlitePool, e: &Entry<'_>, now_ms: i64) -> sqlx::Result<()> {
    let username = e.username.map(|s| clip(s, MAX_USERNAME_BYTES));
    let ip = e.ip.map(|s| clip(s, MAX_IP_BYTES));
    let target = e.target.map(|s| clip(s, MAX_TARGET_BYTES));
    let detail = e.detail.map(|s| clip(s, MAX_DETAIL_BYTES));
    let key = collapse_key(
        &[
            username.as_deref(),
            ip.as_deref(),
            Some(e.action.as_str()),
            target.as_deref(),
            Some(e.outcome.as_str()),
            detail.as_deref(),
        ],
        now_ms.div_euclid(COLLAPSE_WINDOW_MS),
    );
    // one statement: two identical entries at once still make one row
    sqlx::query(
        "INSERT INTO audit_log (at_ms, last_at_ms, username, ip, action, target, outcome, detail, collapse_key)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(collapse_key) DO UPDATE
         SET repeat_count = repeat_count + 1, last_at_ms = excluded.last_at_ms",
    )
    .bind(now_ms)
    .bind(now_ms)
    .bind(username.as_deref())
    .bind(ip.as_deref())
    .bind(e.action.as_str())
    .bind(target.as_deref())
    .bind(e.outcome.as_str())
    .bind(detail.as_deref())
    .bind(key)
    .execute(db)
    .await?;
    Ok(())
}

/// How long and how much of the audit log is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub max_age: Duration,
    pub max_rows: u64,
}

/// Deletes entries whose last occurrence is older than `max_age`, then the oldest beyond
/// `max_rows`. Both use an index; returns how many rows went.
pub async fn apply_retention(db: &SqlitePool, r: Retention) -> sqlx::Result<u64> {
    apply_retention_at(db, r, super::now_ms()).await
}

async fn apply_retention_at(db: &SqlitePool, r: Retention, now_ms: i64) -> sqlx::Result<u64> {
    let cutoff = now_ms.saturating_sub(i64::try_from(r.max_age.as_millis()).unwrap_or(i64::MAX));
    let old = sqlx::query("DELETE FROM audit_log WHERE last_at_ms < ?")
        .bind(cutoff)
        .execute(db)
        .await?
        .rows_affected();
    let excess = sqlx::query(
        "DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)",
    )
    .bind(i64::try_from(r.max_rows).unwrap_or(i64::MAX))
    .execute(db)
    .await?
    .rows_affected();
    Ok(old + excess)
}

/// Filters for the audit page.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pub before_id: Option<i64>,
    pub action_prefix: Option<String>,
    pub username: Option<String>,
    pub outcome: Option<String>,
    pub limit: i64,
}

/// Newest first, paged by id.
pub async fn list(db: &SqlitePool, q: &Query) -> sqlx::Result<Vec<Row>> {
    let mut qb = sqlx::QueryBuilder::new(
        "SELECT id, at_ms, username, ip, action, target, outcome, detail, repeat_count, last_at_ms
         FROM audit_log WHERE 1=1",
    );
    if let Some(id) = q.before_id {
        qb.push(" AND id < ").push_bind(id);
    }
    if let Some(a) = q.action_prefix.as_deref().filter(|s| !s.is_empty()) {
        qb.push(" AND action LIKE ")
            .push_bind(format!("{}%", a.replace(['%', '_'], "")));
    }
    if let Some(u) = q.username.as_deref().filter(|s| !s.is_empty()) {
        qb.push(" AND username = ").push_bind(u.to_string());
    }
    if let Some(o) = q.outcome.as_deref().filter(|s| !s.is_empty()) {
        qb.push(" AND outcome = ").push_bind(o.to_string());
    }
    qb.push(" ORDER BY id DESC LIMIT ")
        .push_bind(q.limit.clamp(1, 1000));
    qb.build_query_as().fetch_all(db).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_names_are_unique_and_grouped_by_area() {
        let names: std::collections::BTreeSet<&str> =
            Action::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), Action::ALL.len());
        for n in names {
            let area = n.split('.').next().unwrap_or_default();
            assert!(
                [
                    "auth", "setup", "csrf", "user", "swarm", "node", "service", "stack", "token",
                    "api", "registry", "secret", "config", "network", "volume", "image", "alert",
                    "policy", "console", "team"
                ]
                .contains(&area),
                "{n}"
            );
        }
    }

    async fn db() -> (tempfile::TempDir, SqlitePool) {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::open(dir.path(), None).await.unwrap();
        (dir, pool)
    }

    fn entry<'a>(user: &'a str, detail: &'a str) -> Entry<'a> {
        Entry {
            username: Some(user),
            ip: Some("192.0.2.9"),
            action: Action::AuthLogin,
            target: Some(user),
            outcome: Outcome::Failed,
            detail: Some(detail),
        }
    }

    async fn rows(db: &SqlitePool) -> Vec<Row> {
        list(
            db,
            &Query {
                limit: 1000,
                ..Query::default()
            },
        )
        .await
        .unwrap()
    }

    #[test]
    fn clip_cuts_on_a_char_boundary_with_a_marker() {
        assert_eq!(clip("short", 10), "short");
        let long = "é".repeat(100); // 200 bytes
        let c = clip(&long, 51);
        assert!(c.len() <= 51, "{}", c.len());
        assert!(c.ends_with(TRUNCATED));
        assert!(c.trim_end_matches(TRUNCATED).chars().all(|ch| ch == 'é'));
    }

    #[tokio::test]
    async fn every_field_is_cut_to_its_budget() {
        let (_d, db) = db().await;
        let huge = "x".repeat(1_000_000);
        let e = Entry {
            username: Some(&huge),
            ip: Some(&huge),
            action: Action::AuthLogin,
            target: Some(&huge),
            outcome: Outcome::Denied,
            detail: Some(&huge),
        };
        record(&db, &e).await.unwrap();
        let r = &rows(&db).await[0];
        assert!(r.username.as_ref().unwrap().len() <= MAX_USERNAME_BYTES);
        assert!(r.ip.as_ref().unwrap().len() <= MAX_IP_BYTES);
        assert!(r.target.as_ref().unwrap().len() <= MAX_TARGET_BYTES);
        assert!(r.detail.as_ref().unwrap().ends_with(TRUNCATED));
        assert!(r.detail.as_ref().unwrap().len() <= MAX_DETAIL_BYTES);
    }

    #[tokio::test]
    async fn identical_entries_within_the_window_are_one_row_with_a_count() {
        let (_d, db) = db().await;
        let t0 = 1_000 * COLLAPSE_WINDOW_MS;
        for i in 0..50 {
            record_at(&db, &entry("admin", "wrong password"), t0 + i)
                .await
                .unwrap();
        }
        record_at(&db, &entry("admin", "other detail"), t0 + 60)
            .await
            .unwrap();
        record_at(&db, &entry("root", "wrong password"), t0 + 61)
            .await
            .unwrap();
        let all = rows(&db).await;
        assert_eq!(all.len(), 3);
        let admin = all
            .iter()
            .find(|r| {
                r.username.as_deref() == Some("admin")
                    && r.detail.as_deref() == Some("wrong password")
            })
            .unwrap();
        assert_eq!(admin.repeat_count, 50);
        assert_eq!(admin.at_ms, t0);
        assert_eq!(admin.last_at_ms, t0 + 49);
        // the next window starts a new row
        record_at(
            &db,
            &entry("admin", "wrong password"),
            t0 + COLLAPSE_WINDOW_MS,
        )
        .await
        .unwrap();
        assert_eq!(rows(&db).await.len(), 4);
    }

    #[tokio::test]
    async fn retention_removes_old_and_excess_rows() {
        let (_d, db) = db().await;
        let day = 86_400_000;
        let now = 20_000 * day;
        // 10 entries 40 days old, 300 recent ones (distinct, so none collapse)
        for i in 0..10 {
            record_at(&db, &entry(&format!("old{i}"), "x"), now - 40 * day)
                .await
                .unwrap();
        }
        for i in 0..300 {
            record_at(&db, &entry(&format!("new{i}"), "x"), now - 1000 + i)
                .await
                .unwrap();
        }
        let r = Retention {
            max_age: Duration::from_secs(30 * 86_400),
            max_rows: 1000,
        };
        assert_eq!(apply_retention_at(&db, r, now).await.unwrap(), 10);
        let left = rows(&db).await;
        assert_eq!(left.len(), 300);
        assert!(
            left.iter()
                .all(|r| r.username.as_deref().unwrap().starts_with("new"))
        );
        let r = Retention {
            max_age: Duration::from_secs(30 * 86_400),
            max_rows: 100,
        };
        assert_eq!(apply_retention_at(&db, r, now).await.unwrap(), 200);
        let left = rows(&db).await;
        assert_eq!(left.len(), 100);
        // the newest stay
        assert_eq!(left[0].username.as_deref(), Some("new299"));
        assert_eq!(left[99].username.as_deref(), Some("new200"));
        // nothing more to do
        assert_eq!(apply_retention_at(&db, r, now).await.unwrap(), 0);
    }
}
