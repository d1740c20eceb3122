//! Services pages and actions against a real swarm: what the user sees, and what Docker holds
//! afterwards (`docker service inspect`).

mod actions;
mod browser;
mod create;
mod list;
mod logs;
mod update;

use serde_json::Value;

use crate::harness::lab::Lab;
use crate::harness::{TestApp, eventually, lab};

pub const IMAGE: &str = "berth-test/busybox:1";
/// A command that logs a line and stops fast (with `--init`).
pub const HELLO: &str = "echo hello; exec sleep 3600";

/// Removes the named services when dropped, even when the test fails.
pub struct Cleanup {
    lab: &'static Lab,
    pub names: Vec<String>,
}

impl Cleanup {
    pub fn new(lab: &'static Lab) -> Cleanup {
        Cleanup { lab, names: vec![] }
    }

    pub fn add(&mut self, name: &str) -> String {
        self.names.push(name.to_string());
        name.to_string()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        if !self.names.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(self.names.iter().map(String::as_str));
            let _ = self.lab.docker_cli(1, &args);
        }
    }
}

/// The `one` lab and a signed-in app talking to it.
pub async fn app() -> (&'static Lab, TestApp) {
    let l = lab("one");
    (l, TestApp::signed_in(&l.manager_host()).await)
}

/// `docker service inspect NAME` as JSON (the object, not the list).
pub fn inspect(lab: &Lab, name: &str) -> Value {
    let out = lab
        .docker_cli(1, &["service", "inspect", name])
        .unwrap_or_else(|e| panic!("docker service inspect {name}: {e}"));
    let v: Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

pub fn spec(lab: &Lab, name: &str) -> Value {
    inspect(lab, name)["Spec"].clone()
}

/// The spec exactly as Docker stores it: `GET /services/NAME` without `insertDefaults` (which
/// `docker service inspect` always adds), read straight from the socket.
pub async fn stored(lab: &Lab, name: &str) -> Value {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sock = format!("/run/berth-lab/{}/node1.sock", lab.name);
    let mut s = tokio::net::UnixStream::connect(&sock).await.unwrap();
    s.write_all(format!("GET /v1.41/services/{name} HTTP/1.0\r\nHost: docker\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
        "{head}\n{body}"
    );
    let v: Value = serde_json::from_str(body).unwrap();
    v["Spec"].clone()
}

/// Both views of a spec: `docker service inspect` (Docker's defaults filled in) and what
/// Docker stores. A change must show in both exactly where intended, and nowhere else.
#[derive(Debug, Clone, PartialEq)]
pub struct Specs {
    pub cli: Value,
    pub stored: Value,
}

pub async fn specs(lab: &Lab, name: &str) -> Specs {
    Specs {
        cli: spec(lab, name),
        stored: stored(lab, name).await,
    }
}

/// [`assert_only_changed`] for both views.
#[track_caller]
pub fn assert_only(before: &Specs, after: &Specs, path: &[&str], expected: Value) {
    assert_only_changed(&before.cli, &after.cli, path, expected.clone());
    assert_only_changed(&before.stored, &after.stored, path, expected);
}

pub fn exists(lab: &Lab, name: &str) -> bool {
    lab.docker_cli(1, &["service", "inspect", name]).is_ok()
}

/// A port number no other test of this run uses.
pub fn port() -> u16 {
    use std::sync::atomic::{AtomicU16, Ordering};
    static N: AtomicU16 = AtomicU16::new(0);
    40000 + (std::process::id() % 400) as u16 * 50 + N.fetch_add(1, Ordering::SeqCst)
}

/// `docker service create` (CLI) with many options, as the issue lists them. Returns its id.
pub fn cli_service(lab: &Lab, name: &str, published: u16) -> String {
    let publish = format!("published={published},target=80,mode=host");
    let mount = format!("type=volume,source={name}-data,target=/data");
    let out = lab
        .docker_cli(
            1,
            &[
                "service",
                "create",
                "--detach",
                "--quiet",
                "--name",
                name,
                "--replicas",
                "1",
                "--init",
                "--env",
                "A=1",
                "--env",
                "SECRET=hunter2",
                "--label",
                "svc.label=one",
                "--container-label",
                "ctr.label=two",
                "--constraint",
                "node.role==manager",
                "--limit-cpu",
                "0.5",
                "--limit-memory",
                "64M",
                "--reserve-cpu",
                "0.1",
                "--reserve-memory",
                "16M",
                "--restart-condition",
                "on-failure",
                "--restart-delay",
                "3s",
                "--restart-max-attempts",
                "5",
                "--restart-window",
                "1m",
                "--health-cmd",
                "true",
                "--health-interval",
                "5s",
                "--health-timeout",
                "2s",
                "--health-retries",
                "3",
                "--health-start-period",
                "1s",
                "--mount",
                &mount,
                "--update-parallelism",
                "2",
                "--update-delay",
                "1s",
                "--update-order",
                "start-first",
                "--update-failure-action",
                "continue",
                "--stop-grace-period",
                "3s",
                "--publish",
                &publish,
                IMAGE,
                "sh",
                "-c",
                HELLO,
            ],
        )
        .unwrap_or_else(|e| panic!("docker service create {name}: {e}"));
    out.trim().to_string()
}

/// Asserts that `after` is `before` with exactly the value at `path` replaced by `expected`
/// (`Value::Null`: removed).
#[track_caller]
pub fn assert_only_changed(before: &Value, after: &Value, path: &[&str], expected: Value) {
    let mut want = before.clone();
    let mut cur = &mut want;
    for key in &path[..path.len() - 1] {
        cur = cur
            .as_object_mut()
            .unwrap()
            .entry(key.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    let last = path[path.len() - 1];
    if expected.is_null() {
        cur.as_object_mut().unwrap().remove(last);
    } else {
        cur[last] = expected;
    }
    assert_eq!(
        serde_json::to_string_pretty(after).unwrap(),
        serde_json::to_string_pretty(&want).unwrap(),
        "the spec changed elsewhere than {}",
        path.join(".")
    );
}

/// Waits until the service runs `n` tasks (per `docker service ls`).
pub async fn wait_running(lab: &Lab, name: &str, n: usize) {
    eventually(60, &format!("{name} running {n} tasks"), || async {
        let out = lab
            .docker_cli(
                1,
                &[
                    "service",
                    "ls",
                    "--filter",
                    &format!("name={name}"),
                    "--format",
                    "{{.Name}} {{.Replicas}}",
                ],
            )
            .unwrap_or_default();
        out.lines()
            .any(|l| l.split_whitespace().next() == Some(name) && l.contains(&format!(" {n}/{n}")))
            .then_some(())
    })
    .await
}

/// `text` as askama escapes it in HTML.
pub fn html(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The id berth redirected to after an action (`/services/{id}`).
pub fn redirected_id(location: &str) -> String {
    location
        .strip_prefix("/services/")
        .unwrap_or_else(|| panic!("not a service page: {location}"))
        .to_string()
}
