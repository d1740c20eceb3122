//! Conversion of a loaded [`Config`] into Docker Engine API specs (bollard models), like
//! docker/cli `cli/compose/convert/{compose.go,service.go,volume.go}` and
//! `cli/command/stack/deploy_composefile.go` (STACK_DEPLOY_SPEC sections 3 and 4).
//!
//! The result is a [`StackSpec`]: what to create, in plain data, for the `stack` module to
//! apply. Conversion is pure except for reading secret/config files through the
//! [`FileSource`].
//!
//! # Secret and config IDs
//! The CLI resolves secret/config *IDs* while converting services (it lists them by name after
//! creating them). Here they are not known yet: every reference carries its name and an empty
//! ID, [`ServicePlan::secret_names`]/[`ServicePlan::config_names`] list the names to look up,
//! and [`ServicePlan::resolve_ids`] fills the IDs (and a credential spec's config ID) once the
//! stack module has created the objects, with the CLI's `secret not found: <name>` errors.
//!
//! # What the stack module still has to do
//! * fill secret/config IDs ([`ServicePlan::resolve_ids`]) after creating/updating them;
//! * tag the image (`super::normalize_image`) and, per `--resolve-image`, pin its digest and set
//!   `TaskTemplate.Placement.Platforms` (STACK_DEPLOY_SPEC 5.5);
//! * on update, copy `TaskTemplate.ForceUpdate` from the running spec (5.4);
//! * check that external networks exist and are swarm-scoped (5.1 step 6).
//!
//! # Differences from the Go client's request bodies
//! The stored spec is what matters; these differ only textually or are normalised:
//! * bollard spells the health check field `HealthCheck`, Go `Healthcheck`; the daemon's JSON
//!   decoding ignores case, so both store the same. Zero values Go sends explicitly
//!   (`ForceUpdate: 0`, `NoNewPrivileges: false`, `Internal: false`, …) are omitted here.
//! * Go always sends `Privileges: {CredentialSpec: null, SELinuxContext: null, …}`; here
//!   `Privileges: {}` (or with a credential spec). Both store the same.
//! * `Resources: {}`, `Placement: {}`, `EndpointSpec: {}` are always sent, as in Go.
//! * Empty network driver: the CLI fills `overlay` at create time; done here directly.
//! * Enum-typed fields (bollard models them as enums): long-syntax port protocol/mode are
//!   matched case-insensitively and unknown values are sent empty — the daemon maps unknown and
//!   empty values to `tcp`/`ingress` in both cases. Values the daemon would reject
//!   (`endpoint_mode`, restart `condition`, `failure_action`, `order`, bind `propagation`) fail
//!   here with the daemon's own message instead of at the API call. `isolation` values other
//!   than `process`/`hyperv` become `default`, as the daemon does.
//! * `ClusterOptions: {}` of `type: cluster` mounts cannot be expressed with bollard 0.21's
//!   `Mount` and is omitted (the daemon treats a cluster mount the same without it).
//! * `max_failure_ratio` is a Go `float32`; it is sent as the shortest decimal of that float32
//!   (`0.3`), like Go's JSON encoder, not as its widened f64.
//! * The CLI creates networks referenced but not declared (with defaults) before failing on
//!   `undefined network`; here the whole conversion fails first, so nothing is created.

mod helpers;
mod mounts;
mod objects;
mod policy;
mod refs;
mod service;

use std::collections::{BTreeMap, BTreeSet};

use bollard::models::{ConfigSpec, NetworkCreateRequest, SecretSpec, ServiceSpec};
use serde::Serialize;

use super::error::ComposeError;
use super::types::Config;
use super::{FileSource, LoadOptions};

/// `com.docker.stack.namespace`
pub const LABEL_NAMESPACE: &str = "com.docker.stack.namespace";
/// `com.docker.stack.image`
pub const LABEL_IMAGE: &str = "com.docker.stack.image";

/// Everything a deploy needs, in the order it should be applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackSpec {
    /// The stack name (namespace).
    pub namespace: String,
    /// Networks referenced by services (including the implicit `default`), sorted by name.
    pub networks: Vec<NetworkPlan>,
    /// Non-external secrets (all declared, even unused), sorted by name.
    pub secrets: Vec<SecretPlan>,
    /// Non-external configs (all declared, even unused), sorted by name.
    pub configs: Vec<ConfigPlan>,
    /// Services, sorted by compose key.
    pub services: Vec<ServicePlan>,
}

/// A network the stack uses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NetworkPlan {
    /// Compose key (`default` for the implicit network).
    pub key: String,
    /// Engine name: `NAME_key`, the `name:` override, or the external name.
    pub name: String,
    /// External networks are not created; the stack module must check they exist and are
    /// swarm-scoped.
    pub external: bool,
    /// The create request (`None` for externals).
    pub create: Option<NetworkCreateRequest>,
}

/// A secret to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretPlan {
    /// Compose key.
    pub key: String,
    /// Engine name.
    pub name: String,
    /// The spec (`Data` is base64, as the Engine API wants it).
    pub spec: SecretSpec,
}

/// A config to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigPlan {
    /// Compose key.
    pub key: String,
    /// Engine name.
    pub name: String,
    /// The spec (`Data` is base64).
    pub spec: ConfigSpec,
}

/// A service to create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServicePlan {
    /// Compose key.
    pub key: String,
    /// Engine name (`NAME_key`).
    pub name: String,
    /// The image exactly as written (after interpolation), also in the
    /// `com.docker.stack.image` label; [`super::normalize_image`] gives the `:latest` form the
    /// client sends.
    pub image: String,
    /// The spec, with empty secret/config IDs (see [`ServicePlan::resolve_ids`]).
    pub spec: ServiceSpec,
    /// Names of the secrets the spec references (sorted, unique).
    pub secret_names: Vec<String>,
    /// Names of the configs the spec references, credential-spec config included (sorted,
    /// unique).
    pub config_names: Vec<String>,
}

impl ServicePlan {
    /// Fills secret and config IDs from name → ID lookups, after the stack module has created
    /// them (`cli/command/service/parse.go` `ParseSecrets`/`ParseConfigs`). Errors are the CLI's
    /// `secret not found: <name>` / `config not found: <name>`.
    pub fn resolve_ids(
        &mut self,
        secret_id: &dyn Fn(&str) -> Option<String>,
        config_id: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), ComposeError> {
        let wrap = |m: String| ComposeError::new(format!("service {}: {m}", self.key));
        let Some(cs) = self
            .spec
            .task_template
            .as_mut()
            .and_then(|t| t.container_spec.as_mut())
        else {
            return Ok(());
        };
        for s in cs.secrets.iter_mut().flatten() {
            let name = s.secret_name.clone().unwrap_or_default();
            match secret_id(&name) {
                Some(id) => s.secret_id = Some(id),
                None => return Err(wrap(format!("secret not found: {name}"))),
            }
        }
        for c in cs.configs.iter_mut().flatten() {
            let name = c.config_name.clone().unwrap_or_default();
            match config_id(&name) {
                Some(id) => c.config_id = Some(id),
                None => return Err(wrap(format!("config not found: {name}"))),
            }
        }
        if let Some(spec) = cs
            .privileges
            .as_mut()
            .and_then(|p| p.credential_spec.as_mut())
            && let Some(name) = spec.config.clone()
        {
            match config_id(&name) {
                Some(id) => spec.config = Some(id),
                None => return Err(wrap(format!("config not found: {name}"))),
            }
        }
        Ok(())
    }
}

/// `Namespace.Scope`.
pub fn scope(namespace: &str, name: &str) -> String {
    format!("{namespace}_{name}")
}

/// `AddStackLabel`.
fn with_stack_label(
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut l = labels.clone();
    l.insert(LABEL_NAMESPACE.to_string(), namespace.to_string());
    l
}

/// Converts a loaded config for stack `stack` (see [`super::convert()`]).
pub fn convert(
    stack: &str,
    cfg: &Config,
    opts: &LoadOptions<'_>,
) -> Result<StackSpec, ComposeError> {
    let files: &dyn FileSource = opts.files;
    // network keys referenced by services (`getServicesNetworks`-like)
    let mut used: BTreeSet<String> = BTreeSet::new();
    for svc in &cfg.services {
        if svc.networks.is_empty() {
            used.insert("default".into());
        } else {
            used.extend(svc.networks.keys().cloned());
        }
    }
    // same order as the CLI: networks, secrets, configs (reading files), then services
    let networks = objects::networks(stack, cfg, &used);
    let secrets = objects::secrets(stack, cfg, files)?;
    let configs = objects::configs(stack, cfg, files)?;
    let mut services = Vec::new();
    for svc in &cfg.services {
        services.push(service::convert_service(stack, cfg, svc)?);
    }
    Ok(StackSpec {
        namespace: stack.to_string(),
        networks,
        secrets,
        configs,
        services,
    })
}
