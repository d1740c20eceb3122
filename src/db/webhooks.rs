//! Deploy webhooks of stacks (see [`crate::stack::webhook`]): the URL's secret is stored only
//! as its SHA-256, a signed hook's signing key sealed (berth needs it to check signatures).

use sqlx::{FromRow, SqlitePool};

/// Purpose the sealed signing key is bound to.
const SIGNING_KEY: &str = "webhook signing key";

/// A hook as listed on its stack's page (nothing secret).
#[derive(Debug, Clone, FromRow)]
pub struct Hook {
    pub id: i64,
    pub stack: String,
    pub signed: bool,
    pub created_at: i64,
    pub created_by: String,
    pub rotated_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A hook found by its lookup part, with what checking a call needs.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub hook: Hook,
    pub secret_hash: Vec<u8>,
    /// The signing key of a signed hook, opened.
    pub signing_key: Option<String>,
}

#[derive(FromRow)]
struct Row {
    #[sqlx(flatten)]
    hook: Hook,
    secret_hash: Vec<u8>,
    signing_key: Option<String>,
}

/// `SELECT` of a [`Hook`]'s columns, then `$rest` (SQL stays literal).
macro_rules! select_hook {
    ($rest:literal) => {
        concat!(
            "SELECT id, stack, signing_key IS NOT NULL AS signed, created_at, created_by, rotated_at, last_used_at",
            $rest
        )
    };
}

/// Stores a new hook; returns its id.
pub async fn insert(
    db: &SqlitePool,
    stack: &str,
    lookup: &str,
    secret_hash: &[u8],
    signing_key: Option<&str>,
    created_by: &str,
) -> sqlx::Result<i64> {
    let sealed = match signing_key {
        Some(k) => Some(super::sealer(db)?.seal(SIGNING_KEY, k.as_bytes())),
        None => None,
    };
    sqlx::query_scalar(
        "INSERT INTO stack_webhooks (stack, lookup, secret_hash, signing_key, created_at, created_by)
         VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(stack)
    .bind(lookup)
    .bind(secret_hash)
    .bind(sealed)
    .bind(super::now())
    .bind(created_by)
    .fetch_one(db)
    .await
}

/// Replaces a hook's secret (and signing key, for a signed hook): the old URL stops working at
/// once. False when the stack has no such hook.
pub async fn rotate(
    db: &SqlitePool,
    stack: &str,
    id: i64,
    lookup: &str,
    secret_hash: &[u8],
    signing_key: Option<&str>,
) -> sqlx::Result<bool> {
    let sealed = match signing_key {
        Some(k) => Some(super::sealer(db)?.seal(SIGNING_KEY, k.as_bytes())),
        None => None,
    };
    // a plain hook stays plain and a signed one signed: the key is replaced only where one was
    let res = sqlx::query(
        "UPDATE stack_webhooks SET lookup = ?, secret_hash = ?, rotated_at = ?,
                signing_key = CASE WHEN signing_key IS NULL THEN NULL ELSE ? END
         WHERE id = ? AND stack = ?",
    )
    .bind(lookup)
    .bind(secret_hash)
    .bind(super::now())
    .bind(sealed)
    .bind(id)
    .bind(stack)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Deletes a hook; false when the stack has no such hook.
pub async fn delete(db: &SqlitePool, stack: &str, id: i64) -> sqlx::Result<bool> {
    let res = sqlx::query("DELETE FROM stack_webhooks WHERE id = ? AND stack = ?")
        .bind(id)
        .bind(stack)
        .execute(db)
        .await?;
    Ok(res.rows_affected() == 1)
}

/// A stack's hooks, oldest first.
pub async fn list(db: &SqlitePool, stack: &str) -> sqlx::Result<Vec<Hook>> {
    sqlx::query_as(select_hook!(
        " FROM stack_webhooks WHERE stack = ? ORDER BY id"
    ))
    .bind(stack)
    .fetch_all(db)
    .await
}

/// One hook of a stack.
pub async fn get(db: &SqlitePool, stack: &str, id: i64) -> sqlx::Result<Option<Hook>> {
    sqlx::query_as(select_hook!(
        " FROM stack_webhooks WHERE stack = ? AND id = ?"
    ))
    .bind(stack)
    .bind(id)
    .fetch_optional(db)
    .await
}

/// The hook a URL's lookup part names, with its stored hash and opened signing key.
pub async fn by_lookup(db: &SqlitePool, lookup: &str) -> sqlx::Result<Option<Credentials>> {
    let row: Option<Row> = sqlx::query_as(select_hook!(
        ", secret_hash, signing_key FROM stack_webhooks WHERE lookup = ?"
    ))
    .bind(lookup)
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let signing_key = match row.signing_key {
        Some(sealed) => Some(
            super::sealer(db)?
                .open_text(SIGNING_KEY, &sealed)
                .map_err(super::unsealing)?,
        ),
        None => None,
    };
    Ok(Some(Credentials {
        hook: row.hook,
        secret_hash: row.secret_hash,
        signing_key,
    }))
}

/// Notes that a hook was called.
pub async fn touch(db: &SqlitePool, id: i64) -> sqlx::Result<()> {
    sqlx::query("UPDATE stack_webhooks SET last_used_at = ? WHERE id = ?")
        .bind(super::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
