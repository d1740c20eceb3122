//! The deploy plan, as a pure function: given the converted stack ([`StackSpec`]), what the
//! swarm holds ([`Cluster`]) and the registry's answers, decide what will be created, updated,
//! left unchanged or pruned — and refuse, before anything is touched, what the swarm would
//! refuse midway (STACK_DEPLOY_SPEC 5.1–5.5).

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use serde::Serialize;
use serde_json::Value;

use super::apiver::{self, ApiVersion};
use super::diff::{ServiceDiff, diff_service};
use super::image::{self, Registry, ResolveImage};
use crate::compose::{ComposeError, Config, StackSpec};

/// A service of the stack as the swarm holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunningService {
    pub id: String,
    pub version: u64,
    pub name: String,
    /// `UpdateStatus.StartedAt` (to tell a new update's status from the previous one's).
    pub update_started: Option<String>,
    /// `Spec` exactly as the daemon returns it.
    pub spec: Value,
}

/// A secret or config found by name (whoever owns it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExistingObject {
    pub id: String,
    pub version: u64,
    pub labels: HashMap<String, String>,
    /// Configs only: the base64 data (secrets' data cannot be read back).
    pub data: Option<String>,
    /// The template driver's name, if any.
    pub templating: Option<String>,
}

/// What an external network's name resolves to.
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalNetwork {
    Found {
        id: String,
        scope: String,
    },
    Missing,
    /// Any other error from `GET /networks/{name}`.
    Error(String),
}

/// What the swarm holds that matters for a deploy of one stack.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Cluster {
    /// Services labelled with the stack's namespace.
    pub services: Vec<RunningService>,
    /// Services with one of the stack's service names that are not part of the stack.
    pub foreign_services: Vec<String>,
    /// Networks labelled with the namespace: name → ID.
    pub networks: BTreeMap<String, String>,
    /// Networks the stack would create that exist outside it: name → owning stack (`""`).
    pub foreign_networks: BTreeMap<String, String>,
    /// The stack's user-defined external networks, by name.
    pub externals: BTreeMap<String, ExternalNetwork>,
    /// Secrets found with a name the stack uses.
    pub secrets: BTreeMap<String, ExistingObject>,
    /// Configs found with a name the stack uses.
    pub configs: BTreeMap<String, ExistingObject>,
}

impl Cluster {
    /// Network ID → name, for every network the stack knows about.
    pub fn network_name(&self, id: &str) -> Option<String> {
        self.networks
            .iter()
            .find(|(_, i)| i.as_str() == id)
            .map(|(n, _)| n.clone())
            .or_else(|| {
                self.externals.iter().find_map(|(n, e)| match e {
                    ExternalNetwork::Found { id: i, .. } if i == id => Some(n.clone()),
                    _ => None,
                })
            })
    }
}

/// What a deploy does with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Unchanged,
    /// A network of the stack that exists already (never updated, as in the CLI).
    Exists,
    /// An external network, checked and used as is.
    External,
    /// Removed by `--prune`.
    Remove,
}

/// A network of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkChange {
    pub key: String,
    pub name: String,
    pub action: Action,
    #[serde(skip)]
    pub request: Option<NetworkCreateRequest>,
}

/// A secret or config of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectChange<S> {
    pub key: String,
    pub name: String,
    /// `Create`, `Update` (labels change) or `Unchanged`. Secrets are always sent, because
    /// their data cannot be read back: the daemon compares it and refuses a change.
    pub action: Action,
    pub id: Option<String>,
    #[serde(skip)]
    pub version: u64,
    #[serde(skip)]
    pub spec: S,
}

/// A service of the plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceChange {
    /// Compose key.
    pub key: String,
    /// Engine name (`STACK_key`).
    pub name: String,
    /// `Create`, `Update`, `Unchanged`, or `Remove` (pruned).
    pub action: Action,
    pub id: Option<String>,
    /// Field by field, for an update (empty otherwise).
    pub diff: ServiceDiff,
    /// The image that will be sent (tagged, maybe pinned to a digest).
    pub image: String,
    #[serde(skip)]
    pub version: u64,
    /// `UpdateStatus.StartedAt` of the running service before the deploy.
    #[serde(skip)]
    pub update_started: Option<String>,
    /// The spec to send (secret/config IDs of objects this deploy creates are filled in when
    /// they exist).
    #[serde(skip)]
    pub spec: ServiceSpec,
}

/// Everything a deploy of one stack will do, in the order it does it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub stack: String,
    /// Loader warnings and image-resolution warnings, as the CLI prints them.
    pub warnings: Vec<String>,
    /// Services `--prune` removes (action `Remove`).
    pub prune: Vec<ServiceChange>,
    /// Stack services that are not in the file and stay because `--prune` was not given.
    pub orphans: Vec<String>,
    pub networks: Vec<NetworkChange>,
    pub secrets: Vec<ObjectChange<SecretSpec>>,
    pub configs: Vec<ObjectChange<ConfigSpec>>,
    pub services: Vec<ServiceChange>,
}

impl Plan {
    /// Nothing would change in the swarm.
    pub fn is_noop(&self) -> bool {
        self.prune.is_empty()
            && self.networks.iter().all(|n| n.action != Action::Create)
            && self.configs.iter().all(|c| c.action == Action::Unchanged)
            && self.secrets.iter().all(|c| c.action == Action::Unchanged)
            && self.services.iter().all(|s| s.action == Action::Unchanged)
    }
}

/// Options that shape the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanOptions {
    pub prune: bool,
    pub resolve_image: ResolveImage,
    /// The engine's API version: newer fields are left out (see [`super::apiver`]).
    pub api: ApiVersion,
}

/// Network drivers whose networks are local to a node: the daemon refuses them for services
/// (`The network … cannot be used with services`), after the CLI has created them.
const LOCAL_DRIVERS: &[&str] = &["bridge", "host", "null", "macvlan", "ipvlan"];

/// The placeholder ID of a secret/config this deploy will create.
pub(crate) fn pending_id(name: &str) -> String {
    format!("(created by this deploy: {name})")
}

/// `network.IsUserDefined`: not `host`, `bridge`, `none`, `default` or `container:…`.
pub(crate) fn user_defined(name: &str) -> bool {
    !matches!(name, "host" | "bridge" | "none" | "default") && !name.starts_with("container:")
}

fn located(cfg: &Config, path: &str, msg: String) -> ComposeError {
    ComposeError::new(msg)
        .with_path(path)
        .at(cfg.locations.find(path))
}

fn mode_name(spec: &Value) -> &'static str {
    let mode = spec.get("Mode").and_then(Value::as_object);
    let has = |k: &str| mode.is_some_and(|m| m.contains_key(k));
    if has("Global") {
        "global"
    } else if has("ReplicatedJob") {
        "replicated-job"
    } else if has("GlobalJob") {
        "global-job"
    } else {
        "replicated"
    }
}

/// Builds the plan, or every reason the swarm would refuse it.
pub fn plan(
    spec: &StackSpec,
    cfg: &Config,
    cluster: &Cluster,
    registry: &Registry,
    opts: PlanOptions,
    mut warnings: Vec<String>,
) -> Result<Plan, Vec<ComposeError>> {
    let stack = &spec.namespace;
    let mut problems = Vec::new();

    // networks (5.1 step 6)
    let mut networks = Vec::new();
    for n in &spec.networks {
        let path = format!("networks.{}", n.key);
        let action = if n.external {
            if user_defined(&n.name) {
                match cluster.externals.get(&n.name) {
                    Some(ExternalNetwork::Found { scope, .. }) if scope != "swarm" => {
                        problems.push(located(cfg, &path, format!(
                            "network \"{}\" is declared as external, but it is not in the right scope: \"{scope}\" instead of \"swarm\"",
                            n.name
                        )))
                    }
                    Some(ExternalNetwork::Found { .. }) => {}
                    Some(ExternalNetwork::Error(e)) => problems.push(located(cfg, &path, e.clone())),
                    Some(ExternalNetwork::Missing) | None => problems.push(located(cfg, &path, format!(
                        "network \"{}\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed",
                        n.name
                    ))),
                }
            }
            Action::External
        } else if cluster.networks.contains_key(&n.name) {
            Action::Exists
        } else {
            let driver = n
                .create
                .as_ref()
                .and_then(|c| c.driver.as_deref())
                .unwrap_or("overlay");
            if LOCAL_DRIVERS.contains(&driver) {
                problems.push(located(cfg, &format!("{path}.driver"), format!(
                    "network {} uses the {driver} driver, which is local to each node: swarm services can only use swarm-scoped networks (driver overlay)",
                    n.name
                )));
            }
            if let Some(owner) = cluster.foreign_networks.get(&n.name) {
                problems.push(located(
                    cfg,
                    &path,
                    format!(
                        "network {} already exists and is not part of stack {stack}{}",
                        n.name,
                        owned_by(owner)
                    ),
                ));
            }
            Action::Create
        };
        networks.push(NetworkChange {
            key: n.key.clone(),
            name: n.name.clone(),
            action,
            request: n.create.clone(),
        });
    }

    // secrets and configs (5.1 steps 7 and 8)
    let mut secrets = Vec::new();
    for s in &spec.secrets {
        let existing = cluster.secrets.get(&s.name);
        secrets.push(ObjectChange {
            key: s.key.clone(),
            name: s.name.clone(),
            action: object_action(existing, &s.spec.labels, &s.spec.templating),
            id: existing.map(|e| e.id.clone()),
            version: existing.map_or(0, |e| e.version),
            spec: s.spec.clone(),
        });
    }
    let mut configs = Vec::new();
    for c in &spec.configs {
        let existing = cluster.configs.get(&c.name);
        if let Some(e) = existing
            && e.data.clone().unwrap_or_default() != c.spec.data.clone().unwrap_or_default()
        {
            problems.push(located(cfg, &format!("configs.{}", c.key), format!(
                "config {} exists with other content, and swarm configs cannot be changed: give the changed config a new name (name: …) or remove the stack first",
                c.name
            )));
        }
        configs.push(ObjectChange {
            key: c.key.clone(),
            name: c.name.clone(),
            action: object_action(existing, &c.spec.labels, &c.spec.templating),
            id: existing.map(|e| e.id.clone()),
            version: existing.map_or(0, |e| e.version),
            spec: c.spec.clone(),
        });
    }
    let secret_id = |name: &str| -> Option<String> {
        if spec.secrets.iter().any(|s| s.name == name) {
            return Some(
                cluster
                    .secrets
                    .get(name)
                    .map_or_else(|| pending_id(name), |e| e.id.clone()),
            );
        }
        cluster.secrets.get(name).map(|e| e.id.clone())
    };
    let config_id = |name: &str| -> Option<String> {
        if spec.configs.iter().any(|s| s.name == name) {
            return Some(
                cluster
                    .configs
                    .get(name)
                    .map_or_else(|| pending_id(name), |e| e.id.clone()),
            );
        }
        cluster.configs.get(name).map(|e| e.id.clone())
    };

    // services (5.2–5.5)
    let running: BTreeMap<&str, &RunningService> = cluster
        .services
        .iter()
        .map(|s| (s.name.as_str(), s))
        .collect();
    let mut services = Vec::new();
    for p in &spec.services {
        let path = format!("services.{}", p.key);
        let mut sp = p.clone();
        for w in apiver::adjust(&p.name, &mut sp.spec, opts.api) {
            warnings.push(w);
        }
        if let Err(e) = sp.resolve_ids(&secret_id, &config_id) {
            let at = if e.message.contains("secret not found") {
                format!("{path}.secrets")
            } else {
                format!("{path}.configs")
            };
            problems.push(located(cfg, &at, e.message));
            continue;
        }
        let current = running.get(p.name.as_str()).copied();
        if current.is_none() && cluster.foreign_services.contains(&p.name) {
            problems.push(located(
                cfg,
                &path,
                format!(
                    "service {} already exists and is not part of stack {stack}",
                    p.name
                ),
            ));
        }
        let chosen = image::choose(p, current, opts.resolve_image, registry);
        if let Some(w) = &chosen.warning
            && !warnings.contains(w)
        {
            warnings.push(w.clone());
        }
        let mut out = sp.spec.clone();
        image::apply(&mut out, &chosen);
        let (action, diff, id, version) = match current {
            None => (Action::Create, ServiceDiff::default(), None, 0),
            Some(cur) => {
                let (from, to) = (
                    mode_name(&cur.spec),
                    mode_name(&serde_json::to_value(&out).unwrap_or(Value::Null)),
                );
                if from != to {
                    problems.push(located(cfg, &format!("{path}.deploy.mode"), format!(
                        "service {}: swarm cannot change a service's mode from {from} to {to}; remove the service (or the stack) first",
                        p.name
                    )));
                }
                // 5.4: keep ForceUpdate so that no task is redeployed for it
                let force = cur
                    .spec
                    .pointer("/TaskTemplate/ForceUpdate")
                    .and_then(Value::as_u64)
                    .filter(|f| *f > 0);
                if let Some(tt) = out.task_template.as_mut() {
                    tt.force_update = force;
                }
                let new = serde_json::to_value(&out).unwrap_or(Value::Null);
                let diff = diff_service(&cur.spec, &new, &|id| cluster.network_name(id));
                let action = if diff.is_empty() {
                    Action::Unchanged
                } else {
                    Action::Update
                };
                (action, diff, Some(cur.id.clone()), cur.version)
            }
        };
        services.push(ServiceChange {
            key: p.key.clone(),
            name: p.name.clone(),
            action,
            id,
            diff,
            image: chosen.image,
            version,
            update_started: current.and_then(|c| c.update_started.clone()),
            spec: out,
        });
    }

    // prune (5.1 step 5): stack services whose descoped name is not a compose key
    let prefix = format!("{stack}_");
    let keys: Vec<&str> = spec.services.iter().map(|s| s.key.as_str()).collect();
    let mut prune = Vec::new();
    let mut orphans = Vec::new();
    let mut stale: Vec<&RunningService> = cluster
        .services
        .iter()
        .filter(|s| !keys.contains(&s.name.strip_prefix(&prefix).unwrap_or(&s.name)))
        .collect();
    stale.sort_by(|a, b| a.name.cmp(&b.name));
    for s in stale {
        if opts.prune {
            prune.push(ServiceChange {
                key: s.name.strip_prefix(&prefix).unwrap_or(&s.name).to_string(),
                name: s.name.clone(),
                action: Action::Remove,
                id: Some(s.id.clone()),
                diff: ServiceDiff::default(),
                image: s
                    .spec
                    .pointer("/TaskTemplate/ContainerSpec/Image")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                version: s.version,
                update_started: None,
                spec: ServiceSpec::default(),
            });
        } else {
            orphans.push(s.name.clone());
        }
    }

    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Plan {
        stack: stack.clone(),
        warnings,
        prune,
        orphans,
        networks,
        secrets,
        configs,
        services,
    })
}

fn owned_by(owner: &str) -> String {
    if owner.is_empty() {
        String::new()
    } else {
        format!(" (it belongs to stack {owner})")
    }
}

/// Create, or update when the labels or the template driver differ (the data of a config is
/// compared separately; a secret's cannot be read).
fn object_action(
    existing: Option<&ExistingObject>,
    labels: &Option<HashMap<String, String>>,
    templating: &Option<bollard::models::Driver>,
) -> Action {
    let driver = templating.as_ref().map(|d| d.name.clone());
    match existing {
        None => Action::Create,
        Some(e) if Some(&e.labels) == labels.as_ref() && e.templating == driver => {
            Action::Unchanged
        }
        Some(_) => Action::Update,
    }
}

#[cfg(test)]
mod tests;
