//! OIDC sign-ins berth refuses: a person in no mapped group (unless a default role is set), a
//! wrong or used state (a replayed answer), an answer delivered to another browser, and a
//! provider's name that belongs to a local account.

use berth::auth::roles::Role;

use super::{PW, account, configure, setup};
use crate::harness::http::Http;
use crate::harness::oidc::{Person, follow};

async fn refusals(app: &crate::harness::TestApp) -> usize {
    app.audit_actions()
        .await
        .iter()
        .filter(|(a, _, o)| a == "auth.oidc.refused" && o == "denied")
        .count()
}

#[tokio::test]
async fn a_person_in_no_mapped_group_is_refused_unless_a_default_role_is_set() {
    let (app, server, idp) = setup(&[Person {
        username: "h10nora",
        password: PW,
        groups: &["marketing"],
    }])
    .await;
    configure(&app, &idp, "berth-admins = admin", "", "refuse").await;
    let mut browser = Http::new("");
    let (page, _) = idp.sign_in(&mut browser, &server.url, "h10nora", PW).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("data-testid=\"oidc-error\""));
    assert!(
        page.body.contains("in no group that berth gives access to"),
        "{}",
        page.body
    );
    assert!(browser.cookie("berth_session").is_none());
    assert_eq!(account(&app, "h10nora").await, None);
    assert_eq!(refusals(&app).await, 1);

    configure(&app, &idp, "berth-admins = admin", "", "viewer").await;
    // a new browser: the first still has the provider's session (it would skip the form)
    let mut browser = Http::new("");
    let (page, _) = idp.sign_in(&mut browser, &server.url, "h10nora", PW).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(account(&app, "h10nora").await, Some((Role::Viewer, vec![])));
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_state_a_replayed_answer_and_an_answer_in_another_browser_are_refused() {
    let (app, server, idp) = setup(&[Person {
        username: "h10rex",
        password: PW,
        groups: &["berth-admins"],
    }])
    .await;
    configure(&app, &idp, "berth-admins = admin", "", "refuse").await;

    // signed in once; the same answer again (state and code replayed): refused
    let mut browser = Http::new("");
    let (done, callback) = idp.sign_in(&mut browser, &server.url, "h10rex", PW).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(callback.contains("code=") && callback.contains("state="));
    let replay = browser.get(&callback).await;
    assert_eq!(replay.status, 400, "{}", replay.body);
    assert!(replay.body.contains("expired or was already used"));

    // a state berth never issued, with a fresh code from the provider: refused
    let mut other = Http::new("");
    let (_, fresh) = idp
        .sign_in_until_callback(&mut other, &server.url, "h10rex", PW)
        .await;
    let forged = replace_param(&fresh, "state", "not-the-state");
    let r = other.get(&forged).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(other.cookie("berth_session").is_none());

    // the provider's answer delivered to a browser that did not start the sign-in: refused
    let mut starter = Http::new("");
    let (_, answer) = idp
        .sign_in_until_callback(&mut starter, &server.url, "h10rex", PW)
        .await;
    let mut victim = Http::new("");
    let r = victim.get(&answer).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("started in another browser"), "{}", r.body);
    assert!(victim.cookie("berth_session").is_none());
    // and the record is gone: the starter cannot use it either
    let r = starter.get(&answer).await;
    assert_eq!(r.status, 400, "{}", r.body);

    // an error the provider sends back is shown, not followed
    let (_, start) = follow(
        &mut Http::new(""),
        format!("{}/auth/oidc/start", server.url),
    )
    .await;
    assert!(start.contains("/accounts/login/"));
    let r = Http::new("")
        .get(&format!(
            "{}/auth/oidc/callback?error=access_denied&error_description=no%20thanks&state=x",
            server.url
        ))
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(r.body.contains("access_denied: no thanks"), "{}", r.body);
    assert!(refusals(&app).await >= 4);
    server.stop().await;
}

#[tokio::test]
async fn a_local_account_with_the_same_name_is_not_taken_over() {
    let (app, server, idp) = setup(&[Person {
        username: "h10eve",
        password: PW,
        groups: &["berth-admins"],
    }])
    .await;
    let local_pw = "local password of eve";
    app.post(
        "/settings/users",
        &[
            ("username", "h10eve"),
            ("password", local_pw),
            ("password_confirm", local_pw),
            ("role", "viewer"),
            ("current_password", crate::harness::app::PASSWORD),
        ],
    )
    .await
    .expect(303);
    configure(&app, &idp, "berth-admins = admin", "", "refuse").await;
    let mut browser = Http::new("");
    let (page, _) = idp.sign_in(&mut browser, &server.url, "h10eve", PW).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("is not taken over"), "{}", page.body);
    assert!(browser.cookie("berth_session").is_none());
    // the local account is as it was: a viewer, no provider identity, its password works
    assert_eq!(account(&app, "h10eve").await, Some((Role::Viewer, vec![])));
    let oidc: Option<String> =
        sqlx::query_scalar("SELECT oidc_subject FROM users WHERE username = 'h10eve'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(oidc, None);
    app.client(70).login("h10eve", local_pw).await.expect(303);
    server.stop().await;
}

/// `url` with query parameter `name` set to `value`.
fn replace_param(url: &str, name: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap();
    let q: Vec<String> = query
        .split('&')
        .map(|kv| match kv.split_once('=') {
            Some((k, _)) if k == name => format!("{k}={value}"),
            _ => kv.to_string(),
        })
        .collect();
    format!("{base}?{}", q.join("&"))
}
