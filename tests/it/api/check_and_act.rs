//! A deploy token's service action is checked on the very spec it writes: when the service
//! moves to another stack between berth's read and its write, Docker refuses the write (its
//! version is stale), berth reads again, asks again, and refuses — nothing changes.

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::Method;
use berth::docker::services::ops::{self, ChangeError};
use serde_json::json;

use super::cluster::deployed;
use super::{api, app, token};
use crate::harness::{lab, unique};
use crate::stacks::{cleanup, service_json};

#[tokio::test]
async fn a_service_moved_to_another_stack_between_check_and_act_is_not_changed() {
    let lab = lab("one");
    let app = app().await;
    let ops_token = token(&app, "ops", "operate", "").await;
    let (mine, theirs) = (unique("caa"), unique("cab"));
    deployed(&app, &ops_token, &mine).await;
    let svc = format!("{mine}_web");
    let docker = app.state.docker.manager().unwrap();
    let reg = app.state.deploys.registry_auth().await;

    // the guard allows `mine`; on its first question someone relabels the service to `theirs`
    // (after berth read the spec, before it writes it)
    let asked = AtomicUsize::new(0);
    let guard = |stack: &str| {
        if asked.fetch_add(1, Ordering::SeqCst) == 0 {
            lab.docker_cli(
                1,
                &[
                    "service",
                    "update",
                    "--detach",
                    "--label-add",
                    &format!("com.docker.stack.namespace={theirs}"),
                    &svc,
                ],
            )
            .expect("relabel");
        }
        if stack == mine {
            Ok(())
        } else {
            Err(format!("stack {stack} is not yours"))
        }
    };
    let result = ops::scale_checked(&docker, &reg, &guard, &svc, 3).await;
    match result {
        Err(ChangeError::Refused(m)) => assert_eq!(m, format!("stack {theirs} is not yours")),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        asked.load(Ordering::SeqCst),
        2,
        "asked again after the stale write"
    );
    let now = service_json(lab, &svc);
    assert_eq!(
        now["Spec"]["Mode"]["Replicated"]["Replicas"], 1,
        "not scaled"
    );
    assert_eq!(
        now["Spec"]["Labels"]["com.docker.stack.namespace"],
        theirs.as_str()
    );

    // through the API: a deploy token for `mine` is refused on the moved service (403)
    let ci = token(&app, "ci", "deploy", &mine).await;
    let r = api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{svc}/scale"),
        &ci,
        Some(json!({"replicas": 2})),
    )
    .await
    .expect(403);
    assert!(
        r.text.contains(&format!("changing stack {theirs}")),
        "{}",
        r.text
    );
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        1
    );
    lab.docker_cli(
        1,
        &[
            "service",
            "update",
            "--detach",
            "--label-add",
            &format!("com.docker.stack.namespace={mine}"),
            &svc,
        ],
    )
    .expect("relabel back");
    cleanup(lab, &mine).await;
}
