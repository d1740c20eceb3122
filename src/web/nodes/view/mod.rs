//! What the nodes templates show: rows of the list, a node's tasks and resource bars; the
//! list's filters and sort ([`list`]) and the cluster map ([`map`]). Built from a
//! [`Snapshot`](crate::docker::nodes::Snapshot); no Docker calls here.

mod list;
mod map;
#[cfg(test)]
mod tests;

pub use list::{ListQuery, Summary, Table};
pub use map::{Map, MapQuery};

use crate::docker::nodes::{self, NodeInfo, Snapshot, Usage};
use crate::docker::tasks::TaskInfo;
use crate::docker::time::age;
use crate::web::{fmt, urls};

/// A CSS pill class for a node state.
pub fn state_class(state: &str) -> &'static str {
    match state {
        "ready" => "ok",
        "down" => "bad",
        _ => "warn",
    }
}

pub fn availability_class(a: &str) -> &'static str {
    match a {
        "active" => "ok",
        "pause" => "warn",
        _ => "info",
    }
}

pub fn reachability_class(r: &str) -> &'static str {
    match r {
        "reachable" => "ok",
        "unreachable" => "bad",
        _ => "warn",
    }
}

/// A reserved-vs-capacity bar: numbers for `<meter>` and the words next to it.
#[derive(Debug, Clone, Default)]
pub struct Bar {
    pub value: f64,
    pub max: f64,
    pub low: f64,
    pub high: f64,
    /// "0.5 of 2 CPUs"
    pub text: String,
    pub percent: u64,
}

impl Bar {
    fn new(value: f64, max: f64, text: String) -> Bar {
        let cap = if max > 0.0 { max } else { 1.0 };
        Bar {
            value: value.max(0.0),
            max: cap,
            low: cap * 0.6,
            high: cap * 0.85,
            percent: ((value / cap) * 100.0).round().max(0.0) as u64,
            text,
        }
    }

    pub fn cpu(u: &Usage) -> Bar {
        let r = u.reserved_nano_cpus as f64 / 1e9;
        let c = u.nano_cpus as f64 / 1e9;
        Bar::new(r, c, format!("{} of {} CPUs", fmt::cpus(r), fmt::cpus(c)))
    }

    pub fn memory(u: &Usage) -> Bar {
        Bar::new(
            u.reserved_memory as f64,
            u.memory_bytes as f64,
            format!(
                "{} of {}",
                fmt::bytes(u.reserved_memory),
                fmt::bytes(u.memory_bytes)
            ),
        )
    }
}

/// One row of the list.
#[derive(Debug, Clone)]
pub struct NodeRow {
    pub node: NodeInfo,
    pub url: String,
    /// berth talks to the swarm through this node
    pub is_berth: bool,
    pub usage: Usage,
    pub cpu: Bar,
    pub memory: Bar,
}

impl NodeRow {
    pub fn new(node: &NodeInfo, tasks: &[TaskInfo], berth_node: &str) -> NodeRow {
        let usage = nodes::usage(node, tasks);
        NodeRow {
            url: urls::node(&node.id),
            is_berth: !berth_node.is_empty() && node.id == berth_node,
            cpu: Bar::cpu(&usage),
            memory: Bar::memory(&usage),
            usage,
            node: node.clone(),
        }
    }

    pub fn state_class(&self) -> &'static str {
        state_class(&self.node.state)
    }

    pub fn availability_class(&self) -> &'static str {
        availability_class(&self.node.availability)
    }

    pub fn reachability_class(&self) -> &'static str {
        reachability_class(&self.node.reachability)
    }

    pub fn cpus(&self) -> String {
        fmt::cpus(self.node.nano_cpus as f64 / 1e9)
    }

    pub fn memory_total(&self) -> String {
        fmt::bytes(self.node.memory_bytes)
    }

    /// "4 CPUs and 1.0 GiB": the sum of the limits of the tasks here; empty without limits.
    pub fn limits(&self) -> String {
        let mut parts = Vec::new();
        if self.usage.limit_nano_cpus > 0 {
            parts.push(format!(
                "{} CPUs",
                fmt::cpus(self.usage.limit_nano_cpus as f64 / 1e9)
            ));
        }
        if self.usage.limit_memory > 0 {
            parts.push(fmt::bytes(self.usage.limit_memory));
        }
        parts.join(" and ")
    }

    /// Tasks on the node that are not running (yet): starting, preparing…
    pub fn not_running(&self) -> usize {
        self.usage.tasks - self.usage.running
    }
}

/// Counts over every node (not only the filtered ones).
// ---- a node's tasks ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct TaskRow {
    pub id: String,
    pub name: String,
    pub service_name: String,
    pub service_url: String,
    pub slot: String,
    pub state: String,
    pub state_class: &'static str,
    pub desired: String,
    pub age: String,
    pub image: String,
    pub problem: String,
    pub reserved: String,
    pub current: bool,
    /// the task's console and container log (through the node's agent)
    pub console_url: String,
    pub log_url: String,
    pub service_id: String,
    /// the caller may open a console into it (set by the page for its caller)
    pub console: bool,
}

impl TaskRow {
    pub fn new(t: &TaskInfo, snap: &Snapshot) -> TaskRow {
        let service = snap.service_name(&t.service_id);
        let mut reserved = Vec::new();
        if t.reserved_nano_cpus > 0 {
            reserved.push(format!(
                "{} CPU",
                fmt::cpus(t.reserved_nano_cpus as f64 / 1e9)
            ));
        }
        if t.reserved_memory > 0 {
            reserved.push(fmt::bytes(t.reserved_memory));
        }
        TaskRow {
            id: t.id.clone(),
            name: t.display_name(service),
            service_name: service.to_string(),
            service_url: urls::service(&t.service_id),
            slot: t.slot.map(|s| s.to_string()).unwrap_or_default(),
            state: t.state.clone(),
            state_class: t.state_class(),
            desired: t.desired_state.clone(),
            age: t.since.map(age).unwrap_or_default(),
            image: short_image(&t.image).to_string(),
            problem: t.problem().to_string(),
            reserved: reserved.join(" · "),
            current: is_current(t),
            console_url: urls::task_console(&t.service_id, &t.id),
            log_url: urls::task_log(&t.service_id, &t.id),
            service_id: t.service_id.clone(),
            console: true,
        }
    }
}

/// A task of the node's present rather than its history.
pub fn is_current(t: &TaskInfo) -> bool {
    t.occupies_node() || t.desired_state == "running"
}

/// `nginx:1.27@sha256:…` → `nginx:1.27`
pub fn short_image(image: &str) -> &str {
    image.split('@').next().unwrap_or(image)
}
