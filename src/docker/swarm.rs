//! The swarm at a glance: cluster, node and service counts, join commands; swarm init.

use std::collections::{BTreeMap, BTreeSet};

use bollard::Docker;
use bollard::models::{JoinTokens, Swarm, SwarmInitRequest};
use bollard::query_parameters::ListServicesOptions;

use super::DockerError;
use super::nodes::NodeInfo;
use super::services::ServiceSummary;

/// The label `docker stack deploy` puts on everything of a stack.
pub const STACK_NAMESPACE_LABEL: &str = "com.docker.stack.namespace";

#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub cluster_id: String,
    pub created_unix: Option<i64>,
    pub managers: usize,
    pub workers: usize,
    pub nodes_total: usize,
    pub nodes_ready: usize,
    pub nodes_down: usize,
    /// unknown or disconnected (e.g. right after a leader change): neither ready nor down
    pub nodes_other: usize,
    pub nodes_drained: usize,
    pub services: usize,
    pub services_degraded: usize,
    pub tasks_running: u64,
    pub tasks_desired: u64,
    pub stacks: usize,
    /// engine version → number of nodes running it
    pub engine_versions: Vec<(String, usize)>,
    pub total_cpus: f64,
    pub total_memory: i64,
    pub join: JoinCommands,
}

#[derive(Debug, Clone, Default)]
pub struct JoinCommands {
    pub manager_addr: String,
    pub worker: String,
    pub manager: String,
}

/// The swarm itself (`docker swarm inspect`): its id, creation time and join tokens.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SwarmInfo {
    pub id: String,
    pub created: Option<i64>,
    pub join_tokens: JoinTokens,
}

impl SwarmInfo {
    pub fn from_swarm(s: Swarm) -> SwarmInfo {
        SwarmInfo {
            id: s.id.unwrap_or_default(),
            created: super::time::unix(s.created_at.as_deref()),
            join_tokens: s.join_tokens.unwrap_or_default(),
        }
    }
}

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

/// `docker swarm join --token TOKEN ADDR`, exactly what `docker swarm join-token` prints.
pub fn join_command(token: &str, addr: &str) -> String {
    format!("docker swarm join --token {token} {addr}")
}

/// Turns this engine into the first manager of a new swarm (`docker swarm init`).
pub async fn init(docker: &Docker, advertise_addr: &str) -> Result<String, DockerError> {
    let req = SwarmInitRequest {
        listen_addr: Some("0.0.0.0:2377".to_string()),
        advertise_addr: Some(advertise_addr.to_string()),
        ..Default::default()
    };
    Ok(docker.init_swarm(req).await?)
}

/// Checks an advertise address typed by a user: an IP or host name, with an optional port,
/// or an interface name such as eth0 (what `docker swarm init --advertise-addr` accepts).
pub fn check_advertise_addr(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(
            "Enter the address other nodes will use to reach this manager, e.g. 192.168.1.10.",
        );
    }
    if s.len() > 255
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '-' | '[' | ']' | '_'))
    {
        return Err(
            "That does not look like an address: use an IP address, a host name or an interface name.",
        );
    }
    Ok(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_command_is_what_the_cli_prints() {
        assert_eq!(
            join_command("SWMTKN-1-abc", "10.0.0.1:2377"),
            "docker swarm join --token SWMTKN-1-abc 10.0.0.1:2377"
        );
    }

    #[test]
    fn advertise_addresses() {
        assert_eq!(
            check_advertise_addr(" 192.168.1.10 ").unwrap(),
            "192.168.1.10"
        );
        assert!(check_advertise_addr("eth0").is_ok());
        assert!(check_advertise_addr("[fd00::1]:2377").is_ok());
        assert!(check_advertise_addr("").is_err());
        assert!(check_advertise_addr("1.2.3.4; rm -rf /").is_err());
    }
}
