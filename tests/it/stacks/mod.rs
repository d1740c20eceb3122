//! The stacks pages against a real swarm: the editor and its checks, deploys with their
//! progress, the preview, history (diff, redeploy), removal, uploads, stacks made with the
//! docker CLI, and the main flow in a browser.

mod browser;
mod cli_made;
mod concurrency;
mod env_hidden;
mod flow;
mod limits;
mod sealed;
mod upload;

use crate::harness::app::Resp;
use crate::harness::lab::Lab;
use crate::harness::{TestApp, eventually, lab};

/// The two-service stack of the issue: a backend with 2 replicas and a variable from the env
/// editor, and a db with a named volume and an image that does not exist.
pub fn two_services(replicas: u32) -> String {
    format!(
        "# shop: backend and db\nservices:\n  backend:\n    image: berth-test/busybox:1\n    command: [\"sh\", \"-c\", \"echo mode=$$APP_MODE; exec sleep 3600\"]\n    init: true\n    environment:\n      APP_MODE: ${{MODE}}\n    deploy:\n      replicas: {replicas}\n  db:\n    image: berth-test/does-not-exist:1\n    init: true\n    volumes:\n      - dbdata:/data\nvolumes:\n  dbdata:\n"
    )
}

pub async fn app() -> (&'static Lab, TestApp) {
    let one = lab("one");
    (one, TestApp::signed_in(&one.manager_host()).await)
}

/// Waits until the version's deploy has ended; returns its page.
pub async fn finished(app: &TestApp, stack: &str, version: i64) -> Resp {
    eventually(
        120,
        &format!("deploy of {stack} v{version} finishes"),
        || async {
            let page = app
                .get(&format!("/stacks/{stack}/versions/{version}"))
                .await;
            (page.status == 200 && !page.body.contains("data-testid=\"outcome\">running<"))
                .then_some(page)
        },
    )
    .await
}

/// The text between `data-testid="ID">` and the next `<`.
pub fn testid(body: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\">");
    let Some(i) = body.find(&marker) else {
        return String::new();
    };
    body[i + marker.len()..]
        .split('<')
        .next()
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Services, networks, secrets and configs of a stack, by the namespace label.
pub fn swarm_objects(lab: &Lab, stack: &str) -> Vec<String> {
    let label = format!("label=com.docker.stack.namespace={stack}");
    let mut all = Vec::new();
    for kind in ["service", "network", "secret", "config"] {
        let out = lab
            .docker_cli(1, &[kind, "ls", "-q", "--filter", &label])
            .unwrap_or_default();
        all.extend(
            out.lines()
                .filter(|l| !l.is_empty())
                .map(|l| format!("{kind} {l}")),
        );
    }
    all
}

/// Removes a stack the test made (and waits for its networks), whatever state it is in.
pub async fn cleanup(lab: &Lab, stack: &str) {
    let _ = lab.docker_cli(1, &["stack", "rm", stack]);
    eventually(90, &format!("stack {stack} is gone"), || async {
        let left = swarm_objects(lab, stack);
        if !left.is_empty() {
            // a network still held by a task that was stopping when `stack rm` asked: ask again
            let _ = lab.docker_cli(1, &["stack", "rm", stack]);
        }
        left.is_empty().then_some(())
    })
    .await;
}

pub fn service_json(lab: &Lab, name: &str) -> serde_json::Value {
    let out = lab
        .docker_cli(1, &["service", "inspect", name])
        .unwrap_or_else(|e| panic!("inspect {name}: {e}"));
    serde_json::from_str::<serde_json::Value>(&out).unwrap()[0].clone()
}
