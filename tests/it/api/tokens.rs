//! Tokens: shown once and stored hashed, scoped, refused when revoked, expired or their owner
//! is gone; cookies never open the API; every use audited with the token's name; JSON errors.

use axum::http::Method;
use serde_json::json;

use super::{api, app, call, token};
use crate::harness::app::{ADMIN, PASSWORD};

#[tokio::test]
async fn a_new_token_is_shown_once_and_the_database_holds_only_its_hash() {
    let app = app().await;
    let t = token(&app, "ci", "read", "").await;
    api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(200);
    // the settings page lists it with its last use, never the token itself
    let settings = app.get("/settings").await.expect(200);
    settings.contains("data-token=\"ci\"").lacks(&t);
    assert!(
        !settings
            .body
            .contains("data-testid=\"token-last-used\">never"),
        "last use not shown:\n{}",
        settings.body
    );
    // not in the SQLite file (nor its write-ahead log) in clear
    sqlx::query("PRAGMA wal_checkpoint(FULL)")
        .execute(&app.state.db)
        .await
        .unwrap();
    let dir = &app.state.config.data_dir;
    for file in ["berth.db", "berth.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.join(file)) {
            let needle = t.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the token is in {file} in clear"
            );
        }
    }
    let actions = app.audit_actions().await;
    assert!(actions.contains(&("token.create".into(), "ci".into(), "ok".into())));
    let details: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(
        details.iter().all(|d| !d.contains(&t)),
        "token in the audit log"
    );
}

#[tokio::test]
async fn a_token_form_with_bad_fields_says_why_and_keeps_what_was_typed() {
    let app = app().await;
    let r = app
        .post(
            "/settings/tokens",
            &[
                ("name", "deployer"),
                ("scope", "deploy"),
                ("stacks", ""),
                ("expires_days", "30"),
            ],
        )
        .await
        .expect(422);
    r.contains("A deploy token needs at least one stack.")
        .contains("value=\"deployer\"")
        .lacks("data-testid=\"new-token\"");
    token(&app, "twice", "read", "").await;
    app.post(
        "/settings/tokens",
        &[
            ("name", "twice"),
            ("scope", "read"),
            ("stacks", ""),
            ("expires_days", "30"),
        ],
    )
    .await
    .expect(409)
    .contains("You already have a token named twice.");
    // without the CSRF token the form is refused
    app.post_raw(
        "/settings/tokens",
        &[("name", "x"), ("scope", "read"), ("expires_days", "3")],
        &[],
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn a_session_cookie_does_not_open_the_api() {
    let app = app().await;
    // the signed-in client sends its session cookie
    let r = call(&app, Method::GET, "/api/v1/stacks", None, None)
        .await
        .expect(401);
    assert_eq!(r.code(), "unauthorized");
    assert!(r.content_type.starts_with("application/json"));
    let csrf = app.csrf().await.unwrap();
    let r = call(
        &app,
        Method::POST,
        &format!("/api/v1/stacks/x/deploy?csrf={csrf}"),
        None,
        Some(json!({"compose": "services: {}"})),
    )
    .await
    .expect(401);
    assert_eq!(r.code(), "unauthorized");
    // a token that is not a token
    let r = call(
        &app.client(5),
        Method::GET,
        "/api/v1/stacks",
        Some("berth_nope"),
        None,
    )
    .await
    .expect(401);
    assert_eq!(r.code(), "unauthorized");
}

#[tokio::test]
async fn revoked_expired_and_deleted_owners_tokens_are_refused() {
    let app = app().await;
    // revoked
    let t = token(&app, "old", "operate", "").await;
    api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(200);
    let id: i64 = sqlx::query_scalar("SELECT id FROM api_tokens WHERE name = 'old'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.post(&format!("/settings/tokens/{id}/revoke"), &[])
        .await
        .expect_redirect("/settings");
    app.get("/settings")
        .await
        .contains("Token old revoked.")
        .lacks("data-token=\"old\"");
    let r = api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(401);
    assert_eq!(r.code(), "unauthorized");
    // expired
    let t = token(&app, "brief", "read", "").await;
    api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(200);
    sqlx::query("UPDATE api_tokens SET expires_at = strftime('%s','now') - 1 WHERE name = 'brief'")
        .execute(&app.state.db)
        .await
        .unwrap();
    api(&app, Method::GET, "/api/v1/stacks", &t, None)
        .await
        .expect(401);
    app.get("/settings").await.contains("expired");
    // an account that is removed takes its tokens with it
    app.post(
        "/settings/users",
        &[
            ("current_password", PASSWORD),
            ("username", "bob"),
            ("password", "bobs long password"),
            ("password_confirm", "bobs long password"),
        ],
    )
    .await
    .expect_redirect("/settings");
    let bob = app.client(2);
    bob.login("bob", "bobs long password")
        .await
        .expect_redirect("/");
    let page = bob
        .post(
            "/settings/tokens",
            &[
                ("name", "bobs"),
                ("scope", "operate"),
                ("stacks", ""),
                ("expires_days", "5"),
            ],
        )
        .await
        .expect(200);
    let bobs = crate::stacks::testid(&page.body, "new-token");
    api(&app, Method::GET, "/api/v1/stacks", &bobs, None)
        .await
        .expect(200);
    let bob_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'bob'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.post(
        &format!("/settings/users/{bob_id}/delete"),
        &[("current_password", PASSWORD)],
    )
    .await
    .expect_redirect("/settings");
    api(&app, Method::GET, "/api/v1/stacks", &bobs, None)
        .await
        .expect(401);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM api_tokens WHERE name = 'bobs'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    let _ = ADMIN;
}

#[tokio::test]
async fn a_read_token_is_refused_on_actions_and_a_deploy_token_outside_its_stacks() {
    let app = app().await;
    let read = token(&app, "reader", "read", "").await;
    api(&app, Method::GET, "/api/v1/stacks", &read, None)
        .await
        .expect(200);
    let body = json!({"compose": "services:\n  a:\n    image: berth-test/busybox:1\n"});
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/stacks/apia/deploy",
            Some(body.clone()),
        ),
        (Method::DELETE, "/api/v1/stacks/apia", None),
        (Method::POST, "/api/v1/stacks/apia/remove", None),
    ] {
        let r = api(&app, method, path, &read, body).await.expect(403);
        assert_eq!(r.code(), "forbidden");
        assert!(
            r.json["error"]["message"]
                .as_str()
                .unwrap()
                .contains("read scope")
        );
    }
    let deploy = token(&app, "ci-a", "deploy", "apia").await;
    for (method, path, body) in [
        (
            Method::POST,
            "/api/v1/stacks/apib/deploy",
            Some(body.clone()),
        ),
        (Method::DELETE, "/api/v1/stacks/apib", None),
        (Method::GET, "/api/v1/stacks/apib", None),
    ] {
        let r = api(&app, method, path, &deploy, body).await.expect(403);
        assert_eq!(r.code(), "forbidden", "{}", r.text);
    }
    // nothing was created for either stack
    let lab = crate::harness::lab("one");
    assert!(crate::stacks::swarm_objects(lab, "apia").is_empty());
    assert!(crate::stacks::swarm_objects(lab, "apib").is_empty());
    let denied = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, o)| a == "api.request" && o == "denied")
        .count();
    assert_eq!(denied, 6);
}

#[tokio::test]
async fn every_use_is_audited_with_the_token_name_in_one_collapsed_row() {
    let app = app().await;
    let t = token(&app, "busy-ci", "read", "").await;
    for _ in 0..5 {
        api(&app, Method::GET, "/api/v1/stacks", &t, None)
            .await
            .expect(200);
    }
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT username, target, detail, repeat_count FROM audit_log WHERE action = 'api.request'",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (user, target, detail, n) = &rows[0];
    assert_eq!(user, ADMIN);
    assert_eq!(target, "GET /api/v1/stacks");
    assert!(detail.contains("busy-ci"), "{detail}");
    assert_eq!(*n, 5);
    // the audit page shows it
    app.get("/audit")
        .await
        .expect(200)
        .contains("api.request")
        .contains("busy-ci");
}

#[tokio::test]
async fn api_failures_answer_json_errors() {
    let app = app().await;
    let t = token(&app, "ops", "operate", "").await;
    let r = api(&app, Method::GET, "/api/v1/nothing-here", &t, None)
        .await
        .expect(404);
    assert_eq!(r.code(), "not_found");
    let r = api(&app, Method::PUT, "/api/v1/stacks", &t, None)
        .await
        .expect(405);
    assert_eq!(r.code(), "method_not_allowed");
    // not JSON, and JSON of the wrong shape
    let c = app.client(8);
    let req = axum::http::Request::post("/api/v1/stacks/x/deploy")
        .header("authorization", format!("Bearer {t}"))
        .header("content-type", "application/json")
        .body(axum::body::Body::from("{not json"))
        .unwrap();
    let r = c.request(req).await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.body);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["error"]["code"], "bad_request");
    let r = api(
        &app,
        Method::POST,
        "/api/v1/stacks/x/deploy",
        &t,
        Some(json!({"yaml": 1})),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("compose"),
        "{}",
        r.text
    );
    // a body over the limit is refused before it is read
    let huge = "x".repeat(5 * 1024 * 1024);
    let r = api(
        &app,
        Method::POST,
        "/api/v1/stacks/x/deploy",
        &t,
        Some(json!({"compose": huge})),
    )
    .await
    .expect(413);
    assert_eq!(r.code(), "too_large");
}
