//! The berth agent: `berth agent`, one task per node (a global service in berth's stack file),
//! mounting that node's Docker socket and serving a small signed HTTP API on an internal
//! overlay network; and berth's side of it, which finds the agents through swarm DNS and pulls
//! their figures into the live model.
//!
//! - [`sign`]: the mutual authentication (HMAC-SHA256 over every request and answer).
//! - [`sampler`] and [`server`]: the agent process.
//! - [`client`] and [`hub`]: berth's side (discovery, the key handed over as a Docker secret,
//!   one pull per agent per interval whatever the number of viewers).

pub mod client;
pub mod console;
pub mod exec;
pub mod hub;
pub mod sampler;
pub mod server;
pub mod sign;
pub mod storage;

use serde::{Deserialize, Serialize};

/// Where an agent's key file is mounted (the Docker secret berth creates).
pub const KEY_FILE: &str = "/run/secrets/berth_agent_key";
/// The secret's file name under /run/secrets.
pub const KEY_SECRET_FILE: &str = "berth_agent_key";
/// Most containers an agent reports (a node with more lists the first ones).
pub const MAX_CONTAINERS: usize = 2000;

/// Who an agent is: the node whose Docker socket it holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AgentInfo {
    pub node_id: String,
    pub hostname: String,
    pub version: String,
}

/// One container's use of its node, from two consecutive samples.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct ContainerUsage {
    pub id: String,
    pub name: String,
    pub image: String,
    /// Docker's state: running, paused, …
    pub state: String,
    /// Swarm task, service and stack (none for a container started outside swarm).
    pub task_id: Option<String>,
    pub service_name: Option<String>,
    pub stack: Option<String>,
    /// CPU in percent of one core (200 = two cores busy); null until the second sample.
    pub cpu_percent: Option<f64>,
    /// Memory in use (without the page cache, as `docker stats` counts it).
    pub memory_bytes: u64,
    /// The container's memory limit (the node's memory when it has none).
    pub memory_limit: u64,
}

/// All containers of a node at one sampling.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct NodeReport {
    pub node_id: String,
    pub hostname: String,
    /// When the sample was taken (Unix milliseconds, the agent's clock).
    pub sampled_at_ms: i64,
    pub interval_ms: u64,
    pub cpus: u32,
    pub memory_total: u64,
    pub containers: Vec<ContainerUsage>,
    /// A problem of the last sampling (e.g. Docker did not answer), if any.
    pub error: Option<String>,
}

impl NodeReport {
    /// The containers' CPU together, in percent of one core.
    pub fn cpu_percent(&self) -> f64 {
        self.containers.iter().filter_map(|c| c.cpu_percent).sum()
    }

    pub fn memory_bytes(&self) -> u64 {
        self.containers.iter().map(|c| c.memory_bytes).sum()
    }
}
