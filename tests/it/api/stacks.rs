//! Stacks through the API, against the lab swarm: a deploy that waits for convergence, one
//! that does not (followed through the job), the stack as `stack services` + `stack ps`
//! show it, a broken file refused with its located message, removal.

use axum::http::Method;
use serde_json::json;

use super::{api, app, token};
use crate::harness::{eventually, lab, unique};
use crate::stacks::{cleanup, swarm_objects};

fn compose(replicas: u32) -> String {
    format!(
        "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    environment:\n      MODE: ${{MODE}}\n    deploy:\n      replicas: {replicas}\n"
    )
}

#[tokio::test]
async fn a_deploy_token_deploys_its_stack_waits_for_convergence_and_removes_it() {
    let lab = lab("one");
    let app = app().await;
    let name = unique("apis");
    let t = token(&app, "ci", "deploy", &name).await;
    let path = format!("/api/v1/stacks/{name}/deploy?wait=true");
    let body = json!({"compose": compose(1), "env": "MODE=api\n"});
    let r = api(&app, Method::POST, &path, &t, Some(body))
        .await
        .expect(200);
    assert_eq!(r.json["job"]["status"], "ok", "{}", r.text);
    assert_eq!(r.json["job"]["stack"], name.as_str());
    assert_eq!(r.json["job"]["version"], 1);
    assert!(!r.json["job"]["lines"].as_array().unwrap().is_empty());
    // what Docker holds
    let svc = crate::stacks::service_json(lab, &format!("{name}_web"));
    let env = svc["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"].to_string();
    assert!(env.contains("MODE=api"), "{env}");
    // the stack as the API lists and shows it
    let list = api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(200);
    let names: Vec<&str> = list.json["stacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![name.as_str()],
        "a deploy token sees its stacks only"
    );
    let show = api(
        &app,
        Method::GET,
        &format!("/api/v1/stacks/{name}"),
        &t,
        None,
    )
    .await
    .expect(200);
    assert_eq!(show.json["version"], 1);
    assert_eq!(show.json["services"][0]["name"], format!("{name}_web"));
    assert_eq!(show.json["services"][0]["replicas"], "1/1");
    assert_eq!(show.json["tasks"][0]["name"], format!("{name}_web.1"));
    assert_eq!(show.json["tasks"][0]["state"], "running");

    // without wait: 202 and the job, followed to its end
    let path = format!("/api/v1/stacks/{name}/deploy");
    let body = json!({"compose": compose(2), "env": "MODE=api\n"});
    let r = api(&app, Method::POST, &path, &t, Some(body))
        .await
        .expect(202);
    assert_eq!(r.json["job"]["status"], "running");
    let url = r.json["job"]["url"].as_str().unwrap().to_string();
    let job = eventually(120, "the deploy job ends", || async {
        let j = api(&app, Method::GET, &url, &t, None).await.expect(200);
        (j.json["job"]["status"] != "running").then_some(j)
    })
    .await;
    assert_eq!(job.json["job"]["status"], "ok", "{}", job.text);
    let events = api(&app, Method::GET, &format!("{url}/events"), &t, None)
        .await
        .expect(200);
    assert!(events.content_type.starts_with("text/event-stream"));
    assert!(
        events.text.contains("event: line") && events.text.contains("event: end"),
        "{}",
        events.text
    );
    let svc = crate::stacks::service_json(lab, &format!("{name}_web"));
    assert_eq!(svc["Spec"]["Mode"]["Replicated"]["Replicas"], 2);

    // removal
    let r = api(
        &app,
        Method::DELETE,
        &format!("/api/v1/stacks/{name}?wait=true"),
        &t,
        None,
    )
    .await
    .expect(200);
    assert_eq!(r.json["job"]["kind"], "remove");
    assert!(swarm_objects(lab, &name).is_empty());
    // the removed tasks linger a moment in `stack ps`; then the stack is not found
    let r = eventually(60, "the removed stack is not found", || async {
        let r = api(
            &app,
            Method::GET,
            &format!("/api/v1/stacks/{name}"),
            &t,
            None,
        )
        .await;
        (r.status == 404).then_some(r)
    })
    .await;
    assert_eq!(r.code(), "not_found");
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn a_broken_compose_answers_422_with_the_located_message_and_changes_nothing() {
    let lab = lab("one");
    let app = app().await;
    let name = unique("apibad");
    let t = token(&app, "ops", "operate", "").await;
    let broken = compose(1).replace("replicas: 1", "replicas: one");
    let path = format!("/api/v1/stacks/{name}/deploy?wait=true");
    let r = api(
        &app,
        Method::POST,
        &path,
        &t,
        Some(json!({"compose": broken, "env": "MODE=x"})),
    )
    .await
    .expect(422);
    assert_eq!(r.code(), "invalid_compose");
    let p = &r.json["error"]["problems"][0];
    assert_eq!(p["field"], "compose");
    assert_eq!(p["line"], 9, "{}", r.text);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("line 9"),
        "{}",
        r.text
    );
    // a required variable left out is refused with its sentence
    let required = compose(1).replace("${MODE}", "${MODE:?set MODE}");
    let r = api(
        &app,
        Method::POST,
        &path,
        &t,
        Some(json!({"compose": required})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let message = r.json["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("set MODE"), "{}", r.text);
    assert!(swarm_objects(lab, &name).is_empty());
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stack_versions WHERE stack = ?")
        .bind(&name)
        .fetch_one(&app.state.db)
        .await
        .unwrap_or(0);
    assert_eq!(stored, 0, "nothing is stored");
}
