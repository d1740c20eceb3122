//! The dashboard's figures: the swarm, its nodes and services counted (apart from `swarm`, so the
//! swarm module imports neither nodes nor services).

use std::collections::{BTreeMap, BTreeSet};

use bollard::Docker;
use bollard::query_parameters::ListServicesOptions;

use super::DockerError;
use super::nodes::NodeInfo;
use super::services::ServiceSummary;
use super::swarm::{Overview, SwarmInfo};

/// One round trip per kind of object (swarm, nodes, services with status), in parallel.
/// (The live model holds the same: `Snapshot::overview`.)
pub async fn overview(docker: &Docker) -> Result<Overview, DockerError> {
    let services_opts = ListServicesOptions {
        filters: None,
        status: Some(true),
    };
    let (swarm, nodes, services) = tokio::try_join!(
        async { docker.inspect_swarm().await.map_err(DockerError::from) },
        async { docker.list_nodes(None).await.map_err(DockerError::from) },
        async {
            docker
                .list_services(Some(services_opts))
                .await
                .map_err(DockerError::from)
        },
    )?;
    let nodes: Vec<NodeInfo> = nodes.iter().map(NodeInfo::from_node).collect();
    let services: Vec<ServiceSummary> = services.iter().map(ServiceSummary::from_service).collect();
    let stacks = services
        .iter()
        .filter(|s| !s.stack.is_empty())
        .map(|s| s.stack.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    Ok(overview_of(
        &SwarmInfo::from_swarm(swarm),
        &nodes,
        &services,
        stacks,
    ))
}

/// The dashboard's figures from the swarm, its nodes and services, and the number of stacks.
pub fn overview_of(
    swarm: &SwarmInfo,
    nodes: &[NodeInfo],
    services: &[ServiceSummary],
    stacks: usize,
) -> Overview {
    let mut o = Overview {
        cluster_id: swarm.id.clone(),
        created_unix: swarm.created,
        nodes_total: nodes.len(),
        services: services.len(),
        stacks,
        ..Default::default()
    };
    let mut versions: BTreeMap<String, usize> = BTreeMap::new();
    for n in nodes {
        if n.is_manager() {
            o.managers += 1;
        } else {
            o.workers += 1;
        }
        match n.state.as_str() {
            "ready" => o.nodes_ready += 1,
            "down" => o.nodes_down += 1,
            _ => o.nodes_other += 1,
        }
        if n.availability == "drain" {
            o.nodes_drained += 1;
        }
        if !n.engine_version.is_empty() {
            *versions.entry(n.engine_version.clone()).or_default() += 1;
        }
        o.total_cpus += n.nano_cpus as f64 / 1e9;
        o.total_memory += n.memory_bytes;
    }
    o.engine_versions = versions.into_iter().collect();
    for s in services {
        o.tasks_running += s.running;
        o.tasks_desired += s.desired;
        if s.running < s.desired {
            o.services_degraded += 1;
        }
    }
    o.join = super::nodes::join_commands(&swarm.join_tokens, nodes);
    o
}
