//! The registry lab itself: what the registry tests stand on.

use std::process::Command;

use crate::harness::registry::{push_image, registry, registry_lab};

/// `curl -I` against the lab registry with its CA; `auth` as `user:password`.
fn head(url: &str, auth: Option<&str>) -> String {
    let reg = registry();
    let mut cmd = Command::new("curl");
    cmd.args([
        "-sS",
        "-I",
        "--http1.1",
        "--max-time",
        "10",
        "--cacert",
        &reg.ca_path,
    ])
    .args([
        "-H",
        "Accept: application/vnd.docker.distribution.manifest.v2+json",
    ]);
    if let Some(a) = auth {
        cmd.args(["-u", a]);
    }
    let out = cmd.arg(url).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout).to_lowercase()
}

#[tokio::test]
async fn lab_registry_needs_a_login_serves_the_pushed_digest_and_a_worker_pulls_it() {
    let reg = registry();
    let repo = crate::harness::unique("lab");
    let digest = push_image(&format!("{repo}/app:v1"));
    let url = format!("https://{}/v2/{repo}/app/manifests/v1", reg.addr);

    assert!(
        head(&url, None).starts_with("http/1.1 401"),
        "anonymous is refused"
    );
    let before = reg.requests(&format!("\"HEAD /v2/{repo}/app/manifests/v1 "));
    let answer = head(&url, Some(&format!("{}:{}", reg.user, reg.password)));
    assert!(answer.starts_with("http/1.1 200"), "{answer}");
    assert!(
        answer.contains(&format!("docker-content-digest: {digest}")),
        "{answer}"
    );
    assert_eq!(
        reg.requests(&format!("\"HEAD /v2/{repo}/app/manifests/v1 ")),
        before + 1,
        "the access log counts each request"
    );

    // the worker trusts the lab's CA and pulls once logged in (its own client config)
    let lab = registry_lab();
    let config = tempfile::tempdir().expect("temp dir");
    let cli = |args: &[&str]| {
        Command::new("docker")
            .env("DOCKER_CONFIG", config.path())
            .args(["-H", &lab.host(2)])
            .args(args)
            .output()
            .expect("docker runs")
    };
    let image = reg.image(&format!("{repo}/app:v1"));
    assert!(
        !cli(&["pull", "-q", &image]).status.success(),
        "no pull without login"
    );
    let login = cli(&["login", "-u", &reg.user, "-p", &reg.password, &reg.addr]);
    assert!(
        login.status.success(),
        "{}",
        String::from_utf8_lossy(&login.stderr)
    );
    let pull = cli(&["pull", "-q", &image]);
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let held = lab
        .docker_cli(
            2,
            &[
                "image",
                "inspect",
                "--format",
                "{{json .RepoDigests}}",
                &image,
            ],
        )
        .expect("image on node 2");
    assert!(held.contains(&digest), "{held} has {digest}");
    assert!(reg.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
    let _ = lab.docker_cli(2, &["image", "rm", &image]);
}
