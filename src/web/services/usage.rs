//! A service's usage card: CPU and memory of each of its running tasks, as the nodes' berth
//! agents last reported them (the model's usage part; polled by the page, no Docker call).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};

use crate::model::usage::Agents;
use crate::web::fmt;
use crate::web::page::Ctx;
use crate::web::urls;

pub struct TaskUsageRow {
    pub container: String,
    pub task_id: String,
    pub node: String,
    pub cpu: String,
    pub memory: String,
}

pub struct ServiceUsage {
    pub url: String,
    pub rows: Vec<TaskUsageRow>,
    /// nodes running its tasks whose agent does not report
    pub missing_nodes: Vec<String>,
    pub off: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/_usage.html")]
pub struct UsagePartial {
    pub usage: ServiceUsage,
}

/// The card for service `id` (id or name, as the model knows it).
pub fn view(state: &crate::AppState, id: &str) -> ServiceUsage {
    let url = urls::service_action(id, "usage");
    let snap = state.model.snapshot();
    let usage = state.agents.usage();
    let off = match usage.agents() {
        Agents::Off(why) => Some(why),
        _ => None,
    };
    let Some((_, tasks, nodes)) = snap.service_live(id) else {
        return ServiceUsage {
            url,
            rows: vec![],
            missing_nodes: vec![],
            off,
        };
    };
    let by_task = usage.tasks();
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for t in tasks.iter().filter(|t| t.is_running()) {
        let node = nodes
            .get(&t.node_id)
            .cloned()
            .unwrap_or_else(|| t.node_id.chars().take(12).collect());
        match by_task.get(&t.id) {
            Some(c) => rows.push(TaskUsageRow {
                container: c.name.clone(),
                task_id: t.id.clone(),
                node,
                cpu: c
                    .cpu_percent
                    .map(fmt::percent)
                    .unwrap_or_else(|| "…".into()),
                memory: fmt::bytes(c.memory_bytes as i64),
            }),
            None if usage.live_report(&t.node_id).is_none() && !missing.contains(&node) => {
                missing.push(node);
            }
            None => {}
        }
    }
    rows.sort_by(|a, b| a.container.cmp(&b.container));
    ServiceUsage {
        url,
        rows,
        missing_nodes: missing,
        off,
    }
}

/// `GET /services/{id}/usage`
pub async fn usage(ctx: Ctx, Path(id): Path<String>) -> Response {
    UsagePartial {
        usage: view(&ctx.state, &id),
    }
    .into_response()
}
