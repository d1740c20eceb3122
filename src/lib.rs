//! berth: a fast, small, secure web dashboard for Docker Swarm.
//!
//! A request flows one way: browser → axum router → auth layer → a thin handler in [`web`] →
//! domain code ([`docker`], [`db`], …) → bollard or SQLite → a typed view → an askama template.

pub mod auth;
pub mod compose;
pub mod config;
pub mod db;
pub mod docker;
pub mod error;
pub mod healthcheck;
#[cfg(test)]
mod layering;
pub mod secrets;
pub mod stack;
pub mod state;
pub mod syntax;
pub mod textdiff;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;

pub use state::AppState;

/// The whole application as a router (the same one tests call in-process).
pub fn app(state: AppState) -> axum::Router {
    web::router(state)
}

/// Serves `app(state)` on `listener` until `shutdown` completes, then drains open requests.
/// Also runs the Docker status monitor and the session janitor for as long as it serves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let monitor = tokio::spawn(state.docker.clone().monitor());
    let janitor = tokio::spawn(web::session::janitor(state.clone()));
    let stopping = state.clone();
    let shutdown = async move {
        shutdown.await;
        // long-lived responses (log streams, deploy progress) end on this
        stopping.begin_shutdown();
    };
    let app = app(state).into_make_service_with_connect_info::<SocketAddr>();
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    monitor.abort();
    janitor.abort();
    result
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
