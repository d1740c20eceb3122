//! The volumes of the node berth talks to (the manager): list with the containers and
//! services using each, create with driver options, remove. Volumes on other nodes need the
//! berth agent there; without it the page names the nodes it cannot see.

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::RemoveVolumeOptions;

use super::images::{Pruned, Refused};
use super::{MAX_LABEL, all_containers, parse_labels};
use crate::docker::services::ServiceSummary;
use crate::docker::{DockerError, raw};

/// Longest volume name accepted (Docker has no fixed limit; a path component is 255).
pub const MAX_NAME: usize = 255;

/// One volume with who uses it.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct VolumeRow {
    pub name: String,
    pub driver: String,
    pub labels: BTreeMap<String, String>,
    pub stack: String,
    /// containers on this node mounting it (names)
    pub containers: Vec<String>,
    /// services whose spec mounts a volume of this name (on whichever node)
    pub services: Vec<String>,
}

impl VolumeRow {
    pub fn in_use(&self) -> bool {
        !self.containers.is_empty()
    }
}

/// The node's volumes, each with the containers (running or not) mounting it, and the
/// services of `services` that mount a volume of that name.
pub async fn list(
    docker: &Docker,
    services: &[ServiceSummary],
) -> Result<Vec<VolumeRow>, DockerError> {
    let (volumes, containers) = tokio::try_join!(
        async {
            docker
                .list_volumes(None::<bollard::query_parameters::ListVolumesOptions>)
                .await
                .map_err(DockerError::from)
        },
        all_containers(docker),
    )?;
    let mut used: HashMap<String, Vec<String>> = HashMap::new();
    for c in &containers {
        let name = c
            .names
            .as_ref()
            .and_then(|n| n.first())
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_default();
        for m in c.mounts.iter().flatten() {
            if m.typ.as_deref() == Some("volume")
                && let Some(v) = &m.name
            {
                used.entry(v.clone()).or_default().push(name.clone());
            }
        }
    }
    let mut rows: Vec<VolumeRow> = volumes
        .volumes
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            let labels: BTreeMap<String, String> = v.labels.into_iter().collect();
            let mut containers = used.remove(&v.name).unwrap_or_default();
            containers.sort();
            let mut svc: Vec<String> = services
                .iter()
                .filter(|s| s.uses.volumes.contains(&v.name))
                .map(|s| s.name.clone())
                .collect();
            svc.sort();
            VolumeRow {
                stack: labels
                    .get(crate::docker::swarm::STACK_NAMESPACE_LABEL)
                    .cloned()
                    .unwrap_or_default(),
                name: v.name,
                driver: v.driver,
                labels,
                containers,
                services: svc,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(rows)
}

/// What the create form holds.
#[derive(Debug, Clone, Default)]
pub struct VolumeInput {
    pub name: String,
    pub driver: String,
    /// driver options, `KEY=VALUE` a line
    pub options: String,
    pub labels: String,
}

/// Docker's rule for volume names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    if name.len() < 2
        || name.len() > MAX_NAME
        || !name.chars().all(ok)
        || !name.starts_with(|c: char| c.is_ascii_alphanumeric())
    {
        return Err(format!(
            "A volume name holds 2 to {MAX_NAME} letters, digits, “_”, “.” or “-”, starting with a letter or digit."
        ));
    }
    Ok(())
}

/// Checks the form and builds Docker's request.
pub fn check(f: &VolumeInput) -> Result<VolumeCreateRequest, String> {
    let name = f.name.trim();
    check_name(name)?;
    let driver = f.driver.trim();
    if driver.len() > MAX_LABEL || driver.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("The driver is a plain name like local.".into());
    }
    let options = parse_labels(&f.options).map_err(|e| e.replace("Label", "Option"))?;
    let labels = parse_labels(&f.labels)?;
    Ok(VolumeCreateRequest {
        name: Some(name.to_string()),
        driver: Some(if driver.is_empty() { "local" } else { driver }.to_string()),
        driver_opts: Some(options),
        labels: Some(labels),
        ..Default::default()
    })
}

pub async fn create(docker: &Docker, req: VolumeCreateRequest) -> Result<String, DockerError> {
    Ok(docker.create_volume(req).await?.name)
}

/// Removes the volume unless a container (running or not) mounts it, naming them; Docker's
/// own refusal covers a container made between the look and the removal.
pub async fn remove_unused(docker: &Docker, name: &str) -> Result<(), Refused> {
    check_name(name).map_err(Refused::Docker)?;
    let rows = list(docker, &[])
        .await
        .map_err(|e| Refused::Docker(e.user_message()))?;
    match rows.iter().find(|v| v.name == name) {
        None => Err(Refused::NotFound),
        Some(v) if v.in_use() => Err(Refused::InUse(v.containers.clone())),
        Some(_) => remove(docker, name).await.map_err(|e| match e {
            DockerError::NotFound(_) => Refused::NotFound,
            e => Refused::Docker(e.user_message()),
        }),
    }
}

/// Removes the node's unused anonymous volumes (Docker's `volume prune` without `--all`).
pub async fn prune(docker: &Docker) -> Result<Pruned, DockerError> {
    let r = docker
        .prune_volumes(None::<bollard::query_parameters::PruneVolumesOptions>)
        .await?;
    Ok(Pruned {
        removed: r.volumes_deleted.map(|v| v.len()).unwrap_or(0),
        reclaimed: r.space_reclaimed.unwrap_or(0),
    })
}

/// Removes the volume (Docker refuses while a container uses it).
pub async fn remove(docker: &Docker, name: &str) -> Result<(), DockerError> {
    if !raw::is_plain_ref(name) {
        return Err(DockerError::NotFound(format!("volume {name} not found")));
    }
    Ok(docker
        .remove_volume(name, None::<RemoveVolumeOptions>)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_forms_are_checked_before_docker() {
        let ok = VolumeInput {
            name: "data".into(),
            options: "type=tmpfs\ndevice=tmpfs".into(),
            ..Default::default()
        };
        let r = check(&ok).unwrap();
        assert_eq!(r.driver.as_deref(), Some("local"));
        assert_eq!(r.driver_opts.unwrap()["type"], "tmpfs");
        for bad in ["", "a", "-ab", "a/b", "a b"] {
            let f = VolumeInput {
                name: bad.into(),
                ..Default::default()
            };
            assert!(check(&f).is_err(), "{bad}");
        }
    }
}
