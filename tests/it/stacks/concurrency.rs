//! Deploys that overlap: a corrected deploy goes ahead of a broken one still waiting (which ends
//! superseded), a removal during a wait, two deploys sent at once, and an edit made from an
//! older version than the newest, shown as a diff to confirm.

use super::*;
use crate::harness::unique;

const MISSING: &str = "berth-test/does-not-exist:1";
const PRESENT: &str = "berth-test/busybox:1";

fn one_service(image: &str, replicas: u32) -> String {
    format!(
        "services:\n  web:\n    image: {image}\n    command: [\"sleep\", \"3600\"]\n    init: true\n    deploy:\n      replicas: {replicas}\n"
    )
}

async fn stored_outcome(app: &TestApp, stack: &str, version: i64) -> (String, String) {
    sqlx::query_as(
        "SELECT outcome, COALESCE(summary, '') FROM stack_versions WHERE stack = ? AND version = ?",
    )
    .bind(stack)
    .bind(version)
    .fetch_one(&app.state.db)
    .await
    .unwrap()
}

async fn newest_version(app: &TestApp, stack: &str) -> i64 {
    sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM stack_versions WHERE stack = ?")
        .bind(stack)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

fn replicas(lab: &Lab, service: &str) -> u64 {
    service_json(lab, service)["Spec"]["Mode"]["Replicated"]["Replicas"]
        .as_u64()
        .unwrap_or_default()
}

#[tokio::test]
async fn a_corrected_deploy_a_second_later_goes_ahead_and_the_broken_one_ends_superseded() {
    let (lab, app) = app().await;
    let name = unique("fix");
    app.post(
        "/stacks",
        &[
            ("name", &name),
            ("compose", &one_service(MISSING, 1)),
            ("env", ""),
            ("base_version", "0"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    // the user notices the typo and deploys the corrected file a second later, from the
    // editor of version 1: not refused, not queued behind a wait of minutes
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    app.post(
        &format!("/stacks/{name}"),
        &[
            ("compose", &one_service(PRESENT, 1)),
            ("env", ""),
            ("base_version", "1"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/2"));

    let first = finished(&app, &name, 1).await;
    assert_eq!(
        testid(&first.body, "outcome"),
        "superseded",
        "{}",
        first.body
    );
    first.contains("superseded by version 2");
    let second = finished(&app, &name, 2).await;
    assert_eq!(testid(&second.body, "outcome"), "ok", "{}", second.body);
    second.contains("converged");
    let image = service_json(lab, &format!("{name}_web"))["Spec"]["TaskTemplate"]["ContainerSpec"]
        ["Image"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(image.starts_with(PRESENT), "{image}");
    assert_eq!(stored_outcome(&app, &name, 1).await.0, "superseded");
    // the history says so too
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    page.contains("superseded by version 2");
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn a_removal_during_a_wait_ends_the_wait_and_removes_the_stack() {
    let (lab, app) = app().await;
    let name = unique("rmw");
    app.post(
        "/stacks",
        &[("name", &name), ("compose", &one_service(MISSING, 1))],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    // waiting: the tasks' progress is being reported
    eventually(60, "the deploy waits for its tasks", || async {
        let page = app.get(&format!("/stacks/{name}/versions/1")).await;
        page.body
            .contains(&format!("{name}_web: 0/1 running"))
            .then_some(())
    })
    .await;
    let job = app
        .post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await
        .location();
    assert!(job.starts_with("/jobs/"), "{job}");
    let page = eventually(120, "the removal finishes", || async {
        let p = app.get(&job).await;
        p.body.contains("data-testid=\"outcome\"").then_some(p)
    })
    .await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    assert!(swarm_objects(lab, &name).is_empty());
    let (outcome, summary) = stored_outcome(&app, &name, 1).await;
    assert_eq!(outcome, "superseded");
    assert!(summary.contains("superseded by a removal"), "{summary}");
}

#[tokio::test]
async fn two_deploys_sent_at_once_end_in_order_the_newer_applied_the_older_superseded() {
    let (lab, app) = app().await;
    let name = unique("two");
    let (one, two) = (one_service(PRESENT, 1), one_service(PRESENT, 2));
    let (form_one, form_two) = (
        [("name", name.as_str()), ("compose", one.as_str())],
        [("name", name.as_str()), ("compose", two.as_str())],
    );
    let (a, b) = tokio::join!(
        app.post("/stacks", &form_one),
        app.post("/stacks", &form_two)
    );
    let mut locations = vec![a.location(), b.location()];
    locations.sort();
    assert_eq!(
        locations,
        [
            format!("/stacks/{name}/versions/1"),
            format!("/stacks/{name}/versions/2")
        ]
    );
    let older = finished(&app, &name, 1).await;
    assert_eq!(
        testid(&older.body, "outcome"),
        "superseded",
        "{}",
        older.body
    );
    // "Superseded by version 2 before it was applied" when version 2 registered first,
    // "…; superseded by version 2 before it converged" otherwise
    assert!(
        older
            .body
            .to_lowercase()
            .contains("superseded by version 2"),
        "{}",
        older.body
    );
    let newer = finished(&app, &name, 2).await;
    assert_eq!(testid(&newer.body, "outcome"), "ok", "{}", newer.body);
    // the swarm runs what version 2 holds, whichever request it was
    let compose: String =
        sqlx::query_scalar("SELECT compose FROM stack_versions WHERE stack = ? AND version = 2")
            .bind(&name)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    let wanted = if compose == two { 2 } else { 1 };
    assert_eq!(replicas(lab, &format!("{name}_web")), wanted);
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn an_edit_of_an_older_version_shows_the_difference_and_deploys_once_confirmed() {
    let (lab, app) = app().await;
    let name = unique("old");
    app.post(
        "/stacks",
        &[
            ("name", &name),
            ("compose", &one_service(PRESENT, 1)),
            ("base_version", "0"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    finished(&app, &name, 1).await;
    // the editor carries the version it started from
    app.get(&format!("/stacks/{name}/edit"))
        .await
        .contains("name=\"base_version\" value=\"1\"");
    // someone else deploys version 2 meanwhile
    app.post(
        &format!("/stacks/{name}"),
        &[
            ("compose", &one_service(PRESENT, 2)),
            ("env", "WHO=other"),
            ("base_version", "1"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/2"));
    finished(&app, &name, 2).await;

    // the first user's deploy, made from version 1: the difference with version 2, nothing done
    let mine = one_service(PRESENT, 3);
    let page = app
        .post(
            &format!("/stacks/{name}"),
            &[("compose", &mine), ("env", ""), ("base_version", "1")],
        )
        .await
        .expect(409);
    page.contains("data-testid=\"stale\"")
        .contains("You edited version 1, but admin deployed version 2 meanwhile")
        .contains("data-testid=\"compose-diff\"");
    page.contains("<tr class=\"diff-removed\">")
        .contains("replicas: 2")
        .contains("replicas: 3");
    page.contains("<code>WHO</code> <span class=\"pill pill-bad\">removed</span>");
    page.contains("name=\"base_version\" value=\"2\"")
        .contains("name=\"confirm\" value=\"yes\"");
    assert_eq!(newest_version(&app, &name).await, 2, "nothing was stored");
    assert_eq!(replicas(lab, &format!("{name}_web")), 2);

    // a new stack of the same name from another editor: the same question
    app.post(
        "/stacks",
        &[("name", &name), ("compose", &mine), ("base_version", "0")],
    )
    .await
    .expect(409)
    .contains("You started a new stack, but admin deployed");

    // confirmed (the confirmation's own form): deployed over version 2
    app.post(
        &format!("/stacks/{name}"),
        &[
            ("compose", &mine),
            ("env", ""),
            ("base_version", "2"),
            ("confirm", "yes"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/3"));
    let page = finished(&app, &name, 3).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    assert_eq!(replicas(lab, &format!("{name}_web")), 3);
    cleanup(lab, &name).await;
}
