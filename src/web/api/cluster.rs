//! `/api/v1/nodes`, `/api/v1/services`, `/api/v1/tasks`: what the node and service pages show
//! and the actions they have (node availability; scale, redeploy with or without pull,
//! rollback). Nodes need a read or operate token; a deploy token reads and acts only on the
//! services of its stacks. Every action is audited as the pages audit it, naming the token.

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use serde::Deserialize;

use super::auth::ApiAuth;
use super::cluster_views::{
    ChangedBody, NodeBody, NodesBody, ServiceBody, ServicesBody, TasksBody,
};
use super::error::{ApiError, ApiResult, ErrorBody};
use crate::AppState;
use crate::db::audit::{self, Action};
use crate::docker::nodes::{self, Availability};
use crate::docker::services::{self, ops};
use crate::docker::tasks;

fn docker(state: &AppState) -> ApiResult<bollard::Docker> {
    Ok(state
        .docker
        .manager()
        .map_err(crate::error::AppError::from)?)
}

fn check_id(id: &str) -> ApiResult<()> {
    if crate::docker::services::is_plain_ref(id) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!(
            "There is nothing named {id:?}."
        )))
    }
}

/// A JSON body, read only after the token's scope was checked.
pub(super) async fn body<T: serde::de::DeserializeOwned>(
    state: &AppState,
    req: Request,
) -> ApiResult<T> {
    let Json(v) = Json::<T>::from_request(req, state)
        .await
        .map_err(|e| ApiError::new(e.status(), ApiError::code_of(e.status()), e.body_text()))?;
    Ok(v)
}

/// The audit entry of a token's action (the token's name in the detail, never its value).
pub(super) async fn record(
    state: &AppState,
    auth: &ApiAuth,
    action: Action,
    target: &str,
    outcome: audit::Outcome,
    detail: &str,
) {
    let detail = format!("{detail} (token {})", auth.token_name);
    let entry = audit::Entry {
        username: Some(&auth.username),
        ip: auth.ip.as_deref(),
        action,
        target: Some(target),
        outcome,
        detail: Some(&detail),
    };
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!("audit: {e}");
    }
}

// ---- nodes --------------------------------------------------------------------------------

/// `GET /api/v1/nodes`
#[utoipa::path(
    get,
    path = "/api/v1/nodes",
    tag = "nodes",
    summary = "Nodes",
    security(("token" = [])),
    responses((status = 200, body = NodesBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn nodes(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<Json<NodesBody>> {
    auth.require_read_all()?;
    let list = nodes::list(&docker(&state)?)
        .await
        .map_err(crate::error::AppError::from)?;
    Ok(Json(NodesBody {
        nodes: list.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /api/v1/nodes/{id}`: the node and the tasks placed on it.
#[utoipa::path(
    get,
    path = "/api/v1/nodes/{id}",
    tag = "nodes",
    summary = "A node and the tasks on it",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = NodeBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn node(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<NodeBody>> {
    auth.require_read_all()?;
    check_id(&id)?;
    let docker = docker(&state)?;
    let node = nodes::inspect(&docker, &id)
        .await
        .map_err(crate::error::AppError::from)?;
    let placed = tasks::list(&docker, &[("node", node.id.as_str())])
        .await
        .map_err(crate::error::AppError::from)?;
    Ok(Json(NodeBody {
        node: node.into(),
        tasks: placed.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    /// `active`, `pause` or `drain`
    pub availability: String,
}

/// `POST /api/v1/nodes/{id}/availability` with `{"availability": "drain"}` (operate).
#[utoipa::path(
    post,
    path = "/api/v1/nodes/{id}/availability",
    tag = "nodes",
    summary = "Set a node's availability (active, pause, drain)",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    request_body = AvailabilityBody,
    responses((status = 200, body = NodeBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn availability(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<NodeBody>> {
    auth.require_operate()?;
    check_id(&id)?;
    let b: AvailabilityBody = body(&state, req).await?;
    let to = Availability::parse(&b.availability)
        .map_err(|m| ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid", m))?;
    let docker = docker(&state)?;
    match nodes::set_availability(&docker, &id, to).await {
        Ok(before) => {
            state.model.catch_up([crate::model::Action::Nodes]).await;
            let detail = format!("availability {} → {}", before.availability, to.as_str());
            let name = before.display_name().to_string();
            record(
                &state,
                &auth,
                Action::NodeAvailability,
                &name,
                audit::Outcome::Ok,
                &detail,
            )
            .await;
            node(State(state), auth, Path(id)).await
        }
        Err(e) => {
            record(
                &state,
                &auth,
                Action::NodeAvailability,
                &id,
                audit::Outcome::Failed,
                &e.user_message(),
            )
            .await;
            Err(crate::error::AppError::from(e).into())
        }
    }
}

// ---- services -----------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ServiceFilter {
    pub stack: Option<String>,
}

/// `GET /api/v1/services[?stack=NAME]` (a deploy token: the services of its stacks)
#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "services",
    summary = "Services",
    security(("token" = [])),
    params(("stack" = Option<String>, Query, description = "only this stack's")),
    responses((status = 200, body = ServicesBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn services(
    State(state): State<AppState>,
    auth: ApiAuth,
    q: Result<Query<ServiceFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ServicesBody>> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if let Some(s) = &q.stack {
        auth.require_read_stack(s)?;
    }
    let list = services::list(&docker(&state)?, q.stack.as_deref())
        .await
        .map_err(crate::error::AppError::from)?;
    Ok(Json(ServicesBody {
        services: list
            .into_iter()
            .filter(|s| auth.grant.may_read_stack(&s.stack))
            .map(Into::into)
            .collect(),
    }))
}

/// `GET /api/v1/services/{id}`: the service (by id or name) and its tasks (`service ps`).
#[utoipa::path(
    get,
    path = "/api/v1/services/{id}",
    tag = "services",
    summary = "A service and its tasks",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = ServiceBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn service(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceBody>> {
    check_id(&id)?;
    let (summary, list, _) = services::live(&docker(&state)?, &id)
        .await
        .map_err(crate::error::AppError::from)?;
    auth.require_read_stack(&summary.stack)?;
    Ok(Json(ServiceBody {
        service: summary.into(),
        tasks: list.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScaleBody {
    pub replicas: u64,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RedeployBody {
    /// resolve the image's tag again on its registry (pull and redeploy)
    pub pull: bool,
}

/// A service action of the API.
enum ServiceAct {
    Scale(u64),
    Redeploy,
    PullRedeploy,
    Rollback,
}

impl ServiceAct {
    fn audited_as(&self) -> Action {
        match self {
            ServiceAct::Scale(_) => Action::ServiceScale,
            ServiceAct::Redeploy | ServiceAct::PullRedeploy => Action::ServiceRedeploy,
            ServiceAct::Rollback => Action::ServiceRollback,
        }
    }
}

/// Every service action: a token that makes no changes is refused before anything is looked
/// up; then the action runs with a guard that asks the token about the very spec it writes
/// (its version goes into the update, so Docker refuses it when the service changed after
/// that read: the check and the act are one step). An operate token acts on any service, a
/// deploy token on the services of its stacks. Audited as the pages audit it.
async fn act_on_service(
    state: &AppState,
    auth: &ApiAuth,
    id: &str,
    act: ServiceAct,
) -> ApiResult<Json<ChangedBody>> {
    let docker = docker(state)?;
    let reg = state.deploys.registry_auth().await;
    let guard = |stack: &str| {
        if stack.is_empty() {
            auth.require_operate()
        } else {
            auth.require_change_stack(stack)
        }
        .map_err(|e| e.message)
    };
    let result = match act {
        ServiceAct::Scale(n) => ops::scale_checked(&docker, &reg, &guard, id, n).await,
        ServiceAct::Redeploy => ops::redeploy_checked(&docker, &reg, &guard, id).await,
        ServiceAct::PullRedeploy => ops::pull_redeploy_checked(&docker, &reg, &guard, id).await,
        ServiceAct::Rollback => ops::rollback_checked(&docker, &reg, &guard, id).await,
    };
    finish(state, auth, act.audited_as(), id, result).await
}

/// Checked before a body is read: a plain id, and a token that may change something.
fn may_change(auth: &ApiAuth, id: &str) -> ApiResult<()> {
    check_id(id)?;
    auth.require_some_change()
}

async fn finish(
    state: &AppState,
    auth: &ApiAuth,
    action: Action,
    id: &str,
    result: Result<ops::Changed, ops::ChangeError>,
) -> ApiResult<Json<ChangedBody>> {
    match result {
        Ok(c) => {
            record(state, auth, action, &c.name, audit::Outcome::Ok, &c.detail).await;
            // the next read holds the change
            state
                .model
                .catch_up([crate::model::Action::Service(c.id.clone())])
                .await;
            Ok(Json(ChangedBody {
                id: c.id,
                name: c.name,
                detail: c.detail,
                warnings: c.warnings,
            }))
        }
        Err(e) => {
            let message = e.user_message();
            record(state, auth, action, id, audit::Outcome::Failed, &message).await;
            Err(match e {
                ops::ChangeError::Refused(m) => ApiError::forbidden(m),
                ops::ChangeError::Invalid(m) => {
                    ApiError::new(axum::http::StatusCode::UNPROCESSABLE_ENTITY, "invalid", m)
                }
                ops::ChangeError::Docker(d) => crate::error::AppError::from(d).into(),
            })
        }
    }
}

/// `POST /api/v1/services/{id}/scale` with `{"replicas": 3}`
#[utoipa::path(
    post,
    path = "/api/v1/services/{id}/scale",
    tag = "services",
    summary = "Scale a replicated service",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    request_body = ScaleBody,
    responses((status = 200, body = ChangedBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn scale(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<ChangedBody>> {
    may_change(&auth, &id)?;
    let b: ScaleBody = body(&state, req).await?;
    act_on_service(&state, &auth, &id, ServiceAct::Scale(b.replicas)).await
}

/// `POST /api/v1/services/{id}/redeploy` with `{"pull": true}` (pull and redeploy) or `{}`
/// (restart every task)
#[utoipa::path(
    post,
    path = "/api/v1/services/{id}/redeploy",
    tag = "services",
    summary = "Restart every task, or pull the image's tag again and redeploy",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    request_body = Option<RedeployBody>,
    responses((status = 200, body = ChangedBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn redeploy(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
    req: Request,
) -> ApiResult<Json<ChangedBody>> {
    may_change(&auth, &id)?;
    let empty = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0")
        || !req.headers().contains_key(axum::http::header::CONTENT_TYPE);
    let b: RedeployBody = if empty {
        RedeployBody::default()
    } else {
        body(&state, req).await?
    };
    let act = if b.pull {
        ServiceAct::PullRedeploy
    } else {
        ServiceAct::Redeploy
    };
    act_on_service(&state, &auth, &id, act).await
}

/// `POST /api/v1/services/{id}/rollback`
#[utoipa::path(
    post,
    path = "/api/v1/services/{id}/rollback",
    tag = "services",
    summary = "Roll back to the previous spec",
    security(("token" = [])),
    params(("id" = String, Path, description = "id or name")),
    responses((status = 200, body = ChangedBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn rollback(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<ChangedBody>> {
    may_change(&auth, &id)?;
    act_on_service(&state, &auth, &id, ServiceAct::Rollback).await
}

// ---- tasks --------------------------------------------------------------------------------

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TaskFilter {
    pub service: Option<String>,
    pub node: Option<String>,
    pub stack: Option<String>,
}

/// `GET /api/v1/tasks[?service=&node=&stack=]` (a deploy token: the tasks of its stacks)
#[utoipa::path(
    get,
    path = "/api/v1/tasks",
    tag = "tasks",
    summary = "Tasks, filtered by service, node or stack",
    security(("token" = [])),
    params(("service" = Option<String>, Query), ("node" = Option<String>, Query), ("stack" = Option<String>, Query)),
    responses((status = 200, body = TasksBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn tasks(
    State(state): State<AppState>,
    auth: ApiAuth,
    q: Result<Query<TaskFilter>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<TasksBody>> {
    let Query(q) = q.map_err(|e| ApiError::bad_request(e.body_text()))?;
    for v in [&q.service, &q.node, &q.stack].into_iter().flatten() {
        check_id(v)?;
    }
    if let Some(s) = &q.stack {
        auth.require_read_stack(s)?;
    }
    let docker = docker(&state)?;
    // the stack of each service: to filter by stack and to keep a deploy token to its own
    let all = services::list(&docker, q.stack.as_deref())
        .await
        .map_err(crate::error::AppError::from)?;
    let allowed: std::collections::HashMap<String, String> = all
        .into_iter()
        .filter(|s| auth.grant.may_read_stack(&s.stack))
        .map(|s| (s.id, s.name))
        .collect();
    let mut filters: Vec<(&str, &str)> = Vec::new();
    if let Some(s) = &q.service {
        filters.push(("service", s));
    }
    if let Some(n) = &q.node {
        filters.push(("node", n));
    }
    let mut list = tasks::list(&docker, &filters)
        .await
        .map_err(crate::error::AppError::from)?;
    list.retain(|t| allowed.contains_key(&t.service_id));
    if let Some(s) = &q.service {
        // the service filter also matches by prefix: keep the service named or given by id
        list.retain(|t| t.service_id == *s || allowed.get(&t.service_id).is_some_and(|n| n == s));
    }
    tasks::sort_like_service_ps(&mut list);
    Ok(Json(TasksBody {
        tasks: list.into_iter().map(Into::into).collect(),
    }))
}
