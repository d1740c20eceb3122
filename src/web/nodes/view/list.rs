//! The list's filters, sort and summary.

use serde::Deserialize;

use super::NodeRow;
use crate::docker::nodes::{NodeInfo, Snapshot, checks};
use crate::web::session::urlencode;
use crate::web::urls;

/// `/nodes?role=&status=&availability=&label=&q=&sort=&dir=`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub role: String,
    pub status: String,
    pub availability: String,
    /// `key` (has the label) or `key=value`
    pub label: String,
    /// part of the hostname, ID or address
    pub q: String,
    pub sort: String,
    pub dir: String,
}

pub const SORT_KEYS: [&str; 9] = [
    "name",
    "role",
    "status",
    "availability",
    "engine",
    "addr",
    "cpus",
    "memory",
    "tasks",
];

impl ListQuery {
    pub fn sort_key(&self) -> &str {
        if SORT_KEYS.contains(&self.sort.as_str()) {
            &self.sort
        } else {
            "name"
        }
    }

    pub fn descending(&self) -> bool {
        self.dir == "desc"
    }

    pub fn is_filtered(&self) -> bool {
        !(self.role.is_empty()
            && self.status.is_empty()
            && self.availability.is_empty()
            && self.label.trim().is_empty()
            && self.q.trim().is_empty())
    }

    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [
            ("role", self.role.as_str()),
            ("status", self.status.as_str()),
            ("availability", self.availability.as_str()),
            ("label", self.label.as_str()),
            ("q", self.q.as_str()),
            ("sort", self.sort.as_str()),
            ("dir", self.dir.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect()
    }

    /// The query string (without `?`) of these filters and sort, for links and the live poll.
    pub fn query_string(&self) -> String {
        self.pairs()
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The URL that sorts by `key`: ascending first, descending when already ascending.
    pub fn sort_url(&self, key: &str) -> String {
        let dir = if self.sort_key() == key && !self.descending() {
            "desc"
        } else {
            "asc"
        };
        let mut q = self.clone();
        q.sort = key.to_string();
        q.dir = dir.to_string();
        format!("{}?{}", urls::NODES, q.query_string())
    }

    /// `aria-sort` of a column header.
    pub fn aria_sort(&self, key: &str) -> &'static str {
        match (self.sort_key() == key, self.descending()) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }

    pub fn live_url(&self) -> String {
        let qs = self.query_string();
        if qs.is_empty() {
            urls::NODES_LIVE.to_string()
        } else {
            format!("{}?{qs}", urls::NODES_LIVE)
        }
    }

    fn matches(&self, n: &NodeInfo) -> bool {
        if !self.role.is_empty() && n.role.as_str() != self.role {
            return false;
        }
        if !self.status.is_empty() && n.state != self.status {
            return false;
        }
        if !self.availability.is_empty() && n.availability != self.availability {
            return false;
        }
        let label = self.label.trim();
        if !label.is_empty() {
            let ok = match label.split_once('=') {
                Some((k, v)) => n.label(k.trim()) == Some(v.trim()),
                None => n.label(label).is_some(),
            };
            if !ok {
                return false;
            }
        }
        let q = self.q.trim().to_lowercase();
        if !q.is_empty()
            && !n.hostname.to_lowercase().contains(&q)
            && !n.name.to_lowercase().contains(&q)
            && !n.id.to_lowercase().starts_with(&q)
            && !n.addr.contains(&q)
        {
            return false;
        }
        true
    }
}

#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub total: usize,
    pub managers: usize,
    pub reachable_managers: usize,
    pub workers: usize,
    pub ready: usize,
    pub down: usize,
    pub other: usize,
    pub drained: usize,
    pub paused: usize,
    pub fault_tolerance: usize,
}

impl Summary {
    pub fn of(nodes: &[NodeInfo]) -> Summary {
        let mut s = Summary {
            total: nodes.len(),
            ..Default::default()
        };
        for n in nodes {
            if n.is_manager() {
                s.managers += 1;
            } else {
                s.workers += 1;
            }
            if n.is_reachable_manager() {
                s.reachable_managers += 1;
            }
            match n.state.as_str() {
                "ready" => s.ready += 1,
                "down" => s.down += 1,
                _ => s.other += 1,
            }
            match n.availability.as_str() {
                "drain" => s.drained += 1,
                "pause" => s.paused += 1,
                _ => {}
            }
        }
        s.fault_tolerance = checks::fault_tolerance(s.managers);
        s
    }

    pub fn quorum_at_risk(&self) -> bool {
        self.managers > 0 && self.reachable_managers < checks::quorum(self.managers)
    }
}

/// The live part of the list page: summary and table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub query: ListQuery,
    pub summary: Summary,
    pub rows: Vec<NodeRow>,
    /// label keys and key=value pairs in use, for the filter's suggestions
    pub label_choices: Vec<String>,
    /// set when Docker could not be asked
    pub unavailable: Option<String>,
}

impl Table {
    pub fn build(snap: &Snapshot, query: ListQuery, berth_node: &str) -> Table {
        let mut rows: Vec<NodeRow> = snap
            .nodes
            .iter()
            .filter(|n| query.matches(n))
            .map(|n| NodeRow::new(n, &snap.tasks, berth_node))
            .collect();
        sort_rows(&mut rows, query.sort_key(), query.descending());
        let mut choices = std::collections::BTreeSet::new();
        for n in &snap.nodes {
            for (k, v) in &n.labels {
                choices.insert(k.clone());
                choices.insert(format!("{k}={v}"));
            }
        }
        Table {
            summary: Summary::of(&snap.nodes),
            rows,
            label_choices: choices.into_iter().collect(),
            query,
            unavailable: None,
        }
    }

    pub fn unavailable(query: ListQuery, message: String) -> Table {
        Table {
            query,
            unavailable: Some(message),
            ..Default::default()
        }
    }
}

fn sort_rows(rows: &mut [NodeRow], key: &str, desc: bool) {
    rows.sort_by(|a, b| {
        let (x, y) = (&a.node, &b.node);
        let ord = match key {
            "role" => (x.role, !x.leader).cmp(&(y.role, !y.leader)),
            "status" => x.state.cmp(&y.state),
            "availability" => x.availability.cmp(&y.availability),
            "engine" => version_key(&x.engine_version).cmp(&version_key(&y.engine_version)),
            "addr" => addr_key(&x.addr).cmp(&addr_key(&y.addr)),
            "cpus" => x.nano_cpus.cmp(&y.nano_cpus),
            "memory" => x.memory_bytes.cmp(&y.memory_bytes),
            "tasks" => a.usage.tasks.cmp(&b.usage.tasks),
            _ => std::cmp::Ordering::Equal,
        };
        let ord = if desc { ord.reverse() } else { ord };
        // ties (and "name") by hostname, always ascending within the same key
        ord.then_with(|| {
            let o = x.hostname.cmp(&y.hostname);
            if key == "name" && desc {
                o.reverse()
            } else {
                o
            }
        })
    });
}

/// "20.10.9" → [20, 10, 9] so that 20.10 sorts after 9.3.
fn version_key(v: &str) -> Vec<u64> {
    v.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

fn addr_key(a: &str) -> Vec<u64> {
    version_key(a)
}
