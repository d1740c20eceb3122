//! New commits reach the swarm: by the poller (and not while paused), and by the push
//! webhook, which needs the right signature.

use std::time::Instant;

use axum::body::Body;
use axum::http::Request;

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn a_pushed_commit_is_applied_by_the_poller_and_pause_stops_it() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let name = unique("gpl");
    let (repo, _) = repo_with_stack(&server, &name);
    create(&app, &name, &repo, &[("interval", "5s")])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;

    // the poller berth runs when serving
    let poller = tokio::spawn(app.state.git.clone().run_poller(std::future::pending()));
    repo.commit(&[("deploy/stack.yml", &compose("2"))], "two replicas");
    eventually(60, "the poller deploys the new commit", || async {
        (replicas(lab, &service) == 2).then_some(())
    })
    .await;
    converged(lab, &service, 2).await;
    poller.abort();
    let _ = poller.await;
    assert_eq!(versions(&app, &name).await, 2);

    // paused: a due poll skips the stack
    app.post(&format!("/stacks/{name}/git/pause"), &[("paused", "yes")])
        .await
        .expect_redirect(&format!("/stacks/{name}"));
    let page = app.get(&format!("/stacks/{name}")).await;
    assert!(testid(&page.body, "git-sync-state").contains("paused"));
    repo.commit(&[("deploy/stack.yml", &compose("3"))], "three replicas");
    let later = berth::db::now() + 86_400;
    assert!(!app.state.git.poll(later).await.contains(&name));
    assert_eq!(replicas(lab, &service), 2);
    assert_eq!(versions(&app, &name).await, 2);

    // resumed: the next poll deploys it
    app.post(&format!("/stacks/{name}/git/pause"), &[("paused", "no")])
        .await
        .expect_redirect(&format!("/stacks/{name}"));
    assert!(app.state.git.poll(later).await.contains(&name));
    eventually(60, "the resumed poll deploys the commit", || async {
        (replicas(lab, &service) == 3).then_some(())
    })
    .await;
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("stack.git.pause".into(), name.clone(), "ok".into())));
    assert!(audit.contains(&("stack.git.sync".into(), name.clone(), "ok".into())));
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}

/// A push event as the host sends it, with `headers`.
async fn push(app: &TestApp, hook: &str, body: &str, headers: &[(&str, &str)]) -> Resp {
    let mut req = Request::post(hook).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    // no session: the host is not signed in
    app.client(7)
        .request(req.body(Body::from(body.to_string())).unwrap())
        .await
}

#[tokio::test]
async fn a_signed_push_webhook_applies_a_commit_and_a_wrong_signature_is_refused() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let name = unique("ghk");
    let (repo, _) = repo_with_stack(&server, &name);
    create(&app, &name, &repo, &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;
    let page = app.get(&format!("/stacks/{name}")).await;
    let hook = testid(&page.body, "git-hook-url");
    let secret = testid(&page.body, "git-hook-secret");
    assert!(
        hook.starts_with("/hooks/git/") && secret.len() >= 24,
        "{hook}"
    );

    let sha = repo.commit(&[("deploy/stack.yml", &compose("2"))], "two replicas");
    let body = r#"{"ref":"refs/heads/main","after":"x"}"#;
    let good = format!(
        "sha256={}",
        berth::stack::git::hook::sign(&secret, body.as_bytes())
    );
    let wrong = format!(
        "sha256={}",
        berth::stack::git::hook::sign("guess", body.as_bytes())
    );
    // refused: a wrong signature, no signature, an unknown secret; nothing deployed
    push(&app, &hook, body, &[("x-hub-signature-256", &wrong)])
        .await
        .expect(403);
    push(&app, &hook, body, &[("x-gitlab-token", "guess")])
        .await
        .expect(403);
    push(&app, &hook, body, &[]).await.expect(401);
    push(
        &app,
        "/hooks/git/not-a-secret",
        body,
        &[("x-hub-signature-256", &good)],
    )
    .await
    .expect(404);
    assert_eq!(versions(&app, &name).await, 1);
    assert_eq!(replicas(lab, &service), 1);
    // a push to another branch is ignored
    let other = r#"{"ref":"refs/heads/feature"}"#;
    let r = push(&app, &hook, other, &[("x-gitlab-token", &secret)])
        .await
        .expect(202);
    r.contains("another ref");

    // signed as GitHub does: deployed at once (measured: webhook to converged tasks)
    let started = Instant::now();
    let r = push(&app, &hook, body, &[("x-hub-signature-256", &good)])
        .await
        .expect(202);
    let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(v["status"], "deployed", "{v}");
    assert_eq!(v["commit"], sha);
    converged(lab, &service, 2).await;
    eprintln!(
        "MEASURE git push webhook → 2/2 tasks converged: {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(replicas(lab, &service), 2);

    // signed as Gitea does
    repo.commit(&[("deploy/stack.yml", &compose("3"))], "three replicas");
    let sig = berth::stack::git::hook::sign(&secret, body.as_bytes());
    let r = push(&app, &hook, body, &[("x-gitea-signature", &sig)])
        .await
        .expect(202);
    r.contains("deployed");
    converged(lab, &service, 3).await;
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}
