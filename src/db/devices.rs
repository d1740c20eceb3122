//! Trusted browsers (see `auth::throttle`).

use sqlx::SqlitePool;

pub async fn insert(db: &SqlitePool, token_hash: &[u8], user_id: i64) -> sqlx::Result<()> {
    let now = super::now();
    sqlx::query(
        "INSERT INTO trusted_devices (token_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(token_hash) DO UPDATE SET last_used_at = excluded.last_used_at",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// The user name a device token belongs to.
pub async fn owner(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT u.username FROM trusted_devices d JOIN users u ON u.id = d.user_id WHERE d.token_hash = ?",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await
}
