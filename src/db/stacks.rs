//! Stack sources and deploy history.

use sqlx::{FromRow, SqlitePool};

#[derive(Debug, Clone, FromRow)]
pub struct Version {
    pub id: i64,
    pub stack: String,
    pub version: i64,
    pub compose: String,
    pub env: String,
    /// files uploaded with it: JSON {"name": base64}
    pub files: String,
    pub prune: bool,
    pub created_at: i64,
    pub username: Option<String>,
    pub outcome: String,
    pub summary: Option<String>,
    pub events: Option<String>,
    pub finished_at: Option<i64>,
    pub redeploy_of: Option<i64>,
}

/// What a new deploy stores before it starts.
pub struct NewVersion<'a> {
    pub stack: &'a str,
    pub compose: &'a str,
    pub env: &'a str,
    pub files: &'a str,
    pub prune: bool,
    pub username: &'a str,
    pub redeploy_of: Option<i64>,
}

/// Stores a new version (outcome `running`) and returns its number (1, 2, …).
pub async fn insert(db: &SqlitePool, v: &NewVersion<'_>) -> sqlx::Result<i64> {
    let mut tx = db.begin().await?;
    let next: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM stack_versions WHERE stack = ?",
    )
    .bind(v.stack)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO stack_versions (stack, version, compose, env, files, prune, created_at, username, outcome, redeploy_of)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?)",
    )
    .bind(v.stack)
    .bind(next)
    .bind(v.compose)
    .bind(v.env)
    .bind(v.files)
    .bind(v.prune)
    .bind(super::now())
    .bind(v.username)
    .bind(v.redeploy_of)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// Records how a deploy ended.
pub async fn finish(
    db: &SqlitePool,
    stack: &str,
    version: i64,
    outcome: &str,
    summary: &str,
    events_json: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE stack_versions SET outcome = ?, summary = ?, events = ?, finished_at = ? WHERE stack = ? AND version = ?",
    )
    .bind(outcome)
    .bind(summary)
    .bind(events_json)
    .bind(super::now())
    .bind(stack)
    .bind(version)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn get(db: &SqlitePool, stack: &str, version: i64) -> sqlx::Result<Option<Version>> {
    sqlx::query_as("SELECT * FROM stack_versions WHERE stack = ? AND version = ?")
        .bind(stack)
        .bind(version)
        .fetch_optional(db)
        .await
}

pub async fn latest(db: &SqlitePool, stack: &str) -> sqlx::Result<Option<Version>> {
    sqlx::query_as("SELECT * FROM stack_versions WHERE stack = ? ORDER BY version DESC LIMIT 1")
        .bind(stack)
        .fetch_optional(db)
        .await
}

/// Every version of a stack, newest first (without the event logs).
pub async fn history(db: &SqlitePool, stack: &str) -> sqlx::Result<Vec<Version>> {
    sqlx::query_as(
        "SELECT id, stack, version, compose, env, '{}' AS files, prune, created_at, username, outcome, summary,
                NULL AS events, finished_at, redeploy_of
         FROM stack_versions WHERE stack = ? ORDER BY version DESC",
    )
    .bind(stack)
    .fetch_all(db)
    .await
}

/// The newest version of every stack berth holds (for the list page): one query.
pub async fn latest_of_all(db: &SqlitePool) -> sqlx::Result<Vec<Version>> {
    sqlx::query_as(
        "SELECT v.id, v.stack, v.version, '' AS compose, '' AS env, '{}' AS files, v.prune, v.created_at, v.username, v.outcome,
                v.summary, NULL AS events, v.finished_at, v.redeploy_of
         FROM stack_versions v
         JOIN (SELECT stack, MAX(version) AS version FROM stack_versions GROUP BY stack) m
           ON m.stack = v.stack AND m.version = v.version
         ORDER BY v.stack",
    )
    .fetch_all(db)
    .await
}

/// Forgets a stack's history; returns how many versions were deleted.
pub async fn delete_history(db: &SqlitePool, stack: &str) -> sqlx::Result<u64> {
    let res = sqlx::query("DELETE FROM stack_versions WHERE stack = ?")
        .bind(stack)
        .execute(db)
        .await?;
    Ok(res.rows_affected())
}

/// Deploys left `running` by a berth that stopped mid-deploy are marked failed at start-up.
pub async fn fail_interrupted(db: &SqlitePool) -> sqlx::Result<u64> {
    let res = sqlx::query(
        "UPDATE stack_versions SET outcome = 'failed', finished_at = ?,
                summary = 'interrupted: berth stopped during this deploy; deploy again to finish it'
         WHERE outcome = 'running'",
    )
    .bind(super::now())
    .execute(db)
    .await?;
    Ok(res.rows_affected())
}
