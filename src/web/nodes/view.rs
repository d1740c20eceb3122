//! What the nodes templates show: rows, filters and sort of the list, the map's columns, a
//! node's tasks and resource bars. Built from a [`Snapshot`]; no Docker calls here.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::super::fmt;
use super::super::session::urlencode;
use super::super::urls;
use crate::docker::nodes::{self, NodeInfo, Snapshot, Usage, checks};
use crate::docker::tasks::TaskInfo;
use crate::docker::time::age;

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

// ---- map ------------------------------------------------------------------------------------

/// Colours a service keeps across columns and refreshes (a hash of its ID onto a palette).
pub const PALETTE: u64 = 10;

#[derive(Debug, Clone)]
pub struct MapTask {
    pub name: String,
    pub state: String,
    pub class: &'static str,
    /// "web.3 · running for 5 min" and the error if any (the box's tooltip)
    pub title: String,
    /// what fits in the box: the slot number, or • for a global task
    pub short: String,
}

#[derive(Debug, Clone)]
pub struct MapGroup {
    pub service_name: String,
    pub service_url: String,
    pub color: u64,
    pub tasks: Vec<MapTask>,
}

#[derive(Debug, Clone)]
pub struct MapColumn {
    pub row: Option<NodeRow>,
    pub groups: Vec<MapGroup>,
    pub tasks: usize,
}

impl MapColumn {
    pub fn running(&self) -> usize {
        self.groups
            .iter()
            .flat_map(|g| &g.tasks)
            .filter(|t| t.state == "running")
            .count()
    }
}

/// `/nodes/map?service=`: only the services whose name contains this.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MapQuery {
    pub service: String,
}

impl MapQuery {
    pub fn live_url(&self) -> String {
        let s = self.service.trim();
        if s.is_empty() {
            urls::NODES_MAP_LIVE.to_string()
        } else {
            format!("{}?service={}", urls::NODES_MAP_LIVE, urlencode(s))
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Map {
    pub query: MapQuery,
    pub columns: Vec<MapColumn>,
    /// tasks swarm could not place (pending without a node)
    pub unplaced: Option<MapColumn>,
    pub services: usize,
    pub unavailable: Option<String>,
}

impl Map {
    pub fn build(snap: &Snapshot, query: MapQuery, berth_node: &str) -> Map {
        let wanted = query.service.trim().to_lowercase();
        let mut by_node: BTreeMap<&str, Vec<&TaskInfo>> = BTreeMap::new();
        for t in &snap.tasks {
            if !wanted.is_empty()
                && !snap
                    .service_name(&t.service_id)
                    .to_lowercase()
                    .contains(&wanted)
            {
                continue;
            }
            by_node.entry(t.node_id.as_str()).or_default().push(t);
        }
        let columns = snap
            .nodes
            .iter()
            .map(|n| {
                let tasks = by_node.get(n.id.as_str()).cloned().unwrap_or_default();
                column(snap, Some(NodeRow::new(n, &snap.tasks, berth_node)), &tasks)
            })
            .collect();
        let unplaced = by_node
            .get("")
            .filter(|t| !t.is_empty())
            .map(|t| column(snap, None, t));
        let services = by_node
            .values()
            .flatten()
            .map(|t| t.service_id.as_str())
            .collect::<std::collections::HashSet<_>>()
            .len();
        Map {
            query,
            columns,
            unplaced,
            services,
            unavailable: None,
        }
    }
}

fn column(snap: &Snapshot, row: Option<NodeRow>, tasks: &[&TaskInfo]) -> MapColumn {
    let mut groups: BTreeMap<(&str, &str), Vec<&TaskInfo>> = BTreeMap::new();
    for t in tasks {
        groups
            .entry((snap.service_name(&t.service_id), t.service_id.as_str()))
            .or_default()
            .push(t);
    }
    let groups = groups
        .into_iter()
        .map(|((name, id), mut ts)| {
            ts.sort_by_key(|t| (t.slot.unwrap_or(0), t.id.clone()));
            MapGroup {
                service_name: name.to_string(),
                service_url: urls::service(id),
                color: color_of(id),
                tasks: ts.iter().map(|t| map_task(t, name)).collect(),
            }
        })
        .collect();
    MapColumn {
        row,
        groups,
        tasks: tasks.len(),
    }
}

fn map_task(t: &TaskInfo, service: &str) -> MapTask {
    let name = t.display_name(service);
    let mut title = format!("{name} · {}", t.state);
    if let Some(since) = t.since {
        title.push_str(&format!(" for {}", age(since)));
    }
    if !t.problem().is_empty() {
        title.push_str(&format!(" · {}", t.problem()));
    }
    MapTask {
        short: t.slot.map(|s| s.to_string()).unwrap_or_else(|| "•".into()),
        state: t.state.clone(),
        class: t.state_class(),
        title,
        name,
    }
}

fn color_of(id: &str) -> u64 {
    // FNV-1a: stable across runs and machines
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h % PALETTE
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::docker::nodes::Role;

    fn node(id: &str, host: &str, role: Role, cpus: i64, labels: &[(&str, &str)]) -> NodeInfo {
        NodeInfo {
            id: id.into(),
            hostname: host.into(),
            role,
            state: "ready".into(),
            availability: "active".into(),
            nano_cpus: cpus * 1_000_000_000,
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..Default::default()
        }
    }

    fn snap() -> Snapshot {
        Snapshot {
            nodes: vec![
                node("a", "alpha", Role::Manager, 2, &[]),
                node("b", "bravo", Role::Worker, 8, &[("zone", "edge")]),
                node("c", "charlie", Role::Worker, 4, &[("zone", "core")]),
            ],
            tasks: vec![TaskInfo {
                id: "t1".into(),
                service_id: "s1".into(),
                node_id: "b".into(),
                slot: Some(1),
                state: "running".into(),
                desired_state: "running".into(),
                ..Default::default()
            }],
            services: [("s1".to_string(), "web".to_string())].into(),
        }
    }

    fn names(t: &Table) -> Vec<&str> {
        t.rows.iter().map(|r| r.node.hostname.as_str()).collect()
    }

    #[test]
    fn filters_by_role_label_and_text() {
        let s = snap();
        let q = |f: fn(&mut ListQuery)| {
            let mut q = ListQuery::default();
            f(&mut q);
            q
        };
        let t = Table::build(&s, q(|q| q.role = "worker".into()), "");
        assert_eq!(names(&t), ["bravo", "charlie"]);
        let t = Table::build(&s, q(|q| q.label = "zone".into()), "");
        assert_eq!(names(&t), ["bravo", "charlie"]);
        let t = Table::build(&s, q(|q| q.label = "zone=core".into()), "");
        assert_eq!(names(&t), ["charlie"]);
        let t = Table::build(&s, q(|q| q.q = "ALP".into()), "");
        assert_eq!(names(&t), ["alpha"]);
        let t = Table::build(&s, q(|q| q.status = "down".into()), "");
        assert!(t.rows.is_empty());
        assert_eq!(t.summary.total, 3, "the summary counts every node");
    }

    #[test]
    fn sorts_by_column_both_ways() {
        let s = snap();
        let mut q = ListQuery {
            sort: "cpus".into(),
            ..Default::default()
        };
        assert_eq!(
            names(&Table::build(&s, q.clone(), "")),
            ["alpha", "charlie", "bravo"]
        );
        q.dir = "desc".into();
        assert_eq!(
            names(&Table::build(&s, q.clone(), "")),
            ["bravo", "charlie", "alpha"]
        );
        q.sort = "name".into();
        assert_eq!(
            names(&Table::build(&s, q.clone(), "")),
            ["charlie", "bravo", "alpha"]
        );
        q.sort = "tasks".into();
        assert_eq!(names(&Table::build(&s, q, ""))[0], "bravo");
    }

    #[test]
    fn sort_links_keep_filters_and_flip_direction() {
        let q = ListQuery {
            role: "worker".into(),
            sort: "cpus".into(),
            ..Default::default()
        };
        assert_eq!(q.sort_url("cpus"), "/nodes?role=worker&sort=cpus&dir=desc");
        assert_eq!(
            q.sort_url("memory"),
            "/nodes?role=worker&sort=memory&dir=asc"
        );
        assert_eq!(q.aria_sort("cpus"), "ascending");
        assert_eq!(q.live_url(), "/nodes/live?role=worker&sort=cpus");
        assert_eq!(ListQuery::default().live_url(), "/nodes/live");
    }

    #[test]
    fn the_map_groups_tasks_by_service_per_node() {
        let m = Map::build(&snap(), MapQuery::default(), "a");
        assert_eq!(m.columns.len(), 3);
        let bravo = &m.columns[1];
        assert_eq!(bravo.groups.len(), 1);
        assert_eq!(bravo.groups[0].service_name, "web");
        assert_eq!(bravo.groups[0].tasks[0].name, "web.1");
        assert_eq!(bravo.running(), 1);
        assert!(m.columns[0].row.as_ref().unwrap().is_berth);
        assert!(m.unplaced.is_none());
        assert_eq!(color_of("s1"), color_of("s1"));
        let none = Map::build(
            &snap(),
            MapQuery {
                service: "db".into(),
            },
            "a",
        );
        assert_eq!((none.services, none.columns[1].tasks), (0, 0));
        let web = Map::build(
            &snap(),
            MapQuery {
                service: "WE".into(),
            },
            "a",
        );
        assert_eq!(web.columns[1].tasks, 1);
    }

    #[test]
    fn bars_compare_reserved_with_capacity() {
        let u = Usage {
            nano_cpus: 2_000_000_000,
            reserved_nano_cpus: 500_000_000,
            memory_bytes: 1 << 30,
            reserved_memory: 256 << 20,
            ..Default::default()
        };
        let c = Bar::cpu(&u);
        assert_eq!(c.text, "0.5 of 2 CPUs");
        assert_eq!(c.percent, 25);
        assert_eq!(Bar::memory(&u).text, "256 MiB of 1.0 GiB");
    }
}
