//! Registries berth logs in to. The password or token is sealed (see [`crate::secrets`]) on the
//! way in; only [`secret`] opens it, for the registry client and the credentials sent with a
//! deploy. Listing and editing never read it.

use sqlx::{FromRow, SqlitePool};

/// Purpose the sealed secret is bound to.
const SECRET: &str = "registry secret";

/// A stored registry, without its secret.
#[derive(Debug, Clone, FromRow)]
pub struct Registry {
    pub id: i64,
    /// Normalised `host[:port]` (`docker.io` for Docker Hub).
    pub address: String,
    pub username: String,
    pub ca_pem: Option<String>,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A registry with the same address exists already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken;

pub async fn list(db: &SqlitePool) -> sqlx::Result<Vec<Registry>> {
    sqlx::query_as(
        "SELECT id, address, username, ca_pem, created_at, created_by, updated_at, updated_by
         FROM registries ORDER BY address",
    )
    .fetch_all(db)
    .await
}

pub async fn get(db: &SqlitePool, id: i64) -> sqlx::Result<Option<Registry>> {
    sqlx::query_as(
        "SELECT id, address, username, ca_pem, created_at, created_by, updated_at, updated_by
         FROM registries WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(db)
    .await
}

pub async fn by_address(db: &SqlitePool, address: &str) -> sqlx::Result<Option<Registry>> {
    sqlx::query_as(
        "SELECT id, address, username, ca_pem, created_at, created_by, updated_at, updated_by
         FROM registries WHERE address = ?",
    )
    .bind(address)
    .fetch_optional(db)
    .await
}

/// The opened password or token of registry `id`.
pub async fn secret(db: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    let sealed: Option<String> = sqlx::query_scalar("SELECT secret FROM registries WHERE id = ?")
        .bind(id)
        .fetch_optional(db)
        .await?;
    let Some(sealed) = sealed else {
        return Ok(None);
    };
    let sealer = super::sealer(db)?;
    sealer
        .open_text(SECRET, &sealed)
        .map(Some)
        .map_err(super::unsealing)
}

/// What a new registry or an edit stores. `secret: None` on an edit keeps the stored one.
pub struct Fields<'a> {
    pub address: &'a str,
    pub username: &'a str,
    pub secret: Option<&'a str>,
    pub ca_pem: Option<&'a str>,
    pub by: &'a str,
}

/// Stores a new registry and returns its id; the address is unique (checked by the insert).
pub async fn insert(db: &SqlitePool, f: &Fields<'_>) -> sqlx::Result<Result<i64, Taken>> {
    let sealer = super::sealer(db)?;
    let sealed = sealer.seal(SECRET, f.secret.unwrap_or_default().as_bytes());
    let now = super::now();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO registries (address, username, secret, ca_pem, created_at, created_by, updated_at, updated_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?5, ?6)
         ON CONFLICT(address) DO NOTHING RETURNING id",
    )
    .bind(f.address)
    .bind(f.username)
    .bind(sealed)
    .bind(f.ca_pem)
    .bind(now)
    .bind(f.by)
    .fetch_optional(db)
    .await?;
    Ok(id.ok_or(Taken))
}

/// Changes registry `id`; false when it does not exist. Another registry's address is refused.
pub async fn update(db: &SqlitePool, id: i64, f: &Fields<'_>) -> sqlx::Result<Result<bool, Taken>> {
    let sealed = match f.secret {
        Some(s) => Some(super::sealer(db)?.seal(SECRET, s.as_bytes())),
        None => None,
    };
    let res = sqlx::query(
        "UPDATE registries SET address = ?, username = ?, secret = COALESCE(?, secret), ca_pem = ?,
                updated_at = ?, updated_by = ?
         WHERE id = ?",
    )
    .bind(f.address)
    .bind(f.username)
    .bind(sealed)
    .bind(f.ca_pem)
    .bind(super::now())
    .bind(f.by)
    .bind(id)
    .execute(db)
    .await;
    match res {
        Ok(r) => Ok(Ok(r.rows_affected() > 0)),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(Err(Taken)),
        Err(e) => Err(e),
    }
}

/// Removes registry `id`; returns its address when it existed.
pub async fn delete(db: &SqlitePool, id: i64) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("DELETE FROM registries WHERE id = ? RETURNING address")
        .bind(id)
        .fetch_optional(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_secret_is_sealed_at_rest_and_kept_when_an_edit_leaves_it_blank() {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::open(dir.path(), None).await.expect("db");
        let f = Fields {
            address: "ghcr.io",
            username: "me",
            secret: Some("hunter2-token"),
            ca_pem: None,
            by: "admin",
        };
        let id = insert(&db, &f).await.expect("insert").expect("new");
        assert_eq!(insert(&db, &f).await.expect("insert"), Err(Taken));
        let stored: String = sqlx::query_scalar("SELECT secret FROM registries")
            .fetch_one(&db)
            .await
            .expect("row");
        assert!(!stored.contains("hunter2"), "{stored}");
        assert_eq!(
            secret(&db, id).await.expect("open").as_deref(),
            Some("hunter2-token")
        );
        let edit = Fields {
            username: "me2",
            secret: None,
            ..f
        };
        assert_eq!(update(&db, id, &edit).await.expect("update"), Ok(true));
        assert_eq!(
            secret(&db, id).await.expect("open").as_deref(),
            Some("hunter2-token")
        );
        let r = get(&db, id).await.expect("get").expect("row");
        assert_eq!(
            (r.username.as_str(), r.updated_by.as_str()),
            ("me2", "admin")
        );
        assert_eq!(
            delete(&db, id).await.expect("delete").as_deref(),
            Some("ghcr.io")
        );
        assert!(list(&db).await.expect("list").is_empty());
    }
}
