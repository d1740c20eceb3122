//! The list and the service page: what they show, live parts, escaping, odd ids.

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn the_list_shows_replicas_mismatch_stack_and_filters() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let prefix = unique("svclist");
    let stack = format!("{prefix}stk");
    let web = c.add(&format!("{prefix}-web"));
    let broken = c.add(&format!("{prefix}-broken"));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &web,
            "--replicas",
            "2",
            "--init",
            "--label",
            &format!("com.docker.stack.namespace={stack}"),
            "-p",
            &format!("{}:80", port()),
            IMAGE,
            "sleep",
            "3600",
        ],
    )
    .unwrap();
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &broken,
            "berth-test/does-not-exist:1",
        ],
    )
    .unwrap();
    wait_running(lab, &web, 2).await;

    let page = app.get(&format!("/services?q={prefix}")).await.expect(200);
    page.contains(&web)
        .contains(&broken)
        .contains(">2/2<")
        .contains(">0/1<");
    page.contains("svc-mismatch")
        .contains(&stack)
        .contains("→80/tcp");
    page.contains("hx-trigger=\"every 2s\"");
    // search is by part of the name, case-insensitive
    let only = app.get(&format!("/services?q={}", "BROKEN")).await;
    only.contains(&broken);
    // the stack filter
    let s = app
        .get(&format!("/services?q={prefix}&stack={stack}"))
        .await;
    s.contains(&web).lacks(&format!(">{broken}<"));
    // problems only
    let p = app.get(&format!("/services?q={prefix}&problems=1")).await;
    p.contains(&broken).lacks(&format!(">{web}<"));
    // the live refresh answers the table alone, with the same query
    let part = app
        .request(
            axum::http::Request::get(format!("/services?q={prefix}"))
                .header("hx-request", "true")
                .header("hx-target", "services-live")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(part.status, 200);
    part.contains("id=\"services-live\"")
        .contains(&web)
        .lacks("<html")
        .lacks("New service");
    part.contains(&html(&format!("/services?q={prefix}&stack=&problems=")));
}

#[tokio::test]
async fn a_failed_tasks_error_is_shown_prominently() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let broken = c.add(&unique("svcnoimg"));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &broken,
            "berth-test/does-not-exist:1",
        ],
    )
    .unwrap();
    let id = inspect(lab, &broken)["ID"].as_str().unwrap().to_string();
    let body = eventually(60, "the task error on the page", || async {
        let b = app.get(&format!("/services/{id}")).await.body;
        b.contains("No such image").then_some(b)
    })
    .await;
    // in the alert at the top, not only in the task table
    let alert = body
        .split("data-testid=\"problems\"")
        .nth(1)
        .expect("a problems box");
    assert!(
        alert
            .split("</section>")
            .next()
            .unwrap()
            .contains("No such image"),
        "{body}"
    );
    assert!(body.contains("task-failed"));
    assert!(body.contains("alert alert-error svc-problems"));
}

#[tokio::test]
async fn the_page_shows_the_spec_in_sections() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcspec"));
    let id = cli_service(lab, &name, port());
    let page = app.get(&format!("/services/{id}")).await.expect(200);
    for text in [
        "Image and command",
        &html("sh -c 'echo hello; exec sleep 3600'"),
        "svc.label",
        "ctr.label",
        "node.role==manager",
        "Memory limit",
        "64MiB",
        "CPU reservation",
        "on-failure",
        "start-first",
        // the rollback policy the CLI sets by default
        "stop-first",
        "Health check",
        &format!("{name}-data"),
        "/data",
        "Stop grace period",
        "3s",
        "mode=host",
    ] {
        page.contains(text);
    }
    // the health check's test is shown as the command
    page.contains("<dt>Test</dt><dd class=\"wrap\">true</dd>");
}

#[tokio::test]
async fn labels_are_escaped() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcxss"));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &name,
            "--label",
            "evil=<script>alert(1)</script>",
            "--label",
            "com.docker.stack.namespace=<img src=x onerror=alert(2)>",
            "--env",
            "E=<b>bold</b>",
            IMAGE,
            "sleep",
            "3600",
        ],
    )
    .unwrap();
    let id = inspect(lab, &name)["ID"].as_str().unwrap().to_string();
    let page = app
        .get(&format!("/services/{id}?reveal=env"))
        .await
        .expect(200);
    page.contains(&html("<script>alert(1)</script>"))
        .lacks("<script>alert(1)")
        .contains(&html("<b>bold</b>"))
        .lacks("<b>bold</b>")
        .lacks("<img src=x");
    // looking at the values is recorded, merely opening the page is not
    app.get(&format!("/services/{id}")).await.expect(200);
    let reveals: Vec<_> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, t, _)| a == "service.env.reveal" && *t == name)
        .collect();
    assert_eq!(reveals.len(), 1, "{reveals:?}");
    let list = app.get(&format!("/services?q={name}")).await.expect(200);
    list.contains(&html("<img src=x onerror=alert(2)>"))
        .lacks("<img src=x");
}

#[tokio::test]
async fn odd_and_unknown_ids_are_not_found() {
    let (_, app) = app().await;
    app.get("/services/doesnotexist").await.expect(404);
    app.get("/services/..%2F..%2Fcontainers%2Fjson")
        .await
        .expect(404);
    app.get("/services/.hidden").await.expect(404);
    app.post("/services/..%2Fx/scale", &[("replicas", "1")])
        .await
        .expect(404);
    app.get("/services/doesnotexist/logs.txt").await.expect(404);
}
