//! `berth stack deploy --with-registry-auth` reads the docker CLI's config and sends the
//! credentials it finds there.

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;

use super::{refused_image, runs};
use crate::harness::registry::{push_image, registry, registry_lab};
use crate::harness::unique;

fn binary() -> String {
    std::env::var("BERTH_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_berth").to_string())
}

/// `berth stack deploy [extra] -c - NAME` with `compose` on stdin and `DOCKER_CONFIG` set.
fn deploy(config: &std::path::Path, name: &str, compose: &str, extra: &[&str]) -> (bool, String) {
    let lab = registry_lab();
    let mut child = Command::new(binary())
        .env_clear()
        .env("DOCKER_HOST", lab.manager_host())
        .env("DOCKER_CONFIG", config)
        .args(["stack", "deploy"])
        .args(extra)
        .args(["-c", "-", name])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("berth runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(compose.as_bytes())
        .expect("compose written");
    let out = child.wait_with_output().expect("berth ends");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

pub fn worker_stack(image: &str) -> String {
    format!(
        "services:\n  web:\n    image: {image}\n    command: [sleep, '100000']\n    deploy:\n      placement:\n        constraints: [node.role == worker]\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_with_registry_auth_sends_the_docker_configs_credentials_so_a_worker_runs_a_private_image()
 {
    let lab = registry_lab();
    let reg = registry();
    let repo = unique("cli");
    let digest = push_image(&format!("{repo}/app:v1"));
    let image = reg.image(&format!("{repo}/app:v1"));
    let config = tempfile::tempdir().expect("temp dir");
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:{}", reg.user, reg.password));
    std::fs::write(
        config.path().join("config.json"),
        format!(r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#, reg.addr),
    )
    .expect("config written");
    let docker = lab.docker(1);
    let stack = unique("cra");
    let service = format!("{stack}_web");

    // without the flag: nothing is sent, the worker cannot pull
    let (ok, out) = deploy(config.path(), &stack, &worker_stack(&image), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("could not be accessed on a registry"), "{out}");
    let err = refused_image(&docker, &service).await;
    assert!(err.contains(&image), "{err}");

    // with it: the tag resolves to the pushed digest and the worker pulls it
    let (ok, out) = deploy(
        config.path(),
        &stack,
        &worker_stack(&image),
        &["--with-registry-auth"],
    );
    assert!(ok, "{out}");
    assert!(!out.contains("could not be accessed"), "{out}");
    let running = runs(&docker, &service).await;
    assert_eq!(running, format!("{image}@{digest}"));

    let _ = lab.docker_cli(1, &["stack", "rm", &stack]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_with_registry_auth_and_a_wrong_password_refuses_before_anything_changes() {
    let lab = registry_lab();
    let reg = registry();
    let repo = unique("clw");
    push_image(&format!("{repo}/app:v1"));
    let image = reg.image(&format!("{repo}/app:v1"));
    let config = tempfile::tempdir().expect("temp dir");
    let auth =
        base64::engine::general_purpose::STANDARD.encode(format!("{}:not-the-password", reg.user));
    std::fs::write(
        config.path().join("config.json"),
        format!(r#"{{"auths": {{"{}": {{"auth": "{auth}"}}}}}}"#, reg.addr),
    )
    .expect("config written");
    let stack = unique("crw");
    let (ok, out) = deploy(
        config.path(),
        &stack,
        &worker_stack(&image),
        &["--with-registry-auth"],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains(&format!(
            "image {image} cannot be resolved: the registry refused the credentials"
        )),
        "{out}"
    );
    let services = lab
        .docker_cli(
            1,
            &["service", "ls", "-q", "--filter", &format!("name={stack}_")],
        )
        .unwrap_or_default();
    assert!(services.trim().is_empty(), "nothing created: {services}");
}
