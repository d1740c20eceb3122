//! TOTP of local accounts (migration 0014): the sealed shared secret, the newest step used,
//! single-use recovery codes, and half sign-ins waiting for their code.
//!
//! Every "use once" is one statement: a step is taken only if it is newer than the last one, a
//! recovery code only if unused, a half sign-in only if still there (two requests racing with
//! the same code cannot both pass).

use sqlx::{FromRow, SqlitePool};

/// What a sealed TOTP secret is bound to (see `crate::secrets`).
const SECRET: &str = "totp secret";
/// How long a half sign-in waits for its code.
pub const PENDING_TTL_SECS: i64 = 300;
/// Wrong codes one half sign-in takes before it is dropped (the password is asked again).
pub const PENDING_MAX_TRIES: i64 = 5;

/// Where an account's TOTP stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    /// set up, waiting for its first code
    Pending,
    /// on; the number of unused recovery codes
    On {
        recovery_left: i64,
    },
}

pub async fn status(db: &SqlitePool, user_id: i64) -> sqlx::Result<Status> {
    let row: Option<(Option<i64>, i64)> = sqlx::query_as(
        "SELECT t.enabled_at,
                (SELECT COUNT(*) FROM totp_recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL)
         FROM user_totp t WHERE t.user_id = ?",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => Status::Off,
        Some((None, _)) => Status::Pending,
        Some((Some(_), left)) => Status::On {
            recovery_left: left,
        },
    })
}

/// The ids of accounts with TOTP on (the accounts list marks them).
pub async fn enabled_users(db: &SqlitePool) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar("SELECT user_id FROM user_totp WHERE enabled_at IS NOT NULL")
        .fetch_all(db)
        .await
}

/// Starts (or restarts) an enrolment with `secret`; false when TOTP is already on (then
/// nothing changes).
pub async fn begin(db: &SqlitePool, user_id: i64, secret: &[u8]) -> sqlx::Result<bool> {
    let sealed = super::sealer(db)?.seal(SECRET, secret);
    let res = sqlx::query(
        "INSERT INTO user_totp (user_id, secret, enabled_at, last_step, created_at)
         VALUES (?, ?, NULL, 0, ?)
         ON CONFLICT(user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
         WHERE user_totp.enabled_at IS NULL",
    )
    .bind(user_id)
    .bind(sealed)
    .bind(super::now())
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// The account's secret, opened, and whether TOTP is on; `None` without a row.
pub async fn secret(db: &SqlitePool, user_id: i64) -> sqlx::Result<Option<(Vec<u8>, bool)>> {
    let row: Option<(String, Option<i64>)> =
        sqlx::query_as("SELECT secret, enabled_at FROM user_totp WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(db)
            .await?;
    let Some((sealed, enabled)) = row else {
        return Ok(None);
    };
    let plain = super::sealer(db)?
        .open(SECRET, &sealed)
        .map_err(super::unsealing)?;
    Ok(Some((plain, enabled.is_some())))
}

/// Turns a pending enrolment on with its first code's step and the recovery codes' hashes, in
/// one transaction; false when there was no pending enrolment (already on, or none).
pub async fn enable(
    db: &SqlitePool,
    user_id: i64,
    step: u64,
    recovery_hashes: &[Vec<u8>],
) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let res = sqlx::query(
        "UPDATE user_totp SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL",
    )
    .bind(super::now())
    .bind(step_i64(step))
    .bind(user_id)
    .execute(&mut *tx)
    .await?;
    if res.rows_affected() != 1 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for h in recovery_hashes {
        sqlx::query("INSERT OR IGNORE INTO totp_recovery_codes (user_id, code_hash) VALUES (?, ?)")
            .bind(user_id)
            .bind(h)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(true)
}

fn step_i64(step: u64) -> i64 {
    i64::try_from(step).unwrap_or(i64::MAX)
}

/// Takes `step` for an enabled account: true only if it is newer than every step used before
/// (checked and stored in one statement).
pub async fn use_step(db: &SqlitePool, user_id: i64, step: u64) -> sqlx::Result<bool> {
    let step = step_i64(step);
    let res = sqlx::query(
        "UPDATE user_totp SET last_step = ?
         WHERE user_id = ? AND enabled_at IS NOT NULL AND last_step < ?",
    )
    .bind(step)
    .bind(user_id)
    .bind(step)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Uses a recovery code of an enabled account: true only if it was there and unused.
pub async fn use_recovery(db: &SqlitePool, user_id: i64, code_hash: &[u8]) -> sqlx::Result<bool> {
    let res = sqlx::query(
        "UPDATE totp_recovery_codes SET used_at = ?
         WHERE user_id = ? AND code_hash = ? AND used_at IS NULL
           AND EXISTS (SELECT 1 FROM user_totp WHERE user_id = ? AND enabled_at IS NOT NULL)",
    )
    .bind(super::now())
    .bind(user_id)
    .bind(code_hash)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Removes an account's TOTP and recovery codes (turned off, or reset by an admin); false
/// when it had none.
pub async fn remove(db: &SqlitePool, user_id: i64) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM totp_recovery_codes WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    let res = sqlx::query("DELETE FROM user_totp WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM login_pending WHERE user_id = ?")
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(res.rows_affected() == 1)
}

/// A half sign-in.
#[derive(Debug, Clone, FromRow)]
pub struct Pending {
    pub user_id: i64,
    pub username: String,
    pub next: String,
    pub device_hash: Option<Vec<u8>>,
}

/// Records a half sign-in (and drops the expired ones).
pub async fn pending_insert(
    db: &SqlitePool,
    token_hash: &[u8],
    user_id: i64,
    next: &str,
    device_hash: Option<&[u8]>,
) -> sqlx::Result<()> {
    let now = super::now();
    sqlx::query("DELETE FROM login_pending WHERE created_at <= ?")
        .bind(now - PENDING_TTL_SECS)
        .execute(db)
        .await?;
    sqlx::query(
        "INSERT INTO login_pending (token_hash, user_id, next, device_hash, tries, created_at)
         VALUES (?, ?, ?, ?, 0, ?)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(next)
    .bind(device_hash)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

/// The live half sign-in with this token hash.
pub async fn pending(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<Option<Pending>> {
    sqlx::query_as(
        "SELECT p.user_id, u.username, p.next, p.device_hash
         FROM login_pending p JOIN users u ON u.id = p.user_id
         WHERE p.token_hash = ? AND p.created_at > ? AND p.tries < ?",
    )
    .bind(token_hash)
    .bind(super::now() - PENDING_TTL_SECS)
    .bind(PENDING_MAX_TRIES)
    .fetch_optional(db)
    .await
}

/// Ends a half sign-in whose code was right: true only for the one request that removed it.
pub async fn pending_take(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<bool> {
    let res = sqlx::query(
        "DELETE FROM login_pending WHERE token_hash = ? AND created_at > ? AND tries < ?",
    )
    .bind(token_hash)
    .bind(super::now() - PENDING_TTL_SECS)
    .bind(PENDING_MAX_TRIES)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Counts a wrong code against a half sign-in; true when it has none left (then it is gone).
pub async fn pending_failed(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<bool> {
    let tries: Option<i64> = sqlx::query_scalar(
        "UPDATE login_pending SET tries = tries + 1 WHERE token_hash = ? RETURNING tries",
    )
    .bind(token_hash)
    .fetch_optional(db)
    .await?;
    let spent = tries.is_none_or(|t| t >= PENDING_MAX_TRIES);
    if spent {
        sqlx::query("DELETE FROM login_pending WHERE token_hash = ?")
            .bind(token_hash)
            .execute(db)
            .await?;
    }
    Ok(spent)
}

/// Ends a half sign-in (the browser went back to the password form).
pub async fn pending_delete(db: &SqlitePool, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM login_pending WHERE token_hash = ?")
        .bind(token_hash)
        .execute(db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn db_with_user() -> (tempfile::TempDir, SqlitePool, i64) {
        let dir = tempfile::tempdir().unwrap();
        let pool = super::super::open(dir.path(), None).await.unwrap();
        let id = super::super::users::create(&pool, "ops", "x", false)
            .await
            .unwrap()
            .unwrap();
        (dir, pool, id)
    }

    #[tokio::test]
    async fn the_secret_is_sealed_and_a_step_or_recovery_code_is_used_once() {
        let (_d, db, id) = db_with_user().await;
        assert_eq!(status(&db, id).await.unwrap(), Status::Off);
        let key = [7u8; 20];
        assert!(begin(&db, id, &key).await.unwrap());
        assert_eq!(status(&db, id).await.unwrap(), Status::Pending);
        let stored: String = sqlx::query_scalar("SELECT secret FROM user_totp")
            .fetch_one(&db)
            .await
            .unwrap();
        assert!(stored.starts_with("v1:"));
        assert_eq!(secret(&db, id).await.unwrap(), Some((key.to_vec(), false)));
        // steps and codes count only once on
        assert!(!use_step(&db, id, 10).await.unwrap());
        let hashes = vec![vec![1u8; 32], vec![2u8; 32]];
        assert!(enable(&db, id, 10, &hashes).await.unwrap());
        assert!(!enable(&db, id, 11, &hashes).await.unwrap());
        assert!(
            !begin(&db, id, &[8u8; 20]).await.unwrap(),
            "on: not replaced"
        );
        assert_eq!(
            status(&db, id).await.unwrap(),
            Status::On { recovery_left: 2 }
        );
        assert!(
            !use_step(&db, id, 10).await.unwrap(),
            "the enrolment's step"
        );
        assert!(use_step(&db, id, 11).await.unwrap());
        assert!(!use_step(&db, id, 11).await.unwrap());
        assert!(!use_step(&db, id, 9).await.unwrap());
        assert!(use_recovery(&db, id, &[1u8; 32]).await.unwrap());
        assert!(!use_recovery(&db, id, &[1u8; 32]).await.unwrap());
        assert!(!use_recovery(&db, id, &[3u8; 32]).await.unwrap());
        assert_eq!(
            status(&db, id).await.unwrap(),
            Status::On { recovery_left: 1 }
        );
        assert!(remove(&db, id).await.unwrap());
        assert_eq!(status(&db, id).await.unwrap(), Status::Off);
        assert!(!use_recovery(&db, id, &[2u8; 32]).await.unwrap());
    }

    #[tokio::test]
    async fn a_half_sign_in_is_taken_once_and_dropped_after_its_tries() {
        let (_d, db, id) = db_with_user().await;
        pending_insert(&db, b"a", id, "/stacks", None)
            .await
            .unwrap();
        let p = pending(&db, b"a").await.unwrap().unwrap();
        assert_eq!(
            (p.user_id, p.username.as_str(), p.next.as_str()),
            (id, "ops", "/stacks")
        );
        assert!(pending_take(&db, b"a").await.unwrap());
        assert!(!pending_take(&db, b"a").await.unwrap());
        pending_insert(&db, b"b", id, "/", None).await.unwrap();
        for _ in 1..PENDING_MAX_TRIES {
            assert!(!pending_failed(&db, b"b").await.unwrap());
        }
        assert!(pending_failed(&db, b"b").await.unwrap());
        assert!(pending(&db, b"b").await.unwrap().is_none());
    }
}
