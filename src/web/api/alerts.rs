//! `GET /api/v1/alerts`: the active alerts and the newest resolved ones, as the alerts page
//! lists them (a read or operate token; a deploy token reads only its stacks').

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::ApiAuth;
use super::error::{ApiResult, ErrorBody};
use crate::AppState;
use crate::db::alerts as store;

/// How many resolved alerts the answer carries.
const HISTORY: i64 = 100;

/// One alert.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlertBody {
    pub id: i64,
    /// the rule that raised it: task_failures, replicas_below, node_down, managers,
    /// update_problem, update_stuck, reservations, docker_lost
    pub rule: String,
    /// the service or node name
    pub subject: String,
    /// the subject's stack, empty outside stacks
    pub stack: String,
    pub title: String,
    /// with Docker's error as given
    pub detail: String,
    /// berth's page about the subject
    pub link: String,
    /// unix seconds
    pub raised_at: i64,
    pub resolved_at: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AlertsBody {
    pub active: Vec<AlertBody>,
    /// the newest resolved alerts, newest first
    pub resolved: Vec<AlertBody>,
}

fn body(a: store::Alert) -> AlertBody {
    AlertBody {
        id: a.id,
        rule: a.rule,
        subject: a.subject,
        stack: a.stack,
        title: a.title,
        detail: a.detail,
        link: a.link,
        raised_at: a.raised_at,
        resolved_at: a.resolved_at,
    }
}

/// `GET /api/v1/alerts`
#[utoipa::path(
    get,
    path = "/api/v1/alerts",
    tag = "alerts",
    summary = "Active and recently resolved alerts",
    security(("token" = [])),
    responses((status = 200, body = AlertsBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth failed", body = ErrorBody))
)]
pub async fn list(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<Json<AlertsBody>> {
    let all = auth.grant.may_read_all();
    let keep =
        |a: &store::Alert| all || (!a.stack.is_empty() && auth.grant.may_read_stack(&a.stack));
    let active = store::active(&state.db).await?;
    let resolved = store::history(&state.db, HISTORY).await?;
    Ok(Json(AlertsBody {
        active: active.into_iter().filter(|a| keep(a)).map(body).collect(),
        resolved: resolved.into_iter().filter(|a| keep(a)).map(body).collect(),
    }))
}
