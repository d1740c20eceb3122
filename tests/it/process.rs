//! The binary from outside, as a user runs it: start it against a swarm, read the setup code
//! from its log, complete setup over HTTP, sign in, read the dashboard, try a cross-origin POST,
//! stop it with SIGTERM, start it again and sign in again. Also `berth healthcheck`.

use std::process::Command;

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::http::Http;
use crate::harness::lab;
use crate::harness::process::{Running, binary, free_port};

fn healthcheck(port: u16) -> bool {
    Command::new(binary())
        .env_clear()
        .arg("healthcheck")
        .env("BERTH_LISTEN", format!("0.0.0.0:{port}"))
        .output()
        .unwrap()
        .status
        .success()
}

#[tokio::test]
async fn the_binary_runs_end_to_end_and_keeps_its_data_across_restarts() {
    let multi = lab("multi");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let berth = Running::start(dir.path(), port, &multi.manager_host());
    let line = berth.wait_line("setup code:", 20);
    let code = line
        .rsplit("setup code:")
        .next()
        .unwrap()
        .trim()
        .to_string();
    berth.wait_line("listening on", 10);
    berth.wait_line("connected to swarm manager", 10);
    let mut http = Http::new(&format!("http://127.0.0.1:{port}"));
    assert!(
        healthcheck(port),
        "berth healthcheck against the running binary"
    );

    let r = http.send("GET", "/", None, &[]).await;
    assert_eq!((r.status, r.location.as_str()), (303, "/setup"));
    let r = http
        .send(
            "POST",
            "/setup",
            Some(&[
                ("setup_code", &code),
                ("username", ADMIN),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ]),
            &[],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"), "{}", r.body);
    let r = http.send("GET", "/", None, &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("data-testid=\"nodes-total\">3<"),
        "dashboard lists the lab's 3 nodes:\n{}",
        r.body
    );
    let csrf = Http::csrf(&r.body);
    let r = http
        .send(
            "POST",
            "/logout",
            Some(&[("csrf", &csrf)]),
            &[
                ("origin", "http://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "cross-origin POST");
    let idle_rss = berth.rss_kib();
    println!(
        "figure: idle RSS of the berth binary after setup and a dashboard render: {} KiB",
        idle_rss
    );

    let status = berth.terminate();
    assert!(status.success(), "graceful exit on SIGTERM, got {status:?}");
    assert!(!healthcheck(port), "healthcheck fails when nothing listens");

    let berth = Running::start(dir.path(), port, &multi.manager_host());
    berth.wait_line("listening on", 20);
    let mut again = Http::new(&format!("http://127.0.0.1:{port}"));
    let r = again.send("GET", "/setup", None, &[]).await;
    assert_eq!(
        (r.status, r.location.as_str()),
        (303, "/login"),
        "setup stays closed after a restart"
    );
    let r = again
        .send(
            "POST",
            "/login",
            Some(&[("username", ADMIN), ("password", PASSWORD)]),
            &[],
        )
        .await;
    assert_eq!((r.status, r.location.as_str()), (303, "/"));
    let r = again.send("GET", "/audit", None, &[]).await;
    assert!(
        r.body.contains("auth.setup") && r.body.contains("auth.login"),
        "audit log survived the restart"
    );
    assert!(berth.terminate().success());
}
