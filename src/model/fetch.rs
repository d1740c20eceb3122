//! The model's reads from Docker: one call per kind for a full load, one object (or one
//! service's tasks) for a refresh. Nothing else in the model talks to Docker.

use std::collections::HashMap;

use bollard::Docker;
use bollard::query_parameters::{
    ListConfigsOptions, ListNetworksOptions, ListSecretsOptions, ListServicesOptions,
};

use super::snapshot::{Config, Network, Object, Secret, Swarm};
use super::task::Task;
use super::wire::{self, Interner};
use crate::docker::DockerError;
use crate::docker::nodes::NodeInfo;
use crate::docker::raw;
use crate::docker::services::ServiceSummary;
use crate::docker::swarm::STACK_NAMESPACE_LABEL;

/// Everything, one call per kind.
pub struct Full {
    pub nodes: Vec<NodeInfo>,
    pub services: Vec<(ServiceSummary, u64)>,
    pub tasks: Vec<Task>,
    pub networks: Vec<Network>,
    pub secrets: Vec<Secret>,
    pub configs: Vec<Config>,
    pub swarm: Swarm,
}

pub async fn full(docker: &Docker, strings: &mut Interner) -> Result<Full, DockerError> {
    // the tasks first and alone: the biggest answer, decoded before the rest arrives
    let tasks = tasks(docker, None, strings).await?;
    let (nodes, services, networks, secrets, configs, swarm) = tokio::try_join!(
        nodes(docker),
        services(docker),
        networks(docker),
        secrets(docker),
        configs(docker),
        swarm(docker),
    )?;
    Ok(Full {
        nodes,
        services,
        tasks,
        networks,
        secrets,
        configs,
        swarm,
    })
}

/// The swarm's id, creation time and join tokens.
pub async fn swarm(docker: &Docker) -> Result<Swarm, DockerError> {
    Ok(Swarm::from_swarm(docker.inspect_swarm().await?))
}

pub async fn nodes(docker: &Docker) -> Result<Vec<NodeInfo>, DockerError> {
    Ok(docker
        .list_nodes(None)
        .await?
        .iter()
        .map(NodeInfo::from_node)
        .collect())
}

/// One node; `None` when Docker no longer has it.
pub async fn node(docker: &Docker, id: &str) -> Result<Option<NodeInfo>, DockerError> {
    match docker.inspect_node(id).await {
        Ok(n) => Ok(Some(NodeInfo::from_node(&n))),
        Err(e) => gone(e),
    }
}

/// Every service with Docker's running/desired counts, and its version.
pub async fn services(docker: &Docker) -> Result<Vec<(ServiceSummary, u64)>, DockerError> {
    let opts = ListServicesOptions {
        filters: None,
        status: Some(true),
    };
    Ok(docker
        .list_services(Some(opts))
        .await?
        .iter()
        .map(|s| {
            let version = s.version.as_ref().and_then(|v| v.index).unwrap_or(0);
            (ServiceSummary::from_service(s), version)
        })
        .collect())
}

/// One service (its counts are not in an inspect: the model counts its tasks); `None` when
/// Docker no longer has it.
pub async fn service(
    docker: &Docker,
    id: &str,
) -> Result<Option<(ServiceSummary, u64)>, DockerError> {
    match docker.inspect_service(id, None).await {
        Ok(s) => {
            let version = s.version.as_ref().and_then(|v| v.index).unwrap_or(0);
            Ok(Some((ServiceSummary::from_service(&s), version)))
        }
        Err(e) => gone(e),
    }
}

/// Tasks, all or one service's, decoded into the model's compact form.
pub async fn tasks(
    docker: &Docker,
    service_id: Option<&str>,
    strings: &mut Interner,
) -> Result<Vec<Task>, DockerError> {
    let query = match service_id {
        None => String::new(),
        Some(id) => {
            if !raw::is_plain_ref(id) {
                return Ok(Vec::new());
            }
            let filters = serde_json::json!({ "service": [id] }).to_string();
            form_urlencoded::Serializer::new(String::new())
                .append_pair("filters", &filters)
                .finish()
        }
    };
    let text = match raw::get_text(docker, "/tasks", &query).await {
        Ok(text) => text,
        // Docker resolves the service filter first: a 404 is the service gone (removed since
        // the model last heard of it; its event follows), not Docker lost
        Err(DockerError::NotFound(_)) if service_id.is_some() => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut tasks = wire::tasks(&text, strings).map_err(|e| {
        DockerError::Other(format!("Docker sent a task list berth could not read: {e}"))
    })?;
    if let Some(id) = service_id {
        // the service filter also matches other services by name or id prefix
        tasks.retain(|t| &*t.service_id == id);
    }
    Ok(tasks)
}

fn label(labels: Option<&HashMap<String, String>>) -> String {
    labels
        .and_then(|l| l.get(STACK_NAMESPACE_LABEL).cloned())
        .unwrap_or_default()
}

pub async fn networks(docker: &Docker) -> Result<Vec<Network>, DockerError> {
    let opts = ListNetworksOptions {
        filters: Some(HashMap::from([(
            "scope".to_string(),
            vec!["swarm".to_string()],
        )])),
    };
    Ok(docker
        .list_networks(Some(opts))
        .await?
        .into_iter()
        .map(|n| Network {
            stack: label(n.labels.as_ref()),
            id: n.id.unwrap_or_default(),
            name: n.name.unwrap_or_default(),
            driver: n.driver.unwrap_or_default(),
            scope: n.scope.unwrap_or_default(),
            attachable: n.attachable.unwrap_or(false),
            internal: n.internal.unwrap_or(false),
            ingress: n.ingress.unwrap_or(false),
            created: crate::docker::time::unix(n.created.as_deref()),
        })
        .collect())
}

pub async fn secrets(docker: &Docker) -> Result<Vec<Secret>, DockerError> {
    Ok(docker
        .list_secrets(None::<ListSecretsOptions>)
        .await?
        .into_iter()
        .map(|s| {
            let spec = s.spec.unwrap_or_default();
            Object {
                id: s.id.unwrap_or_default(),
                stack: label(spec.labels.as_ref()),
                name: spec.name.unwrap_or_default(),
                created: crate::docker::time::unix(s.created_at.as_deref()),
                updated: crate::docker::time::unix(s.updated_at.as_deref()),
                berth_state: spec
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.contains_key(crate::swarmstate::store::STATE_LABEL)),
            }
        })
        .collect())
}

pub async fn configs(docker: &Docker) -> Result<Vec<Config>, DockerError> {
    Ok(docker
        .list_configs(None::<ListConfigsOptions>)
        .await?
        .into_iter()
        .map(|s| {
            let spec = s.spec.unwrap_or_default();
            Object {
                id: s.id.unwrap_or_default(),
                stack: label(spec.labels.as_ref()),
                name: spec.name.unwrap_or_default(),
                created: crate::docker::time::unix(s.created_at.as_deref()),
                updated: crate::docker::time::unix(s.updated_at.as_deref()),
                berth_state: spec
                    .labels
                    .as_ref()
                    .is_some_and(|l| l.contains_key(crate::swarmstate::store::STATE_LABEL)),
            }
        })
        .collect())
}

/// A 404 means the object is gone (`Ok(None)`); anything else is an error.
fn gone<T>(e: bollard::errors::Error) -> Result<Option<T>, DockerError> {
    match e {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => Ok(None),
        e => Err(e.into()),
    }
}
