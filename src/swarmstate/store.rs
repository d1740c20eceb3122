//! berth's state kept as Docker configs: the swarm's replicated store (its Raft log) survives
//! the loss of any one manager.
//!
//! One version is several configs, all labelled `berth.state=<scope>`: chunks of the sealed
//! text (each under Docker's size limit for a config), then one manifest that names them. The
//! manifest's name holds the version (`berth-state-<scope hash>-<version>`) and swarm refuses
//! a second config with a taken name: creating the manifest is an atomic compare-and-set, so
//! an instance that did not see the newest version cannot write over it (it gets
//! [`WriteError::Taken`]). Configs are immutable; old versions are deleted (the newest
//! [`KEEP`] are kept).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use bollard::Docker;
use bollard::models::ConfigSpec;
use bollard::query_parameters::ListConfigsOptions;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::docker::DockerError;

pub const STATE_LABEL: &str = "berth.state";
pub const VERSION_LABEL: &str = "berth.state.version";
pub const PART_LABEL: &str = "berth.state.part";
/// Bytes of sealed text per chunk: swarm refuses a config of 1000 KiB or more; 512 KiB keeps
/// each Raft entry small.
pub const CHUNK: usize = 512 * 1024;
/// Versions kept in the swarm (the newest ones).
pub const KEEP: u64 = 3;
/// The sealed text of one version is at most this long (64 chunks): beyond it berth logs an
/// error and keeps the previous version rather than fill the managers' store.
pub const MAX_SEALED: usize = 64 * CHUNK;

/// What a manifest config holds (plain JSON: no secret in it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u64,
    /// The chunk configs' names, in order.
    pub chunks: Vec<String>,
    /// SHA-256 (hex) of the sealed text.
    pub sha256: String,
    /// SHA-256 (hex) of the dump before sealing: a writer compares it to skip unchanged state.
    pub content: String,
    pub schema: i64,
    pub written_at: i64,
    /// The node and task that wrote it.
    pub writer: String,
}

/// A short hash of the scope for config names (a scope is a service name: up to 63 chars).
fn scope_tag(scope: &str) -> String {
    hex::encode(&Sha256::digest(scope.as_bytes())[..6])
}

pub fn manifest_name(scope: &str, version: u64) -> String {
    format!("berth-state-{}-{version}", scope_tag(scope))
}

/// One config as listed.
struct Item {
    id: String,
    name: String,
    part: String,
    version: u64,
    data: Vec<u8>,
}

async fn list(docker: &Docker, scope: &str) -> Result<Vec<Item>, DockerError> {
    let filters = HashMap::from([("label".to_string(), vec![format!("{STATE_LABEL}={scope}")])]);
    let configs = docker
        .list_configs(Some(ListConfigsOptions {
            filters: Some(filters),
        }))
        .await?;
    Ok(configs
        .into_iter()
        .filter_map(|c| {
            let spec = c.spec?;
            let labels = spec.labels.unwrap_or_default();
            Some(Item {
                id: c.id?,
                name: spec.name?,
                part: labels.get(PART_LABEL)?.clone(),
                version: labels.get(VERSION_LABEL)?.parse().ok()?,
                data: B64.decode(spec.data.unwrap_or_default()).ok()?,
            })
        })
        .collect())
}

/// The newest complete version in the swarm (manifest and every chunk present and matching
/// its hash) with its sealed text, and the newest version number seen at all.
pub async fn newest(
    docker: &Docker,
    scope: &str,
) -> Result<(Option<(Manifest, String)>, u64), DockerError> {
    let items = list(docker, scope).await?;
    let mut manifests: Vec<Manifest> = items
        .iter()
        .filter(|i| i.part == "manifest")
        .filter_map(|i| serde_json::from_slice::<Manifest>(&i.data).ok())
        .filter(|m| m.version > 0)
        .collect();
    manifests.sort_by_key(|m| std::cmp::Reverse(m.version));
    let top = manifests.first().map(|m| m.version).unwrap_or(0);
    let chunks: HashMap<&str, &[u8]> = items
        .iter()
        .filter(|i| i.part == "chunk")
        .map(|i| (i.name.as_str(), i.data.as_slice()))
        .collect();
    for m in manifests {
        let mut text = Vec::new();
        let complete = m.chunks.iter().all(|n| match chunks.get(n.as_str()) {
            Some(d) => {
                text.extend_from_slice(d);
                true
            }
            None => false,
        });
        if complete
            && hex::encode(Sha256::digest(&text)) == m.sha256
            && let Ok(text) = String::from_utf8(text)
        {
            return Ok((Some((m, text)), top));
        }
        tracing::warn!(
            "berth state version {} in the swarm is incomplete or damaged: trying an older one",
            m.version
        );
    }
    Ok((None, top))
}

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("version {0} of berth's state is already in the swarm: another berth wrote it")]
    Taken(u64),
    #[error("the state is {0} bytes sealed, more than berth keeps in the swarm ({MAX_SEALED})")]
    TooLarge(usize),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

fn spec(scope: &str, name: String, version: u64, part: &str, data: &[u8]) -> ConfigSpec {
    ConfigSpec {
        name: Some(name),
        labels: Some(HashMap::from([
            (STATE_LABEL.to_string(), scope.to_string()),
            (VERSION_LABEL.to_string(), version.to_string()),
            (PART_LABEL.to_string(), part.to_string()),
        ])),
        data: Some(B64.encode(data)),
        ..Default::default()
    }
}

/// Writes `sealed` as `manifest.version` (chunks first, then the manifest). On
/// [`WriteError::Taken`] nothing of this write is left behind.
pub async fn write(
    docker: &Docker,
    scope: &str,
    mut manifest: Manifest,
    sealed: &str,
) -> Result<Manifest, WriteError> {
    if sealed.len() > MAX_SEALED {
        return Err(WriteError::TooLarge(sealed.len()));
    }
    let v = manifest.version;
    let nonce = hex::encode(rand::random::<[u8; 4]>());
    let mut ids = Vec::new();
    manifest.chunks.clear();
    manifest.sha256 = hex::encode(Sha256::digest(sealed.as_bytes()));
    let result = async {
        for (i, part) in sealed.as_bytes().chunks(CHUNK).enumerate() {
            let name = format!("{}-{nonce}-{i}", manifest_name(scope, v));
            let r = docker
                .create_config(spec(scope, name.clone(), v, "chunk", part))
                .await
                .map_err(DockerError::from)?;
            ids.push(r.id);
            manifest.chunks.push(name);
        }
        let body = serde_json::to_vec(&manifest)
            .map_err(|e| DockerError::Other(format!("cannot encode the manifest: {e}")))?;
        match docker
            .create_config(spec(scope, manifest_name(scope, v), v, "manifest", &body))
            .await
            .map_err(DockerError::from)
        {
            Ok(_) => Ok(()),
            Err(DockerError::Conflict(_)) => Err(WriteError::Taken(v)),
            Err(e) => Err(e.into()),
        }
    }
    .await;
    if result.is_err() {
        for id in ids {
            let _ = docker.delete_config(&id).await;
        }
    }
    result.map(|()| manifest)
}

/// Deletes the versions older than the newest [`KEEP`] (at or below `newest`), and chunks no
/// manifest names (a write that died half-way). Returns how many configs went.
pub async fn collect_garbage(
    docker: &Docker,
    scope: &str,
    newest: u64,
) -> Result<usize, DockerError> {
    let items = list(docker, scope).await?;
    let named: std::collections::HashSet<String> = items
        .iter()
        .filter(|i| i.part == "manifest")
        .filter_map(|i| serde_json::from_slice::<Manifest>(&i.data).ok())
        .flat_map(|m| m.chunks)
        .collect();
    let keep_from = newest.saturating_sub(KEEP - 1);
    let mut gone = 0;
    for i in items {
        let old = i.version < keep_from;
        // an unnamed chunk of the newest version may be a write still under way
        let orphan = i.part == "chunk" && !named.contains(&i.name) && i.version < newest;
        if old || orphan {
            match docker.delete_config(&i.id).await {
                Ok(()) => gone += 1,
                Err(e) => tracing::debug!("cannot delete config {}: {e}", i.name),
            }
        }
    }
    Ok(gone)
}

/// Every config of `scope` (names and sizes): for measurements and tests.
pub async fn footprint(docker: &Docker, scope: &str) -> Result<(usize, usize), DockerError> {
    let items = list(docker, scope).await?;
    Ok((items.len(), items.iter().map(|i| i.data.len()).sum()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_docker_names_whatever_the_scope() {
        let n = manifest_name(&"a_very-long.service_name".repeat(3), 12345);
        assert!(n.len() <= 64, "{n}");
        assert!(n.starts_with("berth-state-") && n.ends_with("-12345"));
        assert_ne!(manifest_name("a", 1), manifest_name("b", 1));
    }
}
