//! A git-backed stack's section of the stack page: its source, the last sync and the commit,
//! the push webhook's address, and the "sync now" and "pause sync" actions.

use axum::Form;
use axum::extract::Path;
use axum::response::Response;
use serde::Deserialize;

use super::who;
use crate::AppState;
use crate::db;
use crate::db::audit::{Action, Outcome};
use crate::docker::time::{age, format_utc};
use crate::error::{AppError, AppResult};
use crate::stack::git::{Synced, Trigger, short};
use crate::web::page::{Ctx, FlashKind};
use crate::web::stacks::name_or_404;
use crate::web::urls;

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
