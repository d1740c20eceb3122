//! The stacks pages: list, detail, the compose editor (new, edit, validate, upload), deploys
//! with live progress, the change preview, history (view, diff, redeploy) and removal.
//!
//! Deploys and removals run as background jobs ([`crate::stack::jobs`]): closing the browser does
//! not stop them, and their pages follow them live (server-sent events) or, without
//! JavaScript, by reloading.

mod deploy;
mod detail;
mod diff;
mod editor;
pub mod git;
mod history;
pub use history::job_stream;
mod list;
mod live;
mod preview;
mod remove;
mod webhooks;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::AppError;
use crate::web::policy::{Act, Need, Rule, rule};
use crate::web::urls;

/// Who may use each route (see `web::policy`).
pub const POLICY: &[Rule] = &[
    rule("GET", urls::STACKS, Need::Read),
    rule("POST", urls::STACKS, Need::Deployer),
    rule("GET", urls::STACKS_LIVE, Need::Read),
    rule("GET", urls::STACKS_NEW, Need::Deployer),
    rule("POST", urls::STACKS_VALIDATE, Need::Deployer),
    rule("POST", urls::STACKS_NEW_GIT, Need::Deployer),
    rule(
        "POST",
        urls::route::STACK_GIT_SYNC,
        Need::Stack(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::STACK_GIT_PAUSE,
        Need::Stack(Act::Deploy),
    ),
    rule("GET", urls::route::STACK_GIT_EDIT, Need::Stack(Act::Deploy)),
    rule(
        "POST",
        urls::route::STACK_GIT_EDIT,
        Need::Stack(Act::Deploy),
    ),
    rule("GET", urls::route::STACK, Need::Read),
    rule("POST", urls::route::STACK, Need::Stack(Act::Deploy)),
    rule("GET", urls::route::STACK_LIVE, Need::Read),
    rule("GET", urls::route::STACK_EDIT, Need::Stack(Act::Deploy)),
    rule("POST", urls::route::STACK_PREVIEW, Need::Stack(Act::Deploy)),
    rule("POST", urls::route::STACK_DELETE, Need::Stack(Act::Deploy)),
    rule("GET", urls::route::STACK_DIFF, Need::Read),
    rule("POST", urls::route::STACK_PULL, Need::Stack(Act::Deploy)),
    rule(
        "POST",
        urls::route::STACK_HISTORY_DELETE,
        Need::Stack(Act::Deploy),
    ),
    rule("GET", urls::route::STACK_VERSION, Need::Read),
    rule(
        "POST",
        urls::route::STACK_VERSION_REDEPLOY,
        Need::Stack(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::STACK_WEBHOOKS,
        Need::Stack(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::STACK_WEBHOOK_ROTATE,
        Need::Stack(Act::Deploy),
    ),
    rule(
        "POST",
        urls::route::STACK_WEBHOOK_DELETE,
        Need::Stack(Act::Deploy),
    ),
    rule("GET", urls::route::JOB, Need::Read),
    // the secret address and a signature are the credential
    rule("POST", urls::route::GIT_HOOK, Need::Public),
    rule("GET", urls::route::STACK_VERSION_EVENTS, Need::Read),
    rule("GET", urls::route::JOB_EVENTS, Need::Read),
    rule("GET", urls::STACKS_EVENTS, Need::Read),
    rule("GET", urls::route::STACK_EVENTS, Need::Read),
];

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(urls::STACKS, get(list::show).post(deploy::create))
        .route(urls::STACKS_LIVE, get(list::live))
        .route(urls::STACKS_NEW, get(editor::new_form))
        .route(urls::STACKS_VALIDATE, post(editor::validate))
        .route(urls::STACKS_NEW_GIT, post(git::create))
        .route(urls::route::STACK_GIT_SYNC, post(git::sync_now))
        .route(urls::route::STACK_GIT_PAUSE, post(git::pause))
        .route(
            urls::route::STACK_GIT_EDIT,
            get(git::edit_form).post(git::edit),
        )
        .route(urls::route::STACK, get(detail::show).post(deploy::update))
        .route(urls::route::STACK_LIVE, get(detail::live))
        .route(urls::route::STACK_EDIT, get(detail::edit))
        .route(urls::route::STACK_PREVIEW, post(preview::preview))
        .route(urls::route::STACK_DELETE, post(remove::remove))
        .route(urls::route::STACK_DIFF, get(diff::diff))
        .route(urls::route::STACK_PULL, post(deploy::pull_redeploy))
        .route(urls::route::STACK_HISTORY_DELETE, post(history::forget))
        .route(urls::route::STACK_VERSION, get(history::show))
        .route(urls::route::STACK_VERSION_REDEPLOY, post(deploy::redeploy))
        .route(urls::route::STACK_WEBHOOKS, post(webhooks::create))
        .route(urls::route::STACK_WEBHOOK_ROTATE, post(webhooks::rotate))
        .route(urls::route::STACK_WEBHOOK_DELETE, post(webhooks::delete))
        .route(urls::route::JOB, get(remove::job_page))
}

/// Public: the push webhooks of git-backed stacks (a secret URL and a signature, no session;
/// their own body limit: push payloads list the commits).
pub fn hooks() -> Router<AppState> {
    Router::new()
        .route(urls::route::GIT_HOOK, post(git::webhook))
        .layer(axum::extract::DefaultBodyLimit::max(git::HOOK_BODY_LIMIT))
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    live::routes()
        .route(urls::route::STACK_VERSION_EVENTS, get(history::events))
        .route(urls::route::JOB_EVENTS, get(remove::job_events))
}

/// The confirmation box of a destructive stack action (`confirm` = yes).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct ConfirmForm {
    confirm: String,
}

impl ConfirmForm {
    fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

/// A stack name from a URL: what berth would accept as a name, or 404.
fn name_or_404(name: &str) -> Result<String, AppError> {
    crate::compose::source::stack_name_rules(name)
        .map(|_| name.to_string())
        .map_err(|_| AppError::NotFound(format!("There is no stack {name:?}.")))
}
