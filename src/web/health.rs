//! `/healthz`: no auth; 200 while berth serves, with Docker's reachability in the body.
//!
//! Anonymous callers (load balancers, `berth healthcheck`, strangers) get the status words only:
//! no engine version, no error text (both help an attacker pick an exploit or map the host).
//! A signed-in browser gets the details.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::session;
use crate::AppState;
use crate::docker::DockerStatus;

/// The one-line Docker status; `detailed` adds the engine version and the error text.
fn docker_line(status: &DockerStatus, detailed: bool) -> String {
    match (status, detailed) {
        (DockerStatus::Manager(m), true) => {
            format!("docker: ok (swarm manager, engine {})", m.engine_version)
        }
        (DockerStatus::Manager(_), false) => "docker: ok (swarm manager)".to_string(),
        (DockerStatus::Unreachable { error }, true) => format!("docker: unreachable ({error})"),
        (DockerStatus::Unreachable { .. }, false) => "docker: unreachable".to_string(),
        (DockerStatus::NotInSwarm { state, .. }, true) => {
            format!("docker: reachable, not in a swarm ({state})")
        }
        (DockerStatus::NotInSwarm { .. }, false) => "docker: reachable, not in a swarm".to_string(),
        (DockerStatus::Worker { .. }, _) => {
            "docker: reachable, but a swarm worker (berth needs a manager)".to_string()
        }
        (DockerStatus::Unknown, _) => "docker: not checked yet".to_string(),
    }
}

pub async fn healthz(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let signed_in = session::is_signed_in(&state, &headers).await;
    let docker = docker_line(&state.docker.status().status, signed_in);
    let mut r = (StatusCode::OK, format!("ok\n{docker}\n")).into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strangers_get_no_engine_details() {
        let down = DockerStatus::Unreachable {
            error: "connect /var/run/docker.sock: permission denied".into(),
        };
        assert_eq!(docker_line(&down, false), "docker: unreachable");
        assert!(docker_line(&down, true).contains("permission denied"));
    }
}
