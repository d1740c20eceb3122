//! `GET /api/v1/nodes/{id}/containers`: every container on a node with its CPU and memory, as
//! the node's berth agent last reported them (read from the model, no call per request).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiAuth;
use super::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;
use crate::agent::ContainerUsage;

#[derive(Debug, Serialize, ToSchema)]
pub struct NodeContainersBody {
    pub node_id: String,
    pub hostname: String,
    /// when the agent sampled them (RFC 3339)
    pub sampled_at: String,
    pub interval_seconds: f64,
    pub cpus: u32,
    pub memory_total: u64,
    pub containers: Vec<ContainerUsage>,
}

/// `GET /api/v1/nodes/{id}/containers`
#[utoipa::path(
    get,
    path = "/api/v1/nodes/{id}/containers",
    tag = "nodes",
    summary = "The node's containers with CPU (percent of one core) and memory, from its berth agent",
    security(("token" = [])),
    params(("id" = String, Path, description = "node id or hostname")),
    responses((status = 200, body = NodeContainersBody), (status = 503, description = "no agent answers for this node (code no_agent)", body = ErrorBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody))
)]
pub async fn node_containers(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<NodeContainersBody>> {
    auth.require_read_all()?;
    if !crate::docker::services::is_plain_ref(&id) {
        return Err(ApiError::not_found(format!("There is no node {id:?}.")));
    }
    let snap = state.model.snapshot();
    let Some(node) = snap.node(&id) else {
        return Err(ApiError::not_found(format!("There is no node {id:?}.")));
    };
    let Some(report) = state.agents.usage().live_report(&node.id) else {
        let why = state
            .agents
            .usage()
            .node(&node.id)
            .and_then(|n| n.error)
            .unwrap_or_else(|| "no berth agent reports for this node".into());
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no_agent",
            format!("{}: {why}", node.display_name()),
        ));
    };
    Ok(Json(NodeContainersBody {
        node_id: node.id.clone(),
        hostname: report.hostname.clone(),
        sampled_at: crate::web::fmt::rfc3339_ms(report.sampled_at_ms),
        interval_seconds: report.interval_ms as f64 / 1000.0,
        cpus: report.cpus,
        memory_total: report.memory_total,
        containers: report.containers.clone(),
    }))
}
