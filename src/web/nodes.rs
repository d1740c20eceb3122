//! The nodes pages and actions.

use axum::Router;

use crate::AppState;

/// Pages and actions (behind the session layer and the request timeout).
pub fn routes() -> Router<AppState> {
    Router::new()
}

/// Long-lived responses (server-sent events), outside the request timeout.
pub fn streams() -> Router<AppState> {
    Router::new()
}
