//! One consistent, immutable view of the swarm: what every page and live part reads.
//! Cheap to hand out (an `Arc`); each kind of object is `Arc`ed on its own, so publishing a
//! change to one service's tasks copies nothing else.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use super::task::Task;
use crate::docker::nodes::{self, NodeInfo};
use crate::docker::services::ServiceSummary;
use crate::docker::tasks::TaskInfo;

/// Whether the model is in step with Docker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Connection {
    /// Not loaded yet.
    #[default]
    Starting,
    /// Loaded and following Docker's event stream.
    Live,
    /// The stream or a load failed: the model shows the last known state and retries.
    Down { error: Arc<str> },
}

/// The generation at which each kind of object last changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changes {
    pub nodes: u64,
    pub services: u64,
    pub tasks: u64,
    pub networks: u64,
    pub secrets: u64,
    pub configs: u64,
    pub swarm: u64,
}

/// A stack, derived from the `com.docker.stack.namespace` label of its services (like
/// `docker stack ls`), with its task counts and failing slots: the type `stack::list` returns.
pub type Stack = crate::stack::StackSummary;

/// A swarm-scoped network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub driver: String,
    pub scope: String,
    pub stack: String,
    pub attachable: bool,
    pub internal: bool,
    pub ingress: bool,
    pub created: Option<i64>,
}

/// A secret or a config (never its data).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Object {
    pub id: String,
    pub name: String,
    pub stack: String,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    /// berth's own state in the swarm (label `berth.state`): not listed on the pages
    pub berth_state: bool,
}

pub type Secret = Object;
pub type Config = Object;

/// The swarm itself (`docker swarm inspect`): its id, creation time and join tokens.
pub type Swarm = crate::docker::swarm::SwarmInfo;

/// Tasks grouped by service id.
pub(crate) type TaskMap = BTreeMap<Arc<str>, Arc<Vec<Task>>>;

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// bumps on every publish
    pub generation: u64,
    pub connection: Connection,
    /// the last successful full load or reconcile
    pub synced_at: Option<SystemTime>,
    /// the last published change
    pub updated_at: Option<SystemTime>,
    pub changed: Changes,
    pub(crate) nodes: Arc<Vec<NodeInfo>>,
    pub(crate) services: Arc<Vec<ServiceSummary>>,
    pub(crate) tasks: Arc<TaskMap>,
    pub(crate) stacks: Arc<Vec<Stack>>,
    pub(crate) networks: Arc<Vec<Network>>,
    pub(crate) secrets: Arc<Vec<Secret>>,
    pub(crate) configs: Arc<Vec<Config>>,
    pub(crate) swarm: Option<Arc<Swarm>>,
    pub(crate) service_gen: Arc<HashMap<Arc<str>, u64>>,
    pub(crate) node_gen: Arc<HashMap<Arc<str>, u64>>,
}

static NO_TASKS: Vec<Task> = Vec::new();

impl Snapshot {
    pub fn docker_reachable(&self) -> bool {
        self.connection == Connection::Live
    }

    /// Loaded at least once (the lists mean something, even if Docker is down now).
    pub fn is_loaded(&self) -> bool {
        self.synced_at.is_some()
    }

    /// Nodes, sorted by hostname.
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }

    /// A node by id, hostname or unique id prefix (like the CLI).
    pub fn node(&self, key: &str) -> Option<&NodeInfo> {
        nodes::find(&self.nodes, key)
    }

    /// Services, sorted by name.
    pub fn services(&self) -> &[ServiceSummary] {
        &self.services
    }

    /// A service by id, name or unique id prefix.
    pub fn service(&self, key: &str) -> Option<&ServiceSummary> {
        if key.is_empty() {
            return None;
        }
        if let Some(s) = self.services.iter().find(|s| s.id == key || s.name == key) {
            return Some(s);
        }
        let mut by_prefix = self.services.iter().filter(|s| s.id.starts_with(key));
        match (by_prefix.next(), by_prefix.next()) {
            (Some(s), None) => Some(s),
            _ => None,
        }
    }

    /// Every task Docker holds (history included), grouped by service.
    pub fn tasks(&self) -> impl Iterator<Item = &Task> {
        self.tasks.values().flat_map(|v| v.iter())
    }

    pub fn task_count(&self) -> usize {
        self.tasks.values().map(|v| v.len()).sum()
    }

    /// A service's tasks, sorted like `docker service ps`.
    pub fn service_tasks(&self, service_id: &str) -> &[Task] {
        self.tasks.get(service_id).map_or(&NO_TASKS[..], |v| &v[..])
    }

    /// The tasks placed on a node (history included).
    pub fn node_tasks<'a>(&'a self, node_id: &'a str) -> impl Iterator<Item = &'a Task> + 'a {
        self.tasks().filter(move |t| &*t.node_id == node_id)
    }

    /// Stacks in natural order.
    pub fn stacks(&self) -> &[Stack] {
        &self.stacks
    }

    pub fn stack(&self, name: &str) -> Option<&Stack> {
        self.stacks.iter().find(|s| s.name == name)
    }

    pub fn networks(&self) -> &[Network] {
        &self.networks
    }

    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }

    pub fn configs(&self) -> &[Config] {
        &self.configs
    }

    /// The swarm (id, creation, join tokens); `None` before the first load.
    pub fn swarm(&self) -> Option<&Swarm> {
        self.swarm.as_deref()
    }

    /// The dashboard's figures (what `docker::overview::overview` reads from Docker).
    pub fn overview(&self) -> Option<crate::docker::swarm::Overview> {
        let swarm = self.swarm()?;
        Some(crate::docker::overview::overview_of(
            swarm,
            &self.nodes,
            &self.services,
            self.stacks.len(),
        ))
    }

    /// The generation at which this service's summary or its tasks last changed.
    pub fn service_changed(&self, service_id: &str) -> u64 {
        self.service_gen.get(service_id).copied().unwrap_or(0)
    }

    /// The generation at which this node or a task placed on it last changed.
    pub fn node_changed(&self, node_id: &str) -> u64 {
        self.node_gen.get(node_id).copied().unwrap_or(0)
    }

    /// service id → name
    pub fn service_names(&self) -> HashMap<String, String> {
        self.services
            .iter()
            .map(|s| (s.id.clone(), s.name.clone()))
            .collect()
    }

    /// node id → hostname
    pub fn node_names(&self) -> HashMap<String, String> {
        self.nodes
            .iter()
            .map(|n| (n.id.clone(), n.display_name().to_string()))
            .collect()
    }

    /// What `docker::nodes::snapshot` returned: nodes, the tasks swarm wants running, names.
    pub fn nodes_snapshot(&self) -> nodes::Snapshot {
        nodes::Snapshot {
            nodes: self.nodes.to_vec(),
            tasks: self
                .tasks()
                .filter(|t| t.desired_state == "running")
                .map(Task::info)
                .collect(),
            services: self.service_names(),
        }
    }

    /// [`Self::nodes_snapshot`] with only the tasks that hold resources on a node: all the
    /// node list counts (a pending task swarm could not place is on no node: at 10,000 of them
    /// the list copies none).
    pub fn nodes_usage_snapshot(&self) -> nodes::Snapshot {
        nodes::Snapshot {
            nodes: self.nodes.to_vec(),
            tasks: self
                .tasks()
                .filter(|t| t.desired_state == "running" && t.occupies_node())
                .map(Task::info)
                .collect(),
            services: self.service_names(),
        }
    }

    /// What `docker::nodes::snapshot_of_node` returned: every task placed on the node.
    pub fn node_snapshot(&self, key: &str) -> Option<nodes::Snapshot> {
        let node = self.node(key)?;
        Some(nodes::Snapshot {
            nodes: self.nodes.to_vec(),
            tasks: self.node_tasks(&node.id).map(Task::info).collect(),
            services: self.service_names(),
        })
    }

    /// What `docker::services::list` returned: every service, or those of one stack.
    pub fn services_list(&self, stack: Option<&str>) -> Vec<ServiceSummary> {
        self.services
            .iter()
            .filter(|s| stack.is_none_or(|st| s.stack == st))
            .cloned()
            .collect()
    }

    /// What `stack::resources` reads from Docker: the stack's networks (its own and the
    /// external ones its services join), secrets, configs and volumes with their users.
    pub fn stack_resources(&self, stack: &str) -> crate::stack::StackResources {
        use crate::stack::resources::{Listed, assemble};
        let networks: Vec<Listed> = self
            .networks
            .iter()
            .map(|n| Listed {
                id: &n.id,
                name: &n.name,
                stack: &n.stack,
                driver: &n.driver,
                scope: &n.scope,
                created: n.created,
            })
            .collect();
        fn listed(o: &[Object]) -> Vec<Listed<'_>> {
            o.iter()
                .map(|o| Listed {
                    id: &o.id,
                    name: &o.name,
                    stack: &o.stack,
                    driver: "",
                    scope: "",
                    created: o.created,
                })
                .collect()
        }
        let secrets = listed(&self.secrets);
        let configs = listed(&self.configs);
        assemble(stack, &self.services, &networks, &secrets, &configs)
    }

    /// What `docker::services::live` returned: the summary, its tasks, node id → hostname.
    pub fn service_live(
        &self,
        key: &str,
    ) -> Option<(ServiceSummary, Vec<TaskInfo>, HashMap<String, String>)> {
        let s = self.service(key)?;
        let tasks = self.service_tasks(&s.id).iter().map(Task::info).collect();
        Some((s.clone(), tasks, self.node_names()))
    }
}
