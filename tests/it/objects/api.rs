//! The objects in /api/v1: read tokens list, operate tokens act; a secret in use is refused
//! with its users named; a rotation answers with what it moved.

use axum::http::Method;
use serde_json::json;

use super::*;
use crate::api::{call, token};
use crate::harness::unique;

#[tokio::test]
async fn secrets_through_the_api_need_operate_to_change_and_name_their_users() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let read = token(&app, "objects-read", "read", "").await;
    let operate = token(&app, "objects-operate", "operate", "").await;
    let api = app.client(7);
    let name = c.object("secret", &unique("apisecret"));
    let body = json!({"name": name, "data": "pw-1", "labels": {"team": "a"}});
    call(
        &api,
        Method::POST,
        "/api/v1/secrets",
        Some(&read),
        Some(body.clone()),
    )
    .await
    .expect(403);
    assert!(inspect(lab, "secret", &name).is_none());
    let made = call(
        &api,
        Method::POST,
        "/api/v1/secrets",
        Some(&operate),
        Some(body),
    )
    .await
    .expect(201);
    let id = made.json["id"].as_str().unwrap().to_string();
    let svc = c.service(&unique("apisecretuser"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &svc, "--secret", &name, IMAGE,
            "sleep", "3600",
        ],
    )
    .unwrap();
    let refused = call(
        &api,
        Method::DELETE,
        &format!("/api/v1/secrets/{id}"),
        Some(&operate),
        None,
    )
    .await
    .expect(409);
    assert!(refused.text.contains(&svc), "{}", refused.text);
    assert!(inspect(lab, "secret", &name).is_some());

    // a rotation moves the user and says so; the list (read token) shows the new one in use
    let new = c.object("secret", &format!("{name}.v2"));
    let r = call(
        &api,
        Method::POST,
        &format!("/api/v1/secrets/{id}/rotate"),
        Some(&operate),
        Some(json!({"data": "pw-2"})),
    )
    .await
    .expect(200);
    assert_eq!(r.json["new"]["name"], new.as_str());
    assert_eq!(r.json["updated"], json!([svc]));
    let refs =
        inspect(lab, "service", &svc).unwrap()["Spec"]["TaskTemplate"]["ContainerSpec"]["Secrets"]
            .clone();
    assert_eq!(refs[0]["SecretName"], new.as_str());
    eventually(30, "the list shows the new secret in use", || async {
        let l = call(&api, Method::GET, "/api/v1/secrets", Some(&read), None).await;
        let objects = l.json["objects"].as_array()?.clone();
        objects
            .iter()
            .any(|o| o["name"] == new.as_str() && o["services"] == json!([svc]))
            .then_some(())
    })
    .await;
    assert!(!r.text.contains("pw-2"));
}
