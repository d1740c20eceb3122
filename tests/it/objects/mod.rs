//! Secrets, configs, networks and volumes against a real swarm: what the pages show and what
//! Docker holds afterwards; rotation moves every user and removes the old object; a stack
//! deployed by berth redeploys cleanly after one of its configs was rotated.

mod api;
mod hidden;
mod networks;
mod rotate;

use serde_json::Value;

use crate::harness::lab::Lab;
use crate::harness::{TestApp, eventually, lab};

pub const IMAGE: &str = "berth-test/busybox:1";

pub async fn app() -> (&'static Lab, TestApp) {
    let l = lab("one");
    (l, TestApp::signed_in(&l.manager_host()).await)
}

/// Removes what a test made (services first, then the objects), even when it fails.
pub struct Cleanup {
    pub lab: Option<&'static Lab>,
    pub services: Vec<String>,
    pub objects: Vec<(&'static str, String)>,
}

impl Cleanup {
    pub fn new(lab: &'static Lab) -> Cleanup {
        Cleanup {
            lab: Some(lab),
            services: Vec::new(),
            objects: Vec::new(),
        }
    }

    pub fn service(&mut self, name: &str) -> String {
        self.services.push(name.to_string());
        name.to_string()
    }

    /// `kind` is secret, config, network or volume.
    pub fn object(&mut self, kind: &'static str, name: &str) -> String {
        self.objects.push((kind, name.to_string()));
        name.to_string()
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(lab) = self.lab else { return };
        if !self.services.is_empty() {
            let mut args = vec!["service", "rm"];
            args.extend(self.services.iter().map(String::as_str));
            let _ = lab.docker_cli(1, &args);
        }
        for (kind, name) in &self.objects {
            // a network stays held a moment by the removed services' tasks: a few tries
            for _ in 0..20 {
                if lab.docker_cli(1, &[kind, "rm", name]).is_ok()
                    || lab.docker_cli(1, &[kind, "inspect", name]).is_err()
                {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        }
    }
}

/// `docker KIND inspect NAME` as JSON (the object), or `None` when Docker has none.
pub fn inspect(lab: &Lab, kind: &str, name: &str) -> Option<Value> {
    let out = lab.docker_cli(1, &[kind, "inspect", name]).ok()?;
    let v: Value = serde_json::from_str(&out).ok()?;
    Some(v[0].clone())
}

/// The id at the end of a redirect to `/KIND/{id}`.
pub fn id_from(location: &str, prefix: &str) -> String {
    location
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{location} does not start with {prefix}"))
        .to_string()
}

/// Waits until every task of the service runs.
pub async fn wait_running(lab: &Lab, name: &str, n: usize) {
    eventually(90, &format!("{name} runs {n} tasks"), || async {
        let out = lab
            .docker_cli(
                1,
                &[
                    "service",
                    "ps",
                    name,
                    "--filter",
                    "desired-state=running",
                    "--format",
                    "{{.CurrentState}}",
                ],
            )
            .ok()?;
        let running = out.lines().filter(|l| l.starts_with("Running")).count();
        (running == n).then_some(())
    })
    .await;
}
