//! A node's usage card: its containers' real CPU and memory (from the node's berth agent, via
//! the model's usage part) next to the reservations and the capacity, a chart of the last
//! minutes (a server-drawn SVG: no script, no inline style), and every container with its
//! figures. Without an agent the card says so and why; the rest of the page does not need it.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use crate::agent::ContainerUsage;
use crate::model::usage::{Agents, NodeUsage, Point};
use crate::web::fmt;
use crate::web::page::Ctx;
use crate::web::urls;

/// The chart's drawing area (SVG user units).
const W: f64 = 300.0;
const H: f64 = 80.0;

pub struct ContainerRow {
    pub name: String,
    pub image: String,
    pub service: Option<String>,
    pub service_url: Option<String>,
    pub task_id: Option<String>,
    pub cpu: String,
    pub memory: String,
    pub limit: String,
}

pub struct Figures {
    pub cpu_used: String,
    pub cpu_capacity: String,
    pub cpu_reserved: String,
    pub mem_used: String,
    pub mem_capacity: String,
    pub mem_reserved: String,
    pub sampled: String,
    pub cpu_points: String,
    pub mem_points: String,
    pub minutes: String,
    pub containers: Vec<ContainerRow>,
}

pub struct UsageView {
    pub url: String,
    pub figures: Option<Figures>,
    /// why there are no figures (no agent on this node, …)
    pub missing: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "nodes/_usage.html")]
pub struct UsagePartial {
    pub usage: UsageView,
}

/// SVG polyline points for `values` (oldest first) scaled to `max`, the newest at the right
/// edge, one step per sampling of the full history.
pub fn polyline(values: &[f64], max: f64, slots: usize) -> String {
    let max = if max > 0.0 { max } else { 1.0 };
    let step = W / (slots.max(2) - 1) as f64;
    let start = W - step * (values.len().saturating_sub(1)) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let y = H - (v / max).clamp(0.0, 1.0) * H;
            format!("{:.1},{:.1}", start + step * i as f64, y)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn container_row(c: &ContainerUsage) -> ContainerRow {
    ContainerRow {
        name: c.name.clone(),
        image: c.image.clone(),
        service_url: c.service_name.as_deref().map(urls::service),
        service: c.service_name.clone(),
        task_id: c.task_id.clone(),
        cpu: c
            .cpu_percent
            .map(fmt::percent)
            .unwrap_or_else(|| "…".into()),
        memory: fmt::bytes(c.memory_bytes as i64),
        limit: fmt::bytes(c.memory_limit as i64),
    }
}

/// The card's view for node `id` (whose capacity and reservations come from the model).
pub fn view(state: &crate::AppState, id: &str) -> UsageView {
    let url = urls::node_action(id, "usage");
    let usage = state.agents.usage();
    let Some(report) = usage.live_report(id) else {
        let why = match usage.agents() {
            Agents::Off(why) => why,
            Agents::Unknown => "berth is still looking for its agents.".into(),
            Agents::On { service } => match usage.node(id).and_then(|n| n.error) {
                Some(e) => format!("The berth agent on this node does not answer ({e})."),
                None => format!(
                    "No berth agent answers for this node (service {service}): this node lacks an agent."
                ),
            },
        };
        return UsageView {
            url,
            figures: None,
            missing: Some(why),
        };
    };
    let snap = state.model.snapshot();
    let reserved = snap.node_snapshot(id).and_then(|s| {
        let node = s.find(id)?.clone();
        Some(crate::docker::nodes::usage(&node, &s.tasks))
    });
    let history = usage
        .node(id)
        .map(|n: NodeUsage| n.history)
        .unwrap_or_default();
    let cpu: Vec<f64> = history.iter().map(|p: &Point| p.cpu).collect();
    let mem: Vec<f64> = history.iter().map(|p| p.memory as f64).collect();
    let cores = report.cpus.max(1) as f64;
    let interval_s = (report.interval_ms as f64 / 1000.0).max(1.0);
    let span_min = interval_s * crate::model::usage::HISTORY as f64 / 60.0;
    let (cpu_reserved, mem_reserved) = match &reserved {
        Some(u) => (
            format!("{} cores", fmt::cpus(u.reserved_nano_cpus as f64 / 1e9)),
            fmt::bytes(u.reserved_memory),
        ),
        None => ("—".into(), "—".into()),
    };
    let age_s = ((crate::agent::sampler::now_ms() - report.sampled_at_ms).max(0) / 1000) as u64;
    UsageView {
        url,
        missing: None,
        figures: Some(Figures {
            cpu_used: format!(
                "{} ({} cores)",
                fmt::percent(report.cpu_percent() / cores),
                fmt::cpus(report.cpu_percent() / 100.0)
            ),
            cpu_capacity: format!("{} cores", fmt::cpus(cores)),
            cpu_reserved,
            mem_used: fmt::bytes(report.memory_bytes() as i64),
            mem_capacity: fmt::bytes(report.memory_total as i64),
            mem_reserved,
            sampled: format!("{age_s} s ago"),
            cpu_points: polyline(&cpu, cores * 100.0, crate::model::usage::HISTORY),
            mem_points: polyline(
                &mem,
                report.memory_total as f64,
                crate::model::usage::HISTORY,
            ),
            minutes: format!("{span_min:.0}"),
            containers: report.containers.iter().map(container_row).collect(),
        }),
    }
}

/// The nodes page's word on the agents: which nodes lack one, or why there are none.
pub struct AgentsNote {
    pub off: Option<String>,
    pub without: Vec<String>,
}

pub fn agents_note(state: &crate::AppState) -> AgentsNote {
    let usage = state.agents.usage();
    let snap = state.model.snapshot();
    match usage.agents() {
        Agents::Off(why) => AgentsNote {
            off: Some(why),
            without: vec![],
        },
        Agents::Unknown => AgentsNote {
            off: None,
            without: vec![],
        },
        Agents::On { .. } => AgentsNote {
            off: None,
            without: snap
                .nodes()
                .iter()
                .filter(|n| n.is_ready() && usage.live_report(&n.id).is_none())
                .map(|n| n.display_name().to_string())
                .collect(),
        },
    }
}

/// `GET /nodes/{id}/usage`: the card, as the node page polls it.
pub async fn usage(ctx: Ctx, Path(id): Path<String>) -> Response {
    UsagePartial {
        usage: view(&ctx.state, &id),
    }
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_point_is_at_the_right_edge_and_values_are_clamped() {
        assert_eq!(polyline(&[], 100.0, 120), "");
        let p = polyline(&[0.0, 50.0, 200.0], 100.0, 3);
        assert_eq!(p, "0.0,80.0 150.0,40.0 300.0,0.0");
        let one = polyline(&[25.0], 100.0, 120);
        assert_eq!(one, "300.0,60.0");
    }
}
