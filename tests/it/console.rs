//! The console into a task's container and the task's container log (issue 16), through
//! berth's WebSocket route (a real TCP server and a Rust WebSocket client) and the one-shot
//! command form: the checks before the upgrade (origin, CSRF token), what a node without an
//! agent answers, and what the audit log keeps.

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::harness::{TestApp, TestServer, eventually, lab, unique};
use crate::services::{Cleanup, IMAGE, wait_running};

/// A running task of service `name`: (service id, task id).
pub async fn running_task(
    app: &TestApp,
    lab: &crate::harness::Lab,
    name: &str,
) -> (String, String) {
    let id = crate::services::inspect(lab, name)["ID"]
        .as_str()
        .unwrap()
        .to_string();
    let task = eventually(30, "a running task in berth's model", || async {
        app.state
            .model
            .sync_now(std::time::Duration::from_secs(5))
            .await;
        let snap = app.state.model.snapshot();
        snap.service_tasks(&id)
            .iter()
            .find(|t| t.state == "running" && !t.container_id.is_empty())
            .map(|t| t.id.to_string())
    })
    .await;
    (id, task)
}

/// Opens berth's console WebSocket as a browser would (the session cookie, an Origin).
pub async fn open_socket(
    server_url: &str,
    path_and_query: &str,
    cookie: &str,
    origin: Option<&str>,
) -> Result<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    u16,
> {
    let url = format!(
        "{}{path_and_query}",
        server_url.replacen("http://", "ws://", 1)
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut().insert("cookie", cookie.parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((ws, _)) => Ok(ws),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => Err(resp.status().as_u16()),
        Err(e) => panic!("websocket: {e}"),
    }
}

#[tokio::test]
async fn a_console_opens_only_from_berths_pages_and_says_when_its_node_has_no_agent() {
    let l = lab("one");
    let app = TestApp::signed_in(&l.manager_host()).await;
    let mut c = Cleanup::new(l);
    let name = c.add(&unique("console"));
    l.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &name, "--init", IMAGE, "sleep",
            "3600",
        ],
    )
    .unwrap();
    wait_running(l, &name, 1).await;
    let (id, task) = running_task(&app, l, &name).await;

    // the service page's task row leads to the console and the log
    let page = app.get(&format!("/services/{id}")).await.expect(200);
    let console = format!("/services/{id}/tasks/{task}/console");
    page.contains(&console);
    page.contains(&format!("/services/{id}/tasks/{task}/log"));
    let page = app.get(&console).await.expect(200);
    page.contains("data-console");
    page.contains("/static/vendor/xterm-xterm-6.0.0/xterm.js");
    page.contains("/static/console.js");
    // a task of another service through this service's address: not found
    app.get(&format!("/services/{id}/tasks/nosuchtask/console"))
        .await
        .expect(404);

    let server = TestServer::start(app.state.clone()).await;
    let cookie = format!("berth_session={}", app.cookie("berth_session").unwrap());
    let csrf = app.csrf().await.unwrap();
    let origin = server.url.clone();
    let socket = format!("{console}/socket?csrf={csrf}");
    // another site's page, no Origin at all, or no CSRF token: refused before the upgrade
    assert_eq!(
        open_socket(&server.url, &socket, &cookie, Some("http://evil.example"))
            .await
            .err(),
        Some(403)
    );
    assert_eq!(
        open_socket(&server.url, &socket, &cookie, None).await.err(),
        Some(403)
    );
    assert_eq!(
        open_socket(
            &server.url,
            &format!("{console}/socket?csrf=nope"),
            &cookie,
            Some(&origin)
        )
        .await
        .err(),
        Some(403)
    );
    // without a session: not opened either (sent to the sign-in page)
    assert!(
        open_socket(&server.url, &socket, "berth_session=x", Some(&origin))
            .await
            .is_err()
    );

    // from berth's page: opened, and the agent's absence said in words
    let mut ws = open_socket(&server.url, &socket, &cookie, Some(&origin))
        .await
        .expect("upgraded");
    let said = match ws.next().await {
        Some(Ok(Message::Text(t))) => t.to_string(),
        other => panic!("expected a message, got {other:?}"),
    };
    assert!(said.contains("\"error\""), "{said}");
    assert!(said.contains("no agent on this node"), "{said}");
    let _ = ws.close(None).await;

    // the one-shot form says the same without JavaScript
    let r = app.post(&console, &[("cmd", "hostname")]).await.expect(200);
    r.contains("data-testid=\"console-error\"");
    r.contains("no agent on this node");
    // and the log page
    let log = app
        .get(&format!("/services/{id}/tasks/{task}/log?tail=10&since=5m"))
        .await
        .expect(200);
    log.contains("data-testid=\"task-log-error\"");
    app.get(&format!("/services/{id}/tasks/{task}/log?since=soon"))
        .await
        .expect(400);

    // a viewer may read the service but never open a console into it (page, command, socket)
    let viewer =
        crate::policy::account(&app, 3, "h9viewer", berth::auth::roles::Role::Viewer, &[]).await;
    viewer.get(&format!("/services/{id}")).await.expect(200);
    viewer.get(&console).await.expect(403);
    viewer
        .post(&console, &[("cmd", "hostname")])
        .await
        .expect(403);
    let viewer_cookie = format!("berth_session={}", viewer.cookie("berth_session").unwrap());
    let viewer_csrf = viewer.csrf().await.unwrap();
    assert_eq!(
        open_socket(
            &server.url,
            &format!("{console}/socket?csrf={viewer_csrf}"),
            &viewer_cookie,
            Some(&origin)
        )
        .await
        .err(),
        Some(403)
    );

    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, t, o)| a == "console.open" && o == "failed" && t.contains(&task)),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|(a, _, o)| a == "csrf.refused" && o == "denied"),
        "{audit:?}"
    );
    assert!(
        audit
            .iter()
            .any(|(a, t, o)| a == "console.run" && o == "failed" && t.contains(&task)),
        "{audit:?}"
    );
    server.stop().await;
}
