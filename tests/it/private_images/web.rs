//! Through berth's pages: the registry added on /registries is what makes a private image run
//! on a worker, for a stack deploy and for a service create; pull and redeploy follows a tag
//! to its new digest and leaves the other services alone; a wrong password is shown in the
//! preview before anything changes; a version from history redeploys its exact digests.

use super::{refused_image, runs, tasks};
use crate::harness::registry::{push_image, registry, registry_lab};
use crate::harness::{TestApp, eventually, unique};
use crate::stacks::{finished, service_json, testid};

/// Adds the lab registry to berth's registry store, with `password`.
async fn add_registry(app: &TestApp, password: &str) {
    let reg = registry();
    let ca = reg.ca_pem();
    let fields = berth::db::registries::Fields {
        address: &reg.addr,
        username: &reg.user,
        secret: Some(password),
        ca_pem: Some(&ca),
        by: "admin",
    };
    berth::db::registries::insert(&app.state.db, &fields)
        .await
        .expect("the store answers")
        .expect("a new registry");
}

async fn signed_in() -> TestApp {
    TestApp::signed_in(&registry_lab().manager_host()).await
}

fn two_private(web: &str, other: &str) -> String {
    format!(
        "services:\n  web:\n    image: {web}\n    command: [sleep, '100000']\n    deploy:\n      placement:\n        constraints: [node.role == worker]\n  other:\n    image: {other}\n    command: [sleep, '100000']\n    deploy:\n      placement:\n        constraints: [node.role == worker]\n"
    )
}

fn spec_version(name: &str) -> u64 {
    service_json(registry_lab(), name)["Version"]["Index"]
        .as_u64()
        .unwrap_or(0)
}

fn running_image(name: &str) -> String {
    service_json(registry_lab(), name)["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_create_runs_a_private_image_on_a_worker_only_with_the_registry_in_berth() {
    let lab = registry_lab();
    let reg = registry();
    let repo = unique("svc");
    let digest = push_image(&format!("{repo}/app:v1"));
    let image = reg.image(&format!("{repo}/app:v1"));
    let app = signed_in().await;
    let docker = lab.docker(1);
    let create = |name: String| {
        let (app, image) = (&app, image.clone());
        async move {
            app.post(
                "/services",
                &[
                    ("name", name.as_str()),
                    ("image", image.as_str()),
                    ("mode", "replicated"),
                    ("replicas", "1"),
                    ("command", "sleep 100000"),
                    ("constraints", "node.role==worker"),
                ],
            )
            .await
        }
    };

    // no registry in berth: created with the tag, and the worker cannot pull it
    let without = unique("pw");
    let r = create(without.clone()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let err = refused_image(&docker, &without).await;
    assert!(err.contains(&image), "{err}");

    // with it: resolved to the pushed digest, and the worker pulls it with berth's credentials
    add_registry(&app, &reg.password).await;
    let with = unique("pr");
    let r = create(with.clone()).await;
    assert_eq!(r.status, 303, "{}", r.body);
    app.get(&r.location())
        .await
        .expect(200)
        .lacks("could not ask a registry");
    assert_eq!(runs(&docker, &with).await, format!("{image}@{digest}"));

    // and a change that restarts the tasks sends them too (the env form)
    let id = crate::services::redirected_id(&r.location());
    let r = app
        .post(&format!("/services/{id}/env"), &[("env", "A=1")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    eventually(90, "the updated task runs on the worker", || async {
        tasks(&docker, &with)
            .await
            .iter()
            .filter(|(s, _, _)| s == "running")
            .count()
            .eq(&1)
            .then_some(())
            .filter(|_| service_json(lab, &with)["UpdateStatus"]["State"] != "paused")
    })
    .await;

    for s in [&without, &with] {
        let _ = lab.docker_cli(1, &["service", "rm", s]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_of_private_images_runs_pulls_and_redeploys_only_what_moved_and_returns_to_exact_digests()
 {
    let lab = registry_lab();
    let reg = registry();
    let repo = unique("stk");
    let d1 = push_image(&format!("{repo}/web:v1"));
    let other_digest = push_image(&format!("{repo}/other:v1"));
    let (web_image, other_image) = (
        reg.image(&format!("{repo}/web:v1")),
        reg.image(&format!("{repo}/other:v1")),
    );
    let app = signed_in().await;
    add_registry(&app, &reg.password).await;
    let docker = lab.docker(1);
    let stack = unique("ps");
    let (web, other) = (format!("{stack}_web"), format!("{stack}_other"));

    // version 1: both run on the worker, with the digests recorded and shown
    app.post(
        "/stacks",
        &[
            ("name", stack.as_str()),
            ("compose", &two_private(&web_image, &other_image)),
            ("env", ""),
        ],
    )
    .await
    .expect_redirect(&format!("/stacks/{stack}/versions/1"));
    let page = finished(&app, &stack, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    assert_eq!(runs(&docker, &web).await, format!("{web_image}@{d1}"));
    assert_eq!(
        runs(&docker, &other).await,
        format!("{other_image}@{other_digest}")
    );
    page.contains("data-testid=\"version-images\"")
        .contains(&format!("{web_image}@{d1}"));
    let other_version = spec_version(&other);

    // a new image under the same tag; pull and redeploy moves web only
    let d2 = push_image(&format!("{repo}/web:v1"));
    assert_ne!(d1, d2);
    app.post(&format!("/stacks/{stack}/pull"), &[])
        .await
        .expect_redirect(&format!("/stacks/{stack}/versions/2"));
    let page = finished(&app, &stack, 2).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    page.contains("1 service updated, 1 service unchanged");
    super::all_run(&docker, &web, &format!("{web_image}@{d2}")).await;
    assert_eq!(spec_version(&other), other_version, "other left alone");
    assert_eq!(
        running_image(&other),
        format!("{other_image}@{other_digest}")
    );

    // version 1 again with its exact images: web returns to d1
    app.get(&format!("/stacks/{stack}/versions/1"))
        .await
        .contains("data-testid=\"redeploy-exact\"")
        .contains("data-testid=\"redeploy-tags\"");
    app.get(&format!("/stacks/{stack}"))
        .await
        .contains("data-testid=\"version-digests\"")
        .contains(&format!("@{}", &d2["sha256:".len().."sha256:".len() + 12]));
    app.post(
        &format!("/stacks/{stack}/versions/1/redeploy"),
        &[("images", "exact")],
    )
    .await
    .expect_redirect(&format!("/stacks/{stack}/versions/3"));
    let page = finished(&app, &stack, 3).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    super::all_run(&docker, &web, &format!("{web_image}@{d1}")).await;
    assert_eq!(spec_version(&other), other_version, "other left alone");

    // and with its current tags: d2 again
    app.post(
        &format!("/stacks/{stack}/versions/1/redeploy"),
        &[("images", "tags")],
    )
    .await
    .expect_redirect(&format!("/stacks/{stack}/versions/4"));
    finished(&app, &stack, 4).await;
    super::all_run(&docker, &web, &format!("{web_image}@{d2}")).await;

    // a service's own pull and redeploy follows its tag too
    let d3 = push_image(&format!("{repo}/web:v1"));
    let id = service_json(lab, &web)["ID"].as_str().unwrap().to_string();
    let r = app
        .post(&format!("/services/{id}/redeploy"), &[("pull", "yes")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    app.get(&r.location())
        .await
        .contains(&format!("{web_image}@{d3}"));
    super::all_run(&docker, &web, &format!("{web_image}@{d3}")).await;

    crate::stacks::cleanup(lab, &stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_shown_in_the_preview_and_the_deploy_log_before_anything_changes() {
    let lab = registry_lab();
    let reg = registry();
    let repo = unique("wp");
    push_image(&format!("{repo}/app:v1"));
    let image = reg.image(&format!("{repo}/app:v1"));
    let app = signed_in().await;
    add_registry(&app, "not-the-password").await;
    let stack = unique("wps");
    let compose = two_private(&image, &image);
    let expected =
        format!("image {image} cannot be resolved: the registry refused the credentials");

    let preview = app
        .post(
            &format!("/stacks/{stack}/preview"),
            &[("compose", compose.as_str()), ("env", "")],
        )
        .await;
    preview.contains(&expected);
    let r = app
        .post(
            "/stacks",
            &[
                ("name", stack.as_str()),
                ("compose", compose.as_str()),
                ("env", ""),
            ],
        )
        .await;
    r.expect_redirect(&format!("/stacks/{stack}/versions/1"));
    let page = finished(&app, &stack, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "failed", "{}", page.body);
    page.contains(&expected).contains("nothing was changed");
    assert!(
        crate::stacks::swarm_objects(lab, &stack).is_empty(),
        "nothing in the swarm"
    );

    // the service form says the same, and creates nothing
    let name = unique("wpsvc");
    let page = app
        .post(
            "/services",
            &[
                ("name", name.as_str()),
                ("image", image.as_str()),
                ("mode", "replicated"),
                ("replicas", "1"),
            ],
        )
        .await
        .expect(422);
    page.contains(&expected);
    assert!(
        lab.docker_cli(1, &["service", "inspect", &name]).is_err(),
        "no service {name}"
    );
}
