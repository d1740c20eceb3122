//! Creating services from the form: the spec `docker service create` would send; bad input
//! refused with its message and nothing created.

use serde_json::json;

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn the_create_form_builds_what_docker_service_create_would() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svcnew"));
    let published = port();
    app.get("/services/new")
        .await
        .expect(200)
        .contains("name=\"image\"");
    let r = app
        .post(
            "/services",
            &[
                ("name", &name),
                ("image", IMAGE),
                ("mode", "replicated"),
                ("replicas", "2"),
                ("command", "sh -c 'echo hello; exec sleep 3600'"),
                ("init", "1"),
                ("env", "A=1\nB=two words"),
                ("env", "C=3"),
                ("ports", &format!("{published}:80")),
                ("mounts", "type=tmpfs,target=/cache,tmpfs-size=16M"),
                ("constraints", "node.role==manager"),
                ("labels", "team=ops\ntier=web"),
                ("container_labels", "ctr=yes"),
                ("limit_memory", "64M"),
                ("reserve_cpu", "0.1"),
                ("restart_condition", "on-failure"),
                ("restart_max_attempts", "3"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let id = redirected_id(&r.location());
    let page = app.get(&r.location()).await.expect(200);
    // the lab has no registry: created with the tag, and berth says so
    page.contains(&format!("Service {name} created."))
        .contains("could not ask a registry for the digest");

    let s = spec(lab, &name);
    assert_eq!(inspect(lab, &name)["ID"], json!(id));
    assert_eq!(s["Mode"]["Replicated"]["Replicas"], 2);
    let cs = &s["TaskTemplate"]["ContainerSpec"];
    assert_eq!(cs["Image"], IMAGE);
    assert_eq!(
        cs["Args"],
        json!(["sh", "-c", "echo hello; exec sleep 3600"])
    );
    assert_eq!(cs["Env"], json!(["A=1", "B=two words", "C=3"]));
    assert_eq!(cs["Init"], true);
    assert_eq!(cs["Labels"], json!({"ctr": "yes"}));
    assert_eq!(cs["Mounts"][0]["Type"], "tmpfs");
    assert_eq!(cs["Mounts"][0]["TmpfsOptions"]["SizeBytes"], 16 << 20);
    assert_eq!(s["Labels"], json!({"team": "ops", "tier": "web"}));
    assert_eq!(
        s["TaskTemplate"]["Placement"]["Constraints"],
        json!(["node.role==manager"])
    );
    assert_eq!(
        s["TaskTemplate"]["Resources"]["Limits"]["MemoryBytes"],
        64 << 20
    );
    assert_eq!(
        s["TaskTemplate"]["Resources"]["Reservations"]["NanoCPUs"],
        100_000_000
    );
    assert_eq!(
        s["TaskTemplate"]["RestartPolicy"]["Condition"],
        "on-failure"
    );
    assert_eq!(s["TaskTemplate"]["RestartPolicy"]["MaxAttempts"], 3);
    assert_eq!(
        s["EndpointSpec"]["Ports"],
        json!([{"Protocol": "tcp", "TargetPort": 80, "PublishedPort": published, "PublishMode": "ingress"}])
    );
    assert_eq!(s["UpdateConfig"]["FailureAction"], "pause");
    wait_running(lab, &name, 2).await;
    let audit = app.audit_actions().await;
    assert!(
        audit.contains(&("service.create".into(), name.clone(), "ok".into())),
        "{audit:?}"
    );
}

#[tokio::test]
async fn a_cpu_limit_written_as_a_fraction_is_taken_like_limit_cpu() {
    // `docker service create --limit-cpu 1/2` reads a big.Rat; so do compose and the form
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svccpu"));
    let r = app
        .post(
            "/services",
            &[
                ("name", &name),
                ("image", IMAGE),
                ("command", "sleep 3600"),
                ("limit_cpu", "1/2"),
                ("reserve_cpu", "1/4"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let resources = &spec(lab, &name)["TaskTemplate"]["Resources"];
    assert_eq!(resources["Limits"]["NanoCPUs"], 500_000_000);
    assert_eq!(resources["Reservations"]["NanoCPUs"], 250_000_000);
    // the service page offers the limit back in the decimal form
    app.get(&r.location())
        .await
        .expect(200)
        .contains("name=\"limit_cpu\" value=\"0.5\"")
        .contains("name=\"reserve_cpu\" value=\"0.25\"");
}

#[tokio::test]
async fn a_global_service_and_the_default_replica_count() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let global = c.add(&unique("svcglobal"));
    app.post(
        "/services",
        &[
            ("name", &global),
            ("image", IMAGE),
            ("mode", "global"),
            ("command", "sleep 3600"),
        ],
    )
    .await
    .expect(303);
    assert!(spec(lab, &global)["Mode"]["Global"].is_object());
    let one = c.add(&unique("svcone"));
    app.post(
        "/services",
        &[("name", &one), ("image", IMAGE), ("command", "sleep 3600")],
    )
    .await
    .expect(303);
    assert_eq!(spec(lab, &one)["Mode"]["Replicated"]["Replicas"], 1);
}

#[tokio::test]
async fn each_bad_input_is_refused_with_its_message_and_nothing_changes() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let taken = c.add(&unique("svctaken"));
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &taken, IMAGE, "sleep", "3600",
        ],
    )
    .unwrap();
    let taken_spec = spec(lab, &taken);
    let fresh = unique("svcbad");
    // (form fields, the message, a value the refused form keeps)
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("name", &fresh), ("image", "Bad Image:!")],
            "not a valid image reference",
            "Bad Image:!",
        ),
        (
            vec![("name", &taken), ("image", IMAGE)],
            "already exists",
            &taken,
        ),
        (
            vec![
                ("name", &fresh),
                ("image", IMAGE),
                ("ports", "80:80\n8080:web"),
            ],
            "not a port number",
            "8080:web",
        ),
        (
            vec![
                ("name", &fresh),
                ("image", IMAGE),
                ("mounts", "type=bind,target=/data"),
            ],
            "a bind mount needs a source",
            "type=bind,target=/data",
        ),
        (
            vec![
                ("name", &fresh),
                ("image", IMAGE),
                ("mode", "global"),
                ("replicas", "3"),
            ],
            "A global service runs one task on every eligible node",
            &fresh,
        ),
        (
            vec![("name", "bad name!"), ("image", IMAGE)],
            "not a valid service name",
            "bad name!",
        ),
    ];
    for (fields, message, kept) in cases {
        let r = app.post("/services", &fields).await;
        assert_eq!(r.status, 422, "{fields:?}: {}", r.body);
        r.contains(message).contains("Nothing was created");
        // the user's values are kept (escaped as HTML attribute or text)
        r.contains(&html(kept));
        // other tests share the lab: check the services this input names
        assert!(!exists(lab, &fresh), "{fields:?} created a service");
        assert_eq!(spec(lab, &taken), taken_spec, "{fields:?} changed {taken}");
    }
    assert!(!exists(lab, &fresh));
    assert_eq!(spec(lab, &taken), taken_spec);
    let failed = app
        .audit_actions()
        .await
        .into_iter()
        .filter(|(a, _, o)| a == "service.create" && o == "failed")
        .count();
    assert_eq!(failed, 6);
}

#[tokio::test]
async fn a_create_while_docker_is_away_keeps_the_form() {
    let chaos = lab("chaos");
    let _guard = chaos.exclusive().await;
    let app = TestApp::signed_in(&chaos.manager_host()).await;
    let name = unique("svcaway");
    let stopped = chaos.stop_node(1);
    eventually(30, "berth sees Docker gone", || async {
        let s = app.state.docker.refresh().await;
        (!s.is_manager()).then_some(())
    })
    .await;
    let r = app
        .post(
            "/services",
            &[("name", &name), ("image", IMAGE), ("env", "KEEP=me")],
        )
        .await
        .expect(422);
    r.contains("Docker is unreachable")
        .contains(&name)
        .contains("KEEP=me");
    // the list says why it is empty instead of failing
    app.get("/services")
        .await
        .expect(200)
        .contains("Services are unavailable");
    stopped.start();
    eventually(60, "Docker back", || async {
        app.state.docker.refresh().await.is_manager().then_some(())
    })
    .await;
    assert!(!exists(chaos, &name));
}

#[tokio::test]
async fn a_host_mode_port_from_the_form_serves() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let name = c.add(&unique("svchttp"));
    let published = port();
    app.post(
        "/services",
        &[
            ("name", &name),
            ("image", IMAGE),
            ("command", "sh -c 'mkdir -p /www && echo served-by-berth > /www/index.html && exec httpd -f -p 80 -h /www'"),
            ("init", "1"),
            ("ports", &format!("published={published},target=80,mode=host")),
        ],
    )
    .await
    .expect(303);
    let addr = format!("{}:{published}", lab.ip(1));
    let body = eventually(60, "the service answers on its host port", || {
        let addr = addr.clone();
        async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(&addr).await.ok()?;
            s.write_all(b"GET / HTTP/1.0\r\n\r\n").await.ok()?;
            let mut out = String::new();
            s.read_to_string(&mut out).await.ok()?;
            out.contains("served-by-berth").then_some(out)
        }
    })
    .await;
    assert!(body.starts_with("HTTP/1."), "{body}");
}
