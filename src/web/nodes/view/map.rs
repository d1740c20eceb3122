//! The cluster map: one column per node, tasks grouped by service and coloured by state.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::NodeRow;
use crate::docker::nodes::Snapshot;
use crate::docker::tasks::TaskInfo;
use crate::docker::time::age;
use crate::web::session::urlencode;
use crate::web::urls;

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

pub(super) fn color_of(id: &str) -> u64 {
    // FNV-1a: stable across runs and machines
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h % PALETTE
}
