//! `berth --url URL --token TOKEN stack …` against a running berth (served on a real port,
//! talking to the lab swarm) as a CI job runs it: the outputs and exit codes of the local
//! `berth stack` commands, with a deploy token made on the settings page.

use std::path::Path;
use std::process::Command;

use crate::harness::{TestServer, eventually, unique};
use crate::stacks::{app, cleanup, testid};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn berth(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let binary = std::env::var("BERTH_TEST_BINARY")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_berth").to_string());
    let out = Command::new(binary)
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .expect("run berth");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).to_string(),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

impl Run {
    #[track_caller]
    fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "exit code; stdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }
}

const FILE: &str = "\
services:
  web:
    image: berth-test/busybox:${TAG}
    command: [sleep, '100000']
    init: true
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ci_client_deploys_lists_and_removes_a_stack_on_a_remote_berth_like_the_local_cli() {
    let (lab, app) = app().await;
    let name = unique("ci");
    let page = app
        .post(
            "/settings/tokens",
            &[
                ("name", "ci"),
                ("scope", "deploy"),
                ("stacks", &name),
                ("expires_days", "1"),
            ],
        )
        .await
        .expect(200);
    let token = testid(&page.body, "new-token");
    assert!(!token.is_empty(), "{}", page.body);
    let server = TestServer::start(app.state.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("stack.yml"), FILE).unwrap();
    std::fs::write(d.join("vars.env"), "TAG=1\n").unwrap();
    std::fs::write(d.join("broken.yml"), "services:\n  web:\n    image: [x\n").unwrap();
    let url = server.url.as_str();
    let flags = ["--url", url, "--token", &token];
    let remote = |args: &[&str]| {
        let all: Vec<&str> = flags
            .iter()
            .copied()
            .chain(["stack"])
            .chain(args.iter().copied())
            .collect();
        berth(d, &[], &all)
    };
    let host = lab.manager_host();
    let local = |args: &[&str]| {
        let all: Vec<&str> = ["stack"].into_iter().chain(args.iter().copied()).collect();
        berth(d, &[("DOCKER_HOST", &host)], &all)
    };

    // a broken file: the local command's message and exit code, and nothing reaches berth
    let r = remote(&["deploy", "-c", "broken.yml", &name]).expect(1);
    let l = local(&["deploy", "-c", "broken.yml", &name]).expect(1);
    assert_eq!(r.stderr, l.stderr);
    assert!(r.stderr.contains("broken.yml"), "{}", r.stderr);

    // deploy, following the job to the converged stack
    let r = remote(&[
        "deploy",
        "-c",
        "stack.yml",
        "--env-file",
        "vars.env",
        "--detach=false",
        &name,
    ])
    .expect(0);
    assert!(
        r.stdout.contains(&format!("Creating service {name}_web")),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let version = berth::db::stacks::latest(&app.state.db, &name)
        .await
        .unwrap()
        .expect("the deploy is a version in berth");
    assert_eq!(version.env, "TAG=1\n");
    assert!(version.compose.contains("berth-test/busybox:${TAG}"));

    // ls with the address and token from the environment; ps and services as locally
    let r = berth(
        d,
        &[("BERTH_URL", url), ("BERTH_TOKEN", &token)],
        &["stack", "ls"],
    )
    .expect(0);
    assert!(r.stdout.starts_with("NAME"), "{}", r.stdout);
    assert!(
        r.stdout
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == [name.as_str(), "1"]),
        "{}",
        r.stdout
    );
    let r = remote(&["ps", &name]).expect(0);
    assert!(r.stdout.contains(&format!("{name}_web.1")), "{}", r.stdout);
    assert!(r.stdout.contains("Running"), "{}", r.stdout);
    let quiet_remote = remote(&["ps", "-q", &name]).expect(0);
    let quiet_local = local(&["ps", "-q", &name]).expect(0);
    assert_eq!(quiet_remote.stdout, quiet_local.stdout);
    let r = remote(&["services", &name]).expect(0);
    let l = local(&["services", &name]).expect(0);
    assert_eq!(r.stdout, l.stdout);
    assert!(r.stdout.contains("1/1"), "{}", r.stdout);

    // a token for this stack only: another stack is refused, exit 1 with berth's reason
    let other = remote(&["ps", "someone-else"]).expect(1);
    assert!(!other.stderr.is_empty());

    // remove: exit 0 once berth removed it, and the swarm has nothing of it left
    remote(&["rm", &name]).expect(0);
    eventually(60, "the stack's services are gone", || async {
        lab.docker_cli(
            1,
            &[
                "service",
                "ls",
                "-q",
                "--filter",
                &format!("label=com.docker.stack.namespace={name}"),
            ],
        )
        .ok()
        .filter(|o| o.trim().is_empty())
    })
    .await;
    server.stop().await;
    cleanup(lab, &name).await;
}
