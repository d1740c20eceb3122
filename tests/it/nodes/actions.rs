//! Availability (drained from a browser), roles and quorum, labels.

use super::*;
use std::time::Instant;

use fantoccini::Locator;

use crate::harness::{TestApp, eventually, lab, unique};

#[tokio::test]
async fn draining_a_worker_in_the_browser_moves_its_tasks_and_the_map_shows_it() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id3, host3) = (node_id(multi, 3), hostname(multi, 3));
    let name = unique("drain");
    let _svc = create(multi, sleep_service(&name, 4, &[], None)).await;
    eventually(60, "4 tasks running, some on node 3", || async {
        let t = running_tasks(&docker, &name).await;
        (t.len() == 4 && t.iter().any(|(n, _)| *n == id3)).then_some(())
    })
    .await;

    let server = TestServer::start(app.state.clone()).await;
    let b = browser_signed_in(&server).await;
    b.goto(&format!("{}/nodes", server.url)).await;
    b.wait_text(&host3, 10).await;
    screenshot(&b, "nodes-list.png").await;
    let col = format!("section[data-node='{host3}'] [data-testid=map-tasks]");
    b.goto(&format!("{}/nodes/map", server.url)).await;
    b.wait_text(&name, 10).await;
    let before: usize = b.text(&col).await.parse().unwrap();
    assert!(before >= 1, "node 3 runs tasks before the drain");
    screenshot(&b, "nodes-map-before-drain.png").await;

    b.goto(&format!("{}/nodes/{id3}", server.url)).await;
    b.wait_text(&name, 10).await;
    screenshot(&b, "nodes-detail.png").await;
    b.click("[data-testid=availability-drain]").await;
    accept_confirm(&b).await;
    b.wait_text(&format!("{host3} is now drained"), 10).await;
    assert_eq!(availability(&inspect(&docker, &id3).await), "drain");
    eventually(60, "the tasks leave node 3 and run elsewhere", || async {
        let t = running_tasks(&docker, &name).await;
        (t.len() == 4 && t.iter().all(|(n, _)| *n != id3)).then_some(())
    })
    .await;
    // the node page says so by itself
    b.wait_text("No tasks are placed on this node: it is drained", 15)
        .await;
    screenshot(&b, "nodes-detail-drained.png").await;

    // the map, without reloading, shows the node empty and the tasks on the others
    b.goto(&format!("{}/nodes/map", server.url)).await;
    b.wait_text(&name, 10).await;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let n3 = b.text(&col).await;
        let boxes =
            b.c.find_all(Locator::Css(&format!(
                "section[data-node='{host3}'] .task-box"
            )))
            .await
            .unwrap()
            .len();
        if n3 == "0" && boxes == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node 3's column still shows {n3} tasks"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // the replacements on the other nodes turn green as they start
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let running =
            b.c.find_all(Locator::Css(&format!(
                "[data-service='{name}'] .task-box.task-ok"
            )))
            .await
            .unwrap()
            .len();
        if running == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "four green boxes for the service, on the other nodes (now {running})"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    b.wait_text("drain", 5).await;
    screenshot(&b, "nodes-map-after-drain.png").await;

    b.goto(&format!("{}/nodes/{id3}", server.url)).await;
    b.click("[data-testid=availability-active]").await;
    b.wait_text(&format!("{host3} is now active"), 10).await;
    assert_eq!(availability(&inspect(&docker, &id3).await), "active");
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("node.availability".into(), host3.clone(), "ok".into())));
    b.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_worker_is_promoted_and_demoted_and_the_last_manager_stays() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id1, id2, host2) = (node_id(multi, 1), node_id(multi, 2), hostname(multi, 2));

    // the only manager: berth refuses, and says why; Docker holds it unchanged
    let page = app.get(&format!("/nodes/{id1}")).await;
    assert!(testid(&page.body, "role-refused").contains("is the only manager"));
    let page = act(&app, &format!("/nodes/{id1}/role"), &[("role", "worker")]).await;
    page.contains("is the only manager of this swarm");
    page.contains("alert-error");
    assert_eq!(role(&inspect(&docker, &id1).await), "manager");

    // promote: done, with the even-number warning
    let page = act(&app, &format!("/nodes/{id2}/role"), &[("role", "manager")]).await;
    page.contains(&format!("{host2} is now a manager"));
    page.contains("2 managers, an even number");
    eventually(60, "node 2 is a reachable manager", || async {
        let n = inspect(&docker, &id2).await;
        (role(&n) == "manager" && reachability(&n) == "reachable").then_some(())
    })
    .await;
    let list = app.get("/nodes").await;
    assert_eq!(testid(&list.body, "count-managers"), "2");
    list.contains("even number of managers");
    assert_eq!(
        testid(
            &app.get(&format!("/nodes/{id2}")).await.body,
            "node-reachability"
        ),
        "reachable"
    );

    // demote again
    let page = act(&app, &format!("/nodes/{id2}/role"), &[("role", "worker")]).await;
    page.contains(&format!("{host2} is now a worker"));
    eventually(30, "node 2 is a worker again", || async {
        let n = inspect(&docker, &id2).await;
        (role(&n) == "worker" && n.manager_status.is_none()).then_some(())
    })
    .await;
    // bad input changes nothing (the spec: the version also moves with status reports)
    let v = inspect(&docker, &id2).await.spec;
    act(&app, &format!("/nodes/{id2}/role"), &[("role", "king")])
        .await
        .contains("The role must be manager or worker");
    assert_eq!(inspect(&docker, &id2).await.spec, v);

    let audit = app.audit_actions().await;
    let host1 = hostname(multi, 1);
    assert!(audit.contains(&("node.role".into(), host1, "failed".into())));
    assert_eq!(
        audit
            .iter()
            .filter(|(a, t, o)| a == "node.role" && *t == host2 && o == "ok")
            .count(),
        2
    );
}

#[tokio::test]
async fn a_demotion_that_would_lose_quorum_is_refused() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id1, id2, id3) = (node_id(multi, 1), node_id(multi, 2), node_id(multi, 3));
    multi
        .docker_cli(1, &["node", "promote", &id2, &id3])
        .unwrap();
    eventually(60, "three reachable managers", || async {
        for id in [&id2, &id3] {
            if reachability(&inspect(&docker, id).await) != "reachable" {
                return None;
            }
        }
        Some(())
    })
    .await;
    // berth's own manager is not demoted without an explicit confirmation
    let page = act(&app, &format!("/nodes/{id1}/role"), &[("role", "worker")]).await;
    page.contains("berth talks to the swarm through");
    assert_eq!(role(&inspect(&docker, &id1).await), "manager");
    let page = app.get(&format!("/nodes/{id1}")).await;
    page.contains("name=\"confirm\"");

    // cut node 3 off the network (its daemon keeps running, so its raft state stays intact)
    let cut = Partition::new(multi, 3);
    eventually(30, "node 3 is an unreachable manager", || async {
        (reachability(&inspect(&docker, &id3).await) == "unreachable").then_some(())
    })
    .await;
    // the pages read the live model, which hears of a manager's reachability from node events
    let host3 = hostname(multi, 3);
    eventually(20, "the list shows node 3 unreachable", || async {
        let list = app.get("/nodes").await;
        row(&list.body, &host3)
            .contains("unreachable")
            .then_some(())
    })
    .await;
    eventually(20, "node 2's page refuses its demotion", || async {
        let page = app.get(&format!("/nodes/{id2}")).await;
        page.body
            .contains("data-testid=\"role-refused\"")
            .then(|| testid(&page.body, "role-refused"))
            .filter(|t| t.contains("would lose quorum"))
    })
    .await;
    let page = act(&app, &format!("/nodes/{id2}/role"), &[("role", "worker")]).await;
    page.contains("would lose quorum: 2 managers would remain, only 1 of them reachable");
    assert_eq!(role(&inspect(&docker, &id2).await), "manager");

    drop(cut);
    eventually(60, "node 3 is reachable again", || async {
        (reachability(&inspect(&docker, &id3).await) == "reachable").then_some(())
    })
    .await;
    act(&app, &format!("/nodes/{id3}/role"), &[("role", "worker")])
        .await
        .contains("is now a worker");
    eventually(30, "node 3 left the managers", || async {
        inspect(&docker, &id3)
            .await
            .manager_status
            .is_none()
            .then_some(())
    })
    .await;
    act(&app, &format!("/nodes/{id2}/role"), &[("role", "worker")])
        .await
        .contains("is now a worker");
    eventually(30, "one manager again", || async {
        inspect(&docker, &id2)
            .await
            .manager_status
            .is_none()
            .then_some(())
    })
    .await;
}

/// A lab node cut off the lab network until dropped.
struct Partition<'a> {
    lab: &'a Lab,
    n: usize,
}

impl<'a> Partition<'a> {
    fn new(lab: &'a Lab, n: usize) -> Partition<'a> {
        lab.run(&["partition", &n.to_string()]);
        Partition { lab, n }
    }
}

impl Drop for Partition<'_> {
    fn drop(&mut self) {
        self.lab.run(&["heal", &self.n.to_string()]);
    }
}

#[tokio::test]
async fn labels_are_added_and_removed_and_a_constrained_service_follows_them() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let (id2, host2) = (node_id(multi, 2), hostname(multi, 2));
    // a label berth did not set, and a paused node: both must survive berth's update
    multi
        .docker_cli(
            1,
            &[
                "node",
                "update",
                "--label-add",
                "berth-test.keep=1",
                "--availability",
                "pause",
                &id2,
            ],
        )
        .unwrap();
    let zone = unique("edge");
    let page = act(
        &app,
        &format!("/nodes/{id2}/labels"),
        &[("key", "berth-test.zone"), ("value", &zone)],
    )
    .await;
    page.contains(&format!("Label berth-test.zone={zone} added to {host2}"));
    let n = inspect(&docker, &id2).await;
    let l = labels(&n);
    assert_eq!(l.get("berth-test.zone"), Some(&zone));
    assert_eq!(l.get("berth-test.keep").map(String::as_str), Some("1"));
    assert_eq!(
        (role(&n).as_str(), availability(&n).as_str()),
        ("worker", "pause")
    );
    multi
        .docker_cli(1, &["node", "update", "--availability", "active", &id2])
        .unwrap();

    // a service constrained on the label runs only there
    let name = unique("zoned");
    let constraint = format!("node.labels.berth-test.zone=={zone}");
    let _svc = create(multi, sleep_service(&name, 2, &[constraint], None)).await;
    eventually(60, "both tasks running on node 2", || async {
        let t = running_tasks(&docker, &name).await;
        (t.len() == 2 && t.iter().all(|(n, _)| *n == id2)).then_some(())
    })
    .await;
    let map = app.get("/nodes/map").await.expect(200);
    let col = &map.body[map.body.find(&format!("data-node=\"{host2}\"")).unwrap()..];
    let col = &col[..col.find("</section>").unwrap()];
    assert!(col.contains(&format!("data-service=\"{name}\"")), "{col}");
    // the map's service filter
    app.get(&format!("/nodes/map?service={name}"))
        .await
        .contains("1 service with tasks")
        .contains(&format!("hx-get=\"/nodes/map/live?service={name}\""));
    app.get_htmx("/nodes/map/live?service=berth-no-such-service")
        .await
        .lacks(&format!("data-service=\"{name}\""))
        .contains("0 services with tasks");

    // remove it: the tasks can run nowhere, and wait unplaced
    let page = act(
        &app,
        &format!("/nodes/{id2}/labels/delete"),
        &[("key", "berth-test.zone")],
    )
    .await;
    page.contains(&format!("Label berth-test.zone removed from {host2}"));
    let l = labels(&inspect(&docker, &id2).await);
    assert!(!l.contains_key("berth-test.zone"));
    assert_eq!(l.get("berth-test.keep").map(String::as_str), Some("1"));
    eventually(60, "no task of the service runs any more", || async {
        running_tasks(&docker, &name).await.is_empty().then_some(())
    })
    .await;
    let body = eventually(30, "the map shows the tasks as not placed", || async {
        let live = app.get_htmx("/nodes/map/live").await;
        let at = live.body.find("data-testid=\"map-unplaced\"")?;
        live.body[at..]
            .contains(&format!("data-service=\"{name}\""))
            .then_some(live.body)
    })
    .await;
    assert!(
        body.contains("no suitable node"),
        "the reason is in the tooltip"
    );

    // markup in a label is shown as text, never run
    act(
        &app,
        &format!("/nodes/{id2}/labels"),
        &[
            ("key", "berth-test.xss"),
            ("value", "<script>alert(1)</script>"),
        ],
    )
    .await
    .lacks("<script>alert(1)</script>")
    .contains("<td class=\"mono wrap\">&#60;script&#62;alert(1)&#60;/script&#62;</td>");
    app.get("/nodes")
        .await
        .lacks("<script>alert(1)")
        .contains("berth-test.xss=&#60;script&#62;alert(1)");

    // bad input: a clear message, and the node's spec is not touched
    let v = inspect(&docker, &id2).await.spec;
    act(
        &app,
        &format!("/nodes/{id2}/labels"),
        &[("key", ""), ("value", "x")],
    )
    .await
    .contains("Enter a label key");
    act(
        &app,
        &format!("/nodes/{id2}/labels"),
        &[("key", "a=b"), ("value", "x")],
    )
    .await
    .contains("cannot contain");
    act(
        &app,
        &format!("/nodes/{id2}/labels/delete"),
        &[("key", "berth-test.nope")],
    )
    .await
    .contains("has no label");
    assert_eq!(inspect(&docker, &id2).await.spec, v);
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("node.label.add".into(), host2.clone(), "ok".into())));
    assert!(audit.contains(&("node.label.remove".into(), host2.clone(), "ok".into())));
    assert!(audit.contains(&("node.label.add".into(), host2, "failed".into())));
}
