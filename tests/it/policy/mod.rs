//! Roles, teams and the route policy (issue 18): the role × route matrix built from the router,
//! a deployer kept to their team's stacks in pages, API and webhooks, viewers refused actions.

mod deployer;
mod matrix;
mod pages;
mod settings;

use berth::auth::roles::Role;
use berth::db;

use crate::harness::TestApp;
use crate::harness::app::Client;

/// A password every account made here has.
pub const PW: &str = "a long enough password";

/// An account with `role` in `teams` (made if missing), and a browser signed in as it.
pub async fn account(app: &TestApp, n: u8, name: &str, role: Role, teams: &[&str]) -> Client {
    let hash = berth::auth::password::hash(PW.to_string()).await.unwrap();
    let id = db::users::create(&app.state.db, name, &hash, false)
        .await
        .unwrap()
        .expect("a new account");
    db::teams::set_role(&app.state.db, id, role).await.unwrap();
    for team in teams {
        let team_id = match db::teams::by_name(&app.state.db, team).await.unwrap() {
            Some(t) => t,
            None => db::teams::create(&app.state.db, team)
                .await
                .unwrap()
                .unwrap(),
        };
        db::teams::add_member(&app.state.db, team_id, id)
            .await
            .unwrap();
    }
    let token = berth::web::session::start(&app.state, id, None, None)
        .await
        .unwrap();
    let client = app.client(n);
    client.set_cookie("berth_session", &token);
    client
}

/// Gives `stack` to `team` (made if missing).
pub async fn own(app: &TestApp, stack: &str, team: &str) {
    let team_id = match db::teams::by_name(&app.state.db, team).await.unwrap() {
        Some(t) => t,
        None => db::teams::create(&app.state.db, team)
            .await
            .unwrap()
            .unwrap(),
    };
    db::teams::assign_stack(&app.state.db, stack, Some(team_id))
        .await
        .unwrap();
}

/// An API token of `scope` for the account `name`.
pub async fn token(app: &TestApp, name: &str, scope: &str) -> String {
    let user = db::users::by_name(&app.state.db, name)
        .await
        .unwrap()
        .unwrap();
    let new = berth::auth::api_tokens::NewToken::parse(&format!("t-{name}"), scope, "", "")
        .expect("a valid token form");
    let token = berth::auth::api_tokens::generate();
    db::api_tokens::insert(
        &app.state.db,
        user.id,
        &berth::auth::tokens::hash_token(&token),
        &new,
    )
    .await
    .unwrap()
    .unwrap();
    token
}
