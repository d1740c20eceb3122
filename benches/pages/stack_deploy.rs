//! Deploy and redeploy of a 20-service stack: berth vs `docker stack deploy`, in the same run
//! against the same swarm (issue 6: target berth no slower). Both detached and with
//! `--resolve-image never` (the lab has no registry); tasks are kept pending by a constraint no
//! node meets, so the figures are the API work of a deploy, not container starts. berth is
//! timed twice: the library in-process, and the `berth stack deploy` binary as a process
//! (which, like the docker CLI, pays for its own start).
//!
//! Environment: BERTH_BENCH_STACK_ROUNDS (default 5).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use berth::docker::Engine;
use berth::stack::{self, DeployOptions, RemoveOptions, ResolveImage};

use crate::common::{Bench, ms};

const SERVICES: usize = 20;

fn compose() -> String {
    let mut s = String::from("version: \"3.8\"\nservices:\n");
    for i in 0..SERVICES {
        s.push_str(&format!(
            "  svc{i}:
    image: berth-test/busybox:1
    command: [sleep, '100000']
    environment:
      INDEX: \"{i}\"
      MODE: bench
    labels:
      com.example.index: \"{i}\"
    networks: [front, back]
    secrets: [token]
    configs:
      - source: settings
        target: /etc/settings.conf
    deploy:
      replicas: 1
      labels:
        com.example.tier: bench
      update_config:
        parallelism: 2
      placement:
        constraints: [node.labels.berth-bench-nowhere == 1]
"
        ));
    }
    s.push_str(
        "networks:\n  front:\n  back:\nsecrets:\n  token:\n    file: ./token.txt\nconfigs:\n  settings:\n    file: ./settings.conf\n",
    );
    s
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn cli_deploy(host: &str, dir: &Path, name: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new("docker")
        .current_dir(dir)
        .args([
            "-H",
            host,
            "stack",
            "deploy",
            "--detach=true",
            "--resolve-image",
            "never",
        ])
        .args(["-c", "stack.yml", name])
        .output()
        .expect("docker CLI");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "docker stack deploy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn binary_deploy(host: &str, dir: &Path, name: &str) -> Duration {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_berth"))
        .current_dir(dir)
        .env("DOCKER_HOST", host)
        .args([
            "stack",
            "deploy",
            "--detach=true",
            "--resolve-image",
            "never",
        ])
        .args(["-c", "stack.yml", name])
        .output()
        .expect("berth binary");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "berth stack deploy: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

async fn library_deploy(engine: &Engine, dir: &Path, name: &str) -> Duration {
    let source = stack::Source {
        files: vec![berth::compose::ComposeFile::new(
            "stack.yml",
            std::fs::read_to_string(dir.join("stack.yml")).expect("stack.yml"),
        )],
        working_dir: dir.to_path_buf(),
        env: Default::default(),
        reader: std::sync::Arc::new(berth::compose::DiskFiles),
    };
    let opts = DeployOptions {
        resolve_image: ResolveImage::Never,
        ..Default::default()
    };
    let t = Instant::now();
    let r = stack::deploy(engine, name, source, &opts)
        .await
        .expect("deploy");
    let d = t.elapsed();
    assert!(r.succeeded(), "{r:?}");
    d
}

async fn remove(engine: &Engine, name: &str) {
    let opts = RemoveOptions {
        wait: Some(Duration::from_secs(120)),
        events: None,
    };
    let r = stack::remove(engine, name, &opts).await.expect("remove");
    assert!(r.succeeded(), "{r:?}");
}

pub async fn run(b: &Bench) {
    let rounds: usize = std::env::var("BERTH_BENCH_STACK_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
        .max(1);
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("stack.yml"), compose()).expect("write");
    std::fs::write(dir.path().join("token.txt"), "bench").expect("write");
    std::fs::write(dir.path().join("settings.conf"), "bench").expect("write");
    let engine = Engine::new(&b.host);
    engine.refresh().await;
    println!(
        "stack deploy ({SERVICES} services, 2 networks, 1 secret, 1 config; {rounds} rounds, medians)"
    );
    let mut t: [[Vec<Duration>; 2]; 3] = Default::default();
    for round in 0..rounds {
        let names = [
            format!("benchcli{round}"),
            format!("benchlib{round}"),
            format!("benchbin{round}"),
        ];
        for (who, name) in names.iter().enumerate() {
            // the first deploy, then the same file again
            for times in t[who].iter_mut() {
                let d = match who {
                    0 => cli_deploy(&b.host, dir.path(), name),
                    1 => library_deploy(&engine, dir.path(), name).await,
                    _ => binary_deploy(&b.host, dir.path(), name),
                };
                times.push(d);
            }
            remove(&engine, name).await;
        }
    }
    let row = |label: &str, step: usize| {
        let cli = median(t[0][step].clone());
        let lib = median(t[1][step].clone());
        let bin = median(t[2][step].clone());
        println!(
            "  {label:<22} docker CLI {:>8.1} ms   berth binary {:>8.1} ms ({:.2}x)   berth library {:>8.1} ms ({:.2}x)",
            ms(cli),
            ms(bin),
            bin.as_secs_f64() / cli.as_secs_f64(),
            ms(lib),
            lib.as_secs_f64() / cli.as_secs_f64(),
        );
    };
    row("first deploy", 0);
    row("redeploy, unchanged", 1);
    println!("  (ratio = berth time / docker CLI time; below 1 is faster)");
}
