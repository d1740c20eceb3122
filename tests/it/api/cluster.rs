//! Nodes, services and tasks through the API on the lab swarm: what a read token sees and is
//! refused, what an operate token changes, how far a deploy token reaches; the OpenAPI
//! document.

use axum::http::Method;
use serde_json::{Value, json};

use super::{api, app, call, token};
use crate::harness::{TestApp, lab, unique};
use crate::stacks::{cleanup, service_json};

pub async fn deployed(app: &TestApp, t: &str, name: &str) {
    let compose = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n";
    api(
        app,
        Method::POST,
        &format!("/api/v1/stacks/{name}/deploy?wait=true"),
        t,
        Some(json!({"compose": compose})),
    )
    .await
    .expect(200);
}

fn names(v: &Value, key: &str, field: &str) -> Vec<String> {
    v[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| x[field].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_read_token_sees_nodes_services_and_tasks_and_changes_nothing() {
    let lab = lab("one");
    let app = app().await;
    let ops = token(&app, "ops", "operate", "").await;
    let read = token(&app, "look", "read", "").await;
    let name = unique("apir");
    deployed(&app, &ops, &name).await;
    let svc = format!("{name}_web");

    let nodes = api(&app, Method::GET, "/api/v1/nodes", &read, None)
        .await
        .expect(200);
    let node_id = nodes.json["nodes"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(nodes.json["nodes"][0]["role"], "manager");
    let node = api(
        &app,
        Method::GET,
        &format!("/api/v1/nodes/{node_id}"),
        &read,
        None,
    )
    .await
    .expect(200);
    assert_eq!(node.json["node"]["availability"], "active");
    let services = api(
        &app,
        Method::GET,
        &format!("/api/v1/services?stack={name}"),
        &read,
        None,
    )
    .await
    .expect(200);
    assert_eq!(names(&services.json, "services", "name"), vec![svc.clone()]);
    assert_eq!(services.json["services"][0]["stack"], name.as_str());
    let one = api(
        &app,
        Method::GET,
        &format!("/api/v1/services/{svc}"),
        &read,
        None,
    )
    .await
    .expect(200);
    assert_eq!(one.json["service"]["running"], 1);
    assert_eq!(one.json["tasks"][0]["state"], "running");
    let tasks = api(
        &app,
        Method::GET,
        &format!("/api/v1/tasks?stack={name}"),
        &read,
        None,
    )
    .await
    .expect(200);
    assert_eq!(tasks.json["tasks"].as_array().unwrap().len(), 1);
    let by_node = api(
        &app,
        Method::GET,
        &format!("/api/v1/tasks?node={node_id}&service={svc}"),
        &read,
        None,
    )
    .await
    .expect(200);
    assert_eq!(by_node.json["tasks"].as_array().unwrap().len(), 1);

    let version = service_json(lab, &svc)["Version"]["Index"].clone();
    for (path, body) in [
        (
            format!("/api/v1/services/{svc}/scale"),
            Some(json!({"replicas": 3})),
        ),
        (format!("/api/v1/services/{svc}/redeploy"), None),
        (format!("/api/v1/services/{svc}/rollback"), None),
        (
            format!("/api/v1/nodes/{node_id}/availability"),
            Some(json!({"availability": "drain"})),
        ),
    ] {
        let r = api(&app, Method::POST, &path, &read, body)
            .await
            .expect(403);
        assert_eq!(r.code(), "forbidden");
    }
    assert_eq!(
        service_json(lab, &svc)["Version"]["Index"],
        version,
        "nothing changed"
    );
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn an_operate_token_scales_redeploys_and_rolls_back_a_service() {
    let lab = lab("one");
    let app = app().await;
    let ops = token(&app, "ops", "operate", "").await;
    let name = unique("apio");
    deployed(&app, &ops, &name).await;
    let svc = format!("{name}_web");
    let r = api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{svc}/scale"),
        &ops,
        Some(json!({"replicas": 2})),
    )
    .await
    .expect(200);
    assert_eq!(r.json["name"], svc.as_str());
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );
    api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{svc}/rollback"),
        &ops,
        None,
    )
    .await
    .expect(200);
    assert_eq!(
        service_json(lab, &svc)["Spec"]["Mode"]["Replicated"]["Replicas"],
        1
    );
    let before = service_json(lab, &svc)["Spec"]["TaskTemplate"]["ForceUpdate"]
        .as_u64()
        .unwrap_or(0);
    api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{svc}/redeploy"),
        &ops,
        None,
    )
    .await
    .expect(200);
    let after = service_json(lab, &svc)["Spec"]["TaskTemplate"]["ForceUpdate"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(after, before + 1);
    // a value swarm cannot take says why
    let r = api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{svc}/scale"),
        &ops,
        Some(json!({"replicas": "many"})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    let nodes = api(&app, Method::GET, "/api/v1/nodes", &ops, None)
        .await
        .expect(200);
    let node_id = nodes.json["nodes"][0]["id"].as_str().unwrap().to_string();
    let r = api(
        &app,
        Method::POST,
        &format!("/api/v1/nodes/{node_id}/availability"),
        &ops,
        Some(json!({"availability": "sleep"})),
    )
    .await
    .expect(422);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("active, pause or drain")
    );
    // setting the availability it has (the lab is shared: no drain here)
    let r = api(
        &app,
        Method::POST,
        &format!("/api/v1/nodes/{node_id}/availability"),
        &ops,
        Some(json!({"availability": "active"})),
    )
    .await
    .expect(200);
    assert_eq!(r.json["node"]["availability"], "active");
    let actions = app.audit_actions().await;
    for a in [
        "service.scale",
        "service.rollback",
        "service.redeploy",
        "node.availability",
    ] {
        assert!(
            actions.iter().any(|(x, _, o)| x == a && o == "ok"),
            "{a} not audited: {actions:?}"
        );
    }
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn a_deploy_token_acts_only_on_its_stacks_services() {
    let lab = lab("one");
    let app = app().await;
    let ops = token(&app, "ops", "operate", "").await;
    let (mine, other) = (unique("apim"), unique("apix"));
    deployed(&app, &ops, &mine).await;
    deployed(&app, &ops, &other).await;
    let ci = token(&app, "ci", "deploy", &mine).await;
    api(
        &app,
        Method::POST,
        &format!("/api/v1/services/{mine}_web/scale"),
        &ci,
        Some(json!({"replicas": 2})),
    )
    .await
    .expect(200);
    for (method, path, body) in [
        (
            Method::POST,
            format!("/api/v1/services/{other}_web/scale"),
            Some(json!({"replicas": 2})),
        ),
        (
            Method::POST,
            format!("/api/v1/services/{other}_web/redeploy"),
            None,
        ),
        (Method::GET, format!("/api/v1/services/{other}_web"), None),
        (Method::GET, "/api/v1/nodes".to_string(), None),
        (Method::GET, format!("/api/v1/tasks?stack={other}"), None),
    ] {
        let r = api(&app, method, &path, &ci, body).await.expect(403);
        assert_eq!(r.code(), "forbidden");
    }
    assert_eq!(
        service_json(lab, &format!("{other}_web"))["Spec"]["Mode"]["Replicated"]["Replicas"],
        1
    );
    let services = api(&app, Method::GET, "/api/v1/services", &ci, None)
        .await
        .expect(200);
    assert_eq!(
        names(&services.json, "services", "name"),
        vec![format!("{mine}_web")]
    );
    let tasks = api(&app, Method::GET, "/api/v1/tasks", &ci, None)
        .await
        .expect(200);
    assert!(
        tasks.json["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| { t["service_id"] == service_json(lab, &format!("{mine}_web"))["ID"] })
    );
    cleanup(lab, &mine).await;
    cleanup(lab, &other).await;
}

#[tokio::test]
async fn the_openapi_document_is_served_without_a_token() {
    let app = app().await;
    let r = call(
        &app.client(9),
        Method::GET,
        "/api/v1/openapi.json",
        None,
        None,
    )
    .await
    .expect(200);
    assert!(
        r.json["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.")
    );
    for path in [
        "/api/v1/stacks/{name}/deploy",
        "/api/v1/services/{id}/scale",
        "/api/v1/tasks",
    ] {
        assert!(r.json["paths"][path].is_object(), "{path} missing");
    }
}
