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

/// One audit entry to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub username: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub action: &'a str,
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
    .bind(e.action)
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
