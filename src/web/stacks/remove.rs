//! `POST /stacks/{name}/delete`: removes the stack's services, secrets, configs and networks
//! (not its volumes, as `docker stack rm`), as a job whose page reports when everything is
//! really gone. berth's stored history of the stack stays until deleted explicitly.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use super::history::job_stream;
use super::{ConfirmForm, name_or_404};
use crate::error::{AppError, AppResult};
use crate::stack::jobs::{JobKind, Line, Who};
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::urls;

pub async fn remove(
    ctx: Ctx,
    Path(name): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    if !f.confirmed() {
        return Ok(ctx
            .redirect_with(
                &urls::stack(&name),
                FlashKind::Error,
                "Tick the box to confirm the removal; nothing was removed.",
            )
            .await);
    }
    let who = Who {
        username: ctx.session.username.clone(),
        ip: ctx.ip.clone(),
    };
    let job = ctx.state.deploys.remove(&name, who).await;
    Ok(Redirect::to(&super::deploy::job_url(&job)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/job.html")]
struct JobPage {
    layout: Layout,
    stack: String,
    kind: JobKind,
    lines: Vec<Line>,
    running: bool,
    outcome: String,
    summary: String,
    events_url: String,
}

/// `GET /jobs/{id}`: a removal's progress (live while it runs).
pub async fn job_page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = ctx.state.deploys.get(&id).ok_or_else(|| {
        AppError::NotFound(
            "That job is not known (berth forgets finished jobs after an hour).".into(),
        )
    })?;
    let end = job.end();
    Ok(JobPage {
        layout: ctx.layout(format!("Removing {}", job.stack), "stacks"),
        stack: job.stack.clone(),
        kind: job.kind,
        lines: job.lines(),
        running: end.is_none(),
        outcome: end
            .as_ref()
            .map(|e| e.outcome.to_string())
            .unwrap_or_default(),
        summary: end.map(|e| e.summary).unwrap_or_default(),
        events_url: urls::job_events(&id),
    }
    .into_response())
}

/// `GET /jobs/{id}/events`: its progress as server-sent events.
pub async fn job_events(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = ctx
        .state
        .deploys
        .get(&id)
        .ok_or_else(|| AppError::NotFound("That job is not known.".into()))?;
    Ok(job_stream(&ctx.state, &job))
}
