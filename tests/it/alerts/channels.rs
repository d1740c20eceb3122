use super::alerts_lab;
use crate::harness::TestApp;
use crate::harness::sinks::Sink;

#[tokio::test(flavor = "multi_thread")]
async fn channels_are_checked_and_send_a_test_says_what_failed() {
    let app = TestApp::signed_in(&alerts_lab().manager_host()).await;
    let sink = Sink::webhook();
    let refused = app
        .post(
            "/alerts/channels",
            &[("kind", "webhook"), ("name", "bad"), ("url", "ftp://x/y")],
        )
        .await
        .expect(422);
    refused.contains("The address must be an http:// or https:// URL with a host.");
    app.post(
        "/alerts/channels",
        &[
            ("kind", "ntfy"),
            ("name", "phone"),
            ("url", &sink.url("/berth-topic")),
        ],
    )
    .await
    .expect_redirect("/alerts");
    // a closed port: nothing listens there
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    app.post(
        "/alerts/channels",
        &[("kind", "slack"), ("name", "chat"), ("url", &dead)],
    )
    .await
    .expect_redirect("/alerts");
    app.post(
        "/alerts/channels",
        &[("kind", "slack"), ("name", "chat"), ("url", &dead)],
    )
    .await
    .expect(422)
    .contains("A channel named chat exists already.");
    let ids: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM alert_channels ORDER BY name")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    let id = |n: &str| ids.iter().find(|(_, name)| name == n).unwrap().0;
    // the settings are sealed: the URL is not in the row
    let sealed: String =
        sqlx::query_scalar("SELECT settings FROM alert_channels WHERE name = 'phone'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(!sealed.contains("berth-topic"), "{sealed}");

    app.post(&format!("/alerts/channels/{}/test", id("phone")), &[])
        .await
        .expect_redirect("/alerts");
    app.get("/alerts")
        .await
        .contains("Test message sent to phone.");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].1["path"], "/berth-topic");
    assert_eq!(
        got[0].1["headers"]["title"],
        "[berth] Test: test message to phone"
    );

    app.post(&format!("/alerts/channels/{}/test", id("chat")), &[])
        .await
        .expect_redirect("/alerts");
    let page = app.get("/alerts").await;
    page.contains("The test message to chat failed: cannot connect");
    assert!(
        !page.body.contains(&dead),
        "the URL is not repeated in the error"
    );
    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, t, o)| a == "alert.channel.test" && t == "chat" && o == "failed"),
        "{audit:?}"
    );

    app.post(&format!("/alerts/channels/{}/remove", id("chat")), &[])
        .await
        .expect_redirect("/alerts");
    app.get("/alerts").await.lacks("data-name=\"chat\"");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_is_tuned_and_routed_by_its_form() {
    let app = TestApp::signed_in(&alerts_lab().manager_host()).await;
    let sink = Sink::webhook();
    app.post(
        "/alerts/channels",
        &[
            ("kind", "webhook"),
            ("name", "hook"),
            ("url", &sink.url("/")),
        ],
    )
    .await
    .expect_redirect("/alerts");
    let id: i64 = sqlx::query_scalar("SELECT id FROM alert_channels")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.post(
        "/alerts/rules/task_failures",
        &[
            ("enabled", "on"),
            ("count", "5"),
            ("minutes", "2"),
            ("route", "only"),
            ("channel", &id.to_string()),
        ],
    )
    .await
    .expect_redirect("/alerts");
    let row: (bool, i64, i64, Option<String>) = sqlx::query_as(
        "SELECT enabled, count, minutes, channels FROM alert_rules WHERE rule = 'task_failures'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(row, (true, 5, 2, Some(id.to_string())));
    app.post("/alerts/rules/task_failures", &[("count", "0")])
        .await
        .expect_redirect("/alerts");
    app.get("/alerts")
        .await
        .contains("must be a whole number from 1 to 1000");
    app.post("/alerts/rules/nope", &[]).await.expect(404);
}
