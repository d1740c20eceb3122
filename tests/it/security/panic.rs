//! A handler that panics answers 500 with the normal error page and its request id; berth
//! keeps serving the same browser and others (no `panic = "abort"`).

use axum::Router;
use axum::routing::get;

use berth::web::policy::{Need, Rule, rule};

use crate::harness::{TestApp, lab};

const BOOM_RULE: &[Rule] = &[rule("GET", "/boom", Need::Read)];

async fn boom() -> &'static str {
    panic!("a handler bug")
}

#[tokio::test]
async fn a_panicking_handler_answers_the_error_page_with_a_request_id_and_berth_keeps_serving() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let router = berth::web::router_with(
        app.state.clone(),
        Router::new().route("/boom", get(boom)),
        BOOM_RULE,
    );
    let browser = app.with_router(router);

    let r = browser.get("/boom").await.expect(500);
    let id = r.header("x-request-id");
    assert!(!id.is_empty(), "the answer carries a request id");
    r.contains("Something went wrong")
        .contains(&id)
        .contains("action=\"/logout\"")
        .lacks("a handler bug");

    // the same router, the same process: the next requests are served normally
    browser.get("/").await.expect(200);
    browser.get("/boom").await.expect(500);
    browser.get("/settings").await.expect(200);
}
