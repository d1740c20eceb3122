//! The deploy plan, as a pure function: given the converted stack ([`StackSpec`]), what the
//! swarm holds ([`Cluster`]) and the registry's answers, decide what will be created, updated,
//! left unchanged or pruned — and refuse, before anything is touched, what the swarm would
//! refuse midway (STACK_DEPLOY_SPEC 5.1–5.5).

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use serde::Serialize;

use super::apiver::ApiVersion;
pub use super::cluster::{Cluster, ExistingObject, ExternalNetwork, RunningService};
use super::diff::ServiceDiff;
use super::image::{Pins, Registry, ResolveImage};
use crate::compose::{ComposeError, Config, StackSpec};

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
    /// A plan that does nothing (what a refused preview shows).
    pub fn empty(stack: &str) -> Plan {
        Plan {
            stack: stack.to_string(),
            warnings: vec![],
            prune: vec![],
            orphans: vec![],
            networks: vec![],
            secrets: vec![],
            configs: vec![],
            services: vec![],
        }
    }

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

/// Builds the plan, or every reason the swarm would refuse it.
pub fn plan(
    spec: &StackSpec,
    cfg: &Config,
    cluster: &Cluster,
    registry: &Registry,
    opts: PlanOptions,
    warnings: Vec<String>,
) -> Result<Plan, Vec<ComposeError>> {
    plan_pinned(spec, cfg, cluster, registry, &Pins::new(), opts, warnings)
}

/// [`plan`], with some services pinned to exact images (a redeploy of a version from history).
pub fn plan_pinned(
    spec: &StackSpec,
    cfg: &Config,
    cluster: &Cluster,
    registry: &Registry,
    pins: &Pins,
    opts: PlanOptions,
    warnings: Vec<String>,
) -> Result<Plan, Vec<ComposeError>> {
    let mut cx = parts::Cx {
        spec,
        cfg,
        cluster,
        pins,
        problems: Vec::new(),
        warnings,
    };
    let networks = cx.networks();
    let (secrets, configs) = cx.secrets_and_configs();
    let services = cx.services(registry, opts);
    let (prune, orphans) = cx.stale_services(opts.prune);
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    Ok(Plan {
        stack: spec.namespace.clone(),
        warnings: cx.warnings,
        prune,
        orphans,
        networks,
        secrets,
        configs,
        services,
    })
}

mod parts;

#[cfg(test)]
mod tests;
