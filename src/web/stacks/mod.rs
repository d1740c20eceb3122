//! The stacks pages: list, detail, the compose editor (new, edit, validate, upload), deploys
//! with live progress, the change preview, history (view, diff, redeploy) and removal.
//!
//! Deploys and removals run as background jobs ([`crate::stack::jobs`]): closing the browser does
//! not stop them, and their pages follow them live (server-sent events) or, without
//! JavaScript, by reloading.

mod deploy;
mod detail;
mod editor;
mod history;
mod list;
mod preview;
mod remove;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;
use crate::error::AppError;

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stacks", get(list::show).post(deploy::create))
        .route("/stacks/live", get(list::live))
        .route("/stacks/new", get(editor::new_form))
        .route("/stacks/validate", post(editor::validate))
        .route("/stacks/{name}", get(detail::show).post(deploy::update))
        .route("/stacks/{name}/live", get(detail::live))
        .route("/stacks/{name}/edit", get(detail::edit))
        .route("/stacks/{name}/preview", post(preview::preview))
        .route("/stacks/{name}/delete", post(remove::remove))
        .route("/stacks/{name}/diff", get(history::diff))
        .route("/stacks/{name}/history/delete", post(history::forget))
        .route("/stacks/{name}/versions/{version}", get(history::show))
        .route(
            "/stacks/{name}/versions/{version}/redeploy",
            post(deploy::redeploy),
        )
        .route("/jobs/{id}", get(remove::job_page))
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    Router::new()
        .route(
            "/stacks/{name}/versions/{version}/events",
            get(history::events),
        )
        .route("/jobs/{id}/events", get(remove::job_events))
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
