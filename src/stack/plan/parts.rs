//! The parts of a plan: networks, secrets and configs, services, stale services.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{ConfigSpec, SecretSpec, ServiceSpec};
use serde_json::Value;

use super::super::apiver;
use super::super::diff::{ServiceDiff, diff_service};
use super::super::image::{self, Registry};
use super::{
    Action, Cluster, ExistingObject, ExternalNetwork, LOCAL_DRIVERS, NetworkChange, ObjectChange,
    PlanOptions, RunningService, ServiceChange, pending_id, user_defined,
};
use crate::compose::{ComposeError, Config, StackSpec};

/// What planning works with, and the problems and warnings it collects.
pub(super) struct Cx<'a> {
    pub spec: &'a StackSpec,
    pub cfg: &'a Config,
    pub cluster: &'a Cluster,
    pub pins: &'a image::Pins,
    pub problems: Vec<ComposeError>,
    pub warnings: Vec<String>,
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

/// The ID a secret/config reference resolves to: an existing object's, or a placeholder for
/// one this deploy creates.
fn object_id(spec: &StackSpec, cluster: &Cluster, secret: bool, name: &str) -> Option<String> {
    let (declared, existing) = if secret {
        (
            spec.secrets.iter().any(|s| s.name == name),
            &cluster.secrets,
        )
    } else {
        (
            spec.configs.iter().any(|s| s.name == name),
            &cluster.configs,
        )
    };
    match existing.get(name) {
        Some(e) => Some(e.id.clone()),
        None => declared.then(|| pending_id(name)),
    }
}

impl Cx<'_> {
    fn problem(&mut self, path: &str, msg: String) {
        self.problems.push(
            ComposeError::new(msg)
                .with_path(path)
                .at(self.cfg.locations.find(path)),
        );
    }

    /// Networks (5.1 step 6): externals checked, the others created unless they exist.
    pub fn networks(&mut self) -> Vec<NetworkChange> {
        let stack = self.spec.namespace.clone();
        let mut networks = Vec::new();
        for n in &self.spec.networks {
            let path = format!("networks.{}", n.key);
            let action = if n.external {
                if user_defined(&n.name) {
                    match self.cluster.externals.get(&n.name) {
                        Some(ExternalNetwork::Found { scope, .. }) if scope != "swarm" => {
                            self.problem(&path, format!(
                                "network \"{}\" is declared as external, but it is not in the right scope: \"{scope}\" instead of \"swarm\"",
                                n.name
                            ))
                        }
                        Some(ExternalNetwork::Found { .. }) => {}
                        Some(ExternalNetwork::Error(e)) => self.problem(&path, e.clone()),
                        Some(ExternalNetwork::Missing) | None => self.problem(&path, format!(
                            "network \"{}\" is declared as external, but could not be found. You need to create a swarm-scoped network before the stack is deployed",
                            n.name
                        )),
                    }
                }
                Action::External
            } else if self.cluster.networks.contains_key(&n.name) {
                Action::Exists
            } else {
                let driver = n
                    .create
                    .as_ref()
                    .and_then(|c| c.driver.as_deref())
                    .unwrap_or("overlay");
                if LOCAL_DRIVERS.contains(&driver) {
                    self.problem(&format!("{path}.driver"), format!(
                        "network {} uses the {driver} driver, which is local to each node: swarm services can only use swarm-scoped networks (driver overlay)",
                        n.name
                    ));
                }
                if let Some(owner) = self.cluster.foreign_networks.get(&n.name) {
                    self.problem(
                        &path,
                        format!(
                            "network {} already exists and is not part of stack {stack}{}",
                            n.name,
                            owned_by(owner)
                        ),
                    );
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

        networks
    }

    /// Secrets and configs (5.1 steps 7 and 8).
    pub fn secrets_and_configs(
        &mut self,
    ) -> (Vec<ObjectChange<SecretSpec>>, Vec<ObjectChange<ConfigSpec>>) {
        let mut secrets = Vec::new();
        for s in &self.spec.secrets {
            let existing = self.cluster.secrets.get(&s.name);
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
        for c in &self.spec.configs {
            let existing = self.cluster.configs.get(&c.name);
            if let Some(e) = existing
                && e.data.clone().unwrap_or_default() != c.spec.data.clone().unwrap_or_default()
            {
                self.problem(&format!("configs.{}", c.key), format!(
                    "config {} exists with other content, and swarm configs cannot be changed: give the changed config a new name (name: …) or remove the stack first",
                    c.name
                ));
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
        (secrets, configs)
    }

    /// Services (5.2–5.5): create, or update with a field diff, or leave unchanged.
    pub fn services(&mut self, registry: &Registry, opts: PlanOptions) -> Vec<ServiceChange> {
        let (spec, cluster) = (self.spec, self.cluster);
        let stack = &spec.namespace;
        let secret_id = |name: &str| object_id(spec, cluster, true, name);
        let config_id = |name: &str| object_id(spec, cluster, false, name);
        let running: BTreeMap<&str, &RunningService> = cluster
            .services
            .iter()
            .map(|s| (s.name.as_str(), s))
            .collect();
        let mut services = Vec::new();
        for p in &spec.services {
            let path = format!("services.{}", p.key);
            let mut sp = p.clone();
            self.warnings
                .extend(apiver::adjust(&p.name, &mut sp.spec, opts.api));
            if let Err(e) = sp.resolve_ids(&secret_id, &config_id) {
                let at = if e.message.contains("secret not found") {
                    format!("{path}.secrets")
                } else {
                    format!("{path}.configs")
                };
                self.problem(&at, e.message);
                continue;
            }
            let current = running.get(p.name.as_str()).copied();
            if current.is_none() && cluster.foreign_services.contains(&p.name) {
                self.problem(
                    &path,
                    format!(
                        "service {} already exists and is not part of stack {stack}",
                        p.name
                    ),
                );
            }
            let chosen = image::choose(p, current, opts.resolve_image, registry, self.pins);
            if let Some(w) = &chosen.warning
                && !self.warnings.contains(w)
            {
                self.warnings.push(w.clone());
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
                        self.problem(&format!("{path}.deploy.mode"), format!(
                            "service {}: swarm cannot change a service's mode from {from} to {to}; remove the service (or the stack) first",
                            p.name
                        ));
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

        services
    }

    /// Stack services no longer in the file (5.1 step 5): pruned, or left as orphans.
    pub fn stale_services(&mut self, prune_them: bool) -> (Vec<ServiceChange>, Vec<String>) {
        let (spec, cluster) = (self.spec, self.cluster);
        // stack services whose descoped name is not a compose key
        let prefix = format!("{}_", spec.namespace);
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
            if prune_them {
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

        (prune, orphans)
    }
}
