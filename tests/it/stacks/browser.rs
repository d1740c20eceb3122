//! The main stack flow in a real browser (headless chromium): paste a two-service compose file
//! into the editor, give a variable in the env editor, deploy and watch the progress; the stack
//! page shows the backend running and the db's "No such image"; change the replicas, preview
//! (only the backend changes), apply; the history has two versions; redeploy version 1; remove.

use fantoccini::Locator;

use super::*;
use crate::harness::browser::Browser;
use crate::harness::{TestServer, unique};

/// Puts text into the Ace editor the way a paste does (typing into Ace would auto-indent).
async fn paste_compose(b: &Browser, text: &str) {
    b.c.wait()
        .for_element(Locator::Css(".ace-host"))
        .await
        .expect("the Ace editor loads");
    b.c.execute(
        "const ta = document.querySelector('textarea[name=compose]'); ta.aceEditor.setValue(arguments[0], -1);",
        vec![serde_json::Value::String(text.to_string())],
    )
    .await
    .unwrap();
}

async fn accept_confirm(b: &Browser) {
    for _ in 0..50 {
        if b.c.accept_alert().await.is_ok() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no confirmation dialog appeared");
}

/// Waits until the version page shows an outcome other than running.
async fn wait_outcome(b: &Browser) -> String {
    for _ in 0..600 {
        if let Ok(el) = b.c.find(Locator::Css("[data-testid=outcome]")).await
            && let Ok(t) = el.text().await
            && t != "running"
            && !t.is_empty()
        {
            return t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("the deploy did not finish within 120 s");
}

#[tokio::test]
async fn the_main_stack_flow_in_a_browser() {
    let (lab, app) = app().await;
    let name = unique("web");
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    b.sign_in(&server.url).await;

    // new stack: name, compose pasted into the editor, a variable in the env editor
    b.goto(&format!("{}/stacks/new", server.url)).await;
    b.fill("input[name=name]", &name).await;
    paste_compose(&b, &two_services(2)).await;
    b.fill("textarea[name=env]", "MODE").await;
    // checked as you type: the env line is wrong…
    b.wait_text("expected KEY=value", 10).await;
    b.fill("textarea[name=env]", "MODE=production").await;
    // …and then fine
    let ok =
        b.c.wait()
            .for_element(Locator::Css("[data-testid=validation-ok]"))
            .await
            .unwrap();
    assert!(ok.text().await.unwrap().contains("backend, db"));
    if let Ok(dir) = std::env::var("BERTH_TEST_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&dir).join("stack-editor.png"))
            .await;
    }
    b.click("#stack-form button.btn-primary").await;

    // the deploy's progress, live, until it ends: the db cannot start
    b.wait_text("Creating service", 20).await;
    assert_eq!(wait_outcome(&b).await, "degraded");
    b.wait_text("No such image: berth-test/does-not-exist:1", 5)
        .await;

    // the stack page: the backend runs, the db's error is shown prominently
    b.goto(&format!("{}/stacks/{name}", server.url)).await;
    let failures = b.text("[data-testid=stack-failures]").await;
    assert!(
        failures.contains("No such image: berth-test/does-not-exist:1"),
        "{failures}"
    );
    // the live part may still be catching up with the second task: up to 30 s
    let replicas = format!("tr[data-service='{name}_backend'] [data-testid=replicas]");
    let mut backend = b.text(&replicas).await;
    for _ in 0..60 {
        if backend == "2/2" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        backend = b.text(&replicas).await;
    }
    assert_eq!(backend, "2/2");
    if let Ok(dir) = std::env::var("BERTH_TEST_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&dir).join("stack.png"))
            .await;
    }

    // change the replicas; the preview shows only the backend changing
    b.click(&format!("a[href='/stacks/{name}/edit']")).await;
    paste_compose(&b, &two_services(3)).await;
    b.click("button[formaction$='/preview']").await;
    b.wait_text("Preview: deploying", 10).await;
    let rows =
        b.c.find_all(Locator::Css("#preview-services tr[data-service]"))
            .await
            .unwrap();
    let mut actions = Vec::new();
    for r in rows {
        actions.push((
            r.attr("data-service").await.unwrap().unwrap(),
            r.attr("data-action").await.unwrap().unwrap(),
        ));
    }
    actions.sort();
    assert_eq!(
        actions,
        vec![
            ("backend".to_string(), "update".to_string()),
            ("db".to_string(), "unchanged".to_string())
        ]
    );
    b.wait_text("Mode.Replicated.Replicas", 2).await;

    // apply it: version 2, the backend now has 3 replicas (the db still cannot start)
    b.click("form.editor-actions button.btn-primary").await;
    assert_eq!(wait_outcome(&b).await, "degraded");
    b.wait_text("version 2", 5).await;
    let replicas = |lab: &Lab| {
        service_json(lab, &format!("{name}_backend"))["Spec"]["Mode"]["Replicated"]["Replicas"]
            .clone()
    };
    assert_eq!(replicas(lab), 3);

    // the history has two versions; redeploy version 1 (after the confirmation)
    b.goto(&format!("{}/stacks/{name}", server.url)).await;
    let versions =
        b.c.find_all(Locator::Css("#stack-history tr[data-version]"))
            .await
            .unwrap();
    assert_eq!(versions.len(), 2);
    b.click("#stack-history tr[data-version='1'] form button")
        .await;
    accept_confirm(&b).await;
    assert_eq!(wait_outcome(&b).await, "degraded");
    b.wait_text("a redeploy of", 5).await;
    assert_eq!(replicas(lab), 2);

    // remove it (ticked and confirmed); the page reports when everything is gone
    b.goto(&format!("{}/stacks/{name}", server.url)).await;
    b.click("form[action$='/delete'] input[name=confirm]").await;
    b.click("form[action$='/delete'] button").await;
    accept_confirm(&b).await;
    b.wait_text("networks gone", 120).await;
    assert!(
        swarm_objects(lab, &name).is_empty(),
        "services, networks, secrets and configs are gone"
    );
    b.close().await;
    server.stop().await;
}

/// Leaving a running deploy's page through a link closes its progress stream: the deploy
/// ending later does not reload the page the user moved to.
#[tokio::test]
async fn leaving_a_running_deploy_page_closes_its_stream() {
    let (lab, app) = app().await;
    let name = unique("nav");
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    b.sign_in(&server.url).await;
    // one replica that starts: the deploy waits a few seconds for it to settle
    let compose = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n";
    app.post("/stacks", &[("name", &name), ("compose", compose)])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    b.goto(&format!("{}/stacks/{name}/versions/1", server.url))
        .await;
    b.c.find(Locator::Css("ol.joblog[data-sse]"))
        .await
        .expect("the deploy is still running: its page follows it");
    // away through the breadcrumb (an hx-boost swap, not a page load); mark the page
    b.click(".crumbs a[href='/stacks']").await;
    b.wait_text("Stacks", 10).await;
    b.c.execute("document.body.dataset.stayed = 'yes';", vec![])
        .await
        .unwrap();
    let page = finished(&app, &name, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    // the end event went out; a page that still listened reloads within milliseconds
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let stayed =
        b.c.execute("return document.body.dataset.stayed || 'reloaded';", vec![])
            .await
            .unwrap();
    assert_eq!(stayed, serde_json::json!("yes"));
    assert_eq!(b.path().await, "/stacks");
    b.close().await;
    server.stop().await;
    cleanup(lab, &name).await;
}
