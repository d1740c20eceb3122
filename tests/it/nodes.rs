//! Nodes pages and actions against a real swarm: the `multi` lab (1 manager + 2 workers,
//! 1 s dispatcher heartbeat) for everything that changes nodes, `one` for what changes nothing.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{
    Node, ResourceObject, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec,
    TaskSpecContainerSpec, TaskSpecPlacement, TaskSpecResources,
};
use bollard::query_parameters::ListTasksOptions;
use fantoccini::Locator;

use crate::dashboard::TEST_IMAGE;
use crate::harness::app::{ADMIN, PASSWORD, Resp};
use crate::harness::browser::Browser;
use crate::harness::lab::Lab;
use crate::harness::{TestApp, TestServer, eventually, lab, unique};

// ---- helpers ----------------------------------------------------------------------------------

fn hostname(lab: &Lab, n: usize) -> String {
    lab.setting(&format!("BERTH_LAB_NODE{n}_HOSTNAME"))
}

/// The swarm node ID of lab node `n`, as the node itself reports it.
fn node_id(lab: &Lab, n: usize) -> String {
    lab.docker_cli(n, &["info", "--format", "{{.Swarm.NodeID}}"])
        .unwrap()
        .trim()
        .to_string()
}

async fn inspect(docker: &Docker, id: &str) -> Node {
    docker.inspect_node(id).await.expect("inspect node")
}

fn labels(n: &Node) -> HashMap<String, String> {
    n.spec
        .as_ref()
        .and_then(|s| s.labels.clone())
        .unwrap_or_default()
}

fn availability(n: &Node) -> String {
    n.spec
        .as_ref()
        .and_then(|s| s.availability)
        .map(|a| a.to_string())
        .unwrap_or_default()
}

fn role(n: &Node) -> String {
    n.spec
        .as_ref()
        .and_then(|s| s.role)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

fn version(n: &Node) -> u64 {
    n.version.as_ref().and_then(|v| v.index).unwrap_or(0)
}

fn reachability(n: &Node) -> String {
    n.manager_status
        .as_ref()
        .and_then(|m| m.reachability)
        .map(|r| r.to_string())
        .unwrap_or_default()
}

/// Posts a form like the page does, expects the redirect, and returns the page it leads to
/// (which carries the flash message).
async fn act(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Resp {
    let r = app.post(path, fields).await;
    assert_eq!(r.status.as_u16(), 303, "POST {path} answered:\n{}", r.body);
    let to = r.location();
    app.get(&to).await.expect(200)
}

/// The `<tr>` of a node in the list markup.
fn row<'a>(body: &'a str, host: &str) -> &'a str {
    let start = body
        .find(&format!("<tr data-node=\"{host}\""))
        .unwrap_or_else(|| panic!("no row for {host}:\n{body}"));
    let end = body[start..].find("</tr>").unwrap() + start;
    &body[start..end]
}

/// The text of the element carrying `data-testid="id"` (first one).
fn testid(body: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\">");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in:\n{body}"))
        + marker.len();
    body[start..].split('<').next().unwrap().trim().to_string()
}

/// A replicated `sleep` service with optional constraints and reservations.
fn sleep_service(
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
struct ServiceGuard<'a> {
    lab: &'a Lab,
    name: String,
}

impl Drop for ServiceGuard<'_> {
    fn drop(&mut self) {
        let _ = self.lab.docker_cli(1, &["service", "rm", &self.name]);
    }
}

async fn create(lab: &'static Lab, spec: ServiceSpec) -> ServiceGuard<'static> {
    let name = spec.name.clone().unwrap();
    lab.docker(1)
        .create_service(spec, None)
        .await
        .expect("create service");
    ServiceGuard { lab, name }
}

/// Running tasks of `service`, as (node id, slot).
async fn running_tasks(docker: &Docker, service: &str) -> Vec<(String, i64)> {
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

async fn browser_signed_in(server: &TestServer) -> Browser {
    let b = Browser::start().await;
    b.goto(&format!("{}/login", server.url)).await;
    b.fill("input[name=username]", ADMIN).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text("Swarm overview", 10).await;
    b
}

/// Accepts the confirmation dialog htmx opens (hx-confirm), waiting for it to appear.
async fn accept_confirm(b: &Browser) {
    for _ in 0..50 {
        if b.c.accept_alert().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no confirmation dialog appeared");
}

/// A screenshot of the whole page (the window grows to the page's height for it).
async fn screenshot(b: &Browser, name: &str) {
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

// ---- the list ---------------------------------------------------------------------------------

#[tokio::test]
async fn the_list_shows_every_node_with_its_role_and_state() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let page = app.get("/nodes").await.expect(200);
    assert_eq!(testid(&page.body, "count-total"), "3");
    assert_eq!(testid(&page.body, "count-managers"), "1");
    assert_eq!(testid(&page.body, "count-workers"), "2");
    for n in 1..=3 {
        let host = hostname(multi, n);
        let r = row(&page.body, &host);
        let node = inspect(&docker, &node_id(multi, n)).await;
        let engine = node
            .description
            .as_ref()
            .and_then(|d| d.engine.as_ref())
            .and_then(|e| e.engine_version.clone())
            .unwrap();
        assert!(r.contains(&engine), "{r}");
        assert!(r.contains(&multi.ip(n)), "the node's address: {r}");
        assert!(r.contains(&format!("/nodes/{}", node_id(multi, n))), "{r}");
        assert!(
            r.contains(">ready</span>") && r.contains(">active</span>"),
            "{r}"
        );
        if n == 1 {
            assert!(r.contains("manager") && r.contains(">leader<"), "{r}");
            assert!(r.contains(">berth<"), "berth's own manager is marked: {r}");
        } else {
            assert!(r.contains("worker") && !r.contains(">leader<"), "{r}");
        }
    }
    // the join commands are the CLI's, with the rotate buttons
    let cli = multi
        .docker_cli(1, &["swarm", "join-token", "-q", "worker"])
        .unwrap();
    assert!(testid(&page.body, "join-worker").contains(cli.trim()));
    page.contains("action=\"/swarm/rotate-token\"");

    // filters: role, status, label, text; the live partial applies them too
    let workers = app.get("/nodes?role=worker").await.expect(200);
    row(&workers.body, &hostname(multi, 2));
    row(&workers.body, &hostname(multi, 3));
    workers.lacks(&format!("data-node=\"{}\"", hostname(multi, 1)));
    let down = app.get("/nodes?status=down").await.expect(200);
    down.contains("No node matches these filters");
    multi
        .docker_cli(
            1,
            &[
                "node",
                "update",
                "--label-add",
                "berth-test.list=yes",
                &hostname(multi, 3),
            ],
        )
        .unwrap();
    let labelled = app
        .get("/nodes?label=berth-test.list%3Dyes")
        .await
        .expect(200);
    row(&labelled.body, &hostname(multi, 3));
    labelled.lacks(&format!("data-node=\"{}\"", hostname(multi, 2)));
    let by_key = app
        .get("/nodes/live?label=berth-test.list")
        .await
        .expect(200);
    row(&by_key.body, &hostname(multi, 3));
    by_key
        .lacks("<html")
        .lacks(&format!("data-node=\"{}\"", hostname(multi, 1)));
    let text = app.get(&format!("/nodes?q={}", hostname(multi, 2))).await;
    row(&text.body, &hostname(multi, 2));
    text.lacks(&format!("data-node=\"{}\"", hostname(multi, 3)));

    // sorting by hostname, both ways; the header links flip the direction
    let asc = app.get("/nodes?sort=name").await.expect(200);
    let desc = app.get("/nodes?sort=name&dir=desc").await.expect(200);
    let order = |body: &str| {
        let mut pos: Vec<(usize, usize)> = (1..=3)
            .map(|n| {
                (
                    body.find(&format!("data-node=\"{}\"", hostname(multi, n)))
                        .unwrap(),
                    n,
                )
            })
            .collect();
        pos.sort();
        pos.into_iter().map(|(_, n)| n).collect::<Vec<_>>()
    };
    assert_eq!(order(&asc.body), [1, 2, 3]);
    assert_eq!(order(&desc.body), [3, 2, 1]);
    asc.contains("href=\"/nodes?sort=name&#38;dir=desc\"");
    multi
        .docker_cli(
            1,
            &[
                "node",
                "update",
                "--label-rm",
                "berth-test.list",
                &hostname(multi, 3),
            ],
        )
        .unwrap();
}

#[tokio::test]
async fn a_nodes_page_lists_the_tasks_placed_on_it() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let name = unique("nodetasks");
    let _svc = create(multi, sleep_service(&name, 6, &[], None)).await;
    let tasks = eventually(60, "6 tasks running", || async {
        let t = running_tasks(&docker, &name).await;
        (t.len() == 6).then_some(t)
    })
    .await;
    let id2 = node_id(multi, 2);
    let (here, elsewhere): (Vec<_>, Vec<_>) = tasks.iter().partition(|(n, _)| *n == id2);
    assert!(!here.is_empty(), "swarm spreads 6 replicas over 3 nodes");
    let page = app.get(&format!("/nodes/{id2}")).await.expect(200);
    assert_eq!(testid(&page.body, "node-hostname"), hostname(multi, 2));
    assert_eq!(testid(&page.body, "node-state"), "ready");
    assert_eq!(testid(&page.body, "node-role"), "worker");
    for (_, slot) in &here {
        page.contains(&format!(">{name}.{slot}</a>"));
    }
    for (_, slot) in &elsewhere {
        page.lacks(&format!(">{name}.{slot}</a>"));
    }
    assert_eq!(testid(&page.body, "node-running"), here.len().to_string());
    // the live part alone, as htmx polls it
    let live = app
        .get_htmx(&format!("/nodes/{id2}/live"))
        .await
        .expect(200);
    live.lacks("<html");
    for (_, slot) in &here {
        live.contains(&format!(">{name}.{slot}</a>"));
    }
    // by hostname: redirected to the node's own address
    app.get(&format!("/nodes/{}", hostname(multi, 2)))
        .await
        .expect_redirect(&format!("/nodes/{id2}"));
    // and the list counts them
    let list = app.get("/nodes").await;
    let r = row(&list.body, &hostname(multi, 2));
    assert!(
        r.contains(&format!("data-testid=\"running\">{}<", here.len())),
        "{r}"
    );
}

// ---- actions ----------------------------------------------------------------------------------

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
    let running =
        b.c.find_all(Locator::Css(&format!(
            "[data-service='{name}'] .task-box.task-ok"
        )))
        .await
        .unwrap()
        .len();
    assert_eq!(
        running, 4,
        "four green boxes for the service, on the other nodes"
    );
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
    eventually(30, "node 2 is a reachable manager", || async {
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
    // bad input changes nothing
    let v = version(&inspect(&docker, &id2).await);
    act(&app, &format!("/nodes/{id2}/role"), &[("role", "king")])
        .await
        .contains("The role must be manager or worker");
    assert_eq!(version(&inspect(&docker, &id2).await), v);

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
    eventually(30, "three reachable managers", || async {
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
    let list = app.get("/nodes").await;
    assert!(row(&list.body, &hostname(multi, 3)).contains("unreachable"));
    let page = app.get(&format!("/nodes/{id2}")).await;
    assert!(testid(&page.body, "role-refused").contains("would lose quorum"));
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

    // bad input: a clear message, and the node is not touched
    let v = version(&inspect(&docker, &id2).await);
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
    assert_eq!(version(&inspect(&docker, &id2).await), v);
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("node.label.add".into(), host2.clone(), "ok".into())));
    assert!(audit.contains(&("node.label.remove".into(), host2.clone(), "ok".into())));
    assert!(audit.contains(&("node.label.add".into(), host2, "failed".into())));
}

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

#[tokio::test]
async fn bad_node_requests_get_a_clear_answer_and_change_nothing() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let docker = one.docker(1);
    let id = node_id(one, 1);
    let before = inspect(&docker, &id).await;

    app.get("/nodes/nosuchnode0000")
        .await
        .expect(404)
        .contains("There is no node");
    act(
        &app,
        &format!("/nodes/{id}/availability"),
        &[("availability", "off")],
    )
    .await
    .contains("The availability must be active, pause or drain");
    let page = act(
        &app,
        "/nodes/nosuchnode0000/availability",
        &[("availability", "drain")],
    )
    .await;
    page.contains("alert-error");
    page.contains("nosuchnode0000");
    act(&app, &format!("/nodes/{id}/labels/delete"), &[("key", "")])
        .await
        .contains("Say which label to remove");
    // the node berth talks to is never removed through berth
    act(&app, &format!("/nodes/{id}/delete"), &[("force", "yes")])
        .await
        .contains("it cannot remove that node");
    // without the CSRF token nothing happens at all
    let r = app
        .post_raw(
            &format!("/nodes/{id}/availability"),
            &[("availability", "drain")],
            &[],
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(version(&inspect(&docker, &id).await), version(&before));
}

#[tokio::test]
async fn the_dashboard_links_its_node_counts_and_join_commands_here() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    let page = app.get("/").await.expect(200);
    page.contains("href=\"/nodes\"");
    page.contains("href=\"/nodes#join\"");
    page.contains("href=\"/nodes/map\"");
    let nodes = app.get("/nodes").await.expect(200);
    nodes.contains("id=\"join\"");
    app.get("/nodes/map")
        .await
        .expect(200)
        .contains("id=\"cluster-map\"");
}
