//! Git-backed stacks against a real git server (git http-backend on this machine) and a real
//! swarm: creating one deploys the repository's compose file; a pushed commit is applied by
//! the poller and by the push webhook (signed; a wrong signature is refused); a commit with a
//! broken file leaves the swarm untouched and says why; pause stops the poller; a repository
//! over https is trusted with its own CA only (and its source edited); several compose files
//! merge like `docker stack deploy -c a -c b`.

mod create;
mod https;
mod maker;
mod merge;
mod sync;

use crate::harness::app::{Client, Resp};
use crate::harness::git::{GitRepo, GitServer};
use crate::harness::lab::Lab;
use crate::harness::{TestApp, eventually, lab};
pub use crate::stacks::{service_json, testid};

/// A compose file with one service `web` (busybox) whose env names the mode from `${MODE}`.
pub fn compose(replicas: &str) -> String {
    format!(
        "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    environment:\n      APP_MODE: ${{MODE}}\n    deploy:\n      replicas: {replicas}\n"
    )
}

pub async fn app() -> (&'static Lab, TestApp) {
    let one = lab("one");
    (one, TestApp::signed_in(&one.manager_host()).await)
}

/// A served repository whose first commit holds the compose file (1 replica) and a `.env`.
pub fn repo_with_stack(server: &GitServer, name: &str) -> (GitRepo, String) {
    let repo = server.repo(name);
    let sha = repo.commit(
        &[
            ("deploy/stack.yml", &compose("1")),
            (".env", "MODE=from-repo\nOTHER=1\n"),
        ],
        "first commit",
    );
    (repo, sha)
}

/// Creates the git-backed stack `name` following `repo`'s main branch; the answer.
pub async fn create(app: &Client, name: &str, repo: &GitRepo, extra: &[(&str, &str)]) -> Resp {
    let mut fields = vec![
        ("name", name),
        ("url", repo.url.as_str()),
        ("ref_kind", "branch"),
        ("ref", "main"),
        ("compose_paths", "deploy/stack.yml"),
        ("env_path", ".env"),
        ("prune", "yes"),
    ];
    fields.extend_from_slice(extra);
    app.post("/stacks/new/git", &fields).await
}

pub fn replicas(lab: &Lab, service: &str) -> u64 {
    service_json(lab, service)["Spec"]["Mode"]["Replicated"]["Replicas"]
        .as_u64()
        .unwrap_or_default()
}

/// Waits until `service` runs `n` tasks of `n` wanted.
pub async fn converged(lab: &Lab, service: &str, n: u64) {
    let want = format!("{n}/{n}");
    eventually(120, &format!("{service} runs {want}"), || async {
        let out = lab
            .docker_cli(
                1,
                &[
                    "service",
                    "ls",
                    "--filter",
                    &format!("name={service}"),
                    "--format",
                    "{{.Replicas}}",
                ],
            )
            .unwrap_or_default();
        (out.trim() == want).then_some(())
    })
    .await
}

/// The number of versions berth holds of `stack`.
pub async fn versions(app: &TestApp, stack: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM stack_versions WHERE stack = ?")
        .bind(stack)
        .fetch_one(&app.state.db)
        .await
        .unwrap()
}
