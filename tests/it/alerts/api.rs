use axum::http::Method;

use super::alerts_lab;
use crate::api::{api, call, token};
use crate::harness::TestApp;
use berth::db::alerts::{self as store, Alert};

fn alert(key: &str, subject: &str, stack: &str) -> Alert {
    Alert {
        id: 0,
        key: key.into(),
        rule: "task_failures".into(),
        subject: subject.into(),
        stack: stack.into(),
        link: format!("/services/{subject}"),
        title: format!("{subject}: tasks keep failing"),
        detail: "3 task(s) failed. Latest error: No such image: x:1".into(),
        raised_at: 1_700_000_000,
        resolved_at: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_lists_alerts_to_a_read_token_and_a_deploy_token_sees_its_stacks_only() {
    let app = TestApp::signed_in(&alerts_lab().manager_host()).await;
    store::raise(&app.state.db, &alert("k1", "shop_web", "shop"))
        .await
        .unwrap();
    let other = store::raise(&app.state.db, &alert("k2", "blog_web", "blog"))
        .await
        .unwrap();
    store::resolve(&app.state.db, other, 1_700_000_100)
        .await
        .unwrap();
    let read = token(&app, "reader", "read", "").await;
    let all = api(&app, Method::GET, "/api/v1/alerts", &read, None)
        .await
        .expect(200);
    assert_eq!(
        all.json["active"][0]["title"],
        "shop_web: tasks keep failing"
    );
    assert_eq!(all.json["active"].as_array().map(Vec::len), Some(1));
    assert_eq!(all.json["resolved"][0]["subject"], "blog_web");
    assert_eq!(all.json["resolved"][0]["resolved_at"], 1_700_000_100);
    let deploy = token(&app, "ci", "deploy", "blog").await;
    let mine = api(&app, Method::GET, "/api/v1/alerts", &deploy, None)
        .await
        .expect(200);
    assert_eq!(mine.json["active"].as_array().map(Vec::len), Some(0));
    assert_eq!(mine.json["resolved"].as_array().map(Vec::len), Some(1));
    call(&app.client(78), Method::GET, "/api/v1/alerts", None, None)
        .await
        .expect(401);
}
