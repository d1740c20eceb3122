//! Half sign-ins: an account with TOTP on gave the right password and owes its code. The
//! browser holds a random token in a short-lived cookie, SQLite its hash (`db::totp`); no session
//! exists until the code is right (`web::totp`). Kept apart from the sign-in and TOTP handlers
//! so the password sign-in can start one without importing them.

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::session;
use super::urls;
use crate::AppState;
use crate::auth::tokens;
use crate::db;
use crate::error::AppResult;

pub const PENDING_COOKIE: &str = "berth_login";
pub const SECURE_PENDING_COOKIE: &str = "__Host-berth_login";

pub(super) fn pending_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_PENDING_COOKIE
    } else {
        PENDING_COOKIE
    }
}

pub(super) fn pending_cookie(token: &str, secure: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        pending_cookie_name(secure),
        db::totp::PENDING_TTL_SECS,
        if secure { "; Secure" } else { "" }
    )
}

pub(super) fn clear_pending_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        pending_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

pub(super) fn set_cookie(mut resp: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// The hash of the half sign-in token this browser holds.
pub(super) fn pending_hash(state: &AppState, headers: &HeaderMap) -> Option<Vec<u8>> {
    let name = pending_cookie_name(state.config.secure_cookies());
    session::cookie(headers, name)
        .filter(|t| !t.is_empty() && t.len() < 200)
        .map(tokens::hash_token)
}

/// After a right password for an account with TOTP on: a half sign-in, and on to its code.
pub(super) async fn second_step(
    state: &AppState,
    user_id: i64,
    next: &str,
    device_hash: Option<Vec<u8>>,
) -> AppResult<Response> {
    let token = tokens::random_token(32);
    db::totp::pending_insert(
        &state.db,
        &tokens::hash_token(&token),
        user_id,
        next,
        device_hash.as_deref(),
    )
    .await?;
    Ok(set_cookie(
        Redirect::to(urls::LOGIN_TOTP).into_response(),
        &pending_cookie(&token, state.config.secure_cookies()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_half_sign_in_cookie_is_short_lived_and_strict() {
        let c = pending_cookie("t", true);
        assert!(c.starts_with("__Host-berth_login=t; Path=/;"));
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(c.contains("Max-Age=300"));
        assert!(clear_pending_cookie(false).contains("Max-Age=0"));
        assert!(!pending_cookie("t", false).contains("Secure"));
    }
}
