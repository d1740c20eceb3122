//! A deployer kept to their team's stacks (issue 18): a new stack becomes their team's, a name
//! taken by another team (or by no team) is refused, and a deployer of team A is refused on
//! team B's stack in pages, the API and webhooks, with nothing changed in SQLite or Docker.

use axum::body::Body;
use axum::http::Request;
use berth::auth::roles::Role;
use berth::db;

use super::{account, token};
use crate::harness::{TestApp, lab, unique};
use crate::stacks::{cleanup, finished};

const COMPOSE: &str = "services:\n  app:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n";

async fn owner(app: &TestApp, stack: &str) -> Option<String> {
    db::teams::owner_of(&app.state.db, stack).await.unwrap()
}

async fn versions(app: &TestApp, stack: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stack_versions WHERE stack = ?")
        .bind(stack)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

fn deploy_form(name: &str) -> Vec<(&str, &str)> {
    vec![("name", name), ("compose", COMPOSE), ("env", "")]
}

fn api_deploy(stack: &str, token: &str) -> Request<Body> {
    Request::post(format!("/api/v1/stacks/{stack}/deploy"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body(Body::from(
            serde_json::json!({ "compose": COMPOSE }).to_string(),
        ))
        .unwrap()
}

#[tokio::test]
async fn a_deployers_new_stack_becomes_their_teams_and_a_taken_name_is_refused() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let dana = account(&app, 31, "h6dana", Role::Deployer, &["alpha"]).await;
    let bob = account(&app, 32, "h6bob", Role::Deployer, &["beta"]).await;
    let lone = account(&app, 33, "h6lone", Role::Deployer, &[]).await;
    let mine = unique("h6mine");
    let by_api = unique("h6api");
    let admins = unique("h6adm");

    // a new name, from the editor's form: deployed and now team alpha's
    dana.post("/stacks", &deploy_form(&mine)).await.expect(303);
    assert_eq!(owner(&app, &mine).await.as_deref(), Some("alpha"));
    assert_eq!(versions(&app, &mine).await, 1);
    finished(&app, &mine, 1).await;

    // the same name by a deployer of another team: refused, nothing changed
    bob.post("/stacks", &deploy_form(&mine))
        .await
        .expect(403)
        .contains("is not your team");
    assert_eq!(owner(&app, &mine).await.as_deref(), Some("alpha"));
    assert_eq!(versions(&app, &mine).await, 1);

    // a deployer of no team makes nothing
    let nothing = unique("h6none");
    lone.post("/stacks", &deploy_form(&nothing))
        .await
        .expect(403)
        .contains("belong to no team");
    assert_eq!(owner(&app, &nothing).await, None);
    assert_eq!(versions(&app, &nothing).await, 0);

    // a stack the admin made belongs to no team: a deployer cannot take it over
    app.post("/stacks", &deploy_form(&admins)).await.expect(303);
    assert_eq!(owner(&app, &admins).await, None);
    dana.post("/stacks", &deploy_form(&admins))
        .await
        .expect(403);
    assert_eq!(owner(&app, &admins).await, None);
    assert_eq!(versions(&app, &admins).await, 1);

    // through the API: a new name is claimed the same way, a taken one refused
    let dana_token = token(&app, "h6dana", "operate").await;
    let r = app
        .client(40)
        .request(api_deploy(&by_api, &dana_token))
        .await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    assert_eq!(owner(&app, &by_api).await.as_deref(), Some("alpha"));
    let bob_token = token(&app, "h6bob", "operate").await;
    let r = app
        .client(40)
        .request(api_deploy(&by_api, &bob_token))
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    r.contains("forbidden");
    assert_eq!(owner(&app, &by_api).await.as_deref(), Some("alpha"));
    assert_eq!(versions(&app, &by_api).await, 1);

    let claims: Vec<_> = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "team.stack.claim")
        .map(|(_, t, _)| t)
        .collect();
    assert_eq!(claims, [mine.clone(), by_api.clone()]);

    finished(&app, &by_api, 1).await;
    finished(&app, &admins, 1).await;
    for s in [&mine, &by_api, &admins] {
        cleanup(one, s).await;
    }
}

#[tokio::test]
async fn a_deployer_of_team_a_is_refused_on_team_bs_stack_in_pages_api_and_webhooks() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let ann = account(&app, 34, "h6ann", Role::Deployer, &["teama"]).await;
    let ben = account(&app, 35, "h6ben", Role::Deployer, &["teamb"]).await;
    let b_stack = unique("h6b");
    ben.post("/stacks", &deploy_form(&b_stack))
        .await
        .expect(303);
    assert_eq!(owner(&app, &b_stack).await.as_deref(), Some("teamb"));
    finished(&app, &b_stack, 1).await;
    let service = format!("{b_stack}_app");

    // pages: deploy, edit, preview, pull, remove, webhooks, the service's scale
    for (path, fields) in [
        (format!("/stacks/{b_stack}"), deploy_form(&b_stack)),
        (format!("/stacks/{b_stack}/preview"), deploy_form(&b_stack)),
        (format!("/stacks/{b_stack}/pull"), vec![]),
        (format!("/stacks/{b_stack}/delete"), vec![]),
        (
            format!("/stacks/{b_stack}/webhooks"),
            vec![("kind", "plain")],
        ),
        (
            format!("/services/{service}/scale"),
            vec![("replicas", "3")],
        ),
    ] {
        ann.post(&path, &fields)
            .await
            .expect(403)
            .contains("does not allow");
    }
    ann.get(&format!("/stacks/{b_stack}/edit"))
        .await
        .expect(403);
    // reading is allowed
    ann.get(&format!("/stacks/{b_stack}")).await.expect(200);

    // the API with ann's token
    let t = token(&app, "h6ann", "operate").await;
    let r = app.client(41).request(api_deploy(&b_stack, &t)).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    let r = app
        .client(41)
        .request(
            Request::delete(format!("/api/v1/stacks/{b_stack}"))
                .header("authorization", format!("Bearer {t}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    let r = app
        .client(41)
        .request(
            Request::post(format!("/api/v1/services/{service}/scale"))
                .header("authorization", format!("Bearer {t}"))
                .header("content-type", "application/json")
                .body(Body::from(r#"{"replicas":3}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);

    // environment values: not for a deployer of another team, nor for a viewer of the team
    let vic = account(&app, 36, "h6vic", Role::Viewer, &["teamb"]).await;
    for who in [&ann, &vic] {
        who.get(&format!("/services/{service}?reveal=env"))
            .await
            .expect(403)
            .contains("environment values");
        who.get(&format!("/stacks/{b_stack}/versions/1?reveal=env"))
            .await
            .expect(403);
        who.get(&format!("/services/{service}")).await.expect(200);
    }
    ben.get(&format!("/services/{service}?reveal=env"))
        .await
        .expect(200);
    ben.get(&format!("/stacks/{b_stack}/versions/1?reveal=env"))
        .await
        .expect(200);

    // pages hide deploy, scale and remove from those who cannot use them
    for who in [&ann, &vic] {
        who.get(&format!("/stacks/{b_stack}"))
            .await
            .expect(200)
            .lacks("Remove stack")
            .lacks("Edit and redeploy")
            .lacks("data-testid=\"stack-pull-redeploy\"");
        who.get(&format!("/services/{service}"))
            .await
            .expect(200)
            .lacks("name=\"replicas\"")
            .lacks("Remove service");
    }
    vic.get("/stacks").await.expect(200).lacks("New stack");
    ann.get("/stacks").await.expect(200).contains("New stack");
    ben.get(&format!("/stacks/{b_stack}"))
        .await
        .expect(200)
        .contains("Remove stack")
        .contains("Edit and redeploy");
    ben.get(&format!("/services/{service}"))
        .await
        .expect(200)
        .contains("name=\"replicas\"")
        .contains("Remove service");

    // webhooks: ben's hook works while ben may deploy the stack, and stops when he may not
    let page = ben
        .post(&format!("/stacks/{b_stack}/webhooks"), &[("kind", "plain")])
        .await
        .expect(200);
    let hook = crate::hooks::token_on(&page);
    let call = || async {
        app.client(42)
            .request(
                Request::post(format!("/hooks/{hook}"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
    };
    let r = call().await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    finished(&app, &b_stack, 2).await;
    let ben_id = db::users::by_name(&app.state.db, "h6ben")
        .await
        .unwrap()
        .unwrap()
        .id;
    let team_b = db::teams::by_name(&app.state.db, "teamb")
        .await
        .unwrap()
        .unwrap();
    db::teams::remove_member(&app.state.db, team_b, ben_id)
        .await
        .unwrap();
    let r = call().await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    r.contains("forbidden");
    assert_eq!(versions(&app, &b_stack).await, 2);
    assert!(
        app.audit_actions()
            .await
            .iter()
            .any(|(a, t, o)| a == "stack.webhook.refused" && *t == b_stack && o == "denied")
    );

    // Docker still runs one replica of version 2, and the stack is team B's
    let replicas = one
        .docker_cli(
            1,
            &[
                "service",
                "inspect",
                &service,
                "--format",
                "{{.Spec.Mode.Replicated.Replicas}}",
            ],
        )
        .unwrap();
    assert_eq!(replicas.trim(), "1");
    assert_eq!(owner(&app, &b_stack).await.as_deref(), Some("teamb"));
    cleanup(one, &b_stack).await;
}

#[tokio::test]
async fn a_deployer_in_several_teams_picks_the_team_of_a_new_stack() {
    let one = lab("one");
    let app = TestApp::signed_in(&one.manager_host()).await;
    let dana = account(&app, 37, "h11dana", Role::Deployer, &["h11a", "h11b"]).await;
    let solo = account(&app, 38, "h11solo", Role::Deployer, &["h11a"]).await;
    let picked = unique("h11pick");
    let refused = unique("h11nope");
    let by_api = unique("h11api");
    let by_default = unique("h11dflt");

    // the new-stack forms offer her teams; one team is no choice
    let page = dana.get("/stacks/new").await.expect(200);
    page.contains("data-testid=\"stack-team\"")
        .contains("<option value=\"h11a\">")
        .contains("<option value=\"h11b\">");
    assert_eq!(
        page.body.matches("name=\"team\"").count(),
        3,
        "editor, upload, git"
    );
    solo.get("/stacks/new")
        .await
        .expect(200)
        .lacks("name=\"team\"");

    // the team she picks owns the new stack
    let mut form = deploy_form(&picked);
    form.push(("team", "h11b"));
    dana.post("/stacks", &form).await.expect(303);
    assert_eq!(owner(&app, &picked).await.as_deref(), Some("h11b"));
    finished(&app, &picked, 1).await;

    // a team that is not hers: refused, nothing claimed or stored
    let mut form = deploy_form(&refused);
    form.push(("team", "teamb"));
    dana.post("/stacks", &form)
        .await
        .expect(403)
        .contains("not a member of team teamb");
    assert_eq!(owner(&app, &refused).await, None);
    assert_eq!(versions(&app, &refused).await, 0);

    // the API: an optional `team`; without it, her first team
    let t = token(&app, "h11dana", "operate").await;
    let api = |stack: &str, team: Option<&str>| {
        let mut body = serde_json::json!({ "compose": COMPOSE });
        if let Some(team) = team {
            body["team"] = team.into();
        }
        Request::post(format!("/api/v1/stacks/{stack}/deploy"))
            .header("authorization", format!("Bearer {t}"))
            .header("content-type", "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let r = app.client(43).request(api(&by_api, Some("h11b"))).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    assert_eq!(owner(&app, &by_api).await.as_deref(), Some("h11b"));
    let r = app.client(43).request(api(&refused, Some("h11zz"))).await;
    assert_eq!(r.status.as_u16(), 403, "{}", r.body);
    assert_eq!(owner(&app, &refused).await, None);
    let r = app.client(43).request(api(&by_default, None)).await;
    assert_eq!(r.status.as_u16(), 202, "{}", r.body);
    assert_eq!(owner(&app, &by_default).await.as_deref(), Some("h11a"));

    for s in [&picked, &by_api, &by_default] {
        finished(&app, s, 1).await;
        cleanup(one, s).await;
    }
}
