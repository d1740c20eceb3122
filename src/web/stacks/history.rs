//! A stack's history: one page per version (its compose text — each file, when it merges
//! several —, variables, who deployed it and how it went, with the live progress while it
//! runs), and forgetting the history. The diff of two versions is in [`super::diff`].

use std::convert::Infallible;
use std::time::Duration;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream::{self, StreamExt};
use serde::Deserialize;

use super::diff::first_name;
use super::{ConfirmForm, name_or_404};
use crate::AppState;
use crate::db::{
    self,
    audit::{Action, Outcome},
    stacks::MoreFile,
};
use crate::docker::time::{age, format_utc};
use crate::error::{AppError, AppResult};
use crate::stack::jobs::{self, End, Job, Line, Outcome as JobOutcome, Update};
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::policy::{Caller, env_refusal};
use crate::web::urls;

/// One version as the history table shows it.
pub struct VersionRow {
    pub version: i64,
    pub when: String,
    pub ago: String,
    pub username: String,
    pub outcome: String,
    pub summary: String,
    pub redeploy_of: Option<i64>,
    pub url: String,
    /// the commit a git-backed stack's version came from: `abc123def456 subject`
    pub commit: Option<String>,
    /// The image each service was deployed with (digest included), when recorded.
    pub images: Vec<DeployedImage>,
}

/// A service of a version and the image it was deployed with.
pub struct DeployedImage {
    pub service: String,
    /// the full reference (`reg/app:1@sha256:…`)
    pub image: String,
    /// the reference with its digest cut to 12 hex digits, for tables
    pub short: String,
}

impl DeployedImage {
    fn list(v: &db::stacks::Version) -> Vec<DeployedImage> {
        v.images_of()
            .into_iter()
            .map(|(service, image)| {
                let r = crate::docker::services::reference::split(&image);
                let short = match r.digest {
                    Some(_) => format!("{}@{}", r.without_digest(), r.short_digest()),
                    None => image.clone(),
                };
                DeployedImage {
                    service,
                    image,
                    short,
                }
            })
            .collect()
    }
}

impl VersionRow {
    pub fn from(v: &db::stacks::Version) -> VersionRow {
        VersionRow {
            version: v.version,
            when: format_utc(v.created_at),
            ago: age(v.created_at),
            username: v.username.clone().unwrap_or_default(),
            outcome: v.outcome.clone(),
            summary: v.summary.clone().unwrap_or_default(),
            redeploy_of: v.redeploy_of,
            url: urls::stack_version(&v.stack, v.version),
            images: DeployedImage::list(v),
            commit: None,
        }
    }

    pub fn outcome_class(&self) -> &'static str {
        outcome_class(&self.outcome)
    }
}

pub fn outcome_class(outcome: &str) -> &'static str {
    match JobOutcome::parse(outcome) {
        Some(JobOutcome::Ok) => "pill-ok",
        Some(JobOutcome::Degraded | JobOutcome::Superseded) => "pill-warn",
        Some(JobOutcome::Failed) => "pill-bad",
        None => "pill-info",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/version.html")]
struct VersionPage {
    layout: Layout,
    name: String,
    row: VersionRow,
    compose: String,
    /// every compose file in merge order, when there are several (empty: `compose` alone)
    compose_files: Vec<MoreFile>,
    env_keys: Vec<String>,
    env: String,
    reveal: bool,
    lines: Vec<Line>,
    running: bool,
    events_url: String,
    latest: i64,
    file_names: Vec<String>,
    prune: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RevealQuery {
    reveal: String,
}

/// The variable names of an env text (values stay hidden until asked for).
fn env_keys(env: &str) -> Vec<String> {
    crate::compose::dotenv::parse(env)
        .map(|m| m.into_keys().collect())
        .unwrap_or_default()
}

/// `GET /stacks/{name}/versions/{v}`: a version, and its deploy's progress (live while running).
pub async fn show(
    ctx: Ctx,
    caller: Caller,
    Path((name, version)): Path<(String, i64)>,
    Query(q): Query<RevealQuery>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    if q.reveal == "env" && !caller.sees_env(Some(&name)) {
        return Err(AppError::Forbidden(env_refusal(&caller)));
    }
    let v = db::stacks::get(&ctx.state.db, &name, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {version}.")))?;
    let latest = db::stacks::latest(&ctx.state.db, &name)
        .await?
        .map(|l| l.version)
        .unwrap_or(version);
    let job = ctx.state.deploys.deploy_of(&name, version);
    let (lines, running) = match &job {
        Some(j) => (j.lines(), j.end().is_none()),
        None => (stored_lines(v.events.as_deref()), v.outcome == "running"),
    };
    if q.reveal == "env" {
        // env values often hold secrets: who looked at them is worth knowing
        ctx.audit(
            Action::StackEnvReveal,
            &name,
            Outcome::Ok,
            Some(&format!("version {version}")),
        )
        .await;
    }
    let mut row = VersionRow::from(&v);
    if let Some(end) = job.as_ref().and_then(|j| j.end()) {
        row.outcome = end.outcome.to_string();
        row.summary = end.summary;
    }
    let more = v.more_files();
    let compose_files = if more.is_empty() {
        Vec::new()
    } else {
        std::iter::once(MoreFile {
            name: first_name(&v),
            text: v.compose.clone(),
        })
        .chain(more)
        .collect()
    };
    Ok(VersionPage {
        layout: ctx.layout(format!("{name} version {version}"), "stacks"),
        events_url: urls::stack_version_action(&name, version, "events"),
        compose_files,
        env_keys: env_keys(&v.env),
        file_names: jobs::file_names(&v.files),
        reveal: q.reveal == "env",
        env: v.env,
        compose: v.compose,
        prune: v.prune,
        lines,
        running,
        latest,
        row,
        name,
    }
    .into_response())
}

fn stored_lines(json: Option<&str>) -> Vec<Line> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}

/// `GET /stacks/{name}/versions/{v}/events`: the deploy's progress as server-sent events
/// (`line` with JSON {seq, level, text}, then `end` with {outcome, summary}), from the start.
pub async fn events(ctx: Ctx, Path((name, version)): Path<(String, i64)>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    if let Some(job) = ctx.state.deploys.deploy_of(&name, version) {
        return Ok(job_stream(&ctx.state, &job));
    }
    let v = db::stacks::get(&ctx.state.db, &name, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {version}.")))?;
    // a version still `running` with no job: berth restarted since (it is marked failed then)
    let end = End {
        outcome: JobOutcome::parse(&v.outcome).unwrap_or(JobOutcome::Failed),
        summary: v.summary.clone().unwrap_or_default(),
    };
    let items: Vec<Update> = stored_lines(v.events.as_deref())
        .into_iter()
        .map(Update::Line)
        .chain([Update::End(end)])
        .collect();
    Ok(sse(stream::iter(items)))
}

/// A job's progress as server-sent events: what happened so far, then what happens next.
pub fn job_stream(state: &AppState, job: &Job) -> Response {
    let (past, end, rx) = job.follow();
    let past_count = past.len();
    let head: Vec<Update> = past
        .into_iter()
        .map(Update::Line)
        .chain(end.clone().map(Update::End))
        .collect();
    let live = if end.is_some() {
        stream::empty().boxed()
    } else {
        tokio_stream::wrappers::BroadcastStream::new(rx)
            .filter_map(move |u| async move {
                match u {
                    // lines already sent with the past ones are skipped
                    Ok(Update::Line(l)) if l.seq < past_count => None,
                    Ok(u) => Some(u),
                    Err(_) => None,
                }
            })
            .scan(false, |ended, u| {
                let stop = *ended;
                *ended = matches!(u, Update::End(_));
                futures_util::future::ready((!stop).then_some(u))
            })
            .boxed()
    };
    let all = stream::iter(head)
        .chain(live)
        .take_until(state.shutting_down());
    sse(all)
}

fn sse(updates: impl futures_util::Stream<Item = Update> + Send + 'static) -> Response {
    let events = updates.map(|u| {
        let ev = match &u {
            Update::Line(l) => Event::default()
                .event("line")
                .data(serde_json::to_string(l).unwrap_or_default()),
            Update::End(e) => Event::default()
                .event("end")
                .data(serde_json::to_string(e).unwrap_or_default()),
        };
        Ok::<_, Infallible>(ev)
    });
    let mut resp = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    resp.headers_mut().insert(
        "x-accel-buffering",
        axum::http::HeaderValue::from_static("no"),
    );
    resp
}

/// `POST /stacks/{name}/history/delete`: forget every stored version (the swarm is untouched).
pub async fn forget(
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
                "Tick the box to confirm; the history was kept.",
            )
            .await);
    }
    if ctx.state.deploys.running_on(&name).is_some() {
        return Ok(ctx
            .redirect_with(
                &urls::stack(&name),
                FlashKind::Error,
                "A deploy or removal is running; the history was kept.",
            )
            .await);
    }
    let n = db::stacks::delete_history(&ctx.state.db, &name).await?;
    ctx.audit(
        Action::StackHistoryDelete,
        &name,
        Outcome::Ok,
        Some(&format!("{n} version(s) forgotten")),
    )
    .await;
    Ok(ctx
        .redirect_with(
            urls::STACKS,
            FlashKind::Ok,
            &format!(
                "The history of {name} ({n} version(s)) was deleted; the swarm was not changed."
            ),
        )
        .await)
}
