//! berth agents in-process: one `berth agent` server per node of a lab, started inside the test
//! process on 127.0.0.1:0 and talking to that node's Docker socket, with a key file in a temp
//! dir; and a [`TestApp`] whose hub pulls them at those fixed addresses (`agent_addrs`) instead
//! of swarm DNS. The agent is the production code (`berth::agent::server::serve`), only its
//! listener and key file differ from a deployed one, so node pages, images and volumes of
//! workers are testable without building berth's release image.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use berth::agent::sign::Key;
use berth::config::ServeArgs;
use tempfile::TempDir;

use super::TestApp;
use super::lab::Lab;

/// How often the in-process agents sample and berth pulls them (the shortest allowed).
pub const INTERVAL: Duration = Duration::from_secs(1);

/// One agent per node of a lab, running until dropped.
pub struct Agents {
    /// The shared key (berth's `DATA_DIR/agent.key`, each agent's key file).
    pub key: Key,
    /// The agents' addresses: `addrs[n - 1]` serves node n.
    pub addrs: Vec<SocketAddr>,
    /// The key file the agents read.
    pub key_file: PathBuf,
    /// The swarm node id of each agent's node: `node_ids[n - 1]` is node n's.
    pub node_ids: Vec<String>,
    stops: Vec<Option<tokio::sync::oneshot::Sender<()>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

impl Agents {
    /// Starts an agent for every node of `lab` (BERTH_LAB_NODES of its settings).
    pub async fn start(lab: &Lab) -> Agents {
        let nodes: usize = lab.setting("BERTH_LAB_NODES").parse().unwrap_or(1);
        let dir = tempfile::tempdir().expect("temp dir");
        let key = Key::generate();
        let key_file = dir.path().join("agent.key");
        std::fs::write(&key_file, key.to_hex()).expect("write the agents' key");
        let mut agents = Agents {
            key,
            addrs: Vec::new(),
            key_file,
            node_ids: Vec::new(),
            stops: Vec::new(),
            tasks: Vec::new(),
            _dir: dir,
        };
        for n in 1..=nodes {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let settings = berth::agent::server::Settings {
                listen: addr,
                docker_host: lab.host(n),
                key_file: agents.key_file.clone(),
                interval: INTERVAL,
            };
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let task = tokio::spawn(async move {
                let stopped = async {
                    let _ = rx.await;
                };
                if let Err(e) = berth::agent::server::serve(listener, settings, stopped).await {
                    eprintln!("in-process agent for node {n} stopped: {e:#}");
                }
            });
            let id = lab
                .docker_cli(n, &["info", "--format", "{{.Swarm.NodeID}}"])
                .unwrap_or_else(|e| panic!("node {n} of lab {}: {e}", lab.name));
            agents.node_ids.push(id.trim().to_string());
            agents.addrs.push(addr);
            agents.stops.push(Some(tx));
            agents.tasks.push(task);
        }
        agents
    }

    /// The address of node `n`'s agent (1-based).
    pub fn addr(&self, n: usize) -> SocketAddr {
        self.addrs[n - 1]
    }

    /// Points berth at these agents: fixed addresses, the agents' key as its
    /// `DATA_DIR/agent.key`, the shortest interval.
    pub fn configure(&self, args: &mut ServeArgs) {
        std::fs::create_dir_all(&args.data_dir).expect("data dir");
        let path = args.data_dir.join("agent.key");
        std::fs::write(&path, self.key.to_hex()).expect("berth's agent key");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        args.agent_addrs = self.addrs.clone();
        args.agent_interval = INTERVAL;
    }

    /// berth on `lab`'s manager using these agents, an admin signed in, once every agent's
    /// node has a report in the model (its first sampling pulled).
    pub async fn app(&self, lab: &Lab) -> TestApp {
        self.app_with(lab, |_| {}).await
    }

    /// Like [`Agents::app`], with more settings changed.
    pub async fn app_with(&self, lab: &Lab, tweak: impl FnOnce(&mut ServeArgs)) -> TestApp {
        let app = TestApp::with(&lab.manager_host(), |a| {
            self.configure(a);
            tweak(a);
        })
        .await;
        app.setup_admin().await;
        super::eventually(
            60,
            "every in-process agent's report in berth's model",
            || {
                let usage = app.state.agents.usage();
                let all = self
                    .node_ids
                    .iter()
                    .all(|id| usage.live_report(id).is_some());
                async move { all.then_some(()) }
            },
        )
        .await;
        app
    }

    /// Stops node `n`'s agent (its address then refuses connections).
    pub async fn stop(&mut self, n: usize) {
        if let Some(tx) = self.stops[n - 1].take() {
            let _ = tx.send(());
        }
        let task = std::mem::replace(&mut self.tasks[n - 1], tokio::spawn(async {}));
        let _ = task.await;
    }
}

impl Drop for Agents {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}
