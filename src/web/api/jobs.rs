//! `/api/v1/jobs/{id}`: a deploy's or removal's status, and its progress as server-sent events.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;

use super::auth::ApiAuth;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::views::{JobBody, JobView};
use crate::AppState;
use crate::stack::jobs::Job;

fn find(state: &AppState, auth: &ApiAuth, id: &str) -> ApiResult<std::sync::Arc<Job>> {
    let job = state.deploys.get(id).ok_or_else(|| {
        ApiError::not_found("That job is not known (berth forgets jobs an hour after they end).")
    })?;
    auth.require_read_stack(&job.stack)?;
    Ok(job)
}

/// `GET /api/v1/jobs/{id}`
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}",
    tag = "jobs",
    summary = "A deploy or removal job",
    security(("token" = [])),
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, body = JobBody), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn show(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<JobBody>> {
    let job = find(&state, &auth, &id)?;
    Ok(Json(JobBody {
        job: JobView::from(&*job),
    }))
}

/// `GET /api/v1/jobs/{id}/events`: every line so far, then new ones, then the end.
#[utoipa::path(
    get,
    path = "/api/v1/jobs/{id}/events",
    tag = "jobs",
    summary = "A job's progress as server-sent events (line, end)",
    security(("token" = [])),
    params(("id" = String, Path, description = "job id")),
    responses((status = 200, description = "text/event-stream", content_type = "text/event-stream"), (status = "4XX", description = "refused: see error.code", body = ErrorBody), (status = "5XX", description = "berth or Docker failed", body = ErrorBody))
)]
pub async fn events(
    State(state): State<AppState>,
    auth: ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let job = find(&state, &auth, &id)?;
    Ok(crate::web::stacks::job_stream(&state, &job))
}
