//! Secrets and configs: create, refuse to remove one in use, rotate one used by two services,
//! and a berth-deployed stack redeploying after its config was rotated.

use axum::body::Body;
use axum::http::Request;

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn removing_a_secret_in_use_is_refused_with_the_services_named() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let secret = c.object("secret", &unique("dbpw"));
    let r = app
        .post(
            "/secrets",
            &[("name", &secret), ("value", "hunter2-s3cret")],
        )
        .await
        .expect(303);
    let id = id_from(&r.location(), "/secrets/");
    let svc = c.service(&unique("secretuser"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &svc, "--secret", &secret, IMAGE,
            "sleep", "3600",
        ],
    )
    .unwrap();
    // the list names the user (from the live model: a loaded machine may need a moment);
    // the value is shown nowhere
    let list = eventually(30, "the secrets list names the user", || async {
        let p = app.get("/secrets").await;
        p.body.contains(&svc).then_some(p)
    })
    .await;
    list.contains(&secret).lacks("hunter2");
    app.get(&format!("/secrets/{id}"))
        .await
        .expect(200)
        .contains(&svc)
        .lacks("hunter2");

    app.post(&format!("/secrets/{id}/remove"), &[])
        .await
        .expect_redirect(&format!("/secrets/{id}"));
    let page = app.get(&format!("/secrets/{id}")).await;
    page.contains(&format!("is in use by one service: {svc}"));
    assert!(
        inspect(lab, "secret", &secret).is_some(),
        "the secret must stay"
    );
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("secret.remove".into(), secret.clone(), "denied".into())),
        "{audit:?}"
    );
    assert!(audit.contains(&("secret.create".into(), secret.clone(), "ok".into())));
    let rows: Vec<(String,)> = sqlx::query_as("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(rows.iter().all(|(d,)| !d.contains("hunter2")), "{rows:?}");

    // unused, it goes
    lab.docker_cli(1, &["service", "rm", &svc]).unwrap();
    app.post(&format!("/secrets/{id}/remove"), &[])
        .await
        .expect_redirect("/secrets");
    assert!(inspect(lab, "secret", &secret).is_none());
}

#[tokio::test]
async fn a_secret_over_dockers_limit_or_with_a_bad_name_is_refused_before_docker() {
    let (lab, app) = app().await;
    let name = unique("big");
    let big = "x".repeat(500 * 1024 + 1);
    let r = app
        .post("/secrets", &[("name", &name), ("value", &big)])
        .await;
    assert_eq!(r.status, 400, "{}", r.body);
    r.contains("too large");
    let r = app
        .post("/configs", &[("name", "-bad name"), ("value", "x")])
        .await
        .expect(422);
    r.contains("must start and end with a letter or digit");
    assert!(inspect(lab, "secret", &name).is_none());
}

const BOUNDARY: &str = "berthobjectsboundary42";

fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, file, data) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let head = match file {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{field}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            ),
            None => format!("Content-Disposition: form-data; name=\"{field}\"\r\n\r\n"),
        };
        body.extend_from_slice(head.as_bytes());
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(
    app: &TestApp,
    path: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> crate::harness::app::Resp {
    let csrf = app.csrf().await.unwrap();
    app.request(
        Request::post(format!("{path}?csrf={csrf}"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(Body::from(multipart(parts)))
            .unwrap(),
    )
    .await
}

/// The config references of a service's spec.
fn config_refs(lab: &Lab, service: &str) -> Vec<Value> {
    inspect(lab, "service", service).unwrap()["Spec"]["TaskTemplate"]["ContainerSpec"]["Configs"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test]
async fn rotating_a_config_used_by_two_services_moves_both_and_removes_the_old_one() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let base = unique("site");
    let old = c.object("config", &base);
    let new = c.object("config", &format!("{base}.v2"));
    // created from an uploaded file
    let r = post_multipart(
        &app,
        "/configs",
        &[
            ("name", None, old.as_bytes()),
            ("file", Some("site.conf"), b"listen 80;\n"),
        ],
    )
    .await
    .expect(303);
    let old_id = id_from(&r.location(), "/configs/");
    app.get(&format!("/configs/{old_id}"))
        .await
        .contains("listen 80;");
    let (a, b) = (c.service(&unique("cfga")), c.service(&unique("cfgb")));
    for (svc, mode) in [(&a, "0440"), (&b, "0400")] {
        let spec = format!("source={old},target=/etc/site.conf,uid=33,gid=44,mode={mode}");
        lab.docker_cli(
            1,
            &[
                "service",
                "create",
                "--detach",
                "--quiet",
                "--name",
                svc,
                "--config",
                &spec,
                "--update-delay",
                "0s",
                IMAGE,
                "sleep",
                "3600",
            ],
        )
        .unwrap();
    }
    wait_running(lab, &a, 1).await;
    wait_running(lab, &b, 1).await;

    // the preview names both services and the new name
    let preview = eventually(30, "the preview names both services", || async {
        let p = app.get(&format!("/configs/{old_id}/rotate")).await;
        (p.body.contains(&a) && p.body.contains(&b)).then_some(p)
    })
    .await;
    preview.contains(&new);

    let r = app
        .post(
            &format!("/configs/{old_id}/rotate"),
            &[("value", "listen 8080; # <b>escaped</b>\n")],
        )
        .await
        .expect(303);
    let new_id = id_from(&r.location(), "/configs/");
    let page = app.get(&format!("/configs/{new_id}")).await.expect(200);
    page.contains(&new)
        .contains("listen 8080; # &#60;b&#62;escaped&#60;/b&#62;")
        .lacks("<b>escaped</b>");

    // both services use the new config, with the same target, uid, gid and mode
    for (svc, mode) in [(&a, 0o440), (&b, 0o400)] {
        let refs = config_refs(lab, svc);
        assert_eq!(refs.len(), 1, "{refs:?}");
        assert_eq!(refs[0]["ConfigName"], new.as_str());
        assert_eq!(refs[0]["ConfigID"], new_id.as_str());
        assert_eq!(refs[0]["File"]["Name"], "/etc/site.conf");
        assert_eq!(refs[0]["File"]["UID"], "33");
        assert_eq!(refs[0]["File"]["GID"], "44");
        assert_eq!(refs[0]["File"]["Mode"], mode);
    }
    let created = inspect(lab, "config", &new).expect("the new config exists");
    assert_eq!(
        created["Spec"]["Labels"]["berth.rotated-from"],
        old.as_str()
    );
    // the old one goes once both have rolled out
    eventually(120, "the old config is removed", || async {
        inspect(lab, "config", &old).is_none().then_some(())
    })
    .await;
    wait_running(lab, &a, 1).await;
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("config.rotate".into(), old.clone(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("config.remove".into(), old.clone(), "ok".into())),
        "{audit:?}"
    );
}

const STACK_WITH_CONFIG: &str = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    configs:\n      - source: site\n        target: /etc/site.conf\n        mode: 0440\nconfigs:\n  site:\n    file: ./site.conf\n";

#[tokio::test]
async fn a_stack_redeploys_cleanly_after_its_config_was_rotated() {
    let (lab, app) = app().await;
    let stack = unique("rotstk");
    let r = post_multipart(
        &app,
        "/stacks",
        &[
            ("name", None, stack.as_bytes()),
            ("compose", None, STACK_WITH_CONFIG.as_bytes()),
            ("files", Some("site.conf"), b"one\n"),
        ],
    )
    .await;
    r.expect_redirect(&format!("/stacks/{stack}/versions/1"));
    let outcome = crate::stacks::finished(&app, &stack, 1).await;
    assert_eq!(
        crate::stacks::testid(&outcome.body, "outcome"),
        "ok",
        "{}",
        outcome.body
    );
    let (web, site) = (format!("{stack}_web"), format!("{stack}_site"));
    let id = inspect(lab, "config", &site).unwrap()["ID"]
        .as_str()
        .unwrap()
        .to_string();
    app.get(&format!("/configs/{id}/rotate"))
        .await
        .contains("data-testid=\"rotate-stack-note\"");
    app.post(&format!("/configs/{id}/rotate"), &[("value", "two\n")])
        .await
        .expect(303);
    let rotated = format!("{site}.v2");
    assert_eq!(config_refs(lab, &web)[0]["ConfigName"], rotated.as_str());
    // the rotated config belongs to the stack as the old one did
    assert_eq!(
        inspect(lab, "config", &rotated).unwrap()["Spec"]["Labels"]["com.docker.stack.namespace"],
        stack.as_str()
    );
    eventually(120, "the old config is removed", || async {
        inspect(lab, "config", &site).is_none().then_some(())
    })
    .await;

    // redeploying the stack's file works: it declares its own config again
    app.post(&format!("/stacks/{stack}/versions/1/redeploy"), &[])
        .await
        .expect_redirect(&format!("/stacks/{stack}/versions/2"));
    let outcome = crate::stacks::finished(&app, &stack, 2).await;
    assert_eq!(
        crate::stacks::testid(&outcome.body, "outcome"),
        "ok",
        "{}",
        outcome.body
    );
    let refs = config_refs(lab, &web);
    assert_eq!(refs[0]["File"]["Name"], "/etc/site.conf");
    assert_eq!(refs[0]["File"]["Mode"], 0o440);
    wait_running(lab, &web, 1).await;
    // and removing the stack leaves nothing behind, the rotated config included
    crate::stacks::cleanup(lab, &stack).await;
    assert!(inspect(lab, "config", &rotated).is_none());
}
