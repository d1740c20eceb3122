//! Server-side sessions. The cookie holds a random token; the table holds its sha256.

use sqlx::{FromRow, SqlitePool};

#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub id_hash: Vec<u8>,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub username: String,
    pub is_admin: bool,
    pub has_flash: bool,
}

pub async fn insert(
    db: &SqlitePool,
    id_hash: &[u8],
    user_id: i64,
    csrf_token: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> sqlx::Result<()> {
    let now = super::now();
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(csrf_token)
    .bind(now)
    .bind(now)
    .bind(ip)
    .bind(user_agent)
    .execute(db)
    .await?;
    Ok(())
}

/// How long sessions live: idle time, and absolute lifetime from sign-in.
#[derive(Debug, Clone, Copy)]
pub struct Lifetime {
    pub idle_secs: i64,
    pub max_age_secs: i64,
}

/// The live session with this hash: seen within the idle time and started within the
/// absolute lifetime.
pub async fn find_live(
    db: &SqlitePool,
    id_hash: &[u8],
    life: Lifetime,
) -> sqlx::Result<Option<SessionRow>> {
    let now = super::now();
    sqlx::query_as(
        "SELECT s.id_hash, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, u.username, u.is_admin,
                (s.flash IS NOT NULL) AS has_flash
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id_hash = ? AND s.last_seen_at > ? AND s.created_at > ?",
    )
    .bind(id_hash)
    .bind(now - life.idle_secs)
    .bind(now - life.max_age_secs)
    .fetch_optional(db)
    .await
}

pub async fn touch(db: &SqlitePool, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?")
        .bind(super::now())
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn delete(db: &SqlitePool, id_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = ?")
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends every session of the user except `keep` (after a password change).
/// (Its trusted browsers go too: see `devices::delete_for_user`.)
pub async fn delete_others(db: &SqlitePool, user_id: i64, keep: &[u8]) -> sqlx::Result<u64> {
    let res = sqlx::query("DELETE FROM sessions WHERE user_id = ? AND id_hash <> ?")
        .bind(user_id)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(res.rows_affected())
}

pub async fn delete_expired(db: &SqlitePool, life: Lifetime) -> sqlx::Result<u64> {
    let now = super::now();
    let res = sqlx::query("DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?")
        .bind(now - life.idle_secs)
        .bind(now - life.max_age_secs)
        .execute(db)
        .await?;
    Ok(res.rows_affected())
}

/// Stores a one-shot message shown on the next page of this session.
pub async fn set_flash(db: &SqlitePool, id_hash: &[u8], flash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE sessions SET flash = ? WHERE id_hash = ?")
        .bind(flash)
        .bind(id_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Reads and clears the pending flash message.
pub async fn take_flash(db: &SqlitePool, id_hash: &[u8]) -> sqlx::Result<Option<String>> {
    let mut tx = db.begin().await?;
    let flash: Option<String> = sqlx::query_scalar("SELECT flash FROM sessions WHERE id_hash = ?")
        .bind(id_hash)
        .fetch_optional(&mut *tx)
        .await?
        .flatten();
    if flash.is_some() {
        sqlx::query("UPDATE sessions SET flash = NULL WHERE id_hash = ?")
            .bind(id_hash)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(flash)
}
