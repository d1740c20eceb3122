use std::time::{Duration, Instant};

use super::{alerts_lab, setup};
use crate::harness::{eventually, unique};

const MISSING: &str = "berth-test/does-not-exist:1";
const IMAGE: &str = "berth-test/busybox:1";

fn cli(args: &[&str]) -> String {
    alerts_lab()
        .docker_cli_within(1, 180, args)
        .unwrap_or_else(|e| panic!("docker {args:?}: {e}"))
}

/// A service on the manager (the worker may be killed by another test) with a missing image.
fn create_missing(name: &str, labels: &[&str]) {
    let mut args = vec![
        "service",
        "create",
        "--detach",
        "--name",
        name,
        "--constraint",
        "node.role==manager",
        "--restart-delay",
        "1s",
    ];
    for l in labels {
        args.extend(["--label", l]);
    }
    args.extend([MISSING, "sleep", "3600"]);
    cli(&args);
}

/// When an event that arrived at `at` (an Instant) was received, in unix milliseconds.
fn wall_ms(at: Instant) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    (now - at.elapsed()).as_millis() as i64
}

/// Docker's own time of an event (a Go template giving unix milliseconds), for the delay from
/// the event to the notification.
fn docker_ms(args: &[&str]) -> i64 {
    cli(args)
        .lines()
        .filter_map(|l| l.trim().parse::<i64>().ok())
        .max()
        .unwrap_or_else(|| panic!("no time from docker {args:?}"))
}

/// Unix milliseconds at which the `n`th failed or rejected task of `service` reached that state.
fn nth_failure_ms(service: &str, n: usize) -> i64 {
    let ids = cli(&["service", "ps", "-q", "--no-trunc", service]);
    let mut args = vec![
        "inspect",
        "--format",
        "{{.Status.State}} {{.Status.Timestamp.UnixMilli}}",
    ];
    args.extend(ids.split_whitespace());
    let mut failed: Vec<i64> = cli(&args)
        .lines()
        .filter_map(|l| {
            let (state, ms) = l.split_once(' ')?;
            matches!(state, "failed" | "rejected").then(|| ms.trim().parse().ok())?
        })
        .collect();
    failed.sort();
    failed.get(n - 1).copied().expect("enough failed tasks")
}

fn remove(name: &str) {
    let _ = alerts_lab().docker_cli(1, &["service", "rm", name]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_image_raises_one_alert_naming_the_error_then_a_resolved_message() {
    let _lab = alerts_lab().exclusive().await;
    let s = setup().await;
    let name = unique("alrtimg");
    let t0 = Instant::now();
    create_missing(&name, &[]);
    let fired = eventually(
        120,
        "the webhook's alert about the missing image",
        || async {
            s.hook_events(&name)
                .into_iter()
                .find(|e| e.status == "firing")
        },
    )
    .await;
    assert_eq!(fired.title, format!("{name}: tasks keep failing"));
    assert!(
        fired.detail.contains(&format!("No such image: {MISSING}")),
        "{}",
        fired.detail
    );
    assert_eq!(fired.link, format!("/services/{name}"));
    eprintln!(
        "alerts: third task failure (Docker's timestamp) -> webhook alert after {} ms",
        wall_ms(fired.at) - nth_failure_ms(&name, 3)
    );
    eprintln!(
        "alerts: service created with a missing image -> webhook alert after {:.1} s",
        (fired.at - t0).as_secs_f64()
    );
    let (mail_at, mail) = eventually(60, "the email about the missing image", || async {
        s.mails(&name).into_iter().next()
    })
    .await;
    assert!(mail.contains("Subject: [berth] Alert: "), "{mail}");
    assert!(
        mail.contains(&format!("No such image: {MISSING}")),
        "{mail}"
    );
    eprintln!(
        "alerts: -> email after {:.1} s",
        (mail_at - t0).as_secs_f64()
    );

    let t1 = Instant::now();
    cli(&["service", "update", "--detach", "--image", IMAGE, &name]);
    let resolved = eventually(120, "the resolved message", || async {
        s.hook_events(&name)
            .into_iter()
            .find(|e| e.status == "resolved")
    })
    .await;
    eprintln!(
        "alerts: image fixed -> resolved message after {:.1} s",
        (resolved.at - t1).as_secs_f64()
    );
    eventually(60, "the resolved email", || async {
        s.mails(&name)
            .into_iter()
            .find(|(_, m)| m.contains("[RESOLVED]"))
    })
    .await;
    let firing = s
        .hook_events(&name)
        .into_iter()
        .filter(|e| e.status == "firing")
        .count();
    assert_eq!(firing, 1, "one alert however many tasks failed");
    let mails = s.mails(&name);
    assert_eq!(
        mails.iter().filter(|(_, m)| m.contains("[ALERT]")).count(),
        1,
        "{mails:?}"
    );
    // the page: nothing active about it, the alert in the history
    let page = s.app.get("/alerts").await.expect(200);
    page.contains(&format!("{name}: tasks keep failing"));
    assert!(
        !page.body.contains("t0ps3cret"),
        "a channel's URL token is never shown"
    );
    assert!(!page.body.contains(super::MAIL_PASSWORD));
    let audit = s.app.audit_actions().await;
    assert!(
        audit
            .iter()
            .any(|(a, t, _)| a == "alert.channel.add" && t == "hook")
    );
    let details: Vec<String> = sqlx::query_scalar("SELECT COALESCE(detail, '') FROM audit_log")
        .fetch_all(&s.app.state.db)
        .await
        .unwrap();
    assert!(
        details
            .iter()
            .all(|d| !d.contains("t0ps3cret") && !d.contains(super::MAIL_PASSWORD)),
        "{details:?}"
    );
    remove(&name);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_node_raises_node_down() {
    let lab = alerts_lab();
    let _lab = lab.exclusive().await;
    let s = setup().await;
    let id = lab
        .docker_cli(2, &["info", "--format", "{{.Swarm.NodeID}}"])
        .expect("node 2's id");
    let host = cli(&[
        "node",
        "inspect",
        "--format",
        "{{.Description.Hostname}}",
        id.trim(),
    ]);
    let host = host.trim().to_string();
    let t0 = Instant::now();
    let killed = lab.kill_node(2);
    let down = eventually(60, "the node down alert", || async {
        s.hook_events(&host)
            .into_iter()
            .find(|e| e.status == "firing")
    })
    .await;
    let delay = down.at - t0;
    eprintln!(
        "alerts: node killed -> node down alert after {:.1} s (heartbeat 1 s)",
        delay.as_secs_f64()
    );
    assert_eq!(down.title, format!("node {host} is down"));
    let marked = docker_ms(&[
        "node",
        "inspect",
        "--format",
        "{{.UpdatedAt.UnixMilli}}",
        &host,
    ]);
    eprintln!(
        "alerts: node marked down (Docker's UpdatedAt) -> alert after {} ms",
        wall_ms(down.at) - marked
    );
    assert!(
        delay <= Duration::from_secs(1 + 10),
        "node down within the heartbeat plus 10 s, took {delay:?}"
    );
    killed.start();
    eventually(120, "the node's resolved message", || async {
        s.hook_events(&host)
            .into_iter()
            .find(|e| e.status == "resolved")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_update_rolled_back_with_the_docker_cli_raises_update_rolled_back() {
    let _lab = alerts_lab().exclusive().await;
    let s = setup().await;
    let name = unique("alrtrb");
    cli(&[
        "service",
        "create",
        "--detach=false",
        "--quiet",
        "--name",
        &name,
        "--constraint",
        "node.role==manager",
        IMAGE,
        "sleep",
        "3600",
    ]);
    cli(&[
        "service",
        "update",
        "--detach=false",
        "--quiet",
        "--env-add",
        "BERTH_TEST=1",
        &name,
    ]);
    let t0 = Instant::now();
    cli(&["service", "rollback", "--detach=false", "--quiet", &name]);
    let rb = eventually(60, "the rollback alert", || async {
        s.hook_events(&name)
            .into_iter()
            .find(|e| e.status == "firing")
    })
    .await;
    eprintln!(
        "alerts: docker service rollback returned -> alert after {:.1} s (from its start)",
        (rb.at - t0).as_secs_f64()
    );
    assert_eq!(rb.title, format!("{name}: update rolled back"));
    let done = docker_ms(&[
        "service",
        "inspect",
        "--format",
        "{{.UpdateStatus.CompletedAt.UnixMilli}}",
        &name,
    ]);
    eprintln!(
        "alerts: rollback completed (Docker's CompletedAt) -> alert after {} ms",
        wall_ms(rb.at) - done
    );
    remove(&name);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_muted_stack_raises_nothing() {
    let _lab = alerts_lab().exclusive().await;
    let s = setup().await;
    let stack = unique("alrtmute");
    let muted = format!("{stack}_web");
    let control = unique("alrtctl");
    s.app
        .post("/alerts/mutes", &[("scope", "stack"), ("name", &stack)])
        .await
        .expect_redirect("/alerts");
    let ns = format!("com.docker.stack.namespace={stack}");
    create_missing(&muted, &[&ns]);
    create_missing(&control, &[]);
    // the control raises its alert: the engine has seen the failures of both
    eventually(120, "the control service's alert", || async {
        s.hook_events(&control)
            .into_iter()
            .find(|e| e.status == "firing")
    })
    .await;
    eventually(
        60,
        "three failures of the muted service in the model",
        || async {
            let snap = s.app.state.model.snapshot();
            let svc = snap.service(&muted)?;
            let failed = snap
                .service_tasks(&svc.id)
                .iter()
                .filter(|t| t.is_failure())
                .count();
            (failed >= 3).then_some(())
        },
    )
    .await;
    // a few evaluations later (every change of the model, and every 5 s)
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert!(
        s.hook_events(&muted).is_empty(),
        "{:?}",
        s.hook_events(&muted)
    );
    assert!(s.mails(&muted).is_empty());
    let page = s.app.get("/alerts").await.expect(200);
    page.contains(&format!("{control}: tasks keep failing"));
    assert!(
        !page.body.contains(&format!("{muted}: tasks")),
        "muted: not on the page"
    );
    remove(&muted);
    remove(&control);
}
