//! Logs: plain text (tail, timestamps, task filter) and the server-sent event stream.

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn logs_txt_and_the_stream_show_the_services_output() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svclogs"));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &name,
            "--replicas",
            "2",
            "--init",
            IMAGE,
            "sh",
            "-c",
            "echo hello from $HOSTNAME; echo '<b>oops</b>' >&2; exec sleep 3600",
        ],
    )
    .unwrap();
    wait_running(lab, &name, 2).await;
    let id = inspect(lab, &name)["ID"].as_str().unwrap().to_string();

    let text = eventually(30, "both tasks' lines in logs.txt", || async {
        let r = app.get(&format!("/services/{id}/logs.txt")).await;
        (r.body.matches("hello from").count() == 2 && r.body.matches("oops").count() == 2)
            .then_some(r)
    })
    .await;
    assert_eq!(text.header("content-type"), "text/plain; charset=utf-8");
    // each line says which task and node it came from, like `docker service logs`
    assert!(
        text.body
            .lines()
            .all(|l| l.starts_with(&format!("{name}."))),
        "{}",
        text.body
    );
    assert!(text.body.contains("@bl-"), "{}", text.body);
    assert!(
        text.body.contains("| <b>oops</b>"),
        "plain text is not escaped: {}",
        text.body
    );

    // tail is per task (as Docker does it), timestamps on request
    let tail = app
        .get(&format!("/services/{id}/logs.txt?tail=1&timestamps=1"))
        .await
        .expect(200);
    assert_eq!(tail.body.lines().count(), 2, "{}", tail.body);
    assert!(
        tail.body.lines().all(|l| l.starts_with("20")),
        "{}",
        tail.body
    );

    // one task only
    let tasks = lab
        .docker_cli(
            1,
            &[
                "service",
                "ps",
                "-q",
                "--filter",
                "desired-state=running",
                &name,
            ],
        )
        .unwrap();
    let task = tasks.lines().next().unwrap().trim();
    let full_task = lab
        .docker_cli(1, &["inspect", "--format", "{{.ID}}", task])
        .unwrap();
    let one = app
        .get(&format!(
            "/services/{id}/logs.txt?task={}",
            full_task.trim()
        ))
        .await
        .expect(200);
    assert_eq!(one.body.matches("hello from").count(), 1, "{}", one.body);
    app.get(&format!("/services/{id}/logs.txt?task=nosuchtask"))
        .await
        .expect(404);
    app.get(&format!("/services/{id}/logs.txt?tail=lots"))
        .await
        .expect(400);
    let dl = app
        .get(&format!("/services/{id}/logs.txt?download=1"))
        .await;
    assert!(dl.header("content-disposition").starts_with("attachment"));

    // the stream: server-sent events, lines as JSON (the browser renders them as text)
    let sse = app
        .get(&format!("/services/{id}/logs/stream?follow=0&tail=10"))
        .await
        .expect(200);
    assert!(sse.header("content-type").starts_with("text/event-stream"));
    assert_eq!(sse.body.matches("event: line").count(), 4, "{}", sse.body);
    assert!(sse.body.contains("\"x\":\"hello from"), "{}", sse.body);
    assert!(sse.body.contains("\"err\":true"), "{}", sse.body);
    assert!(
        sse.body.contains(&format!("\"task\":\"{name}.")),
        "{}",
        sse.body
    );
    assert!(sse.body.contains("event: end"));

    // the page holds the viewer, pointed at the stream
    let page = app.get(&format!("/services/{id}/logs")).await.expect(200);
    page.contains(&format!(
        "data-log-stream=\"{}\"",
        html(&format!("/services/{id}/logs/stream?tail=200&task="))
    ));
    page.contains("logs.txt");
}

#[tokio::test]
async fn logs_come_from_every_node_through_the_manager() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let mut c = Cleanup::new(multi);
    let name = c.add(&unique("svcglobal"));
    multi
        .docker_cli(
            1,
            &[
                "service",
                "create",
                "--detach",
                "--quiet",
                "--name",
                &name,
                "--mode",
                "global",
                "--init",
                "--hostname",
                "{{.Node.Hostname}}",
                IMAGE,
                "sh",
                "-c",
                "echo hello from $HOSTNAME; exec sleep 3600",
            ],
        )
        .unwrap();
    let id = inspect(multi, &name)["ID"].as_str().unwrap().to_string();
    let text = eventually(60, "a line from each of the 3 nodes", || async {
        let r = app.get(&format!("/services/{id}/logs.txt")).await;
        (1..=3)
            .all(|n| {
                r.body
                    .contains(&format!("hello from bl-{}-n{n}", multi.name))
            })
            .then_some(r.body)
    })
    .await;
    for n in 1..=3 {
        // the prefix names the node the task runs on, as the line itself does
        let node = format!("bl-{}-n{n}", multi.name);
        assert!(
            text.contains(&format!("@{node} | hello from {node}")),
            "{text}"
        );
    }
    // the page lists one task per node, by hostname
    let page = app.get(&format!("/services/{id}")).await.expect(200);
    for n in 1..=3 {
        page.contains(&format!("<td>bl-{}-n{n}</td>", multi.name));
    }
}

/// A browser following a service's logs must not hold up berth's graceful shutdown: the
/// stream ends when berth starts shutting down.
#[tokio::test]
async fn an_open_log_stream_does_not_hold_up_a_graceful_shutdown() {
    use crate::harness::TestServer;
    use http_body_util::BodyExt;

    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcfollow"));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &name,
            "--init",
            IMAGE,
            "sh",
            "-c",
            "echo started; exec sleep 3600",
        ],
    )
    .unwrap();
    wait_running(lab, &name, 1).await;
    let id = inspect(lab, &name)["ID"].as_str().unwrap().to_string();
    let cookie = format!("berth_session={}", app.cookie("berth_session").unwrap());
    let server = TestServer::start(app.state.clone()).await;

    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<hyper::body::Bytes>>();
    let req = hyper::Request::get(format!("{}/services/{id}/logs/stream", server.url))
        .header("cookie", cookie)
        .body(http_body_util::Empty::new())
        .unwrap();
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status(), 200);
    let mut body = resp.into_body();
    // read until the first log line arrived: the stream is open and following
    let mut seen = String::new();
    while !seen.contains("started") {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(30), body.frame())
            .await
            .expect("a log line within 30 s")
            .expect("the stream is open")
            .unwrap();
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    let t = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(10), server.stop())
        .await
        .expect("berth stops within 10 s although a browser still follows the logs");
    println!(
        "figure: graceful shutdown with an open log stream took {:?}",
        t.elapsed()
    );
    // the browser got the end of the stream
    let rest = tokio::time::timeout(std::time::Duration::from_secs(5), body.collect()).await;
    if let Ok(Ok(rest)) = rest {
        let text = String::from_utf8_lossy(&rest.to_bytes()).to_string();
        assert!(text.contains("event: end"), "{text}");
    }
}
