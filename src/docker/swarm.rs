//! The swarm at a glance: cluster, node and service counts, join commands; swarm init.

use std::collections::{BTreeMap, BTreeSet};

use bollard::Docker;
use bollard::models::{NodeState, SwarmInitRequest};
use bollard::query_parameters::ListServicesOptions;

use super::DockerError;

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

/// One round trip per kind of object (swarm, nodes, services with status), in parallel.
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

    let mut o = Overview {
        cluster_id: swarm.id.clone().unwrap_or_default(),
        created_unix: super::time::unix(swarm.created_at.as_deref()),
        nodes_total: nodes.len(),
        services: services.len(),
        ..Default::default()
    };
    let mut versions: BTreeMap<String, usize> = BTreeMap::new();
    let mut leader_addr = None;
    let mut manager_addr = None;
    for n in &nodes {
        let is_manager = n.manager_status.is_some();
        if is_manager {
            o.managers += 1;
            let addr = n.manager_status.as_ref().and_then(|m| m.addr.clone());
            if n.manager_status
                .as_ref()
                .and_then(|m| m.leader)
                .unwrap_or(false)
            {
                leader_addr = addr.clone();
            }
            if manager_addr.is_none() {
                manager_addr = addr;
            }
        } else {
            o.workers += 1;
        }
        match n.status.as_ref().and_then(|s| s.state) {
            Some(NodeState::READY) => o.nodes_ready += 1,
            Some(NodeState::DOWN) => o.nodes_down += 1,
            _ => o.nodes_other += 1,
        }
        if n.spec
            .as_ref()
            .and_then(|s| s.availability)
            .is_some_and(|a| a == bollard::models::NodeSpecAvailabilityEnum::DRAIN)
        {
            o.nodes_drained += 1;
        }
        let desc = n.description.as_ref();
        if let Some(v) = desc
            .and_then(|d| d.engine.as_ref())
            .and_then(|e| e.engine_version.clone())
        {
            *versions.entry(v).or_default() += 1;
        }
        if let Some(r) = desc.and_then(|d| d.resources.as_ref()) {
            o.total_cpus += r.nano_cpus.unwrap_or(0) as f64 / 1e9;
            o.total_memory += r.memory_bytes.unwrap_or(0);
        }
    }
    o.engine_versions = versions.into_iter().collect();

    let mut stacks = BTreeSet::new();
    for s in &services {
        if let Some(st) = &s.service_status {
            let running = st.running_tasks.unwrap_or(0);
            let desired = st.desired_tasks.unwrap_or(0);
            o.tasks_running += running;
            o.tasks_desired += desired;
            if running < desired {
                o.services_degraded += 1;
            }
        }
        if let Some(ns) = s
            .spec
            .as_ref()
            .and_then(|sp| sp.labels.as_ref())
            .and_then(|l| l.get(STACK_NAMESPACE_LABEL))
        {
            stacks.insert(ns.clone());
        }
    }
    o.stacks = stacks.len();

    let addr = leader_addr.or(manager_addr).unwrap_or_default();
    let tokens = swarm.join_tokens.unwrap_or_default();
    o.join = JoinCommands {
        worker: join_command(tokens.worker.as_deref().unwrap_or_default(), &addr),
        manager: join_command(tokens.manager.as_deref().unwrap_or_default(), &addr),
        manager_addr: addr,
    };
    Ok(o)
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
