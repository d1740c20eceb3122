//! A node going down and being removed, reservations, join-token rotation.

use super::*;
use std::time::Instant;

use crate::harness::{TestApp, eventually, lab, unique};

#[tokio::test]
async fn a_killed_worker_shows_down_within_the_heartbeat_and_is_removed() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id2, id3, host3) = (node_id(multi, 2), node_id(multi, 3), hostname(multi, 3));

    // a node that is up: Docker refuses, and berth says why
    let page = act(&app, &format!("/nodes/{id2}/delete"), &[]).await;
    page.contains("is not down and can&#39;t be removed");
    inspect(&docker, &id2).await;

    let killed = multi.kill_node(3);
    let t0 = Instant::now();
    eventually(15, "the list shows node 3 down", || async {
        let live = app.get_htmx("/nodes/live").await;
        let r = row(&live.body, &host3);
        (r.contains("pill-bad") && r.contains(">down</span>")).then_some(())
    })
    .await;
    println!(
        "node shown down {:.1} s after its dockerd was killed",
        t0.elapsed().as_secs_f64()
    );
    let page = app.get(&format!("/nodes/{id3}")).await;
    assert_eq!(testid(&page.body, "node-state"), "down");
    page.contains("The node is down.");
    app.get("/nodes")
        .await
        .contains("data-testid=\"count-down\">1 down");

    let page = act(&app, &format!("/nodes/{id3}/delete"), &[]).await;
    page.contains(&format!("{host3} was removed from the swarm"));
    let gone = docker.inspect_node(&id3).await.unwrap_err();
    assert!(
        gone.to_string().contains("not found") || gone.to_string().contains("404"),
        "{gone}"
    );
    assert_eq!(testid(&app.get("/nodes").await.body, "count-total"), "2");
    let live = app.get_htmx(&format!("/nodes/{id3}/live")).await;
    assert_eq!(
        live.status.as_u16(),
        286,
        "htmx stops polling a removed node"
    );
    live.contains("no longer part of the swarm");
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("node.remove".into(), host3.clone(), "ok".into())));
    assert!(audit.contains(&("node.remove".into(), hostname(multi, 2), "failed".into())));

    // the machine comes back: it must leave its old swarm and join again
    killed.start();
    let token = multi
        .docker_cli(1, &["swarm", "join-token", "-q", "worker"])
        .unwrap();
    let _ = multi.docker_cli(3, &["swarm", "leave", "--force"]);
    multi
        .docker_cli(
            3,
            &[
                "swarm",
                "join",
                "--advertise-addr",
                &multi.ip(3),
                "--token",
                token.trim(),
                &format!("{}:2377", multi.ip(1)),
            ],
        )
        .unwrap();
    eventually(30, "three nodes ready again", || async {
        let page = app.get("/nodes").await;
        (testid(&page.body, "count-total") == "3"
            && row(&page.body, &host3).contains(">ready</span>"))
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn reservations_move_the_nodes_reserved_bars_by_the_right_amount() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id2, host2) = (node_id(multi, 2), hostname(multi, 2));
    let res = inspect(&docker, &id2)
        .await
        .description
        .unwrap()
        .resources
        .unwrap();
    let cpus = berth::web::fmt::cpus(res.nano_cpus.unwrap() as f64 / 1e9);
    let memory = berth::web::fmt::bytes(res.memory_bytes.unwrap());
    let page = app.get(&format!("/nodes/{id2}")).await;
    assert_eq!(
        testid(&page.body, "reserved-cpu"),
        format!("0 of {cpus} CPUs")
    );
    assert_eq!(
        testid(&page.body, "reserved-memory"),
        format!("0 B of {memory}")
    );

    let name = unique("reserve");
    let constraint = format!("node.hostname=={host2}");
    let _svc = create(
        multi,
        sleep_service(&name, 2, &[constraint], Some((250_000_000, 64 << 20))),
    )
    .await;
    eventually(60, "2 reserving tasks running on node 2", || async {
        (running_tasks(&docker, &name).await.len() == 2).then_some(())
    })
    .await;
    let page = app.get(&format!("/nodes/{id2}")).await;
    assert_eq!(
        testid(&page.body, "reserved-cpu"),
        format!("0.5 of {cpus} CPUs")
    );
    assert_eq!(
        testid(&page.body, "reserved-memory"),
        format!("128 MiB of {memory}")
    );
    page.contains("id=\"reserved-cpu\" min=\"0\"");
    page.contains("value=\"0.5\">");
    page.contains(&format!("value=\"{}\">", 128 << 20));
    page.contains("0.25 CPU · 64.0 MiB");
    // the list shows the same reservation on the row's bar
    let list = app.get("/nodes").await;
    assert!(row(&list.body, &host2).contains("reserved: 0.5 of"));

    multi
        .docker_cli(1, &["service", "scale", "--detach", &format!("{name}=1")])
        .unwrap();
    eventually(60, "one reserving task left", || async {
        let page = app.get_htmx(&format!("/nodes/{id2}/live")).await;
        (testid(&page.body, "reserved-cpu") == format!("0.25 of {cpus} CPUs")
            && testid(&page.body, "reserved-memory") == format!("64.0 MiB of {memory}"))
        .then_some(())
    })
    .await;
}

#[tokio::test]
async fn rotating_a_join_token_changes_only_that_token() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let token = |role: &str| {
        multi
            .docker_cli(1, &["swarm", "join-token", "-q", role])
            .unwrap()
            .trim()
            .to_string()
    };
    let docker = multi.docker(1);
    let spec = || async { docker.inspect_swarm().await.unwrap().spec.unwrap() };
    let (worker, manager, spec_before) = (token("worker"), token("manager"), spec().await);
    let heartbeat = spec_before
        .dispatcher
        .as_ref()
        .and_then(|d| d.heartbeat_period);
    assert_eq!(heartbeat, Some(1_000_000_000), "the lab's 1 s heartbeat");

    let r = app.post("/swarm/rotate-token", &[("role", "worker")]).await;
    r.expect_redirect("/nodes#join");
    let page = app.get("/nodes").await;
    page.contains("The worker join token was rotated");
    let new_worker = token("worker");
    assert_ne!(new_worker, worker);
    assert_eq!(token("manager"), manager);
    assert!(testid(&page.body, "join-worker").contains(&new_worker));
    assert_eq!(
        spec().await,
        spec_before,
        "the rest of the swarm's settings are untouched"
    );

    act(&app, "/swarm/rotate-token", &[("role", "all")])
        .await
        .contains("The role must be manager or worker");
    assert_eq!(token("worker"), new_worker);
    assert_eq!(token("manager"), manager);

    act(&app, "/swarm/rotate-token", &[("role", "manager")])
        .await
        .contains("The manager join token was rotated");
    assert_ne!(token("manager"), manager);
    let audit = app.audit_actions().await;
    assert!(audit.contains(&(
        "swarm.rotate_token".into(),
        "worker join token".into(),
        "ok".into()
    )));
}
