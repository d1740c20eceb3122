//! Secrets and configs (and, in submodules, networks, the manager's volumes and rotation):
//! create, inspect, remove, with Docker's own limits checked before anything is sent.
//!
//! A secret's data never leaves this module: it goes to Docker on create and nothing reads
//! it back (Docker cannot return it anyway). A config's data is returned for display.
//! Who uses an object is computed from the services' specs ([`crate::docker::services::Uses`],
//! which the live model holds for every service), so a list of N objects costs no Docker call.

pub mod images;
pub mod networks;
pub mod rotate;
pub mod volumes;

use std::collections::BTreeMap;
use std::collections::HashMap;

use base64::Engine as _;
use bollard::Docker;
use bollard::models::{ConfigSpec, SecretSpec};

use super::DockerError;
use super::services::ServiceSummary;
use super::swarm::STACK_NAMESPACE_LABEL;

/// Docker's limit on a secret's or config's data (swarmkit `MaxSecretSize`, 500 KiB).
pub const MAX_DATA: usize = 500 * 1024;
/// Docker's limit on a secret's or config's name.
pub const MAX_NAME: usize = 64;
/// At most this many labels, each key and value at most [`MAX_LABEL`] bytes.
pub const MAX_LABELS: usize = 64;
pub const MAX_LABEL: usize = 1024;
/// The label a rotated object carries: the name of the object it replaced.
pub const ROTATED_FROM_LABEL: &str = "berth.rotated-from";

/// A secret or a config: the two file-like objects a service mounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Secret,
    Config,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Config => "config",
        }
    }

    /// The key of the container spec's list (`Secrets`, `Configs`).
    pub fn spec_key(self) -> &'static str {
        match self {
            Kind::Secret => "Secrets",
            Kind::Config => "Configs",
        }
    }

    /// The id and name fields of one entry of that list.
    pub fn ref_fields(self) -> (&'static str, &'static str) {
        match self {
            Kind::Secret => ("SecretID", "SecretName"),
            Kind::Config => ("ConfigID", "ConfigName"),
        }
    }
}

/// Docker's rule for secret and config names: `[a-zA-Z0-9]` at both ends, `[a-zA-Z0-9-_.]`
/// inside, at most 64 characters.
pub fn check_name(kind: Kind, name: &str) -> Result<(), String> {
    let n = kind.noun();
    if name.is_empty() {
        return Err(format!("Enter a name for the {n}."));
    }
    if name.len() > MAX_NAME {
        return Err(format!(
            "The {n} name is too long ({} characters; at most {MAX_NAME}).",
            name.chars().count()
        ));
    }
    let inner = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric());
    if !name.chars().all(inner) || !ends(name.chars().next()) || !ends(name.chars().last()) {
        return Err(format!(
            "A {n} name may hold letters, digits, “-”, “_” and “.”, and must start and end with a letter or digit."
        ));
    }
    Ok(())
}

/// Labels typed one `KEY=VALUE` a line (blank lines skipped), checked for count and size.
pub fn parse_labels(text: &str) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let k = k.trim();
        if k.is_empty() || k.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "Label line {}: write KEY=VALUE with a key without spaces.",
                i + 1
            ));
        }
        if k.len() > MAX_LABEL || v.len() > MAX_LABEL {
            return Err(format!(
                "Label line {}: keys and values hold at most {MAX_LABEL} bytes.",
                i + 1
            ));
        }
        out.insert(k.to_string(), v.to_string());
        if out.len() > MAX_LABELS {
            return Err(format!("At most {MAX_LABELS} labels."));
        }
    }
    Ok(out)
}

/// The data checked: not empty, within Docker's limit.
pub fn check_data(kind: Kind, data: &[u8]) -> Result<(), String> {
    let n = kind.noun();
    if data.is_empty() {
        return Err(format!("The {n} is empty: type a value or choose a file."));
    }
    if data.len() > MAX_DATA {
        return Err(format!(
            "The {n} is too large ({} bytes; Docker accepts at most {} KiB).",
            data.len(),
            MAX_DATA / 1024
        ));
    }
    Ok(())
}

/// The services whose spec mounts the object with this id, by name.
pub fn users<'a>(services: &'a [ServiceSummary], kind: Kind, id: &str) -> Vec<&'a ServiceSummary> {
    services
        .iter()
        .filter(|s| {
            let list = match kind {
                Kind::Secret => &s.uses.secrets,
                Kind::Config => &s.uses.configs,
            };
            list.iter().any(|x| x == id)
        })
        .collect()
}

/// One secret or config as inspected (a secret's data is never part of it).
#[derive(Debug, Clone, Default)]
pub struct Detail {
    pub id: String,
    pub name: String,
    pub version: u64,
    pub labels: BTreeMap<String, String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    /// configs only: the content as text (lossy for binary data)
    pub content: Option<String>,
    /// configs only: the content's size in bytes
    pub size: Option<usize>,
    /// secrets: the external driver, if any; configs: the templating driver, if any
    pub driver: String,
}

impl Detail {
    pub fn stack(&self) -> &str {
        self.labels
            .get(STACK_NAMESPACE_LABEL)
            .map(String::as_str)
            .unwrap_or("")
    }

    pub fn rotated_from(&self) -> Option<&str> {
        self.labels.get(ROTATED_FROM_LABEL).map(String::as_str)
    }
}

fn sorted(l: Option<HashMap<String, String>>) -> BTreeMap<String, String> {
    l.unwrap_or_default().into_iter().collect()
}

/// Inspects a secret or config by id or name.
pub async fn inspect(docker: &Docker, kind: Kind, key: &str) -> Result<Detail, DockerError> {
    if !super::raw::is_plain_ref(key) {
        return Err(DockerError::NotFound(format!(
            "{} {key} not found",
            kind.noun()
        )));
    }
    let time = |t: Option<String>| super::time::unix(t.as_deref());
    Ok(match kind {
        Kind::Secret => {
            let s = docker.inspect_secret(key).await?;
            let spec = s.spec.unwrap_or_default();
            Detail {
                id: s.id.unwrap_or_default(),
                name: spec.name.unwrap_or_default(),
                version: s.version.and_then(|v| v.index).unwrap_or(0),
                labels: sorted(spec.labels),
                created: time(s.created_at),
                updated: time(s.updated_at),
                content: None,
                size: None,
                driver: spec.driver.map(|d| d.name).unwrap_or_default(),
            }
        }
        Kind::Config => {
            let c = docker.inspect_config(key).await?;
            let spec = c.spec.unwrap_or_default();
            let bytes = spec
                .data
                .as_deref()
                .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                .unwrap_or_default();
            Detail {
                id: c.id.unwrap_or_default(),
                name: spec.name.unwrap_or_default(),
                version: c.version.and_then(|v| v.index).unwrap_or(0),
                labels: sorted(spec.labels),
                created: time(c.created_at),
                updated: time(c.updated_at),
                size: Some(bytes.len()),
                content: Some(String::from_utf8_lossy(&bytes).into_owned()),
                driver: spec.templating.map(|d| d.name).unwrap_or_default(),
            }
        }
    })
}

/// What a new secret or config is made of (checked by the caller with [`check_name`],
/// [`check_data`], [`parse_labels`]).
pub struct NewObject<'a> {
    pub kind: Kind,
    pub name: &'a str,
    pub data: &'a [u8],
    pub labels: HashMap<String, String>,
    /// a config's templating driver, kept when rotating
    pub templating: Option<bollard::models::Driver>,
    /// a secret's external driver, kept when rotating
    pub driver: Option<bollard::models::Driver>,
}

/// Creates the object; returns its id.
pub async fn create(docker: &Docker, o: NewObject<'_>) -> Result<String, DockerError> {
    let data = base64::engine::general_purpose::STANDARD.encode(o.data);
    let labels = Some(o.labels);
    let r = match o.kind {
        Kind::Secret => {
            docker
                .create_secret(SecretSpec {
                    name: Some(o.name.to_string()),
                    labels,
                    data: Some(data),
                    driver: o.driver,
                    templating: None,
                })
                .await?
        }
        Kind::Config => {
            docker
                .create_config(ConfigSpec {
                    name: Some(o.name.to_string()),
                    labels,
                    data: Some(data),
                    templating: o.templating,
                })
                .await?
        }
    };
    Ok(r.id)
}

/// Removes the object. Docker itself refuses while a service uses it (the check and the
/// removal are one step there); the caller names the users from the model first.
pub async fn remove(docker: &Docker, kind: Kind, id: &str) -> Result<(), DockerError> {
    if !super::raw::is_plain_ref(id) {
        return Err(DockerError::NotFound(format!(
            "{} {id} not found",
            kind.noun()
        )));
    }
    match kind {
        Kind::Secret => docker.delete_secret(id).await?,
        Kind::Config => docker.delete_config(id).await?,
    }
    Ok(())
}

/// "in use by web, api" for a refusal, or `None` when nothing uses it.
pub fn in_use_message(kind: Kind, name: &str, names: &[&str]) -> Option<String> {
    if names.is_empty() {
        return None;
    }
    Some(format!(
        "The {} {name} is in use by {}: {}. Remove it from {} first (or rotate it).",
        kind.noun(),
        if names.len() == 1 {
            "one service"
        } else {
            "these services"
        },
        names.join(", "),
        if names.len() == 1 { "it" } else { "them" },
    ))
}

/// Every container of the node `docker` talks to, stopped ones included: what an image or a
/// volume is "used by".
async fn all_containers(
    docker: &Docker,
) -> Result<Vec<bollard::models::ContainerSummary>, DockerError> {
    docker
        .list_containers(Some(bollard::query_parameters::ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await
        .map_err(DockerError::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert!(check_name(Kind::Secret, "db_password.v2").is_ok());
        assert!(check_name(Kind::Config, "a").is_ok());
        assert!(check_name(Kind::Secret, "").is_err());
        assert!(check_name(Kind::Secret, "-x").is_err());
        assert!(check_name(Kind::Secret, "x.").is_err());
        assert!(check_name(Kind::Secret, "a b").is_err());
        assert!(check_name(Kind::Secret, "a/b").is_err());
        assert!(check_name(Kind::Config, &"a".repeat(64)).is_ok());
        assert!(check_name(Kind::Config, &"a".repeat(65)).is_err());
    }

    #[test]
    fn data_is_refused_when_empty_or_over_dockers_limit() {
        assert!(check_data(Kind::Secret, b"").is_err());
        assert!(check_data(Kind::Secret, &vec![b'x'; MAX_DATA]).is_ok());
        let e = check_data(Kind::Config, &vec![b'x'; MAX_DATA + 1]).unwrap_err();
        assert!(e.contains("500 KiB"), "{e}");
    }

    #[test]
    fn labels_are_key_value_lines_with_limits() {
        let l = parse_labels("a=1\n\n b = x=y \nflag").unwrap();
        assert_eq!(l["a"], "1");
        assert_eq!(l["b"], " x=y");
        assert_eq!(l["flag"], "");
        assert!(parse_labels("a b=1").is_err());
        let many: String = (0..=MAX_LABELS).map(|i| format!("k{i}=v\n")).collect();
        assert!(parse_labels(&many).is_err());
    }

    #[test]
    fn users_are_the_services_whose_spec_names_the_id() {
        let mut a = ServiceSummary {
            name: "a".into(),
            ..Default::default()
        };
        a.uses.configs = vec!["c1".into()];
        let mut b = ServiceSummary {
            name: "b".into(),
            ..Default::default()
        };
        b.uses.secrets = vec!["c1".into()];
        let all = [a, b];
        let u = users(&all, Kind::Config, "c1");
        assert_eq!(u.len(), 1);
        assert_eq!(u[0].name, "a");
        let names: Vec<&str> = u.iter().map(|s| s.name.as_str()).collect();
        let m = in_use_message(Kind::Config, "site", &names).unwrap();
        assert!(m.contains("in use by one service: a"), "{m}");
        assert!(in_use_message(Kind::Config, "site", &[]).is_none());
    }
}
