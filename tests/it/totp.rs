//! Optional TOTP for local accounts (issue 18): enrolment on your own settings confirmed by a
//! first code, the sign-in's second step `/login/totp`, codes usable once, recovery codes, the
//! throttle, turning it off, an admin's reset. Codes are computed here from the secret the page
//! shows, with the totp-rs crate (RFC 6238), as an authenticator app would.

use std::time::Duration;

use crate::harness::app::{Client, PASSWORD};
use crate::harness::{TestApp, lab};

const ALICE: &str = "alice";
const ALICE_PW: &str = "alice's long password";

fn host() -> String {
    lab("one").manager_host()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The current 30 s step, not within 4 s of its end (else the next one): a code computed now
/// is still in its step when berth checks it.
async fn steady_step() -> u64 {
    loop {
        let now = unix_now();
        if now % 30 < 26 {
            return now / 30;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The six-digit code of `step`, as an authenticator app computes it.
fn code(secret: &[u8], step: u64) -> String {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .build()
        .unwrap()
        .generate(step * 30)
        .to_string()
}

/// The text of every element with this data-testid.
fn testids(body: &str, id: &str) -> Vec<String> {
    let marker = format!("data-testid=\"{id}\">");
    body.match_indices(&marker)
        .map(|(i, _)| {
            let rest = &body[i + marker.len()..];
            rest[..rest.find('<').unwrap()].to_string()
        })
        .collect()
}

/// An admin app and a signed-in viewer `alice` (client 2).
async fn app_and_alice() -> (TestApp, Client, i64) {
    let app = TestApp::signed_in(&host()).await;
    app.post(
        "/settings/users",
        &[
            ("username", ALICE),
            ("password", ALICE_PW),
            ("password_confirm", ALICE_PW),
            ("role", "viewer"),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/settings");
    let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
        .bind(ALICE)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let alice = app.client(2);
    alice.login(ALICE, ALICE_PW).await.expect_redirect("/");
    (app, alice, id)
}

/// Sets TOTP up for the signed-in client and confirms it with the code of the step before
/// now; returns the secret and the recovery codes the page showed.
async fn enrol(app: &TestApp, who: &Client, password: &str) -> (Vec<u8>, Vec<String>) {
    let page = who
        .post("/settings/totp", &[("current_password", password)])
        .await
        .expect(200);
    page.contains("data-testid=\"totp-qr\"")
        .contains("otpauth://totp/")
        .contains("name=\"code\"");
    let shown = testids(&page.body, "totp-secret").remove(0);
    let secret = totp_rs::Secret::try_from_base32(shown.replace(' ', ""))
        .unwrap()
        .as_bytes()
        .to_vec();
    // the secret is sealed at rest
    let stored: Vec<String> = sqlx::query_scalar("SELECT secret FROM user_totp")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|s| s.starts_with("v1:")), "{stored:?}");
    assert!(
        stored.iter().all(|s| !s.contains(&shown.replace(' ', ""))),
        "the secret is stored in the clear"
    );
    let step = steady_step().await;
    let done = who
        .post(
            "/settings/totp/confirm",
            &[("code", &code(&secret, step - 1))],
        )
        .await
        .expect(200);
    let codes = testids(&done.body, "recovery-code");
    assert_eq!(codes.len(), 10, "{}", done.body);
    (secret, codes)
}

/// Signs out, then in with the password: the half sign-in waits for its code.
async fn password_step(who: &Client, user: &str, password: &str) {
    who.post("/logout", &[]).await.expect_redirect("/login");
    who.login(user, password)
        .await
        .expect_redirect("/login/totp");
    assert!(
        who.cookie("berth_session").is_none(),
        "no session before the code"
    );
    assert!(who.cookie("berth_login").is_some());
}

async fn totp_rows(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM user_totp")
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn totp_is_confirmed_by_a_first_code_then_asked_at_sign_in_once_per_code() {
    let (app, alice, alice_id) = app_and_alice().await;
    alice
        .get("/settings")
        .await
        .expect(200)
        .contains("Set up two-step sign-in");

    // a wrong password sets nothing up
    alice
        .post("/settings/totp", &[("current_password", "not my password")])
        .await
        .expect(422);
    assert_eq!(totp_rows(&app).await, 0);

    // set up but not confirmed: a wrong first code leaves it off, sign-in asks nothing
    let page = alice
        .post("/settings/totp", &[("current_password", ALICE_PW)])
        .await
        .expect(200);
    let shown = testids(&page.body, "totp-secret").remove(0);
    let secret = totp_rs::Secret::try_from_base32(shown.replace(' ', ""))
        .unwrap()
        .as_bytes()
        .to_vec();
    let step = steady_step().await;
    alice
        .post(
            "/settings/totp/confirm",
            &[("code", &code(&secret, step + 7))],
        )
        .await
        .expect(422)
        .contains("still off");
    alice.post("/logout", &[]).await.expect_redirect("/login");
    alice.login(ALICE, ALICE_PW).await.expect_redirect("/");

    // set up again (a new secret) and confirmed
    let (secret, recovery) = enrol(&app, &alice, ALICE_PW).await;
    let enabled: Option<i64> =
        sqlx::query_scalar("SELECT enabled_at FROM user_totp WHERE user_id = ?")
            .bind(alice_id)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(enabled.is_some());
    let hashes: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM totp_recovery_codes WHERE user_id = ? AND length(code_hash) = 32",
    )
    .bind(alice_id)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(hashes, 10, "recovery codes stored hashed");
    alice
        .get("/settings")
        .await
        .expect(200)
        .contains("On. 10 recovery code(s) left.");

    // sign-in: the password alone opens nothing
    password_step(&alice, ALICE, ALICE_PW).await;
    alice.get("/").await.expect_redirect("/login");
    alice
        .get("/login/totp")
        .await
        .expect(200)
        .contains("name=\"code\"");
    // the enrolment's code was used; a malformed one is no code
    let step = steady_step().await;
    alice
        .post_raw("/login/totp", &[("code", &code(&secret, step - 1))], &[])
        .await
        .expect(401)
        .contains("not right");
    alice
        .post_raw("/login/totp", &[("code", "12a456")], &[])
        .await
        .expect(401);
    assert!(alice.cookie("berth_session").is_none());
    let now_code = code(&secret, steady_step().await);
    alice
        .post_raw("/login/totp", &[("code", &now_code)], &[])
        .await
        .expect_redirect("/");
    assert!(alice.cookie("berth_session").is_some());
    assert!(alice.cookie("berth_login").is_none());
    alice.get("/settings").await.expect(200);

    // the same code again: refused
    password_step(&alice, ALICE, ALICE_PW).await;
    alice
        .post_raw("/login/totp", &[("code", &now_code)], &[])
        .await
        .expect(401);
    // a recovery code works once (typed in lower case, without its dashes)
    let typed = recovery[3].to_lowercase().replace('-', "");
    alice
        .post_raw("/login/totp", &[("code", &typed)], &[])
        .await
        .expect_redirect("/");
    alice
        .get("/settings")
        .await
        .expect(200)
        .contains("On. 9 recovery code(s) left.");
    password_step(&alice, ALICE, ALICE_PW).await;
    alice
        .post_raw("/login/totp", &[("code", &recovery[3])], &[])
        .await
        .expect(401);
    assert!(alice.cookie("berth_session").is_none());

    let audit = app.audit_actions().await;
    let has = |action: &str, outcome: &str| {
        audit
            .iter()
            .any(|(a, t, o)| a == action && t == ALICE && o == outcome)
    };
    assert!(has("auth.totp_enable", "ok") && has("auth.totp_enable", "failed"));
    assert!(has("auth.totp", "ok") && has("auth.totp", "failed"));
    // nothing secret in the audit log
    let details: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains(&now_code) && !d.contains(&recovery[3])),
        "{details:?}"
    );
}

#[tokio::test]
async fn wrong_codes_are_throttled_and_a_right_password_does_not_forgive_them() {
    let (app, alice, _) = app_and_alice().await;
    let (secret, _) = enrol(&app, &alice, ALICE_PW).await;
    let step = steady_step().await;
    // four wrong codes in one half sign-in, more in the next: the password's success in
    // between forgives none of them
    password_step(&alice, ALICE, ALICE_PW).await;
    for _ in 0..4 {
        alice
            .post_raw("/login/totp", &[("code", "000000")], &[])
            .await
            .expect(401);
    }
    password_step(&alice, ALICE, ALICE_PW).await;
    // the fifth failure blocks for 1 s, the sixth for 2 s
    alice
        .post_raw("/login/totp", &[("code", "000000")], &[])
        .await
        .expect(401);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    alice
        .post_raw("/login/totp", &[("code", "000000")], &[])
        .await
        .expect(401);
    // now even the right code is refused before it is looked at
    let r = alice
        .post_raw("/login/totp", &[("code", &code(&secret, step))], &[])
        .await
        .expect(429);
    r.contains("Too many wrong codes");
    assert!(!r.header("retry-after").is_empty());
    assert!(alice.cookie("berth_session").is_none());
    assert!(app.audit_actions().await.contains(&(
        "auth.totp".into(),
        ALICE.into(),
        "denied".into()
    )));
}

#[tokio::test]
async fn five_wrong_codes_end_the_half_sign_in() {
    let (app, alice, _) = app_and_alice().await;
    enrol(&app, &alice, ALICE_PW).await;
    password_step(&alice, ALICE, ALICE_PW).await;
    for _ in 0..4 {
        alice
            .post_raw("/login/totp", &[("code", "999999")], &[])
            .await
            .expect(401);
    }
    alice
        .post_raw("/login/totp", &[("code", "999999")], &[])
        .await
        .expect(401)
        .contains("password again");
    assert!(alice.cookie("berth_login").is_none());
    alice.get("/login/totp").await.expect_redirect("/login");
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM login_pending")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn totp_is_turned_off_with_password_and_code_or_reset_by_an_admin() {
    let (app, alice, alice_id) = app_and_alice().await;
    let (secret, _) = enrol(&app, &alice, ALICE_PW).await;

    // off needs the password and a right code
    let step = steady_step().await;
    alice
        .post(
            "/settings/totp/disable",
            &[
                ("current_password", "wrong password!"),
                ("code", &code(&secret, step)),
            ],
        )
        .await
        .expect(422);
    alice
        .post(
            "/settings/totp/disable",
            &[("current_password", ALICE_PW), ("code", "123")],
        )
        .await
        .expect(422)
        .contains("still on");
    assert_eq!(totp_rows(&app).await, 1);
    alice
        .post(
            "/settings/totp/disable",
            &[
                ("current_password", ALICE_PW),
                ("code", &code(&secret, step)),
            ],
        )
        .await
        .expect_redirect("/settings");
    assert_eq!(totp_rows(&app).await, 0);
    alice.post("/logout", &[]).await.expect_redirect("/login");
    alice.login(ALICE, ALICE_PW).await.expect_redirect("/");

    // on again; a viewer may not reset anyone's, an admin resets it (audited)
    enrol(&app, &alice, ALICE_PW).await;
    let reset = format!("/settings/users/{alice_id}/totp/reset");
    alice.post(&reset, &[]).await.expect(403);
    app.get("/settings")
        .await
        .expect(200)
        .contains("data-testid=\"user-totp\"")
        .contains(&reset);
    app.post(&reset, &[]).await.expect_redirect("/settings");
    assert_eq!(totp_rows(&app).await, 0);
    let recovery: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM totp_recovery_codes")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(recovery, 0);
    assert!(app.audit_actions().await.contains(&(
        "user.totp_reset".into(),
        ALICE.into(),
        "ok".into()
    )));
    alice.post("/logout", &[]).await.expect_redirect("/login");
    alice.login(ALICE, ALICE_PW).await.expect_redirect("/");
}
