//! Images and volumes of every node through berth agents started in-process (harness::agents)
//! on the `multi` lab: /volumes lists a worker's volume with the service using it; a volume is
//! created on a chosen node and removed; an image in use is not removed; a dangling image is
//! pruned. What Docker holds on the node is checked each time.

use crate::dashboard::TEST_IMAGE;
use crate::harness::agents::Agents;
use crate::harness::app::Resp;
use crate::harness::{TestApp, eventually, lab, unique};
use crate::objects::wait_running;

/// Removes what a test made on the lab, even when it fails: services, then (node, volume).
struct Made {
    services: Vec<String>,
    volumes: Vec<(usize, String)>,
}

impl Drop for Made {
    fn drop(&mut self) {
        let lab = lab("multi");
        for s in &self.services {
            let _ = lab.docker_cli(1, &["service", "rm", s]);
        }
        for (n, v) in &self.volumes {
            for _ in 0..30 {
                if lab.docker_cli(*n, &["volume", "rm", v]).is_ok()
                    || lab.docker_cli(*n, &["volume", "inspect", v]).is_err()
                {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        }
    }
}

/// Posts a form, expects the redirect, returns the page it leads to (with the flash).
async fn act(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Resp {
    let r = app.post(path, fields).await;
    assert_eq!(r.status.as_u16(), 303, "POST {path} answered:\n{}", r.body);
    app.get(&r.location()).await.expect(200)
}

/// The `<tr>` of the /volumes row for `name` on `node` (hostname).
fn volume_row<'a>(body: &'a str, name: &str, node: &str) -> Option<&'a str> {
    let start = body.find(&format!(
        "data-testid=\"volume-row\" data-name=\"{name}\" data-node=\"{node}\""
    ))?;
    let end = body[start..].find("</tr>")? + start;
    Some(&body[start..end])
}

#[tokio::test]
async fn a_volume_on_a_worker_is_listed_with_its_user() {
    let lab = lab("multi");
    let agents = Agents::start(lab).await;
    let app = agents.app(lab).await;
    let vol = unique("h8vol");
    let svc = unique("h8voluser");
    let made_vol = unique("h8made");
    let _made = Made {
        services: vec![svc.clone()],
        volumes: vec![(3, vol.clone()), (2, made_vol.clone())],
    };
    let node3 = agents.node_ids[2].clone();
    let host3 = crate::nodes::hostname(lab, 3);
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &svc,
            "--constraint",
            &format!("node.id=={node3}"),
            "--mount",
            &format!("type=volume,source={vol},target=/data"),
            TEST_IMAGE,
            "sleep",
            "3600",
        ],
    )
    .expect("service create");
    wait_running(lab, &svc, 1).await;

    // /volumes: the volume on node 3, with the service and its container
    let page = eventually(
        60,
        "/volumes lists the worker's volume with its service",
        || {
            let app = &app;
            let (vol, host3, svc) = (&vol, &host3, &svc);
            async move {
                let p = app.get("/volumes").await.expect(200);
                let row = volume_row(&p.body, vol, host3)?.to_string();
                (row.contains(svc.as_str()) && row.contains(&format!("{svc}.1."))).then_some(row)
            }
        },
    )
    .await;
    assert!(page.contains("data-testid=\"volume-services\">"), "{page}");
    assert!(
        lab.docker_cli(1, &["volume", "inspect", &vol]).is_err(),
        "the volume is node 3's, not the manager's"
    );

    // node 3's own page lists it too, in use
    let storage = app
        .get(&format!("/nodes/{node3}/storage"))
        .await
        .expect(200);
    storage.contains(&format!("data-name=\"{vol}\""));

    // removal refused while the service's container uses it
    let refused = act(
        &app,
        &format!("/volumes/{vol}/remove"),
        &[("node", node3.as_str())],
    )
    .await;
    refused.contains("is in use by one container");
    assert!(lab.docker_cli(3, &["volume", "inspect", &vol]).is_ok());

    // create a volume on node 2 with driver options, then remove it
    let node2 = agents.node_ids[1].clone();
    let created = act(
        &app,
        "/volumes",
        &[
            ("node", node2.as_str()),
            ("name", made_vol.as_str()),
            ("options", "type=tmpfs\ndevice=tmpfs\no=size=1m"),
            ("labels", "team=red"),
        ],
    )
    .await;
    created.contains(&format!("Created the volume {made_vol} on"));
    let inspected = lab
        .docker_cli(
            2,
            &[
                "volume",
                "inspect",
                "--format",
                "{{.Options.type}} {{.Labels.team}}",
                &made_vol,
            ],
        )
        .expect("the volume is on node 2");
    assert_eq!(inspected.trim(), "tmpfs red");
    act(
        &app,
        &format!("/volumes/{made_vol}/remove"),
        &[("node", node2.as_str())],
    )
    .await
    .contains(&format!("Removed the volume {made_vol}"));
    assert!(
        lab.docker_cli(2, &["volume", "inspect", &made_vol])
            .is_err()
    );
    let audit = app.audit_actions().await;
    assert!(
        audit.iter().any(|(a, t, o)| a == "volume.remove"
            && t.ends_with(&format!("/{vol}"))
            && o == "denied")
    );
    assert!(
        audit
            .iter()
            .any(|(a, _, o)| a == "volume.create" && o == "ok")
    );
}

#[tokio::test]
async fn an_image_in_use_is_not_removed_and_a_dangling_one_is_pruned() {
    let lab = lab("multi");
    let agents = Agents::start(lab).await;
    let app = agents.app(lab).await;
    let svc = unique("h8imguser");
    let _made = Made {
        services: vec![svc.clone()],
        volumes: vec![],
    };
    let node3 = agents.node_ids[2].clone();
    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &svc,
            "--constraint",
            &format!("node.id=={node3}"),
            TEST_IMAGE,
            "sleep",
            "3600",
        ],
    )
    .expect("service create");
    wait_running(lab, &svc, 1).await;
    let image_id = lab
        .docker_cli(3, &["image", "inspect", "--format", "{{.Id}}", TEST_IMAGE])
        .expect("the test image on node 3")
        .trim()
        .to_string();

    // the node's page lists the image as used by the task's container; removal is refused
    let storage = app
        .get(&format!("/nodes/{node3}/storage"))
        .await
        .expect(200);
    storage.contains(&format!("data-id=\"{image_id}\""));
    let page = act(
        &app,
        &format!("/nodes/{node3}/images/remove"),
        &[("image", image_id.as_str())],
    )
    .await;
    page.contains("is in use by");
    page.contains(&format!("{svc}.1."));
    assert!(
        lab.docker_cli(3, &["image", "inspect", TEST_IMAGE]).is_ok(),
        "the image in use is still on node 3"
    );

    // a dangling image on node 2 (a container committed without a tag), pruned
    let box_name = unique("h8commit");
    lab.docker_cli(2, &["create", "--name", &box_name, TEST_IMAGE, "true"])
        .expect("container create");
    let dangling = lab
        .docker_cli(2, &["commit", &box_name])
        .expect("commit")
        .trim()
        .to_string();
    lab.docker_cli(2, &["rm", &box_name]).expect("container rm");
    let node2 = agents.node_ids[1].clone();
    let before = app
        .get(&format!("/nodes/{node2}/storage"))
        .await
        .expect(200);
    before.contains(&format!("data-id=\"{dangling}\" data-dangling=\"true\""));
    let after = act(&app, &format!("/nodes/{node2}/images/prune"), &[]).await;
    after.contains("Pruned");
    after.lacks(&format!("data-id=\"{dangling}\""));
    assert!(
        lab.docker_cli(2, &["image", "inspect", &dangling]).is_err(),
        "the dangling image is gone from node 2"
    );
    assert!(lab.docker_cli(2, &["image", "inspect", TEST_IMAGE]).is_ok());
    let audit = app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, _, o)| a == "image.remove" && o == "denied")
    );
    assert!(
        audit
            .iter()
            .any(|(a, _, o)| a == "image.prune" && o == "ok")
    );
}
