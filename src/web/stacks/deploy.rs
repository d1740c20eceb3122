//! Deploying a stack from the browser: the form (typed or uploaded) is checked first — a bad
//! source changes nothing and comes back with its problems marked — then a new version is
//! stored and the deploy runs as a background job whose progress the version page follows.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path as UrlPath, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, RequestExt};

use super::editor::{ACE_BASE, EditorPage, SourceForm, Validation, check};
use super::name_or_404;
use crate::AppState;
use crate::compose::source::{self, Checked};
use crate::compose::{ComposeFile, MemoryFiles, limits};
use crate::db::{
    self,
    audit::{Action, Outcome as AuditOutcome},
};
use crate::error::{AppError, AppResult};
use crate::jobs::Job;
use crate::stack::{
    self, DeployEvent, DeployOptions, ProgressState, ResolveImage, Source, StackError, WaitOptions,
};
use crate::web::page::{Ctx, FlashKind};
use crate::web::urls;

/// When deploys from the browser ask the registry for digests: only for images whose text
/// changed (the CLI's default is `always`). A redeploy then never restarts tasks because a tag
/// moved on the registry, and the preview shows exactly what the deploy does.
pub const RESOLVE: ResolveImage = ResolveImage::Changed;

/// A stack source as submitted: the editor's fields, or a multipart upload (`compose_file`,
/// optional `env_file`, and `files` the compose file refers to).
pub struct SourceInput {
    pub form: SourceForm,
    pub files: MemoryFiles,
    pub uploaded: bool,
}

impl FromRequest<AppState> for SourceInput {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if !multipart {
            let Form(form) = Form::<SourceForm>::from_request(req, state)
                .await
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
            return Ok(SourceInput {
                form,
                files: MemoryFiles::default(),
                uploaded: false,
            });
        }
        let mut mp: Multipart = req
            .extract()
            .await
            .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
        let mut form = SourceForm::default();
        let mut files = MemoryFiles::default();
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?
        {
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(|f| f.to_string());
            let data = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("The upload could not be read: {e}")))?;
            let sized = |what: &str, max: usize| -> Result<(), AppError> {
                if data.len() > max {
                    return Err(AppError::BadRequest(format!(
                        "The {what} is too large: {} bytes, at most {} are accepted.",
                        data.len(),
                        limits::human(max)
                    )));
                }
                Ok(())
            };
            let text = |what: &str, max: usize| -> Result<String, AppError> {
                sized(what, max)?;
                String::from_utf8(data.to_vec())
                    .map_err(|_| AppError::BadRequest(format!("The {what} is not UTF-8 text.")))
            };
            match name.as_str() {
                "name" => form.name = text("stack name", 256)?,
                "compose" | "compose_file" if !data.is_empty() => {
                    form.compose = text("compose file", limits::MAX_COMPOSE_BYTES)?
                }
                "env" | "env_file" if !data.is_empty() => {
                    form.env = text("variables file", limits::MAX_ENV_BYTES)?
                }
                "prune" => form.prune = text("prune flag", 16)?,
                "files" => {
                    sized("uploaded file", limits::MAX_REFERENCED_FILE)?;
                    // referenced files resolve against `/` (see compose::source): keep the base name
                    if let Some(f) = file_name.as_deref().and_then(|f| Path::new(f).file_name()) {
                        files.insert(Path::new("/").join(f), data.to_vec());
                    }
                }
                _ => {}
            }
        }
        Ok(SourceInput {
            form,
            files,
            uploaded: true,
        })
    }
}

/// Files stored with a version, as JSON `{"name": base64}`.
pub fn encode_files(files: &MemoryFiles) -> String {
    use base64::Engine;
    let map: std::collections::BTreeMap<String, String> = files
        .entries()
        .map(|(p, d)| {
            (
                p.to_string_lossy().into_owned(),
                base64::engine::general_purpose::STANDARD.encode(d),
            )
        })
        .collect();
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

pub fn decode_files(json: &str) -> MemoryFiles {
    use base64::Engine;
    let mut files = MemoryFiles::default();
    let map: std::collections::BTreeMap<String, String> =
        serde_json::from_str(json).unwrap_or_default();
    for (path, data) in map {
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(data) {
            files.insert(path, bytes);
        }
    }
    files
}

/// The form's source checked, or the editor again with its problems (nothing was changed).
pub(super) async fn checked_or_refused(
    ctx: &Ctx,
    input: SourceInput,
) -> AppResult<Result<(Checked, SourceInput), Response>> {
    let f = &input.form;
    let problems = match check(
        f.name.clone(),
        f.compose.clone(),
        f.env.clone(),
        input.files.clone(),
    )
    .await?
    {
        Ok(c) => return Ok(Ok((c, input))),
        Err(problems) => problems,
    };
    let v = Validation {
        checked: true,
        problems,
        ..Default::default()
    };
    Ok(Err(refused(ctx, input, v).await?))
}

/// The editor again, with the problems and the user's text (nothing was changed).
pub(super) async fn refused(
    ctx: &Ctx,
    input: SourceInput,
    validation: Validation,
) -> AppResult<Response> {
    let name = input.form.name.trim().to_string();
    let existing = db::stacks::latest(&ctx.state.db, &name).await?.is_some();
    let page = EditorPage {
        layout: ctx.layout(if existing { "Edit stack" } else { "New stack" }, "stacks"),
        is_new: !existing,
        action: if existing {
            urls::stack(&name)
        } else {
            urls::STACKS.to_string()
        },
        prune: input.form.prune(),
        name: input.form.name,
        compose: input.form.compose,
        env: input.form.env,
        validation,
        ace_base: ACE_BASE,
        notice: input
            .uploaded
            .then(|| "The uploaded file is shown below; fix it here and deploy again.".to_string()),
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `POST /stacks`: deploy a new stack (or a new version of one, by its name).
pub async fn create(ctx: Ctx, input: SourceInput) -> AppResult<Response> {
    submit(ctx, input, None).await
}

/// `POST /stacks/{name}`: deploy a new version of this stack.
pub async fn update(
    ctx: Ctx,
    UrlPath(name): UrlPath<String>,
    mut input: SourceInput,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    input.form.name = name;
    submit(ctx, input, None).await
}

/// `POST /stacks/{name}/versions/{v}/redeploy`: deploy an earlier version again (as a new one).
pub async fn redeploy(
    ctx: Ctx,
    UrlPath((name, version)): UrlPath<(String, i64)>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let v = db::stacks::get(&ctx.state.db, &name, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {version}.")))?;
    let input = SourceInput {
        form: SourceForm {
            name: name.clone(),
            compose: v.compose,
            env: v.env,
            prune: if v.prune { "yes".into() } else { String::new() },
        },
        files: decode_files(&v.files),
        uploaded: false,
    };
    submit(ctx, input, Some(version)).await
}

/// A new version without uploads keeps the files the stack's newest version was deployed with
/// (an edit in the browser cannot re-upload a secret's file each time).
pub(super) async fn keep_stored_files(ctx: &Ctx, input: &mut SourceInput) -> AppResult<()> {
    if input.files.is_empty()
        && let Some(latest) = db::stacks::latest(&ctx.state.db, input.form.name.trim()).await?
    {
        input.files = decode_files(&latest.files);
    }
    Ok(())
}

async fn submit(ctx: Ctx, mut input: SourceInput, redeploy_of: Option<i64>) -> AppResult<Response> {
    if redeploy_of.is_none() {
        keep_stored_files(&ctx, &mut input).await?;
    }
    let (checked, input) = match checked_or_refused(&ctx, input).await? {
        Ok(c) => c,
        Err(page) => return Ok(page),
    };
    let f = &input.form;
    if let Some(running) = ctx.state.jobs.running_on(&checked.name) {
        let to = job_url(&running);
        return Ok(ctx
            .redirect_with(
                &to,
                FlashKind::Error,
                &format!(
                    "A {} of {} is already running; wait for it to finish.",
                    running.kind, checked.name
                ),
            )
            .await);
    }
    let version = db::stacks::insert(
        &ctx.state.db,
        &db::stacks::NewVersion {
            stack: &checked.name,
            compose: &f.compose,
            env: &f.env,
            files: &encode_files(&input.files),
            prune: f.prune(),
            username: &ctx.session.username,
            redeploy_of,
        },
    )
    .await?;
    let job = match ctx.state.jobs.start(&checked.name, "deploy", version) {
        Ok(j) => j,
        Err(running) => {
            db::stacks::finish(
                &ctx.state.db,
                &checked.name,
                version,
                "failed",
                "another deploy was already running",
                "[]",
            )
            .await?;
            return Ok(ctx
                .redirect_with(
                    &job_url(&running),
                    FlashKind::Error,
                    "Another deploy of this stack is running.",
                )
                .await);
        }
    };
    let name = checked.name.clone();
    let detail = match redeploy_of {
        Some(v) => format!("version {version} (redeploy of version {v})"),
        None => format!("version {version}"),
    };
    ctx.audit(
        Action::StackDeploy,
        &name,
        AuditOutcome::Ok,
        Some(&format!("{detail} started")),
    )
    .await;
    spawn_deploy(
        ctx.state.clone(),
        job,
        checked,
        f.compose.clone(),
        input.files,
        f.prune(),
        ctx.session.username.clone(),
        ctx.ip.clone(),
    );
    Ok(Redirect::to(&urls::stack_action(&name, &format!("versions/{version}"))).into_response())
}

/// Where a job's progress is shown.
pub fn job_url(job: &Job) -> String {
    if job.kind == "deploy" {
        urls::stack_action(&job.stack, &format!("versions/{}", job.version))
    } else {
        format!("/jobs/{}", job.id)
    }
}

#[allow(clippy::too_many_arguments)]
fn spawn_deploy(
    state: AppState,
    job: Arc<Job>,
    checked: Checked,
    compose: String,
    files: MemoryFiles,
    prune: bool,
    username: String,
    ip: Option<String>,
) {
    tokio::spawn(async move {
        let name = checked.name.clone();
        let version = job.version;
        for w in &checked.warnings {
            job.push("warn", w.clone());
        }
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<DeployEvent>();
        let forward = {
            let job = job.clone();
            tokio::spawn(async move {
                while let Some(ev) = rx.recv().await {
                    push_event(&job, &ev);
                }
            })
        };
        let source = Source {
            files: vec![ComposeFile::new(source::EDITOR_FILE, compose)],
            working_dir: "/".into(),
            env: checked.env,
            reader: Arc::new(files),
        };
        let opts = DeployOptions {
            prune,
            resolve_image: RESOLVE,
            wait: Some(WaitOptions::default()),
            events: Some(tx),
        };
        let result = stack::deploy(&state.docker, &name, source, &opts).await;
        drop(opts);
        let _ = forward.await;
        let (outcome, summary) = match &result {
            Ok(report) => summarize(report),
            Err(e) => {
                let msg = match e {
                    StackError::Compose(_) | StackError::Rejected(_) => {
                        format!("refused, nothing was changed: {e}")
                    }
                    _ => format!("failed, nothing was changed: {e}"),
                };
                ("failed", msg)
            }
        };
        job.push(
            if outcome == "ok" {
                "ok"
            } else if outcome == "degraded" {
                "warn"
            } else {
                "error"
            },
            summary.clone(),
        );
        let lines = serde_json::to_string(&job.lines()).unwrap_or_else(|_| "[]".into());
        if let Err(e) =
            db::stacks::finish(&state.db, &name, version, outcome, &summary, &lines).await
        {
            tracing::error!("cannot store the outcome of deploying {name} version {version}: {e}");
        }
        let entry = db::audit::Entry {
            username: Some(&username),
            ip: ip.as_deref(),
            action: Action::StackDeploy,
            target: Some(&name),
            outcome: if outcome == "failed" {
                AuditOutcome::Failed
            } else {
                AuditOutcome::Ok
            },
            detail: Some(&format!("version {version}: {summary}")),
        };
        if let Err(e) = db::audit::record(&state.db, &entry).await {
            tracing::error!("audit: {e}");
        }
        job.finish(outcome, summary);
    });
}

fn push_event(job: &Job, ev: &DeployEvent) {
    let Some((text, warn)) = ev.line() else {
        return;
    };
    let level = match ev {
        DeployEvent::Failed { .. } => "error",
        DeployEvent::Tasks(p) => match p.state {
            ProgressState::Converged => "ok",
            ProgressState::Failing | ProgressState::Paused => "error",
            ProgressState::Starting => "info",
        },
        DeployEvent::Converged { .. } => "ok",
        DeployEvent::ServiceCreated { .. } | DeployEvent::ServiceUpdated { .. } => "ok",
        _ if warn => "warn",
        _ => "info",
    };
    job.push(level, text);
}

/// The outcome of a deploy and one sentence about it.
fn summarize(r: &stack::DeployReport) -> (&'static str, String) {
    use stack::{ObjectKind as K, Outcome as O};
    let count = |k: K, o: O| r.names(k, o).len();
    let mut parts = Vec::new();
    for (o, word) in [
        (O::Created, "created"),
        (O::Updated, "updated"),
        (O::Unchanged, "unchanged"),
        (O::Removed, "removed"),
    ] {
        let n = count(K::Service, o);
        if n > 0 {
            parts.push(format!(
                "{n} service{} {word}",
                if n == 1 { "" } else { "s" }
            ));
        }
    }
    let done = if parts.is_empty() {
        "nothing to do".to_string()
    } else {
        parts.join(", ")
    };
    if let Some(f) = &r.failed {
        let left = if r.not_attempted.is_empty() {
            String::new()
        } else {
            format!(
                "; not attempted: {}",
                r.not_attempted
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        return (
            "failed",
            format!(
                "{done}; {} {} failed: {}{left}. Fix it and deploy again.",
                f.kind, f.name, f.error
            ),
        );
    }
    match &r.convergence {
        Some(c) if !c.converged => {
            let failing: Vec<String> = c
                .services
                .iter()
                .filter(|s| s.state != ProgressState::Converged)
                .map(|s| match &s.error {
                    Some(e) => format!("{} ({}/{} running): {e}", s.service, s.running, s.desired),
                    None => format!("{} ({}/{} running)", s.service, s.running, s.desired),
                })
                .collect();
            let why = match &c.reason {
                Some(r) if !r.is_empty() => r.clone(),
                _ => failing.join("; "),
            };
            ("degraded", format!("{done}; not converged: {why}"))
        }
        Some(c) => (
            "ok",
            format!("{done}; converged in {:.1} s", c.elapsed.as_secs_f64()),
        ),
        None => ("ok", done),
    }
}
