//! What a webhook refuses: an unknown or rotated address, a signed hook's call without the
//! right signature, a bad request; and its rate limit. None of these change the swarm.

use super::{call, json, make_hook, openssl_signature, signing_key_on, token_on};
use crate::harness::{TestApp, TestServer, lab, unique};

const BROKEN: &str = "services:\n  web:\n    image: [x\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_and_signatures_are_refused_and_rotation_ends_the_old_address() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    let name = unique("hookref");
    let server = TestServer::start(app.state.clone()).await;
    let (token, key) = make_hook(&app, &name, "signed").await;
    let key = key.expect("a signing key shown once");
    let hook = format!("/hooks/{token}");

    // an address no hook has, or one with a secret changed in one character
    let mut wrong = token.clone();
    let last = if wrong.ends_with('A') { "B" } else { "A" };
    wrong.replace_range(wrong.len() - 1.., last);
    for path in [format!("/hooks/{wrong}"), "/hooks/short".to_string()] {
        let r = call(&server.url, &path, "application/yaml", BROKEN, &[]);
        assert_eq!(r.status, 404, "{}", r.body);
        assert_eq!(json(&r)["error"]["code"], "not_found");
    }
    // the right address without a signature, or with one made with another key or body
    let sig = |k: &str, b: &str| format!("X-Berth-Signature-256: {}", openssl_signature(k, b));
    for headers in [
        vec![],
        vec![sig("other", BROKEN)],
        vec![sig(&key, "services: {}")],
    ] {
        let r = call(&server.url, &hook, "application/yaml", BROKEN, &headers);
        assert_eq!(r.status, 401, "{}", r.body);
        assert_eq!(json(&r)["error"]["code"], "unauthorized");
    }
    let audit = app.audit_actions().await;
    let refused = (
        "stack.webhook.refused".to_string(),
        name.clone(),
        "denied".to_string(),
    );
    assert_eq!(audit.iter().filter(|a| **a == refused).count(), 3);
    // signed right: past the checks, the broken file is refused with its place
    let r = call(
        &server.url,
        &hook,
        "application/yaml",
        BROKEN,
        &[sig(&key, BROKEN)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let body = json(&r);
    assert_eq!(body["error"]["code"], "invalid_compose");
    assert_eq!(body["error"]["problems"][0]["line"], 3, "{body}");
    // a signed hook takes image= only in its signed body
    let r = call(
        &server.url,
        &format!("{hook}?image=x:1"),
        "text/plain",
        "",
        &[sig(&key, "")],
    );
    assert_eq!(r.status, 400, "{}", r.body);

    // rotation: a new address and key; the old ones stop working at once
    let id: i64 = sqlx::query_scalar("SELECT id FROM stack_webhooks WHERE stack = ?")
        .bind(&name)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let page = app
        .post(&format!("/stacks/{name}/webhooks/{id}/rotate"), &[])
        .await
        .expect(200);
    let (new_token, new_key) = (token_on(&page), signing_key_on(&page).unwrap());
    assert_ne!(new_token, token);
    assert_ne!(new_key, key);
    let r = call(
        &server.url,
        &hook,
        "application/yaml",
        BROKEN,
        &[sig(&key, BROKEN)],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let r = call(
        &server.url,
        &format!("/hooks/{new_token}"),
        "application/yaml",
        BROKEN,
        &[sig(&new_key, BROKEN)],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    // removing it ends the new address too
    app.post(
        &format!("/stacks/{name}/webhooks/{id}/delete"),
        &[("confirm", "yes")],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}"));
    let r = call(
        &server.url,
        &format!("/hooks/{new_token}"),
        "application/yaml",
        BROKEN,
        &[sig(&new_key, BROKEN)],
    );
    assert_eq!(r.status, 404, "{}", r.body);
    let audit = app.audit_actions().await;
    for action in [
        "stack.webhook.create",
        "stack.webhook.rotate",
        "stack.webhook.delete",
    ] {
        assert!(
            audit.contains(&(action.into(), name.clone(), "ok".into())),
            "{action}"
        );
    }
    // nothing was deployed
    assert!(
        berth::db::stacks::latest(&app.state.db, &name)
            .await
            .unwrap()
            .is_none()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_called_too_often_answers_429_with_retry_after() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    let name = unique("hookrate");
    let server = TestServer::start(app.state.clone()).await;
    let (token, _) = make_hook(&app, &name, "plain").await;
    let (other, _) = make_hook(&app, &name, "plain").await;
    let hook = format!("/hooks/{token}");
    for _ in 0..berth::stack::webhook::BURST {
        let r = call(&server.url, &hook, "application/yaml", BROKEN, &[]);
        assert_eq!(r.status, 422, "{}", r.body);
    }
    let r = call(&server.url, &hook, "application/yaml", BROKEN, &[]);
    assert_eq!(r.status, 429, "{}", r.body);
    assert_eq!(json(&r)["error"]["code"], "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=berth::stack::webhook::REFILL.as_secs()).contains(&retry));
    // the limit is per hook
    let r = call(
        &server.url,
        &format!("/hooks/{other}"),
        "application/yaml",
        BROKEN,
        &[],
    );
    assert_eq!(r.status, 422, "{}", r.body);
    server.stop().await;
}
