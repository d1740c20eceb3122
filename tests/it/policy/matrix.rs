//! The role × route matrix, built from the router itself: every route has a rule, every role
//! the rule refuses gets 403 (audited) on pages and on the API, anonymous callers meet the
//! sign-in or the token guard.

use axum::body::Body;
use axum::http::{Method, Request};
use berth::auth::roles::{self, Need, Role, ViewerLogs};
use berth::web::policy::{need_for, routes_of};

use super::{account, own, token};
use crate::harness::{TestApp, lab};

/// A route's pattern with its parameters filled: `{name}` is a stack of another team,
/// `{id}` a service no one knows (so it belongs to no stack).
fn fill(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|seg| match seg {
            "{name}" => "h6other",
            "{id}" => "h6nosuch",
            "{version}" => "1",
            s if s.starts_with("{*") => "x",
            s if s.starts_with('{') => "x",
            s => s,
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn every_route_has_a_rule_and_each_role_is_refused_what_its_rule_denies() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let routes = routes_of(&format!("{:?}", berth::app(app.state.clone())));
    assert!(
        routes.len() > 60,
        "the router's routes could not be read ({} found): has axum's Debug form changed?",
        routes.len()
    );

    // a route without a rule fails here, by name
    let missing: Vec<String> = routes
        .iter()
        .filter(|(m, p)| m != "*" && need_for(&m.parse::<Method>().unwrap(), p).is_none())
        .chain(routes.iter().filter(|(m, p)| {
            m == "*" && need_for(&Method::GET, p).is_none() && need_for(&Method::POST, p).is_none()
        }))
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes without a rule in web::policy (add one line to the area's POLICY): {missing:?}"
    );

    own(&app, "h6other", "beta").await;
    let people = [
        (
            Role::Operator,
            account(&app, 11, "h6op", Role::Operator, &[]).await,
        ),
        (
            Role::Deployer,
            account(&app, 12, "h6dep", Role::Deployer, &["alpha"]).await,
        ),
        (
            Role::Viewer,
            account(&app, 13, "h6view", Role::Viewer, &["alpha"]).await,
        ),
    ];
    let tokens = [
        (Role::Operator, token(&app, "h6op", "operate").await),
        (Role::Deployer, token(&app, "h6dep", "operate").await),
        (Role::Viewer, token(&app, "h6view", "operate").await),
    ];
    let anonymous = app.client(14);

    let mut refusals = 0;
    for (method, pattern) in &routes {
        if method == "*" {
            continue;
        }
        let m: Method = method.parse().unwrap();
        let need = need_for(&m, pattern).unwrap();
        let path = fill(pattern);
        let api = pattern.starts_with("/api/");
        let denied = |role: Role| !roles::allows(role, need, false, ViewerLogs::All);
        let request = |bearer: Option<&str>| {
            let mut b = Request::builder().method(m.clone()).uri(&path);
            if let Some(t) = bearer {
                b = b.header("authorization", format!("Bearer {t}"));
            }
            if m != Method::GET {
                b = b.header("content-type", "application/x-www-form-urlencoded");
            }
            b.body(Body::empty()).unwrap()
        };

        if need != Need::Public {
            // anonymous: the sign-in page or the token guard, never the handler
            let r = anonymous.request(request(None)).await;
            let s = r.status.as_u16();
            assert!(
                s == 303 || s == 401 || (s == 200 && !r.header("hx-redirect").is_empty()),
                "anonymous {method} {path} got {s}: {}",
                r.body
            );
        }
        for (role, client) in &people {
            if api || !denied(*role) {
                continue;
            }
            let r = client.request(request(None)).await;
            assert_eq!(
                r.status.as_u16(),
                403,
                "{role} {method} {path} should be refused ({need:?}); body: {}",
                r.body
            );
            r.contains("does not allow");
            refusals += 1;
        }
        for (role, t) in &tokens {
            if !api || !denied(*role) {
                continue;
            }
            let r = anonymous.request(request(Some(t))).await;
            assert_eq!(
                r.status.as_u16(),
                403,
                "{role}'s token {method} {path} should be refused ({need:?}); body: {}",
                r.body
            );
            r.contains("forbidden").contains("does not allow");
            refusals += 1;
        }
    }
    let audited = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, o)| a == "policy.refused" && o == "denied")
        .count();
    assert!(refusals > 50, "only {refusals} refusals in the matrix");
    assert_eq!(audited, refusals, "every refusal is audited");
}
