//! Nodes pages and actions against a real swarm: the `multi` lab (1 manager + 2 workers,
//! 1 s dispatcher heartbeat) for everything that changes nodes, `one` for what changes nothing.

mod actions;
mod agents;
mod lifecycle;
mod pages;
mod storage;

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{
    Node, ResourceObject, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec,
    TaskSpecContainerSpec, TaskSpecPlacement, TaskSpecResources,
};
use bollard::query_parameters::ListTasksOptions;

use crate::dashboard::TEST_IMAGE;
use crate::harness::app::Resp;
use crate::harness::browser::Browser;
use crate::harness::lab::Lab;
use crate::harness::{TestApp, TestServer};

// ---- helpers ----------------------------------------------------------------------------------

pub fn hostname(lab: &Lab, n: usize) -> String {
    lab.setting(&format!("BERTH_LAB_NODE{n}_HOSTNAME"))
}

/// The swarm node ID of lab node `n`, as the node itself reports it.
pub fn node_id(lab: &Lab, n: usize) -> String {
    lab.docker_cli(n, &["info", "--format", "{{.Swarm.NodeID}}"])
        .unwrap()
        .trim()
        .to_string()
}

pub async fn inspect(docker: &Docker, id: &str) -> Node {
    docker.inspect_node(id).await.expect("inspect node")
}

pub fn labels(n: &Node) -> HashMap<String, String> {
    n.spec
        .as_ref()
        .and_then(|s| s.labels.clone())
        .unwrap_or_default()
}

pub fn availability(n: &Node) -> String {
    n.spec
        .as_ref()
        .and_then(|s| s.availability)
        .map(|a| a.to_string())
        .unwrap_or_default()
}

pub fn role(n: &Node) -> String {
    n.spec
        .as_ref()
        .and_then(|s| s.role)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

pub fn reachability(n: &Node) -> String {
    n.manager_status
        .as_ref()
        .and_then(|m| m.reachability)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

/// Posts a form like the page does, expects the redirect, and returns the page it leads to
/// (which carries the flash message).
pub async fn act(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Resp {
    let r = app.post(path, fields).await;
    assert_eq!(r.status.as_u16(), 303, "POST {path} answered:\n{}", r.body);
    let to = r.location();
    app.get(&to).await.expect(200)
}

/// The `<tr>` of a node in the list markup.
pub fn row<'a>(body: &'a str, host: &str) -> &'a str {
    let start = body
        .find(&format!("<tr data-node=\"{host}\""))
        .unwrap_or_else(|| panic!("no row for {host}:\n{body}"));
    let end = body[start..].find("</tr>").unwrap() + start;
    &body[start..end]
}

/// The text of the element carrying `data-testid="id"` (first one).
pub fn testid(body: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\">");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in:\n{body}"))
        + marker.len();
    body[start..].split('<').next().unwrap().trim().to_string()
}

/// A replicated `sleep` service with optional constraints and reservations.
pub fn sleep_service(
    name: &str,
    replicas: i64,
    constraints: &[String],
    reserve: Option<(i64, i64)>,
) -> ServiceSpec {
    ServiceSpec {
        name: Some(name.to_string()),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(replicas),
            }),
            ..Default::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(TEST_IMAGE.to_string()),
                args: Some(vec!["sleep".into(), "3600".into()]),
                init: Some(true),
                ..Default::default()
            }),
            placement: Some(TaskSpecPlacement {
                constraints: Some(constraints.to_vec()),
                ..Default::default()
            }),
            resources: reserve.map(|(cpus, mem)| TaskSpecResources {
                reservations: Some(ResourceObject {
                    nano_cpus: Some(cpus),
                    memory_bytes: Some(mem),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Removes the service when dropped (also when the test fails half-way).
pub struct ServiceGuard<'a> {
    lab: &'a Lab,
    name: String,
}

impl Drop for ServiceGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lab.docker_cli(1, &["service", "rm", &self.name]);
    }
}

pub async fn create(lab: &'static Lab, spec: ServiceSpec) -> ServiceGuard<'static> {
    let name = spec.name.clone().unwrap();
    lab.docker(1)
        .create_service(spec, None)
        .await
        .expect("create service");
    ServiceGuard { lab, name }
}

/// Running tasks of `service`, as (node id, slot).
pub async fn running_tasks(docker: &Docker, service: &str) -> Vec<(String, i64)> {
    let filters = HashMap::from([
        ("service".to_string(), vec![service.to_string()]),
        ("desired-state".to_string(), vec!["running".to_string()]),
    ]);
    docker
        .list_tasks(Some(ListTasksOptions {
            filters: Some(filters),
        }))
        .await
        .unwrap()
        .into_iter()
        .filter(|t| {
            t.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
        })
        .map(|t| (t.node_id.unwrap_or_default(), t.slot.unwrap_or(0)))
        .collect()
}

pub async fn browser_signed_in(server: &TestServer) -> Browser {
    let b = Browser::start().await;
    b.sign_in(&server.url).await;
    b
}

/// Accepts the confirmation dialog htmx opens (hx-confirm), waiting for it to appear.
pub async fn accept_confirm(b: &Browser) {
    for _ in 0..50 {
        if b.c.accept_alert().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no confirmation dialog appeared");
}

/// A screenshot of the whole page (the window grows to the page's height for it).
pub async fn screenshot(b: &Browser, name: &str) {
    let Ok(dir) = std::env::var("BERTH_TEST_SCREENSHOT_DIR") else {
        return;
    };
    let height =
        b.c.execute("return document.documentElement.scrollHeight", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(900, 4000);
    let _ = b.c.set_window_size(1360, height as u32 + 40).await;
    b.screenshot(&std::path::Path::new(&dir).join(name)).await;
    let _ = b.c.set_window_size(1360, 900).await;
}
