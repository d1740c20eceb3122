//! The console into a task's container and the task's container log (issue 16), through
//! berth's WebSocket route (a real TCP server and a Rust WebSocket client) and the one-shot
//! command form: the checks before the upgrade (origin, CSRF token), what a node without an
//! agent answers, and what the audit log keeps.

use futures_util::{SinkExt, StreamExt};
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

/// Reads a console's frames until the agent says how it ended: (output, the closing event).
async fn read_until_end(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> (String, String) {
    let mut out = Vec::new();
    let end = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(m) = ws.next().await {
            match m {
                Ok(Message::Binary(b)) => out.extend_from_slice(&b),
                Ok(Message::Text(t)) => return t.to_string(),
                Ok(Message::Close(_)) | Err(_) => return "closed".to_string(),
                Ok(_) => {}
            }
        }
        "ended".to_string()
    })
    .await
    .expect("the console ends within 30 s");
    (String::from_utf8_lossy(&out).into_owned(), end)
}

/// The status of a raw HTTP/1.0 request to `addr`.
async fn raw_status(addr: std::net::SocketAddr, request: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out);
    text.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text}"))
}

#[tokio::test]
async fn the_console_runs_hostname_in_a_task_on_node_3_and_shows_that_containers_hostname() {
    use crate::harness::agents::Agents;
    let l = lab("multi");
    let agents = Agents::start(l).await;
    let app = agents.app(l).await;
    let node3 = agents.node_ids[2].clone();
    let mut c = Cleanup::new(l);
    let name = c.add(&unique("conhost"));
    l.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &name,
            "--init",
            "--constraint",
            &format!("node.id=={node3}"),
            IMAGE,
            "sh",
            "-c",
            "echo console-log-line; exec sleep 3600",
        ],
    )
    .unwrap();
    wait_running(l, &name, 1).await;
    let (id, task) = running_task(&app, l, &name).await;
    let container = {
        let snap = app.state.model.snapshot();
        let t = snap
            .service_tasks(&id)
            .iter()
            .find(|t| *t.id == *task)
            .unwrap();
        assert_eq!(&*t.node_id, node3.as_str(), "the task runs on node 3");
        t.container_id.to_string()
    };
    // the container's hostname as node 3's Docker holds it
    let hostname = l
        .docker_cli(3, &["inspect", "-f", "{{.Config.Hostname}}", &container])
        .unwrap()
        .trim()
        .to_string();
    assert!(!hostname.is_empty());

    let server = TestServer::start(app.state.clone()).await;
    let cookie = format!("berth_session={}", app.cookie("berth_session").unwrap());
    let csrf = app.csrf().await.unwrap();
    let console = format!("/services/{id}/tasks/{task}/console");

    // `hostname` through berth's WebSocket: that container's hostname, then exit code 0
    let mut ws = open_socket(
        &server.url,
        &format!("{console}/socket?csrf={csrf}&cmd=hostname&cols=80&rows=24"),
        &cookie,
        Some(&server.url),
    )
    .await
    .expect("upgraded");
    let (out, end) = read_until_end(&mut ws).await;
    assert_eq!(out.trim(), hostname, "console output: {out:?}");
    assert_eq!(end, r#"{"exit":0}"#);

    // a shell: each keystroke comes back as its echo (the round trip is measured)
    let mut ws = open_socket(
        &server.url,
        &format!("{console}/socket?csrf={csrf}&cols=100&rows=30"),
        &cookie,
        Some(&server.url),
    )
    .await
    .expect("upgraded");
    ws.send(Message::Text(r#"{"resize":[120,40]}"#.into()))
        .await
        .unwrap();
    // wait for the prompt
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains('#') {
        match tokio::time::timeout(std::time::Duration::from_secs(20), ws.next()).await {
            Ok(Some(Ok(Message::Binary(b)))) => seen.extend_from_slice(&b),
            other => panic!("no prompt from the shell: {other:?} after {seen:?}"),
        }
    }
    let mut trips = Vec::new();
    for ch in "stty size".bytes() {
        let sent = std::time::Instant::now();
        ws.send(Message::Binary(vec![ch].into())).await.unwrap();
        loop {
            match tokio::time::timeout(std::time::Duration::from_secs(10), ws.next()).await {
                Ok(Some(Ok(Message::Binary(b)))) if b.contains(&ch) => break,
                Ok(Some(Ok(_))) => continue,
                other => panic!("no echo of {:?}: {other:?}", ch as char),
            }
        }
        trips.push(sent.elapsed());
    }
    trips.sort();
    println!(
        "console round trip (keystroke -> echo through berth and the agent), {} keys: median {:?}, max {:?}",
        trips.len(),
        trips[trips.len() / 2],
        trips[trips.len() - 1]
    );
    ws.send(Message::Binary(b"\r".to_vec().into()))
        .await
        .unwrap();
    ws.send(Message::Binary(b"exit 3\r".to_vec().into()))
        .await
        .unwrap();
    let (out, end) = read_until_end(&mut ws).await;
    assert!(
        out.contains("40 120"),
        "the resize reached the TTY: {out:?}"
    );
    assert_eq!(end, r#"{"exit":3}"#);

    // the one-shot form (no JavaScript) shows the same hostname
    let r = app.post(&console, &[("cmd", "hostname")]).await.expect(200);
    r.contains("data-testid=\"console-output\"");
    r.contains(&format!(">{hostname}\n</pre>"));
    r.contains("Exit code 0");
    // and the task's own container log, through node 3's agent
    let log = app
        .get(&format!("/services/{id}/tasks/{task}/log?tail=50"))
        .await
        .expect(200);
    log.contains("console-log-line");
    log.lacks("task-log-error");

    // each session audited at open and close (with how long it lasted), the command run too
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, COALESCE(target, ''), COALESCE(detail, '') FROM audit_log WHERE action LIKE 'console.%' ORDER BY id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let count = |a: &str| rows.iter().filter(|(x, _, _)| x == a).count();
    assert_eq!(count("console.open"), 2, "{rows:?}");
    assert_eq!(count("console.close"), 2, "{rows:?}");
    assert_eq!(count("console.run"), 1, "{rows:?}");
    assert!(
        rows.iter()
            .all(|(_, t, _)| t.contains(&task) && t.contains(&container[..12])),
        "{rows:?}"
    );
    assert!(
        rows.iter()
            .filter(|(a, _, _)| a == "console.close")
            .all(|(_, _, d)| d.contains(" after ") && d.ends_with(" s")),
        "{rows:?}"
    );
    server.stop().await;

    // node 3's agent refuses its exec route to anyone without berth's key
    let addr = agents.addr(3);
    let plain = raw_status(
        addr,
        &format!("GET /v1/exec?container={container}&cmd=hostname HTTP/1.0\r\n\r\n"),
    )
    .await;
    assert_eq!(plain, 401);
    let unsigned = tokio_tungstenite::connect_async(format!(
        "ws://{addr}/v1/exec?container={container}&cmd=hostname"
    ))
    .await;
    match unsigned {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 401)
        }
        other => panic!(
            "an unsigned upgrade was not refused: {:?}",
            other.map(|_| ())
        ),
    }
    let body = format!(r#"{{"container":"{container}","cmd":"hostname"}}"#);
    let run = raw_status(
        addr,
        &format!(
            "POST /v1/exec/run HTTP/1.0\r\nx-berth-time: {}\r\nx-berth-nonce: {}\r\nx-berth-signature: {}\r\ncontent-length: {}\r\n\r\n{body}",
            berth::agent::sign::now(),
            berth::agent::sign::nonce(),
            "0".repeat(64),
            body.len()
        ),
    )
    .await;
    assert_eq!(run, 401, "a badly signed command is refused");
}

#[tokio::test]
async fn the_console_page_opens_a_shell_in_the_browser_under_the_strict_csp() {
    use crate::harness::agents::Agents;
    use crate::harness::browser::Browser;
    let l = lab("multi");
    let agents = Agents::start(l).await;
    let app = agents.app(l).await;
    let node3 = agents.node_ids[2].clone();
    let mut c = Cleanup::new(l);
    let name = c.add(&unique("conweb"));
    l.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &name,
            "--init",
            "--constraint",
            &format!("node.id=={node3}"),
            "--hostname",
            "h9-console-{{.Task.Slot}}",
            IMAGE,
            "sleep",
            "3600",
        ],
    )
    .unwrap();
    wait_running(l, &name, 1).await;
    let (id, task) = running_task(&app, l, &name).await;

    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    b.sign_in(&server.url).await;
    // from the service page's task row (a full page load: the terminal's scripts are the page's)
    b.goto(&format!("{}/services/{id}", server.url)).await;
    b.click("[data-testid=task-console]").await;
    assert_eq!(
        b.path().await,
        format!("/services/{id}/tasks/{task}/console")
    );
    b.click("[data-testid=console-open]").await;
    b.wait_text("Connected.", 15).await;
    let area =
        b.c.wait()
            .for_element(fantoccini::Locator::Css(".xterm-helper-textarea"))
            .await
            .expect("xterm's input");
    area.send_keys("echo \"name=$(hostname)\"\u{E007}")
        .await
        .unwrap();
    // the terminal's rows are text in the page: the shell's answer is the container's hostname
    b.wait_text("name=h9-console-1", 15).await;
    area.send_keys("exit\u{E007}").await.unwrap();
    b.wait_text("The command ended with exit code 0.", 15).await;
    if let Ok(dir) = std::env::var("BERTH_TEST_SCREENSHOTS") {
        b.screenshot(&std::path::Path::new(&dir).join("console.png"))
            .await;
    }
    b.close().await;
    server.stop().await;
}
