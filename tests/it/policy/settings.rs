//! Roles and teams managed on /settings by admins, with plain form POSTs.

use berth::auth::roles::Role;
use berth::db;

use super::account;
use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::{TestApp, lab};

async fn role_of(app: &TestApp, name: &str) -> String {
    sqlx::query_scalar("SELECT role FROM users WHERE username = ?")
        .bind(name)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

async fn team_id(app: &TestApp, name: &str) -> Option<i64> {
    db::teams::by_name(&app.state.db, name).await.unwrap()
}

async fn owner(app: &TestApp, stack: &str) -> Option<String> {
    db::teams::owner_of(&app.state.db, stack).await.unwrap()
}

#[tokio::test]
async fn an_admin_sets_roles_teams_their_members_and_a_stacks_owner_with_plain_forms() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    let page = app.get("/settings").await.expect(200);
    page.contains("data-testid=\"teams\"")
        .contains("name=\"role\"");

    // a new account with a role
    app.post(
        "/settings/users",
        &[
            ("username", "h6dana"),
            ("password", "a long enough password"),
            ("password_confirm", "a long enough password"),
            ("role", "deployer"),
            ("current_password", PASSWORD),
        ],
    )
    .await
    .expect_redirect("/settings");
    assert_eq!(role_of(&app, "h6dana").await, "deployer");

    app.post("/settings/teams", &[("name", "alpha")])
        .await
        .expect_redirect("/settings");
    let alpha = team_id(&app, "alpha").await.expect("team alpha made");
    app.post(
        &format!("/settings/teams/{alpha}/members"),
        &[("username", "h6dana"), ("op", "add")],
    )
    .await
    .expect_redirect("/settings");
    app.post(
        "/settings/stack-owner",
        &[("stack", "h6shop"), ("team", "alpha")],
    )
    .await
    .expect_redirect("/settings");
    assert_eq!(owner(&app, "h6shop").await.as_deref(), Some("alpha"));

    let page = app.get("/settings").await.expect(200);
    page.contains("Stack h6shop belongs to alpha.")
        .contains("data-testid=\"team-row\"")
        .contains("h6dana")
        .contains("h6shop");
    let p = db::teams::principal(&app.state.db, user_id(&app, "h6dana").await)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.teams, ["alpha"]);
    assert_eq!(p.stacks, ["h6shop"]);

    // the role select
    let dana = user_id(&app, "h6dana").await;
    app.post(
        &format!("/settings/users/{dana}/role"),
        &[("role", "viewer")],
    )
    .await
    .expect_redirect("/settings");
    assert_eq!(role_of(&app, "h6dana").await, "viewer");
    app.get("/settings").await.contains("h6dana is now viewer.");

    // members leave, a stack goes back to admins, a removed team's stacks too
    app.post(
        &format!("/settings/teams/{alpha}/members"),
        &[("username", "h6dana"), ("op", "remove")],
    )
    .await
    .expect_redirect("/settings");
    let p = db::teams::principal(&app.state.db, dana)
        .await
        .unwrap()
        .unwrap();
    assert!(p.teams.is_empty());
    app.post(
        "/settings/stack-owner",
        &[("stack", "h6shop"), ("team", "")],
    )
    .await
    .expect_redirect("/settings");
    assert_eq!(owner(&app, "h6shop").await, None);
    app.post(
        "/settings/stack-owner",
        &[("stack", "h6shop"), ("team", "alpha")],
    )
    .await
    .expect_redirect("/settings");
    app.post(&format!("/settings/teams/{alpha}/delete"), &[])
        .await
        .expect_redirect("/settings");
    assert_eq!(team_id(&app, "alpha").await, None);
    assert_eq!(owner(&app, "h6shop").await, None);

    let audit = app.audit_actions().await;
    for (action, target) in [
        ("user.create", "h6dana"),
        ("team.create", "alpha"),
        ("team.members", "alpha"),
        ("team.stack", "h6shop"),
        ("user.role", "h6dana"),
        ("team.delete", "alpha"),
    ] {
        assert!(
            audit
                .iter()
                .any(|(a, t, o)| a == action && t == target && o == "ok"),
            "{action} {target} audited: {audit:?}"
        );
    }
}

async fn user_id(app: &TestApp, name: &str) -> i64 {
    db::users::by_name(&app.state.db, name)
        .await
        .unwrap()
        .unwrap()
        .id
}

#[tokio::test]
async fn bad_team_and_role_input_changes_nothing_and_the_last_admin_keeps_the_role() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    app.post("/settings/teams", &[("name", "<b>x</b>")])
        .await
        .expect_redirect("/settings");
    app.get("/settings")
        .await
        .contains("A team name may contain only letters, digits and . _ -")
        .lacks("<b>x</b>");
    let teams: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM teams")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(teams, 0);

    let me = user_id(&app, ADMIN).await;
    app.post(&format!("/settings/users/{me}/role"), &[("role", "root")])
        .await
        .expect(400);
    app.post(&format!("/settings/users/{me}/role"), &[("role", "viewer")])
        .await
        .expect_redirect("/settings");
    app.get("/settings")
        .await
        .contains("You cannot take your own admin role away.");
    assert_eq!(role_of(&app, ADMIN).await, "admin");
    // the database refuses to demote the last admin whoever asks
    assert!(
        !db::teams::set_role(&app.state.db, me, Role::Operator)
            .await
            .unwrap()
    );
    assert_eq!(role_of(&app, ADMIN).await, "admin");

    app.post(
        "/settings/stack-owner",
        &[("stack", "-bad name"), ("team", "")],
    )
    .await
    .expect_redirect("/settings");
    app.get("/settings").await.contains("invalid stack name");
    app.post(
        "/settings/stack-owner",
        &[("stack", "h6web"), ("team", "nosuch")],
    )
    .await
    .expect_redirect("/settings");
    app.get("/settings")
        .await
        .contains("There is no such team.");
    assert_eq!(owner(&app, "h6web").await, None);
}

#[tokio::test]
async fn only_admins_see_and_use_the_roles_and_teams_forms() {
    let app = TestApp::signed_in(&lab("one").manager_host()).await;
    let op = account(&app, 21, "h6oper", Role::Operator, &[]).await;
    let page = op.get("/settings").await.expect(200);
    page.lacks("data-testid=\"teams\"")
        .lacks("/settings/teams")
        .lacks("name=\"role\"");
    op.post("/settings/teams", &[("name", "sneaky")])
        .await
        .expect(403);
    let me = user_id(&app, ADMIN).await;
    op.post(&format!("/settings/users/{me}/role"), &[("role", "viewer")])
        .await
        .expect(403);
    op.post("/settings/stack-owner", &[("stack", "h6web"), ("team", "")])
        .await
        .expect(403);
    assert_eq!(team_id(&app, "sneaky").await, None);
    assert_eq!(role_of(&app, ADMIN).await, "admin");
}
