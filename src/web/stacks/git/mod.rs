//! Git-backed stacks on the web: the form that creates one (a section of `/stacks/new`,
//! posting to `/stacks/new/git`), the stack page's git section with "sync now" and "pause
//! sync", and the push webhook `POST /hooks/git/{secret}` (public: the secret URL and a
//! GitHub, GitLab or Gitea signature stand in for a session). The work is in
//! [`crate::stack::git`].

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use serde::Deserialize;

use super::name_or_404;
use crate::AppState;
use crate::compose::limits;
use crate::db;
use crate::db::audit::{Action, Outcome};
use crate::docker::time::{age, format_utc};
use crate::error::{AppError, AppResult};
use crate::git::{GitRef, Repo};
use crate::stack::git::{MIN_INTERVAL, Synced, Trigger, hook, short};
use crate::stack::jobs::Who;
use crate::web::page::{Ctx, FlashKind, Layout};
use crate::web::policy::{Caller, claim};
use crate::web::urls;

/// Longest interval text (`90s`, `5m`).
const MAX_INTERVAL_TEXT: usize = 32;
/// Largest webhook body read (push payloads list the commits).
pub const HOOK_BODY_LIMIT: usize = 1024 * 1024;

/// The create form's fields (all text; checked in [`GitFormView::check`]).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GitForm {
    pub name: String,
    pub url: String,
    pub token: String,
    pub ref_kind: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub compose_paths: String,
    pub env_path: String,
    pub env: String,
    pub interval: String,
    pub prune: String,
    /// the team a deployer's new stack belongs to (empty: their first)
    pub team: String,
    /// CA certificates (PEM) of the repository's server, besides Mozilla's roots
    pub ca_pem: String,
}

/// The form as shown: the values typed (never the token) and the problems of each field.
#[derive(Debug)]
pub struct GitFormView {
    pub name: String,
    pub url: String,
    pub ref_kind: String,
    pub ref_name: String,
    pub compose_paths: String,
    pub env_path: String,
    pub env: String,
    pub interval: String,
    pub prune: bool,
    pub ca_pem: String,
    pub errors: Vec<(&'static str, String)>,
}

impl GitFormView {
    /// An empty form with the usual defaults.
    pub fn blank() -> GitFormView {
        GitFormView {
            name: String::new(),
            url: String::new(),
            ref_kind: "branch".into(),
            ref_name: "main".into(),
            compose_paths: "docker-compose.yml".into(),
            env_path: String::new(),
            env: String::new(),
            interval: String::new(),
            prune: true,
            ca_pem: String::new(),
            errors: Vec::new(),
        }
    }

    fn from(f: &GitForm) -> GitFormView {
        GitFormView {
            name: f.name.trim().to_string(),
            url: f.url.trim().to_string(),
            ref_kind: f.ref_kind.clone(),
            ref_name: f.ref_name.trim().to_string(),
            compose_paths: f.compose_paths.clone(),
            env_path: f.env_path.clone(),
            env: f.env.clone(),
            interval: f.interval.trim().to_string(),
            prune: matches!(f.prune.as_str(), "yes" | "on" | "true" | "1"),
            // shown again as typed, unless it is too large to be a certificate
            ca_pem: if f.ca_pem.len() <= crate::trust::MAX_CA_PEM {
                f.ca_pem.clone()
            } else {
                String::new()
            },
            errors: Vec::new(),
        }
    }

    pub fn errors_of(&self, field: &str) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
            .collect()
    }

    pub fn is_kind(&self, kind: &str) -> bool {
        self.ref_kind == kind
    }
}

/// A checked form.
struct Checked {
    name: String,
    repo: Repo,
    token: Option<String>,
    env: String,
    interval_secs: Option<i64>,
    prune: bool,
}

/// Checks every field against its limits (sizes first) and shape; all problems at once.
fn check(f: &GitForm, view: &mut GitFormView) -> Option<Checked> {
    let errors = &mut view.errors;
    let name = f.name.trim();
    if let Err(m) = crate::compose::source::stack_name_rules(name) {
        errors.push(("name", m));
    }
    if f.token.len() > crate::git::MAX_TOKEN || f.token.chars().any(|c| c.is_control()) {
        errors.push((
            "token",
            format!(
                "an access token has at most {} bytes and no control characters",
                crate::git::MAX_TOKEN
            ),
        ));
    }
    if let Err(e) = limits::check_env("env", f.env.len()) {
        errors.push(("env", e.message));
    } else if let Err(e) = crate::compose::dotenv::parse(&f.env) {
        errors.push(("env", e.to_string()));
    }
    let interval_secs = match f.interval.trim() {
        "" => None,
        t if t.len() > MAX_INTERVAL_TEXT => {
            errors.push(("interval", "an interval such as 30s, 5m or 1h".into()));
            None
        }
        t => match crate::config::parse_duration(t) {
            Ok(d) if d >= MIN_INTERVAL && d.as_secs() <= 7 * 86_400 => Some(d.as_secs() as i64),
            Ok(_) => {
                errors.push((
                    "interval",
                    format!("an interval from {} s to 7 days", MIN_INTERVAL.as_secs()),
                ));
                None
            }
            Err(m) => {
                errors.push(("interval", m));
                None
            }
        },
    };
    let token = f.token.trim();
    if !token.is_empty()
        && let Err(m) = crate::git::token_may_go_to(f.url.trim())
    {
        errors.push(("token", m));
    }
    let repo = Repo::parse(
        &f.url,
        &f.ref_kind,
        &f.ref_name,
        &f.compose_paths,
        &f.env_path,
        &f.ca_pem,
    )
    .map_err(|es| {
        for e in es {
            errors.push((e.field, e.message));
        }
    })
    .ok()?;
    if !errors.is_empty() {
        return None;
    }
    Some(Checked {
        name: name.to_string(),
        repo,
        token: (!token.is_empty()).then(|| token.to_string()),
        env: f.env.clone(),
        interval_secs,
        prune: view.prune,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "stacks/git_new.html")]
struct GitNewPage {
    layout: Layout,
    form: GitFormView,
}

fn refused(ctx: &Ctx, form: GitFormView) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        GitNewPage {
            layout: ctx.layout("New stack from git", "stacks"),
            form,
        },
    )
        .into_response()
}

/// `POST /stacks/new/git`: checks the form, stores the source, fetches the commit and
/// deploys it. Anything wrong (a field, the fetch, the files) comes back on the form with
/// nothing kept.
pub async fn create(ctx: Ctx, caller: Caller, Form(f): Form<GitForm>) -> AppResult<Response> {
    let mut view = GitFormView::from(&f);
    let Some(c) = check(&f, &mut view) else {
        return Ok(refused(&ctx, view));
    };
    let db = &ctx.state.db;
    if db::stacks::latest(db, &c.name).await?.is_some() {
        view.errors.push((
            "name",
            format!(
                "berth holds a stack named {} already: choose another name, or remove it first",
                c.name
            ),
        ));
        return Ok(refused(&ctx, view));
    }
    // a deployer's new stack becomes their team's (released if the source is not stored)
    let claim = claim::deploy_under(&ctx.state, &caller, ctx.ip.as_deref(), &c.name, &f.team)
        .await?
        .map_err(AppError::Forbidden)?;
    let secret = crate::auth::tokens::random_token(24);
    let inserted = db::git::insert(
        db,
        &db::git::NewSource {
            stack: &c.name,
            repo: &c.repo,
            token: c.token.as_deref(),
            env: &c.env,
            prune: c.prune,
            interval_secs: c.interval_secs,
            hook_secret: &secret,
            username: &ctx.session.username,
        },
    )
    .await?;
    if !inserted {
        claim::release(&ctx.state, &c.name, claim).await;
        view.errors
            .push(("name", format!("{} follows a repository already", c.name)));
        return Ok(refused(&ctx, view));
    }
    let detail = format!(
        "{} {} {}",
        c.repo.url,
        c.repo.git_ref.kind(),
        c.repo.git_ref.name()
    );
    let synced = ctx
        .state
        .git
        .sync(&c.name, Trigger::Manual, who(&ctx))
        .await;
    match synced {
        Synced::Deployed { version, .. } => {
            ctx.audit(Action::StackGitCreate, &c.name, Outcome::Ok, Some(&detail))
                .await;
            Ok(ctx
                .redirect_with(
                    &urls::stack_version(&c.name, version),
                    FlashKind::Ok,
                    &format!("{} follows {}: {}.", c.name, c.repo.url, synced.message()),
                )
                .await)
        }
        other => {
            // nothing deployed: the source is not kept
            db::git::delete(db, &c.name).await?;
            ctx.audit(
                Action::StackGitCreate,
                &c.name,
                Outcome::Failed,
                Some(&format!("{detail}: {}", other.message())),
            )
            .await;
            view.errors.push(("source", other.message()));
            Ok(refused(&ctx, view))
        }
    }
}

fn who(ctx: &Ctx) -> Who {
    Who {
        username: ctx.session.username.clone(),
        ip: ctx.ip.clone(),
    }
}

/// `POST /stacks/{name}/git/sync`: syncs now and says how it went.
pub async fn sync_now(ctx: Ctx, Path(name): Path<String>) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    if db::git::get(&ctx.state.db, &name).await?.is_none() {
        return Err(AppError::NotFound(format!(
            "{name} does not follow a repository."
        )));
    }
    let synced = ctx.state.git.sync(&name, Trigger::Manual, who(&ctx)).await;
    let kind = match synced {
        Synced::Deployed { .. } | Synced::Unchanged | Synced::Queued => FlashKind::Ok,
        _ => FlashKind::Error,
    };
    let to = match &synced {
        Synced::Deployed { version, .. } => urls::stack_version(&name, version),
        _ => urls::stack(&name),
    };
    Ok(ctx
        .redirect_with(&to, kind, &format!("Sync of {name}: {}.", synced.message()))
        .await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PauseForm {
    /// `yes`: pause; anything else: resume
    paused: String,
}

/// `POST /stacks/{name}/git/pause`: pauses (`paused=yes`) or resumes automatic syncs.
pub async fn pause(
    ctx: Ctx,
    Path(name): Path<String>,
    Form(f): Form<PauseForm>,
) -> AppResult<Response> {
    let name = name_or_404(&name)?;
    let paused = f.paused == "yes";
    if !db::git::set_paused(&ctx.state.db, &name, paused).await? {
        return Err(AppError::NotFound(format!(
            "{name} does not follow a repository."
        )));
    }
    let (action, text) = if paused {
        (
            Action::StackGitPause,
            "Sync paused: neither the interval nor a push webhook deploys a new commit until you resume it.",
        )
    } else {
        (Action::StackGitResume, "Sync resumed.")
    };
    ctx.audit(action, &name, Outcome::Ok, None).await;
    Ok(ctx
        .redirect_with(&urls::stack(&name), FlashKind::Ok, text)
        .await)
}

/// The stack page's git section.
pub struct GitView {
    pub url: String,
    pub ref_kind: &'static str,
    pub ref_name: String,
    pub compose_paths: String,
    pub env_path: String,
    pub paused: bool,
    pub interval: String,
    pub running: bool,
    pub last_when: String,
    pub last_ago: String,
    pub last_result: String,
    pub last_message: String,
    pub commit_sha: String,
    pub commit_short: String,
    pub commit_subject: String,
    pub commit_author: String,
    pub hook_url: String,
    pub hook_secret: String,
    pub has_token: bool,
    pub has_ca: bool,
}

impl GitView {
    pub fn result_class(&self) -> &'static str {
        match self.last_result.as_str() {
            "deployed" | "unchanged" => "pill-ok",
            "invalid" | "failed" | "refused" => "pill-bad",
            _ => "pill-info",
        }
    }
}

/// The git section of `stack`'s page, if it follows a repository.
pub async fn view(state: &AppState, stack: &str) -> AppResult<Option<GitView>> {
    let Some(s) = db::git::get(&state.db, stack).await? else {
        return Ok(None);
    };
    let interval = s
        .interval_secs
        .map(|n| n as u64)
        .unwrap_or(state.git.default_interval().as_secs());
    let commit = s.commit.clone().unwrap_or_default();
    let last = s.last.clone();
    Ok(Some(GitView {
        url: s.repo.url.clone(),
        ref_kind: s.repo.git_ref.kind(),
        ref_name: s.repo.git_ref.name().to_string(),
        compose_paths: s.repo.compose_paths.join(", "),
        env_path: s.repo.env_path.clone().unwrap_or_default(),
        paused: s.paused,
        interval: crate::syntax::duration::duration_string(interval as i64 * 1_000_000_000),
        running: state.git.is_running(stack),
        last_when: last.as_ref().map(|l| format_utc(l.at)).unwrap_or_default(),
        last_ago: last.as_ref().map(|l| age(l.at)).unwrap_or_default(),
        last_result: last.as_ref().map(|l| l.result.clone()).unwrap_or_default(),
        last_message: last.map(|l| l.message).unwrap_or_default(),
        commit_short: short(&commit.sha).to_string(),
        commit_sha: commit.sha,
        commit_subject: commit.message,
        commit_author: commit.author,
        hook_url: urls::git_hook(&s.hook_secret),
        hook_secret: s.hook_secret,
        has_token: s.token.is_some(),
        has_ca: s.repo.ca_pem.is_some(),
    }))
}

/// `POST /hooks/git/{secret}`: a push from the repository's host. Answers JSON: 404 for an
/// unknown secret, 401 without a signature, 403 for a wrong one, 202 with how the sync went
/// (or why it was skipped: paused, or a push to another ref).
pub async fn webhook(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = |status: StatusCode, text: &str| {
        (status, Json(serde_json::json!({ "status": text }))).into_response()
    };
    if secret.len() > 128 {
        return answer(StatusCode::NOT_FOUND, "no such webhook");
    }
    let source = match db::git::by_hook(&state.db, &secret).await {
        Ok(Some(s)) => s,
        Ok(None) => return answer(StatusCode::NOT_FOUND, "no such webhook"),
        Err(e) => {
            tracing::error!("git webhook: cannot read the git sources: {e}");
            return answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
        }
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let stack = source.stack.clone();
    match hook::verify(header, &body, &source.hook_secret) {
        hook::Verdict::Valid(_) => {}
        hook::Verdict::Unsigned => {
            return answer(
                StatusCode::UNAUTHORIZED,
                "signature required: X-Hub-Signature-256, X-Gitea-Signature or X-Gitlab-Token",
            );
        }
        hook::Verdict::Wrong(format) => {
            tracing::warn!(stack, "git webhook: a wrong {format} signature was refused");
            return answer(StatusCode::FORBIDDEN, "wrong signature");
        }
    }
    // the hook acts for the account that made the git stack, while it may deploy it
    if let Some(maker) = source.username.as_deref() {
        match claim::maker_may_deploy(&state, maker, &stack).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    stack,
                    "git webhook: its maker may no longer deploy the stack"
                );
                return answer(
                    StatusCode::FORBIDDEN,
                    "the account that made this git stack may no longer deploy it",
                );
            }
            Err(e) => {
                tracing::error!("git webhook: cannot read its maker's role: {e}");
                return answer(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
            }
        }
    }
    if source.paused {
        return answer(StatusCode::ACCEPTED, "sync is paused");
    }
    if let (Some(pushed), GitRef::Branch(_) | GitRef::Tag(_)) =
        (hook::pushed_ref(&body), &source.repo.git_ref)
        && pushed != source.repo.git_ref.remote_name()
    {
        return answer(StatusCode::ACCEPTED, "a push to another ref: ignored");
    }
    let who = Who {
        username: "git webhook".into(),
        ip: None,
    };
    let synced = state.git.sync(&stack, Trigger::Hook, who).await;
    let mut body = serde_json::json!({
        "status": synced.result(),
        "message": synced.message(),
    });
    if let Synced::Deployed { version, commit } = &synced {
        body["version"] = (*version).into();
        body["commit"] = commit.sha.clone().into();
    }
    (StatusCode::ACCEPTED, Json(body)).into_response()
}
