//! /stacks and a stack page with 30 stacks of 10 services each (300 services), every service
//! with one pending task (issue 7). One stack also has 5 versions in berth's history.

use crate::common::Bench;

pub async fn run(b: &Bench) {
    for i in 0..30 {
        let stack = format!("bstack{i:02}");
        b.ensure_pending_services(
            &format!("{stack}_svc"),
            10,
            1,
            &[("com.docker.stack.namespace", &stack)],
        )
        .await;
    }
    for v in 0..5 {
        berth::db::stacks::insert(
            &b.state.db,
            &berth::db::stacks::NewVersion {
                stack: "bstack00",
                compose: &format!("services:\n  svc0:\n    image: berth-test/busybox:1\n    deploy:\n      replicas: {v}\n"),
                env: "A=1\n",
                files: "{}",
                prune: false,
                username: "bench",
                redeploy_of: None,
                base: None,
            },
        )
        .await
        .expect("history")
        .expect("no base, never stale");
    }
    let services = b.docker.list_services(None).await.unwrap().len();
    println!(
        "stacks (30 stacks, {services} services in the swarm, {} iterations)",
        b.iterations
    );
    b.page("GET /stacks", "/stacks").await;
    b.page("GET /stacks/live (the polled rows)", "/stacks/live")
        .await;
    b.page(
        "GET /stacks/bstack00 (10 services, history)",
        "/stacks/bstack00",
    )
    .await;
    b.page("GET /stacks/bstack00/live", "/stacks/bstack00/live")
        .await;
    b.cli("docker stack ls (same swarm, for scale)", &["stack", "ls"]);
    b.cli("docker stack ps bstack00", &["stack", "ps", "bstack00"]);
}
