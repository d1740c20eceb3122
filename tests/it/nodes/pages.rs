//! The list, a node's page, the dashboard's links, and requests that must change nothing.

use super::*;
use crate::harness::{TestApp, eventually, lab, unique};

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
    // the version moves with status reports; the spec is what an action would change
    assert_eq!(inspect(&docker, &id).await.spec, before.spec);
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
