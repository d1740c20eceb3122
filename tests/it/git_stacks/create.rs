//! Creating a git-backed stack, and a commit whose file is broken.

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn creating_a_git_backed_stack_deploys_it_and_its_page_shows_repo_commit_and_sync() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let name = unique("git");
    let (repo, sha) = repo_with_stack(&server, &name);

    // the form is a section of /stacks/new
    app.get("/stacks/new")
        .await
        .expect(200)
        .contains("data-testid=\"git-form\"")
        .contains("action=\"/stacks/new/git\"");
    // wrong fields come back on the form, nothing kept
    let page = app
        .post(
            "/stacks/new/git",
            &[
                ("name", &name),
                ("url", "ssh://git@example.com/x.git"),
                ("ref_kind", "branch"),
                ("ref", "a..b"),
                ("compose_paths", "../stack.yml"),
                ("interval", "1s"),
            ],
        )
        .await
        .expect(422);
    page.contains("data-testid=\"git-url-error\"")
        .contains("data-testid=\"git-ref-error\"")
        .contains("data-testid=\"git-interval-error\"");
    // a file that is not in the repository: refused with the reason, nothing kept
    let page = app
        .post(
            "/stacks/new/git",
            &[
                ("name", &name),
                ("url", &repo.url),
                ("ref", "main"),
                ("compose_paths", "missing.yml"),
            ],
        )
        .await
        .expect(422);
    page.contains("missing.yml: not in commit");
    assert_eq!(versions(&app, &name).await, 0);

    let token = "tok-very-secret-4711";
    create(
        &app,
        &name,
        &repo,
        &[("token", token), ("env", "MODE=from-berth\n")],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));

    // in the swarm: the service, with berth's value overriding the repository's env file
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;
    let env = service_json(lab, &service)["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"].clone();
    assert_eq!(env, serde_json::json!(["APP_MODE=from-berth"]));

    // the stack page: repository, ref, last commit, last sync and its result; never the token
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-url"), repo.url);
    assert_eq!(testid(&page.body, "git-ref"), "main");
    assert_eq!(testid(&page.body, "git-commit"), &sha[..12]);
    assert_eq!(testid(&page.body, "git-commit-subject"), "first commit");
    assert_eq!(testid(&page.body, "git-sync-result"), "deployed");
    assert_eq!(
        testid(&page.body, "version-commit"),
        format!("{} first commit", &sha[..12])
    );
    page.lacks(token);
    // the token is sealed at rest
    let stored: String = sqlx::query_scalar("SELECT token FROM git_sources WHERE stack = ?")
        .bind(&name)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(stored.starts_with("v1:") && !stored.contains(token));
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("stack.git.create".into(), name.clone(), "ok".into())));
    assert!(!format!("{audit:?}").contains(token));
    // a second stack of the same name is refused
    create(&app, &name, &repo, &[])
        .await
        .expect(422)
        .contains("data-testid=\"git-name-error\"");
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}

#[tokio::test]
async fn a_commit_with_a_broken_file_leaves_the_swarm_untouched_and_the_page_says_where() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let name = unique("gbr");
    let (repo, _) = repo_with_stack(&server, &name);
    create(&app, &name, &repo, &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;
    let before = service_json(lab, &service)["Version"]["Index"].clone();

    let sha = repo.commit(&[("deploy/stack.yml", &compose("two"))], "break replicas");
    app.post(&format!("/stacks/{name}/git/sync"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}"));
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-sync-result"), "invalid");
    let message = testid(&page.body, "git-sync-message");
    assert!(
        message.contains(&sha[..12]) && message.contains("deploy/stack.yml line 9"),
        "{message}"
    );
    assert!(message.contains("replicas"), "{message}");
    assert_eq!(testid(&page.body, "git-commit-subject"), "break replicas");
    // nothing stored, nothing changed in the swarm
    assert_eq!(versions(&app, &name).await, 1);
    assert_eq!(service_json(lab, &service)["Version"]["Index"], before);
    assert_eq!(replicas(lab, &service), 1);
    // the next sync of the same commit does nothing; a fixed commit deploys
    repo.commit(&[("deploy/stack.yml", &compose("2"))], "fix replicas");
    app.post(&format!("/stacks/{name}/git/sync"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/2"));
    converged(lab, &service, 2).await;
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}
