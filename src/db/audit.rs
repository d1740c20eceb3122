//! The audit log: who did what, when, from where, on which object, with which result.

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
    /// the first admin was created from BERTH_ADMIN_PASSWORD_FILE
    SetupPasswordFile,
    /// a form without a valid CSRF token was refused
    CsrfRefused,
    UserCreate,
    UserDelete,
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
}

impl Action {
    /// Every action, in the order above.
    pub const ALL: &'static [Action] = &[
        Action::AuthSetup,
        Action::AuthLogin,
        Action::AuthLogout,
        Action::AuthPasswordChange,
        Action::SetupPasswordFile,
        Action::UserCreate,
        Action::UserDelete,
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
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::AuthSetup => "auth.setup",
            Action::AuthLogin => "auth.login",
            Action::AuthLogout => "auth.logout",
            Action::AuthPasswordChange => "auth.password_change",
            Action::SetupPasswordFile => "setup.password_file",
            Action::CsrfRefused => "csrf.refused",
            Action::UserCreate => "user.create",
            Action::UserDelete => "user.delete",
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
}

pub async fn record(db: &SqlitePool, e: &Entry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, username, ip, action, target, outcome, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(super::now_ms())
    .bind(e.username)
    .bind(e.ip)
    .bind(e.action.as_str())
    .bind(e.target)
    .bind(e.outcome.as_str())
    .bind(e.detail)
    .execute(db)
    .await?;
    Ok(())
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
    let mut qb = sqlx::QueryBuilder::new("SELECT * FROM audit_log WHERE 1=1");
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
                    "auth", "setup", "csrf", "user", "swarm", "node", "service", "stack"
                ]
                .contains(&area),
                "{n}"
            );
        }
    }
}
