//! /services with 500 services and 1,000 tasks (issue 5), side by side with `docker service ls`
//! on the same swarm in the same run. Target: the page is no slower than the CLI.

use crate::common::{Bench, ms};

pub async fn run(b: &Bench) {
    b.ensure_pending_services(
        "bench-svc-",
        500,
        2,
        &[("com.docker.stack.namespace", "bench")],
    )
    .await;
    let services = b.docker.list_services(None).await.unwrap();
    let tasks = b.docker.list_tasks(None).await.unwrap().len();
    println!(
        "services ({} services, {tasks} tasks in the swarm, {} iterations)",
        services.len(),
        b.iterations
    );
    let page = b.page("GET /services", "/services").await;
    let cli = b.cli("docker service ls (same swarm)", &["service", "ls"]);
    println!(
        "  {:<44} {:.2}  (berth {:.2} ms / CLI {:.2} ms, medians)",
        "ratio /services : docker service ls",
        ms(page.median) / ms(cli.median),
        ms(page.median),
        ms(cli.median)
    );
    b.page(
        "GET /services?q=bench-svc-42 (search)",
        "/services?q=bench-svc-42",
    )
    .await;
    b.page(
        "GET /services?stack=bench (stack filter)",
        "/services?stack=bench",
    )
    .await;
    let id = services
        .iter()
        .find(|s| s.spec.as_ref().and_then(|sp| sp.name.as_deref()) == Some("bench-svc-0"))
        .and_then(|s| s.id.clone())
        .expect("bench-svc-0");
    b.page(
        "GET /services/{id} (2 pending tasks)",
        &format!("/services/{id}"),
    )
    .await;
    b.page(
        "GET /services/{id}/live (the polled part)",
        &format!("/services/{id}/live"),
    )
    .await;
    b.cli(
        "docker service ps (same service, for scale)",
        &["service", "ps", "bench-svc-0"],
    );
}
