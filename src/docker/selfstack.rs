//! berth as a swarm service: which service (and stack) the running berth is a task of, and the
//! Docker secrets it creates at first start and mounts into a service (its own, or a service
//! beside it such as the agent).
//!
//! A secret's value can never be read back through the API: berth learns it only as a file
//! under /run/secrets once a service mounts it. So the first start creates the secret (value
//! chosen by berth), adds it to the service spec (one update for every secret still missing,
//! so the task is replaced once) and, for its own service, waits to be replaced by a task that
//! has the file. Secrets are found again by name (`<owner>_<target>`), which also makes two
//! instances racing at first start agree: the second create gets a name conflict and uses the
//! first one's secret.

use std::path::PathBuf;
use std::sync::Arc;

use bollard::Docker;
use bollard::models::SecretSpec;
use serde_json::{Value, json};

use super::DockerError;
use super::raw::is_plain_ref;
use super::services::inspect_raw;

/// Where Docker mounts a service's secrets in its containers.
pub const SECRETS_DIR: &str = "/run/secrets";
/// Label on every secret berth creates; its value is the owner (the service name).
pub const OWNER_LABEL: &str = "berth.secret.owner";

/// The swarm task this process runs as.
#[derive(Debug, Clone, PartialEq)]
pub struct SelfService {
    pub container_id: String,
    pub task_id: String,
    pub service_id: String,
    /// e.g. `berth_berth`
    pub service_name: String,
    /// `com.docker.stack.namespace` (e.g. `berth`) when deployed as a stack.
    pub stack: Option<String>,
}

/// The id of the container this process runs in, from /proc/self/mountinfo (Docker bind-mounts
/// `/var/lib/docker/containers/<id>/hostname`, `hosts` and `resolv.conf` into every container),
/// or None outside a container.
pub fn own_container_id() -> Option<String> {
    let info = std::fs::read_to_string("/proc/self/mountinfo").ok()?;
    container_id_in(&info)
}

fn container_id_in(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|l| {
        let i = l.find("/containers/")?;
        let id: String = l[i + 12..]
            .chars()
            .take_while(|c| c.is_ascii_hexdigit())
            .collect();
        let rest = &l[i + 12 + id.len()..];
        (id.len() == 64 && (rest.starts_with("/hostname") || rest.starts_with("/hosts")))
            .then_some(id)
    })
}

/// The service this process is a task of, or None when it is not a swarm task (a plain
/// process, `docker run`, a test): then nothing here applies.
pub async fn find(docker: &Docker) -> Result<Option<SelfService>, DockerError> {
    let Some(id) = own_container_id() else {
        return Ok(None);
    };
    let c = match super::raw::get(docker, &format!("/containers/{id}/json"), "").await {
        Ok(c) => c,
        // a container on another engine than the one berth talks to (DOCKER_HOST elsewhere)
        Err(DockerError::NotFound(_)) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(from_labels(&id, &c["Config"]["Labels"]))
}

fn from_labels(container_id: &str, labels: &Value) -> Option<SelfService> {
    let get = |k: &str| {
        labels[k]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Some(SelfService {
        container_id: container_id.to_string(),
        task_id: get("com.docker.swarm.task.id")?,
        service_id: get("com.docker.swarm.service.id")?,
        service_name: get("com.docker.swarm.service.name")?,
        stack: get("com.docker.stack.namespace"),
    })
}

/// A secret a service must mount: at `/run/secrets/<target>` in its containers, named
/// `<owner>_<target>` in the swarm.
#[derive(Clone)]
pub struct Wanted {
    pub target: String,
    /// The value when the secret has to be created (called at most once).
    pub value: Arc<dyn Fn() -> Vec<u8> + Send + Sync>,
}

impl Wanted {
    /// The file the mounted secret appears as.
    pub fn path(&self) -> PathBuf {
        PathBuf::from(SECRETS_DIR).join(&self.target)
    }
}

/// What [`ensure_mounted`] did.
#[derive(Debug, Clone, PartialEq)]
pub enum Ensured {
    /// Every wanted secret was already mounted: nothing changed.
    Mounted,
    /// The service was updated to mount these targets (its tasks are being replaced).
    Updated(Vec<String>),
}

/// The secret's name for an owner and target (Docker allows 64 characters).
pub fn secret_name(owner: &str, target: &str) -> String {
    let mut n = format!("{owner}_{target}");
    n.truncate(64);
    n
}

/// Makes `service` mount every `wanted` secret, creating the secrets that do not exist yet
/// (labelled [`OWNER_LABEL`]=`owner`). One service update for all missing mounts.
pub async fn ensure_mounted(
    docker: &Docker,
    service: &str,
    owner: &str,
    wanted: &[Wanted],
) -> Result<Ensured, DockerError> {
    for _ in 0..5 {
        let raw = inspect_raw(docker, service).await?;
        let mut spec = raw.get("Spec").cloned().unwrap_or(Value::Null);
        let version = raw["Version"]["Index"].as_u64().unwrap_or(0);
        let mounted: Vec<String> = secrets_of(&spec)
            .iter()
            .filter_map(|s| s["File"]["Name"].as_str().map(str::to_string))
            .collect();
        let missing: Vec<&Wanted> = wanted
            .iter()
            .filter(|w| !mounted.contains(&w.target))
            .collect();
        if missing.is_empty() {
            return Ok(Ensured::Mounted);
        }
        let mut refs = Vec::new();
        for w in &missing {
            let name = secret_name(owner, &w.target);
            let id = secret_id(docker, owner, &name, w.value.as_ref()).await?;
            refs.push(json!({
                "File": {"Name": w.target, "UID": "0", "GID": "0", "Mode": 0o400},
                "SecretID": id,
                "SecretName": name,
            }));
        }
        add_secrets(&mut spec, refs);
        let id = raw["ID"].as_str().unwrap_or(service).to_string();
        match super::raw::update_service(docker, &id, version, &spec, false, None).await {
            Ok(_) => {
                return Ok(Ensured::Updated(
                    missing.iter().map(|w| w.target.clone()).collect(),
                ));
            }
            Err(DockerError::Refused(m)) if m.contains("out of sequence") => continue,
            Err(e) => return Err(e),
        }
    }
    Err(DockerError::Conflict(format!(
        "the service {service} kept changing while berth was mounting its secrets"
    )))
}

fn secrets_of(spec: &Value) -> Vec<Value> {
    spec["TaskTemplate"]["ContainerSpec"]["Secrets"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn add_secrets(spec: &mut Value, refs: Vec<Value>) {
    let mut all = secrets_of(spec);
    all.extend(refs);
    if let Some(cs) = spec
        .pointer_mut("/TaskTemplate/ContainerSpec")
        .and_then(Value::as_object_mut)
    {
        cs.insert("Secrets".into(), Value::Array(all));
    }
}

/// The id of the secret `name`, created with `value()` when it does not exist.
async fn secret_id(
    docker: &Docker,
    owner: &str,
    name: &str,
    value: &(dyn Fn() -> Vec<u8> + Send + Sync),
) -> Result<String, DockerError> {
    if !is_plain_ref(name) {
        return Err(DockerError::Other(format!("not a secret name: {name}")));
    }
    let existing = || async {
        let s = super::raw::get(docker, &format!("/secrets/{name}"), "").await?;
        s["ID"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| DockerError::Other(format!("secret {name} has no id")))
    };
    match existing().await {
        Ok(id) => return Ok(id),
        Err(DockerError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    use base64::Engine as _;
    let spec = SecretSpec {
        name: Some(name.to_string()),
        labels: Some([(OWNER_LABEL.to_string(), owner.to_string())].into()),
        data: Some(base64::engine::general_purpose::STANDARD.encode(value())),
        ..Default::default()
    };
    match docker.create_secret(spec).await {
        Ok(r) => Ok(r.id),
        // another instance created it first: use theirs
        Err(e) => match DockerError::from(e) {
            DockerError::Conflict(_) => existing().await,
            e => Err(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_container_id_comes_from_the_hostname_mount() {
        let id = "0123456789abcdef".repeat(4);
        let info = format!(
            "1 0 0:1 / / rw - overlay overlay rw\n\
             2 1 8:1 /var/lib/docker/containers/{id}/resolv.conf /etc/resolv.conf rw - ext4 /dev/sda1 rw\n\
             3 1 8:1 /var/lib/docker/containers/{id}/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
        );
        assert_eq!(container_id_in(&info), Some(id));
        assert_eq!(
            container_id_in("1 0 0:1 / / rw - overlay overlay rw\n"),
            None
        );
    }

    #[test]
    fn a_task_is_known_by_its_swarm_labels() {
        let labels = json!({
            "com.docker.swarm.task.id": "t1",
            "com.docker.swarm.service.id": "s1",
            "com.docker.swarm.service.name": "berth_berth",
            "com.docker.stack.namespace": "berth",
        });
        let s = from_labels("c1", &labels).unwrap();
        assert_eq!(
            (s.service_name.as_str(), s.stack.as_deref()),
            ("berth_berth", Some("berth"))
        );
        assert_eq!(from_labels("c1", &json!({"a": "b"})), None);
    }

    #[test]
    fn mounts_are_added_beside_the_existing_ones() {
        let mut spec = json!({"TaskTemplate": {"ContainerSpec": {"Image": "x", "Secrets": [
            {"File": {"Name": "a"}, "SecretID": "1", "SecretName": "a"}]}}});
        add_secrets(
            &mut spec,
            vec![json!({"File": {"Name": "b"}, "SecretID": "2", "SecretName": "b"})],
        );
        let names: Vec<_> = secrets_of(&spec)
            .iter()
            .map(|s| s["File"]["Name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(secret_name(&"x".repeat(70), "key").len(), 64);
    }
}
