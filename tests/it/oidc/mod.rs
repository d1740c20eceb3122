//! Sign-in with OpenID Connect (issue 18) against a real provider: django-oidc-provider run by
//! the harness (harness::oidc), its login form driven like a browser (cookies, CSRF token,
//! redirects), berth served on a real port. The groups claim maps to a role and teams at every
//! sign-in; state, nonce and PKCE are checked; a local account is never taken over; the client
//! secret is kept sealed.

mod refusals;

use berth::auth::roles::Role;
use berth::db;

use crate::harness::app::Client;
use crate::harness::http::Http;
use crate::harness::oidc::{CLIENT_ID, CLIENT_SECRET, Idp, Person};
use crate::harness::{TestApp, TestServer, lab};

pub const PW: &str = "provider-password-1";

/// berth (signed-in admin, on a real port) and the provider, whose client sends people back
/// to that port.
pub async fn setup(people: &[Person<'_>]) -> (TestApp, TestServer, Idp) {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let server = TestServer::start(app.state.clone()).await;
    let idp = Idp::start(&format!("{}/auth/oidc/callback", server.url), people);
    (app, server, idp)
}

/// Saves the OIDC settings through the admin's form.
pub async fn configure(app: &TestApp, idp: &Idp, role_map: &str, team_map: &str, default: &str) {
    let r = app
        .post(
            "/settings/oidc",
            &[
                ("enabled", "on"),
                ("issuer", &idp.issuer),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("display_name", "Test IdP"),
                ("scopes", "profile email groups"),
                ("groups_claim", "groups"),
                ("role_map", role_map),
                ("team_map", team_map),
                ("default_role", default),
            ],
        )
        .await
        .expect(303);
    assert_eq!(r.location(), "/settings");
    app.get("/settings")
        .await
        .expect(200)
        .contains("berth read Test IdP")
        .lacks(CLIENT_SECRET);
}

/// The account's role and teams as SQLite holds them.
pub async fn account(app: &TestApp, name: &str) -> Option<(Role, Vec<String>)> {
    let user = db::users::by_name(&app.state.db, name).await.unwrap()?;
    let p = db::teams::principal(&app.state.db, user.id)
        .await
        .unwrap()
        .unwrap();
    Some((p.role, p.teams))
}

/// An in-process client carrying the session a browser got.
pub fn carrying(app: &TestApp, n: u8, browser: &Http) -> Client {
    let c = app.client(n);
    c.set_cookie(
        "berth_session",
        &browser.cookie("berth_session").expect("a session cookie"),
    );
    c
}

#[tokio::test]
async fn a_member_of_the_admin_group_signs_in_at_the_provider_and_lands_on_the_dashboard_as_admin()
{
    let (app, server, idp) = setup(&[Person {
        username: "h10alice",
        password: PW,
        groups: &["berth-admins"],
    }])
    .await;
    let mut browser = Http::new("");
    // no link before it is set up
    let login = browser.get(&format!("{}/login", server.url)).await;
    assert!(!login.body.contains("oidc-login"), "{}", login.body);
    configure(&app, &idp, "berth-admins = admin", "", "refuse").await;
    let login = browser.get(&format!("{}/login", server.url)).await;
    assert!(
        login.body.contains("data-testid=\"oidc-login\"")
            && login.body.contains("Sign in with Test IdP"),
        "{}",
        login.body
    );

    let (done, _) = idp.sign_in(&mut browser, &server.url, "h10alice", PW).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("oidc-done"), "{}", done.body);
    // the page's refresh goes to the dashboard, where the session is live
    assert!(
        done.body.contains("http-equiv=\"refresh\""),
        "{}",
        done.body
    );
    let dash = browser.get(&format!("{}/", server.url)).await;
    assert_eq!(dash.status, 200, "{}", dash.body);
    assert!(dash.body.contains("Signed in as h10alice"), "{}", dash.body);
    // admin: the settings page shows the admin's forms
    let settings = browser.get(&format!("{}/settings", server.url)).await;
    assert!(settings.body.contains("data-testid=\"oidc-settings\""));

    assert_eq!(account(&app, "h10alice").await, Some((Role::Admin, vec![])));
    let (issuer, subject, hash): (Option<String>, Option<String>, String) = sqlx::query_as(
        "SELECT oidc_issuer, oidc_subject, password_hash FROM users WHERE username = 'h10alice'",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert_eq!(issuer.as_deref(), Some(idp.issuer.as_str()));
    assert!(subject.is_some_and(|s| !s.is_empty()));
    assert!(
        !hash.starts_with("$argon2"),
        "an OIDC account has no password"
    );
    // no password sign-in for it
    app.client(9).login("h10alice", PW).await.expect(401);
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("auth.oidc.login".into(), "h10alice".into(), "ok".into())));
    assert!(audit.iter().any(|(a, _, _)| a == "auth.oidc.settings"));
    server.stop().await;
}

#[tokio::test]
async fn a_member_of_a_team_group_becomes_a_deployer_of_that_team_and_is_refused_on_another_teams_stack()
 {
    let (app, server, idp) = setup(&[Person {
        username: "h10dave",
        password: PW,
        groups: &["team-a-deployers", "unrelated"],
    }])
    .await;
    for t in ["team-a", "team-b"] {
        app.post("/settings/teams", &[("name", t)])
            .await
            .expect(303);
    }
    for (stack, team) in [("h10astack", "team-a"), ("h10bstack", "team-b")] {
        app.post("/settings/stack-owner", &[("stack", stack), ("team", team)])
            .await
            .expect(303);
    }
    configure(
        &app,
        &idp,
        "berth-admins = admin\nteam-a-deployers = deployer",
        "team-a-deployers = team-a",
        "refuse",
    )
    .await;
    let mut browser = Http::new("");
    let (done, _) = idp.sign_in(&mut browser, &server.url, "h10dave", PW).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        account(&app, "h10dave").await,
        Some((Role::Deployer, vec!["team-a".to_string()]))
    );

    let dave = carrying(&app, 60, &browser);
    let compose = "services:\n  app:\n    image: berth-test/busybox:1\n";
    let form = |name: &'static str| vec![("name", name), ("compose", compose), ("env", "")];
    // team B's stack: refused; team A's: allowed
    dave.post("/stacks/h10bstack/preview", &form("h10bstack"))
        .await
        .expect(403)
        .contains("does not allow");
    let own = dave
        .post("/stacks/h10astack/preview", &form("h10astack"))
        .await;
    assert_ne!(own.status.as_u16(), 403, "{}", own.body);
    // a deployer is no admin
    dave.post("/settings/teams", &[("name", "h10c")])
        .await
        .expect(403);
    server.stop().await;
}

#[tokio::test]
async fn a_group_removed_at_the_provider_lowers_the_role_and_teams_at_the_next_sign_in() {
    let (app, server, idp) = setup(&[Person {
        username: "h10gina",
        password: PW,
        groups: &["berth-admins", "team-a-deployers"],
    }])
    .await;
    app.post("/settings/teams", &[("name", "team-a")])
        .await
        .expect(303);
    configure(
        &app,
        &idp,
        "berth-admins = admin\nteam-a-deployers = deployer\nberth-viewers = viewer",
        "team-a-deployers = team-a",
        "refuse",
    )
    .await;
    let mut browser = Http::new("");
    idp.sign_in(&mut browser, &server.url, "h10gina", PW).await;
    assert_eq!(
        account(&app, "h10gina").await,
        Some((Role::Admin, vec!["team-a".to_string()]))
    );

    idp.set_groups("h10gina", &["berth-viewers"]);
    let mut again = Http::new("");
    let (done, _) = idp.sign_in(&mut again, &server.url, "h10gina", PW).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(account(&app, "h10gina").await, Some((Role::Viewer, vec![])));
    // still one account, keyed by the provider's subject
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE oidc_issuer IS NOT NULL")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let viewer = carrying(&app, 61, &again);
    viewer
        .post("/settings/teams", &[("name", "h10d")])
        .await
        .expect(403);
    viewer.get("/").await.expect(200);

    // out of every mapped group: refused, and the session it had ends
    idp.set_groups("h10gina", &[]);
    let (page, _) = idp
        .sign_in(&mut Http::new(""), &server.url, "h10gina", PW)
        .await;
    assert_eq!(page.status, 403, "{}", page.body);
    viewer.get("/").await.expect_redirect("/login");
    assert_eq!(account(&app, "h10gina").await, Some((Role::Viewer, vec![])));
    server.stop().await;
}

#[tokio::test]
async fn the_client_secret_is_in_sqlite_only_sealed_and_never_shown_or_audited() {
    let (app, server, idp) = setup(&[Person {
        username: "h10sam",
        password: PW,
        groups: &["berth-admins"],
    }])
    .await;
    configure(&app, &idp, "berth-admins = admin", "", "refuse").await;
    let stored: String = sqlx::query_scalar("SELECT client_secret FROM oidc_settings")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(
        !stored.is_empty() && !stored.contains(CLIENT_SECRET),
        "{stored}"
    );
    let file = std::fs::read(app.state.config.data_dir.join("berth.db")).unwrap();
    assert!(
        !file
            .windows(CLIENT_SECRET.len())
            .any(|w| w == CLIENT_SECRET.as_bytes())
    );
    let audit: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(audit.iter().all(|d| !d.contains(CLIENT_SECRET)));
    app.get("/settings")
        .await
        .contains("one is stored")
        .lacks(CLIENT_SECRET);

    // saved again with the secret left empty: kept, and sign-in works with it
    app.post(
        "/settings/oidc",
        &[
            ("enabled", "on"),
            ("issuer", &idp.issuer),
            ("client_id", CLIENT_ID),
            ("display_name", "Test IdP"),
            ("scopes", "profile email groups"),
            ("role_map", "berth-admins = admin"),
            ("default_role", "refuse"),
        ],
    )
    .await
    .expect(303);
    let mut browser = Http::new("");
    let (done, _) = idp.sign_in(&mut browser, &server.url, "h10sam", PW).await;
    assert_eq!(done.status, 200, "{}", done.body);

    // a bad field: refused with the reason, what was typed shown again, nothing saved
    let r = app
        .post(
            "/settings/oidc",
            &[
                ("enabled", "on"),
                ("issuer", "http://id.example.com/realms/x"),
                ("client_id", CLIENT_ID),
                ("role_map", "berth-admins = root"),
            ],
        )
        .await
        .expect(422);
    r.contains("must use https")
        .contains("http://id.example.com/realms/x");
    let issuer: String = sqlx::query_scalar("SELECT issuer FROM oidc_settings")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(issuer, idp.issuer);
    // a team the mapping names must exist
    app.post(
        "/settings/oidc",
        &[
            ("issuer", &idp.issuer),
            ("client_id", CLIENT_ID),
            ("team_map", "g = no-such-team"),
        ],
    )
    .await
    .expect(422)
    .contains("there is no team no-such-team");
    server.stop().await;
}
