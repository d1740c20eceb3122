//! Rotating a secret or config: Swarm objects cannot be edited, so a new value means a new
//! object (`NAME.vN`, the next free version) and an update of every service that mounts the
//! old one (same target file, uid, gid and mode: only the id and name of the reference
//! change), then the old object's removal once every updated service has rolled out.
//!
//! The new object keeps the old one's labels (a stack's namespace label too, so `stack rm`
//! still removes it) and its driver, and records the old name in [`ROTATED_FROM_LABEL`].

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::ServiceUpdateStatusStateEnum;
use tokio::time::Instant;

use super::{Detail, Kind, MAX_NAME, NewObject, ROTATED_FROM_LABEL};
use crate::docker::DockerError;
use crate::docker::auth::RegistryAuth;
use crate::docker::services::ops::{self, Changed};
use crate::docker::services::{ServiceSummary, Uses};

/// The name before any `.vN` suffix.
pub fn base_name(name: &str) -> &str {
    match name.rsplit_once(".v") {
        Some((base, n))
            if !base.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => name,
    }
}

/// The next version's name: `BASE.vN` with N one above every version `existing` holds (the
/// bare base counts as version 1), the base shortened to keep Docker's 64-character limit.
pub fn next_name<'a>(current: &str, existing: impl IntoIterator<Item = &'a str>) -> String {
    let base = base_name(current);
    let mut top = 1u64;
    for n in existing {
        if n == base {
            continue;
        }
        if let Some(v) = n
            .strip_prefix(base)
            .and_then(|r| r.strip_prefix(".v"))
            .and_then(|v| v.parse::<u64>().ok())
        {
            top = top.max(v);
        }
    }
    let suffix = format!(".v{}", top + 1);
    let mut b = base.to_string();
    while b.len() + suffix.len() > MAX_NAME || b.ends_with(|c: char| !c.is_ascii_alphanumeric()) {
        b.pop();
    }
    format!("{b}{suffix}")
}

/// The rotation done so far: the new object, and each using service updated or not.
#[derive(Debug, Clone, Default)]
pub struct Rotated {
    pub new_id: String,
    pub new_name: String,
    pub updated: Vec<Changed>,
    /// services that could not be moved, with why
    pub failed: Vec<(String, String)>,
}

/// The services using the object with `id` right now (one list call: the model may lag a
/// change made a moment ago, and a missed user would keep the old object alive).
pub async fn current_users(
    docker: &Docker,
    kind: Kind,
    id: &str,
) -> Result<Vec<(String, String)>, DockerError> {
    let list = docker.list_services(None).await?;
    Ok(list
        .iter()
        .filter_map(|s| {
            let uses = Uses::from_spec(s.spec.as_ref());
            let refs = match kind {
                Kind::Secret => uses.secrets,
                Kind::Config => uses.configs,
            };
            refs.iter().any(|r| r == id).then(|| {
                let s = ServiceSummary::from_service(s);
                (s.id, s.name)
            })
        })
        .collect())
}

/// Creates the new version with `data` and moves every service using `old` to it. The old
/// object stays: [`settle`] removes it once the services have rolled out.
pub async fn apply(
    docker: &Docker,
    auth: &RegistryAuth,
    kind: Kind,
    old: &Detail,
    new_name: &str,
    data: &[u8],
) -> Result<Rotated, DockerError> {
    let mut labels: HashMap<String, String> = old.labels.clone().into_iter().collect();
    labels.insert(ROTATED_FROM_LABEL.to_string(), old.name.clone());
    let driver = (!old.driver.is_empty()).then(|| bollard::models::Driver {
        name: old.driver.clone(),
        options: None,
    });
    let (secret_driver, templating) = match kind {
        Kind::Secret => (driver, None),
        Kind::Config => (None, driver),
    };
    let users = current_users(docker, kind, &old.id).await?;
    let new_id = super::create(
        docker,
        NewObject {
            kind,
            name: new_name,
            data,
            labels,
            templating,
            driver: secret_driver,
        },
    )
    .await?;
    let mut out = Rotated {
        new_id: new_id.clone(),
        new_name: new_name.to_string(),
        ..Default::default()
    };
    for (id, name) in users {
        match ops::swap_file_ref(
            docker,
            auth,
            &id,
            kind.spec_key(),
            kind.ref_fields(),
            &old.id,
            &new_id,
            new_name,
        )
        .await
        {
            Ok(c) => out.updated.push(c),
            Err(e) => out.failed.push((name, e.user_message())),
        }
    }
    Ok(out)
}

/// How a rotation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// every service rolled out and the old object is gone
    Removed,
    /// the old object was kept: why
    Kept(String),
}

/// Waits until every service in `services` has finished the update the rotation started
/// (its `UpdateStatus` completed, or no rolling update at all), then removes the old object.
/// A paused or rolled-back update, a timeout or a new user keeps the old object (a rollback
/// needs it).
pub async fn settle(
    docker: &Docker,
    kind: Kind,
    old_id: &str,
    services: &[String],
    timeout: Duration,
) -> Settled {
    let deadline = Instant::now() + timeout;
    let mut pending: Vec<String> = services.to_vec();
    while !pending.is_empty() {
        let mut still = Vec::new();
        for id in &pending {
            match docker.inspect_service(id, None).await {
                Ok(s) => {
                    let state = s.update_status.as_ref().and_then(|u| u.state);
                    match state {
                        None | Some(ServiceUpdateStatusStateEnum::COMPLETED) => {}
                        Some(ServiceUpdateStatusStateEnum::UPDATING) => still.push(id.clone()),
                        Some(other) => {
                            let name = s.spec.and_then(|sp| sp.name).unwrap_or_default();
                            return Settled::Kept(format!(
                                "the update of {name} ended {other}: the old {} stays for a rollback",
                                kind.noun()
                            ));
                        }
                    }
                }
                // a service removed meanwhile no longer needs the old object
                Err(bollard::errors::Error::DockerResponseServerError {
                    status_code: 404, ..
                }) => {}
                Err(e) => {
                    tracing::debug!("rotation: inspecting {id} failed, trying again: {e}");
                    still.push(id.clone());
                }
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        if Instant::now() >= deadline {
            return Settled::Kept(format!(
                "the services had not finished rolling out after {} s: the old {} stays",
                timeout.as_secs(),
                kind.noun()
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    match super::remove(docker, kind, old_id).await {
        Ok(()) => Settled::Removed,
        Err(DockerError::NotFound(_)) => Settled::Removed,
        Err(e) => Settled::Kept(format!(
            "Docker kept the old {}: {}",
            kind.noun(),
            e.user_message()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_version_counts_past_every_existing_one() {
        assert_eq!(next_name("site", ["site", "other"]), "site.v2");
        assert_eq!(next_name("site", ["site", "site.v2", "site.v7"]), "site.v8");
        assert_eq!(next_name("site.v3", ["site.v3"]), "site.v4");
        assert_eq!(
            next_name("app_db.v2", ["app_db.v2", "app_db.vx"]),
            "app_db.v3"
        );
        // a name that merely looks versioned keeps its whole self as the base
        assert_eq!(base_name(".v2"), ".v2");
        assert_eq!(base_name("a.v"), "a.v");
    }

    #[test]
    fn the_next_name_stays_within_dockers_limit() {
        let long = "a".repeat(64);
        let n = next_name(&long, [long.as_str()]);
        assert_eq!(n.len(), 64);
        assert!(n.ends_with(".v2"));
        assert!(super::super::check_name(Kind::Secret, &n).is_ok());
    }
}
