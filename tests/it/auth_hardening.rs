//! What a stranger can send to the sign-in side, and what it costs berth: bursts of guesses,
//! long names, crafted `next` targets, /healthz; and the lifetimes of sessions and trusted
//! browsers, the current password asked before account changes.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::{TestApp, TestServer, lab};

fn host() -> String {
    lab("one").manager_host()
}

async fn scalar(app: &TestApp, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

/// berth.db with its write-ahead log, in bytes.
fn db_bytes(app: &TestApp) -> u64 {
    let dir = &app.state.config.data_dir;
    ["berth.db", "berth.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

/// How many guesses the throttle policy allows in `secs` seconds: five free, then waits of
/// 1, 2, 4, … seconds.
fn allowed_guesses(secs: f64) -> usize {
    let (mut n, mut waited, mut wait) = (5, 0.0, 1.0);
    while waited + wait <= secs {
        waited += wait;
        wait *= 2.0;
        n += 1;
    }
    n
}

/// The peak resident memory of this process so far (VmHWM), in MiB.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[tokio::test]
async fn a_burst_of_wrong_passwords_gets_at_most_five_checked_and_the_admin_still_signs_in() {
    let app = TestApp::new(&host()).await;
    app.setup_admin().await; // the default client's browser is now trusted for admin
    app.post("/logout", &[]).await.expect_redirect("/login");

    let started = Instant::now();
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..300 {
        let attacker = app.client(66);
        burst.spawn(async move {
            let r = attacker.login(ADMIN, "guess guess guess").await;
            (r.status.as_u16(), r.header("retry-after"))
        });
    }
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    while let Some(done) = burst.join_next().await {
        let (status, retry_after) = done.unwrap();
        *statuses.entry(status).or_default() += 1;
        if status == 429 || status == 503 {
            assert!(
                retry_after.parse::<u64>().is_ok_and(|s| s >= 1),
                "{status} without Retry-After"
            );
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let checked = statuses.get(&401).copied().unwrap_or(0);
    println!(
        "figure: 300 concurrent wrong logins in {secs:.2} s: {statuses:?}; peak RSS of the test process {} MiB",
        peak_rss_mib()
    );
    assert!(
        statuses.keys().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
    // five, unless the burst outlasted the first waits of the policy
    assert!(
        checked <= allowed_guesses(secs),
        "{checked} guesses checked in {secs:.2} s: {statuses:?}"
    );
    let failed = scalar(
        &app,
        "SELECT COALESCE(SUM(repeat_count), 0) FROM audit_log WHERE action='auth.login' AND outcome='failed'",
    )
    .await;
    assert_eq!(failed as usize, checked, "every checked guess is audited");

    // the admin's own browser is throttled under its own key
    app.login(ADMIN, PASSWORD).await.expect_redirect("/");
    app.get("/").await.expect(200);
}

#[tokio::test]
async fn the_current_password_is_throttled_like_a_sign_in() {
    let app = TestApp::signed_in(&host()).await;
    let new_pw = "a much better passphrase";
    for _ in 0..5 {
        app.post(
            "/settings/password",
            &[
                ("current_password", "not my password"),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await
        .expect(422)
        .contains("current password is not right");
    }
    let r = app
        .post(
            "/settings/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_pw),
                ("new_password_confirm", new_pw),
            ],
        )
        .await
        .expect(429);
    assert!(r.header("retry-after").parse::<u64>().unwrap() >= 1);
    r.contains("Too many wrong passwords");
    // the password did not change
    app.client(3)
        .login(ADMIN, PASSWORD)
        .await
        .expect_redirect("/");
}

#[tokio::test]
async fn long_user_names_are_refused_before_anything_and_the_database_stays_small() {
    let app = TestApp::signed_in(&host()).await;
    let attacker = app.client(9);
    let rows_before = scalar(&app, "SELECT COUNT(*) FROM audit_log").await;
    let before = db_bytes(&app);
    // what grew the database by 35 MB before: five 3.5 MB names
    let huge = "n".repeat(3_500_000);
    for _ in 0..5 {
        let r = attacker
            .request(
                Request::post("/login")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(Body::from(format!(
                        "username={huge}&password=whatever+whatever"
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status.as_u16(), 413);
    }
    // names that fit the body limit but not any account
    for i in 0..200 {
        let name = format!("{i}{}", "n".repeat(10_000));
        attacker
            .login(&name, "whatever whatever")
            .await
            .expect(422)
            .lacks("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn");
    }
    let grown = db_bytes(&app).saturating_sub(before);
    println!("figure: database growth under 205 long-name logins: {grown} bytes");
    assert!(grown < 64 * 1024, "the database grew by {grown} bytes");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM audit_log").await,
        rows_before,
        "nothing was audited for names no account can have"
    );
    // the same cap at setup-like forms: adding an account
    app.post(
        "/settings/users",
        &[
            ("username", &"u".repeat(65)),
            ("password", "another long password"),
            ("password_confirm", "another long password"),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect(422)
    .contains("1 to 64 characters");
}

#[tokio::test]
async fn repeated_identical_failures_are_one_audit_row_with_a_count() {
    let app = TestApp::signed_in(&host()).await;
    let attacker = app.client(9);
    for _ in 0..5 {
        attacker
            .login("nobody-here", "whatever whatever")
            .await
            .expect(401);
    }
    for _ in 0..2 {
        attacker
            .login("nobody-here", "whatever whatever")
            .await
            .expect(429);
    }
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, repeat_count FROM audit_log WHERE target = 'nobody-here' ORDER BY id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    assert_eq!(rows, vec![("failed".into(), 5), ("denied".into(), 2)]);
    let page = app.get("/audit?user=nobody-here").await.expect(200);
    page.contains("×5").contains("×2");
}

#[tokio::test]
async fn a_next_target_with_a_tab_signs_in_to_the_dashboard() {
    let app = TestApp::signed_in(&host()).await;
    let b = app.client(5);
    for next in ["/\t/evil.example", "/\n/evil.example", "/ /evil.example"] {
        let r = b
            .post_raw(
                "/login",
                &[("username", ADMIN), ("password", PASSWORD), ("next", next)],
                &[],
            )
            .await;
        r.expect_redirect("/");
    }
    // signed in, the login page sends on at once: the same check
    b.get("/login?next=/%09/evil.example")
        .await
        .expect_redirect("/");
    b.get("/login?next=%2F%2Fevil.example")
        .await
        .expect_redirect("/");
    // a page of berth is kept
    b.get("/login?next=%2Fservices%3Fq%3Dweb")
        .await
        .expect_redirect("/services?q=web");
    let c = app.client(6);
    // the sign-in form does not carry a target it would refuse
    c.get("/login?next=/%09/evil.example")
        .await
        .expect(200)
        .lacks("evil.example");
    c.post_raw(
        "/login",
        &[
            ("username", ADMIN),
            ("password", PASSWORD),
            ("next", "/audit"),
        ],
        &[],
    )
    .await
    .expect_redirect("/audit");
}

#[tokio::test]
async fn healthz_tells_strangers_the_status_only() {
    let app = TestApp::signed_in(&host()).await;
    let stranger = app.client(9);
    let r = stranger.get("/healthz").await.expect(200);
    assert_eq!(r.body, "ok\ndocker: ok (swarm manager)\n");
    // a signed-in browser gets the engine version
    app.get("/healthz").await.expect(200).contains("engine ");

    let down = TestApp::new("unix:///run/berth-lab/no-such-lab/node1.sock").await;
    let r = down.get("/healthz").await.expect(200);
    assert_eq!(r.body, "ok\ndocker: unreachable\n", "no raw error text");

    // `berth healthcheck` (the image's HEALTHCHECK) still passes, and sees no version either
    let server = TestServer::start(app.state.clone()).await;
    let url = format!("{}/healthz", server.url);
    let body = tokio::task::spawn_blocking(move || berth::healthcheck::check(&url))
        .await
        .unwrap()
        .expect("healthy");
    assert!(
        body.contains("docker: ok") && !body.contains("engine"),
        "{body}"
    );
    server.stop().await;
}

#[tokio::test]
async fn sessions_end_after_their_absolute_lifetime_however_active() {
    let app = TestApp::signed_in(&host()).await;
    app.get("/").await.expect(200);
    // signed in 7 days and a minute ago, active a second ago
    sqlx::query(
        "UPDATE sessions SET created_at = created_at - 7 * 86400 - 60, last_seen_at = last_seen_at - 1",
    )
    .execute(&app.state.db)
    .await
    .unwrap();
    app.get("/settings")
        .await
        .expect_redirect("/login?next=%2Fsettings");
    // the janitor's query removes it for good
    let removed = berth::db::sessions::delete_expired(
        &app.state.db,
        berth::web::session::lifetime(&app.state),
    )
    .await
    .unwrap();
    assert_eq!(removed, 1);
}

#[tokio::test]
async fn trusted_browsers_expire_and_are_forgotten_when_the_password_changes() {
    let app = TestApp::signed_in(&host()).await;
    let laptop = app.client(2);
    laptop.login(ADMIN, PASSWORD).await.expect_redirect("/");
    let laptop_device = laptop.cookie("berth_device").unwrap();

    // an expired device token is replaced at the next sign-in
    sqlx::query("UPDATE trusted_devices SET created_at = created_at - 91 * 86400")
        .execute(&app.state.db)
        .await
        .unwrap();
    laptop.post("/logout", &[]).await.expect_redirect("/login");
    laptop.login(ADMIN, PASSWORD).await.expect_redirect("/");
    let renewed = laptop.cookie("berth_device").unwrap();
    assert_ne!(renewed, laptop_device, "a new device token after expiry");

    // a password change forgets every trusted browser of the user
    let new_pw = "a much better passphrase";
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
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM trusted_devices").await,
        0
    );
    laptop.get("/").await.expect_redirect("/login");
    // the laptop's old token no longer exempts it: an attacker's failures now block it too
    let attacker = app.client(66);
    for _ in 0..5 {
        attacker.login(ADMIN, "guess guess guess").await.expect(401);
    }
    laptop.login(ADMIN, new_pw).await.expect(429);
}

#[tokio::test]
async fn adding_and_removing_accounts_needs_the_current_password() {
    let app = TestApp::signed_in(&host()).await;
    let pw = "another long password";
    for current in ["", "not my password"] {
        app.post(
            "/settings/users",
            &[
                ("username", "deploy-bot"),
                ("password", pw),
                ("password_confirm", pw),
                ("current_password", current),
            ],
        )
        .await
        .expect(422)
        .contains("current password is not right");
    }
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, 1);
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
    let id = scalar(&app, "SELECT id FROM users WHERE username = 'deploy-bot'").await;
    app.post(
        &format!("/settings/users/{id}/delete"),
        &[("current_password", "not my password")],
    )
    .await
    .expect(422)
    .contains("current password is not right");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, 2);
    app.post(
        &format!("/settings/users/{id}/delete"),
        &[("current_password", PASSWORD)],
    )
    .await
    .expect_redirect("/settings");
    assert_eq!(scalar(&app, "SELECT COUNT(*) FROM users").await, 1);
    let failed = scalar(
        &app,
        "SELECT SUM(repeat_count) FROM audit_log WHERE action IN ('user.create', 'user.delete') AND outcome = 'failed'",
    )
    .await;
    assert_eq!(failed, 2, "wrong current passwords are audited");
}

#[tokio::test]
async fn a_long_password_in_accented_letters_works_at_creation_and_sign_in() {
    let app = TestApp::signed_in(&host()).await;
    // 1024 characters, 2048 bytes: accepted at creation, so accepted at sign-in
    let pw = "é".repeat(1024);
    app.post(
        "/settings/users",
        &[
            ("username", "accented"),
            ("password", &pw),
            ("password_confirm", &pw),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/settings");
    app.client(4)
        .login("accented", &pw)
        .await
        .expect_redirect("/");
    // one character more is refused at both
    let longer = "é".repeat(1025);
    app.client(5).login("accented", &longer).await.expect(422);
}
