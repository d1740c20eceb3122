//! The registry lab: a real Docker registry (Debian's docker-registry: TLS with a CA made for
//! the lab, htpasswd auth) beside a 2-node swarm whose tasks pull (`SWL_PULL=1`). scripts/test
//! brings it up as `BERTH_TEST_LAB_REGISTRY` (see /work/notes/contracts/registry-lab.md).

use std::io::Write as _;
use std::process::{Command, Stdio};

use super::lab::{Lab, lab};

/// The registry lab's swarm (node 1 a manager, node 2 a worker).
pub fn registry_lab() -> &'static Lab {
    lab("registry")
}

/// Where the lab's registry is and how to log in to it.
#[derive(Debug, Clone)]
pub struct LabRegistry {
    /// `host:port`, e.g. `192.168.228.1:5000`: the image domain and the form's `address`.
    pub addr: String,
    pub user: String,
    pub password: String,
    /// Path of the CA certificate (PEM) the registry's certificate is signed by.
    pub ca_path: String,
    /// The registry's log: one access-log line per request (`"HEAD /v2/… HTTP/1.1" 200`).
    pub log_path: String,
}

impl LabRegistry {
    /// The CA certificate (PEM), as the form's `ca_pem` takes it.
    pub fn ca_pem(&self) -> String {
        std::fs::read_to_string(&self.ca_path).unwrap_or_else(|e| panic!("{}: {e}", self.ca_path))
    }

    /// `ADDR/repo:tag`: the reference a service uses.
    pub fn image(&self, repo_tag: &str) -> String {
        format!("{}/{repo_tag}", self.addr)
    }

    /// Registry requests so far whose request line contains `needle` (e.g.
    /// `"HEAD /v2/app/manifests/v1"`), counted from the access log.
    pub fn requests(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains(needle))
            .count()
    }
}

/// The registry of the registry lab (read from the lab's `registry/registry.env`).
pub fn registry() -> LabRegistry {
    let name = &registry_lab().name;
    let path = format!("/run/berth-lab/{name}/registry/registry.env");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("{path}: {e} (is the registry up? scripts/lab {name} registry up)")
    });
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("BERTH_LAB_REGISTRY_{key}=")))
            .unwrap_or_else(|| panic!("BERTH_LAB_REGISTRY_{key} not in {path}"))
            .to_string()
    };
    LabRegistry {
        addr: get("ADDR"),
        user: get("USER"),
        password: get("PASSWORD"),
        ca_path: get("CA"),
        log_path: get("LOG"),
    }
}

/// Builds a new image on node 1 of the registry lab (FROM the lab's test image, itself built
/// FROM scratch, plus a label unique to this call: every call gives a new digest, and it runs
/// `sleep`, `sh`, …) and pushes it to the lab registry as `repo_tag` (`app/web:v1`). Returns
/// the pushed manifest digest (`sha256:…`).
pub fn push_image(repo_tag: &str) -> String {
    let lab = registry_lab();
    let local = format!("berth-test/pushed:{}", super::unique("p"));
    let nonce = format!(
        "{}-{}",
        super::unique("n"),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    let mut child = Command::new("docker")
        .env("DOCKER_BUILDKIT", "0")
        .args(["-H", &lab.host(1), "build", "-q", "-t", &local, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("docker build starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            format!("FROM berth-test/busybox:1\nLABEL berth.test.nonce=\"{nonce}\"\n").as_bytes(),
        )
        .expect("Dockerfile written");
    let out = child.wait_with_output().expect("docker build runs");
    assert!(
        out.status.success(),
        "docker build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digest = lab.run(&["registry", "push", &local, repo_tag]);
    let _ = lab.docker_cli(1, &["image", "rm", &local]);
    digest
        .lines()
        .rev()
        .find(|l| l.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in the push output: {digest}"))
        .to_string()
}
