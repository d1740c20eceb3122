//! The key that seals berth's secrets and its state in the swarm, kept as a Docker secret.
//!
//! Why a secret berth creates rather than one the stack file declares: a declared secret must
//! exist before `docker stack deploy` (an extra step with a key on the user's disk) or comes
//! from a file beside the stack file; berth creating it keeps the stack file deployable as is
//! and the key never leaves the swarm's encrypted Raft store. At the first start as a swarm
//! task, berth creates `<service>_berth_state_key` (the value of an existing
//! /data/secret.key, so an upgraded install keeps opening its database, else 32 random bytes)
//! and adds it to its own service; swarm replaces the task with one that has
//! /run/secrets/berth_state_key, and every later task on any manager gets the same file.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;

use crate::docker::selfstack::{self, Ensured, SelfService, Wanted};

/// The file name of the key in /run/secrets.
pub const KEY_TARGET: &str = "berth_state_key";

/// The secrets berth's own service mounts, mounted together at the first start (one service
/// update, one task replacement). Another part of berth that needs a secret of its own in
/// berth's container adds it here.
pub fn own_secrets(data_dir: &Path) -> Vec<Wanted> {
    let local = data_dir.join(crate::secrets::KEY_FILE_NAME);
    vec![Wanted {
        target: KEY_TARGET.to_string(),
        value: Arc::new(move || key_value(&local)),
    }]
}

/// The key an install already has (so its database still opens), else a new one.
fn key_value(local: &Path) -> Vec<u8> {
    if let Ok(text) = std::fs::read_to_string(local)
        && crate::secrets::is_key(&text)
    {
        return text.trim().as_bytes().to_vec();
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    B64.encode(key).into_bytes()
}

/// What the start found.
pub enum Key {
    /// The mounted key file.
    Mounted(std::path::PathBuf),
    /// The service was updated to mount it: this task is about to be replaced.
    Replacing,
}

/// Uses the key secret when it is mounted; otherwise creates and mounts it.
pub async fn prepare(
    docker: &bollard::Docker,
    me: &SelfService,
    data_dir: &Path,
) -> anyhow::Result<Key> {
    let wanted = own_secrets(data_dir);
    if wanted.iter().all(|w| w.path().exists()) {
        return Ok(Key::Mounted(wanted[0].path()));
    }
    match selfstack::ensure_mounted(docker, &me.service_id, &me.service_name, &wanted).await? {
        Ensured::Updated(targets) => {
            tracing::warn!(
                "mounted the secret(s) {} into the service {}: swarm replaces this task with one that has them",
                targets.join(", "),
                me.service_name
            );
            Ok(Key::Replacing)
        }
        Ensured::Mounted => anyhow::bail!(
            "the service {} mounts {} but this task has no {}: was the secret removed?",
            me.service_name,
            KEY_TARGET,
            wanted[0].path().display()
        ),
    }
}
