//! Networks and the manager's volumes.

use super::*;
use crate::harness::unique;

#[tokio::test]
async fn an_encrypted_attachable_overlay_network_is_created_and_used_by_a_service() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let net = unique("encnet");
    let svc = unique("netuser");
    c.service(&svc);
    c.object("network", &net);
    // a subnet of its own per run (overlay pools must not overlap)
    let third = 100 + std::process::id() % 100;
    let subnet = format!("10.231.{third}.0/24");
    let gateway = format!("10.231.{third}.1");
    let r = app
        .post(
            "/networks",
            &[
                ("name", &net),
                ("attachable", "on"),
                ("encrypted", "on"),
                ("subnet", &subnet),
                ("gateway", &gateway),
                ("labels", "team=blue"),
            ],
        )
        .await
        .expect(303);
    let id = id_from(&r.location(), "/networks/");
    let n = inspect(lab, "network", &net).expect("the network exists");
    assert_eq!(n["Driver"], "overlay");
    assert_eq!(n["Scope"], "swarm");
    assert_eq!(n["Attachable"], true);
    assert!(n["Options"].get("encrypted").is_some(), "{n}");
    assert_eq!(n["IPAM"]["Config"][0]["Subnet"], subnet.as_str());
    assert_eq!(n["IPAM"]["Config"][0]["Gateway"], gateway.as_str());
    assert_eq!(n["Labels"]["team"], "blue");

    lab.docker_cli(
        1,
        &[
            "service",
            "create",
            "--detach",
            "--quiet",
            "--name",
            &svc,
            "--network",
            &net,
            IMAGE,
            "sleep",
            "3600",
        ],
    )
    .unwrap();
    wait_running(lab, &svc, 1).await;
    eventually(30, "the networks list names the service", || async {
        let p = app.get("/networks").await;
        (p.body.contains(&net) && p.body.contains(&svc)).then_some(())
    })
    .await;
    let page = eventually(60, "the network page shows the task's address", || async {
        let p = app.get(&format!("/networks/{id}")).await;
        p.body.contains(&format!("10.231.{third}.")).then_some(p)
    })
    .await;
    page.contains("data-testid=\"network-encrypted\">yes")
        .contains("data-testid=\"network-attachable\">yes")
        .contains(&format!("{svc}.1."));

    // in use: refused, naming the service
    app.post(&format!("/networks/{id}/remove"), &[])
        .await
        .expect_redirect(&format!("/networks/{id}"));
    app.get(&format!("/networks/{id}"))
        .await
        .contains(&format!("is in use by one service: {svc}"));
    assert!(inspect(lab, "network", &net).is_some());
}

#[tokio::test]
async fn a_bad_subnet_is_refused_before_docker() {
    let (lab, app) = app().await;
    let net = unique("badnet");
    app.post("/networks", &[("name", &net), ("subnet", "10.1.2.0/40")])
        .await
        .expect(422)
        .contains("is not an address with a prefix");
    assert!(inspect(lab, "network", &net).is_none());
}

#[tokio::test]
async fn the_managers_volumes_are_listed_with_their_users_and_removed_when_unused() {
    let (lab, app) = app().await;
    let mut c = Cleanup::new(lab);
    let vol = c.object("volume", &unique("vol"));
    let svc = c.service(&unique("voluser"));
    app.post("/volumes", &[("name", &vol), ("labels", "team=red")])
        .await
        .expect_redirect("/volumes");
    let mount = format!("type=volume,source={vol},target=/data");
    lab.docker_cli(
        1,
        &[
            "service", "create", "--detach", "--quiet", "--name", &svc, "--mount", &mount, IMAGE,
            "sleep", "3600",
        ],
    )
    .unwrap();
    wait_running(lab, &svc, 1).await;
    eventually(30, "the volumes list names the service", || async {
        let p = app.get("/volumes").await;
        (p.body.contains(&vol) && p.body.contains(&svc)).then_some(())
    })
    .await;
    app.post(&format!("/volumes/{vol}/remove"), &[])
        .await
        .expect_redirect("/volumes");
    app.get("/volumes")
        .await
        .contains("is in use by one container");
    assert!(inspect(lab, "volume", &vol).is_some());
    lab.docker_cli(1, &["service", "rm", &svc]).unwrap();
    eventually(60, "the volume can be removed", || async {
        app.post(&format!("/volumes/{vol}/remove"), &[]).await;
        inspect(lab, "volume", &vol).is_none().then_some(())
    })
    .await;
}
