//! berth's durable state lives in the swarm, so berth survives the loss of its manager.
//!
//! When berth runs as a swarm service (or BERTH_SWARM_STATE names a scope), every change to
//! its durable tables (users, tokens, registries, stacks and their versions, webhook and git
//! settings, and whatever a later migration adds — see [`dump`]) is written, debounced, as a
//! new version of Docker configs ([`store`]): the dump as JSON, deflated, sealed with berth's
//! key (XChaCha20-Poly1305, [`crate::secrets`]; secrets inside stay sealed a second time),
//! chunked. The key itself is a Docker secret berth creates and mounts ([`key`]). At start,
//! a database that is missing or older than the swarm's newest version is restored from it;
//! the local database remembers the version it holds (SQLite's `user_version`).
//!
//! One writer at a time: versions are numbered and a version's manifest name can be created
//! once, so an instance that has not seen the newest version (an old task still believed
//! running) fails to write and stops instead of overwriting newer state.

pub mod cli;
pub mod dump;
pub mod key;
pub mod store;

use std::io::{Read, Write};
use std::path::Path;
use std::time::Duration;

use bollard::Docker;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;

use crate::config::ServeArgs;
use crate::secrets::Sealer;
use dump::Dump;
use store::{Manifest, WriteError};

/// Associated data of the sealed state: it opens as nothing else.
const PURPOSE: &str = "berth swarm state";
/// Changes closer together than this are written as one version.
pub const DEBOUNCE: Duration = Duration::from_secs(1);
/// A dump larger than this (JSON, before deflating) is not inflated back: a bound on what a
/// damaged or hostile config could make berth allocate.
const MAX_PLAIN: u64 = 256 * 1024 * 1024;

/// The dump sealed for the swarm, and the hash of its content (to skip unchanged state).
pub fn seal(sealer: &Sealer, dump: &Dump) -> anyhow::Result<(String, String)> {
    let json = serde_json::to_vec(dump)?;
    let content = hex::encode(Sha256::digest(&json));
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&json)?;
    let packed = z.finish()?;
    Ok((sealer.seal(PURPOSE, &packed), content))
}

/// Opens what [`seal`] made.
pub fn open(sealer: &Sealer, sealed: &str) -> anyhow::Result<Dump> {
    let packed = sealer.open(PURPOSE, sealed)?;
    let mut json = Vec::new();
    flate2::read::DeflateDecoder::new(packed.as_slice())
        .take(MAX_PLAIN)
        .read_to_end(&mut json)?;
    Ok(serde_json::from_slice(&json)?)
}

/// The version of the swarm state the local database holds (0: none).
pub async fn local_version(pool: &SqlitePool) -> sqlx::Result<u64> {
    let v: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(v).unwrap_or(0))
}

async fn set_local_version(pool: &SqlitePool, v: u64) -> sqlx::Result<()> {
    // a pragma takes no bound parameter; v is a number
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA user_version = {}",
        v.min(i32::MAX as u64)
    )))
    .execute(pool)
    .await
    .map(|_| ())
}

/// How this berth keeps its state, decided at start.
pub enum Start {
    /// In the local database only (not a swarm task, or BERTH_SWARM_STATE=off).
    Local,
    /// In the swarm as well: run [`SwarmState::run`] once the app is up.
    Swarm(SwarmState),
    /// The service was just changed to mount berth's key: this task is being replaced and
    /// must not serve.
    Replacing,
}

/// Decides where the state lives, mounts the key when needed (setting `args.secret_key_file`),
/// and restores the local database from the swarm when it is missing or older.
pub async fn start(args: &mut ServeArgs) -> anyhow::Result<Start> {
    if args.swarm_state == "off" {
        return Ok(Start::Local);
    }
    let docker = crate::docker::Engine::new(&args.docker_host).client()?;
    let me = crate::docker::selfstack::find(&docker).await?;
    let scope = match (&me, args.swarm_state.as_str()) {
        (None, "auto") => return Ok(Start::Local),
        (Some(me), "auto") => me.service_name.clone(),
        (_, named) => named.to_string(),
    };
    if let (Some(me), None) = (&me, &args.secret_key_file) {
        match key::prepare(&docker, me, &args.data_dir).await? {
            key::Key::Mounted(path) => args.secret_key_file = Some(path),
            key::Key::Replacing => return Ok(Start::Replacing),
        }
    }
    let writer = match &me {
        Some(me) => format!("task {}", me.task_id),
        None => format!("process {}", std::process::id()),
    };
    let pool = crate::db::open(&args.data_dir, args.secret_key_file.as_deref()).await?;
    let state = SwarmState::restore(docker, scope, writer, &pool).await;
    pool.close().await;
    Ok(Start::Swarm(state?))
}

/// The writer of one scope's state.
pub struct SwarmState {
    docker: Docker,
    scope: String,
    writer: String,
    /// The version this instance holds (restored or last written).
    base: u64,
    /// The content hash of that version (None: unknown, write at the first chance).
    content: Option<String>,
}

impl SwarmState {
    /// Reads the swarm's newest version and restores it into `pool` when the local database
    /// holds an older one.
    pub async fn restore(
        docker: Docker,
        scope: String,
        writer: String,
        pool: &SqlitePool,
    ) -> anyhow::Result<SwarmState> {
        let local = local_version(pool).await?;
        let (newest, top) = store::newest(&docker, &scope).await?;
        let mut me = SwarmState {
            docker,
            scope,
            writer,
            base: top,
            content: None,
        };
        let Some((manifest, sealed)) = newest else {
            tracing::info!("no berth state in the swarm for {} yet", me.scope);
            return Ok(me);
        };
        if local >= manifest.version {
            tracing::info!(
                "the local database holds berth state version {local} (the swarm's newest is {})",
                manifest.version
            );
            return Ok(me);
        }
        let sealer = crate::db::sealer(pool)?;
        let restored = match open(&sealer, &sealed) {
            Ok(d) => dump::restore(pool, &d).await.map_err(anyhow::Error::from),
            Err(e) => Err(e),
        };
        match restored {
            Ok(()) => {
                set_local_version(pool, manifest.version).await?;
                tracing::warn!(
                    "restored berth's state version {} from the swarm (written {} by {}); the local database held version {local}",
                    manifest.version,
                    manifest.written_at,
                    manifest.writer
                );
                me.content = Some(manifest.content);
                Ok(me)
            }
            // a state this berth cannot take (newer schema, another key): never written over
            Err(e) => anyhow::bail!(
                "cannot restore berth's state version {} from the swarm ({e:#}); berth stops rather than write over it",
                manifest.version
            ),
        }
    }

    /// Writes a new version after each burst of changes until `shutdown`, then once more if
    /// something changed. Stops berth (exit 75) when another instance wrote a newer version.
    pub async fn run(
        mut self,
        pool: SqlitePool,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) {
        let changes = crate::db::changes(&pool);
        tokio::pin!(shutdown);
        // the first pass writes a state the swarm does not hold yet (a new or upgraded install)
        changes.notify_one();
        let mut retry = false;
        loop {
            let stopping = tokio::select! {
                _ = changes.notified() => false,
                _ = tokio::time::sleep(Duration::from_secs(5)), if retry => false,
                _ = &mut shutdown => true,
            };
            if !stopping {
                tokio::time::sleep(DEBOUNCE).await;
            }
            match self.write_if_changed(&pool).await {
                Ok(_) => retry = false,
                Err(WriteError::Taken(v)) => {
                    tracing::error!(
                        "another berth wrote state version {v} to the swarm: this instance holds older state and stops (it reloads the newest state when started again)"
                    );
                    std::process::exit(75);
                }
                Err(e) => {
                    tracing::warn!("cannot write berth's state to the swarm: {e} (trying again)");
                    retry = true;
                }
            }
            if stopping {
                return;
            }
        }
    }

    /// Writes the next version when the durable tables changed since the last one. Returns
    /// the version written.
    pub async fn write_if_changed(&mut self, pool: &SqlitePool) -> Result<Option<u64>, WriteError> {
        let other = |e: String| WriteError::Docker(crate::docker::DockerError::Other(e));
        let d = dump::dump(pool).await.map_err(|e| other(e.to_string()))?;
        let sealer = crate::db::sealer(pool).map_err(|e| other(e.to_string()))?;
        let (sealed, content) = seal(&sealer, &d).map_err(|e| other(format!("{e:#}")))?;
        if self.content.as_deref() == Some(content.as_str()) {
            return Ok(None);
        }
        let (newest, top) = store::newest(&self.docker, &self.scope).await?;
        if top > self.base {
            return Err(WriteError::Taken(top));
        }
        // unchanged content under a version this instance did not write (a restart that
        // found its own last version): nothing to write
        if let Some((m, _)) = &newest
            && m.version == self.base
            && m.content == content
        {
            self.content = Some(content);
            return Ok(None);
        }
        let manifest = Manifest {
            version: self.base + 1,
            chunks: Vec::new(),
            sha256: String::new(),
            content: content.clone(),
            schema: d.schema,
            written_at: crate::db::now(),
            writer: self.writer.clone(),
        };
        let written = store::write(&self.docker, &self.scope, manifest, &sealed).await?;
        self.base = written.version;
        self.content = Some(content);
        if let Err(e) = set_local_version(pool, written.version).await {
            tracing::warn!("cannot record the state version locally: {e}");
        }
        tracing::debug!(
            "wrote berth state version {} ({} bytes sealed, {} chunk(s))",
            written.version,
            sealed.len(),
            written.chunks.len()
        );
        if let Err(e) = store::collect_garbage(&self.docker, &self.scope, written.version).await {
            tracing::debug!("cannot delete old state versions: {e}");
        }
        Ok(Some(written.version))
    }

    pub fn scope(&self) -> &str {
        &self.scope
    }
}

/// Whether a database file exists in `data_dir` (for messages).
pub fn has_local_database(data_dir: &Path) -> bool {
    data_dir.join("berth.db").exists()
}

#[cfg(test)]
mod tests;
