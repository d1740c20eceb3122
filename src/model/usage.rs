//! Node and container usage, the part of the live model the berth agents feed (see
//! [`crate::agent::hub`]): the latest report of each node's agent, a short history per node
//! for its chart, and which nodes have no agent answering. Pages read it; nothing here calls
//! Docker or an agent.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::agent::{ContainerUsage, NodeReport};

/// Points kept per node (at the default 5 s interval: the last 10 minutes).
pub const HISTORY: usize = 120;

/// One point of a node's chart.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub at_ms: i64,
    /// the node's containers together, percent of one core
    pub cpu: f64,
    pub memory: u64,
}

/// What berth knows of one node's agent.
#[derive(Debug, Clone, Default)]
pub struct NodeUsage {
    pub report: Option<Arc<NodeReport>>,
    pub received: Option<Instant>,
    /// why the last pull failed, if it did
    pub error: Option<String>,
    pub history: VecDeque<Point>,
}

/// Whether berth runs agents at all, and why not.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Agents {
    /// not looked yet
    #[default]
    Unknown,
    /// berth does not look for agents (and why, for the pages)
    Off(String),
    /// looking for the service's tasks
    On { service: String },
}

#[derive(Default)]
pub struct Usage {
    nodes: RwLock<HashMap<String, NodeUsage>>,
    agents: RwLock<Agents>,
    interval: RwLock<Duration>,
}

impl Usage {
    pub fn new(interval: Duration) -> Usage {
        Usage {
            interval: RwLock::new(interval),
            ..Default::default()
        }
    }

    fn interval(&self) -> Duration {
        *self.interval.read().unwrap_or_else(|p| p.into_inner())
    }

    pub fn set_agents(&self, a: Agents) {
        *self.agents.write().unwrap_or_else(|p| p.into_inner()) = a;
    }

    pub fn agents(&self) -> Agents {
        self.agents
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Takes in a node's report.
    pub fn record(&self, report: NodeReport) {
        let mut nodes = self.nodes.write().unwrap_or_else(|p| p.into_inner());
        let n = nodes.entry(report.node_id.clone()).or_default();
        let point = Point {
            at_ms: report.sampled_at_ms,
            cpu: report.cpu_percent(),
            memory: report.memory_bytes(),
        };
        if n.history.back().map(|p| p.at_ms) != Some(point.at_ms) {
            n.history.push_back(point);
            while n.history.len() > HISTORY {
                n.history.pop_front();
            }
        }
        n.report = Some(Arc::new(report));
        n.received = Some(Instant::now());
        n.error = None;
    }

    /// Notes that a node's agent did not answer.
    pub fn fail(&self, node_id: &str, error: String) {
        let mut nodes = self.nodes.write().unwrap_or_else(|p| p.into_inner());
        nodes.entry(node_id.to_string()).or_default().error = Some(error);
    }

    /// Forgets nodes whose agent has not reported for a long time (gone from the swarm).
    pub fn prune(&self, keep: impl Fn(&str) -> bool) {
        let mut nodes = self.nodes.write().unwrap_or_else(|p| p.into_inner());
        nodes.retain(|id, _| keep(id));
    }

    pub fn node(&self, node_id: &str) -> Option<NodeUsage> {
        self.nodes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(node_id)
            .cloned()
    }

    /// The node's latest report if its agent answered within the last three intervals.
    pub fn live_report(&self, node_id: &str) -> Option<Arc<NodeReport>> {
        let max = self.interval() * 3 + Duration::from_secs(5);
        let nodes = self.nodes.read().unwrap_or_else(|p| p.into_inner());
        let n = nodes.get(node_id)?;
        n.received
            .filter(|r| r.elapsed() <= max)
            .and(n.report.clone())
    }

    /// Every live report's containers by task id (for the service and task pages).
    pub fn tasks(&self) -> HashMap<String, ContainerUsage> {
        let ids: Vec<String> = self
            .nodes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut out = HashMap::new();
        for id in ids {
            if let Some(r) = self.live_report(&id) {
                for c in &r.containers {
                    if let Some(t) = &c.task_id {
                        out.insert(t.clone(), c.clone());
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(node: &str, at: i64, cpu: f64) -> NodeReport {
        NodeReport {
            node_id: node.into(),
            sampled_at_ms: at,
            containers: vec![ContainerUsage {
                id: "c".into(),
                name: "web.1".into(),
                image: "busybox".into(),
                state: "running".into(),
                task_id: Some("t1".into()),
                service_name: Some("web".into()),
                stack: None,
                cpu_percent: Some(cpu),
                memory_bytes: 10,
                memory_limit: 100,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn reports_build_a_bounded_history_and_a_task_index() {
        let u = Usage::new(Duration::from_secs(5));
        for i in 0..(HISTORY as i64 + 10) {
            u.record(report("n1", i, 50.0));
        }
        u.record(report("n1", HISTORY as i64 + 9, 60.0)); // same sampling again: no new point
        let n = u.node("n1").expect("node");
        assert_eq!(n.history.len(), HISTORY);
        assert_eq!(n.history.front().map(|p| p.at_ms), Some(10));
        assert_eq!(u.tasks()["t1"].cpu_percent, Some(60.0));
        u.fail("n1", "gone".into());
        assert_eq!(u.node("n1").and_then(|n| n.error), Some("gone".into()));
        assert!(u.live_report("n1").is_some());
        assert!(u.live_report("n2").is_none());
    }
}
