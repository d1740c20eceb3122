//! berth as a real process, as a user runs it: on free ports (HTTP and HTTPS), its log read
//! line by line.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The berth binary under test: BERTH_TEST_BINARY (the release build) or the debug build.
pub fn binary() -> String {
    std::env::var("BERTH_TEST_BINARY").unwrap_or_else(|_| env!("CARGO_BIN_EXE_berth").to_string())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// This machine's first global IPv4 address (not loopback).
pub fn outside_address() -> String {
    let out = Command::new("ip")
        .args(["-4", "-o", "addr", "show", "scope", "global"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            l.split_whitespace()
                .nth(3)?
                .split('/')
                .next()
                .map(String::from)
        })
        .expect("a global IPv4 address on this machine")
}

pub struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// The HTTPS port (BERTH_TLS_LISTEN), a free one unless the environment given sets it.
    pub https_port: u16,
}

impl Running {
    /// berth on 127.0.0.1:`port` (HTTP) and a free port (HTTPS), nothing else configured.
    pub fn start(data: &std::path::Path, port: u16, docker: &str) -> Running {
        Self::start_with(data, port, docker, &[])
    }

    /// As [`Running::start`], with more environment (which may override the listen addresses).
    pub fn start_with(
        data: &std::path::Path,
        port: u16,
        docker: &str,
        env: &[(&str, String)],
    ) -> Running {
        let https_port = env
            .iter()
            .find(|(k, _)| *k == "BERTH_TLS_LISTEN")
            .and_then(|(_, v)| v.rsplit(':').next()?.parse().ok())
            .unwrap_or_else(free_port);
        let mut cmd = Command::new(binary());
        cmd.env_clear()
            .env("BERTH_LISTEN", format!("127.0.0.1:{port}"))
            .env("BERTH_TLS_LISTEN", format!("127.0.0.1:{https_port}"))
            .env("BERTH_DATA_DIR", data)
            .env("DOCKER_HOST", docker);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
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
        Running {
            child,
            lines: rx,
            https_port,
        }
    }

    /// Waits for a log line containing `needle` and returns it.
    pub fn wait_line(&self, needle: &str, secs: u64) -> String {
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

    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap()
            .parse()
            .unwrap()
    }

    pub fn terminate(mut self) -> std::process::ExitStatus {
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
