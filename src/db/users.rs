//! Local accounts.

use sqlx::{FromRow, SqlitePool};

use crate::auth::roles::Role;

#[derive(Debug, Clone, FromRow)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: i64,
    pub password_changed_at: i64,
}

pub async fn count(db: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db)
        .await
}

pub async fn any_admin(db: &SqlitePool) -> sqlx::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS(SELECT 1 FROM users WHERE is_admin = 1)")
        .fetch_one(db)
        .await
}

pub async fn by_name(db: &SqlitePool, username: &str) -> sqlx::Result<Option<User>> {
    sqlx::query_as("SELECT * FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(db)
        .await
}

pub async fn by_id(db: &SqlitePool, id: i64) -> sqlx::Result<Option<User>> {
    sqlx::query_as("SELECT * FROM users WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await
}

pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<User>> {
    sqlx::query_as("SELECT * FROM users ORDER BY username")
        .fetch_all(db)
        .await
}

/// Creates a user; `Ok(None)` when the name is taken.
pub async fn create(
    db: &SqlitePool,
    username: &str,
    password_hash: &str,
    is_admin: bool,
) -> sqlx::Result<Option<i64>> {
    let role = if is_admin { Role::Admin } else { Role::Viewer };
    create_with_role(db, username, password_hash, role).await
}

/// Creates an account with `role`; `None` when the name is taken.
pub async fn create_with_role(
    db: &SqlitePool,
    username: &str,
    password_hash: &str,
    role: Role,
) -> sqlx::Result<Option<i64>> {
    let now = super::now();
    let res = sqlx::query(
        "INSERT INTO users (username, password_hash, is_admin, role, created_at, password_changed_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(username) DO NOTHING",
    )
    .bind(username)
    .bind(password_hash)
    .bind(role == Role::Admin)
    .bind(role.as_str())
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok((res.rows_affected() == 1).then(|| res.last_insert_rowid()))
}

/// Creates the first admin only if no admin exists yet (atomic: two racing setups cannot both win).
pub async fn create_first_admin(
    db: &SqlitePool,
    username: &str,
    password_hash: &str,
) -> sqlx::Result<Option<i64>> {
    let now = super::now();
    let res = sqlx::query(
        "INSERT INTO users (username, password_hash, is_admin, created_at, password_changed_at)
         SELECT ?, ?, 1, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE is_admin = 1)",
    )
    .bind(username)
    .bind(password_hash)
    .bind(now)
    .bind(now)
    .execute(db)
    .await?;
    Ok((res.rows_affected() == 1).then(|| res.last_insert_rowid()))
}

pub async fn set_password(db: &SqlitePool, id: i64, password_hash: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?")
        .bind(password_hash)
        .bind(super::now())
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes an account; false when there is none, or when it is the last admin (checked in the
/// same statement).
pub async fn delete(db: &SqlitePool, id: i64) -> sqlx::Result<bool> {
    let res = sqlx::query(
        "DELETE FROM users WHERE id = ?
         AND (role <> 'admin' OR (SELECT COUNT(*) FROM users WHERE role = 'admin') > 1)",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn admin_count(db: &SqlitePool) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin = 1")
        .fetch_one(db)
        .await
}
