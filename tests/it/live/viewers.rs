//! What a viewer costs: every live part's stream opens, and page views, live parts and
//! /metrics scrapes make no Docker call while the model is live (berth's Docker calls counted
//! by a proxy on its socket). And berth's own actions are read back at once: the next page
//! shows them although Docker's events are held back (read-your-writes).

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, header};
use std::net::SocketAddr;
use std::time::Duration;
use tower::ServiceExt;

use crate::dashboard::create_service;
use crate::harness::proxy::SocketProxy;
use crate::harness::{TestApp, eventually, lab, unique};

/// A pending service in a stack: it shows on every page without running a container.
async fn pending_stack_service(docker: &bollard::Docker, stack: &str) -> String {
    let name = format!("{stack}_web");
    create_service(
        docker,
        &name,
        "berth-test/busybox:1",
        0,
        &[("com.docker.stack.namespace", stack)],
    )
    .await
}

/// GET straight through berth's router, as a browser would (the session cookie), without the
/// harness's model sync; the response head and as much body as arrives within `wait`.
async fn raw_get(app: &TestApp, path: &str, accept: &str, wait: Duration) -> (u16, String, String) {
    let cookie = format!(
        "berth_session={}",
        app.cookie("berth_session").expect("signed in")
    );
    let mut req = Request::get(path)
        .header(header::COOKIE, cookie)
        .header(header::ACCEPT, accept)
        .body(Body::empty())
        .expect("request");
    req.extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 40001))));
    let resp = berth::app(app.state.clone())
        .oneshot(req)
        .await
        .expect("router is infallible");
    let status = resp.status().as_u16();
    let ctype = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let mut body = resp.into_body().into_data_stream();
    let mut text = String::new();
    let _ = tokio::time::timeout(wait, async {
        use futures_util::StreamExt;
        while let Some(Ok(chunk)) = body.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
    })
    .await;
    (status, ctype, text)
}

fn stream_of(html: &str) -> Option<String> {
    let at = html.find("sse-connect=\"")? + "sse-connect=\"".len();
    let end = html[at..].find('"')?;
    Some(
        html[at..at + end]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// Every page with a live part, for a stack `stack` whose service is `service_id`.
fn live_pages(node: &str, service_id: &str, stack: &str) -> Vec<String> {
    vec![
        "/nodes".into(),
        "/nodes/map".into(),
        format!("/nodes/{node}"),
        "/services".into(),
        format!("/services/{service_id}"),
        "/stacks".into(),
        format!("/stacks/{stack}"),
    ]
}

#[tokio::test]
async fn every_pages_live_part_opens_its_stream() {
    let one = lab("one");
    let docker = one.docker(1);
    let stack = unique("vstk");
    let id = pending_stack_service(&docker, &stack).await;
    let app = TestApp::signed_in(&one.manager_host()).await;
    let node = app.state.model.snapshot().nodes()[0].id.clone();
    for page in live_pages(&node, &id, &stack) {
        let html = app.get(&page).await.expect(200).body;
        let stream = stream_of(&html).unwrap_or_else(|| panic!("{page} has no live stream"));
        let (status, ctype, _) = raw_get(
            &app,
            &stream,
            "text/event-stream",
            Duration::from_millis(200),
        )
        .await;
        assert_eq!(status, 200, "{page}: its stream {stream} answered {status}");
        assert!(
            ctype.starts_with("text/event-stream"),
            "{page}: its stream {stream} is {ctype}"
        );
    }
    let _ = docker.delete_service(&id).await;
}

#[tokio::test]
async fn viewers_cause_no_docker_call_while_the_model_is_live() {
    let one = lab("one");
    let docker = one.docker(1);
    let stack = unique("vcnt");
    let id = pending_stack_service(&docker, &stack).await;
    let proxy = SocketProxy::start(&one.manager_host());
    // the model's own background calls (poll, reconcile) out of the way of the count
    let app = TestApp::with(&proxy.host(), |a| {
        a.model_poll = Duration::from_secs(3600);
        a.model_reconcile = Duration::from_secs(3600);
    })
    .await;
    app.setup_admin().await;
    let snap = app.state.model.snapshot();
    assert!(snap.docker_reachable(), "the model is live");
    assert!(snap.service(&id).is_some(), "the model holds the service");
    let node = snap.nodes()[0].id.clone();
    // the live parts as their pages poll them, and the scrapes
    let mut views: Vec<(String, &str)> = Vec::new();
    for p in ["/", "/metrics"] {
        views.push((p.to_string(), "text/html"));
    }
    for page in live_pages(&node, &id, &stack) {
        let (_, _, html) = raw_get(&app, &page, "text/html", Duration::from_secs(5)).await;
        // a service page reads the service's full spec from Docker (the model holds a
        // summary): that view is not counted, its live part is
        if !page.starts_with("/services/") {
            views.push((page.clone(), "text/html"));
        }
        if let Some(stream) = stream_of(&html) {
            views.push((stream, "text/event-stream"));
        }
    }
    for p in [
        "/nodes/live".to_string(),
        "/nodes/map/live".to_string(),
        format!("/nodes/{node}/live"),
        format!("/services/{id}/live"),
        "/stacks/live".to_string(),
        format!("/stacks/{stack}/live"),
    ] {
        views.push((p, "text/html"));
    }
    // Other tests change the shared lab meanwhile, and the model follows each event with calls
    // of its own (and re-lists a moved service's tasks for 30 s). What Docker's event stream
    // sends is held back while views are counted (the stream stays open: the model is live),
    // and the count starts once berth has made no call for longer than a re-list's period.
    proxy.hold_events(true);
    quiet(&proxy, Duration::from_millis(2500), 40).await;
    for round in 0..5 {
        for (path, accept) in &views {
            let wait = Duration::from_millis(if accept.contains("event") { 100 } else { 5000 });
            // A view is counted against a quiet socket. Calls berth makes on its own (the
            // model's follow-up of an event) can fall inside a view: a view that causes calls
            // causes them again when repeated, a background burst does not.
            let mut calls = 0;
            for attempt in 0..2 {
                quiet(&proxy, Duration::from_millis(300), 10).await;
                let before = proxy.requests();
                let (status, _, _) = raw_get(&app, path, accept, wait).await;
                assert!(status < 400, "{path} answered {status}");
                calls = proxy.requests() - before;
                if calls == 0 {
                    break;
                }
                println!("view {round} of {path}, attempt {attempt}: {calls} Docker call(s)");
            }
            assert_eq!(
                calls, 0,
                "view {round} of {path} made {calls} Docker call(s) while the model is live"
            );
        }
    }
    // and the model still follows: a change made behind berth's back shows
    proxy.hold_events(false);
    docker
        .delete_service(&id)
        .await
        .expect("remove the service");
    eventually(20, "the model drops the removed service", || async {
        app.state
            .model
            .snapshot()
            .service(&id)
            .is_none()
            .then_some(())
    })
    .await;
}

/// Waits until no request has reached Docker through the proxy for `gap` (at most `most_secs`).
async fn quiet(proxy: &SocketProxy, gap: Duration, most_secs: u64) {
    let mut last = proxy.requests();
    let deadline = std::time::Instant::now() + Duration::from_secs(most_secs);
    while std::time::Instant::now() < deadline {
        tokio::time::sleep(gap).await;
        let now = proxy.requests();
        if now == last {
            return;
        }
        last = now;
    }
}

/// GET through the router without the harness's sync: the body of a page berth shows.
async fn page_now(app: &TestApp, path: &str) -> String {
    let (status, _, html) = raw_get(app, path, "text/html", Duration::from_secs(5)).await;
    assert_eq!(status, 200, "{path} answered {status}");
    html
}

#[tokio::test]
async fn after_berths_own_actions_the_next_read_shows_them_without_waiting_for_events() {
    let one = lab("one");
    let docker = one.docker(1);
    let stack = unique("vryw");
    let id = pending_stack_service(&docker, &stack).await;
    let proxy = SocketProxy::start(&one.manager_host());
    // no poll, no reconcile, and Docker's events held back below: only berth's own catch-up
    // after its action can bring the change into the model before the next read
    let app = TestApp::with(&proxy.host(), |a| {
        a.model_poll = Duration::from_secs(3600);
        a.model_reconcile = Duration::from_secs(3600);
    })
    .await;
    app.setup_admin().await;
    let snap = app.state.model.snapshot();
    assert!(snap.service(&id).is_some(), "the model holds the service");
    let node = snap.nodes()[0].id.clone();
    proxy.hold_events(true);

    for replicas in ["3", "5"] {
        app.post(&format!("/services/{id}/scale"), &[("replicas", replicas)])
            .await
            .expect(303);
        let html = page_now(&app, &format!("/services/{id}/live")).await;
        assert!(
            html.contains(&format!("data-testid=\"desired\">{replicas}<")),
            "the service's live part right after the scale to {replicas} shows:\n{html}"
        );
    }

    let key = stack.replace('_', "-");
    app.post(
        &format!("/nodes/{node}/labels"),
        &[("key", key.as_str()), ("value", "yes")],
    )
    .await
    .expect(303);
    let html = page_now(&app, &format!("/nodes/{node}")).await;
    assert!(
        html.contains(&format!("<td class=\"mono wrap\">{key}</td>")),
        "the node page right after adding the label {key} shows no such label"
    );
    app.post(
        &format!("/nodes/{node}/labels/delete"),
        &[("key", key.as_str())],
    )
    .await
    .expect(303);
    let html = page_now(&app, &format!("/nodes/{node}")).await;
    assert!(
        !html.contains(&format!("<td class=\"mono wrap\">{key}</td>")),
        "the node page right after removing the label {key} still shows it"
    );

    let name = format!("{stack}_web");
    app.post(&format!("/services/{id}/delete"), &[("confirm", "yes")])
        .await
        .expect(303);
    let html = page_now(&app, "/services").await;
    assert!(
        !html.contains(&format!("<strong>{name}</strong>")),
        "/services right after removing {name} still lists it"
    );
    assert!(
        docker.inspect_service(&id, None).await.is_err(),
        "Docker no longer holds the service"
    );

    // the end of a stack job: a deploy, then a removal
    let deployed = unique("vrys");
    let compose = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    deploy:\n      replicas: 0\n";
    for (path, fields) in [
        (
            "/stacks".to_string(),
            vec![
                ("name", deployed.as_str()),
                ("compose", compose),
                ("env", ""),
            ],
        ),
        (
            format!("/stacks/{deployed}/delete"),
            vec![("confirm", "yes")],
        ),
    ] {
        let job = app.post(&path, &fields).await.expect(303).location();
        let done = eventually(60, &format!("the job of {path} ends"), || async {
            let html = page_now(&app, &job).await;
            // a deploy's version page says running until its outcome is stored
            (html.contains("data-testid=\"outcome\"")
                && !html.contains("data-testid=\"outcome\">running<"))
            .then_some(html)
        })
        .await;
        assert!(
            done.contains("data-testid=\"outcome\">ok<"),
            "the job of {path} failed:\n{done}"
        );
        let html = page_now(&app, "/stacks").await;
        // its row, if any (a stack berth removed stays listed as not deployed)
        let row = html
            .split(&format!("data-stack=\"{deployed}\""))
            .nth(1)
            .and_then(|r| r.split("</tr>").next())
            .unwrap_or("");
        let in_swarm = !row.is_empty() && !row.contains("not deployed");
        assert_eq!(
            in_swarm,
            path == "/stacks",
            "/stacks right after the job of {path} ends shows {deployed} as: {row}"
        );
    }
    proxy.hold_events(false);
}
