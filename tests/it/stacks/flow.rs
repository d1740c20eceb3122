//! The whole life of a stack through plain HTML forms (no JavaScript): check, deploy and its
//! progress, the stack page, preview, apply, history and diff, redeploy, remove, forget.

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn the_editor_checks_name_variables_and_file_and_a_bad_source_changes_nothing() {
    let (lab, app) = app().await;
    let name = unique("chk");
    // as-you-type check: JSON with located problems
    let r = app
        .post_raw(
            "/stacks/validate",
            &[
                ("csrf", &app.csrf().await.unwrap()),
                ("name", &name),
                ("compose", &two_services(2)),
                ("env", "MODE"),
            ],
            &[("accept", "application/json")],
        )
        .await
        .expect(200);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["field"], "env");
    assert_eq!(v["problems"][0]["line"], 1);
    let broken = two_services(2).replace("replicas: 2", "replicas: two");
    let r = app
        .post_raw(
            "/stacks/validate",
            &[
                ("csrf", &app.csrf().await.unwrap()),
                ("name", &name),
                ("compose", &broken),
                ("env", "MODE=x"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["problems"][0]["field"], "compose");
    assert_eq!(v["problems"][0]["line"], 10, "{v}");
    assert_eq!(v["problems"][0]["path"], "services.backend.deploy.replicas");
    let ok = app
        .post_raw(
            "/stacks/validate",
            &[
                ("csrf", &app.csrf().await.unwrap()),
                ("name", &name),
                ("compose", &two_services(2)),
                ("env", "MODE=x"),
            ],
            &[("accept", "application/json")],
        )
        .await;
    let v: serde_json::Value = serde_json::from_str(&ok.body).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["services"], serde_json::json!(["backend", "db"]));

    // without JavaScript: the page again, problems listed on their lines, the text kept
    let page = app
        .post(
            "/stacks/validate",
            &[("name", &name), ("compose", &broken), ("env", "MODE=x")],
        )
        .await
        .expect(422);
    page.contains("line 10")
        .contains("services.backend.deploy.replicas")
        .contains("replicas: two");
    // a deploy of a bad source: refused the same way, nothing stored, nothing in the swarm
    let page = app
        .post(
            "/stacks",
            &[("name", &name), ("compose", &broken), ("env", "MODE=x")],
        )
        .await
        .expect(422);
    page.contains("Nothing was deployed")
        .contains("data-line=\"10\"");
    let page = app
        .post(
            "/stacks",
            &[
                ("name", "bad name!"),
                ("compose", &two_services(2)),
                ("env", "MODE=x"),
            ],
        )
        .await
        .expect(422);
    page.contains("data-testid=\"name-error\"");
    let page = app
        .post(
            "/stacks",
            &[
                ("name", &name),
                (
                    "compose",
                    "services:\n  web:\n    image: nginx:${TAG:?set TAG first}\n",
                ),
                ("env", ""),
            ],
        )
        .await
        .expect(422);
    page.contains("required variable TAG is missing a value");
    assert!(swarm_objects(lab, &name).is_empty());
    let versions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stack_versions")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(versions, 0);
}

#[tokio::test]
async fn a_stack_is_deployed_previewed_changed_redeployed_and_removed_with_plain_forms() {
    let (lab, app) = app().await;
    let name = unique("shop");
    let (backend, db) = (format!("{name}_backend"), format!("{name}_db"));

    // deploy version 1; the progress page follows it to its end
    let r = app
        .post(
            "/stacks",
            &[
                ("name", &name),
                ("compose", &two_services(2)),
                ("env", "MODE=production"),
            ],
        )
        .await;
    r.expect_redirect(&format!("/stacks/{name}/versions/1"));
    let page = finished(&app, &name, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "degraded", "{}", page.body);
    page.contains(&format!("Creating service {backend}"))
        .contains(&format!("{backend}: 2/2 running"));
    page.contains("No such image: berth-test/does-not-exist:1");
    // what Docker holds: the variable from the env editor, the named volume with its label
    let svc = service_json(lab, &backend);
    assert_eq!(
        svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"],
        serde_json::json!(["APP_MODE=production"])
    );
    assert_eq!(svc["Spec"]["Mode"]["Replicated"]["Replicas"], 2);
    let dbs = service_json(lab, &db);
    assert_eq!(
        dbs["Spec"]["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Source"],
        format!("{name}_dbdata")
    );

    // the stack page: backend running, db's error shown prominently; the source, escaped
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    page.contains("data-testid=\"stack-failures\"")
        .contains("No such image: berth-test/does-not-exist:1");
    page.contains(&format!("data-service=\"{backend}\""))
        .contains("2/2");
    page.contains(&format!("{name}_dbdata"))
        .contains(&format!("{name}_default"));
    page.contains("data-version=\"1\"");
    // the list: made by berth, with its last deploy
    let list = app.get("/stacks").await.expect(200);
    list.contains(&format!("data-stack=\"{name}\""))
        .contains("in berth");

    // a second deploy while the first applies or waits goes ahead: the first ends superseded
    let r = app
        .post(
            &format!("/stacks/{name}"),
            &[("compose", &two_services(3)), ("env", "MODE=production")],
        )
        .await;
    r.expect_redirect(&format!("/stacks/{name}/versions/2"));
    app.post(
        &format!("/stacks/{name}"),
        &[("compose", &two_services(4)), ("env", "MODE=production")],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/3"));
    let page = finished(&app, &name, 2).await;
    assert_eq!(testid(&page.body, "outcome"), "superseded", "{}", page.body);
    page.contains("superseded by version 3");
    finished(&app, &name, 3).await;
    let last = 3;

    // preview a change of the backend's replicas: only the backend changes, no task restarts
    let current = service_json(lab, &backend)["Spec"]["Mode"]["Replicated"]["Replicas"]
        .as_u64()
        .unwrap();
    let target = current + 1;
    let preview = app
        .post(
            &format!("/stacks/{name}/preview"),
            &[
                ("compose", &two_services(target as u32)),
                ("env", "MODE=production"),
            ],
        )
        .await
        .expect(200);
    preview
        .contains("data-service=\"backend\" data-action=\"update\"")
        .contains("data-service=\"db\" data-action=\"unchanged\"");
    preview
        .contains("Mode.Replicated.Replicas")
        .contains(&format!("<td class=\"before\">{current}</td>"));
    assert_eq!(testid(&preview.body, "changed-count"), "1 would change");
    preview.lacks("data-testid=\"restarts\"");
    assert_eq!(
        service_json(lab, &backend)["Spec"]["Mode"]["Replicated"]["Replicas"].as_u64(),
        Some(current),
        "a preview changes nothing"
    );

    // apply it (the preview's own form posts the same source)
    let r = app
        .post(
            &format!("/stacks/{name}"),
            &[
                ("compose", &two_services(target as u32)),
                ("env", "MODE=production"),
            ],
        )
        .await;
    let v_apply = last + 1;
    r.expect_redirect(&format!("/stacks/{name}/versions/{v_apply}"));
    let page = finished(&app, &name, v_apply).await;
    page.contains(&format!("Updating service {backend}"));
    assert_eq!(
        service_json(lab, &backend)["Spec"]["Mode"]["Replicated"]["Replicas"].as_u64(),
        Some(target)
    );

    // history and diff
    let page = app.get(&format!("/stacks/{name}")).await;
    page.contains("data-version=\"1\"")
        .contains(&format!("data-version=\"{v_apply}\""));
    let diff = app
        .get(&format!("/stacks/{name}/diff?from=1&to={v_apply}"))
        .await
        .expect(200);
    diff.contains("replicas: 2")
        .contains(&format!("replicas: {target}"))
        .contains("diff-removed")
        .contains("diff-added");

    // redeploy version 1: a new version, back to 2 replicas
    let r = app
        .post(&format!("/stacks/{name}/versions/1/redeploy"), &[])
        .await;
    let v_re = v_apply + 1;
    r.expect_redirect(&format!("/stacks/{name}/versions/{v_re}"));
    let page = finished(&app, &name, v_re).await;
    page.contains("a redeploy of");
    assert_eq!(
        service_json(lab, &backend)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );

    // the values of variables stay hidden until asked for; the source is escaped
    let page = app.get(&format!("/stacks/{name}/versions/{v_re}")).await;
    page.lacks("MODE=production").contains("<code>MODE</code>");
    app.get(&format!("/stacks/{name}/versions/{v_re}?reveal=env"))
        .await
        .contains("MODE=production");
    let reveals: Vec<_> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, t, _)| a == "stack.env.reveal" && *t == name)
        .collect();
    assert_eq!(
        reveals.len(),
        1,
        "who saw the values is recorded: {reveals:?}"
    );

    // remove: needs the confirmation, then reports when everything is gone
    app.post(&format!("/stacks/{name}/delete"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}"));
    assert!(
        !swarm_objects(lab, &name).is_empty(),
        "nothing is removed without the confirmation"
    );
    let r = app
        .post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
    let job = r.location();
    assert!(job.starts_with("/jobs/"), "{job}");
    let page = eventually(120, "the removal finishes", || async {
        let p = app.get(&job).await;
        p.body.contains("data-testid=\"outcome\"").then_some(p)
    })
    .await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    page.contains("networks gone");
    assert!(
        swarm_objects(lab, &name).is_empty(),
        "services, networks, secrets and configs are gone"
    );
    // the history stays: the list shows the stack as not deployed, with its source
    app.get("/stacks")
        .await
        .contains(&format!("data-stack=\"{name}\""))
        .contains("not deployed");
    app.get(&format!("/stacks/{name}"))
        .await
        .expect(200)
        .contains("data-version=\"1\"");
    // until deleted explicitly
    app.post(
        &format!("/stacks/{name}/history/delete"),
        &[("confirm", "yes")],
    )
    .await
    .expect_redirect("/stacks");
    app.get(&format!("/stacks/{name}")).await.expect(404);

    let audit = app.audit_actions().await;
    for action in ["stack.deploy", "stack.remove", "stack.history.delete"] {
        assert!(
            audit.iter().any(|(a, t, _)| a == action && t == &name),
            "{action} audited: {audit:?}"
        );
    }
}

#[tokio::test]
async fn a_deploy_interrupted_by_a_restart_is_marked_failed() {
    let app = TestApp::new(&lab("one").manager_host()).await;
    db_insert_running(&app).await;
    // the same database, opened again (as a restarted berth does)
    let args = berth::config::ServeArgs::for_test(
        app.state.config.data_dir.clone(),
        lab("one").manager_host(),
    );
    let again = berth::AppState::new(args).await.unwrap();
    let (outcome, summary): (String, String) =
        sqlx::query_as("SELECT outcome, summary FROM stack_versions WHERE stack = 'interrupted'")
            .fetch_one(&again.db)
            .await
            .unwrap();
    assert_eq!(outcome, "failed");
    assert!(summary.contains("deploy again"), "{summary}");
}

async fn db_insert_running(app: &TestApp) {
    berth::db::stacks::insert(
        &app.state.db,
        &berth::db::stacks::NewVersion {
            stack: "interrupted",
            compose: "services: {}\n",
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
}
