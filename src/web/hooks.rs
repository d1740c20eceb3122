//! `POST /hooks/{token}`: a stack's deploy webhook, for registries and CI (see
//! [`crate::stack::webhook`]). No session and no CSRF token: the secret URL (and, for a signed
//! hook, the body's HMAC) is the credential. Answers JSON in the shape of the API's
//! (`{"job": …}`, `{"error": {"code", "message"}}`).
//!
//! What the call asks for: no body (or a registry's JSON notification) → pull and redeploy the
//! newest stored version; `image=repo:tag` (form body, or the query of an unsigned hook) → a
//! new version whose services running `repo` run `repo:tag`; any other body → a compose file
//! to deploy, with the stored variables and files. `?wait=true` answers when the deploy ended,
//! non-2xx unless it converged.
//!
//! Order of the checks, all before any work: the token's shape, the hook (secret compared in
//! constant time), the signature, the hook's rate limit, the request's shape.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::extract::ClientIp;
use crate::AppState;
use crate::compose::limits;
use crate::db::{self, audit};
use crate::stack::jobs::{DeployError, End, Job, Outcome, Who};
use crate::stack::webhook::{self, Refused, SIGNATURE_HEADER, Trigger, TriggerError};

/// Largest body a hook reads: a compose file.
pub const BODY_LIMIT: usize = limits::MAX_COMPOSE_BYTES;
/// Longest a `?wait=true` call waits for its deploy to end.
const WAIT_AT_MOST: Duration = Duration::from_secs(15 * 60);

/// A JSON error answer.
fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({"error": {"code": code, "message": message.into()}});
    (status, axum::Json(body)).into_response()
}

/// The job as the API shows it.
pub fn job_json(job: &Job) -> Value {
    let end = job.end();
    json!({
        "id": job.id,
        "stack": job.stack,
        "kind": job.kind,
        "version": (job.version > 0).then_some(job.version),
        "status": end.as_ref().map_or("running", |e| e.outcome.as_str()),
        "summary": end.as_ref().map(|e| e.summary.clone()),
        "lines": job.lines(),
        "url": format!("/api/v1/jobs/{}", job.id),
    })
}

pub async fn call(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!(
                    "the body is larger than a compose file may be ({})",
                    limits::human(BODY_LIMIT)
                ),
            );
        }
        Err(e) => return error(e.status(), "bad_request", "the body could not be read"),
    };
    let signature = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    let hook = match webhook::authenticate(&state.db, &token, signature, &body).await {
        Ok(h) => h,
        Err(Refused::Unknown) => {
            tracing::info!("refused a webhook call: no hook has that address");
            return error(
                StatusCode::NOT_FOUND,
                "not_found",
                Refused::Unknown.to_string(),
            );
        }
        Err(Refused::BadSignature(hook)) => {
            tracing::warn!(
                "refused a call of webhook #{} of stack {}: bad signature",
                hook.id,
                hook.stack
            );
            let entry = audit::Entry {
                username: None,
                ip: ip.as_deref(),
                action: audit::Action::WebhookRefused,
                target: Some(&hook.stack),
                outcome: audit::Outcome::Denied,
                detail: Some(&format!("webhook #{}: missing or wrong signature", hook.id)),
            };
            if let Err(e) = db::audit::record(&state.db, &entry).await {
                tracing::error!("cannot write audit log entry: {e}");
            }
            let message = Refused::BadSignature(hook).to_string();
            return error(StatusCode::UNAUTHORIZED, "unauthorized", message);
        }
        Err(Refused::Storage(e)) => {
            tracing::error!("webhook lookup failed: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "berth could not read its database",
            );
        }
    };
    // the hook acts for its maker: while they may deploy the stack, and no longer
    match super::policy::claim::maker_may_deploy(&state, &hook.created_by, &hook.stack).await {
        Ok(true) => {}
        Ok(false) => {
            let entry = audit::Entry {
                username: None,
                ip: ip.as_deref(),
                action: audit::Action::WebhookRefused,
                target: Some(&hook.stack),
                outcome: audit::Outcome::Denied,
                detail: Some(&format!(
                    "webhook #{}: its maker {} may no longer deploy this stack",
                    hook.id, hook.created_by
                )),
            };
            if let Err(e) = db::audit::record(&state.db, &entry).await {
                tracing::error!("cannot write audit log entry: {e}");
            }
            return error(
                StatusCode::FORBIDDEN,
                "forbidden",
                "the account that made this webhook may no longer deploy this stack",
            );
        }
        Err(e) => {
            tracing::error!("webhook: cannot read its maker's role: {e}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "berth could not read its database",
            );
        }
    }
    if let Err(wait) = state.hook_limits.take(hook.id) {
        let secs = wait.as_secs().max(1);
        tracing::warn!("webhook #{} of stack {}: rate limited", hook.id, hook.stack);
        let mut resp = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!(
                "this webhook may be called {} times at once and once every {} s after that: try again in {secs} s",
                webhook::BURST,
                webhook::REFILL.as_secs()
            ),
        );
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return resp;
    }
    let query = Params::parse(query.as_deref().unwrap_or("").as_bytes());
    let what = match what_is_asked(&headers, &body, &query, hook.signed) {
        Ok(w) => w,
        Err(m) => return error(StatusCode::BAD_REQUEST, "bad_request", m),
    };
    let who = Who {
        username: format!("webhook #{}", hook.id),
        ip,
    };
    let job = match webhook::trigger(&state.deploys, &state.db, &hook, what, who).await {
        Ok(job) => job,
        Err(e) => return refused(e),
    };
    tracing::info!(
        "webhook #{} of stack {} started job {}",
        hook.id,
        hook.stack,
        job.id
    );
    if !query.flag("wait") {
        return (
            StatusCode::ACCEPTED,
            axum::Json(json!({"job": job_json(&job)})),
        )
            .into_response();
    }
    let end = tokio::select! {
        end = ended(&job) => end,
        _ = tokio::time::sleep(WAIT_AT_MOST) => None,
        _ = state.shutting_down() => None,
    };
    let (status, code) = match end.map(|e| e.outcome) {
        Some(Outcome::Ok) => (StatusCode::OK, None),
        Some(Outcome::Degraded) => (StatusCode::UNPROCESSABLE_ENTITY, Some("deploy_degraded")),
        Some(Outcome::Failed) => (StatusCode::UNPROCESSABLE_ENTITY, Some("deploy_failed")),
        Some(Outcome::Superseded) => (StatusCode::CONFLICT, Some("deploy_superseded")),
        None => (StatusCode::GATEWAY_TIMEOUT, Some("timeout")),
    };
    let body = match code {
        None => json!({"job": job_json(&job)}),
        Some(code) => json!({
            "error": {
                "code": code,
                "message": job.end().map_or_else(
                    || "the deploy is still running; follow the job".to_string(),
                    |e| e.summary
                ),
            },
            "job": job_json(&job),
        }),
    };
    (status, axum::Json(body)).into_response()
}

/// What the call asks for, from its content type, body and query.
fn what_is_asked(
    headers: &HeaderMap,
    body: &[u8],
    query: &Params,
    signed: bool,
) -> Result<Trigger, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let query_image = query.get("image");
    if signed && query_image.is_some() {
        return Err(
            "a signed webhook takes image= in its signed body (a form), not in the address".into(),
        );
    }
    let blank = body.iter().all(u8::is_ascii_whitespace);
    let from_body = if content_type.starts_with("application/x-www-form-urlencoded") {
        Params::parse(body).get("image").map(Trigger::Image)
    } else if content_type.starts_with("application/json") || blank {
        // a registry's notification: its details are not needed to redeploy
        None
    } else {
        let text = std::str::from_utf8(body)
            .map_err(|_| "the body is not UTF-8 text (a compose file was expected)".to_string())?;
        Some(Trigger::Compose(text.to_string()))
    };
    match (from_body, query_image) {
        (Some(_), Some(_)) => Err("give image= or a body, not both".into()),
        (Some(t), None) => Ok(t),
        (None, Some(image)) => Ok(Trigger::Image(image)),
        (None, None) => Ok(Trigger::Redeploy),
    }
}

/// The fields of a query string or a form body.
struct Params(Vec<(String, String)>);

impl Params {
    fn parse(raw: &[u8]) -> Params {
        Params(form_urlencoded::parse(raw).into_owned().collect())
    }

    fn get(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| matches!(v.as_str(), "true" | "1" | "yes"))
    }
}

/// The answer to a call that started nothing.
fn refused(e: TriggerError) -> Response {
    match e {
        TriggerError::NoSource(_) => error(StatusCode::CONFLICT, "conflict", e.to_string()),
        TriggerError::Image(m) => error(StatusCode::UNPROCESSABLE_ENTITY, "invalid_image", m),
        TriggerError::Deploy(DeployError::Invalid(problems)) => {
            let message = problems
                .first()
                .map(|p| format!("{}: {}", p.field.as_str(), p.located()))
                .unwrap_or_else(|| "the stack source has problems".into());
            let list: Vec<Value> = problems
                .iter()
                .map(|p| {
                    json!({
                        "field": p.field.as_str(),
                        "line": p.line,
                        "column": p.column,
                        "message": p.message,
                        "located": p.located(),
                    })
                })
                .collect();
            let body =
                json!({"error": {"code": "invalid_compose", "message": message, "problems": list}});
            (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response()
        }
        TriggerError::Deploy(DeployError::Refused(m)) => {
            error(StatusCode::UNPROCESSABLE_ENTITY, "deploy_refused", m)
        }
        TriggerError::Deploy(DeployError::Stale { .. }) => {
            error(StatusCode::CONFLICT, "conflict", e.to_string())
        }
        TriggerError::Deploy(DeployError::Storage(e)) => {
            tracing::error!("webhook deploy: database error: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "berth could not store the deploy",
            )
        }
        TriggerError::Deploy(DeployError::Internal(m)) => {
            tracing::error!("webhook deploy: {m}");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal", m)
        }
    }
}

/// How the job ended (`None` if berth forgot it unfinished).
async fn ended(job: &Arc<Job>) -> Option<End> {
    let (_, end, mut rx) = job.follow();
    if end.is_some() {
        return end;
    }
    loop {
        match rx.recv().await {
            Ok(crate::stack::jobs::Update::End(e)) => return Some(e),
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                if let Some(e) = job.end() {
                    return Some(e);
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return job.end(),
        }
    }
}
