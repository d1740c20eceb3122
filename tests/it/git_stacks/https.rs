//! A repository served over https (git http-backend behind TLS with a certificate from a CA
//! made for the test): berth trusts it only with that CA given on the form, since berth's
//! TLS trusts Mozilla's roots and the source's own CA, never the system store (berth's image
//! has none). Without the CA the stack is refused with the certificate's problem in words and
//! nothing reaches the swarm.

use super::*;
use crate::harness::unique;
use crate::stacks::swarm_objects;

#[tokio::test]
async fn an_https_repository_deploys_with_its_ca_and_is_refused_with_a_certificate_error_without_it()
 {
    let (lab, app) = app().await;
    let server = GitServer::start_https();
    let ca = server.ca_pem.clone().expect("the test CA");
    let name = unique("ghs");
    let (repo, sha) = repo_with_stack(&server, &name);
    assert!(repo.url.starts_with("https://127.0.0.1:"), "{}", repo.url);
    let token = "tok-https-secret-4711";

    // without the CA: the server's certificate is not trusted; nothing kept, nothing deployed
    let page = create(&app, &name, &repo, &[("token", token)])
        .await
        .expect(422);
    let error = testid(&page.body, "git-error");
    assert!(
        error.contains("certificate is not trusted") && error.contains("CA berth does not trust"),
        "{error}"
    );
    page.lacks(token);
    assert_eq!(versions(&app, &name).await, 0);
    assert!(
        berth::db::git::get(&app.state.db, &name)
            .await
            .unwrap()
            .is_none()
    );
    assert!(swarm_objects(lab, &name).is_empty());

    // a CA that is not a certificate, or one for a plain http URL: refused on the form
    create(&app, &name, &repo, &[("ca_pem", "not a certificate")])
        .await
        .expect(422)
        .contains("data-testid=\"git-ca-error\"");
    // a token for plain http across the network: refused before any request
    app.post(
        "/stacks/new/git",
        &[
            ("name", name.as_str()),
            ("url", "http://git.example.com/team/shop.git"),
            ("ref", "main"),
            ("compose_paths", "deploy/stack.yml"),
            ("token", token),
        ],
    )
    .await
    .expect(422)
    .contains("data-testid=\"git-token-error\"");
    assert_eq!(versions(&app, &name).await, 0);

    // with the test CA: fetched over https and deployed
    create(&app, &name, &repo, &[("ca_pem", &ca), ("token", token)])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-commit"), &sha[..12]);
    assert_eq!(testid(&page.body, "git-has-ca"), "own CA");
    let stored: Option<String> =
        sqlx::query_scalar("SELECT ca_pem FROM git_sources WHERE stack = ?")
            .bind(&name)
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert_eq!(stored.as_deref().map(str::trim), Some(ca.trim()));

    // the source's form, filled in: the CA shown, the token never
    let form = app
        .get(&format!("/stacks/{name}/git/edit"))
        .await
        .expect(200);
    form.contains("BEGIN CERTIFICATE")
        .contains("berth holds one")
        .lacks(token);
    let fields = |ca: &str| {
        vec![
            ("url", repo.url.clone()),
            ("ref", "main".to_string()),
            ("compose_paths", "deploy/stack.yml".to_string()),
            ("env_path", ".env".to_string()),
            ("prune", "yes".to_string()),
            ("ca_pem", ca.to_string()),
        ]
    };
    let edit = format!("/stacks/{name}/git/edit");
    // changed to trust no CA of its own: saved, but the sync is refused; the swarm keeps v1
    let no_ca = fields("");
    let no_ca: Vec<(&str, &str)> = no_ca.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post(&edit, &no_ca)
        .await
        .expect_redirect(&format!("/stacks/{name}"));
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-sync-result"), "failed");
    assert!(
        testid(&page.body, "git-sync-message").contains("certificate is not trusted"),
        "{}",
        testid(&page.body, "git-sync-message")
    );
    page.lacks("data-testid=\"git-has-ca\"").contains(">token<");
    assert_eq!(versions(&app, &name).await, 1);
    assert_eq!(replicas(lab, &service), 1);

    // the CA again, and a new commit: fetched over https and deployed
    repo.commit(&[("deploy/stack.yml", &compose("2"))], "two replicas");
    let with_ca = fields(&ca);
    let with_ca: Vec<(&str, &str)> = with_ca.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post(&edit, &with_ca)
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/2"));
    converged(lab, &service, 2).await;
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("stack.git.edit".into(), name.clone(), "ok".into())));
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}
