//! Where berth itself runs: its own container, service and stack, read from the labels swarm
//! puts on a task's container; and the two steps berth takes at first start in its own stack:
//! create a secret (unless it exists) and have a sibling service mount it.
//!
//! Used by the agent hub (the key handed to the agents). No web, only Docker.

use bollard::Docker;
use bollard::models::SecretSpec;
use bollard::query_parameters::ListSecretsOptions;
use serde_json::{Value, json};

use crate::docker::{DockerError, raw};

/// berth's own place in the swarm.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfStack {
    pub container_id: String,
    pub node_id: String,
    pub service_id: String,
    /// e.g. `berth_berth`
    pub service_name: String,
    /// the stack, e.g. `berth` (none for a service made without a stack)
    pub namespace: Option<String>,
}

impl SelfStack {
    /// A sibling object's name: `<namespace>_<name>`, or `name` outside a stack.
    pub fn sibling(&self, name: &str) -> String {
        match &self.namespace {
            Some(ns) => format!("{ns}_{name}"),
            None => name.to_string(),
        }
    }
}

/// The container ids this process may be: the hostname (Docker's default for a container is
/// its short id) and any container id in /proc/self/mountinfo (/var/lib/docker/containers/<id>/).
fn candidates() -> Vec<String> {
    let mut out = Vec::new();
    if let Ok(h) = std::fs::read_to_string("/etc/hostname") {
        let h = h.trim();
        if raw::is_plain_ref(h) {
            out.push(h.to_string());
        }
    }
    if let Ok(m) = std::fs::read_to_string("/proc/self/mountinfo") {
        out.extend(container_ids_in_mountinfo(&m));
    }
    out.dedup();
    out
}

/// Container ids named by mount paths like `/var/lib/docker/containers/<64 hex>/hostname`.
pub fn container_ids_in_mountinfo(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        for (i, _) in line.match_indices("/containers/") {
            let rest = &line[i + "/containers/".len()..];
            let id: String = rest.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
            if id.len() == 64 && rest[64..].starts_with('/') && !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

/// berth's own swarm task, or None when it does not run as one (a plain process, tests).
pub async fn find(docker: &Docker) -> Option<SelfStack> {
    for id in candidates() {
        let Ok(c) = docker.inspect_container(&id, None).await else {
            continue;
        };
        let labels = c.config.and_then(|c| c.labels).unwrap_or_default();
        let (Some(service_id), Some(service_name)) = (
            labels.get("com.docker.swarm.service.id"),
            labels.get("com.docker.swarm.service.name"),
        ) else {
            continue;
        };
        return Some(SelfStack {
            container_id: c.id.unwrap_or(id),
            node_id: labels
                .get("com.docker.swarm.node.id")
                .cloned()
                .unwrap_or_default(),
            service_id: service_id.clone(),
            service_name: service_name.clone(),
            namespace: labels.get("com.docker.stack.namespace").cloned(),
        });
    }
    None
}

/// Creates the secret `name` holding `data` unless one of that name exists; returns its id.
/// Labelled with the stack's namespace (so `docker stack rm` removes it) and `berth.managed`.
pub async fn ensure_secret(
    docker: &Docker,
    name: &str,
    data: &[u8],
    namespace: Option<&str>,
) -> Result<String, DockerError> {
    let listed = docker
        .list_secrets(Some(ListSecretsOptions {
            filters: Some([("name".to_string(), vec![name.to_string()])].into()),
        }))
        .await?;
    if let Some(id) = listed
        .into_iter()
        .find(|s| s.spec.as_ref().and_then(|s| s.name.as_deref()) == Some(name))
        .and_then(|s| s.id)
    {
        return Ok(id);
    }
    use base64::Engine as _;
    let mut labels =
        std::collections::HashMap::from([("berth.managed".to_string(), "true".to_string())]);
    if let Some(ns) = namespace {
        labels.insert("com.docker.stack.namespace".into(), ns.to_string());
    }
    let created = docker
        .create_secret(SecretSpec {
            name: Some(name.to_string()),
            labels: Some(labels),
            data: Some(base64::engine::general_purpose::STANDARD.encode(data)),
            ..Default::default()
        })
        .await?;
    Ok(created.id)
}

/// Makes `service` mount the secret at `/run/secrets/<file>` (root, mode 0400). Ok(false)
/// when it already does; a mount of another secret at the same file is replaced; otherwise the
/// service is updated (its tasks restart) and Ok(true).
pub async fn mount_secret(
    docker: &Docker,
    service: &str,
    secret_id: &str,
    secret_name: &str,
    file: &str,
) -> Result<bool, DockerError> {
    let current = raw::get(docker, &format!("/services/{service}"), "").await?;
    let version = current["Version"]["Index"].as_u64().unwrap_or(0);
    let id = current["ID"].as_str().unwrap_or(service).to_string();
    let mut spec = current["Spec"].clone();
    let Some(secrets) = secret_list(&mut spec) else {
        return Err(DockerError::Other(format!(
            "service {service} has no container spec"
        )));
    };
    if secrets
        .iter()
        .any(|s| s["SecretID"] == secret_id && s["File"]["Name"] == file)
    {
        return Ok(false);
    }
    secrets.retain(|s| s["File"]["Name"] != file);
    secrets.push(json!({
        "SecretID": secret_id,
        "SecretName": secret_name,
        "File": {"Name": file, "UID": "0", "GID": "0", "Mode": 0o400},
    }));
    raw::update_service(docker, &id, version, &spec, false, None).await?;
    Ok(true)
}

/// The spec's `TaskTemplate.ContainerSpec.Secrets`, made an empty list when absent.
fn secret_list(spec: &mut Value) -> Option<&mut Vec<Value>> {
    let cs = spec.get_mut("TaskTemplate")?.get_mut("ContainerSpec")?;
    let obj = cs.as_object_mut()?;
    let list = obj.entry("Secrets").or_insert_with(|| json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    list.as_array_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_ids_are_read_from_docker_mount_paths() {
        let id = "a".repeat(64);
        let text = format!(
            "1 2 0:1 / / rw - overlay overlay rw\n\
             3 1 8:1 /var/lib/docker/containers/{id}/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n\
             4 1 8:1 /var/lib/docker/containers/{id}/hosts /etc/hosts rw - ext4 /dev/sda1 rw\n\
             5 1 8:1 /var/lib/docker/containers/short/x /x rw - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(container_ids_in_mountinfo(&text), vec![id]);
    }

    #[test]
    fn a_secret_mount_list_is_made_when_missing() {
        let mut spec = json!({"TaskTemplate": {"ContainerSpec": {"Image": "x"}}});
        secret_list(&mut spec).expect("list").push(json!(1));
        assert_eq!(spec["TaskTemplate"]["ContainerSpec"]["Secrets"], json!([1]));
        assert!(secret_list(&mut json!({})).is_none());
    }

    #[test]
    fn siblings_are_named_in_the_stack() {
        let mut s = SelfStack {
            container_id: "c".into(),
            node_id: "n".into(),
            service_id: "s".into(),
            service_name: "berth_berth".into(),
            namespace: Some("berth".into()),
        };
        assert_eq!(s.sibling("agent"), "berth_agent");
        s.namespace = None;
        assert_eq!(s.sibling("agent"), "agent");
    }
}
