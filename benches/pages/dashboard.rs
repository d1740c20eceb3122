//! The dashboard with 200 services (issue 2: target under 20 ms server time).

use crate::common::Bench;

pub async fn run(b: &Bench) {
    b.ensure_pending_services("bench-dash-", 200, 1, &[]).await;
    let n = b.docker.list_services(None).await.unwrap().len();
    println!(
        "dashboard ({n} services in the swarm, {} iterations)",
        b.iterations
    );
    b.page("GET / (dashboard)", "/").await;
    b.page("GET /healthz", "/healthz").await;
    b.cli(
        "docker service ls (same swarm, for scale)",
        &["service", "ls"],
    );
}
