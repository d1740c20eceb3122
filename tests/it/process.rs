//! The binary from outside, as a user runs it: start it against a swarm, read the setup code
//! from its log, complete setup over HTTP, sign in, read the dashboard, try a cross-origin POST,
//! stop it with SIGTERM, start it again and sign in again. Also `berth healthcheck`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::harness::app::{ADMIN, PASSWORD};
use crate::harness::http::Http;
use crate::harness::lab;

fn binary() -> String {
    std::env::var("BERTH_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_berth").to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    fn start(data: &std::path::Path, port: u16, docker: &str) -> Running {
        let mut child = Command::new(binary())
            .env_clear()
            .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
            .env("BERTH_DATA_DIR", data)
            .env("DOCKER_HOST", docker)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start berth");
        let (tx, rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        Running { child, lines: rx }
    }

    /// Waits for a log line containing `needle` and returns it.
    fn wait_line(&self, needle: &str, secs: u64) -> String {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        let mut seen = Vec::new();
        while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
            match self.lines.recv_timeout(left) {
                Ok(l) if l.contains(needle) => return l,
                Ok(l) => seen.push(l),
                Err(_) => break,
            }
        }
        panic!(
            "no log line with {needle:?} within {secs} s; log so far:\n{}",
            seen.join("\n")
        );
    }

    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap()
            .parse()
            .unwrap()
    }

    fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        for _ in 0..100 {
            if let Some(st) = self.child.try_wait().unwrap() {
                return st;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        panic!("berth did not exit within 10 s of SIGTERM");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

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
