//! The JSON API under `/api/v1`, for CI pipelines and scripts: bearer tokens with a scope
//! ([`auth`]), JSON errors carrying the pages' sentences ([`error`]), the same domain calls
//! as the pages.
//!
//! It has its own layers and none of the pages': no session, no CSRF (a token in a header is
//! not sent by a browser on its own), no HTML error pages. Layers, outermost first: the front
//! door (Host check, HTTPS redirect), JSON errors, panic catcher, body limit, the token guard;
//! and the timeout for everything but the waits and streams.

pub mod auth;
pub mod error;
mod jobs;
mod stacks;
pub mod views;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::{any, get, post};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use super::urls::{self, route};
use crate::AppState;

/// Largest request body: a compose file and its variables at their limits, in JSON.
pub const API_BODY_LIMIT: usize = super::BODY_LIMIT;

/// The API's routes and layers (merged into the app outside the pages' layers).
pub fn router(state: AppState) -> Router<AppState> {
    let quick = Router::new()
        .route(urls::API_STACKS, get(stacks::list))
        .route(route::API_STACK, get(stacks::show))
        .route(route::API_JOB, get(jobs::show))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            super::REQUEST_TIMEOUT,
        ));
    // deploys and removals may wait for convergence (bounded by the deploy's own wait);
    // event streams last as long as their job
    let long = Router::new()
        .route(route::API_STACK, axum::routing::delete(stacks::remove))
        .route(route::API_STACK_DEPLOY, post(stacks::deploy))
        .route(route::API_STACK_REMOVE, post(stacks::remove))
        .route(route::API_JOB_EVENTS, get(jobs::events));
    Router::new()
        .merge(quick)
        .merge(long)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_token,
        ))
        // anything else under /api: a JSON 404, without a token lookup
        .route(urls::API, any(not_found))
        .route(route::API_ANY, any(not_found))
        .layer(DefaultBodyLimit::max(API_BODY_LIMIT))
        .layer(RequestBodyLimitLayer::new(API_BODY_LIMIT))
        .layer(CatchPanicLayer::custom(
            super::errors::panicked as super::PanicHandler,
        ))
        .layer(middleware::from_fn(error::json_errors))
        .layer(middleware::from_fn_with_state(
            state,
            super::transport::front_door,
        ))
}

async fn not_found() -> error::ApiError {
    error::ApiError::not_found("There is no such API endpoint.")
}
