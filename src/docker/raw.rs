//! Raw JSON calls, for the few places where bollard's typed models would lose information.
//!
//! Why: an update must send back the spec exactly as Docker holds it, changed only where the
//! user asked. bollard's typed `ServiceSpec` cannot guarantee that: its container spec expects
//! `"HealthCheck"` (the swagger's spelling) where Docker sends `"Healthcheck"`, so a typed
//! read-modify-write silently drops every health check, and fields newer than the model (or
//! unknown to it) would vanish the same way. So services are read and written as JSON here.
//!
//! How, without a second HTTP client: bollard applies a request modifier to every request it
//! builds. A plain GET rides on `ping()` (which returns the body as text) with its path swapped;
//! a write rides on the typed call with its body swapped for the raw JSON. Transport, API
//! version, timeouts and error mapping stay bollard's.

use bollard::Docker;
use bollard::models::ServiceSpec;
use bollard::query_parameters::UpdateServiceOptions;
use serde_json::Value;

use super::DockerError;

/// `GET {path}[?{query}]` (e.g. `/services/abc`, `insertDefaults=true`) on the API, as JSON.
/// The query is berth's own, never user input.
pub async fn get(docker: &Docker, path: &str, query: &str) -> Result<Value, DockerError> {
    let text = get_text(docker, path, query).await?;
    serde_json::from_str(&text)
        .map_err(|e| DockerError::Other(format!("Docker sent a reply berth could not read: {e}")))
}

/// `GET {path}[?{query}]` as the body's text, for callers that decode it into their own lean
/// types (the model reads 10,000 tasks without building a JSON tree or bollard's full types).
pub async fn get_text(docker: &Docker, path: &str, query: &str) -> Result<String, DockerError> {
    check_path(path)?;
    let path = if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    };
    let client = docker.clone().with_request_modifier(move |mut req| {
        let uri = req.uri().to_string();
        if let Some(i) = uri.rfind("/_ping")
            && let Ok(new) = format!("{}{}", &uri[..i], path).parse()
        {
            *req.uri_mut() = new;
        }
        req
    });
    Ok(client.ping().await?)
}

/// `POST /services/{id}/update?version=…[&rollback=previous]` with `spec` sent verbatim, and
/// registry credentials in `X-Registry-Auth` when given. Returns Docker's warnings.
pub async fn update_service(
    docker: &Docker,
    id: &str,
    version: u64,
    spec: &Value,
    rollback: bool,
    creds: Option<bollard::auth::DockerCredentials>,
) -> Result<Vec<String>, DockerError> {
    check_path(id)?;
    let body: Vec<u8> = serde_json::to_vec(spec)
        .map_err(|e| DockerError::Other(format!("cannot encode the service spec: {e}")))?;
    let client = docker.clone().with_request_modifier(move |mut req| {
        *req.body_mut() = bollard::body_full(body.clone().into());
        req
    });
    let opts = UpdateServiceOptions {
        version: i32::try_from(version).unwrap_or(i32::MAX),
        rollback: rollback.then(|| "previous".to_string()),
        ..Default::default()
    };
    let resp = client
        .update_service(id, ServiceSpec::default(), opts, creds)
        .await?;
    Ok(resp.warnings.unwrap_or_default())
}

/// A client whose requests carry `details=1`: log lines then start with the task and node
/// they came from (bollard's `LogsOptions` has no such field).
pub fn with_log_details(docker: &Docker) -> Docker {
    docker.clone().with_request_modifier(|mut req| {
        let uri = req.uri().to_string();
        let sep = if uri.contains('?') { '&' } else { '?' };
        if let Ok(new) = format!("{uri}{sep}details=1").parse() {
            *req.uri_mut() = new;
        }
        req
    })
}

/// Ids and names accepted in URLs (and so in API paths): `[A-Za-z0-9_.-]`, not `.`-led.
pub fn is_plain_ref(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// Object ids and names go into API paths: only plain characters, never `..` or `/` tricks.
fn check_path(path: &str) -> Result<(), DockerError> {
    let ok = path
        .split('/')
        .filter(|seg| !seg.is_empty())
        .all(is_plain_ref);
    if ok {
        Ok(())
    } else {
        Err(DockerError::NotFound(format!("no such object: {path}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_tricks_are_refused() {
        assert!(check_path("/services/abc123").is_ok());
        assert!(check_path("/services/web_app.1").is_ok());
        assert!(check_path("/services/../containers/json").is_err());
        assert!(check_path("/services/a?b=1").is_err());
        assert!(check_path("/services/%2e%2e").is_err());
    }
}
