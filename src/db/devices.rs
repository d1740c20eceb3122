//! Trusted browsers (see `auth::throttle`). A device token is good for a fixed time from its
//! issue and is revoked with the user's sessions when the password changes.

use std::time::Duration;

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

/// The user name a device token belongs to, if it was issued within `ttl`.
pub async fn owner(
    db: &SqlitePool,
    token_hash: &[u8],
    ttl: Duration,
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT u.username FROM trusted_devices d JOIN users u ON u.id = d.user_id
         WHERE d.token_hash = ? AND d.created_at > ?",
    )
    .bind(token_hash)
    .bind(super::now() - ttl.as_secs() as i64)
    .fetch_optional(db)
    .await
}

/// Forgets every trusted browser of a user (after a password change).
pub async fn delete_for_user(db: &SqlitePool, user_id: i64) -> sqlx::Result<u64> {
    let res = sqlx::query("DELETE FROM trusted_devices WHERE user_id = ?")
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(res.rows_affected())
}

/// Forgets device tokens issued more than `ttl` ago.
pub async fn delete_expired(db: &SqlitePool, ttl: Duration) -> sqlx::Result<u64> {
    let res = sqlx::query("DELETE FROM trusted_devices WHERE created_at <= ?")
        .bind(super::now() - ttl.as_secs() as i64)
        .execute(db)
        .await?;
    Ok(res.rows_affected())
}
