//! An open page follows the swarm without a reload: pushed over server-sent events from the
//! model, or polled when streams are refused.

use fantoccini::Locator;

use crate::dashboard::{TEST_IMAGE, create_service};
use crate::harness::browser::Browser;
use crate::harness::{TestApp, TestServer, eventually, lab, unique};

async fn text_of(b: &Browser, css: &str) -> String {
    match b.c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// A sample of the app's /metrics (0 when the series is not there yet).
async fn metric(app: &TestApp, series: &str) -> f64 {
    let text = app.get("/metrics").await.expect(200).body;
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

fn polls_of(route: &str) -> String {
    format!("berth_http_request_duration_seconds_count{{method=\"GET\",route=\"{route}\"}}")
}

/// Opens the page of a new 1-replica service and returns (service name, its id).
async fn open_service_page(app: &TestApp, server: &TestServer, b: &Browser) -> (String, String) {
    let one = lab("one");
    let name = unique("livesvc");
    let id = create_service(&one.docker(1), &name, TEST_IMAGE, 1, &[]).await;
    b.sign_in(&server.url).await;
    b.goto(&format!("{}/services/{id}", server.url)).await;
    eventually(60, "1 of 1 running on the page", || async {
        (text_of(b, "[data-testid=running]").await == "1").then_some(())
    })
    .await;
    let _ = app;
    (name, id)
}

#[tokio::test]
async fn an_open_service_page_sees_a_cli_scale_pushed_over_sse_without_polling() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    let (name, _id) = open_service_page(&app, &server, &b).await;
    // the live part's stream is open (app.js marks it), and berth counts it
    eventually(20, "the live part's stream open", || async {
        b.c.find(Locator::Css("[sse-connect][data-sse-open]"))
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    assert!(metric(&app, "berth_open_streams").await >= 1.0);
    let polls = polls_of("/services/{id}/live");
    let polled_before = metric(&app, &polls).await;

    // docker service scale NAME=3, with the CLI on the manager
    one.docker_cli(1, &["service", "scale", "--detach", &format!("{name}=3")])
        .expect("docker service scale");
    eventually(
        60,
        "3 of 3 running on the page, without a reload",
        || async {
            (text_of(&b, "[data-testid=desired]").await == "3"
                && text_of(&b, "[data-testid=running]").await == "3")
                .then_some(())
        },
    )
    .await;
    // it came over the stream: the page never polled its live part meanwhile
    assert_eq!(metric(&app, &polls).await, polled_before);
    assert!(
        b.c.find(Locator::Css("[sse-connect][data-sse-open]"))
            .await
            .is_ok()
    );

    // leaving the page closes its stream
    b.goto(&format!("{}/settings", server.url)).await;
    // (noticed at the stream's next keep-alive comment, every 5 s)
    eventually(60, "no stream open after navigating away", || async {
        (metric(&app, "berth_open_streams").await == 0.0).then_some(())
    })
    .await;
    b.close().await;
    server.stop().await;
    one.docker(1).delete_service(&name).await.ok();
}

#[tokio::test]
async fn with_streams_refused_an_open_service_page_polls_and_still_sees_a_cli_scale() {
    let one = lab("one");
    let app = TestApp::with(&one.manager_host(), |a| a.max_live_streams = 0).await;
    app.setup_admin().await;
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    let (name, _id) = open_service_page(&app, &server, &b).await;
    let polls = polls_of("/services/{id}/live");
    let polled_before = metric(&app, &polls).await;

    one.docker_cli(1, &["service", "scale", "--detach", &format!("{name}=2")])
        .expect("docker service scale");
    eventually(
        60,
        "2 of 2 running on the page, without a reload",
        || async {
            (text_of(&b, "[data-testid=desired]").await == "2"
                && text_of(&b, "[data-testid=running]").await == "2")
                .then_some(())
        },
    )
    .await;
    // no stream was ever open: the page polled
    assert!(
        b.c.find_all(Locator::Css("[data-sse-open]"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(metric(&app, &polls).await > polled_before);
    assert_eq!(metric(&app, "berth_open_streams").await, 0.0);
    b.close().await;
    server.stop().await;
    one.docker(1).delete_service(&name).await.ok();
}
