//! A git source of several compose files: merged in order exactly as `docker stack deploy
//! -c a -c b` merges them (compared on what Docker holds for both), each file kept in the
//! version (its page, the diff, a redeploy of an old version), and a commit changing only the
//! override file applied by a sync.

use super::*;
use crate::harness::unique;
use crate::stacks::cleanup;

const BASE: &str = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    environment:\n      LEVEL: base\n      KEEP: \"yes\"\n    deploy:\n      replicas: 1\n";

fn prod(replicas: u32, level: &str) -> String {
    format!(
        "services:\n  web:\n    environment:\n      LEVEL: {level}\n    deploy:\n      replicas: {replicas}\n"
    )
}

/// What a deploy decided about a service, comparable across two stacks: mode, image (without
/// a digest pinned), command, init and the environment, sorted.
fn decided(lab: &Lab, service: &str) -> serde_json::Value {
    let spec = service_json(lab, service)["Spec"].clone();
    let c = &spec["TaskTemplate"]["ContainerSpec"];
    let image = c["Image"].as_str().unwrap_or_default();
    let mut env: Vec<String> = c["Env"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    env.sort();
    serde_json::json!({
        "mode": spec["Mode"],
        "image": image.split('@').next(),
        "args": c["Args"],
        "command": c["Command"],
        "init": c["Init"],
        "env": env,
    })
}

fn cli_deploy(lab: &Lab, name: &str, files: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec![
        "stack".to_string(),
        "deploy".into(),
        "--resolve-image".into(),
        "never".into(),
    ];
    for (file, text) in files {
        let p = dir.path().join(file);
        std::fs::write(&p, text).unwrap();
        args.extend(["-c".to_string(), p.to_string_lossy().into_owned()]);
    }
    args.push(name.to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    lab.docker_cli(1, &args).unwrap();
}

#[tokio::test]
async fn several_compose_files_merge_like_the_cli_and_an_override_commit_is_synced() {
    let (lab, app) = app().await;
    let server = GitServer::start();
    let name = unique("gmf");
    let repo = server.repo(&name);
    let prod1 = prod(2, "prod");
    let first = repo.commit(
        &[
            ("deploy/compose.yaml", BASE),
            ("deploy/compose.prod.yaml", &prod1),
        ],
        "base and prod",
    );
    let paths = "deploy/compose.yaml, deploy/compose.prod.yaml";
    app.post(
        "/stacks/new/git",
        &[
            ("name", name.as_str()),
            ("url", repo.url.as_str()),
            ("ref", "main"),
            ("compose_paths", paths),
            ("prune", "yes"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 2).await;

    // the same files deployed by the docker CLI: Docker holds the same decisions
    let cli = format!("{name}cli");
    cli_deploy(
        lab,
        &cli,
        &[("compose.yaml", BASE), ("compose.prod.yaml", &prod1)],
    );
    let ours = decided(lab, &service);
    assert_eq!(ours, decided(lab, &format!("{cli}_web")));
    assert_eq!(ours["mode"]["Replicated"]["Replicas"], 2);
    assert_eq!(ours["env"], serde_json::json!(["KEEP=yes", "LEVEL=prod"]));
    cleanup(lab, &cli).await;

    // the stack page names both files; the version keeps each
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    assert_eq!(testid(&page.body, "git-compose-paths"), paths);
    let v1 = app
        .get(&format!("/stacks/{name}/versions/1"))
        .await
        .expect(200);
    v1.contains("data-testid=\"compose-file-name\">deploy/compose.yaml<")
        .contains("data-testid=\"compose-file-name\">deploy/compose.prod.yaml<")
        .contains("LEVEL: prod");

    // a commit changing only the override: the sync applies it
    let second = repo.commit(
        &[("deploy/compose.prod.yaml", &prod(3, "prod2"))],
        "three in prod",
    );
    assert_ne!(first, second);
    app.post(&format!("/stacks/{name}/git/sync"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/2"));
    converged(lab, &service, 3).await;
    assert_eq!(
        decided(lab, &service)["env"],
        serde_json::json!(["KEEP=yes", "LEVEL=prod2"])
    );

    // the diff shows each file: the first unchanged, the override changed
    let diff = app
        .get(&format!("/stacks/{name}/diff?from=1&to=2"))
        .await
        .expect(200);
    diff.contains("data-testid=\"no-compose-change\"")
        .contains("data-testid=\"diff-file-name\">deploy/compose.prod.yaml<")
        .contains("data-testid=\"diff-file-change\">changed<")
        .contains("replicas: 3");

    // redeploying version 1 merges version 1's files again
    app.post(&format!("/stacks/{name}/versions/1/redeploy"), &[])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/3"));
    converged(lab, &service, 2).await;
    assert_eq!(
        decided(lab, &service)["env"],
        serde_json::json!(["KEEP=yes", "LEVEL=prod"])
    );
    let v3: String = sqlx::query_scalar(
        "SELECT compose_more FROM stack_versions WHERE stack = ? AND version = 3",
    )
    .bind(&name)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert!(v3.contains("deploy/compose.prod.yaml"), "{v3}");
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhooks_new_tag_reaches_a_service_whose_tag_an_override_file_sets() {
    let (lab, app) = app().await;
    lab.docker_cli(1, &["tag", "berth-test/busybox:1", "berth-test/busybox:2"])
        .expect("tag the test image");
    let server = GitServer::start();
    let name = unique("gmt");
    let repo = server.repo(&name);
    // the override pins the tag too: a new tag written in the first file alone would lose
    let over =
        "services:\n  web:\n    image: berth-test/busybox:1\n    deploy:\n      replicas: 1\n";
    repo.commit(
        &[("compose.yaml", BASE), ("compose.over.yaml", over)],
        "base and override",
    );
    app.post(
        "/stacks/new/git",
        &[
            ("name", name.as_str()),
            ("url", repo.url.as_str()),
            ("ref", "main"),
            ("compose_paths", "compose.yaml, compose.over.yaml"),
            ("prune", "yes"),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let service = format!("{name}_web");
    converged(lab, &service, 1).await;

    let (token, _) = crate::hooks::make_hook(&app, &name, "plain").await;
    let served = crate::harness::TestServer::start(app.state.clone()).await;
    let r = crate::hooks::call(
        &served.url,
        &format!("/hooks/{token}?wait=true"),
        "application/x-www-form-urlencoded",
        "image=berth-test/busybox:2",
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = crate::hooks::json(&r);
    assert_eq!(body["job"]["status"], "ok", "{body}");
    assert_eq!(
        decided(lab, &service)["image"],
        "berth-test/busybox:2",
        "the override's tag won over the webhook's"
    );
    let more: String = sqlx::query_scalar(
        "SELECT compose_more FROM stack_versions WHERE stack = ? AND version = 2",
    )
    .bind(&name)
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    assert!(more.contains("image: berth-test/busybox:2"), "{more}");
    app.post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
}
