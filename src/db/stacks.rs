//! Stack sources and deploy history. A version's env values and uploaded files are sealed
//! (see [`crate::secrets`]) on the way in and opened on the way out: callers see plain text.

use sqlx::{FromRow, SqlitePool};

/// Purposes the sealed columns are bound to.
const ENV: &str = "stack env";
const FILES: &str = "stack files";

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
    /// The image each service was deployed with (JSON {"service": "image@digest"}), once
    /// applied (see [`images_of`]).
    #[sqlx(default)]
    pub images: Option<String>,
    /// The first compose file's name (`None`: the editor's `docker-compose.yml`).
    #[sqlx(default)]
    pub compose_name: Option<String>,
    /// The compose files merged on top of `compose`, in order (a git source's `-c a -c b`):
    /// JSON `[{"name", "text"}]`; empty or `[]` for a single file.
    #[sqlx(default)]
    pub compose_more: String,
}

/// One compose file merged on top of a version's first, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MoreFile {
    pub name: String,
    pub text: String,
}

/// The stored form of the files merged on top of the first.
pub fn encode_more(files: &[MoreFile]) -> String {
    serde_json::to_string(files).unwrap_or_else(|_| "[]".into())
}

impl Version {
    /// The compose files merged on top of `compose`, in order (none for a single file;
    /// anything unreadable counts as none).
    pub fn more_files(&self) -> Vec<MoreFile> {
        if self.compose_more.is_empty() {
            return Vec::new();
        }
        serde_json::from_str(&self.compose_more).unwrap_or_default()
    }

    /// The recorded images by service name (empty when none were recorded).
    pub fn images_of(&self) -> std::collections::BTreeMap<String, String> {
        images_of(self.images.as_deref())
    }
}

/// Parses a recorded images column; anything unreadable counts as nothing recorded.
pub fn images_of(json: Option<&str>) -> std::collections::BTreeMap<String, String> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// Records the image every service of a version was deployed with.
pub async fn set_images(
    db: &SqlitePool,
    stack: &str,
    version: i64,
    images: &std::collections::BTreeMap<String, String>,
) -> sqlx::Result<()> {
    let json = serde_json::to_string(images).unwrap_or_else(|_| "{}".into());
    sqlx::query("UPDATE stack_versions SET images = ? WHERE stack = ? AND version = ?")
        .bind(json)
        .bind(stack)
        .bind(version)
        .execute(db)
        .await?;
    Ok(())
}

/// A row as stored: `sealed` says whether env and files hold sealed text.
#[derive(FromRow)]
struct Stored {
    #[sqlx(flatten)]
    v: Version,
    sealed: bool,
}

impl Stored {
    /// The version with its env (and, when read, its files) opened.
    fn open(self, db: &SqlitePool, files_read: bool) -> sqlx::Result<Version> {
        let mut v = self.v;
        if self.sealed {
            let s = super::sealer(db)?;
            v.env = s.open_text(ENV, &v.env).map_err(super::unsealing)?;
            if files_read {
                v.files = s.open_text(FILES, &v.files).map_err(super::unsealing)?;
            }
        }
        Ok(v)
    }
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
    /// The version the change was made from: nothing is stored when a newer one exists.
    pub base: Option<i64>,
}

/// A newer version exists than the one a change was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stale {
    pub latest: i64,
}

/// Stores a new version (outcome `running`) and returns its number (1, 2, …), unless a
/// version newer than `base` exists. One statement: numbering and the check hold even when
/// deploys of the stack arrive at the same moment (SQLite takes the write lock before reading).
pub async fn insert(db: &SqlitePool, v: &NewVersion<'_>) -> sqlx::Result<Result<i64, Stale>> {
    insert_files(db, v, None, &[]).await
}

/// [`insert`] of a version of several compose files: the first's name and the files merged
/// on top of it, in order.
pub async fn insert_files(
    db: &SqlitePool,
    v: &NewVersion<'_>,
    compose_name: Option<&str>,
    more: &[MoreFile],
) -> sqlx::Result<Result<i64, Stale>> {
    let sealer = super::sealer(db)?;
    let env = sealer.seal(ENV, v.env.as_bytes());
    let files = sealer.seal(FILES, v.files.as_bytes());
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO stack_versions (stack, version, compose, env, files, sealed, prune, created_at, username, outcome, redeploy_of,
                                     compose_name, compose_more)
         SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4, 1, ?5, ?6, ?7, 'running', ?8, ?10, ?11
         FROM stack_versions WHERE stack = ?1
         HAVING ?9 IS NULL OR COALESCE(MAX(version), 0) <= ?9
         RETURNING version",
    )
    .bind(v.stack)
    .bind(v.compose)
    .bind(env)
    .bind(files)
    .bind(v.prune)
    .bind(super::now())
    .bind(v.username)
    .bind(v.redeploy_of)
    .bind(v.base)
    .bind(compose_name)
    .bind(encode_more(more))
    .fetch_optional(db)
    .await?;
    if let Some(version) = inserted {
        return Ok(Ok(version));
    }
    let latest: i64 =
        sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM stack_versions WHERE stack = ?")
            .bind(v.stack)
            .fetch_one(db)
            .await?;
    Ok(Err(Stale { latest }))
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
    let row: Option<Stored> =
        sqlx::query_as("SELECT * FROM stack_versions WHERE stack = ? AND version = ?")
            .bind(stack)
            .bind(version)
            .fetch_optional(db)
            .await?;
    row.map(|r| r.open(db, true)).transpose()
}

pub async fn latest(db: &SqlitePool, stack: &str) -> sqlx::Result<Option<Version>> {
    let row: Option<Stored> = sqlx::query_as(
        "SELECT * FROM stack_versions WHERE stack = ? ORDER BY version DESC LIMIT 1",
    )
    .bind(stack)
    .fetch_optional(db)
    .await?;
    row.map(|r| r.open(db, true)).transpose()
}

/// Every version of a stack, newest first (without the event logs).
pub async fn history(db: &SqlitePool, stack: &str) -> sqlx::Result<Vec<Version>> {
    let rows: Vec<Stored> = sqlx::query_as(
        "SELECT id, stack, version, compose, env, '{}' AS files, sealed, prune, created_at, username, outcome,
                summary, NULL AS events, finished_at, redeploy_of, images, compose_name, compose_more
         FROM stack_versions WHERE stack = ? ORDER BY version DESC",
    )
    .bind(stack)
    .fetch_all(db)
    .await?;
    rows.into_iter().map(|r| r.open(db, false)).collect()
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

/// Seals the env and files of versions stored in the clear (written before secrets were
/// sealed); returns how many. Afterwards the write-ahead log is checkpointed so the clear text
/// leaves the disk (`secure_delete` zeroes what the updates free).
pub async fn seal_plaintext(db: &SqlitePool) -> sqlx::Result<u64> {
    let sealer = super::sealer(db)?;
    let mut done = 0u64;
    loop {
        // a few rows at a time: uploaded files can be megabytes each
        let rows: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, env, files FROM stack_versions WHERE sealed = 0 ORDER BY id LIMIT 16",
        )
        .fetch_all(db)
        .await?;
        if rows.is_empty() {
            break;
        }
        let mut tx = db.begin().await?;
        for (id, env, files) in rows {
            sqlx::query(
                "UPDATE stack_versions SET env = ?, files = ?, sealed = 1 WHERE id = ? AND sealed = 0",
            )
            .bind(sealer.seal(ENV, env.as_bytes()))
            .bind(sealer.seal(FILES, files.as_bytes()))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            done += 1;
        }
        tx.commit().await?;
    }
    if done > 0 {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(db)
            .await?;
    }
    Ok(done)
}

/// How many deploys berth's history holds, by outcome (`ok`, `failed`, …), for /metrics.
pub async fn count_by_outcome(db: &SqlitePool) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as("SELECT outcome, COUNT(*) FROM stack_versions GROUP BY outcome ORDER BY outcome")
        .fetch_all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version<'a>(stack: &'a str, base: Option<i64>) -> NewVersion<'a> {
        NewVersion {
            stack,
            compose: "services: {}\n",
            env: "A=1",
            files: "{}",
            prune: false,
            username: "admin",
            redeploy_of: None,
            base,
        }
    }

    #[tokio::test]
    async fn versions_submitted_at_once_get_distinct_numbers_and_a_stale_base_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open(dir.path(), None).await.unwrap();
        let inserts = (0..8).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { insert(&db, &version("shop", Some(0))).await })
        });
        let mut got = Vec::new();
        for i in inserts {
            got.push(i.await.unwrap().unwrap());
        }
        // every one started from "no version": the first is stored, the others see it
        assert_eq!(got.iter().filter(|r| r.is_ok()).count(), 1, "{got:?}");
        assert!(got.contains(&Err(Stale { latest: 1 })));
        let inserts = (0..8).map(|_| {
            let db = db.clone();
            tokio::spawn(async move { insert(&db, &version("shop", None)).await })
        });
        let mut numbers = Vec::new();
        for i in inserts {
            numbers.push(i.await.unwrap().unwrap().unwrap());
        }
        numbers.sort();
        assert_eq!(numbers, (2..=9).collect::<Vec<_>>());
        assert_eq!(
            insert(&db, &version("shop", Some(3))).await.unwrap(),
            Err(Stale { latest: 9 })
        );
        assert_eq!(latest(&db, "shop").await.unwrap().unwrap().version, 9);
        assert_eq!(
            insert(&db, &version("shop", Some(9))).await.unwrap(),
            Ok(10)
        );
        assert_eq!(insert(&db, &version("blog", Some(0))).await.unwrap(), Ok(1));
    }
}
