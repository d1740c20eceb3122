//! Deploying a stack from the browser: the form (typed or uploaded) is read here and handed to
//! the deploy pipeline ([`crate::stack::jobs`]), which checks it, stores the new version and
//! runs the deploy as a background job whose progress the version page follows. A bad source
//! comes back in the editor with its problems marked; a change made from an older version
//! than the newest one comes back as a diff to confirm.

use std::path::Path;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{FromRequest, Multipart, Path as UrlPath, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Form, RequestExt};

use super::diff::{EnvChange, env_changes};
use super::editor::{
    ACE_BASE, EditorPage, SourceForm, Validation, check, effective_env, env_fields, kept_env,
};
use super::name_or_404;
use crate::AppState;
use crate::compose::MemoryFiles;
use crate::compose::limits;
use crate::compose::source::Checked;
use crate::db;
use crate::error::{AppError, AppResult};
use crate::stack::jobs::{self, DeployError, DeployRequest, Images, Job, JobKind, Who};
use crate::textdiff::{self, Hunk};
use crate::web::page::{Ctx, Layout};
use crate::web::policy::{Caller, claim};
use crate::web::urls;

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
                "base_version" => form.base_version = text("base version", 32)?,
                "team" => form.team = text("team", 128)?,
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

/// The form's source checked, or the editor again with its problems (nothing was changed).
/// With the source, the env text it was checked with (the kept variables and the typed lines).
pub(super) async fn checked_or_refused(
    ctx: &Ctx,
    input: SourceInput,
) -> AppResult<Result<(Checked, SourceInput, String), Response>> {
    let f = &input.form;
    let problems = match kept_env(ctx, f).await? {
        Ok(kept) => {
            let env = effective_env(kept.as_deref(), &f.env);
            match check(
                f.name.clone(),
                f.compose.clone(),
                env.clone(),
                input.files.clone(),
            )
            .await?
            {
                Ok(c) => return Ok(Ok((c, input, env))),
                Err(problems) => problems,
            }
        }
        Err(p) => vec![p],
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
    // the typed lines only: kept variables stay hidden
    let (env_keep, env_keys) = env_fields(ctx, &input.form).await;
    let page = EditorPage {
        env_keep,
        env_keys,
        layout: ctx.layout(if existing { "Edit stack" } else { "New stack" }, "stacks"),
        is_new: !existing,
        action: if existing {
            urls::stack(&name)
        } else {
            urls::STACKS.to_string()
        },
        prune: input.form.prune(),
        base_version: input.form.base_version(),
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
///
/// A deployer may name a stack of their team, or a new name, which becomes their team's (see
/// `policy::claim`); another team's stack or one no team owns is refused.
pub async fn create(ctx: Ctx, caller: Caller, input: SourceInput) -> AppResult<Response> {
    let name = input.form.name.trim().to_string();
    let state = ctx.state.clone();
    let claim = claim::deploy_under(&state, &caller, ctx.ip.as_deref(), &name, &input.form.team)
        .await?
        .map_err(AppError::Forbidden)?;
    let res = submit(ctx, input, None, Images::Tags).await;
    if !matches!(&res, Ok(r) if r.status().is_redirection()) {
        claim::release(&state, &name, claim).await;
    }
    res
}

/// `POST /stacks/{name}`: deploy a new version of this stack.
pub async fn update(
    ctx: Ctx,
    UrlPath(name): UrlPath<String>,
    mut input: SourceInput,
) -> AppResult<Response> {
    input.form.name = name_or_404(&name)?;
    submit(ctx, input, None, Images::Tags).await
}

/// `POST /stacks/{name}/versions/{v}/redeploy`: deploy an earlier version again (as a new one).
pub async fn redeploy(
    ctx: Ctx,
    UrlPath((name, version)): UrlPath<(String, i64)>,
    Form(form): Form<RedeployForm>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let images: Images = form.images.parse().map_err(AppError::BadRequest)?;
    let v = db::stacks::get(&ctx.state.db, &name, version)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {version}.")))?;
    let input = SourceInput {
        form: SourceForm {
            name: name.clone(),
            compose: v.compose,
            env: v.env,
            env_keep: String::new(),
            prune: if v.prune { "yes".into() } else { String::new() },
            ..Default::default()
        },
        files: jobs::decode_files(&v.files),
        uploaded: false,
    };
    submit(ctx, input, Some(version), images).await
}

/// The redeploy form: `images=exact` (the digests the version recorded) or `images=tags`
/// (its tags as they are now; the default).
#[derive(Debug, Default, serde::Deserialize)]
pub struct RedeployForm {
    #[serde(default)]
    images: String,
}

/// `POST /stacks/{name}/pull`: deploys the newest version again with every tag resolved anew
/// on its registry; only services whose digest changed roll.
pub async fn pull_redeploy(ctx: Ctx, UrlPath(name): UrlPath<String>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let who = Who {
        username: ctx.session.username.clone(),
        ip: ctx.ip.clone(),
    };
    match ctx.state.deploys.pull_redeploy(&name, who).await {
        Ok(job) => Ok(Redirect::to(&job_url(&job)).into_response()),
        Err(DeployError::Invalid(_)) => Err(AppError::BadRequest(format!(
            "The stored source of {name} has problems: open it in the editor."
        ))),
        Err(e) => Err(deploy_error(e)),
    }
}

fn deploy_error(e: DeployError) -> AppError {
    match e {
        DeployError::Storage(e) => e.into(),
        DeployError::Refused(m) => AppError::BadRequest(m),
        other => AppError::Internal(other.to_string()),
    }
}

/// A new version without uploads keeps the files the stack's newest version was deployed with
/// (the preview shows what the deploy will do with them).
pub(super) async fn keep_stored_files(ctx: &Ctx, input: &mut SourceInput) -> AppResult<()> {
    if input.files.is_empty()
        && let Some(latest) = db::stacks::latest(&ctx.state.db, input.form.name.trim()).await?
    {
        input.files = jobs::decode_files(&latest.files);
    }
    Ok(())
}

async fn submit(
    ctx: Ctx,
    input: SourceInput,
    redeploy_of: Option<i64>,
    images: Images,
) -> AppResult<Response> {
    let f = &input.form;
    // variables kept from a stored version without being shown, then the typed lines
    let env = match kept_env(&ctx, f).await? {
        Ok(kept) => effective_env(kept.as_deref(), &f.env),
        Err(p) => {
            let v = Validation {
                checked: true,
                problems: vec![p],
                ..Default::default()
            };
            return refused(&ctx, input, v).await;
        }
    };
    // a redeploy of a version of several compose files merges the same files again
    let (compose_name, more) = match redeploy_of {
        Some(of) => db::stacks::get(&ctx.state.db, f.name.trim(), of)
            .await?
            .map(|v| (v.compose_name.clone(), v.more_files()))
            .unwrap_or_default(),
        None => (None, Vec::new()),
    };
    let req = DeployRequest {
        stack: f.name.trim().to_string(),
        compose: f.compose.clone(),
        compose_name,
        more,
        env: env.clone(),
        // a redeploy brings its version's files; an edit without uploads inherits the newest's
        files: (redeploy_of.is_some() || !input.files.is_empty()).then(|| input.files.clone()),
        prune: f.prune(),
        base_version: f.base_version(),
        redeploy_of,
        images,
        who: Who {
            username: ctx.session.username.clone(),
            ip: ctx.ip.clone(),
        },
    };
    match ctx.state.deploys.deploy(req).await {
        Ok(job) => Ok(Redirect::to(&job_url(&job)).into_response()),
        Err(DeployError::Invalid(problems)) => {
            let v = Validation {
                checked: true,
                problems,
                ..Default::default()
            };
            refused(&ctx, input, v).await
        }
        Err(DeployError::Stale {
            stack,
            base,
            latest,
        }) => stale(&ctx, input, &env, &stack, base, latest).await,
        Err(e) => Err(deploy_error(e)),
    }
}

/// Where a job's progress is shown.
pub fn job_url(job: &Job) -> String {
    match job.kind {
        JobKind::Deploy => urls::stack_version(&job.stack, job.version),
        JobKind::Remove => urls::job(&job.id),
    }
}

/// The answer to a change made from an older version than the newest one: what deploying it
/// would change in the newest version, and a form that deploys it anyway (`confirm`).
#[derive(Template, WebTemplate)]
#[template(path = "stacks/stale.html")]
struct StalePage {
    layout: Layout,
    name: String,
    base: i64,
    latest: i64,
    latest_by: String,
    compose_diff: Vec<Hunk>,
    env_changes: Vec<EnvChange>,
    compose: String,
    /// the typed env lines, posted again (kept variables are named by `env_keep`, not shown)
    env: String,
    env_keep: Option<i64>,
    prune: bool,
}

async fn stale(
    ctx: &Ctx,
    input: SourceInput,
    env: &str,
    name: &str,
    base: i64,
    latest: i64,
) -> AppResult<Response> {
    let newest = db::stacks::get(&ctx.state.db, name, latest)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("Stack {name} has no version {latest}.")))?;
    let f = input.form;
    let page = StalePage {
        layout: ctx.layout(
            format!("Deploy {name}: version {latest} is newer"),
            "stacks",
        ),
        compose_diff: textdiff::hunks(&newest.compose, &f.compose, 3),
        env_changes: env_changes(&newest.env, env),
        env_keep: f.env_keep(),
        latest_by: newest.username.unwrap_or_default(),
        name: name.to_string(),
        prune: f.prune(),
        compose: f.compose,
        env: f.env,
        base,
        latest,
    };
    Ok((StatusCode::CONFLICT, page).into_response())
}
