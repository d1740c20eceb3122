//! Git sources of stacks and the commit each of their versions came from. The token, the env
//! values and the webhook secret are sealed on the way in and opened on the way out.

use std::collections::HashMap;

use sqlx::{FromRow, SqlitePool};

use crate::git::{Commit, GitRef, Repo};

const TOKEN: &str = "git token";
const ENV: &str = "git env";
const HOOK: &str = "git hook secret";

/// A stack's git source, opened.
#[derive(Debug, Clone)]
pub struct Source {
    pub stack: String,
    pub repo: Repo,
    pub token: Option<String>,
    pub env: String,
    pub prune: bool,
    pub interval_secs: Option<i64>,
    pub paused: bool,
    pub hook_secret: String,
    pub created_at: i64,
    pub username: Option<String>,
    pub last: Option<LastSync>,
    /// the newest commit fetched
    pub commit: Option<Commit>,
}

/// How the last sync ended.
#[derive(Debug, Clone)]
pub struct LastSync {
    pub at: i64,
    pub result: String,
    pub message: String,
}

#[derive(FromRow)]
struct Row {
    stack: String,
    url: String,
    ref_kind: String,
    ref_name: String,
    compose_paths: String,
    env_path: Option<String>,
    token: Option<String>,
    env: String,
    prune: bool,
    interval_secs: Option<i64>,
    paused: bool,
    hook_secret: String,
    created_at: i64,
    username: Option<String>,
    last_sync_at: Option<i64>,
    last_result: Option<String>,
    last_message: Option<String>,
    last_sha: Option<String>,
    last_subject: Option<String>,
    last_author: Option<String>,
    ca_pem: Option<String>,
}

impl Row {
    fn open(self, db: &SqlitePool) -> sqlx::Result<Source> {
        let s = super::sealer(db)?;
        let git_ref = GitRef::parse(&self.ref_kind, &self.ref_name)
            .map_err(|e| sqlx::Error::Decode(e.into()))?;
        Ok(Source {
            repo: Repo {
                url: self.url,
                git_ref,
                compose_paths: self.compose_paths.lines().map(str::to_string).collect(),
                env_path: self.env_path,
                ca_pem: self.ca_pem,
            },
            token: self
                .token
                .map(|t| s.open_text(TOKEN, &t))
                .transpose()
                .map_err(super::unsealing)?,
            env: s.open_text(ENV, &self.env).map_err(super::unsealing)?,
            hook_secret: s
                .open_text(HOOK, &self.hook_secret)
                .map_err(super::unsealing)?,
            prune: self.prune,
            interval_secs: self.interval_secs,
            paused: self.paused,
            created_at: self.created_at,
            username: self.username,
            last: self.last_sync_at.map(|at| LastSync {
                at,
                result: self.last_result.unwrap_or_default(),
                message: self.last_message.unwrap_or_default(),
            }),
            commit: self.last_sha.map(|sha| Commit {
                sha,
                message: self.last_subject.unwrap_or_default(),
                author: self.last_author.unwrap_or_default(),
            }),
            stack: self.stack,
        })
    }
}

/// What a new git source stores.
pub struct NewSource<'a> {
    pub stack: &'a str,
    pub repo: &'a Repo,
    pub token: Option<&'a str>,
    pub env: &'a str,
    pub prune: bool,
    pub interval_secs: Option<i64>,
    pub hook_secret: &'a str,
    pub username: &'a str,
}

/// The webhook's lookup key: the SHA-256 of its secret, hex.
pub fn hook_id(secret: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores a source; `false` when the stack has one already (nothing changed).
pub async fn insert(db: &SqlitePool, s: &NewSource<'_>) -> sqlx::Result<bool> {
    let sealer = super::sealer(db)?;
    let res = sqlx::query(
        "INSERT INTO git_sources (stack, url, ref_kind, ref_name, compose_paths, env_path, token, env,
                                  prune, interval_secs, hook_id, hook_secret, created_at, username,
                                  ca_pem)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (stack) DO NOTHING",
    )
    .bind(s.stack)
    .bind(&s.repo.url)
    .bind(s.repo.git_ref.kind())
    .bind(s.repo.git_ref.name())
    .bind(s.repo.compose_paths.join("\n"))
    .bind(s.repo.env_path.as_deref())
    .bind(s.token.map(|t| sealer.seal(TOKEN, t.as_bytes())))
    .bind(sealer.seal(ENV, s.env.as_bytes()))
    .bind(s.prune)
    .bind(s.interval_secs)
    .bind(hook_id(s.hook_secret))
    .bind(sealer.seal(HOOK, s.hook_secret.as_bytes()))
    .bind(super::now())
    .bind(s.username)
    .bind(s.repo.ca_pem.as_deref())
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// What an edit does with the stored access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenChange<'a> {
    Keep,
    Set(&'a str),
    Forget,
}

/// A changed source: every field but the stack, the webhook and the history.
pub struct Changed<'a> {
    pub repo: &'a Repo,
    pub token: TokenChange<'a>,
    pub env: &'a str,
    pub prune: bool,
    pub interval_secs: Option<i64>,
}

/// Stores a changed source and forgets the commit last fetched (the next sync deploys the
/// ref's commit with the new fields even when it is the same); `false` when the stack has no
/// git source.
pub async fn update(db: &SqlitePool, stack: &str, c: &Changed<'_>) -> sqlx::Result<bool> {
    let sealer = super::sealer(db)?;
    let (set_token, token) = match c.token {
        TokenChange::Keep => (false, None),
        TokenChange::Set(t) => (true, Some(sealer.seal(TOKEN, t.as_bytes()))),
        TokenChange::Forget => (true, None),
    };
    let res = sqlx::query(
        "UPDATE git_sources SET url = ?, ref_kind = ?, ref_name = ?, compose_paths = ?, env_path = ?,
                token = CASE WHEN ? THEN ? ELSE token END, env = ?, prune = ?, interval_secs = ?,
                ca_pem = ?, last_sha = NULL
         WHERE stack = ?",
    )
    .bind(&c.repo.url)
    .bind(c.repo.git_ref.kind())
    .bind(c.repo.git_ref.name())
    .bind(c.repo.compose_paths.join("\n"))
    .bind(c.repo.env_path.as_deref())
    .bind(set_token)
    .bind(token)
    .bind(sealer.seal(ENV, c.env.as_bytes()))
    .bind(c.prune)
    .bind(c.interval_secs)
    .bind(c.repo.ca_pem.as_deref())
    .bind(stack)
    .execute(db)
    .await?;
    Ok(res.rows_affected() == 1)
}

pub async fn get(db: &SqlitePool, stack: &str) -> sqlx::Result<Option<Source>> {
    let row: Option<Row> = sqlx::query_as("SELECT * FROM git_sources WHERE stack = ?")
        .bind(stack)
        .fetch_optional(db)
        .await?;
    row.map(|r| r.open(db)).transpose()
}

/// The source whose webhook secret is `secret`.
pub async fn by_hook(db: &SqlitePool, secret: &str) -> sqlx::Result<Option<Source>> {
    let row: Option<Row> = sqlx::query_as("SELECT * FROM git_sources WHERE hook_id = ?")
        .bind(hook_id(secret))
        .fetch_optional(db)
        .await?;
    row.map(|r| r.open(db)).transpose()
}

/// Stacks whose sync is due at `now` (not paused, interval passed since the last sync).
pub async fn due(db: &SqlitePool, now: i64, default_interval: i64) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "SELECT stack FROM git_sources
         WHERE paused = 0 AND (last_sync_at IS NULL OR last_sync_at + COALESCE(interval_secs, ?) <= ?)
         ORDER BY stack",
    )
    .bind(default_interval)
    .bind(now)
    .fetch_all(db)
    .await
}

/// Records how a sync ended, and the commit it fetched (if it fetched one).
pub async fn record_sync(
    db: &SqlitePool,
    stack: &str,
    result: &str,
    message: &str,
    commit: Option<&Commit>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE git_sources SET last_sync_at = ?, last_result = ?, last_message = ?,
                last_sha = COALESCE(?, last_sha), last_subject = COALESCE(?, last_subject),
                last_author = COALESCE(?, last_author)
         WHERE stack = ?",
    )
    .bind(super::now())
    .bind(result)
    .bind(message)
    .bind(commit.map(|c| c.sha.as_str()))
    .bind(commit.map(|c| c.message.as_str()))
    .bind(commit.map(|c| c.author.as_str()))
    .bind(stack)
    .execute(db)
    .await?;
    Ok(())
}

/// Pauses or resumes a stack's automatic syncs; `false` when it has no git source.
pub async fn set_paused(db: &SqlitePool, stack: &str, paused: bool) -> sqlx::Result<bool> {
    let res = sqlx::query("UPDATE git_sources SET paused = ? WHERE stack = ?")
        .bind(paused)
        .bind(stack)
        .execute(db)
        .await?;
    Ok(res.rows_affected() == 1)
}

/// Forgets a stack's git source (the stack was removed).
pub async fn delete(db: &SqlitePool, stack: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM git_sources WHERE stack = ?")
        .bind(stack)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the commit a version was deployed from.
pub async fn record_commit(
    db: &SqlitePool,
    stack: &str,
    version: i64,
    commit: &Commit,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT OR REPLACE INTO stack_version_commits (stack, version, sha, subject, author)
         VALUES (?, ?, ?, ?, ?)",
    )
    .bind(stack)
    .bind(version)
    .bind(&commit.sha)
    .bind(&commit.message)
    .bind(&commit.author)
    .execute(db)
    .await?;
    Ok(())
}

/// The commits of a stack's versions, by version.
pub async fn commits(db: &SqlitePool, stack: &str) -> sqlx::Result<HashMap<i64, Commit>> {
    let rows: Vec<(i64, String, String, String)> = sqlx::query_as(
        "SELECT version, sha, subject, author FROM stack_version_commits WHERE stack = ?",
    )
    .bind(stack)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(v, sha, message, author)| {
            (
                v,
                Commit {
                    sha,
                    message,
                    author,
                },
            )
        })
        .collect())
}
