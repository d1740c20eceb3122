//! Node pages with berth agents started in-process (harness::agents), one per node of the
//! `multi` lab: a worker's page shows its containers' real CPU and memory.

use crate::dashboard::TEST_IMAGE;
use crate::harness::agents::Agents;
use crate::harness::http::Http;
use crate::harness::{eventually, lab, unique};

/// Removes the test's services even when it fails.
struct Services(Vec<String>);

impl Drop for Services {
    fn drop(&mut self) {
        let mut args = vec!["service", "rm"];
        args.extend(self.0.iter().map(String::as_str));
        let _ = lab("multi").docker_cli(1, &args);
    }
}

/// The CPU percent shown in the first container row whose name starts with `prefix`.
fn container_cpu(body: &str, prefix: &str) -> Option<f64> {
    body.split("data-testid=\"container-row\"")
        .skip(1)
        .find(|row| {
            row.split("data-testid=\"container-name\">")
                .nth(1)
                .is_some_and(|n| n.starts_with(prefix))
        })
        .and_then(|row| row.split("data-testid=\"container-cpu\">").nth(1))
        .and_then(|c| c.split('<').next())
        .and_then(|c| c.trim().trim_end_matches('%').trim().parse().ok())
}

#[tokio::test]
async fn a_workers_page_shows_its_containers_real_usage_through_its_agent() {
    let lab = lab("multi");
    let agents = Agents::start(lab).await;
    let app = agents.app(lab).await;
    let burn = unique("h8burn");
    let _cleanup = Services(vec![burn.clone()]);
    let worker = agents.node_ids[2].clone();
    let worker = &worker;
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--name",
            &burn,
            "--constraint",
            &format!("node.id=={worker}"),
            TEST_IMAGE,
            "sh",
            "-c",
            "while :; do :; done",
        ],
    )
    .expect("service create");

    // the node page (and its polled card) lists the task's container with a real CPU figure
    let page = eventually(90, "node 3's page shows the busy task using CPU", || {
        let app = &app;
        let burn = &burn;
        async move {
            let r = app.get(&format!("/nodes/{worker}")).await.expect(200);
            let cpu = container_cpu(&r.body, burn)?;
            (cpu > 20.0).then_some(r)
        }
    })
    .await;
    page.lacks("data-testid=\"node-agent-missing\"");
    page.contains("data-testid=\"node-cpu-used\"");
    page.contains(&format!("href=\"/services/{burn}\""));
    let card = app.get(&format!("/nodes/{worker}/usage")).await.expect(200);
    card.contains(&burn);
    // the other nodes have figures too, and the list names no node without an agent
    let manager = &agents.node_ids[0];
    app.get(&format!("/nodes/{manager}"))
        .await
        .expect(200)
        .contains("data-testid=\"node-memory-used\"")
        .lacks("data-testid=\"node-agent-missing\"");
    app.get("/nodes")
        .await
        .expect(200)
        .lacks("data-testid=\"nodes-without-agent\"");

    // the agents answer berth only: an unsigned request is refused
    let stranger = Http::new(&format!("http://{}", agents.addr(3)))
        .get("/v1/containers")
        .await;
    assert_eq!(stranger.status, 401, "{}", stranger.body);

    // node 3's agent gone: its page says so, the others keep their figures
    let mut agents = agents;
    agents.stop(3).await;
    eventually(60, "node 3's page says it lacks an agent", || {
        let app = &app;
        async move {
            let r = app.get(&format!("/nodes/{worker}")).await.expect(200);
            r.body
                .contains("data-testid=\"node-agent-missing\"")
                .then_some(())
        }
    })
    .await;
    app.get("/nodes")
        .await
        .expect(200)
        .contains("data-testid=\"nodes-without-agent\"");
}
