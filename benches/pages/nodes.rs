//! The nodes pages with 3 nodes and 300 running tasks (issue 4): the list, its live table, a
//! node's page, the cluster map and its live columns. Each page reads nodes, tasks and service
//! names once (three API calls in parallel), whatever the number of rows.

use std::time::{Duration, Instant};

use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
};
use bollard::query_parameters::ListTasksOptions;

use crate::common::Bench;

const PREFIX: &str = "bench-nodes-";
const SERVICES: usize = 10;
const REPLICAS: i64 = 30;

/// Makes sure `SERVICES` services of `REPLICAS` sleeping replicas run (300 tasks spread over
/// the nodes: real containers, as in production), and waits until they do.
async fn ensure_running(b: &Bench) {
    let existing: Vec<String> = b
        .docker
        .list_services(None)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|s| s.spec.and_then(|sp| sp.name))
        .collect();
    for i in 0..SERVICES {
        let name = format!("{PREFIX}{i}");
        if existing.contains(&name) {
            continue;
        }
        let spec = ServiceSpec {
            name: Some(name),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(REPLICAS),
                }),
                ..Default::default()
            }),
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some("berth-test/busybox:1".into()),
                    args: Some(vec!["sleep".into(), "86400".into()]),
                    init: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        b.docker
            .create_service(spec, None)
            .await
            .expect("create bench service");
    }
    let want = SERVICES * REPLICAS as usize;
    let t0 = Instant::now();
    loop {
        let tasks = b
            .docker
            .list_tasks(Some(ListTasksOptions { filters: None }))
            .await
            .unwrap();
        let running = tasks
            .iter()
            .filter(|t| {
                t.status.as_ref().and_then(|s| s.state) == Some(bollard::models::TaskState::RUNNING)
            })
            .count();
        if running >= want {
            println!(
                "  ({running} tasks running, {} in the task list; ready after {:.0} s)",
                tasks.len(),
                t0.elapsed().as_secs_f64()
            );
            break;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            println!("  (only {running} of {want} tasks running after 10 min: measuring anyway)");
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

pub async fn run(b: &Bench) {
    ensure_running(b).await;
    let nodes = b.docker.list_nodes(None).await.unwrap();
    let worker = nodes
        .iter()
        .find(|n| n.manager_status.is_none())
        .or(nodes.first())
        .and_then(|n| n.id.clone())
        .unwrap();
    println!("nodes ({} nodes, {} iterations)", nodes.len(), b.iterations);
    b.page("GET /nodes (list + join commands)", "/nodes").await;
    b.page("GET /nodes/live (the 2 s refresh)", "/nodes/live")
        .await;
    b.page(
        "GET /nodes/live?role=worker&sort=tasks",
        "/nodes/live?role=worker&sort=tasks&dir=desc",
    )
    .await;
    b.page(
        "GET /nodes/{worker} (≈100 tasks)",
        &format!("/nodes/{worker}"),
    )
    .await;
    b.page("GET /nodes/{worker}/live", &format!("/nodes/{worker}/live"))
        .await;
    b.page("GET /nodes/map (300 task boxes)", "/nodes/map")
        .await;
    b.page("GET /nodes/map/live", "/nodes/map/live").await;
    b.cli("docker node ls (same swarm, for scale)", &["node", "ls"]);
    b.cli(
        "docker node ps {worker} (for scale)",
        &["node", "ps", &worker],
    );
}
