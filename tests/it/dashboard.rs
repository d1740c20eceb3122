//! The dashboard against real swarms.

use std::collections::HashMap;

use bollard::Docker;
use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
};

use crate::harness::{TestApp, eventually, lab, unique};

pub const TEST_IMAGE: &str = "berth-test/busybox:1";

/// Creates a replicated service running `sleep` (or any image) with optional labels.
pub async fn create_service(
    docker: &Docker,
    name: &str,
    image: &str,
    replicas: i64,
    labels: &[(&str, &str)],
) -> String {
    let spec = ServiceSpec {
        name: Some(name.to_string()),
        labels: Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
        ),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(replicas),
            }),
            ..Default::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some(image.to_string()),
                args: Some(vec!["sleep".into(), "3600".into()]),
                init: Some(true),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    docker
        .create_service(spec, None)
        .await
        .expect("create service")
        .id
        .unwrap()
}

fn testid(body: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\">");
    let start = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} on the page:\n{body}"))
        + marker.len();
    body[start..].split('<').next().unwrap().trim().to_string()
}

#[tokio::test]
async fn dashboard_shows_the_labs_nodes_and_join_commands() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::signed_in(&multi.manager_host()).await;
    let page = app.get("/").await.expect(200);
    assert_eq!(testid(&page.body, "nodes-total"), "3");
    assert_eq!(testid(&page.body, "managers"), "1");
    assert_eq!(testid(&page.body, "workers"), "2");
    assert_eq!(testid(&page.body, "nodes-ready"), "3 ready");
    // the join commands are exactly what `docker swarm join-token` prints
    for role in ["worker", "manager"] {
        let cli = multi.docker_cli(1, &["swarm", "join-token", role]).unwrap();
        let cli_cmd = cli
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("docker swarm join"))
            .unwrap()
            .to_string();
        let shown = testid(&page.body, &format!("join-{role}"));
        assert_eq!(shown, cli_cmd.replace("  ", " "));
    }
    page.contains("Docker 20.10");
}

#[tokio::test]
async fn dashboard_counts_services_tasks_and_stacks() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let docker = chaos.docker(1);
    for s in docker.list_services(None).await.unwrap() {
        docker
            .delete_service(s.id.as_deref().unwrap())
            .await
            .unwrap();
    }
    let stack = unique("dash");
    let a = create_service(
        &docker,
        &format!("{stack}_web"),
        TEST_IMAGE,
        2,
        &[("com.docker.stack.namespace", &stack)],
    )
    .await;
    let b = create_service(
        &docker,
        &unique("broken"),
        "berth-test/does-not-exist:1",
        1,
        &[],
    )
    .await;
    let app = TestApp::signed_in(&chaos.manager_host()).await;
    let body = eventually(30, "2 web tasks running", || async {
        let page = app.get("/").await;
        (testid(&page.body, "tasks-running") == "2").then_some(page.body)
    })
    .await;
    assert_eq!(testid(&body, "services"), "2");
    assert_eq!(testid(&body, "tasks-desired"), "3");
    assert_eq!(testid(&body, "stacks"), "1");
    assert!(body.contains("1 not at desired replicas"), "{body}");
    docker.delete_service(&a).await.unwrap();
    docker.delete_service(&b).await.unwrap();
}
