//! A webhook deploys its stack from curl: no body (redeploy), `image=` (a new tag for the
//! services running that repository), a compose body; with `?wait=true` it answers when the
//! deploy ended.

use super::{call, json, make_hook};
use crate::harness::{TestServer, unique};
use crate::stacks::{app, cleanup, finished, service_json};

fn compose(replicas: u32) -> String {
    format!(
        "# deployed by a hook\nservices:\n  web:\n    image: berth-test/busybox:1 # the tag CI changes\n    command: [sleep, '100000']\n    init: true\n    deploy:\n      replicas: {replicas}\n  side:\n    image: berth-test/busybox:1\n    command: [sleep, '100000']\n    init: true\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_redeploys_changes_a_tag_and_deploys_a_compose_body_from_curl() {
    let (lab, app) = app().await;
    let name = unique("hook");
    let web = format!("{name}_web");
    lab.docker_cli(1, &["tag", "berth-test/busybox:1", "berth-test/busybox:2"])
        .expect("tag the test image");
    app.post("/stacks", &[("name", &name), ("compose", &compose(1))])
        .await
        .expect_redirect(&format!("/stacks/{name}/versions/1"));
    finished(&app, &name, 1).await;

    let (token, key) = make_hook(&app, &name, "plain").await;
    assert!(key.is_none());
    let server = TestServer::start(app.state.clone()).await;
    let hook = format!("/hooks/{token}");

    // no body: the newest version again, answered with the job at once
    let r = call(&server.url, &hook, "text/plain", "", &[]);
    assert_eq!(r.status, 202, "{}", r.body);
    let job = &json(&r)["job"];
    assert_eq!(job["stack"], name.as_str());
    assert_eq!(job["kind"], "deploy");
    assert_eq!(job["version"], 2);
    assert!(job["id"].as_str().unwrap().starts_with("deploy-"));
    let page = finished(&app, &name, 2).await;
    page.contains("a redeploy of")
        .contains("Deployed by webhook #");
    let stack_page = app.get(&format!("/stacks/{name}")).await.expect(200);
    stack_page
        .contains("data-testid=\"webhooks\"")
        .lacks(&token[12..]);

    // image=: the service running that repository gets the tag, the text around it stays
    let r = call(
        &server.url,
        &format!("{hook}?wait=true"),
        "application/x-www-form-urlencoded",
        "image=berth-test/busybox:2",
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = json(&r);
    assert_eq!(body["job"]["status"], "ok", "{body}");
    assert_eq!(body["job"]["version"], 3);
    for svc in [&web, &format!("{name}_side")] {
        let image = service_json(lab, svc)["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(image.starts_with("berth-test/busybox:2"), "{svc}: {image}");
    }
    let v3 = app
        .get(&format!("/stacks/{name}/versions/3"))
        .await
        .expect(200);
    v3.contains("image: berth-test/busybox:2 # the tag CI changes");

    // a compose body: deployed as the next version; with wait, the answer comes at the end
    let r = call(
        &server.url,
        &format!("{hook}?wait=true"),
        "application/yaml",
        &compose(2),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(json(&r)["job"]["version"], 4);
    assert_eq!(
        service_json(lab, &web)["Spec"]["Mode"]["Replicated"]["Replicas"],
        2
    );
    // a deploy that fails answers non-2xx with the job
    let broken = compose(1).replace("berth-test/busybox:1 #", "berth-test/nothing-here:1 #");
    let r = call(
        &server.url,
        &format!("{hook}?wait=true"),
        "application/yaml",
        &broken,
        &[],
    );
    assert!(r.status == 422, "{} {}", r.status, r.body);
    let body = json(&r);
    assert_eq!(body["error"]["code"], "deploy_degraded", "{body}");
    assert_eq!(body["job"]["version"], 5);

    // the history names the hook, the audit log has the deploys and no secret anywhere
    let audit = app.audit_actions().await;
    assert!(audit.contains(&("stack.webhook.create".into(), name.clone(), "ok".into())));
    let details: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(details.iter().all(|d| !d.contains(&token[12..])));
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT secret_hash FROM stack_webhooks")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert!(stored.iter().all(|h| h.len() == 32));

    server.stop().await;
    cleanup(lab, &name).await;
}
