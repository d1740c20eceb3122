//! When Docker is not right: unreachable, not in a swarm, a worker. berth keeps serving, says
//! exactly what is wrong on every page, and recovers by itself.

use berth::docker::DockerStatus;

use crate::harness::{TestApp, eventually, lab};

#[tokio::test]
async fn healthz_reports_docker_reachability_without_auth() {
    let app = TestApp::new(&lab("one").manager_host()).await;
    let r = app.get("/healthz").await.expect(200);
    assert!(r.body.starts_with("ok\n"), "{}", r.body);
    r.contains("docker: ok (swarm manager");
    let down = TestApp::new("unix:///run/berth-lab/no-such-lab/node1.sock").await;
    let r = down.get("/healthz").await.expect(200);
    r.contains("docker: unreachable");
}

#[tokio::test]
async fn unreachable_docker_shows_a_banner_on_every_page_and_berth_recovers_by_itself() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let app = TestApp::signed_in(&chaos.manager_host()).await;
    let monitor = tokio::spawn(app.state.docker.clone().monitor());
    app.get("/")
        .await
        .expect(200)
        .lacks("Docker is unreachable");

    let stopped = chaos.stop_node(1);
    // while dockerd shuts down it briefly answers "not in a swarm"; then it is gone
    eventually(30, "berth notices Docker is gone", || async {
        matches!(
            app.state.docker.status().status,
            DockerStatus::Unreachable { .. }
        )
        .then_some(())
    })
    .await;
    for path in ["/", "/settings", "/audit"] {
        let page = app.get(path).await.expect(200);
        page.contains("Docker is unreachable")
            .contains(&format!("at {}", chaos.manager_host()));
        page.contains("mount the manager");
    }
    app.get("/").await.contains("Swarm details are unavailable");
    app.get("/healthz")
        .await
        .expect(200)
        .contains("docker: unreachable");
    // the banner poll tells the page to reload once the state it was rendered with changed
    let poll = app
        .get_htmx("/partials/docker-status?was=manager")
        .await
        .expect(200);
    assert_eq!(poll.header("hx-refresh"), "true");

    stopped.start();
    eventually(20, "berth reconnects on its own", || async {
        app.state.docker.status().status.is_manager().then_some(())
    })
    .await;
    let page = app.get("/").await.expect(200);
    page.lacks("Docker is unreachable")
        .contains("Swarm overview")
        .contains("data-testid=\"nodes-total\"");
    monitor.abort();
}

#[tokio::test]
async fn an_engine_outside_a_swarm_can_be_initialised_from_the_ui() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let docker = chaos.docker(1);
    let addr = docker
        .info()
        .await
        .unwrap()
        .swarm
        .unwrap()
        .node_addr
        .unwrap();
    chaos.docker_cli(1, &["swarm", "leave", "--force"]).unwrap();

    let app = TestApp::signed_in(&chaos.manager_host()).await;
    let page = app.get("/").await.expect(200);
    page.contains("This Docker engine is not in a swarm")
        .contains("action=\"/swarm/init\"");
    // no confirmation: nothing happens
    app.post("/swarm/init", &[("advertise_addr", &addr)])
        .await
        .expect_redirect("/");
    app.get("/").await.contains("Tick the confirmation box");
    assert_eq!(
        docker
            .info()
            .await
            .unwrap()
            .swarm
            .unwrap()
            .local_node_state
            .unwrap()
            .to_string(),
        "inactive"
    );
    // a bad address is refused before Docker sees it
    app.post(
        "/swarm/init",
        &[("advertise_addr", "1.2.3.4; reboot"), ("confirm", "yes")],
    )
    .await
    .expect_redirect("/");
    app.get("/").await.contains("does not look like an address");

    app.post(
        "/swarm/init",
        &[("advertise_addr", &addr), ("confirm", "yes")],
    )
    .await
    .expect_redirect("/");
    let page = app.get("/").await.expect(200);
    page.contains("Swarm initialised")
        .lacks("not in a swarm")
        .contains("data-testid=\"nodes-total\"");
    let info = docker.info().await.unwrap().swarm.unwrap();
    assert_eq!(info.local_node_state.unwrap().to_string(), "active");
    assert_eq!(info.node_addr.unwrap(), addr);
    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, t, o)| a == "swarm.init" && t == &addr && o == "ok"),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_worker_engine_is_reported_with_its_managers() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.host(2)).await;
    let page = app.get("/").await.expect(200);
    page.contains("berth is talking to a swarm worker")
        .contains("Managers of this swarm");
    let mgr = multi
        .docker(1)
        .info()
        .await
        .unwrap()
        .swarm
        .unwrap()
        .node_addr
        .unwrap();
    page.contains(&mgr);
}
