//! Interval syncs act for the account that made the git stack, as the push webhook does: once
//! that account may no longer deploy the stack (here: a deployer who left the team that owns
//! it), a due sync deploys nothing, says why on the stack page and is audited; back in the
//! team, the next sync deploys again.

use berth::auth::roles::Role;
use berth::db;

use super::*;
use crate::harness::unique;
use crate::policy::account;

async fn last_result(app: &TestApp, stack: &str) -> Option<String> {
    sqlx::query_scalar("SELECT last_result FROM git_sources WHERE stack = ?")
        .bind(stack)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_interval_sync_is_refused_once_the_git_stacks_maker_left_its_team() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let gina = account(&app, 61, "h11gina", Role::Deployer, &["h11git"]).await;
    let name = unique("h11gm");
    let (repo, _) = repo_with_stack(&server, &name);
    create(&gina, &name, &repo, &[("interval", "5s")])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    assert_eq!(
        db::teams::owner_of(&app.state.db, &name)
            .await
            .unwrap()
            .as_deref(),
        Some("h11git")
    );
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;

    // gina leaves the team; a new commit and a due interval sync
    let team = db::teams::by_name(&app.state.db, "h11git")
        .await
        .unwrap()
        .unwrap();
    let gina_id = db::users::by_name(&app.state.db, "h11gina")
        .await
        .unwrap()
        .unwrap()
        .id;
    db::teams::remove_member(&app.state.db, team, gina_id)
        .await
        .unwrap();
    repo.commit(&[("deploy/stack.yml", &compose("2"))], "two replicas");
    let later = berth::db::now() + 86_400;
    assert!(app.state.git.poll(later).await.contains(&name));
    eventually(60, "the interval sync is refused", || async {
        (last_result(&app, &name).await.as_deref() == Some("refused")).then_some(())
    })
    .await;
    assert_eq!(versions(&app, &name).await, 1);
    assert_eq!(replicas(lab, &service), 1);
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-sync-result"), "refused");
    assert!(
        testid(&page.body, "git-sync-message")
            .contains("h11gina, who made this git stack, may no longer deploy it"),
        "{}",
        page.body
    );
    assert!(app.audit_actions().await.contains(&(
        "stack.git.sync".into(),
        name.clone(),
        "denied".into()
    )));

    // back in the team: the next sync deploys the commit
    db::teams::add_member(&app.state.db, team, gina_id)
        .await
        .unwrap();
    assert!(app.state.git.poll(later + 86_400).await.contains(&name));
    eventually(60, "the next interval sync deploys the commit", || async {
        (replicas(lab, &service) == 2).then_some(())
    })
    .await;
    assert_eq!(versions(&app, &name).await, 2);
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}
