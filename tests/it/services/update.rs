//! Updates change only their part of the spec, whatever else the service has.

use serde_json::json;

use super::*;
use crate::harness::unique;

/// A CLI-created service with many options, its id, and its spec before any change.
pub(super) async fn setup(lab: &'static Lab, cleanup: &mut Cleanup) -> (String, String, Specs) {
    let name = cleanup.add(&unique("svcupd"));
    let id = cli_service(lab, &name, port());
    let before = specs(lab, &name).await;
    (name, id, before)
}

#[tokio::test]
async fn editing_env_changes_the_env_and_nothing_else() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    assert!(before.stored["TaskTemplate"]["ContainerSpec"]["Healthcheck"].is_object());
    // Docker stores no rollback policy for it; `docker service inspect` shows the defaults
    assert!(
        before.stored.get("RollbackConfig").is_none() && before.cli["RollbackConfig"].is_object()
    );

    // values are hidden until revealed
    let page = app.get(&format!("/services/{id}")).await.expect(200);
    page.contains("SECRET").lacks("hunter2");
    let revealed = app
        .get(&format!("/services/{id}?reveal=env"))
        .await
        .expect(200);
    revealed.contains("hunter2");

    // repeated fields and lines both count; the value keeps its spaces and '='
    let r = app
        .post(
            &format!("/services/{id}/env"),
            &[("env", "A=2\nNEW=x=y "), ("env", "SECRET=hunter2")],
        )
        .await
        .expect_redirect(&format!("/services/{id}"));
    drop(r);
    let after = specs(lab, &name).await;
    assert_only(
        &before,
        &after,
        &["TaskTemplate", "ContainerSpec", "Env"],
        json!(["A=2", "NEW=x=y ", "SECRET=hunter2"]),
    );
    let page = app.get(&format!("/services/{id}")).await;
    page.contains("Saved the environment")
        .contains("added NEW; changed A");
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("service.env".into(), name.clone(), "ok".into())),
        "{audit:?}"
    );
    // the audit detail names variables, never values
    let detail: String =
        sqlx::query_scalar("SELECT detail FROM audit_log WHERE action = 'service.env'")
            .fetch_one(&app.state.db)
            .await
            .unwrap();
    assert!(
        !detail.contains("hunter2") && !detail.contains("x=y"),
        "{detail}"
    );
}

#[tokio::test]
async fn editing_the_image_changes_only_the_image_and_the_same_image_forces_a_restart() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    let other = format!("berth-test/busybox:{}", unique("t"));
    lab.docker_cli(1, &["tag", IMAGE, &other]).unwrap();

    let r = app
        .post(&format!("/services/{id}/image"), &[("image", &other)])
        .await;
    r.expect_redirect(&format!("/services/{id}"));
    let after = specs(lab, &name).await;
    // no registry answers in the lab: the tag is kept as typed, with a warning
    assert_only(
        &before,
        &after,
        &["TaskTemplate", "ContainerSpec", "Image"],
        json!(other),
    );
    app.get(&format!("/services/{id}"))
        .await
        .contains("could not ask a registry for the digest");
    assert!(app.audit_actions().await.contains(&(
        "service.image".into(),
        name.clone(),
        "ok".into()
    )));

    // the same image again: re-resolved, and the tasks are replaced (ForceUpdate + 1)
    app.post(&format!("/services/{id}/image"), &[("image", &other)])
        .await
        .expect_redirect(&format!("/services/{id}"));
    let again = specs(lab, &name).await;
    let force = after.stored["TaskTemplate"]["ForceUpdate"]
        .as_u64()
        .unwrap_or(0);
    assert_only(
        &after,
        &again,
        &["TaskTemplate", "ForceUpdate"],
        json!(force + 1),
    );

    // an invalid reference is refused and changes nothing
    let bad = app
        .post(
            &format!("/services/{id}/image"),
            &[("image", "Not/A Valid:image")],
        )
        .await
        .expect(422);
    bad.contains("not a valid image reference")
        .contains("Not/A Valid:image");
    assert_eq!(specs(lab, &name).await, again);
    let _ = lab.docker_cli(1, &["rmi", &other]);

    // a pinned image: the form offers the tag (resolved again on deploy), the page the digest
    let pinned = c.add(&unique("svcpinned"));
    let digest = format!("sha256:{}", "ab".repeat(32));
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &pinned,
            "--no-resolve-image",
            &format!("{IMAGE}@{digest}"),
        ],
    )
    .unwrap();
    let pid = inspect(lab, &pinned)["ID"].as_str().unwrap().to_string();
    let page = app.get(&format!("/services/{pid}")).await.expect(200);
    page.contains(&format!("name=\"image\" value=\"{IMAGE}\""))
        .contains(&format!("{IMAGE}@{digest}"));
    app.get(&format!("/services?q={pinned}"))
        .await
        .contains("@ababababab");
}

#[tokio::test]
async fn editing_ports_changes_only_the_ports() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    let (p1, p2) = (port(), port());
    // the form shows the current ports in the long syntax (host mode)
    app.get(&format!("/services/{id}"))
        .await
        .contains("target=80,protocol=tcp,mode=host");
    app.post(
        &format!("/services/{id}/ports"),
        &[(
            "ports",
            &format!("published={p1},target=8080,mode=host\n{p2}:53/udp"),
        )],
    )
    .await
    .expect_redirect(&format!("/services/{id}"));
    let after = specs(lab, &name).await;
    assert_only(
        &before,
        &after,
        &["EndpointSpec", "Ports"],
        json!([
            {"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": p1, "PublishMode": "host"},
            {"Protocol": "udp", "TargetPort": 53, "PublishedPort": p2, "PublishMode": "ingress"}
        ]),
    );

    // bad syntax: refused with the reason, values kept, nothing changed
    let bad = app
        .post(&format!("/services/{id}/ports"), &[("ports", "80:http")])
        .await
        .expect(422);
    bad.contains("not a port number").contains("80:http");
    assert_eq!(specs(lab, &name).await, after);
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("service.ports".into(), name.clone(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("service.ports".into(), name, "failed".into())),
        "{audit:?}"
    );
}

#[tokio::test]
async fn editing_constraints_changes_only_the_constraints() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    app.post(
        &format!("/services/{id}/constraints"),
        &[("constraints", "node.role==manager\nnode.platform.os==linux")],
    )
    .await
    .expect_redirect(&format!("/services/{id}"));
    let after = specs(lab, &name).await;
    assert_only(
        &before,
        &after,
        &["TaskTemplate", "Placement", "Constraints"],
        json!(["node.role==manager", "node.platform.os==linux"]),
    );
    let bad = app
        .post(
            &format!("/services/{id}/constraints"),
            &[("constraints", "node.colour==red")],
        )
        .await
        .expect(422);
    bad.contains("not a constraint key swarm knows");
    assert_eq!(specs(lab, &name).await, after);
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("service.constraints".into(), name.clone(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("service.constraints".into(), name, "failed".into())),
        "{audit:?}"
    );
}

#[tokio::test]
async fn editing_resources_changes_only_the_resources() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    // the form shows what the CLI set
    let page = app.get(&format!("/services/{id}")).await;
    page.contains("value=\"64MiB\"").contains("value=\"0.5\"");
    app.post(
        &format!("/services/{id}/resources"),
        &[
            ("limit_cpu", "0.75"),
            ("limit_memory", "128M"),
            ("reserve_cpu", ""),
            ("reserve_memory", "16MiB"),
        ],
    )
    .await
    .expect_redirect(&format!("/services/{id}"));
    let after = specs(lab, &name).await;
    for (b, a) in [(&before.cli, &after.cli), (&before.stored, &after.stored)] {
        let mut resources = b["TaskTemplate"]["Resources"].clone();
        resources["Limits"]["NanoCPUs"] = json!(750_000_000);
        resources["Limits"]["MemoryBytes"] = json!(128 << 20);
        resources["Reservations"]
            .as_object_mut()
            .unwrap()
            .remove("NanoCPUs");
        assert_only_changed(b, a, &["TaskTemplate", "Resources"], resources);
    }

    let bad = app
        .post(
            &format!("/services/{id}/resources"),
            &[("limit_memory", "lots")],
        )
        .await
        .expect(422);
    bad.contains("is not a size").contains("value=\"lots\"");
    assert_eq!(specs(lab, &name).await, after);
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("service.resources".into(), name.clone(), "ok".into())),
        "{audit:?}"
    );
    assert!(
        audit.contains(&("service.resources".into(), name, "failed".into())),
        "{audit:?}"
    );
}

#[tokio::test]
async fn rollback_restores_the_previous_spec() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    // nothing to roll back to yet
    let none = app
        .post(&format!("/services/{id}/rollback"), &[])
        .await
        .expect(422);
    none.contains("no previous spec");
    app.post(&format!("/services/{id}/env"), &[("env", "ONLY=this")])
        .await
        .expect_redirect(&format!("/services/{id}"));
    assert_ne!(specs(lab, &name).await, before);
    app.post(&format!("/services/{id}/rollback"), &[])
        .await
        .expect_redirect(&format!("/services/{id}"));
    assert_eq!(
        specs(lab, &name).await,
        before,
        "the rollback restores the spec exactly"
    );
    // Docker's own rollback: the update status says so
    eventually(30, "rollback state", || async {
        let s = inspect(lab, &name);
        s["UpdateStatus"]["State"]
            .as_str()
            .filter(|st| st.starts_with("rollback"))
            .map(|_| ())
    })
    .await;
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("service.rollback".into(), name.clone(), "ok".into())));
    assert!(audit.contains(&("service.rollback".into(), name, "failed".into())));
}

#[tokio::test]
async fn scaling_changes_only_the_replicas_and_a_global_service_has_none() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    app.post(&format!("/services/{id}/scale"), &[("replicas", "3")])
        .await
        .expect_redirect(&format!("/services/{id}"));
    assert_only(
        &before,
        &specs(lab, &name).await,
        &["Mode", "Replicated", "Replicas"],
        json!(3),
    );
    let bad = app
        .post(&format!("/services/{id}/scale"), &[("replicas", "many")])
        .await
        .expect(422);
    bad.contains("not a number of replicas");

    let global = c.add(&unique("svcglob"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--mode", "global", "--name", &global,
            "--init", IMAGE, "sleep", "3600",
        ],
    )
    .unwrap();
    let gspec = spec(lab, &global);
    let gid = inspect(lab, &global)["ID"].as_str().unwrap().to_string();
    app.get(&format!("/services/{gid}"))
        .await
        .expect(200)
        .lacks("name=\"replicas\"");
    let r = app
        .post(&format!("/services/{gid}/scale"), &[("replicas", "2")])
        .await
        .expect(422);
    r.contains("global service");
    assert_eq!(spec(lab, &global), gspec);
    assert!(
        app.audit_actions()
            .await
            .contains(&("service.scale".into(), global, "failed".into()))
    );
}

#[tokio::test]
async fn a_refused_env_update_shows_what_was_typed_and_no_stored_value() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let (name, id, before) = setup(lab, &mut c).await;
    let page = app
        .post(
            &format!("/services/{id}/env"),
            &[("env", "GOOD=1\n=no name")],
        )
        .await
        .expect(422);
    // the error and the lines as typed; the stored names, but not their values
    page.contains("has no variable name")
        .contains("GOOD=1")
        .contains("SECRET")
        .lacks("hunter2")
        .lacks("data-testid=\"env-value\"");
    // nothing changed; revealing still shows the values (and is audited)
    assert_eq!(specs(lab, &name).await.stored, before.stored);
    app.get(&format!("/services/{id}?reveal=env"))
        .await
        .expect(200)
        .contains("hunter2");
}
