//! The one place that talks to the Docker Engine API.
//!
//! [`Engine`] holds the client and a continuously refreshed [`DockerStatus`], so every page can
//! say exactly what is wrong with Docker without waiting for it, and berth recovers by itself
//! within seconds when Docker comes back.

pub mod auth;
pub mod error;
pub mod nodes;
pub mod objects;
pub mod overview;
pub mod raw;
pub mod selfstack;
pub mod services;
pub mod swarm;
pub mod tasks;
pub mod time;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::LocalNodeState;
use tokio::sync::Notify;

pub use error::DockerError;

/// How often the status is re-read while Docker is healthy, and while it is not.
const CHECK_HEALTHY: Duration = Duration::from_secs(5);
const CHECK_UNHEALTHY: Duration = Duration::from_secs(1);
/// Each status probe gives up after this long (an unanswering TCP host must not stall pages).
const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What berth knows about the engine it is pointed at.
#[derive(Debug, Clone, PartialEq)]
pub enum DockerStatus {
    /// Not checked yet (the first probe runs at start-up).
    Unknown,
    /// The API does not answer.
    Unreachable { error: String },
    /// The engine answers but is not part of a swarm (or its swarm membership is broken).
    NotInSwarm {
        state: String,
        error: Option<String>,
        engine_version: String,
    },
    /// The engine is a swarm worker: berth needs a manager's API.
    Worker {
        managers: Vec<String>,
        engine_version: String,
    },
    /// A swarm manager: everything works.
    Manager(ManagerInfo),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ManagerInfo {
    pub engine_version: String,
    pub api_version: String,
    pub node_id: String,
    pub node_addr: String,
    pub hostname: String,
    pub nodes: i64,
    pub managers: i64,
}

impl DockerStatus {
    pub fn is_manager(&self) -> bool {
        matches!(self, DockerStatus::Manager(_))
    }
}

/// A status with the time it was last confirmed.
#[derive(Debug, Clone)]
pub struct StatusSnapshot {
    pub status: DockerStatus,
    pub checked_at: Option<Instant>,
}

struct Inner {
    host: String,
    client: RwLock<Result<Docker, String>>,
    status: RwLock<StatusSnapshot>,
    wake: Notify,
}

/// The Docker client plus the monitored status. Cheap to clone.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

impl Engine {
    /// Prepares a client for `host` (`unix:///path`, a bare socket path, or `tcp://h:p`).
    /// Never fails: a bad address is reported as the status, like an unreachable engine.
    pub fn new(host: &str) -> Engine {
        let host = normalize_host(host);
        let client = connect(&host);
        let status = match &client {
            Ok(_) => DockerStatus::Unknown,
            Err(e) => DockerStatus::Unreachable { error: e.clone() },
        };
        Engine(Arc::new(Inner {
            host,
            client: RwLock::new(client),
            status: RwLock::new(StatusSnapshot {
                status,
                checked_at: None,
            }),
            wake: Notify::new(),
        }))
    }

    /// The address berth talks to, as shown to users.
    pub fn host(&self) -> &str {
        &self.0.host
    }

    /// The API client, or why there is none.
    pub fn client(&self) -> Result<Docker, DockerError> {
        match &*self.0.client.read().unwrap_or_else(|p| p.into_inner()) {
            Ok(d) => Ok(d.clone()),
            Err(e) => Err(DockerError::Unreachable {
                host: self.0.host.clone(),
                error: e.clone(),
            }),
        }
    }

    /// The client, only when the engine is a reachable swarm manager; otherwise the reason.
    pub fn manager(&self) -> Result<Docker, DockerError> {
        match self.status().status {
            DockerStatus::Manager(_) => self.client(),
            DockerStatus::Unreachable { error } => Err(DockerError::Unreachable {
                host: self.0.host.clone(),
                error,
            }),
            DockerStatus::NotInSwarm { .. } => Err(DockerError::NotInSwarm),
            DockerStatus::Worker { .. } => Err(DockerError::NotManager),
            DockerStatus::Unknown => self.client(),
        }
    }

    pub fn status(&self) -> StatusSnapshot {
        self.0
            .status
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Asks the monitor to re-check now (after an action that changes the swarm).
    pub fn recheck(&self) {
        self.0.wake.notify_one();
    }

    /// Probes the engine once and stores the result.
    pub async fn refresh(&self) -> DockerStatus {
        let was_reachable = matches!(
            self.status().status,
            DockerStatus::Manager(_)
                | DockerStatus::Worker { .. }
                | DockerStatus::NotInSwarm { .. }
        );
        if !was_reachable {
            // agree on the API version first (bollard speaks 1.53, a 20.10 engine 1.41)
            let _ = tokio::time::timeout(PROBE_TIMEOUT, self.negotiate()).await;
        }
        let status = match self.client() {
            Err(e) => DockerStatus::Unreachable { error: e.detail() },
            Ok(client) => match tokio::time::timeout(PROBE_TIMEOUT, probe(&client)).await {
                Ok(s) => s,
                Err(_) => DockerStatus::Unreachable {
                    error: format!("no answer within {} s", PROBE_TIMEOUT.as_secs()),
                },
            },
        };
        let previous = {
            let mut slot = self.0.status.write().unwrap_or_else(|p| p.into_inner());
            let previous = std::mem::replace(
                &mut *slot,
                StatusSnapshot {
                    status: status.clone(),
                    checked_at: Some(Instant::now()),
                },
            );
            previous.status
        };
        if std::mem::discriminant(&previous) != std::mem::discriminant(&status) {
            match &status {
                DockerStatus::Manager(m) => tracing::info!(
                    host = %self.0.host, engine = %m.engine_version, api = %m.api_version,
                    "docker: connected to swarm manager {}", m.hostname
                ),
                DockerStatus::Unreachable { error } => {
                    tracing::warn!(host = %self.0.host, "docker: unreachable: {error}")
                }
                DockerStatus::NotInSwarm { state, .. } => {
                    tracing::warn!(host = %self.0.host, "docker: engine is not in a swarm (state {state})")
                }
                DockerStatus::Worker { .. } => {
                    tracing::warn!(host = %self.0.host, "docker: engine is a swarm worker, not a manager")
                }
                DockerStatus::Unknown => {}
            }
        }
        status
    }

    /// Agrees on the API version with the daemon.
    async fn negotiate(&self) {
        let Ok(client) = self.client() else { return };
        match client.negotiate_version().await {
            Ok(negotiated) => {
                *self.0.client.write().unwrap_or_else(|p| p.into_inner()) = Ok(negotiated);
            }
            Err(e) => tracing::debug!("docker: version negotiation failed: {e}"),
        }
    }

    /// Runs forever: re-checks the status periodically, faster while something is wrong.
    pub async fn monitor(self) {
        self.monitor_unless(|| false).await
    }

    /// Like [`Engine::monitor`], but the periodic probe stands down while `in_step` says
    /// something else already proves the manager answers (the live model's event stream):
    /// an idle berth then makes no status calls. A [`Engine::recheck`] always probes.
    pub async fn monitor_unless(self, in_step: impl Fn() -> bool) {
        let mut status = self.refresh().await;
        loop {
            let wait = if status.is_manager() {
                CHECK_HEALTHY
            } else {
                CHECK_UNHEALTHY
            };
            let woken = tokio::select! {
                _ = tokio::time::sleep(wait) => false,
                _ = self.0.wake.notified() => true,
            };
            if woken || !status.is_manager() || !in_step() {
                status = self.refresh().await;
            }
        }
    }
}

fn normalize_host(host: &str) -> String {
    let h = host.trim();
    if h.is_empty() {
        "unix:///var/run/docker.sock".to_string()
    } else if h.starts_with('/') {
        format!("unix://{h}")
    } else {
        h.to_string()
    }
}

fn connect(host: &str) -> Result<Docker, String> {
    Docker::connect_with_host(host)
        .map(|d| d.with_timeout(Duration::from_secs(120)))
        .map_err(|e| format!("cannot use DOCKER_HOST {host:?}: {e}"))
}

async fn probe(client: &Docker) -> DockerStatus {
    if let Err(e) = client.ping().await {
        return DockerStatus::Unreachable {
            error: error::connection_detail(&e),
        };
    }
    let info = match client.info().await {
        Ok(i) => i,
        Err(e) => {
            return DockerStatus::Unreachable {
                error: error::connection_detail(&e),
            };
        }
    };
    let engine_version = info.server_version.clone().unwrap_or_default();
    let swarm = info.swarm.unwrap_or_default();
    let state = swarm.local_node_state.unwrap_or(LocalNodeState::EMPTY);
    if state != LocalNodeState::ACTIVE {
        return DockerStatus::NotInSwarm {
            state: match state {
                LocalNodeState::EMPTY => "inactive".to_string(),
                s => s.to_string(),
            },
            error: swarm.error.filter(|e| !e.is_empty()),
            engine_version,
        };
    }
    if !swarm.control_available.unwrap_or(false) {
        return DockerStatus::Worker {
            managers: swarm
                .remote_managers
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| p.addr)
                .collect(),
            engine_version,
        };
    }
    let api_version = client.client_version().to_string();
    DockerStatus::Manager(ManagerInfo {
        engine_version,
        api_version,
        node_id: swarm.node_id.unwrap_or_default(),
        node_addr: swarm.node_addr.unwrap_or_default(),
        hostname: info.name.unwrap_or_default(),
        nodes: swarm.nodes.unwrap_or(0),
        managers: swarm.managers.unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_normalized() {
        assert_eq!(normalize_host("/run/x.sock"), "unix:///run/x.sock");
        assert_eq!(normalize_host(""), "unix:///var/run/docker.sock");
        assert_eq!(normalize_host("tcp://10.0.0.1:2375"), "tcp://10.0.0.1:2375");
    }

    #[tokio::test]
    async fn a_missing_socket_is_reported_as_unreachable() {
        let e = Engine::new("unix:///nonexistent/berth-test.sock");
        match e.refresh().await {
            DockerStatus::Unreachable { error } => assert!(!error.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
    }
}
