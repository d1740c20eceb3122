//! berth's side of the agents: finds them, hands them the key, pulls their reports.
//!
//! - The agent service is berth's sibling in its own stack (`<stack>_agent`, see
//!   [`crate::selfstack`]) or `--agent-service`. Its tasks are found through swarm DNS,
//!   `tasks.<service>` (the service uses dnsrr endpoints: one address per task).
//! - The key: 32 random bytes made at first start in `DATA_DIR/agent.key`; handed over as the
//!   Docker secret `<service>_key_<fingerprint>` that berth creates and mounts into the agent
//!   service (re-checked every minute: a `docker stack deploy` that drops the mount is healed).
//! - Each agent is asked once per interval for its node's report, whatever the number of
//!   viewers; the reports go into the model's usage part ([`crate::model::usage`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::client::{AgentClient, AgentError};
use super::sign::Key;
use super::{AgentInfo, KEY_SECRET_FILE, NodeReport};
use crate::docker::{DockerError, Engine};
use crate::model::usage::{Agents, Usage};

/// How often the key's secret and mount are checked again.
const SETUP_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Settings {
    /// The agent service's name; None: berth's sibling `<stack>_agent`; Some(""): no agents.
    pub service: Option<String>,
    pub port: u16,
    pub interval: Duration,
    pub data_dir: PathBuf,
    /// Fixed agent addresses instead of swarm DNS (tests, or agents outside berth's stack);
    /// berth then hands no key over: each agent is given `DATA_DIR/agent.key` by whoever
    /// started it. Empty: `tasks.<service>` as above.
    pub addrs: Vec<SocketAddr>,
}

#[derive(Clone)]
pub struct Hub(Arc<Inner>);

struct Inner {
    settings: Settings,
    usage: Usage,
    client: RwLock<Option<AgentClient>>,
    /// which node each agent address belongs to
    nodes: Mutex<HashMap<SocketAddr, String>>,
}

impl Hub {
    pub fn new(settings: Settings) -> Hub {
        Hub(Arc::new(Inner {
            usage: Usage::new(settings.interval),
            settings,
            client: RwLock::new(None),
            nodes: Mutex::new(HashMap::new()),
        }))
    }

    /// The usage part of the model the agents feed.
    pub fn usage(&self) -> &Usage {
        &self.0.usage
    }

    fn client(&self) -> Option<AgentClient> {
        self.0
            .client
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The address of the agent on `node_id`, if one answered.
    pub fn agent_addr(&self, node_id: &str) -> Option<SocketAddr> {
        let nodes = self.0.nodes.lock().unwrap_or_else(|p| p.into_inner());
        nodes
            .iter()
            .find(|(_, n)| n.as_str() == node_id)
            .map(|(addr, _)| *addr)
    }

    /// A signed call to the agent on `node_id`; its JSON answer decoded.
    pub async fn call<T: serde::de::DeserializeOwned>(
        &self,
        node_id: &str,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<T, AgentError> {
        let (Some(client), Some(addr)) = (self.client(), self.agent_addr(node_id)) else {
            return Err(AgentError::Unreachable("no agent on this node".into()));
        };
        let out = client.call(addr, method, path, body).await?;
        serde_json::from_slice(&out).map_err(|e| AgentError::Bad(e.to_string()))
    }

    /// A signed call to the agent on `node_id`; its answer's body (e.g. a log's text).
    pub async fn call_raw(
        &self,
        node_id: &str,
        method: reqwest::Method,
        path: &str,
        body: Vec<u8>,
    ) -> Result<Vec<u8>, AgentError> {
        let (Some(client), Some(addr)) = (self.client(), self.agent_addr(node_id)) else {
            return Err(AgentError::Unreachable("no agent on this node".into()));
        };
        client.call(addr, method, path, body).await
    }

    /// A console's WebSocket to the agent on `node_id` (`path` with its query).
    pub async fn websocket(
        &self,
        node_id: &str,
        path: &str,
    ) -> Result<super::client::AgentSocket, AgentError> {
        let (Some(client), Some(addr)) = (self.client(), self.agent_addr(node_id)) else {
            return Err(AgentError::Unreachable("no agent on this node".into()));
        };
        client.websocket(addr, path).await
    }

    /// Runs discovery and pulls until `stop` turns true.
    pub async fn run(self, engine: Engine, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        let s = &self.0.settings;
        if s.service.as_deref() == Some("") && s.addrs.is_empty() {
            self.usage().set_agents(Agents::Off(
                "agents are turned off (BERTH_AGENT_SERVICE is empty)".into(),
            ));
            return;
        }
        let key = match load_or_create_key(&s.data_dir) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!("agents: {e}");
                self.usage().set_agents(Agents::Off(e));
                return;
            }
        };
        match AgentClient::new(key.clone()) {
            Ok(c) => *self.0.client.write().unwrap_or_else(|p| p.into_inner()) = Some(c),
            Err(e) => {
                self.usage()
                    .set_agents(Agents::Off(format!("agent client: {e}")));
                return;
            }
        }
        let mut service: Option<String> = None;
        let mut set_up: Option<Instant> = None;
        let mut tick = tokio::time::interval(s.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = &mut stop => return,
            }
            if !s.addrs.is_empty() {
                if set_up.is_none() {
                    set_up = Some(Instant::now());
                    self.usage().set_agents(Agents::On {
                        service: format!("{} fixed addresses", s.addrs.len()),
                    });
                }
                self.pull_all(s.addrs.clone()).await;
                continue;
            }
            if set_up.is_none_or(|t| t.elapsed() >= SETUP_EVERY) {
                set_up = Some(Instant::now());
                service = self.set_up(&engine, &key).await;
            }
            if let Some(svc) = &service {
                let port = s.port;
                let addrs: Vec<SocketAddr> =
                    match tokio::net::lookup_host((format!("tasks.{svc}"), port)).await {
                        Ok(a) => a.collect(),
                        Err(_) => Vec::new(), // no task answers the name: every node lacks an agent
                    };
                self.pull_all(addrs).await;
            }
        }
    }

    /// Finds the agent service and hands it the key; the service's name when agents are on.
    async fn set_up(&self, engine: &Engine, key: &Key) -> Option<String> {
        let docker = engine.manager().ok()?;
        let (service, namespace) = match &self.0.settings.service {
            Some(s) => (s.clone(), None),
            None => match crate::selfstack::find(&docker).await {
                Some(me) => (me.sibling("agent"), me.namespace.clone()),
                None => {
                    self.usage().set_agents(Agents::Off(
                        "berth does not run as a swarm service, so it has no agents: deploy the project's docker-compose.yml, or set BERTH_AGENT_SERVICE".into(),
                    ));
                    return None;
                }
            },
        };
        let secret = format!("{service}_key_{}", key.fingerprint());
        let handed = async {
            let id = crate::selfstack::ensure_secret(
                &docker,
                &secret,
                key.to_hex().as_bytes(),
                namespace.as_deref(),
            )
            .await?;
            crate::selfstack::mount_secret(&docker, &service, &id, &secret, KEY_SECRET_FILE).await
        }
        .await;
        match handed {
            Ok(true) => tracing::info!(
                "agents: key {} handed to {service} (its tasks restart)",
                key.fingerprint()
            ),
            Ok(false) => {}
            Err(DockerError::NotFound(_)) => {
                tracing::warn!("agents: no service {service}: every node lacks an agent");
            }
            Err(e) => tracing::warn!(
                "agents: cannot hand the key to {service}: {}",
                e.user_message()
            ),
        }
        self.usage().set_agents(Agents::On {
            service: service.clone(),
        });
        Some(service)
    }

    /// Pulls every agent at `addrs` once; addresses that stopped answering are forgotten.
    async fn pull_all(&self, addrs: Vec<SocketAddr>) {
        let Some(client) = self.client() else { return };
        let pulls = addrs.into_iter().map(|addr| {
            let client = client.clone();
            async move { (addr, self.pull(&client, addr).await) }
        });
        let results = futures_util::future::join_all(pulls).await;
        let mut nodes = self.0.nodes.lock().unwrap_or_else(|p| p.into_inner());
        let live: Vec<SocketAddr> = results.iter().map(|(a, _)| *a).collect();
        nodes.retain(|a, _| live.contains(a));
        for (addr, r) in results {
            match r {
                Ok(node) => {
                    nodes.insert(addr, node);
                }
                Err((Some(node), e)) => {
                    nodes.remove(&addr);
                    self.usage().fail(&node, e.to_string());
                }
                Err((None, e)) => {
                    nodes.remove(&addr);
                    tracing::debug!("agents: {addr}: {e}");
                }
            }
        }
    }

    /// One agent's report into the model; its node's id.
    async fn pull(
        &self,
        client: &AgentClient,
        addr: SocketAddr,
    ) -> Result<String, (Option<String>, AgentError)> {
        let known = self
            .0
            .nodes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&addr)
            .cloned();
        let node = match known {
            Some(n) => n,
            None => {
                client
                    .get::<AgentInfo>(addr, "/v1/info")
                    .await
                    .map_err(|e| (None, e))?
                    .node_id
            }
        };
        let report: NodeReport = client
            .get(addr, "/v1/containers")
            .await
            .map_err(|e| (Some(node.clone()), e))?;
        if report.node_id != node {
            return Err((
                None,
                AgentError::Bad("the agent's address moved to another node".into()),
            ));
        }
        if report.sampled_at_ms > 0 {
            self.usage().record(report);
        }
        Ok(node)
    }
}

/// The agents' key from `DATA_DIR/agent.key`, made (0600) at first start.
fn load_or_create_key(dir: &Path) -> Result<Key, String> {
    let path = dir.join("agent.key");
    match std::fs::read_to_string(&path) {
        Ok(t) => {
            Key::parse(&t).ok_or_else(|| format!("{} does not hold an agent key", path.display()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = Key::generate();
            use std::io::Write;
            use std::os::unix::fs::OpenOptionsExt;
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
            f.write_all(key.to_hex().as_bytes())
                .and_then(|_| f.sync_all())
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            tracing::info!(
                "agents: made the agent key {} in {}",
                key.fingerprint(),
                path.display()
            );
            Ok(key)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}
