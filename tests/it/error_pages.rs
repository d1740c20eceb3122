//! Failures are pages on every route, public ones included, and each shows the request id
//! that is in the log: the layout for signed-in users, an alert for htmx, a plain page before
//! sign-in.

use axum::body::Body;
use axum::http::Request;

use crate::harness::app::Resp;
use crate::harness::{TestApp, lab};

fn host() -> String {
    lab("one").manager_host()
}

/// The answer is an HTML page naming its own request id.
#[track_caller]
fn shows_its_request_id(r: &Resp) {
    let id = r.header("x-request-id");
    assert!(!id.is_empty(), "no request id header");
    assert!(
        r.header("content-type").starts_with("text/html"),
        "not a page: {}",
        r.header("content-type")
    );
    r.contains(&format!("<code>{id}</code>"));
}

#[tokio::test]
async fn a_malformed_sign_in_is_a_page_with_the_request_id() {
    let app = TestApp::signed_in(&host()).await;
    let visitor = app.client(2);
    let r = visitor
        .request(
            Request::post("/login")
                .header("content-type", "text/plain")
                .body(Body::from("username=admin"))
                .unwrap(),
        )
        .await
        .expect(415);
    shows_its_request_id(&r);
    r.contains("That did not work").lacks("Content-Type");
    // before sign-in there is no navigation
    r.lacks("Sign out");
}

#[tokio::test]
async fn unknown_addresses_and_wrong_methods_are_pages_with_the_request_id() {
    let app = TestApp::signed_in(&host()).await;
    let r = app.client(2).get("/no/such/page").await.expect(404);
    shows_its_request_id(&r);
    r.contains("Page not found");
    let r = app
        .request(Request::delete("/login").body(Body::empty()).unwrap())
        .await
        .expect(405);
    shows_its_request_id(&r);
    r.contains("does not accept that kind of request");
}

#[tokio::test]
async fn refused_forms_are_pages_with_the_request_id() {
    let app = TestApp::signed_in(&host()).await;
    let r = app
        .post_raw("/logout", &[("csrf", "wrong-token")], &[])
        .await
        .expect(403);
    shows_its_request_id(&r);
    r.contains("Request refused");
    let token = app.csrf().await.unwrap();
    let r = app
        .post_raw(
            "/logout",
            &[("csrf", &token)],
            &[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await
        .expect(403);
    shows_its_request_id(&r);
    r.contains("Cross-site request refused");
}

#[tokio::test]
async fn a_failing_page_keeps_the_layout_and_htmx_gets_an_alert() {
    let app = TestApp::signed_in(&host()).await;
    let r = app.get("/services/no-such-service").await.expect(404);
    shows_its_request_id(&r);
    r.contains("Sign out").contains("Back to the dashboard");

    let r = app.get_htmx("/services/no-such-service").await.expect(404);
    let id = r.header("x-request-id");
    assert_eq!(r.header("hx-retarget"), "#alerts");
    assert_eq!(r.header("hx-reswap"), "innerHTML");
    r.contains("role=\"alert\"")
        .contains(&format!("(request {id})"))
        .lacks("<html");
}
