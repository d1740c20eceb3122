//! berth: a fast, small, secure web dashboard for Docker Swarm.
//!
//! A request flows one way: browser → axum router → auth layer → a thin handler in [`web`] →
//! domain code ([`docker`], [`db`], …) → bollard or SQLite → a typed view → an askama template.

pub mod agent;
pub mod alerts;
pub mod auth;
pub mod compose;
pub mod config;
pub mod db;
pub mod docker;
pub mod error;
pub mod git;
pub mod healthcheck;
#[cfg(test)]
mod layering;
pub mod model;
pub mod registry;
pub mod secrets;
pub mod selfstack;
pub mod stack;
pub mod state;
pub mod swarmstate;
pub mod syntax;
pub mod textdiff;
pub mod tls;
pub mod trust;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use state::AppState;

/// The whole application as a router (the same one tests call in-process).
pub fn app(state: AppState) -> axum::Router {
    web::router(state)
}

/// Serves `app(state)` over plain HTTP on `listener` until `shutdown` completes, then drains
/// open requests. Also runs the Docker status monitor, the live model, the session janitor and
/// the git sync poller.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_all(listener, None, state, shutdown).await
}

/// Serves `app(state)` over plain HTTP on `http` and, when given, over HTTPS on `https` with
/// its TLS configuration, until `shutdown` completes; then drains open requests on both.
pub async fn serve_all(
    http: tokio::net::TcpListener,
    https: Option<(tokio::net::TcpListener, Arc<rustls::ServerConfig>)>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    use web::transport::Listener;

    let in_step = {
        let model = state.model.clone();
        move || model.snapshot().docker_reachable()
    };
    let monitor = tokio::spawn(state.docker.clone().monitor_unless(in_step));
    let model = state.model.start(state.docker.clone());
    let janitor = tokio::spawn(web::session::janitor(state.clone()));
    let git_poller = tokio::spawn(state.git.clone().run_poller(state.shutting_down()));
    let alerts = alerts::start(&state);
    let agents = tokio::spawn(
        state
            .agents
            .clone()
            .run(state.docker.clone(), state.shutting_down()),
    );
    let stopping = state.clone();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        // long-lived responses (log streams, deploy progress) end on this
        stopping.begin_shutdown();
        stop_tx.send_replace(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let router = app(state);
    let plain = router
        .clone()
        .layer(axum::Extension(Listener::Http))
        .into_make_service_with_connect_info::<SocketAddr>();
    let http = http.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let plain = axum::serve(http, plain).with_graceful_shutdown(stopped());
    let result = match https {
        None => plain.await,
        Some((listener, config)) => {
            let tls = tls::TlsListener::new(listener, config)?.tap_io(|_| {});
            let secure = router
                .layer(axum::Extension(Listener::Https))
                .into_make_service_with_connect_info::<SocketAddr>();
            let secure = axum::serve(tls, secure).with_graceful_shutdown(stopped());
            let (a, b) = tokio::join!(plain.into_future(), secure.into_future());
            a.and(b)
        }
    };
    monitor.abort();
    if let Some(m) = model {
        m.abort();
    }
    janitor.abort();
    git_poller.abort();
    alerts.abort();
    agents.abort();
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
