//! The live model against a real swarm: after changes made behind berth's back (the docker
//! CLI), after its event stream is cut, and after the manager's dockerd restarts, it holds
//! what the API returns (both reduced to the same normalised view and compared).

mod churn;
mod recovery;

use std::collections::BTreeMap;
use std::time::Duration;

use berth::docker::Engine;
use berth::model::{Model, Settings, Snapshot};
use bollard::Docker;
use bollard::query_parameters::{ListServicesOptions, ListTasksOptions};

use crate::harness::lab::Lab;

pub const IMAGE: &str = "berth-test/busybox:1";

/// A model following `host`, as `serve` starts it. The reconcile is an hour away, so what
/// the tests see comes from the events, the poll and the resyncs, not from a periodic reload.
pub async fn follow(host: &str) -> (Engine, Model, tokio::task::JoinHandle<()>) {
    let engine = Engine::new(host);
    engine.refresh().await;
    let monitor = tokio::spawn(engine.clone().monitor());
    let model = Model::new(Settings {
        reconcile: Duration::from_secs(3600),
        ..Settings::default()
    });
    model.start(engine.clone()).expect("starts once");
    assert!(
        model.ready(Duration::from_secs(30)).await,
        "the model loads"
    );
    (engine, model, monitor)
}

/// A task's (node, slot, state, desired state).
type TaskRow = (String, Option<i64>, String, String);

/// Nodes, then the services named `prefix…` with their tasks and stacks: what a page shows.
#[derive(Debug, PartialEq, Eq, Default)]
pub struct View {
    /// id → (hostname, state, availability, role)
    nodes: BTreeMap<String, (String, String, String, String)>,
    /// name → (stack, mode, image, running, desired)
    services: BTreeMap<String, (String, String, String, u64, u64)>,
    /// (service name, task id) → (node, slot, state, desired state)
    tasks: BTreeMap<(String, String), TaskRow>,
    /// stack → number of services
    stacks: BTreeMap<String, usize>,
}

pub fn model_view(s: &Snapshot, prefix: &str) -> View {
    let mut v = View::default();
    for n in s.nodes() {
        v.nodes.insert(
            n.id.clone(),
            (
                n.hostname.clone(),
                n.state.clone(),
                n.availability.clone(),
                format!("{:?}", n.role).to_lowercase(),
            ),
        );
    }
    for svc in s.services().iter().filter(|x| x.name.starts_with(prefix)) {
        v.services.insert(
            svc.name.clone(),
            (
                svc.stack.clone(),
                svc.mode.to_string(),
                svc.image.clone(),
                svc.running,
                svc.desired,
            ),
        );
        for t in s.service_tasks(&svc.id) {
            v.tasks.insert(
                (svc.name.clone(), t.id.to_string()),
                (
                    t.node_id.to_string(),
                    t.slot,
                    t.state.to_string(),
                    t.desired_state.to_string(),
                ),
            );
        }
    }
    for st in s.stacks().iter().filter(|x| x.name.starts_with(prefix)) {
        v.stacks.insert(st.name.clone(), st.services);
    }
    v
}

pub async fn api_view(docker: &Docker, prefix: &str) -> View {
    let mut v = View::default();
    for n in docker.list_nodes(None).await.expect("nodes") {
        let i = berth::docker::nodes::NodeInfo::from_node(&n);
        v.nodes.insert(
            i.id.clone(),
            (
                i.hostname.clone(),
                i.state.clone(),
                i.availability.clone(),
                format!("{:?}", i.role).to_lowercase(),
            ),
        );
    }
    let services = docker
        .list_services(Some(ListServicesOptions {
            filters: None,
            status: Some(true),
        }))
        .await
        .expect("services");
    let mut names = BTreeMap::new();
    for s in &services {
        let sum = berth::docker::services::ServiceSummary::from_service(s);
        if !sum.name.starts_with(prefix) {
            continue;
        }
        names.insert(sum.id.clone(), sum.name.clone());
        if !sum.stack.is_empty() {
            *v.stacks.entry(sum.stack.clone()).or_default() += 1;
        }
        v.services.insert(
            sum.name.clone(),
            (
                sum.stack.clone(),
                sum.mode.to_string(),
                sum.image.clone(),
                sum.running,
                sum.desired,
            ),
        );
    }
    let tasks = docker
        .list_tasks(None::<ListTasksOptions>)
        .await
        .expect("tasks");
    for t in &tasks {
        let i = berth::docker::tasks::TaskInfo::from_task(t);
        let Some(name) = names.get(&i.service_id) else {
            continue;
        };
        v.tasks.insert(
            (name.clone(), i.id.clone()),
            (
                i.node_id.clone(),
                i.slot,
                i.state.clone(),
                i.desired_state.clone(),
            ),
        );
    }
    v
}

/// Waits until the model's view equals the API's (read after it), or panics with both.
pub async fn converges(model: &Model, docker: &Docker, prefix: &str, secs: u64, when: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let api = api_view(docker, prefix).await;
        let mine = model_view(&model.snapshot(), prefix);
        if api == mine {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!(
                "{when}: the model does not match the API after {secs} s\nAPI:   {api:#?}\nmodel: {mine:#?}"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Removes the services and stacks named `prefix…` when dropped.
pub struct Cleanup {
    pub lab: &'static Lab,
    pub prefix: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let out = self
            .lab
            .docker_cli(1, &["service", "ls", "--format", "{{.Name}}"])
            .unwrap_or_default();
        let mine: Vec<&str> = out
            .lines()
            .filter(|n| n.starts_with(&self.prefix))
            .collect();
        if !mine.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(mine);
            let _ = self.lab.docker_cli(1, &args);
        }
        let nets = self
            .lab
            .docker_cli(1, &["network", "ls", "--format", "{{.Name}}"])
            .unwrap_or_default();
        for n in nets.lines().filter(|n| n.starts_with(&self.prefix)) {
            let _ = self.lab.docker_cli(1, &["network", "rm", n]);
        }
    }
}

/// `docker service create` of a sleeping busybox: `pending` keeps its tasks unschedulable.
pub fn create(lab: &Lab, name: &str, replicas: u32, pending: bool) {
    let replicas = replicas.to_string();
    let mut args = vec![
        "service",
        "create",
        "-d",
        "--name",
        name,
        "--replicas",
        &replicas,
    ];
    if pending {
        args.extend(["--constraint", "node.labels.berth-nowhere==1"]);
    }
    args.extend([IMAGE, "sleep", "3600"]);
    lab.docker_cli(1, &args)
        .unwrap_or_else(|e| panic!("create {name}: {e}"));
}
