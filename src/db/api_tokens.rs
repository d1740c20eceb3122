//! API tokens (see `auth::api_tokens`): only their sha256 is stored. A lookup joins the
//! owner, so a deleted account's tokens stop working at once (and the cascade deletes them).

use sqlx::{FromRow, SqlitePool};

use crate::auth::api_tokens::{Grant, NewToken, Scope, split_stacks};

/// A token as the settings page lists it.
#[derive(Debug, Clone, FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub stacks: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub last_used_ip: Option<String>,
}

/// A live token and its owner, as the API sees it.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub id: i64,
    pub name: String,
    pub user_id: i64,
    pub username: String,
    pub is_admin: bool,
    pub grant: Grant,
    pub last_used_at: Option<i64>,
}

#[derive(FromRow)]
struct BearerRow {
    id: i64,
    name: String,
    user_id: i64,
    username: String,
    is_admin: bool,
    scope: String,
    stacks: String,
    last_used_at: Option<i64>,
}

/// Stores a new token of `user_id`; `None` when the user already has a token of that name.
pub async fn insert(
    db: &SqlitePool,
    user_id: i64,
    token_hash: &[u8],
    t: &NewToken,
) -> sqlx::Result<Option<i64>> {
    let now = super::now();
    let res = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash, scope, stacks, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(user_id, name) DO NOTHING",
    )
    .bind(user_id)
    .bind(&t.name)
    .bind(token_hash)
    .bind(t.grant.scope.as_str())
    .bind(t.grant.stacks.join(","))
    .bind(now)
    .bind(now + t.expires_days * 86_400)
    .execute(db)
    .await?;
    Ok((res.rows_affected() == 1).then(|| res.last_insert_rowid()))
}

/// The tokens of one user, newest first.
pub async fn list_for_user(db: &SqlitePool, user_id: i64) -> sqlx::Result<Vec<TokenRow>> {
    sqlx::query_as(
        "SELECT id, name, scope, stacks, created_at, expires_at, last_used_at, last_used_ip
         FROM api_tokens WHERE user_id = ? ORDER BY created_at DESC, id DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await
}

/// Deletes one token of `user_id`; its name when there was one.
pub async fn revoke(db: &SqlitePool, user_id: i64, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM api_tokens WHERE id = ? AND user_id = ? RETURNING name")
        .bind(id)
        .bind(user_id)
        .fetch_optional(db)
        .await
}

/// The live (not expired) token with this hash, with its owner.
pub async fn find_live(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<Option<Bearer>> {
    let row: Option<BearerRow> = sqlx::query_as(
        "SELECT t.id, t.name, t.user_id, u.username, u.is_admin, t.scope, t.stacks, t.last_used_at
         FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = ? AND t.expires_at > ?",
    )
    .bind(token_hash)
    .bind(super::now())
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(|r| {
        Some(Bearer {
            id: r.id,
            name: r.name,
            user_id: r.user_id,
            username: r.username,
            is_admin: r.is_admin,
            grant: Grant {
                scope: Scope::parse(&r.scope)?,
                stacks: split_stacks(&r.stacks),
            },
            last_used_at: r.last_used_at,
        })
    }))
}

/// Notes a use of a token (callers write at most once a minute per token).
pub async fn touch(db: &SqlitePool, id: i64, ip: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET last_used_at = ?, last_used_ip = ? WHERE id = ?")
        .bind(super::now())
        .bind(ip)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
