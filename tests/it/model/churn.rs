//! A random series of changes made with the docker CLI (create, scale, update, remove
//! services; drain and reactivate a worker; deploy a stack): the model follows each batch.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::*;
use crate::harness::{lab, unique};

#[tokio::test]
async fn the_model_matches_the_api_after_a_random_series_of_changes() {
    let multi = lab("multi");
    let _guard = multi.exclusive().await;
    let prefix = unique("mdl");
    let _cleanup = Cleanup {
        lab: multi,
        prefix: prefix.clone(),
    };
    let worker = multi
        .docker_cli(3, &["info", "--format", "{{.Swarm.NodeID}}"])
        .expect("worker id")
        .trim()
        .to_string();
    let _active = Reactivate {
        lab: multi,
        node: worker.clone(),
    };
    let (_engine, model, monitor) = follow(&multi.manager_host()).await;
    let docker = multi.docker(1);
    let seed: u64 = rand::rng().random();
    eprintln!("model churn: seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut live: Vec<String> = Vec::new();
    let mut n = 0;
    for round in 0..3 {
        for _ in 0..6 {
            match rng.random_range(0..10) {
                0..=2 => {
                    n += 1;
                    let name = format!("{prefix}s{n}");
                    create(multi, &name, rng.random_range(0..4), rng.random_bool(0.3));
                    live.push(name);
                }
                3 | 4 if !live.is_empty() => {
                    let name = &live[rng.random_range(0..live.len())];
                    let to = format!("{name}={}", rng.random_range(0..5));
                    multi
                        .docker_cli(1, &["service", "scale", "-d", &to])
                        .expect("scale");
                }
                5 if !live.is_empty() => {
                    let name = &live[rng.random_range(0..live.len())];
                    let env = format!("ROUND={round}");
                    multi
                        .docker_cli(1, &["service", "update", "-d", "--env-add", &env, name])
                        .expect("update");
                }
                6 if !live.is_empty() => {
                    let name = live.remove(rng.random_range(0..live.len()));
                    multi.docker_cli(1, &["service", "rm", &name]).expect("rm");
                }
                7 => {
                    let to = if rng.random_bool(0.5) {
                        "drain"
                    } else {
                        "active"
                    };
                    multi
                        .docker_cli(1, &["node", "update", "--availability", to, &worker])
                        .expect("node update");
                }
                _ => {
                    n += 1;
                    deploy_stack(multi, &format!("{prefix}k{n}"), rng.random_range(1..3));
                }
            }
        }
        converges(
            &model,
            &docker,
            &prefix,
            60,
            &format!("after round {round}"),
        )
        .await;
    }
    assert!(model.snapshot().docker_reachable());
    monitor.abort();
}

/// `docker stack deploy` of two sleeping services.
fn deploy_stack(lab: &Lab, name: &str, replicas: u32) {
    let file = tempfile::NamedTempFile::new().expect("temp file");
    let yaml = format!(
        "version: '3.8'\nservices:\n  web:\n    image: {IMAGE}\n    command: sleep 3600\n    deploy:\n      replicas: {replicas}\n  db:\n    image: {IMAGE}\n    command: sleep 3600\n"
    );
    std::fs::write(file.path(), yaml).expect("write compose file");
    let path = file.path().display().to_string();
    lab.docker_cli(1, &["stack", "deploy", "-c", &path, name])
        .unwrap_or_else(|e| panic!("stack deploy {name}: {e}"));
}

/// Puts the worker back to active when the test ends.
struct Reactivate {
    lab: &'static Lab,
    node: String,
}

impl Drop for Reactivate {
    fn drop(&mut self) {
        let _ = self.lab.docker_cli(
            1,
            &["node", "update", "--availability", "active", &self.node],
        );
    }
}
