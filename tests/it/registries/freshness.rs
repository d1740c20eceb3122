//! "Update available": a service pinned to a digest is marked on the services list, its page
//! and its stack's page once its tag names another digest on the registry; the registry is
//! asked at most once per image and interval; pages work without any registry in berth.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::harness::registry::{LabRegistry, push_image, registry, registry_lab};
use crate::harness::{TestApp, eventually, unique};

const BADGE: &str = "data-testid=\"update-available\"";

/// A signed-in app on the registry lab checking images every `interval`.
async fn app(interval: Duration) -> TestApp {
    let app = TestApp::with(&registry_lab().manager_host(), |a| {
        a.image_check_interval = interval;
    })
    .await;
    app.setup_admin().await;
    app
}

async fn add_registry(app: &TestApp, reg: &LabRegistry) {
    app.post(
        "/registries",
        &[
            ("address", &reg.addr),
            ("username", &reg.user),
            ("password", &reg.password),
            ("ca_pem", &reg.ca_pem()),
        ],
    )
    .await
    .expect_redirect("/registries");
}

/// Removes the services when dropped.
struct Services(Vec<String>);

impl Drop for Services {
    fn drop(&mut self) {
        let mut args = vec!["service", "rm"];
        args.extend(self.0.iter().map(String::as_str));
        let _ = registry_lab().docker_cli(1, &args);
    }
}

/// Creates a service of `image` pinned to `digest` (as `docker service create` pins a tag)
/// in stack `stack`, without tasks (the image need not be pulled for the badge).
fn create(name: &str, stack: &str, image: &str, digest: &str) -> String {
    let lab = registry_lab();
    let out = Command::new("docker")
        .args(["-H", &lab.host(1), "service", "create", "-d", "-q"])
        .args(["--name", name, "--replicas", "0", "--no-resolve-image"])
        .args(["--label", &format!("com.docker.stack.namespace={stack}")])
        .arg(format!("{image}@{digest}"))
        .args(["sleep", "3600"])
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[tokio::test]
async fn a_new_image_under_the_same_tag_shows_update_available_on_list_service_and_stack() {
    let reg = registry();
    let app = app(Duration::from_secs(1)).await;
    add_registry(&app, &reg).await;
    let repo = unique("fr");
    let tag = format!("{repo}/web:v1");
    let first = push_image(&tag);
    let name = unique("frsvc");
    let stack = unique("frstk");
    let _cleanup = Services(vec![name.clone()]);
    let id = create(&name, &stack, &reg.image(&tag), &first);

    // the registry's digest is the running one: no badge, however often the page is asked
    let list = format!("/services?q={name}");
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        app.get(&list).await.expect(200).lacks(BADGE);
    }

    let second = push_image(&tag);
    let pushed = Instant::now();
    assert_ne!(first, second);
    eventually(30, "update available on the services list", || async {
        let page = app.get(&list).await;
        page.body.contains(BADGE).then_some(())
    })
    .await;
    eprintln!(
        "update available on the list {:.1} s after the push (interval 1 s)",
        pushed.elapsed().as_secs_f64()
    );
    app.get(&format!("/services/{id}"))
        .await
        .expect(200)
        .contains(BADGE);
    app.get(&format!("/stacks/{stack}"))
        .await
        .expect(200)
        .contains(BADGE);
}

#[tokio::test]
async fn the_registry_is_asked_once_per_image_and_interval_however_many_services_and_pages() {
    let reg = registry();
    // a long interval: every page below falls in the first one
    let app = app(Duration::from_secs(3600)).await;
    add_registry(&app, &reg).await;
    let repo = unique("fq");
    let tag = format!("{repo}/web:v1");
    let digest = push_image(&tag);
    let prefix = unique("fqsvc");
    let names: Vec<String> = (0..3).map(|i| format!("{prefix}-{i}")).collect();
    let _cleanup = Services(names.clone());
    for n in &names {
        create(n, "", &reg.image(&tag), &digest);
    }
    let head = format!("\"HEAD /v2/{repo}/web/manifests/v1 HTTP/1.1\" 200");
    // pages read the live model: let it take in the services the docker CLI just made
    assert!(app.state.model.sync_now(Duration::from_secs(20)).await);
    for _ in 0..10 {
        app.get(&format!("/services?q={prefix}")).await.expect(200);
    }
    eventually(10, "the one check", || async {
        (reg.requests(&head) == 1).then_some(())
    })
    .await;
    push_image(&tag);
    for _ in 0..10 {
        app.get(&format!("/services?q={prefix}"))
            .await
            .expect(200)
            .lacks(BADGE);
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(reg.requests(&head), 1, "one request per image and interval");
}

#[tokio::test]
async fn pages_work_and_show_no_badge_without_any_registry_in_berth() {
    let reg = registry();
    let app = app(Duration::from_secs(1)).await;
    let repo = unique("fn");
    let tag = format!("{repo}/web:v1");
    let first = push_image(&tag);
    let name = unique("fnsvc");
    let stack = unique("fnstk");
    let _cleanup = Services(vec![name.clone()]);
    let id = create(&name, &stack, &reg.image(&tag), &first);
    push_image(&tag);
    // the registry refuses berth (no credentials, no CA): nothing to show, nothing breaks
    for _ in 0..3 {
        app.get(&format!("/services?q={name}"))
            .await
            .expect(200)
            .contains(&name)
            .lacks(BADGE);
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    app.get(&format!("/services/{id}"))
        .await
        .expect(200)
        .lacks(BADGE);
    app.get(&format!("/stacks/{stack}"))
        .await
        .expect(200)
        .contains(&name)
        .lacks(BADGE);
    app.get("/registries")
        .await
        .expect(200)
        .contains("registries-empty");
}
