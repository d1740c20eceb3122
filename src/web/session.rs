//! Sessions on the web side: the cookie, the middleware that guards every page, CSRF tokens.
//!
//! The cookie carries a random token (256 bits); SQLite stores only its sha256. Each session has
//! its own CSRF token, required on every state-changing request as a form field `csrf`, the
//! `X-CSRF-Token` header (htmx) or a `csrf` query parameter (multipart forms).

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_htmx::{HX_REQUEST, HxRedirect};

use super::extract::client_ip;
pub use super::extract::{ClientIp, Session};
use crate::AppState;
use crate::auth::tokens;
use crate::db;
use crate::error::ErrorInfo;

pub const SESSION_COOKIE: &str = "berth_session";
pub const DEVICE_COOKIE: &str = "berth_device";
/// How long a browser stays trusted after its device token was issued.
pub const DEVICE_TTL: Duration = Duration::from_secs(90 * 86_400);
/// The names over HTTPS: `__Host-` binds them to berth's own host, path / and Secure.
pub const SECURE_SESSION_COOKIE: &str = "__Host-berth_session";
pub const SECURE_DEVICE_COOKIE: &str = "__Host-berth_device";

pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

pub fn device_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_DEVICE_COOKIE
    } else {
        DEVICE_COOKIE
    }
}
/// Largest urlencoded body read to find the CSRF field.
const FORM_LIMIT: usize = 4 * 1024 * 1024;
/// last_seen is written at most this often (not on every request).
const TOUCH_EVERY: i64 = 60;

/// Reads one cookie from the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key(HX_REQUEST)
}

/// A redirect that works for plain browsers (303) and for htmx (200 + HX-Redirect, so htmx
/// navigates instead of swapping a login page into a table cell).
pub fn redirect(headers: &HeaderMap, to: &str) -> Response {
    if is_htmx(headers) {
        (StatusCode::OK, HxRedirect(to.to_string()), ()).into_response()
    } else {
        Redirect::to(to).into_response()
    }
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        session_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The device cookie is read only at sign-in; a `__Host-` name needs Path=/.
pub fn device_cookie(token: &str, secure: bool) -> String {
    format!(
        "{}={token}; Path={}; HttpOnly; SameSite=Strict; Max-Age={}{}",
        device_cookie_name(secure),
        if secure { "/" } else { super::urls::LOGIN },
        DEVICE_TTL.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// Creates a session for `user_id`; returns the cookie token.
pub async fn start(
    state: &AppState,
    user_id: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> sqlx::Result<String> {
    let token = tokens::random_token(32);
    let csrf = tokens::random_token(32);
    let ua = user_agent.map(|u| u.chars().take(200).collect::<String>());
    db::sessions::insert(
        &state.db,
        &tokens::hash_token(&token),
        user_id,
        &csrf,
        ip,
        ua.as_deref(),
    )
    .await?;
    Ok(token)
}

/// The configured session lifetimes.
pub fn lifetime(state: &AppState) -> db::sessions::Lifetime {
    db::sessions::Lifetime {
        idle_secs: state.config.session_ttl.as_secs() as i64,
        max_age_secs: state.config.session_max_age.as_secs() as i64,
    }
}

/// Whether the request carries a live session (read only: no touch, the flash stays).
/// A request without the cookie never touches the database.
pub async fn is_signed_in(state: &AppState, headers: &HeaderMap) -> bool {
    let name = session_cookie_name(state.config.secure_cookies());
    let Some(token) = cookie(headers, name).filter(|t| !t.is_empty() && t.len() < 200) else {
        return false;
    };
    matches!(
        db::sessions::find_live(&state.db, &tokens::hash_token(token), lifetime(state)).await,
        Ok(Some(_))
    )
}

/// Looks up the live session of a request, if any.
pub async fn current(state: &AppState, headers: &HeaderMap) -> sqlx::Result<Option<Session>> {
    let name = session_cookie_name(state.config.secure_cookies());
    let Some(token) = cookie(headers, name).filter(|t| !t.is_empty() && t.len() < 200) else {
        return Ok(None);
    };
    let id_hash = tokens::hash_token(token);
    let Some(row) = db::sessions::find_live(&state.db, &id_hash, lifetime(state)).await? else {
        return Ok(None);
    };
    if db::now() - row.last_seen_at >= TOUCH_EVERY {
        db::sessions::touch(&state.db, &id_hash).await?;
    }
    let flash = if row.has_flash {
        db::sessions::take_flash(&state.db, &id_hash).await?
    } else {
        None
    };
    Ok(Some(Session {
        id_hash: Arc::new(id_hash),
        user_id: row.user_id,
        username: row.username,
        is_admin: row.is_admin,
        csrf: row.csrf_token,
        flash,
    }))
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Guards every page: sends to /setup while no admin exists, to /login without a live session,
/// refuses state changes without the session's CSRF token; a failure keeps the session with it,
/// so the error layer can render it inside the signed-in layout.
pub async fn require_session(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if state.needs_setup() {
        return redirect(req.headers(), super::urls::SETUP);
    }
    let session = match current(&state, req.headers()).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!("session lookup failed: {e}");
            return ErrorInfo::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "berth could not read its database. Check its log.",
            )
            .into_response();
        }
    };
    let Some(session) = session else {
        let target = if req.method() == Method::GET && !is_htmx(req.headers()) {
            let pq = req
                .uri()
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/");
            if pq == "/" {
                super::urls::LOGIN.to_string()
            } else {
                format!("{}?next={}", super::urls::LOGIN, urlencode(pq))
            }
        } else {
            super::urls::LOGIN.to_string()
        };
        return redirect(req.headers(), &target);
    };

    let mut req = req;
    if is_state_changing(req.method()) {
        let (ok, rebuilt) = check_csrf(req, &session.csrf).await;
        let Some(rebuilt) = rebuilt else {
            return ErrorInfo::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Request too large",
                "The form was larger than berth accepts.",
            )
            .into_response();
        };
        req = rebuilt;
        if !ok {
            let ip = client_ip(req.extensions());
            let path = req.uri().path().to_string();
            let entry = db::audit::Entry {
                username: Some(&session.username),
                ip: ip.as_deref(),
                action: db::audit::Action::CsrfRefused,
                target: Some(&path),
                outcome: db::audit::Outcome::Denied,
                detail: Some("missing or wrong CSRF token"),
            };
            if let Err(e) = db::audit::record(&state.db, &entry).await {
                tracing::error!("audit: {e}");
            }
            return ErrorInfo::new(
                StatusCode::FORBIDDEN,
                "Request refused",
                "This form has expired or did not come from berth. Reload the page and try again.",
            )
            .into_response();
        }
    }
    req.extensions_mut().insert(session.clone());
    let mut resp = next.run(req).await;
    if resp.extensions().get::<ErrorInfo>().is_some() {
        // the error layer shows a failure inside the signed-in layout
        resp.extensions_mut().insert(session);
    }
    resp
}

/// Finds the CSRF token in the header, the query or an urlencoded body; gives the request back
/// (rebuilt when its body was read), or `None` when the body was too large to read.
async fn check_csrf(req: Request, expected: &str) -> (bool, Option<Request>) {
    let matches = |t: &str| tokens::constant_time_eq(t.as_bytes(), expected.as_bytes());
    if let Some(h) = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
    {
        return (matches(h), Some(req));
    }
    if let Some(q) = req.uri().query()
        && let Some((_, v)) = form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "csrf")
    {
        return (matches(&v), Some(req));
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return (false, Some(req));
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, FORM_LIMIT).await else {
        return (false, None);
    };
    let ok = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == "csrf")
        .is_some_and(|(_, v)| matches(&v));
    (ok, Some(Request::from_parts(parts, Body::from(bytes))))
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// How often the janitor runs: often enough that audit retention bounds a flood between runs.
const JANITOR_EVERY: Duration = Duration::from_secs(60);

/// Every minute: deletes expired sessions and device tokens, and applies audit retention.
pub async fn janitor(state: AppState) {
    loop {
        match db::sessions::delete_expired(&state.db, lifetime(&state)).await {
            Ok(n) if n > 0 => tracing::debug!("removed {n} expired sessions"),
            Ok(_) => {}
            Err(e) => tracing::warn!("session cleanup failed: {e}"),
        }
        if let Err(e) = db::devices::delete_expired(&state.db, DEVICE_TTL).await {
            tracing::warn!("device token cleanup failed: {e}");
        }
        let retention = db::audit::Retention {
            max_age: Duration::from_secs(u64::from(state.config.audit_retention_days) * 86_400),
            max_rows: state.config.audit_max_rows,
        };
        match db::audit::apply_retention(&state.db, retention).await {
            Ok(n) if n > 0 => tracing::debug!("audit retention removed {n} entries"),
            Ok(_) => {}
            Err(e) => tracing::warn!("audit retention failed: {e}"),
        }
        tokio::time::sleep(JANITOR_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; berth_session=tok; b=2"),
        );
        assert_eq!(cookie(&h, "berth_session"), Some("tok"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn cookie_flags() {
        let c = session_cookie("t", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!session_cookie("t", false).contains("Secure"));
        assert!(c.starts_with("__Host-berth_session=t; Path=/;"));
        let d = device_cookie("t", true);
        assert!(d.starts_with("__Host-berth_device=t; Path=/;") && d.contains("Secure"));
    }
}
