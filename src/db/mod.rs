//! SQLite storage: local accounts, sessions, the audit log and (later) stack sources.
//!
//! All SQL lives in this module; callers get typed rows back. Secrets in it (stack env values,
//! uploaded files) are sealed here with [`crate::secrets`], so callers handle plain values only.

pub mod alerts;
pub mod api_tokens;
pub mod audit;
pub mod devices;
pub mod git;
pub mod oidc;
pub mod registries;
pub mod sessions;
pub mod stacks;
pub mod teams;
pub mod totp;
pub mod users;
pub mod webhooks;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, LazyLock, RwLock};
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::secrets::{self, Sealer};

/// Opens (creating if needed) `berth.db` in `data_dir`, brings its schema up to date, loads
/// the secret key (`key_file`, else `secret.key` in `data_dir`, created on first start) and
/// seals any secret still stored in the clear.
pub async fn open(data_dir: &Path, key_file: Option<&Path>) -> anyhow::Result<SqlitePool> {
    std::fs::create_dir_all(data_dir)
        .map_err(|e| anyhow::anyhow!("cannot create data directory {}: {e}", data_dir.display()))?;
    let path = data_dir.join("berth.db");
    let opts = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .map_err(|e| anyhow::anyhow!("bad database path {}: {e}", path.display()))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // deleted and overwritten content is zeroed, not left in free pages
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(5));
    let changed = changes_of(opts.get_filename());
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .after_connect(move |conn, _| {
            let changed = changed.clone();
            Box::pin(async move {
                conn.lock_handle().await?.set_update_hook(move |row| {
                    if counts_as_change(row.table) {
                        changed.notify_one();
                    }
                });
                Ok(())
            })
        })
        .connect_with(opts)
        .await
        .map_err(|e| anyhow::anyhow!("cannot open database {}: {e}", path.display()))?;
    sqlx::migrate!("./migrations")
        .run(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("cannot migrate database {}: {e}", path.display()))?;
    let sealer = open_sealer(&pool, data_dir, key_file).await?;
    SEALERS
        .write()
        .map_err(|_| anyhow::anyhow!("secret key registry poisoned"))?
        .insert(db_file(&pool), Arc::new(sealer));
    let sealed = stacks::seal_plaintext(&pool).await?;
    if sealed > 0 {
        tracing::info!("sealed the secrets of {sealed} stack version(s) stored in the clear");
    }
    Ok(pool)
}

const KEY_CHECK: &str = "berth key check";

/// Loads the key and checks it is the one that sealed this database (a value sealed at the
/// first start with a key is kept for that).
async fn open_sealer(
    pool: &SqlitePool,
    data_dir: &Path,
    key_file: Option<&Path>,
) -> anyhow::Result<Sealer> {
    let check: Option<String> =
        sqlx::query_scalar("SELECT sealed FROM secret_key_check WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    let sealer = secrets::load_key(key_file, data_dir, check.is_none())?;
    match check {
        Some(c) => {
            sealer.open(KEY_CHECK, &c).map_err(|_| {
                anyhow::anyhow!(
                    "the secret key {} is not the key this database's secrets were sealed with: \
                     give the original key file (BERTH_SECRET_KEY_FILE, or secret.key in the data directory)",
                    sealer.source.display()
                )
            })?;
        }
        None => {
            sqlx::query("INSERT INTO secret_key_check (id, sealed) VALUES (1, ?)")
                .bind(sealer.seal(KEY_CHECK, b"ok"))
                .execute(pool)
                .await?;
        }
    }
    Ok(sealer)
}

/// The key of each open database, by file. A pool carries no data of its own and every caller
/// passes a pool, so the sealing stays inside this module without changing those callers.
static SEALERS: LazyLock<RwLock<HashMap<PathBuf, Arc<Sealer>>>> = LazyLock::new(Default::default);

fn db_file(pool: &SqlitePool) -> PathBuf {
    pool.connect_options().get_filename().to_path_buf()
}

/// Woken when a row of berth's durable state changes (see [`crate::swarmstate`]), per file.
static CHANGES: LazyLock<RwLock<HashMap<PathBuf, Arc<tokio::sync::Notify>>>> =
    LazyLock::new(Default::default);

fn changes_of(file: &Path) -> Arc<tokio::sync::Notify> {
    let mut map = CHANGES.write().unwrap_or_else(|p| p.into_inner());
    map.entry(file.to_path_buf()).or_default().clone()
}

/// Notified after rows of the durable state of the database behind `pool` change (once per
/// burst: a permit waits for the next `notified()`).
pub fn changes(pool: &SqlitePool) -> Arc<tokio::sync::Notify> {
    changes_of(&db_file(pool))
}

fn counts_as_change(table: &str) -> bool {
    use crate::swarmstate::dump::{QUIET, SKIPPED};
    !SKIPPED.contains(&table) && !QUIET.contains(&table)
}

/// The key of the database behind `pool`.
pub(crate) fn sealer(pool: &SqlitePool) -> sqlx::Result<Arc<Sealer>> {
    SEALERS
        .read()
        .ok()
        .and_then(|m| m.get(&db_file(pool)).cloned())
        .ok_or_else(|| {
            sqlx::Error::Configuration("no secret key was loaded for this database".into())
        })
}

/// A secret that does not open becomes a decode error with the reason (never garbage).
pub(crate) fn unsealing(e: secrets::SecretError) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

/// Current time in unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Current time in unix milliseconds.
pub fn now_ms() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
