//! The stack module's access to Docker: the bollard client plus raw reads, the label filters,
//! error texts like the docker CLI's, and reading what the swarm holds for a deploy.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bollard::Docker;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
};
use serde_json::Value;

use super::StackError;
use super::plan::{Cluster, ExistingObject, ExternalNetwork, RunningService, user_defined};
use crate::compose::StackSpec;
use crate::compose::convert::LABEL_NAMESPACE;
use crate::docker::{DockerStatus, Engine};

/// The client the stack functions use.
pub(crate) struct Api {
    pub docker: Docker,
}

/// `com.docker.stack.namespace=<stack>`
pub(crate) fn namespace_label(stack: &str) -> String {
    format!("{LABEL_NAMESPACE}={stack}")
}

/// `{"label": ["com.docker.stack.namespace=<stack>"]}`
pub(crate) fn label_filter(stack: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![namespace_label(stack)])])
}

fn filter(key: &str, values: impl IntoIterator<Item = String>) -> HashMap<String, Vec<String>> {
    HashMap::from([(key.to_string(), values.into_iter().collect())])
}

/// A bollard error as the docker CLI words it (`Error response from daemon: …`).
pub(crate) fn error_text(e: &BollardError) -> String {
    match e {
        BollardError::DockerResponseServerError { message, .. } => {
            format!("Error response from daemon: {message}")
        }
        BollardError::RequestTimeoutError => {
            "Docker did not answer in time (the request timed out).".to_string()
        }
        other => crate::docker::error::connection_detail(other),
    }
}

/// A [`DockerError`](crate::docker::DockerError) in the CLI's words.
pub(crate) fn docker_error_text(e: &crate::docker::DockerError) -> String {
    use crate::docker::DockerError as E;
    match e {
        E::NotFound(m) | E::Conflict(m) | E::Refused(m) => {
            format!("Error response from daemon: {m}")
        }
        other => other.to_string(),
    }
}

pub(crate) fn is_not_found(e: &BollardError) -> bool {
    matches!(
        e,
        BollardError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

impl Api {
    /// The engine's client, its API version negotiated.
    pub(crate) async fn new(engine: &Engine) -> Result<Api, StackError> {
        if matches!(engine.status().status, DockerStatus::Unknown) {
            engine.refresh().await;
        }
        let docker = engine
            .client()
            .map_err(|e| StackError::Docker(e.to_string()))?;
        Ok(Api { docker })
    }

    pub(crate) fn error(&self, e: &BollardError) -> String {
        error_text(e)
    }

    /// `GET /info`: the node must be a swarm manager (5.1 step 4).
    pub(crate) async fn require_manager(&self) -> Result<(), StackError> {
        let info = self
            .docker
            .info()
            .await
            .map_err(|e| StackError::Docker(error_text(&e)))?;
        let manager = info
            .swarm
            .and_then(|s| s.control_available)
            .unwrap_or(false);
        if !manager {
            return Err(StackError::Docker(
                "this node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again".into(),
            ));
        }
        Ok(())
    }

    /// The stack's services with their specs exactly as stored: read raw, because bollard's
    /// typed model spells the health check `HealthCheck` and would drop the daemon's
    /// `Healthcheck` (and any field it does not know), and the diff needs the stored spec.
    pub(crate) async fn stack_services(&self, stack: &str) -> Result<Vec<RunningService>, String> {
        let filters = serde_json::json!({ "label": { namespace_label(stack): true } });
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("filters", &filters.to_string())
            .finish();
        let list = crate::docker::raw::get(&self.docker, "/services", &query)
            .await
            .map_err(|e| docker_error_text(&e))?;
        Ok(list
            .as_array()
            .map(|a| a.iter().filter_map(running_service).collect())
            .unwrap_or_default())
    }

    /// Everything a deploy of `spec` needs to know about the swarm, read in parallel.
    pub(crate) async fn read_cluster(&self, spec: &StackSpec) -> Result<Cluster, StackError> {
        let stack = spec.namespace.as_str();
        let d = &self.docker;
        let err = |e: BollardError| StackError::Docker(error_text(&e));
        let service_names: BTreeSet<String> =
            spec.services.iter().map(|s| s.name.clone()).collect();
        let created_networks: BTreeSet<String> = spec
            .networks
            .iter()
            .filter(|n| !n.external)
            .map(|n| n.name.clone())
            .collect();
        let externals: BTreeSet<String> = spec
            .networks
            .iter()
            .filter(|n| n.external && user_defined(&n.name))
            .map(|n| n.name.clone())
            .collect();
        let secret_names: BTreeSet<String> = spec
            .secrets
            .iter()
            .map(|s| s.name.clone())
            .chain(spec.services.iter().flat_map(|s| s.secret_names.clone()))
            .collect();
        let config_names: BTreeSet<String> = spec
            .configs
            .iter()
            .map(|s| s.name.clone())
            .chain(spec.services.iter().flat_map(|s| s.config_names.clone()))
            .collect();

        let services = async { self.stack_services(stack).await.map_err(StackError::Docker) };
        let named_services = async {
            if service_names.is_empty() {
                return Ok(Vec::new());
            }
            let opts = ListServicesOptions {
                filters: Some(filter("name", service_names.iter().cloned())),
                status: None,
            };
            d.list_services(Some(opts)).await.map_err(err)
        };
        let stack_networks = async {
            let opts = ListNetworksOptions {
                filters: Some(label_filter(stack)),
            };
            d.list_networks(Some(opts)).await.map_err(err)
        };
        let named_networks = async {
            if created_networks.is_empty() {
                return Ok(Vec::new());
            }
            let opts = ListNetworksOptions {
                filters: Some(filter("name", created_networks.iter().cloned())),
            };
            d.list_networks(Some(opts)).await.map_err(err)
        };
        let external = async {
            let mut out = BTreeMap::new();
            for name in &externals {
                let state = match d.inspect_network(name, None).await {
                    Ok(n) => ExternalNetwork::Found {
                        id: n.id.unwrap_or_default(),
                        scope: n.scope.unwrap_or_default(),
                    },
                    Err(e) if is_not_found(&e) => ExternalNetwork::Missing,
                    Err(e) => ExternalNetwork::Error(error_text(&e)),
                };
                out.insert(name.clone(), state);
            }
            Ok::<_, StackError>(out)
        };
        let secrets = async {
            if secret_names.is_empty() {
                return Ok(Vec::new());
            }
            let opts = ListSecretsOptions {
                filters: Some(filter("name", secret_names.iter().cloned())),
            };
            d.list_secrets(Some(opts)).await.map_err(err)
        };
        let configs = async {
            if config_names.is_empty() {
                return Ok(Vec::new());
            }
            let opts = ListConfigsOptions {
                filters: Some(filter("name", config_names.iter().cloned())),
            };
            d.list_configs(Some(opts)).await.map_err(err)
        };
        let (services, named_services, stack_networks, named_networks, externals, secrets, configs) =
            tokio::try_join!(
                services,
                named_services,
                stack_networks,
                named_networks,
                external,
                secrets,
                configs
            )?;

        let namespace = |labels: &Option<HashMap<String, String>>| {
            labels
                .as_ref()
                .and_then(|l| l.get(LABEL_NAMESPACE))
                .cloned()
        };
        let ours: BTreeSet<&str> = services.iter().map(|s| s.name.as_str()).collect();
        let foreign_services = named_services
            .iter()
            .filter_map(|s| s.spec.as_ref().and_then(|sp| sp.name.clone()))
            .filter(|n| service_names.contains(n) && !ours.contains(n.as_str()))
            .collect();
        let networks: BTreeMap<String, String> = stack_networks
            .iter()
            .filter_map(|n| Some((n.name.clone()?, n.id.clone().unwrap_or_default())))
            .collect();
        let foreign_networks = named_networks
            .iter()
            .filter(|n| {
                n.name.as_ref().is_some_and(|name| {
                    created_networks.contains(name) && !networks.contains_key(name)
                })
            })
            .filter_map(|n| Some((n.name.clone()?, namespace(&n.labels).unwrap_or_default())))
            .collect();
        let secrets = secrets
            .into_iter()
            .filter_map(|s| {
                let spec = s.spec?;
                let name = spec.name.clone().filter(|n| secret_names.contains(n))?;
                Some((
                    name,
                    ExistingObject {
                        id: s.id.unwrap_or_default(),
                        version: s.version.and_then(|v| v.index).unwrap_or(0),
                        labels: spec.labels.unwrap_or_default(),
                        data: None,
                        templating: spec.templating.map(|t| t.name),
                    },
                ))
            })
            .collect();
        let configs = configs
            .into_iter()
            .filter_map(|c| {
                let spec = c.spec?;
                let name = spec.name.clone().filter(|n| config_names.contains(n))?;
                Some((
                    name,
                    ExistingObject {
                        id: c.id.unwrap_or_default(),
                        version: c.version.and_then(|v| v.index).unwrap_or(0),
                        labels: spec.labels.unwrap_or_default(),
                        data: Some(spec.data.unwrap_or_default()),
                        templating: spec.templating.map(|t| t.name),
                    },
                ))
            })
            .collect();
        Ok(Cluster {
            services,
            foreign_services,
            networks,
            foreign_networks,
            externals,
            secrets,
            configs,
        })
    }
}

/// A service from the raw list: ID, version, name and the stored spec.
fn running_service(v: &Value) -> Option<RunningService> {
    let spec = v.get("Spec")?.clone();
    Some(RunningService {
        id: v.get("ID")?.as_str()?.to_string(),
        version: v
            .pointer("/Version/Index")
            .and_then(Value::as_u64)
            .unwrap_or(0),
        name: spec.get("Name")?.as_str()?.to_string(),
        update_started: v
            .pointer("/UpdateStatus/StartedAt")
            .and_then(Value::as_str)
            .map(str::to_string),
        spec,
    })
}
