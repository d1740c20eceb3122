//! /metrics against the `one` lab: the families with the values of a known state, and refused
//! to anyone without a session.

use std::collections::HashMap;

use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
    TaskSpecPlacement,
};

use crate::harness::{TestApp, eventually, lab, unique};

/// The value of the sample `series` (name with its labels, exactly as exposed).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// A service of `replicas` tasks that can never be placed (they stay pending).
async fn pending_service(docker: &bollard::Docker, name: &str, stack: &str, replicas: i64) {
    let spec = ServiceSpec {
        name: Some(name.into()),
        labels: Some(HashMap::from([(
            "com.docker.stack.namespace".to_string(),
            stack.to_string(),
        )])),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(replicas),
            }),
            ..Default::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some("berth-test/busybox:1".into()),
                args: Some(vec!["sleep".into(), "3600".into()]),
                ..Default::default()
            }),
            placement: Some(TaskSpecPlacement {
                constraints: Some(vec!["node.labels.berth-nowhere==1".into()]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_service(spec, None)
        .await
        .expect("create service");
}

#[tokio::test]
async fn metrics_expose_nodes_services_tasks_deploys_and_latencies() {
    let one = lab("one");
    let docker = one.docker(1);
    let app = TestApp::signed_in(&one.manager_host()).await;
    let stack = unique("mstk");
    let name = format!("{stack}_web");
    pending_service(&docker, &name, &stack, 3).await;

    // two deploys in berth's history: one ok, one failed
    for (compose, outcome) in [("services: {}\n", "ok"), ("services: {a: {}}\n", "failed")] {
        let v = berth::db::stacks::insert(
            &app.state.db,
            &berth::db::stacks::NewVersion {
                stack: &stack,
                compose,
                env: "",
                files: "{}",
                prune: false,
                username: "admin",
                redeploy_of: None,
                base: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
        berth::db::stacks::finish(&app.state.db, &stack, v, outcome, "", "[]")
            .await
            .unwrap();
    }
    app.get("/").await.expect(200);

    let series = format!(
        "berth_service_tasks_desired{{mode=\"replicated\",service=\"{name}\",stack=\"{stack}\"}}"
    );
    let text = eventually(
        30,
        "the service's three pending tasks in /metrics",
        || async {
            let resp = app.get("/metrics").await.expect(200);
            let text = resp.body.clone();
            (sample(&text, &series) == Some(3.0)).then_some(text)
        },
    )
    .await;
    let resp = app.get("/metrics").await.expect(200);
    assert!(
        resp.header("content-type")
            .starts_with("text/plain; version=0.0.4"),
        "{}",
        resp.header("content-type")
    );
    assert_eq!(
        sample(
            &text,
            &format!(
                "berth_service_tasks_running{{mode=\"replicated\",service=\"{name}\",stack=\"{stack}\"}}"
            )
        ),
        Some(0.0)
    );
    // the lab's one node is a ready, active manager
    assert_eq!(
        sample(
            &text,
            "berth_nodes{availability=\"active\",role=\"manager\",state=\"ready\"}"
        ),
        Some(1.0),
        "{text}"
    );
    // tasks by state: at least this service's three, and as many as Docker holds
    let pending = sample(&text, "berth_tasks{state=\"pending\"}").unwrap_or(0.0);
    assert!(pending >= 3.0, "{text}");
    assert!(sample(&text, "berth_stack_deploys{outcome=\"ok\"}").unwrap_or(0.0) >= 1.0);
    assert!(sample(&text, "berth_stack_deploys{outcome=\"failed\"}").unwrap_or(0.0) >= 1.0);
    assert_eq!(
        sample(&text, "berth_stack_deploys{outcome=\"superseded\"}"),
        Some(0.0)
    );
    // berth's own: the dashboard request was timed, and no stream is open
    assert!(
        sample(
            &text,
            "berth_http_request_duration_seconds_count{method=\"GET\",route=\"/\"}"
        )
        .unwrap_or(0.0)
            >= 1.0,
        "{text}"
    );
    assert!(text.contains("# TYPE berth_http_request_duration_seconds histogram"));
    assert_eq!(sample(&text, "berth_open_streams"), Some(0.0));
    docker.delete_service(&name).await.expect("remove service");
}

#[tokio::test]
async fn metrics_are_readable_with_a_read_token_and_refused_to_a_deploy_token() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let read = crate::api::token(&app, "scraper", "read", "").await;
    let deploy = crate::api::token(&app, "ci", "deploy", "app").await;
    let stranger = app.client(8);
    let with = |t: &str| {
        axum::http::Request::get("/metrics")
            .header("authorization", format!("Bearer {t}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let resp = stranger.request(with(&read)).await.expect(200);
    assert!(
        resp.body.contains("# TYPE berth_nodes gauge"),
        "{}",
        resp.body
    );
    stranger.request(with(&deploy)).await.expect(403);
    stranger
        .request(with("berth_notatokenatallnotatokenatallnotatokena"))
        .await
        .expect(401);
}

#[tokio::test]
async fn metrics_refuse_anyone_without_a_session() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let stranger = app.client(7);
    let resp = stranger.get("/metrics").await.expect(401);
    resp.lacks("berth_nodes");
    // a made-up session cookie is no better
    stranger.set_cookie("berth_session", "not-a-session");
    stranger
        .get("/metrics")
        .await
        .expect(401)
        .lacks("berth_nodes");
}
