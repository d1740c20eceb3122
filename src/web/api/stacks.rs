//! `/api/v1/stacks`: list, inspect (`stack services` + `stack ps`), deploy and remove, through
//! the same job pipeline as the pages (`state.deploys`).

use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::auth::ApiAuth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::views::{JobBody, JobView, StackDetail, StacksBody, VersionView, VersionsBody};
use crate::AppState;
use crate::db;
use crate::stack::jobs::{DeployError, DeployRequest, Images, Job, Outcome};
use crate::web::policy::{Caller, claim};

/// `?wait=true`: answer when the job has ended.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct WaitQuery {
    pub wait: bool,
}

/// The body of a deploy.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeployBody {
    pub compose: String,
    #[serde(default)]
    pub env: String,
    #[serde(default)]
    pub prune: bool,
    /// Resolve every image tag on its registry again (services whose digest moved update).
    #[serde(default)]
    pub pull: bool,
    /// A deployer's new stack: the team it belongs to (one of theirs; default: their first).
    #[serde(default)]
    pub team: String,
}

/// A stack name from the URL: what berth would accept as a name, or 404.
fn stack_name(name: &str) -> ApiResult<&str> {
    crate::compose::source::stack_name_rules(name)
        .map(|_| name)
        .map_err(|_| ApiError::not_found(format!("There is no stack {name:?}.")))
}

fn wait_query(
    q: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<bool> {
    q.map(|Query(q)| q.wait)
        .map_err(|e| ApiError::bad_request(e.body_text()))
}

/// `GET /api/v1/stacks` (a deploy token sees its stacks only)
#[utoipa::path(
    get,
    path = "/api/v1/stacks",
    tag = "stacks",
    summary = "Stacks (a deploy token sees its own)",
    security(("token" = [])),
    responses((status = 200, body = StacksBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn list(State(state): State<AppState>, auth: ApiAuth) -> ApiResult<Json<StacksBody>> {
    let stacks = crate::stack::list(&state.docker)
        .await?
        .into_iter()
        .filter(|s| auth.grant.may_read_stack(&s.name))
        .map(Into::into)
        .collect();
    Ok(Json(StacksBody { stacks }))
}

/// `GET /api/v1/stacks/{name}`
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{name}",
    tag = "stacks",
    summary = "A stack: its services and tasks",
    security(("token" = [])),
    params(("name" = String, Path, description = "stack name")),
    responses((status = 200, body = StackDetail), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(name): Path<String>,
) -> ApiResult<Json<StackDetail>> {
    auth.require_read_stack(&name)?;
    let name = stack_name(&name)?;
    let services = crate::stack::services(&state.docker, name).await?;
    let tasks = match crate::stack::ps(&state.docker, name).await {
        Ok(t) => t,
        Err(crate::stack::StackError::NotFound(_)) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    if services.is_empty() && tasks.is_empty() {
        return Err(ApiError::not_found(format!(
            "Nothing found in stack: {name}"
        )));
    }
    let version = db::stacks::latest(&state.db, name)
        .await?
        .map(|v| v.version);
    Ok(Json(StackDetail {
        name: name.to_string(),
        version,
        services: services.into_iter().map(Into::into).collect(),
        tasks: tasks.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /api/v1/stacks/{name}/versions`: the versions berth stored, newest first, with the
/// commit of a git-backed stack's.
#[utoipa::path(
    get,
    path = "/api/v1/stacks/{name}/versions",
    tag = "stacks",
    summary = "A stack's stored versions (history), newest first",
    security(("token" = [])),
    params(("name" = String, Path, description = "stack name")),
    responses((status = 200, body = VersionsBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn versions(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(name): Path<String>,
) -> ApiResult<Json<VersionsBody>> {
    auth.require_read_stack(&name)?;
    let name = stack_name(&name)?;
    let history = db::stacks::history(&state.db, name).await?;
    let mut commits = db::git::commits(&state.db, name).await?;
    Ok(Json(VersionsBody {
        stack: name.to_string(),
        versions: history
            .into_iter()
            .map(|v| {
                let commit = commits.remove(&v.version);
                VersionView::new(v, commit)
            })
            .collect(),
    }))
}

/// `POST /api/v1/stacks/{name}/deploy[?wait=true]` with `{"compose", "env", "prune"}`. The
/// token's scope is checked before the body is read.
#[utoipa::path(
    post,
    path = "/api/v1/stacks/{name}/deploy",
    tag = "stacks",
    summary = "Deploy a compose file and variables as the stack's next version",
    security(("token" = [])),
    params(("name" = String, Path, description = "stack name"), ("wait" = Option<bool>, Query, description = "answer when the job has ended")),
    request_body = DeployBody,
    responses((status = 200, description = "wait=true: converged", body = JobBody), (status = 202, description = "started", body = JobBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn deploy(
    State(state): State<AppState>,
    auth: ApiAuth,
    caller: Caller,
    Path(name): Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
    req: Request,
) -> ApiResult<Response> {
    auth.require_change_stack(&name)?;
    let wait = wait_query(query)?;
    let Json(body) = Json::<DeployBody>::from_request(req, &state)
        .await
        .map_err(|e| ApiError::new(e.status(), ApiError::code_of(e.status()), e.body_text()))?;
    // a deployer may deploy their team's stack, or a new one that becomes their team's
    let claim = claim::deploy_under(&state, &caller, auth.ip.as_deref(), &name, &body.team)
        .await?
        .map_err(ApiError::forbidden)?;
    let res = deploy_claimed(&state, &auth, name.clone(), body, wait).await;
    if res.is_err() {
        claim::release(&state, &name, claim).await;
    }
    res
}

async fn deploy_claimed(
    state: &AppState,
    auth: &ApiAuth,
    name: String,
    body: DeployBody,
    wait: bool,
) -> ApiResult<Response> {
    let req = DeployRequest {
        stack: name,
        compose: body.compose,
        compose_name: None,
        more: Vec::new(),
        env: body.env,
        // the files the compose file refers to: those of the stack's newest version
        files: None,
        prune: body.prune,
        images: if body.pull {
            Images::Pull
        } else {
            Images::Tags
        },
        base_version: None,
        redeploy_of: None,
        who: auth.who(),
    };
    let job = match state.deploys.deploy(req).await {
        Ok(job) => job,
        Err(DeployError::Invalid(problems)) => return Err(ApiError::invalid(&problems)),
        Err(DeployError::Stale { .. }) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "A newer version was deployed meanwhile.",
            ));
        }
        Err(DeployError::Refused(m)) => {
            return Err(ApiError::new(StatusCode::CONFLICT, "refused", m));
        }
        Err(DeployError::Storage(e)) => return Err(e.into()),
        Err(DeployError::Internal(m)) => {
            tracing::error!("deploy through the API: {m}");
            return Err(ApiError::internal());
        }
    };
    answer(state, &job, wait).await
}

/// `DELETE /api/v1/stacks/{name}[?wait=true]` and `POST /api/v1/stacks/{name}/remove`
#[utoipa::path(
    delete,
    path = "/api/v1/stacks/{name}",
    tag = "stacks",
    summary = "Remove a stack (also POST /api/v1/stacks/{name}/remove)",
    security(("token" = [])),
    params(("name" = String, Path, description = "stack name"), ("wait" = Option<bool>, Query, description = "answer when the job has ended")),
    responses((status = 200, description = "wait=true: removed", body = JobBody), (status = 202, description = "started", body = JobBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn remove(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(name): Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    auth.require_change_stack(&name)?;
    let wait = wait_query(query)?;
    let name = stack_name(&name)?;
    let job = state.deploys.remove(name, auth.who()).await;
    answer(&state, &job, wait).await
}

#[utoipa::path(
    post,
    path = "/api/v1/stacks/{name}/remove",
    tag = "stacks",
    summary = "Remove a stack (the same as DELETE /api/v1/stacks/{name})",
    security(("token" = [])),
    params(("name" = String, Path, description = "stack name"), ("wait" = Option<bool>, Query, description = "answer when the job has ended")),
    responses((status = 200, description = "wait=true: removed", body = JobBody), (status = 202, description = "started", body = JobBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn remove_post(
    state: State<AppState>,
    auth: ApiAuth,
    name: Path<String>,
    query: Result<Query<WaitQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Response> {
    remove(state, auth, name, query).await
}

/// 202 with the job at once; with `wait`, when it has ended: 200 when it went well, else the
/// error of its outcome with the job.
async fn answer(state: &AppState, job: &Job, wait: bool) -> ApiResult<Response> {
    if !wait {
        let body = JobBody {
            job: JobView::from(job),
        };
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
    }
    let ended = wait_for_end(state, job).await;
    let view = JobView::from(job);
    let Some(end) = ended else {
        return Err(ApiError {
            job: Some(Box::new(view)),
            ..ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "shutting_down",
                "berth is shutting down; the job may still end. Ask for it again later.",
            )
        });
    };
    let (status, code) = match end.outcome {
        Outcome::Ok => return Ok(Json(JobBody { job: view }).into_response()),
        Outcome::Degraded => (StatusCode::UNPROCESSABLE_ENTITY, "deploy_degraded"),
        Outcome::Failed => (StatusCode::UNPROCESSABLE_ENTITY, "deploy_failed"),
        Outcome::Superseded => (StatusCode::CONFLICT, "deploy_superseded"),
    };
    Err(ApiError {
        job: Some(Box::new(view)),
        ..ApiError::new(status, code, end.summary)
    })
}

/// The job's end, or `None` when berth shuts down first.
async fn wait_for_end(state: &AppState, job: &Job) -> Option<crate::stack::jobs::End> {
    let (_, end, mut rx) = job.follow();
    if end.is_some() {
        return end;
    }
    let follow = async {
        loop {
            match rx.recv().await {
                Ok(crate::stack::jobs::Update::End(e)) => return Some(e),
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return job.end(),
            }
        }
    };
    tokio::select! {
        e = follow => e,
        _ = state.shutting_down() => None,
    }
}
