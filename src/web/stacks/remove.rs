//! `POST /stacks/{name}/delete`: removes the stack's services, secrets, configs and networks
//! (not its volumes, as `docker stack rm`), as a job whose page reports when everything is
//! really gone. berth's stored history of the stack stays until deleted explicitly.

use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::Path;
use axum::response::{IntoResponse, Redirect, Response};

use super::history::job_stream;
use super::{ConfirmForm, name_or_404};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};
use crate::jobs::Line;
use crate::stack::{self, RemoveEvent, RemoveOptions};
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
    let job = match ctx.state.jobs.start(&name, "remove", 0) {
        Ok(j) => j,
        Err(running) => {
            return Ok(ctx
                .redirect_with(
                    &super::deploy::job_url(&running),
                    FlashKind::Error,
                    &format!("A {} of {name} is running; wait for it.", running.kind),
                )
                .await);
        }
    };
    ctx.audit(Action::StackRemove, &name, Outcome::Ok, Some("started"))
        .await;
    let state = ctx.state.clone();
    let (username, ip) = (ctx.session.username.clone(), ctx.ip.clone());
    let j = job.clone();
    let stack_name = name.clone();
    tokio::spawn(async move {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<RemoveEvent>();
        let forward = {
            let j = j.clone();
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    let (text, warn) = ev.line();
                    let level = match ev {
                        RemoveEvent::Failed { .. } => "error",
                        RemoveEvent::Removed { .. } => "ok",
                        _ if warn => "warn",
                        _ => "info",
                    };
                    j.push(level, text);
                }
            })
        };
        let opts = RemoveOptions {
            wait: Some(Duration::from_secs(120)),
            events: Some(tx),
        };
        let result = stack::remove(&state.docker, &stack_name, &opts).await;
        drop(opts);
        let _ = forward.await;
        let (outcome, summary) = match &result {
            Ok(r) if !r.found => ("ok", format!("Nothing found in stack {stack_name}.")),
            Ok(r) if r.succeeded() => (
                "ok",
                format!(
                    "Stack {stack_name} removed: {} object(s), networks gone.",
                    r.removed.len()
                ),
            ),
            Ok(r) => (
                "failed",
                format!(
                    "Removed {} object(s), but {}{}{}. Remove again to retry.",
                    r.removed.len(),
                    r.failures.join("; "),
                    if r.tasks_left == 0 {
                        String::new()
                    } else {
                        format!("; {} task(s) still stopping", r.tasks_left)
                    },
                    if r.networks_left.is_empty() {
                        String::new()
                    } else {
                        format!("; networks still present: {}", r.networks_left.join(", "))
                    }
                ),
            ),
            Err(e) => ("failed", format!("Nothing was removed: {e}")),
        };
        j.push(
            if outcome == "ok" { "ok" } else { "error" },
            summary.clone(),
        );
        let entry = db::audit::Entry {
            username: Some(&username),
            ip: ip.as_deref(),
            action: Action::StackRemove,
            target: Some(&stack_name),
            outcome: if outcome == "ok" {
                Outcome::Ok
            } else {
                Outcome::Failed
            },
            detail: Some(&summary),
        };
        if let Err(e) = db::audit::record(&state.db, &entry).await {
            tracing::error!("audit: {e}");
        }
        j.finish(outcome, summary);
    });
    Ok(Redirect::to(&format!("/jobs/{}", job.id)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/job.html")]
struct JobPage {
    layout: Layout,
    stack: String,
    kind: &'static str,
    lines: Vec<Line>,
    running: bool,
    outcome: String,
    summary: String,
    events_url: String,
}

/// `GET /jobs/{id}`: a removal's progress (live while it runs).
pub async fn job_page(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = ctx.state.jobs.get(&id).ok_or_else(|| {
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
        outcome: end.as_ref().map(|e| e.outcome.clone()).unwrap_or_default(),
        summary: end.map(|e| e.summary).unwrap_or_default(),
        events_url: format!("/jobs/{id}/events"),
    }
    .into_response())
}

/// `GET /jobs/{id}/events`: its progress as server-sent events.
pub async fn job_events(ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let job = ctx
        .state
        .jobs
        .get(&id)
        .ok_or_else(|| AppError::NotFound("That job is not known.".into()))?;
    Ok(job_stream(&ctx, &job))
}
