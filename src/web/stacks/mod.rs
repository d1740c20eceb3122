//! The stacks pages: list, detail, the compose editor (new, edit, validate, upload), deploys
//! with live progress, the change preview, history (view, diff, redeploy) and removal.

mod editor;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/stacks/new", get(editor::new_form))
        .route("/stacks/validate", post(editor::validate))
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    Router::new()
}
