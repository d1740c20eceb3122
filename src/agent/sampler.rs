//! The agent's sampling loop: every interval, all running containers of its node, one
//! one-shot stats call each (a few at a time), CPU from the difference to the previous sample.
//! One sampling per interval whatever the number of readers: readers get the latest report.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bollard::Docker;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::watch;

use super::{ContainerUsage, MAX_CONTAINERS, NodeReport};
use crate::docker::raw;

/// Stats calls in flight at once.
const PARALLEL: usize = 4;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    id: String,
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    image: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    labels: HashMap<String, String>,
}

#[derive(Deserialize, Default)]
struct Stats {
    #[serde(default)]
    cpu_stats: CpuStats,
    #[serde(default)]
    memory_stats: MemStats,
}

#[derive(Deserialize, Default)]
struct CpuStats {
    #[serde(default)]
    cpu_usage: CpuUsage,
    system_cpu_usage: Option<u64>,
    online_cpus: Option<u32>,
}

#[derive(Deserialize, Default)]
struct CpuUsage {
    #[serde(default)]
    total_usage: u64,
}

#[derive(Deserialize, Default)]
struct MemStats {
    usage: Option<u64>,
    limit: Option<u64>,
    #[serde(default)]
    stats: HashMap<String, u64>,
}

/// A container's counters at one sampling.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counters {
    /// the container's CPU time, ns
    pub cpu: u64,
    /// the host's CPU time (all cores), ns, when Docker gives it
    pub system: Option<u64>,
    pub cpus: u32,
    pub at: Instant,
}

/// CPU in percent of one core between two samplings, as `docker stats` computes it (the
/// container's share of the host's CPU time times the number of cores), or from the wall
/// clock when Docker gives no host counter. None when the counters went backwards (a restart).
pub fn cpu_percent(prev: &Counters, now: &Counters) -> Option<f64> {
    let used = now.cpu.checked_sub(prev.cpu)? as f64;
    match (prev.system, now.system) {
        (Some(a), Some(b)) if b > a => Some(used / (b - a) as f64 * now.cpus.max(1) as f64 * 100.0),
        _ => {
            let wall = now.at.checked_duration_since(prev.at)?.as_nanos() as f64;
            (wall > 0.0).then(|| used / wall * 100.0)
        }
    }
}

/// Memory in use without the inactive page cache (cgroup v2 `inactive_file`, v1
/// `total_inactive_file`), as the docker CLI shows it.
fn memory_used(m: &MemStats) -> u64 {
    let usage = m.usage.unwrap_or(0);
    let cache = m
        .stats
        .get("inactive_file")
        .or_else(|| m.stats.get("total_inactive_file"))
        .copied()
        .unwrap_or(0);
    usage.saturating_sub(cache)
}

/// What the sampler knows of its node.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub hostname: String,
    pub cpus: u32,
    pub memory_total: u64,
}

/// Samples forever, publishing each report.
pub async fn run(
    docker: Docker,
    node: Node,
    interval: Duration,
    out: watch::Sender<Arc<NodeReport>>,
) {
    let mut prev: HashMap<String, Counters> = HashMap::new();
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let report = sample(&docker, &node, interval, &mut prev).await;
        out.send_replace(Arc::new(report));
    }
}

async fn sample(
    docker: &Docker,
    node: &Node,
    interval: Duration,
    prev: &mut HashMap<String, Counters>,
) -> NodeReport {
    let mut report = NodeReport {
        node_id: node.id.clone(),
        hostname: node.hostname.clone(),
        sampled_at_ms: now_ms(),
        interval_ms: interval.as_millis() as u64,
        cpus: node.cpus,
        memory_total: node.memory_total,
        ..Default::default()
    };
    let listed: Vec<Listed> = match raw::get_text(docker, "/containers/json", "")
        .await
        .map_err(|e| e.user_message())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| format!("Docker's container list: {e}")))
    {
        Ok(l) => l,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let listed: Vec<Listed> = listed.into_iter().take(MAX_CONTAINERS).collect();
    let stats: Vec<(Listed, Option<(Stats, Instant)>)> = futures_util::stream::iter(listed)
        .map(|c| async move {
            let path = format!("/containers/{}/stats", c.id);
            let s = raw::get_text(docker, &path, "stream=false&one-shot=true")
                .await
                .ok()
                .and_then(|t| serde_json::from_str::<Stats>(&t).ok())
                .map(|s| (s, Instant::now()));
            (c, s)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut seen = HashMap::with_capacity(stats.len());
    for (c, s) in stats {
        let (cpu_percent, memory_bytes, memory_limit) = match s {
            Some((s, at)) => {
                let now = Counters {
                    cpu: s.cpu_stats.cpu_usage.total_usage,
                    system: s.cpu_stats.system_cpu_usage,
                    cpus: s.cpu_stats.online_cpus.unwrap_or(node.cpus),
                    at,
                };
                let pct = prev.get(&c.id).and_then(|p| cpu_percent(p, &now));
                seen.insert(c.id.clone(), now);
                let limit = s.memory_stats.limit.unwrap_or(node.memory_total);
                (pct, memory_used(&s.memory_stats), limit)
            }
            None => (None, 0, node.memory_total),
        };
        let label = |k: &str| c.labels.get(k).cloned();
        report.containers.push(ContainerUsage {
            name: c
                .names
                .first()
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_else(|| c.id.chars().take(12).collect()),
            image: c.image.split('@').next().unwrap_or_default().to_string(),
            state: c.state,
            task_id: label("com.docker.swarm.task.id"),
            service_name: label("com.docker.swarm.service.name"),
            stack: label("com.docker.stack.namespace"),
            id: c.id,
            cpu_percent,
            memory_bytes,
            memory_limit,
        });
    }
    report.containers.sort_by(|a, b| a.name.cmp(&b.name));
    *prev = seen;
    report
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(base: Instant, ms: u64, cpu: u64, system: Option<u64>) -> Counters {
        Counters {
            cpu,
            system,
            cpus: 2,
            at: base + Duration::from_millis(ms),
        }
    }

    #[test]
    fn cpu_is_the_share_of_host_time_times_cores() {
        let t = Instant::now();
        // one of two cores busy: 1 s of container time in 2 s of host time (both cores)
        let p = cpu_percent(
            &at(t, 0, 0, Some(0)),
            &at(t, 1000, 1_000_000_000, Some(2_000_000_000)),
        );
        assert_eq!(p, Some(100.0));
        let p = cpu_percent(
            &at(t, 0, 0, Some(0)),
            &at(t, 1000, 250_000_000, Some(2_000_000_000)),
        );
        assert_eq!(p, Some(25.0));
    }

    #[test]
    fn without_a_host_counter_the_wall_clock_is_used_and_a_restart_gives_none() {
        let t = Instant::now();
        let p = cpu_percent(&at(t, 0, 0, None), &at(t, 1000, 500_000_000, None));
        assert_eq!(p.map(|p| p.round()), Some(50.0));
        assert_eq!(
            cpu_percent(&at(t, 0, 900, Some(0)), &at(t, 1000, 100, Some(10))),
            None
        );
    }

    #[test]
    fn memory_leaves_out_the_inactive_page_cache() {
        let m = MemStats {
            usage: Some(1000),
            limit: None,
            stats: [("inactive_file".to_string(), 300)].into(),
        };
        assert_eq!(memory_used(&m), 700);
        let v1 = MemStats {
            usage: Some(1000),
            limit: None,
            stats: [("total_inactive_file".to_string(), 1200)].into(),
        };
        assert_eq!(memory_used(&v1), 0);
    }
}
