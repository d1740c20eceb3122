//! Swarm nodes: typed summaries, the one-round-trip snapshot the pages draw from, and the node
//! actions (availability, role, labels, removal, join-token rotation).
//!
//! Every node update reads the node, changes one field of its full current spec and writes it
//! back with the version it read, so nothing the user did not touch is lost; a concurrent
//! change ("update out of sequence") is retried on a fresh read.

pub mod checks;
mod ops;

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::models::{Node, NodeSpecRoleEnum, NodeState, Reachability};
use bollard::query_parameters::ListServicesOptions;

use super::DockerError;
use super::tasks::{self, TaskInfo};

pub use checks::{Availability, Role};
pub use ops::{
    join_commands, join_tokens, remove, remove_label, rotate_join_token, set_availability,
    set_label, set_role,
};

/// One node, flattened for display.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    pub hostname: String,
    /// the optional name set with `docker node update --name`… (rarely used)
    pub name: String,
    pub role: Role,
    pub leader: bool,
    /// ready, down, unknown, disconnected
    pub state: String,
    pub state_message: String,
    /// active, pause, drain
    pub availability: String,
    /// reachable, unreachable, unknown; empty for workers
    pub reachability: String,
    /// the manager's raft address (host:2377); empty for workers
    pub manager_addr: String,
    /// the node's address as the managers see it
    pub addr: String,
    pub engine_version: String,
    pub os: String,
    pub arch: String,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    /// node labels (`node.labels.*` in constraints), sorted by key
    pub labels: Vec<(String, String)>,
    /// engine labels (`engine.labels.*`), sorted by key
    pub engine_labels: Vec<(String, String)>,
    /// (type, name) of the engine's plugins: Network bridge, Volume local, Log json-file…
    pub plugins: Vec<(String, String)>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    pub version: u64,
}

impl NodeInfo {
    pub fn from_node(n: &Node) -> NodeInfo {
        let spec = n.spec.as_ref();
        let desc = n.description.as_ref();
        let engine = desc.and_then(|d| d.engine.as_ref());
        let platform = desc.and_then(|d| d.platform.as_ref());
        let res = desc.and_then(|d| d.resources.as_ref());
        let status = n.status.as_ref();
        let ms = n.manager_status.as_ref();
        let sorted = |m: Option<&HashMap<String, String>>| {
            m.map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<BTreeMap<_, _>>()
                    .into_iter()
                    .collect()
            })
            .unwrap_or_default()
        };
        let role = match spec.and_then(|s| s.role) {
            Some(NodeSpecRoleEnum::MANAGER) => Role::Manager,
            Some(NodeSpecRoleEnum::WORKER) => Role::Worker,
            // the spec is what was asked for; ManagerStatus is what is; both agree once settled
            _ if ms.is_some() => Role::Manager,
            _ => Role::Worker,
        };
        let mut plugins: Vec<(String, String)> = engine
            .and_then(|e| e.plugins.as_ref())
            .map(|ps| {
                ps.iter()
                    .map(|p| {
                        (
                            p.typ.clone().unwrap_or_default(),
                            p.name.clone().unwrap_or_default(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        plugins.sort();
        NodeInfo {
            id: n.id.clone().unwrap_or_default(),
            hostname: desc.and_then(|d| d.hostname.clone()).unwrap_or_default(),
            name: spec.and_then(|s| s.name.clone()).unwrap_or_default(),
            role,
            leader: ms.and_then(|m| m.leader).unwrap_or(false),
            state: status
                .and_then(|s| s.state)
                .unwrap_or(NodeState::UNKNOWN)
                .to_string(),
            state_message: status.and_then(|s| s.message.clone()).unwrap_or_default(),
            availability: spec
                .and_then(|s| s.availability)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            reachability: ms
                .map(|m| m.reachability.unwrap_or(Reachability::UNKNOWN).to_string())
                .unwrap_or_default(),
            manager_addr: ms.and_then(|m| m.addr.clone()).unwrap_or_default(),
            addr: status.and_then(|s| s.addr.clone()).unwrap_or_default(),
            engine_version: engine
                .and_then(|e| e.engine_version.clone())
                .unwrap_or_default(),
            os: platform.and_then(|p| p.os.clone()).unwrap_or_default(),
            arch: platform
                .and_then(|p| p.architecture.clone())
                .unwrap_or_default(),
            nano_cpus: res.and_then(|r| r.nano_cpus).unwrap_or(0),
            memory_bytes: res.and_then(|r| r.memory_bytes).unwrap_or(0),
            labels: sorted(spec.and_then(|s| s.labels.as_ref())),
            engine_labels: sorted(engine.and_then(|e| e.labels.as_ref())),
            plugins,
            created: super::time::unix(n.created_at.as_deref()),
            updated: super::time::unix(n.updated_at.as_deref()),
            version: n.version.as_ref().and_then(|v| v.index).unwrap_or(0),
        }
    }

    pub fn is_manager(&self) -> bool {
        self.role == Role::Manager
    }

    pub fn is_ready(&self) -> bool {
        self.state == "ready"
    }

    pub fn is_down(&self) -> bool {
        self.state == "down"
    }

    /// A manager the raft cluster can count on for quorum.
    pub fn is_reachable_manager(&self) -> bool {
        self.is_manager() && self.reachability == "reachable"
    }

    /// The name people know the node by.
    pub fn display_name(&self) -> &str {
        if !self.hostname.is_empty() {
            &self.hostname
        } else if !self.name.is_empty() {
            &self.name
        } else {
            &self.id
        }
    }

    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }

    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Everything a nodes page draws from, read in one round trip per kind of object.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub nodes: Vec<NodeInfo>,
    pub tasks: Vec<TaskInfo>,
    /// service id → name
    pub services: HashMap<String, String>,
}

impl Snapshot {
    pub fn service_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.services.get(id).map(String::as_str).unwrap_or(id)
    }

    /// Finds a node by ID, hostname or unique ID prefix (like the CLI).
    pub fn find(&self, key: &str) -> Option<&NodeInfo> {
        find(&self.nodes, key)
    }
}

/// Finds a node by ID, hostname or unique ID prefix.
pub fn find<'a>(nodes: &'a [NodeInfo], key: &str) -> Option<&'a NodeInfo> {
    if key.is_empty() {
        return None;
    }
    if let Some(n) = nodes.iter().find(|n| n.id == key) {
        return Some(n);
    }
    let by_host: Vec<_> = nodes
        .iter()
        .filter(|n| n.hostname == key || n.name == key)
        .collect();
    if by_host.len() == 1 {
        return Some(by_host[0]);
    }
    let by_prefix: Vec<_> = nodes.iter().filter(|n| n.id.starts_with(key)).collect();
    (by_prefix.len() == 1).then(|| by_prefix[0])
}

/// All nodes, sorted by hostname.
pub async fn list(docker: &Docker) -> Result<Vec<NodeInfo>, DockerError> {
    let mut nodes: Vec<NodeInfo> = docker
        .list_nodes(None)
        .await?
        .iter()
        .map(NodeInfo::from_node)
        .collect();
    nodes.sort_by(|a, b| a.hostname.cmp(&b.hostname).then(a.id.cmp(&b.id)));
    Ok(nodes)
}

/// Service id → name, from one `list_services` call (no task counts: the cheap form).
pub async fn service_names(docker: &Docker) -> Result<HashMap<String, String>, DockerError> {
    let opts = ListServicesOptions {
        filters: None,
        status: Some(false),
    };
    Ok(docker
        .list_services(Some(opts))
        .await?
        .into_iter()
        .filter_map(|s| Some((s.id?, s.spec?.name?)))
        .collect())
}

/// Nodes, the tasks swarm wants running (with their real state) and service names: what the
/// list and the map show. Three calls, in parallel.
pub async fn snapshot(docker: &Docker) -> Result<Snapshot, DockerError> {
    let (nodes, tasks, services) = tokio::try_join!(
        list(docker),
        tasks::list(docker, &[("desired-state", "running")]),
        service_names(docker),
    )?;
    Ok(Snapshot {
        nodes,
        tasks,
        services,
    })
}

/// Like [`snapshot`], but with every task placed on node `node_id` (history included): what a
/// node's page shows.
pub async fn snapshot_of_node(docker: &Docker, node_id: &str) -> Result<Snapshot, DockerError> {
    let filter = [("node", node_id)];
    let (nodes, tasks, services) = tokio::try_join!(
        list(docker),
        tasks::list(docker, &filter),
        service_names(docker),
    )?;
    Ok(Snapshot {
        nodes,
        tasks,
        services,
    })
}

/// CPU and memory: what the node has, what its tasks reserve, and what they may use at most.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    pub reserved_nano_cpus: i64,
    pub reserved_memory: i64,
    pub limit_nano_cpus: i64,
    pub limit_memory: i64,
    /// tasks that hold resources on the node (assigned…running)
    pub tasks: usize,
    pub running: usize,
}

/// Sums the tasks of `node` that hold resources there (the scheduler's own rule).
pub fn usage<'a>(node: &NodeInfo, tasks: impl IntoIterator<Item = &'a TaskInfo>) -> Usage {
    let mut u = Usage {
        nano_cpus: node.nano_cpus,
        memory_bytes: node.memory_bytes,
        ..Default::default()
    };
    for t in tasks {
        if t.node_id != node.id || !t.occupies_node() {
            continue;
        }
        u.tasks += 1;
        if t.is_running() {
            u.running += 1;
        }
        u.reserved_nano_cpus += t.reserved_nano_cpus;
        u.reserved_memory += t.reserved_memory;
        u.limit_nano_cpus += t.limit_nano_cpus;
        u.limit_memory += t.limit_memory;
    }
    u
}

/// One node, by ID or name.
pub async fn inspect(docker: &Docker, id: &str) -> Result<NodeInfo, DockerError> {
    Ok(NodeInfo::from_node(&docker.inspect_node(id).await?))
}

/// The name to show for a node, or `id` itself when it cannot be read.
pub async fn display_name(docker: &Docker, id: &str) -> String {
    match inspect(docker, id).await {
        Ok(n) => n.display_name().to_string(),
        Err(_) => id.to_string(),
    }
}

#[cfg(test)]
mod tests;
