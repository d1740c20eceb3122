//! First-run setup, sign-in, sessions, throttling, CSRF and the security headers.

use axum::body::Body;
use axum::http::Request;

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::{TestApp, lab};

fn host() -> String {
    lab("one").manager_host()
}

async fn user_count(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn every_page_leads_to_setup_until_an_admin_exists() {
    let app = TestApp::new(&host()).await;
    for path in ["/", "/settings", "/audit", "/login"] {
        app.get(path).await.expect_redirect("/setup");
    }
    let page = app.get("/setup").await.expect(200);
    page.contains("setup code")
        .contains("docker service logs berth_berth");
    for field in ["setup_code", "username", "password", "password_confirm"] {
        page.contains(&format!("name=\"{field}\""));
    }
    // htmx gets HX-Redirect instead of a 3xx it would swap into the page
    let r = app.get_htmx("/").await.expect(200);
    assert_eq!(r.header("hx-redirect"), "/setup");
}

#[tokio::test]
async fn setup_refuses_a_wrong_code_and_creates_nothing() {
    let app = TestApp::new(&host()).await;
    let r = app
        .post_raw(
            "/setup",
            &[
                ("setup_code", "AAAA-BBBB-CCCC-DDDD"),
                ("username", ADMIN),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            &[],
        )
        .await
        .expect(401);
    r.contains("setup code is not right");
    assert_eq!(user_count(&app).await, 0);
    assert!(app.cookie("berth_session").is_none());
    assert!(app.state.needs_setup());
    let audit = app.audit_actions().await;
    assert_eq!(
        audit.last().unwrap(),
        &(
            "auth.setup".to_string(),
            ADMIN.to_string(),
            "failed".to_string()
        )
    );
}

#[tokio::test]
async fn setup_checks_the_password_and_keeps_what_was_typed() {
    let app = TestApp::new(&host()).await;
    let code = app.state.setup.current().unwrap();
    let r = app
        .post_raw(
            "/setup",
            &[
                ("setup_code", &code),
                ("username", "ops-lead"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
            &[],
        )
        .await
        .expect(422);
    r.contains("at least 12 characters")
        .contains("value=\"ops-lead\"");
    let r = app
        .post_raw(
            "/setup",
            &[
                ("setup_code", &code),
                ("username", "ops-lead"),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
            &[],
        )
        .await
        .expect(422);
    r.contains("do not match");
    assert_eq!(user_count(&app).await, 0);
}

#[tokio::test]
async fn setup_creates_the_admin_signs_in_and_closes_for_good() {
    let app = TestApp::new(&host()).await;
    let code = app.state.setup.current().unwrap();
    app.setup_admin().await;
    assert!(app.cookie("berth_session").is_some());
    app.get("/").await.expect(200).contains("Swarm overview");
    assert!(!app.state.needs_setup());
    // the code is spent: setup is closed even to someone holding it
    let other = app.client(2);
    other.get("/setup").await.expect_redirect("/login");
    other
        .post_raw(
            "/setup",
            &[
                ("setup_code", &code),
                ("username", "mallory"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
            &[],
        )
        .await
        .expect_redirect("/login");
    assert_eq!(user_count(&app).await, 1);
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM users")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[tokio::test]
async fn admin_password_file_creates_the_admin_without_the_page() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth_admin_password");
    std::fs::write(&file, format!("{PASSWORD}\n")).unwrap();
    let app = TestApp::with(&host(), |a| {
        a.admin_password_file = Some(file.clone());
        a.admin_username = "root-admin".into();
    })
    .await;
    assert!(!app.state.needs_setup());
    assert!(
        app.state.setup.current().is_none(),
        "no setup code when the password file made the admin"
    );
    app.get("/").await.expect_redirect("/login");
    app.login("root-admin", PASSWORD).await.expect_redirect("/");
    app.get("/").await.expect(200);
}

#[tokio::test]
async fn a_short_password_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "tooshort").unwrap();
    let mut args = berth::config::ServeArgs::for_test(dir.path().join("data"), host());
    args.admin_password_file = Some(file);
    let err = berth::AppState::new(args)
        .await
        .err()
        .expect("start-up must fail");
    assert!(err.to_string().contains("at least 12 characters"), "{err}");
}

#[tokio::test]
async fn login_logout_and_wrong_passwords_are_audited() {
    let app = TestApp::signed_in(&host()).await;
    let b = app.client(7);
    let r = b.login(ADMIN, "not the password at all").await.expect(401);
    r.contains("Wrong user name or password");
    b.login("nobody-here", PASSWORD).await.expect(401);
    b.login(ADMIN, PASSWORD).await.expect_redirect("/");
    let session = b.cookie("berth_session").unwrap();
    b.get("/audit").await.expect(200).contains("auth.login");
    b.post("/logout", &[]).await.expect_redirect("/login");
    // the old cookie is dead server-side, even if a browser kept it
    let c = app.client(8);
    c.set_cookie("berth_session", &session);
    c.get("/").await.expect_redirect("/login");

    let audit = app.audit_actions().await;
    let has = |a: &str, t: &str, o: &str| audit.iter().any(|(x, y, z)| x == a && y == t && z == o);
    assert!(has("auth.setup", ADMIN, "ok"));
    assert!(has("auth.login", ADMIN, "failed"));
    assert!(has("auth.login", "nobody-here", "failed"));
    assert!(has("auth.login", ADMIN, "ok"));
    assert!(has("auth.logout", ADMIN, "ok"));
    let ip: String = sqlx::query_scalar("SELECT ip FROM audit_log WHERE action = 'auth.logout'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(ip, "192.0.2.7", "the audit log records the client address");
}

#[tokio::test]
async fn failed_logins_are_throttled_but_never_lock_out_the_admins_browser() {
    let app = TestApp::new(&host()).await;
    app.setup_admin().await; // this browser (client 1) is now trusted for "admin"
    app.post("/logout", &[]).await.expect_redirect("/login");

    let attacker = app.client(66);
    for _ in 0..5 {
        attacker.login(ADMIN, "guess guess guess").await.expect(401);
    }
    let r = attacker.login(ADMIN, "guess guess guess").await.expect(429);
    assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
    r.contains("Too many failed sign-ins");
    // even the right password is refused to the attacker's browser while throttled
    attacker.login(ADMIN, PASSWORD).await.expect(429);
    // the admin's own browser carries its device token and is not affected
    app.login(ADMIN, PASSWORD).await.expect_redirect("/");
    // and the throttle is temporary
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    attacker.login(ADMIN, PASSWORD).await.expect_redirect("/");
    let denied: i64 = sqlx::query_scalar(
        "SELECT SUM(repeat_count) FROM audit_log WHERE action='auth.login' AND outcome='denied'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert!(denied >= 2);
}

#[tokio::test]
async fn state_changes_need_the_session_csrf_token() {
    let app = TestApp::signed_in(&host()).await;
    let r = app.post_raw("/logout", &[], &[]).await.expect(403);
    r.contains("Reload the page");
    app.post_raw("/logout", &[("csrf", "wrong-token")], &[])
        .await
        .expect(403);
    app.get("/").await.expect(200); // still signed in
    let refused: i64 = sqlx::query_scalar(
        "SELECT SUM(repeat_count) FROM audit_log WHERE action='csrf.refused' AND outcome='denied'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(refused, 2);
    // htmx sends it as a header
    let token = app.csrf().await.unwrap();
    app.post_raw("/logout", &[], &[("x-csrf-token", &token)])
        .await
        .expect_redirect("/login");
}

#[tokio::test]
async fn cross_origin_posts_are_refused_even_with_a_token() {
    let app = TestApp::signed_in(&host()).await;
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
    r.contains("Cross-site request refused");
    app.post_raw(
        "/login",
        &[("username", ADMIN), ("password", PASSWORD)],
        &[("sec-fetch-site", "cross-site")],
    )
    .await
    .expect(403);
    app.post_raw(
        "/logout",
        &[("csrf", &token)],
        &[("origin", "http://localhost"), ("host", "berth.example")],
    )
    .await
    .expect(403);
    app.get("/").await.expect(200);
    // same-origin passes
    app.post_raw(
        "/logout",
        &[("csrf", &token)],
        &[("sec-fetch-site", "same-origin")],
    )
    .await
    .expect_redirect("/login");
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::signed_in(&host()).await;
    let laptop = app.client(2);
    laptop.login(ADMIN, PASSWORD).await.expect_redirect("/");
    let new_pw = "a much better passphrase";
    let r = app
        .post(
            "/settings/password",
            &[
                ("current_password", "wrong"),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await
        .expect(422);
    r.contains("current password is not right");
    app.post(
        "/settings/password",
        &[
            ("current_password", PASSWORD),
            ("new_password", new_pw),
            ("new_password_confirm", new_pw),
        ],
    )
    .await
    .expect_redirect("/settings");
    app.get("/settings")
        .await
        .expect(200)
        .contains("1 other session(s) were signed out");
    app.get("/").await.expect(200);
    laptop.get("/").await.expect_redirect("/login");
    laptop.login(ADMIN, PASSWORD).await.expect(401);
    laptop.login(ADMIN, new_pw).await.expect_redirect("/");
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = TestApp::with(&host(), |a| {
        a.session_ttl = std::time::Duration::from_secs(1)
    })
    .await;
    app.setup_admin().await;
    app.get("/").await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    app.get("/audit")
        .await
        .expect_redirect("/login?next=%2Faudit");
    let r = app.get_htmx("/audit").await.expect(200);
    assert_eq!(
        r.header("hx-redirect"),
        "/login",
        "htmx gets HX-Redirect, not a 3xx"
    );
}

#[tokio::test]
async fn every_response_carries_strict_security_headers() {
    let app = TestApp::signed_in(&host()).await;
    let css = app.state.assets.css.clone();
    for path in ["/", "/login", "/healthz", "/no/such/page", css.as_str()] {
        let r = app.get(path).await;
        let csp = r.header("content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(r.header("referrer-policy"), "same-origin", "{path}");
        assert!(!r.header("x-request-id").is_empty(), "{path}");
    }
    // pages carry no inline script or style
    let page = app.get("/").await.expect(200);
    assert!(
        !page.body.contains("<script>") && !page.body.contains(" style="),
        "inline script/style in page"
    );
    let session_cookie = {
        let fresh = app.client(3);
        let r = fresh.login(ADMIN, PASSWORD).await;
        r.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("berth_session="))
            .unwrap()
    };
    assert!(
        session_cookie.contains("HttpOnly") && session_cookie.contains("SameSite=Strict"),
        "{session_cookie}"
    );
}

#[tokio::test]
async fn request_bodies_are_limited() {
    let app = TestApp::signed_in(&host()).await;
    let big = "x".repeat(5 * 1024 * 1024);
    let r = app
        .request(
            Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from(format!("username=a&password={big}")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status.as_u16(), 413);
}

#[tokio::test]
async fn attacker_controlled_names_are_escaped_in_the_audit_log() {
    let app = TestApp::signed_in(&host()).await;
    app.client(9)
        .login("<script>alert(1)</script>", "whatever whatever")
        .await
        .expect(401);
    let page = app.get("/audit?action=auth.login").await.expect(200);
    page.lacks("<script>alert(1)</script>");
    page.contains("&#60;script&#62;alert(1)&#60;/script&#62;");
    // filtering works
    let failed = app.get("/audit?outcome=failed").await.expect(200);
    failed.lacks("<code>auth.setup</code>");
    failed.contains("<code>auth.login</code>");
}

#[tokio::test]
async fn accounts_can_be_added_and_removed_but_not_the_last_admin() {
    let app = TestApp::signed_in(&host()).await;
    let pw = "another long password";
    app.post(
        "/settings/users",
        &[
            ("username", "deploy-bot"),
            ("password", pw),
            ("password_confirm", pw),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/settings");
    app.post(
        "/settings/users",
        &[
            ("username", "deploy-bot"),
            ("password", pw),
            ("password_confirm", pw),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect(409)
    .contains("already exists");
    let other = app.client(4);
    other.login("deploy-bot", pw).await.expect_redirect("/");
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'deploy-bot'")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.post(
        &format!("/settings/users/{id}/delete"),
        &[("current_password", PASSWORD)],
    )
    .await
    .expect_redirect("/settings");
    other.get("/").await.expect_redirect("/login");
    let me: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(ADMIN)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    app.post(
        &format!("/settings/users/{me}/delete"),
        &[("current_password", PASSWORD)],
    )
    .await
    .expect_redirect("/settings");
    app.get("/settings")
        .await
        .contains("cannot remove your own account");
}
