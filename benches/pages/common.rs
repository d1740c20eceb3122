//! Shared bench machinery: berth in-process against a lab swarm, signed in; timing and
//! populating helpers.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use berth::AppState;
use berth::config::ServeArgs;
use bollard::Docker;
use bollard::models::{
    ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated, TaskSpec, TaskSpecContainerSpec,
    TaskSpecPlacement,
};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub struct Bench {
    pub state: AppState,
    pub docker: Docker,
    pub host: String,
    pub iterations: usize,
    cookie: String,
    _dir: tempfile::TempDir,
}

pub struct Stats {
    pub min: Duration,
    pub median: Duration,
    pub p95: Duration,
    pub max: Duration,
    pub bytes: usize,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "median {:.2} ms  (min {:.2}, p95 {:.2}, max {:.2})  {} KiB",
            ms(self.median),
            ms(self.min),
            ms(self.p95),
            ms(self.max),
            self.bytes / 1024
        )
    }
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stats(mut samples: Vec<Duration>, bytes: usize) -> Stats {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    Stats {
        min: samples[0],
        median: at(0.5),
        p95: at(0.95),
        max: samples[samples.len() - 1],
        bytes,
    }
}

impl Bench {
    pub async fn new() -> Bench {
        let host = std::env::var("BERTH_BENCH_DOCKER_HOST")
            .expect("BERTH_BENCH_DOCKER_HOST: a lab manager (scripts/bench sets it)");
        let iterations = std::env::var("BERTH_BENCH_ITERATIONS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(50);
        let dir = tempfile::tempdir().expect("temp dir");
        let state = AppState::new(ServeArgs::for_test(dir.path().join("data"), host.clone()))
            .await
            .expect("state");
        state.docker.refresh().await;
        let code = state.setup.current().expect("setup code");
        let router = berth::app(state.clone());
        let body = format!(
            "setup_code={code}&username=bench&password=benchmark+password+1&password_confirm=benchmark+password+1"
        );
        let resp = router
            .oneshot(
                Request::post("/setup")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let cookie = resp
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("berth_session="))
            .and_then(|c| c.split(';').next())
            .expect("a session after setup")
            .to_string();
        let docker = Docker::connect_with_host(&host)
            .expect("docker")
            .negotiate_version()
            .await
            .expect("version");
        Bench {
            state,
            docker,
            host,
            iterations,
            cookie,
            _dir: dir,
        }
    }

    /// GETs `path` through the production router `iterations` times (after 3 warm-ups) and
    /// prints the server time.
    pub async fn page(&self, label: &str, path: &str) -> Stats {
        let router = berth::app(self.state.clone());
        let mut samples = Vec::with_capacity(self.iterations);
        let mut bytes = 0;
        for i in 0..self.iterations + 3 {
            let req = Request::get(path)
                .header(header::COOKIE, &self.cookie)
                .body(Body::empty())
                .unwrap();
            let t = Instant::now();
            let resp = router.clone().oneshot(req).await.unwrap();
            let status = resp.status();
            let body = resp.into_body().collect().await.unwrap().to_bytes();
            let d = t.elapsed();
            assert!(status.is_success(), "{path} answered {status}");
            bytes = body.len();
            if i >= 3 {
                samples.push(d);
            }
        }
        let s = stats(samples, bytes);
        println!("  {label:<44} {s}");
        s
    }

    /// Runs a docker CLI command against the lab `iterations` times and prints its time.
    pub fn cli(&self, label: &str, args: &[&str]) -> Stats {
        let mut samples = Vec::new();
        let n = self.iterations.min(20);
        for _ in 0..n + 1 {
            let t = Instant::now();
            let out = std::process::Command::new("docker")
                .arg("-H")
                .arg(&self.host)
                .args(args)
                .output()
                .expect("docker CLI");
            assert!(
                out.status.success(),
                "docker {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            samples.push(t.elapsed());
        }
        samples.remove(0);
        let s = stats(samples, 0);
        println!("  {label:<44} {s}");
        s
    }

    /// The median time of a docker CLI command against the lab (up to 20 runs), unprinted.
    pub fn cli_quiet(&self, args: &[&str]) -> Duration {
        let mut samples = Vec::new();
        for _ in 0..self.iterations.clamp(1, 20) + 1 {
            let t = Instant::now();
            let ok = std::process::Command::new("docker")
                .arg("-H")
                .arg(&self.host)
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                println!("    docker {args:?} failed");
            }
            samples.push(t.elapsed());
        }
        samples.remove(0);
        samples.sort();
        samples[samples.len() / 2]
    }

    /// Makes sure `count` services named `{prefix}{i}` exist, each with `replicas` tasks that
    /// stay pending (an unsatisfiable constraint: tasks exist, no containers are started).
    pub async fn ensure_pending_services(
        &self,
        prefix: &str,
        count: usize,
        replicas: i64,
        labels: &[(&str, &str)],
    ) {
        let existing: Vec<String> = self
            .docker
            .list_services(None)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|s| s.spec.and_then(|sp| sp.name))
            .filter(|n| n.starts_with(prefix))
            .collect();
        for i in 0..count {
            let name = format!("{prefix}{i}");
            if existing.contains(&name) {
                continue;
            }
            let spec = ServiceSpec {
                name: Some(name),
                labels: Some(
                    labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect::<HashMap<_, _>>(),
                ),
                mode: Some(ServiceSpecMode {
                    replicated: Some(ServiceSpecModeReplicated {
                        replicas: Some(replicas),
                    }),
                    ..Default::default()
                }),
                task_template: Some(TaskSpec {
                    container_spec: Some(TaskSpecContainerSpec {
                        image: Some("berth-test/busybox:1".into()),
                        args: Some(vec!["sleep".into(), "3600".into()]),
                        ..Default::default()
                    }),
                    placement: Some(TaskSpecPlacement {
                        constraints: Some(vec!["node.labels.berth-bench-nowhere==1".into()]),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            };
            self.docker
                .create_service(spec, None)
                .await
                .expect("create bench service");
        }
    }
}
