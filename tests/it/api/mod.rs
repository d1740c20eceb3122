//! The JSON API under /api/v1 with its tokens: created on the settings page, sent as bearer
//! tokens, scoped, revocable, audited; errors as JSON; stacks deployed and removed through it.

mod check_and_act;
mod cluster;
mod mcp;
mod stacks;
mod tokens;

use axum::body::Body;
use axum::http::{Method, Request};
use serde_json::Value;

use crate::harness::app::Client;
use crate::harness::{TestApp, lab};
use crate::stacks::testid;

pub async fn app() -> TestApp {
    TestApp::signed_in(&lab("one").manager_host()).await
}

/// Creates a token through the settings form; returns it (as the page shows it once).
pub async fn token(app: &TestApp, name: &str, scope: &str, stacks: &str) -> String {
    let page = app
        .post(
            "/settings/tokens",
            &[
                ("name", name),
                ("scope", scope),
                ("stacks", stacks),
                ("expires_days", "30"),
            ],
        )
        .await
        .expect(200);
    let t = testid(&page.body, "new-token");
    assert!(
        t.starts_with("berth_"),
        "no token on the page:\n{}",
        page.body
    );
    t
}

/// An API answer: status and JSON body (`Value::Null` when not JSON).
#[derive(Debug)]
pub struct Api {
    pub status: u16,
    pub content_type: String,
    pub json: Value,
    pub text: String,
}

impl Api {
    #[track_caller]
    pub fn expect(self, status: u16) -> Api {
        assert_eq!(
            self.status, status,
            "unexpected status; body:\n{}",
            self.text
        );
        self
    }

    /// The error code of a JSON error.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
}

/// Sends an API request from `client` (a client with no cookies unless the test gave it one).
pub async fn call(
    client: &Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Api {
    let mut b = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    let body = match body {
        Some(v) => {
            b = b.header("content-type", "application/json");
            Body::from(v.to_string())
        }
        None => Body::empty(),
    };
    let r = client.request(b.body(body).unwrap()).await;
    Api {
        status: r.status.as_u16(),
        content_type: r.header("content-type"),
        json: serde_json::from_str(&r.body).unwrap_or(Value::Null),
        text: r.body,
    }
}

/// `call` from a fresh client without cookies.
pub async fn api(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Api {
    call(&app.client(77), method, path, Some(token), body).await
}
