//! Stacks made with `docker stack deploy` are listed, can be removed, and can be taken over by
//! deploying a compose file under their name.

use super::*;
use crate::harness::unique;

fn cli_deploy(lab: &Lab, name: &str, yaml: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-stack.yml");
    std::fs::write(&file, yaml).unwrap();
    lab.docker_cli(
        1,
        &[
            "stack",
            "deploy",
            "--resolve-image",
            "never",
            "-c",
            file.to_str().unwrap(),
            name,
        ],
    )
    .unwrap();
}

const WEB: &str = "services:\n  web:\n    image: berth-test/busybox:1\n    command: [\"sleep\", \"3600\"]\n    init: true\n    deploy:\n      replicas: 1\n";

#[tokio::test]
async fn a_stack_made_with_the_cli_is_listed_and_can_be_taken_over() {
    let (lab, app) = app().await;
    let name = unique("cli");
    cli_deploy(lab, &name, WEB);
    let id_before = service_json(lab, &format!("{name}_web"))["ID"]
        .as_str()
        .unwrap()
        .to_string();

    let list = app.get("/stacks").await.expect(200);
    list.contains(&format!("data-stack=\"{name}\""))
        .contains("made elsewhere");
    let page = app.get(&format!("/stacks/{name}")).await.expect(200);
    page.contains("Take over").contains(&format!("{name}_web"));
    app.get(&format!("/stacks/{name}/edit"))
        .await
        .expect(200)
        .contains("berth holds no source");

    // taking it over: the same services, updated in place
    let mine = WEB.replace("replicas: 1", "replicas: 2");
    app.post(
        &format!("/stacks/{name}"),
        &[("compose", &mine), ("env", "")],
    )
    .await
    .expect_redirect(&format!("/stacks/{name}/versions/1"));
    let page = finished(&app, &name, 1).await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    let svc = service_json(lab, &format!("{name}_web"));
    assert_eq!(
        svc["ID"].as_str().unwrap(),
        id_before,
        "updated in place, not recreated"
    );
    assert_eq!(svc["Spec"]["Mode"]["Replicated"]["Replicas"], 2);
    app.get("/stacks")
        .await
        .contains(&format!("data-stack=\"{name}\""));
    app.get(&format!("/stacks/{name}"))
        .await
        .contains("Edit and redeploy")
        .lacks("made elsewhere");
    cleanup(lab, &name).await;
}

#[tokio::test]
async fn a_stack_made_with_the_cli_can_be_removed_from_berth() {
    let (lab, app) = app().await;
    let name = unique("clirm");
    cli_deploy(lab, &name, WEB);
    assert!(!swarm_objects(lab, &name).is_empty());
    let r = app
        .post(&format!("/stacks/{name}/delete"), &[("confirm", "yes")])
        .await;
    let job = r.location();
    let page = eventually(120, "the removal finishes", || async {
        let p = app.get(&job).await;
        p.body.contains("data-testid=\"outcome\"").then_some(p)
    })
    .await;
    assert_eq!(testid(&page.body, "outcome"), "ok", "{}", page.body);
    let left = swarm_objects(lab, &name);
    assert!(
        left.is_empty(),
        "left in the swarm: {left:?}\n{}",
        page.body
    );
    app.get(&format!("/stacks/{name}")).await.expect(404);
    app.get("/stacks")
        .await
        .lacks(&format!("data-stack=\"{name}\""));
}
