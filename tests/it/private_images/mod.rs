//! Private images (issue 12): berth sends registry credentials on every deploy path, resolves
//! tags to digests with them, records the digests per stack version, pulls and redeploys, and
//! refuses before anything changes when the registry refuses. On the registry lab: node 1 a
//! manager that holds each pushed image, node 2 a worker that holds none and has no
//! credentials of its own, so a task placed there runs only when berth sent them.

mod cli;
mod web;

use std::time::Duration;

use bollard::Docker;
use bollard::query_parameters::ListTasksOptions;

use crate::harness::eventually;

/// What the tasks of a service show: (state, error, image) of each, newest first.
pub async fn tasks(docker: &Docker, service: &str) -> Vec<(String, String, String)> {
    let filters =
        std::collections::HashMap::from([("service".to_string(), vec![service.to_string()])]);
    let opts = ListTasksOptions {
        filters: Some(filters),
    };
    let mut tasks = docker.list_tasks(Some(opts)).await.unwrap_or_default();
    tasks.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    tasks
        .into_iter()
        .map(|t| {
            let st = t.status.unwrap_or_default();
            (
                st.state.map(|s| s.to_string()).unwrap_or_default(),
                st.err.unwrap_or_default(),
                t.spec
                    .and_then(|s| s.container_spec)
                    .and_then(|c| c.image)
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Waits until a task of `service` runs; returns its image.
pub async fn runs(docker: &Docker, service: &str) -> String {
    eventually(90, &format!("a running task of {service}"), || async {
        tasks(docker, service)
            .await
            .into_iter()
            .find(|(state, _, _)| state == "running")
            .map(|(_, _, image)| image)
    })
    .await
}

/// Waits until a task of `service` is refused for want of the image; returns its error.
pub async fn refused_image(docker: &Docker, service: &str) -> String {
    let err = eventually(
        90,
        &format!("a task of {service} without its image"),
        || async {
            tasks(docker, service)
                .await
                .into_iter()
                .find(|(state, err, _)| {
                    (state == "rejected" || state == "failed") && err.contains("No such image")
                })
                .map(|(_, err, _)| err)
        },
    )
    .await;
    // and none ever ran
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !tasks(docker, service)
            .await
            .iter()
            .any(|(s, _, _)| s == "running"),
        "a task of {service} ran without credentials"
    );
    err
}

/// Waits until every running task of `service` runs `image`, and one does.
pub async fn all_run(docker: &Docker, service: &str, image: &str) {
    eventually(120, &format!("{service} running {image} only"), || async {
        let t = tasks(docker, service).await;
        let running: Vec<_> = t.iter().filter(|(s, _, _)| s == "running").collect();
        (!running.is_empty() && running.iter().all(|(_, _, i)| i == image)).then_some(())
    })
    .await
}
