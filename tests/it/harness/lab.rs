//! The swarm labs the test runner (scripts/test) brought up. Each is named by an environment
//! variable `BERTH_TEST_LAB_<WHICH>=instance`; sockets follow scripts/lab's convention.

use std::process::Command;
use std::sync::OnceLock;

use bollard::Docker;
use tokio::sync::{Mutex, MutexGuard};

/// One lab instance: N dockerds in network namespaces forming a swarm.
#[derive(Debug)]
pub struct Lab {
    pub name: String,
    script: String,
    lock: Mutex<()>,
}

const WHICH: [&str; 8] = [
    "one", "multi", "chaos", "parity", "registry", "alerts", "agent", "ha",
];

/// Which lab: `one` (1 node, shared by most tests), `multi` (1 manager + 2 workers, 1 s
/// heartbeat), `chaos` (1 node that tests stop, restart and take out of its swarm), `parity`
/// (1 node, drained, for the stack parity suite: specs are stored, no task ever runs),
/// `registry` (1 manager + 1 worker whose tasks pull, with the lab's registry: see
/// [`super::registry`]), `alerts` (1 manager + 1 worker, 1 s heartbeat: the alert tests kill
/// its worker), `agent` (1 manager + 2 workers with berth's image on every node: the
/// project's docker-compose.yml deployed with its agents), `ha` (3 managers, 1 s heartbeat, berth's image
/// on every node: berth deployed by its stack file survives the loss of its manager).
/// Each is read from its environment variable on first use, so a run that needs only some labs
/// needs only their variables.
pub fn lab(which: &str) -> &'static Lab {
    static LABS: [OnceLock<Lab>; 8] = [const { OnceLock::new() }; 8];
    let idx = WHICH.iter().position(|w| *w == which).expect("known lab");
    LABS[idx].get_or_init(|| {
        let script = std::env::var("BERTH_TEST_LAB_SCRIPT").unwrap_or_else(|_| {
            panic!(
                "BERTH_TEST_LAB_SCRIPT is not set: the integration tests need the project's swarm labs. \
                 Run them with `sudo scripts/test` (it brings the labs up and sets BERTH_TEST_*)."
            )
        });
        let var = format!("BERTH_TEST_LAB_{}", which.to_uppercase());
        let name =
            std::env::var(&var).unwrap_or_else(|_| panic!("{var} is not set (run scripts/test)"));
        Lab {
            name,
            script,
            lock: Mutex::new(()),
        }
    })
}

impl Lab {
    /// DOCKER_HOST of node `n` (1-based); node 1 is the first manager.
    pub fn host(&self, n: usize) -> String {
        format!("unix:///run/berth-lab/{}/node{n}.sock", self.name)
    }

    pub fn manager_host(&self) -> String {
        self.host(1)
    }

    pub fn docker(&self, n: usize) -> Docker {
        Docker::connect_with_host(&self.host(n)).expect("lab socket address")
    }

    /// Exclusive use, for tests that change the lab (stop a node, drain, leave the swarm).
    /// The lab is first put back in shape: every node running, node 1 a swarm manager.
    pub async fn exclusive(&self) -> MutexGuard<'_, ()> {
        let guard = self.lock.lock().await;
        let t0 = std::time::Instant::now();
        self.restore();
        if std::env::var("BERTH_TEST_LAB_DEBUG").is_ok() {
            eprintln!(
                "lab {}: restored in {:.1} s",
                self.name,
                t0.elapsed().as_secs_f64()
            );
        }
        guard
    }

    /// A value from the lab's settings file (`/run/berth-lab/<inst>/lab.env`).
    pub fn setting(&self, key: &str) -> String {
        let path = format!("/run/berth-lab/{}/lab.env", self.name);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .unwrap_or_else(|| panic!("{key} not in {path}"))
            .to_string()
    }

    /// The address of node `n` on the lab network.
    pub fn ip(&self, n: usize) -> String {
        self.setting(&format!("BERTH_LAB_NODE{n}_IP"))
    }

    fn restore(&self) {
        let nodes: usize = self.setting("BERTH_LAB_NODES").parse().unwrap_or(1);
        for n in 1..=nodes {
            if self
                .docker_cli(n, &["version", "--format", "{{.Server.Version}}"])
                .is_err()
            {
                self.run(&["start-node", &n.to_string()]);
            }
        }
        let state = self
            .docker_cli(1, &["info", "--format", "{{.Swarm.LocalNodeState}}"])
            .unwrap_or_default();
        if state.trim() == "inactive" {
            self.docker_cli(1, &["swarm", "init", "--advertise-addr", &self.ip(1)])
                .unwrap_or_else(|e| {
                    panic!("cannot re-initialise the swarm of lab {}: {e}", self.name)
                });
        }
        if nodes > 1 {
            self.restore_members(nodes);
        }
    }

    /// Every node back in the swarm in its lab role (node ≤ BERTH_LAB_MANAGERS: manager),
    /// active, without test labels (`berth-test…`); removed nodes re-join with a join token
    /// through their own socket, stale entries of removed nodes are forgotten.
    fn restore_members(&self, nodes: usize) {
        let managers: usize = self.setting("BERTH_LAB_MANAGERS").parse().unwrap_or(1);
        let cli = |n: usize, args: &[&str]| self.docker_cli(n, args).unwrap_or_default();
        let listed = || {
            cli(1, &["node", "ls", "--format", "{{.ID}} {{.Status}}"])
                .lines()
                .filter_map(|l| l.split_once(' '))
                .map(|(id, st)| (id.to_string(), st.to_string()))
                .collect::<Vec<_>>()
        };
        let own_id = |n: usize| {
            cli(n, &["info", "--format", "{{.Swarm.NodeID}}"])
                .trim()
                .to_string()
        };
        let mut members = listed();
        if members.is_empty() {
            // no answer from the managers: quorum is lost (managers stopped or gone for good).
            // Like an operator would: restart the swarm from node 1's state, keeping its data.
            let _ = self.docker_cli(
                1,
                &[
                    "swarm",
                    "init",
                    "--force-new-cluster",
                    "--advertise-addr",
                    &self.ip(1),
                ],
            );
            members = listed();
            assert!(
                !members.is_empty(),
                "lab {}: node 1 does not answer as a swarm manager",
                self.name
            );
        }
        let mut ids = vec![own_id(1)];
        for n in 2..=nodes {
            // a node that was just started needs a moment to reconnect to the managers
            let mut healthy = false;
            let mut id = String::new();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                // a node stuck in "pending" answers `info` only after 20 s: don't wait for it
                let info = self.docker_cli_within(
                    n,
                    3,
                    &[
                        "info",
                        "--format",
                        "{{.Swarm.NodeID}} {{.Swarm.LocalNodeState}}",
                    ],
                );
                let (nid, state) = match &info {
                    Ok(i) => i.trim().split_once(' ').unwrap_or(("", i.trim())),
                    Err(_) => ("", "pending"),
                };
                if !nid.is_empty() {
                    id = nid.to_string();
                }
                if state == "active" && members.iter().any(|(m, _)| *m == id) {
                    healthy = true;
                    break;
                }
                if state != "pending" {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            if healthy {
                ids.push(id);
                continue;
            }
            if id.is_empty() {
                id = own_id(n);
            }
            // out of the swarm, removed, or stuck: leave (after demotion, so that the managers
            // never count a member that left) and join again
            if !id.is_empty() && members.iter().any(|(m, _)| *m == id) {
                let _ = self.docker_cli(1, &["node", "demote", &id]);
            }
            let role = if n <= managers { "manager" } else { "worker" };
            let token = cli(1, &["swarm", "join-token", "-q", role]);
            let _ = self.docker_cli(n, &["swarm", "leave", "--force"]);
            let ip = self.ip(n);
            let manager = format!("{}:2377", self.ip(1));
            self.docker_cli(
                n,
                &[
                    "swarm",
                    "join",
                    "--advertise-addr",
                    &ip,
                    "--token",
                    token.trim(),
                    &manager,
                ],
            )
            .unwrap_or_else(|e| panic!("lab {}: node{n} cannot re-join: {e}", self.name));
            ids.push(own_id(n));
        }
        // entries of nodes that were removed and joined again under a new ID
        for (id, status) in listed() {
            if status == "Down" && !ids.contains(&id) {
                let _ = self.docker_cli(1, &["node", "demote", &id]);
                let _ = self.docker_cli(1, &["node", "rm", "--force", &id]);
            }
        }
        // roles, availability and labels as the lab defines them; then wait until the swarm
        // agrees (a node demoted a moment ago still finishes its move to worker: promoting it
        // again before it has would stall it for half a minute)
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
        loop {
            let mut pending = Vec::new();
            for (i, id) in ids.iter().enumerate() {
                let n = i + 1;
                let want = if n <= managers { "manager" } else { "worker" };
                let spec = cli(
                    1,
                    &[
                        "node",
                        "inspect",
                        id,
                        "--format",
                        "{{.Spec.Role}} {{.Spec.Availability}} {{.Status.State}} \
                         {{if .ManagerStatus}}{{.ManagerStatus.Reachability}}{{else}}none{{end}} \
                         {{range $k, $v := .Spec.Labels}}{{$k}} {{end}}",
                    ],
                );
                let mut words = spec.split_whitespace();
                let role = words.next().unwrap_or("");
                let avail = words.next().unwrap_or("");
                let state = words.next().unwrap_or("");
                let reach = words.next().unwrap_or("");
                let mut args = vec!["node", "update"];
                if role != want {
                    args.extend(["--role", want]);
                }
                if avail != "active" {
                    args.extend(["--availability", "active"]);
                }
                for label in words.filter(|l| l.starts_with("berth-test")) {
                    args.extend(["--label-rm", label]);
                }
                if args.len() > 2 {
                    args.push(id);
                    if let Err(e) = self.docker_cli(1, &args) {
                        pending.push(format!("node{n}: {}", e.trim()));
                    } else {
                        pending.push(format!("node{n}: updated"));
                    }
                    continue;
                }
                // the node itself: a worker no longer runs a manager, a manager does
                let control = self
                    .docker_cli_within(n, 3, &["info", "--format", "{{.Swarm.ControlAvailable}}"])
                    .unwrap_or_default();
                let cert = self.certificate_role(n);
                let settled = state == "ready"
                    && match want {
                        "manager" => {
                            reach == "reachable"
                                && control.trim() == "true"
                                && cert == "swarm-manager"
                        }
                        _ => reach == "none" && control.trim() == "false" && cert == "swarm-worker",
                    };
                if !settled {
                    pending.push(format!(
                        "node{n}: {state}, {reach}, control {}, {cert}",
                        control.trim()
                    ));
                }
            }
            if pending.is_empty() {
                break;
            }
            if std::env::var("BERTH_TEST_LAB_DEBUG").is_ok() {
                eprintln!("lab {}: waiting for {pending:?}", self.name);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "lab {}: the nodes did not settle: {pending:?}",
                self.name
            );
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    }

    /// The role in node `n`'s swarm certificate (`swarm-manager` or `swarm-worker`): the last
    /// step of a promotion or demotion, seconds after the API shows the new role.
    pub fn certificate_role(&self, n: usize) -> &'static str {
        use base64::Engine as _;
        let path = format!(
            "/var/lib/berth-lab/{}/node{n}/docker/swarm/certificates/swarm-node.crt",
            self.name
        );
        let pem = std::fs::read_to_string(path).unwrap_or_default();
        let b64: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap_or_default();
        let has = |s: &[u8]| der.windows(s.len()).any(|w| w == s);
        if has(b"swarm-manager") {
            "swarm-manager"
        } else if has(b"swarm-worker") {
            "swarm-worker"
        } else {
            "no certificate"
        }
    }

    /// Runs `scripts/lab <instance> <args…>` and panics with its output on failure.
    pub fn run(&self, args: &[&str]) -> String {
        let out = Command::new(&self.script)
            .arg(&self.name)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", self.script));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "scripts/lab {} {:?} failed:\n{text}",
            self.name,
            args
        );
        text
    }

    /// Stops node `n`'s dockerd; it starts again when the guard is dropped (even if the test
    /// fails), unless the test started it itself.
    pub fn stop_node(&self, n: usize) -> StoppedNode<'_> {
        self.run(&["stop-node", &n.to_string()]);
        StoppedNode {
            lab: self,
            n,
            running: false,
        }
    }

    /// Kills node `n`'s dockerd and containerd (SIGKILL: a crash; its containers keep running);
    /// like [`Lab::stop_node`], it starts again when the guard is dropped.
    pub fn kill_node(&self, n: usize) -> StoppedNode<'_> {
        self.run(&["stop-node", &n.to_string(), "--kill"]);
        StoppedNode {
            lab: self,
            n,
            running: false,
        }
    }

    /// Like [`Lab::docker_cli`], giving up after `secs` seconds.
    pub fn docker_cli_within(&self, n: usize, secs: u64, args: &[&str]) -> Result<String, String> {
        let out = Command::new("timeout")
            .arg(secs.to_string())
            .arg("docker")
            .arg("-H")
            .arg(self.host(n))
            .args(args)
            .output()
            .map_err(|e| format!("cannot run docker: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).to_string())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    /// Runs the docker CLI against node `n`.
    pub fn docker_cli(&self, n: usize, args: &[&str]) -> Result<String, String> {
        let out = Command::new("docker")
            .arg("-H")
            .arg(self.host(n))
            .args(args)
            .output()
            .map_err(|e| format!("cannot run docker: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).to_string())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }
}

/// A stopped lab node (see [`Lab::stop_node`]).
pub struct StoppedNode<'a> {
    lab: &'a Lab,
    n: usize,
    running: bool,
}

impl StoppedNode<'_> {
    pub fn start(mut self) {
        self.lab.run(&["start-node", &self.n.to_string()]);
        self.running = true;
    }
}

impl Drop for StoppedNode<'_> {
    fn drop(&mut self) {
        if !self.running {
            let _ = Command::new(&self.lab.script)
                .arg(&self.lab.name)
                .args(["start-node", &self.n.to_string()])
                .output();
        }
    }
}
