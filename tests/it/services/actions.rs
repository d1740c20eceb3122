//! Redeploy, remove, CSRF, and changes racing swarm's own writes; the page following a rollout.

use serde_json::json;

use super::update::setup;
use super::*;
use crate::harness::unique;

#[tokio::test]
async fn redeploy_replaces_the_tasks_and_the_page_follows_until_settled() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcredeploy"));
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
            "--update-delay",
            "1s",
            IMAGE,
            "sh",
            "-c",
            HELLO,
        ],
    )
    .unwrap();
    wait_running(lab, &name, 2).await;
    let id = inspect(lab, &name)["ID"].as_str().unwrap().to_string();
    let before = specs(lab, &name).await;
    app.post(&format!("/services/{id}/redeploy"), &[])
        .await
        .expect_redirect(&format!("/services/{id}"));
    assert_only(
        &before,
        &specs(lab, &name).await,
        &["TaskTemplate", "ForceUpdate"],
        json!(1),
    );
    // the live part follows the rollout: in motion first, then settled with the update done
    let first = app
        .get_htmx(&format!("/services/{id}/live"))
        .await
        .expect(200);
    first.contains("id=\"svc-live\"").lacks("<html");
    let settled = eventually(60, "the redeploy settles", || async {
        let b = app.get_htmx(&format!("/services/{id}/live")).await.body;
        (b.contains("data-settled=\"true\"") && b.contains(">updated<")).then_some(b)
    })
    .await;
    assert!(settled.contains("every 10s"), "{settled}");
    // the list shows the update state too
    app.get(&format!("/services?q={name}"))
        .await
        .contains(">updated</span>");
    // the old tasks are history now
    assert!(settled.contains("task-history"), "{settled}");
}

#[tokio::test]
async fn removing_needs_confirmation() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcdel"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &name, IMAGE, "sleep", "3600",
        ],
    )
    .unwrap();
    let id = inspect(lab, &name)["ID"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/services/{id}/delete"), &[])
        .await
        .expect(422);
    r.contains("Tick the box");
    assert!(exists(lab, &name));
    app.post(&format!("/services/{id}/delete"), &[("confirm", "yes")])
        .await
        .expect_redirect("/services");
    assert!(!exists(lab, &name));
    app.get("/services")
        .await
        .contains(&format!("Service {name} removed."));
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("service.delete".into(), name.clone(), "ok".into())));
    // gone: 404, not an error page about Docker; an open page stops polling (htmx 286)
    app.get(&format!("/services/{id}")).await.expect(404);
    app.get_htmx(&format!("/services/{id}/live"))
        .await
        .expect(286)
        .contains("This service no longer exists");
}

#[tokio::test]
async fn actions_need_the_csrf_token() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svccsrf"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &name, IMAGE, "sleep", "3600",
        ],
    )
    .unwrap();
    let before = specs(lab, &name).await;
    app.post_raw(
        &format!("/services/{name}/scale"),
        &[("replicas", "4")],
        &[],
    )
    .await
    .expect(403);
    app.post_raw(
        &format!("/services/{name}/delete"),
        &[("confirm", "yes")],
        &[],
    )
    .await
    .expect(403);
    assert_eq!(specs(lab, &name).await, before);
}

#[tokio::test]
async fn quick_successive_updates_during_a_rollout_all_apply() {
    // swarm's updater writes the service (its update status) while a rollout runs, so the
    // version read a moment ago can go stale: berth reads again and applies the edit again
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, _) = setup(lab, &mut c).await;
    for i in 0..10 {
        for (action, fields) in [
            ("env", vec![("env", format!("ROUND={i}"))]),
            ("rollback", vec![]),
            ("redeploy", vec![]),
            ("scale", vec![("replicas", "2".to_string())]),
        ] {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = app.post(&format!("/services/{id}/{action}"), &fields).await;
            let alert = r
                .body
                .lines()
                .find(|l| l.contains("alert-error"))
                .unwrap_or("");
            assert_eq!(r.status, 303, "{action} in round {i}: {alert}");
        }
    }
    assert_eq!(spec(lab, &name)["Mode"]["Replicated"]["Replicas"], 2);
    let audit = app.audit_actions().await;
    for action in [
        "service.env",
        "service.rollback",
        "service.redeploy",
        "service.scale",
    ] {
        let n = audit
            .iter()
            .filter(|(a, t, o)| a == action && *t == name && o == "ok")
            .count();
        assert_eq!(n, 10, "{action}: {audit:?}");
    }
}
