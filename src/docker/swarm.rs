//! The swarm at a glance: cluster, node and service counts, join commands; swarm init.
use bollard::Docker;
use bollard::models::{JoinTokens, Swarm, SwarmInitRequest};

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
