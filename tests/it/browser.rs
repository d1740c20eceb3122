//! The key flows in a real browser (headless chromium).

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::browser::Browser;
use crate::harness::{TestApp, TestServer, lab};

#[tokio::test]
async fn first_run_setup_then_sign_in_and_out_in_a_browser() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let app = TestApp::new(&multi.manager_host()).await;
    let code = app.state.setup.current().unwrap();
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;

    b.goto(&server.url).await;
    assert_eq!(b.path().await, "/setup");
    b.fill("input[name=setup_code]", "WRONG-CODE-0000-0000")
        .await;
    b.fill("input[name=username]", ADMIN).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.fill("input[name=password_confirm]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text("setup code is not right", 10).await;

    b.fill("input[name=setup_code]", &code).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.fill("input[name=password_confirm]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text("Swarm overview", 10).await;
    assert_eq!(b.text("[data-testid=nodes-total]").await, "3");
    assert_eq!(b.text("[data-testid=workers]").await, "2");
    assert!(
        b.text("[data-testid=join-worker]")
            .await
            .starts_with("docker swarm join --token SWMTKN-1-")
    );
    if let Ok(path) = std::env::var("BERTH_TEST_SCREENSHOT_DIR") {
        b.screenshot(&std::path::Path::new(&path).join("dashboard.png"))
            .await;
    }

    b.click("form[action='/logout'] button").await;
    b.wait_text("Sign in", 10).await;
    assert_eq!(b.path().await, "/login");
    b.fill("input[name=username]", ADMIN).await;
    b.fill("input[name=password]", "definitely not it").await;
    b.click("button[type=submit]").await;
    b.wait_text("Wrong user name or password", 10).await;
    b.fill("input[name=password]", PASSWORD).await;
    b.click("button[type=submit]").await;
    b.wait_text("Swarm overview", 10).await;
    b.close().await;
    server.stop().await;
}

#[tokio::test]
async fn a_form_on_another_site_cannot_act_in_berth() {
    let app = TestApp::new(&lab("one").manager_host()).await;
    app.setup_admin().await;
    let server = TestServer::start(app.state.clone()).await;
    // a page on another origin (another port) with a form aimed at berth
    let evil = axum::Router::new().route(
        "/",
        axum::routing::get({
            let target = format!("{}/settings/users", server.url);
            move || async move {
                axum::response::Html(format!(
                    "<html><body><form method=post action='{target}'><input name=username value=mallory>\
                     <input name=password value='mallory password'><input name=password_confirm value='mallory password'>\
                     <button id=go type=submit>Win a prize</button></form></body></html>"
                ))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let evil_url = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    tokio::spawn(async move { axum::serve(listener, evil).await.unwrap() });

    let b = Browser::start().await;
    b.sign_in(&server.url).await;

    b.goto(&evil_url).await;
    b.click("#go").await;
    b.wait_text("Cross-site request refused", 10).await;
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(users, 1, "no account was created by the cross-site form");
    b.goto(&server.url).await;
    b.wait_text("Swarm overview", 10).await; // still signed in, nothing broken
    b.close().await;
    server.stop().await;
}

#[tokio::test]
async fn the_browser_shows_docker_going_away_and_coming_back() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let app = TestApp::signed_in(&chaos.manager_host()).await;
    let server = TestServer::start(app.state.clone()).await;
    let b = Browser::start().await;
    b.sign_in(&server.url).await;

    let stopped = chaos.stop_node(1);
    // the page notices by itself (the banner polls; no reload by the user)
    b.wait_text("Docker is unreachable", 20).await;
    b.wait_text("Swarm details are unavailable", 10).await;
    stopped.start();
    b.wait_gone("Docker is unreachable", 30).await;
    b.wait_text("running vs desired", 10).await;
    b.close().await;
    server.stop().await;
}
