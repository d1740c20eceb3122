//! Creating, changing and removing services. Every change reads the spec and its version,
//! edits only its own field of the JSON Docker holds, and writes it back with that version:
//! nothing else in the spec can be lost, and a concurrent change is refused, not overwritten.
//!
//! Every create and update sends the credentials of the image's registry when berth has
//! them ([`RegistryAuth`], as `--with-registry-auth` does), so tasks placed on any node can
//! pull a private image; without them the daemon keeps the credentials the service already
//! holds. Digest questions send them too.

use std::time::Duration;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use serde_json::Value;

use super::spec::{self, NewService, Resources};
use super::{flags, inspect_raw, reference};
use crate::docker::auth::RegistryAuth;
use crate::docker::{DockerError, raw};

/// How long to wait for a registry to tell an image's digest.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a change was not made.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChangeError {
    /// The input does not fit this service (the message says why); nothing was sent.
    #[error("{0}")]
    Invalid(String),
    /// The caller may not change this service (its [`Guard`] said why); nothing was sent.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Docker(#[from] DockerError),
}

impl ChangeError {
    pub fn user_message(&self) -> String {
        match self {
            ChangeError::Invalid(m) | ChangeError::Refused(m) => m.clone(),
            ChangeError::Docker(e) => e.user_message(),
        }
    }
}

/// A change Docker accepted.
#[derive(Debug, Clone, Default)]
pub struct Changed {
    pub id: String,
    pub name: String,
    /// what changed, for the audit log and the flash message (never secret values)
    pub detail: String,
    /// Docker's warnings and berth's own (e.g. no registry to resolve the image)
    pub warnings: Vec<String>,
}

/// Who may change a service, asked about the spec whose version index goes into the update.
/// Docker refuses an update whose version is not the service's current one, so the check and
/// the change are one step: a service changed after it was read (moved to another stack, say)
/// is read and checked again. It is given the service's stack (its
/// `com.docker.stack.namespace` label, empty outside stacks); an `Err` refuses with that
/// sentence.
pub type Guard<'a> = &'a (dyn Fn(&str) -> Result<(), String> + Send + Sync);

fn anyone(_: &str) -> Result<(), String> {
    Ok(())
}

/// No check here (the caller's checks do not depend on the service).
pub const ANYONE: Guard<'static> = &anyone;

fn stack_of(spec: &Value) -> &str {
    spec["Labels"]["com.docker.stack.namespace"]
        .as_str()
        .unwrap_or_default()
}

/// The current spec and version of a service.
struct Current {
    id: String,
    name: String,
    version: u64,
    spec: Value,
    /// the spec a rollback returns to
    previous: Option<Value>,
}

async fn current(docker: &Docker, id: &str) -> Result<Current, DockerError> {
    let raw = inspect_raw(docker, id).await?;
    Ok(Current {
        id: raw["ID"].as_str().unwrap_or(id).to_string(),
        name: raw["Spec"]["Name"].as_str().unwrap_or(id).to_string(),
        version: raw["Version"]["Index"].as_u64().unwrap_or(0),
        spec: raw.get("Spec").cloned().unwrap_or(Value::Null),
        previous: raw.get("PreviousSpec").filter(|p| !p.is_null()).cloned(),
    })
}

/// How often a write is tried again when swarm changed the service in between (its updater
/// records the state of a rollout in the service object, which bumps the version).
const ATTEMPTS: usize = 5;

fn out_of_sequence(e: &DockerError) -> bool {
    matches!(e, DockerError::Refused(m) if m.contains("out of sequence"))
}

fn stale() -> DockerError {
    DockerError::Conflict(
        "the service kept changing while berth was updating it; nothing was changed. Reload the page and try again."
            .into(),
    )
}

async fn write(
    docker: &Docker,
    cur: &Current,
    spec: &Value,
    rollback: bool,
    creds: Option<DockerCredentials>,
) -> Result<Vec<String>, DockerError> {
    raw::update_service(docker, &cur.id, cur.version, spec, rollback, creds).await
}

/// Reads the service, lets `edit` change its spec, writes it back with the version read.
/// When swarm wrote the service in between, reads it again and applies `edit` again: the
/// edit only ever sets its own field, so it composes with whatever changed meanwhile.
async fn change(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    edit: impl Fn(&mut Value) -> Result<String, String>,
) -> Result<Changed, ChangeError> {
    change_checked(docker, auth, ANYONE, id, edit).await
}

/// [`change`], asking `guard` about every spec read before writing it.
async fn change_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
    edit: impl Fn(&mut Value) -> Result<String, String>,
) -> Result<Changed, ChangeError> {
    for _ in 0..ATTEMPTS {
        let cur = current(docker, id).await?;
        guard(stack_of(&cur.spec)).map_err(ChangeError::Refused)?;
        let mut spec = cur.spec.clone();
        let detail = edit(&mut spec).map_err(ChangeError::Invalid)?;
        let creds = auth.for_image(spec::image_of(&spec));
        match write(docker, &cur, &spec, false, creds).await {
            Ok(warnings) => {
                return Ok(Changed {
                    id: cur.id,
                    name: cur.name,
                    detail,
                    warnings,
                });
            }
            Err(e) if out_of_sequence(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(stale().into())
}

/// The image reference to deploy: pinned to the digest the registry reports for its tag
/// (as `docker service create/update` does), or as typed with a warning when no registry
/// answers. A reference given only by digest is used as is. When berth holds credentials for
/// the image's registry and the registry still refuses (wrong credentials, no such tag or
/// repository), the answer is that refusal in a sentence: nothing should be deployed then.
pub async fn resolve_image(
    docker: &Docker,
    auth: &RegistryAuth,
    image: &str,
) -> Result<(String, Option<String>), String> {
    let Ok(r) = reference::parse(image) else {
        return Ok((image.to_string(), None));
    };
    if r.digest.is_some() && r.tag.is_none() {
        return Ok((image.to_string(), None));
    }
    let query = r.name_tag();
    let creds = auth.for_image(&query);
    let with_creds = creds.is_some();
    let answer = tokio::time::timeout(
        RESOLVE_TIMEOUT,
        docker.inspect_registry_image(&query, creds),
    )
    .await;
    Ok(match answer {
        Ok(Ok(d)) => match d.descriptor.digest {
            Some(digest) if !digest.is_empty() => (format!("{query}@{digest}"), None),
            _ => (
                image.to_string(),
                Some(no_digest(image, "the registry sent no digest")),
            ),
        },
        Ok(Err(e)) if with_creds => return Err(crate::docker::auth::refusal(&query, &e)),
        Ok(Err(e)) => {
            let why = crate::docker::error::humanize(&DockerError::from(e).detail());
            (image.to_string(), Some(no_digest(image, &why)))
        }
        Err(_) => (
            image.to_string(),
            Some(no_digest(image, "the registry did not answer in time")),
        ),
    })
}

fn no_digest(image: &str, why: &str) -> String {
    format!(
        "berth could not ask a registry for the digest of {image} ({why}). Each node uses its own copy of that tag, so nodes may run different versions of the image."
    )
}

/// Creates a service (image pinned like the CLI would). Returns its id and the warnings.
pub async fn create(
    docker: &Docker,
    auth: &RegistryAuth,
    mut new: NewService,
) -> Result<Changed, DockerError> {
    let (image, warning) = resolve_image(docker, auth, new.image())
        .await
        .map_err(DockerError::Refused)?;
    new.set_image(image.clone());
    let name = new.name().to_string();
    let resp = docker
        .create_service(new.spec, auth.for_image(&image))
        .await?;
    let mut warnings: Vec<String> = warning.into_iter().collect();
    warnings.extend(resp.warnings.unwrap_or_default());
    Ok(Changed {
        id: resp.id.unwrap_or_default(),
        detail: format!("image {image}"),
        name,
        warnings,
    })
}

pub async fn scale(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    replicas: u64,
) -> Result<Changed, ChangeError> {
    scale_checked(docker, auth, ANYONE, id, replicas).await
}

/// [`scale`] if `guard` allows it on the spec written.
pub async fn scale_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
    replicas: u64,
) -> Result<Changed, ChangeError> {
    change_checked(docker, auth, guard, id, |s| {
        let before = s["Mode"]["Replicated"]["Replicas"].as_u64();
        spec::set_replicas(s, replicas)?;
        Ok(match before {
            Some(b) => format!("replicas {b} → {replicas}"),
            None => format!("replicas {replicas}"),
        })
    })
    .await
}

/// Deploys `image`, re-resolving its tag even when it is the image already running; when the
/// reference comes out unchanged the tasks are still replaced (force update), so they pull
/// the tag again.
pub async fn update_image(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    image: &str,
) -> Result<Changed, ChangeError> {
    update_image_checked(docker, auth, ANYONE, id, image).await
}

async fn update_image_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
    image: &str,
) -> Result<Changed, ChangeError> {
    let image = image.trim();
    reference::parse(image).map_err(ChangeError::Invalid)?;
    let (resolved, warning) = resolve_image(docker, auth, image)
        .await
        .map_err(ChangeError::Invalid)?;
    let mut changed = change_checked(docker, auth, guard, id, |s| {
        let before = spec::image_of(s).to_string();
        if before == resolved {
            spec::bump_force_update(s)?;
            Ok(format!(
                "image {resolved} (unchanged: tasks restarted to pull it again)"
            ))
        } else {
            spec::set_image(s, &resolved)?;
            Ok(format!("image {before} → {resolved}"))
        }
    })
    .await?;
    changed.warnings.splice(0..0, warning);
    Ok(changed)
}

/// Replaces the environment with `env` (the complete new set).
pub async fn set_env(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    env: Vec<String>,
) -> Result<Changed, ChangeError> {
    change(docker, auth, id, |s| {
        let before = spec::env_of(s);
        spec::set_env(s, &env)?;
        Ok(env_change(&before, &env))
    })
    .await
}

/// What changed in an environment, by variable name only (values may be secrets).
pub fn env_change(before: &[String], after: &[String]) -> String {
    let key = |e: &String| e.split('=').next().unwrap_or_default().to_string();
    let find = |list: &[String], k: &str| list.iter().find(|e| key(e) == k).cloned();
    let mut added = Vec::new();
    let mut changed = Vec::new();
    let mut removed = Vec::new();
    for e in after {
        match find(before, &key(e)) {
            None => added.push(key(e)),
            Some(old) if &old != e => changed.push(key(e)),
            _ => {}
        }
    }
    for e in before {
        if find(after, &key(e)).is_none() {
            removed.push(key(e));
        }
    }
    let mut parts = Vec::new();
    for (label, list) in [("added", added), ("changed", changed), ("removed", removed)] {
        if !list.is_empty() {
            parts.push(format!("{label} {}", list.join(", ")));
        }
    }
    if parts.is_empty() {
        "environment unchanged".into()
    } else {
        format!("environment: {}", parts.join("; "))
    }
}

pub async fn set_ports(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    lines: &[String],
) -> Result<Changed, ChangeError> {
    let ports = flags::parse_ports(lines).map_err(ChangeError::Invalid)?;
    change(docker, auth, id, |s| {
        let before: Vec<String> = spec::ports_of(s).iter().map(flags::format_port).collect();
        spec::set_ports(s, &ports)?;
        let after: Vec<String> = ports.iter().map(flags::format_port).collect();
        Ok(format!(
            "ports [{}] → [{}]",
            before.join(" "),
            after.join(" ")
        ))
    })
    .await
}

pub async fn set_constraints(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    lines: &[String],
) -> Result<Changed, ChangeError> {
    let constraints = flags::parse_constraints(lines).map_err(ChangeError::Invalid)?;
    change(docker, auth, id, |s| {
        let before = spec::constraints_of(s);
        spec::set_constraints(s, &constraints)?;
        Ok(format!(
            "constraints [{}] → [{}]",
            before.join(", "),
            constraints.join(", ")
        ))
    })
    .await
}

pub async fn set_resources(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    new: Resources,
) -> Result<Changed, ChangeError> {
    change(docker, auth, id, |s| {
        let before = spec::resources_of(s);
        spec::set_resources(s, &new)?;
        let show = |r: &Resources| {
            let i = spec::ResourcesInput::from_resources(r);
            let f = |x: &str| {
                if x.is_empty() {
                    "-".to_string()
                } else {
                    x.to_string()
                }
            };
            format!(
                "limits cpu {} mem {}, reservations cpu {} mem {}",
                f(&i.limit_cpu),
                f(&i.limit_memory),
                f(&i.reserve_cpu),
                f(&i.reserve_memory)
            )
        };
        Ok(format!("resources {} → {}", show(&before), show(&new)))
    })
    .await
}

/// Points the service's secret or config references from `old_id` to `new_id` (rotation):
/// `list` is `Secrets` or `Configs`, `fields` its id and name keys. The target file, uid,
/// gid and mode of each reference stay as they are.
#[allow(clippy::too_many_arguments)]
pub async fn swap_file_ref(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
    list: &str,
    fields: (&str, &str),
    old_id: &str,
    new_id: &str,
    new_name: &str,
) -> Result<Changed, ChangeError> {
    let (id_key, name_key) = fields;
    change(docker, auth, id, |s| {
        let refs = s
            .pointer_mut(&format!("/TaskTemplate/ContainerSpec/{list}"))
            .and_then(Value::as_array_mut)
            .ok_or_else(|| "the service no longer mounts it".to_string())?;
        let mut old_name = None;
        for r in refs.iter_mut() {
            if r[id_key].as_str() == Some(old_id) {
                old_name = Some(r[name_key].as_str().unwrap_or(old_id).to_string());
                r[id_key] = Value::String(new_id.to_string());
                r[name_key] = Value::String(new_name.to_string());
            }
        }
        match old_name {
            Some(old) => Ok(format!("{old} → {new_name}")),
            None => Err("the service no longer mounts it".into()),
        }
    })
    .await
}

/// Replaces every task with a fresh one, the spec otherwise unchanged (`--force`).
pub async fn redeploy(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
) -> Result<Changed, ChangeError> {
    redeploy_checked(docker, auth, ANYONE, id).await
}

/// [`redeploy`] if `guard` allows it on the spec written.
pub async fn redeploy_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
) -> Result<Changed, ChangeError> {
    change_checked(docker, auth, guard, id, |s| {
        spec::bump_force_update(s)?;
        Ok("rolling restart of every task".into())
    })
    .await
}

/// Pull and redeploy: resolves the running image's tag again on its registry (with
/// credentials) and deploys the digest it names now; when that is the digest already running,
/// the tasks are replaced anyway (they pull the tag again). Nothing is sent when the registry
/// cannot resolve the tag and berth holds credentials for it (the error says why), nor for an
/// image pinned by digest alone (there is no tag to follow).
pub async fn pull_redeploy(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
) -> Result<Changed, ChangeError> {
    pull_redeploy_checked(docker, auth, ANYONE, id).await
}

/// [`pull_redeploy`] if `guard` allows it (asked before the registry is, and on the spec
/// written).
pub async fn pull_redeploy_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
) -> Result<Changed, ChangeError> {
    let cur = current(docker, id).await?;
    guard(stack_of(&cur.spec)).map_err(ChangeError::Refused)?;
    let running = reference::split(spec::image_of(&cur.spec));
    if running.tag.is_none() && running.digest.is_some() {
        return Err(ChangeError::Invalid(format!(
            "{} runs an image pinned by digest without a tag: there is no tag to pull again; set an image with a tag",
            cur.name
        )));
    }
    let tag = running.without_digest();
    update_image_checked(docker, auth, guard, id, &tag).await
}

/// Docker's own rollback to the spec before the last update (`rollback=previous`).
pub async fn rollback(
    docker: &Docker,
    auth: &RegistryAuth,
    id: &str,
) -> Result<Changed, ChangeError> {
    rollback_checked(docker, auth, ANYONE, id).await
}

/// [`rollback`] if `guard` allows it on the spec written.
pub async fn rollback_checked(
    docker: &Docker,
    auth: &RegistryAuth,
    guard: Guard<'_>,
    id: &str,
) -> Result<Changed, ChangeError> {
    for _ in 0..ATTEMPTS {
        let cur = current(docker, id).await?;
        guard(stack_of(&cur.spec)).map_err(ChangeError::Refused)?;
        let Some(previous) = &cur.previous else {
            return Err(ChangeError::Invalid(
                "This service has not been updated since it was created: there is no previous spec to roll back to."
                    .into(),
            ));
        };
        let creds = auth.for_image(spec::image_of(previous));
        match write(docker, &cur, &cur.spec, true, creds).await {
            Ok(warnings) => {
                return Ok(Changed {
                    id: cur.id,
                    name: cur.name,
                    detail: "rolled back to the previous spec".into(),
                    warnings,
                });
            }
            Err(e) if out_of_sequence(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(stale().into())
}

/// Removes the service (its tasks stop).
pub async fn remove(docker: &Docker, id: &str) -> Result<Changed, DockerError> {
    let cur = current(docker, id).await?;
    docker.delete_service(&cur.id).await?;
    Ok(Changed {
        id: cur.id,
        name: cur.name,
        detail: "removed".into(),
        warnings: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_changes_name_variables_never_values() {
        let before = vec!["A=1".to_string(), "B=secret".into(), "C=3".into()];
        let after = vec!["A=1".to_string(), "B=other".into(), "D=4".into()];
        let d = env_change(&before, &after);
        assert_eq!(d, "environment: added D; changed B; removed C");
        assert!(!d.contains("secret") && !d.contains("other"));
        assert_eq!(env_change(&before, &before), "environment unchanged");
    }
}
