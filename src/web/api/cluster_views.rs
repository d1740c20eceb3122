//! Views of nodes, services and tasks as the API answers them.

use serde::Serialize;
use utoipa::ToSchema;

use crate::docker::nodes::NodeInfo;
use crate::docker::services::ServiceSummary;
use crate::docker::tasks::TaskInfo;

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeView {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`
    pub role: String,
    pub leader: bool,
    /// `ready`, `down`, …
    pub state: String,
    /// `active`, `pause`, `drain`
    pub availability: String,
    pub reachability: String,
    pub addr: String,
    pub engine_version: String,
    pub os: String,
    pub arch: String,
    pub nano_cpus: i64,
    pub memory_bytes: i64,
    pub labels: std::collections::BTreeMap<String, String>,
    pub version: u64,
}

impl From<NodeInfo> for NodeView {
    fn from(n: NodeInfo) -> NodeView {
        NodeView {
            role: if n.is_manager() { "manager" } else { "worker" }.to_string(),
            id: n.id,
            hostname: n.hostname,
            leader: n.leader,
            state: n.state,
            availability: n.availability,
            reachability: n.reachability,
            addr: n.addr,
            engine_version: n.engine_version,
            os: n.os,
            arch: n.arch,
            nano_cpus: n.nano_cpus,
            memory_bytes: n.memory_bytes,
            labels: n.labels.into_iter().collect(),
            version: n.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    /// the stack it belongs to (empty: none)
    pub stack: String,
    pub mode: &'static str,
    pub running: u64,
    pub desired: u64,
    pub image: String,
    pub ports: Vec<String>,
    pub created: Option<i64>,
    pub updated: Option<i64>,
    /// the state of its last update or rollback, if any
    pub update_state: Option<&'static str>,
    pub update_message: Option<String>,
}

impl From<ServiceSummary> for ServiceView {
    fn from(s: ServiceSummary) -> ServiceView {
        ServiceView {
            id: s.id,
            name: s.name,
            stack: s.stack,
            mode: s.mode,
            running: s.running,
            desired: s.desired,
            image: s.image,
            ports: s.ports,
            created: s.created,
            updated: s.updated,
            update_state: s.update.as_ref().map(|u| u.state),
            update_message: s.update.map(|u| u.message),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskView {
    pub id: String,
    pub service_id: String,
    pub node_id: String,
    pub slot: Option<i64>,
    pub image: String,
    pub desired_state: String,
    pub state: String,
    pub message: String,
    pub error: String,
    pub since: Option<i64>,
    pub exit_code: Option<i64>,
    pub ports: Vec<String>,
}

impl From<TaskInfo> for TaskView {
    fn from(t: TaskInfo) -> TaskView {
        TaskView {
            id: t.id,
            service_id: t.service_id,
            node_id: t.node_id,
            slot: t.slot,
            image: t.image,
            desired_state: t.desired_state,
            state: t.state,
            message: t.message,
            error: t.error,
            since: t.since,
            exit_code: t.exit_code,
            ports: t.ports,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodesBody {
    pub nodes: Vec<NodeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeBody {
    pub node: NodeView,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServicesBody {
    pub services: Vec<ServiceView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceBody {
    pub service: ServiceView,
    pub tasks: Vec<TaskView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TasksBody {
    pub tasks: Vec<TaskView>,
}

/// What an action did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangedBody {
    pub id: String,
    pub name: String,
    pub detail: String,
    pub warnings: Vec<String>,
}
