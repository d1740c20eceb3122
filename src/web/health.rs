//! `/healthz`: no auth; 200 while berth serves, with Docker's reachability in the body.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::docker::DockerStatus;

pub async fn healthz(State(state): State<AppState>) -> Response {
    let docker = match state.docker.status().status {
        DockerStatus::Manager(m) => {
            format!("docker: ok (swarm manager, engine {})", m.engine_version)
        }
        DockerStatus::Unreachable { error } => format!("docker: unreachable ({error})"),
        DockerStatus::NotInSwarm { state, .. } => {
            format!("docker: reachable, not in a swarm ({state})")
        }
        DockerStatus::Worker { .. } => {
            "docker: reachable, but a swarm worker (berth needs a manager)".to_string()
        }
        DockerStatus::Unknown => "docker: not checked yet".to_string(),
    };
    let mut r = (StatusCode::OK, format!("ok\n{docker}\n")).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
