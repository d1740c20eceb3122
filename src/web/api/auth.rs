//! Who calls the API: a bearer token, looked up by its sha256, with its owner. Cookies are not
//! read here, so a browser session never opens `/api` (and without cookies there is nothing
//! for a cross-site request to ride on: no CSRF token is needed).
//!
//! Every use with a live token is audited (`api.request`: the owner, `METHOD path`, the
//! token's name and the answer's status); identical entries collapse in the audit log, so a
//! busy CI adds a count, not rows. A well-formed token that is unknown, revoked or expired is
//! audited as denied; a missing or malformed header only gets its 401.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::AppState;
use crate::auth::api_tokens::{Grant, bearer};
use crate::auth::tokens::hash_token;
use crate::db::{self, api_tokens::Bearer, audit};
use crate::stack::jobs::Who;
use crate::web::extract::client_ip;

/// A token's last use is written at most this often (seconds).
const TOUCH_EVERY: i64 = 60;

/// The caller of an API request (put into the request by [`require_token`]).
#[derive(Debug, Clone)]
pub struct ApiAuth {
    pub token_id: i64,
    pub token_name: String,
    pub user_id: i64,
    pub username: String,
    pub grant: Grant,
    pub ip: Option<String>,
}

impl ApiAuth {
    /// Who asks, for the deploy pipeline (its history and audit).
    pub fn who(&self) -> Who {
        Who {
            username: self.username.clone(),
            ip: self.ip.clone(),
        }
    }

    /// Actions outside any stack (nodes, services of no stack): an operate token.
    pub fn require_operate(&self) -> Result<(), ApiError> {
        if self.grant.may_operate() {
            Ok(())
        } else {
            Err(self.refused("this action"))
        }
    }

    /// Reading what belongs to no stack (nodes, every service): read or operate.
    pub fn require_read_all(&self) -> Result<(), ApiError> {
        if self.grant.may_read_all() {
            Ok(())
        } else {
            Err(self.refused("reading this"))
        }
    }

    /// Any change at all (a read token makes none): checked before anything is looked up.
    pub fn require_some_change(&self) -> Result<(), ApiError> {
        if self.grant.scope == crate::auth::api_tokens::Scope::Read {
            Err(self.refused("changes"))
        } else {
            Ok(())
        }
    }

    pub fn require_read_stack(&self, stack: &str) -> Result<(), ApiError> {
        if self.grant.may_read_stack(stack) {
            Ok(())
        } else {
            Err(self.refused(&format!("stack {stack}")))
        }
    }

    pub fn require_change_stack(&self, stack: &str) -> Result<(), ApiError> {
        if self.grant.may_change_stack(stack) {
            Ok(())
        } else {
            Err(self.refused(&format!("changing stack {stack}")))
        }
    }

    fn refused(&self, what: &str) -> ApiError {
        let scope = self.grant.scope;
        let limit = if self.grant.stacks.is_empty() {
            String::new()
        } else {
            format!(" (stacks {})", self.grant.stacks.join(", "))
        };
        ApiError::forbidden(format!(
            "The token {:?} has the {scope} scope{limit}, which does not allow {what}.",
            self.token_name
        ))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<ApiAuth>().cloned().ok_or_else(|| {
            ApiError::unauthorized("Send an API token: Authorization: Bearer <token>.")
        })
    }
}

/// Guards every API route: a live token or 401; then audits the use with its outcome.
pub async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = client_ip(req.extensions());
    let target = format!("{} {}", req.method(), req.uri().path());
    let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(bearer)
    else {
        return ApiError::unauthorized(
            "Send an API token: Authorization: Bearer <token> (create one on the settings page).",
        )
        .into_response();
    };
    let found = match db::api_tokens::find_live(&state.db, &hash_token(token)).await {
        Ok(found) => found,
        Err(e) => return ApiError::from(e).into_response(),
    };
    let Some(b) = found else {
        record(
            &state,
            None,
            ip.as_deref(),
            &target,
            audit::Outcome::Denied,
            "unknown, revoked or expired token",
        )
        .await;
        return ApiError::unauthorized("This API token is not valid: unknown, revoked or expired.")
            .into_response();
    };
    touch(&state, &b, ip.as_deref()).await;
    let auth = ApiAuth {
        token_id: b.id,
        token_name: b.name.clone(),
        user_id: b.user_id,
        username: b.username.clone(),
        grant: b.grant.clone(),
        ip: ip.clone(),
    };
    req.extensions_mut().insert(auth);
    let resp = next.run(req).await;
    let status = resp.status();
    let outcome = match status.as_u16() {
        401 | 403 => audit::Outcome::Denied,
        s if s >= 400 => audit::Outcome::Failed,
        _ => audit::Outcome::Ok,
    };
    let detail = format!("token {} ({}): {}", b.name, b.grant.scope, status.as_u16());
    record(
        &state,
        Some(&b.username),
        ip.as_deref(),
        &target,
        outcome,
        &detail,
    )
    .await;
    resp
}

async fn touch(state: &AppState, b: &Bearer, ip: Option<&str>) {
    if b.last_used_at.is_some_and(|t| db::now() - t < TOUCH_EVERY) {
        return;
    }
    if let Err(e) = db::api_tokens::touch(&state.db, b.id, ip).await {
        tracing::warn!("cannot note the use of API token {}: {e}", b.id);
    }
}

async fn record(
    state: &AppState,
    username: Option<&str>,
    ip: Option<&str>,
    target: &str,
    outcome: audit::Outcome,
    detail: &str,
) {
    let entry = audit::Entry {
        username,
        ip,
        action: audit::Action::ApiRequest,
        target: Some(target),
        outcome,
        detail: Some(detail),
    };
    if let Err(e) = audit::record(&state.db, &entry).await {
        tracing::error!("audit: {e}");
    }
}
