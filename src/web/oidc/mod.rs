//! OpenID Connect sign-in (issue 18), beside local accounts: `/auth/oidc/start` sends the
//! browser to the provider with a fresh state, nonce and PKCE challenge (kept server-side,
//! bound to this browser by a cookie); `/auth/oidc/callback` takes that record once, exchanges
//! the code, verifies the ID token, maps the groups claim to a role and teams (on every
//! sign-in), and starts the session with the password login's own function. The settings
//! (admins) are a plain form on /settings.

mod callback;

pub use callback::callback;

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::auth::audit_anon as audit;
use super::policy::{Need, Rule, rule};
use super::session::ClientIp;
use super::transport::Via;
use super::urls;
use crate::AppState;
use crate::auth::oidc::provider;
use crate::auth::tokens;
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::AppResult;

/// Who may use each route (see `web::policy`).
pub const POLICY: &[Rule] = &[
    // no session yet: the state record and this browser's cookie are the credential
    rule("GET", urls::OIDC_START, Need::Public),
    rule("GET", urls::OIDC_CALLBACK, Need::Public),
    rule("POST", urls::SETTINGS_OIDC, Need::Admin),
];

/// The sign-in routes (outside the session guard).
pub fn public_routes() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route(urls::OIDC_START, get(start))
        .route(urls::OIDC_CALLBACK, get(callback))
}

/// The settings form (behind the session guard and CSRF check).
pub fn routes() -> axum::Router<AppState> {
    use axum::routing::post;
    axum::Router::new().route(
        urls::SETTINGS_OIDC,
        post(crate::web::settings::oidc::save_settings),
    )
}

/// Binds a sign-in under way to the browser that started it. SameSite=Lax: the provider's
/// redirect back is a cross-site navigation, which a Strict cookie would not follow.
const BROWSER_COOKIE: &str = "berth_oidc";
const SECURE_BROWSER_COOKIE: &str = "__Secure-berth_oidc";

pub(super) fn browser_cookie_name(secure: bool) -> &'static str {
    if secure {
        SECURE_BROWSER_COOKIE
    } else {
        BROWSER_COOKIE
    }
}

pub(super) fn browser_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{}={value}; Path=/auth/oidc; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        browser_cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

#[derive(Template)]
#[template(path = "auth/oidc.html")]
pub(super) struct OidcPage<'a> {
    pub css: &'a str,
    pub js: &'a str,
    /// signed in: where the page's refresh goes (a same-site navigation, so the Strict session
    /// cookie goes with it)
    pub refresh: Option<String>,
    pub username: String,
    pub message: String,
}

pub(super) fn page(status: StatusCode, p: OidcPage<'_>) -> Response {
    match p.render() {
        Ok(h) => (status, Html(h)).into_response(),
        Err(e) => {
            tracing::error!("template error: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// The page that says why a sign-in was refused.
pub(super) fn refused(
    state: &AppState,
    status: StatusCode,
    message: impl Into<String>,
) -> Response {
    page(
        status,
        OidcPage {
            css: &state.assets.css,
            js: &state.assets.js,
            refresh: None,
            username: String::new(),
            message: message.into(),
        },
    )
}

/// berth's callback address: BERTH_PUBLIC_URL's origin, else the address this request used
/// (the provider accepts only the redirect URIs registered with it).
pub(super) fn callback_url(state: &AppState, headers: &HeaderMap, via: &Via) -> Option<String> {
    if let Some(p) = &state.config.public_url {
        return Some(format!("{}{}", p.origin, urls::OIDC_CALLBACK));
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then(|| {
        format!(
            "{}://{host}{}",
            if via.https { "https" } else { "http" },
            urls::OIDC_CALLBACK
        )
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StartQuery {
    pub next: String,
}

/// `GET /auth/oidc/start`: to the provider.
pub async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    via: Via,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> AppResult<Response> {
    let next = urls::safe_next(&q.next).to_string();
    let Some(s) = db::oidc::settings(&state.db).await?.filter(|s| s.enabled) else {
        return Ok(refused(
            &state,
            StatusCode::NOT_FOUND,
            "Sign-in with OpenID Connect is not set up on this berth. Sign in with your berth account.",
        ));
    };
    let Some(redirect) = callback_url(&state, &headers, &via) else {
        return Ok(refused(
            &state,
            StatusCode::BAD_REQUEST,
            "berth cannot tell its own address for the provider to send you back to: set BERTH_PUBLIC_URL.",
        ));
    };
    let started = match provider::start(&state.oidc, &s, &redirect).await {
        Ok(st) => st,
        Err(e) => {
            tracing::warn!("OpenID Connect sign-in could not start: {e}");
            audit(
                &state,
                None,
                ip.as_deref(),
                Action::AuthOidcRefused,
                Outcome::Failed,
                &e.to_string(),
            )
            .await;
            return Ok(refused(
                &state,
                StatusCode::BAD_GATEWAY,
                format!("Sign-in with {} is not available: {e}.", s.display_name),
            ));
        }
    };
    let browser = tokens::random_token(32);
    let recorded = db::oidc::begin_login(
        &state.db,
        &tokens::hash_token(&started.state),
        &tokens::hash_token(&browser),
        &started.nonce,
        &started.pkce_verifier,
        &next,
    )
    .await?;
    if !recorded {
        return Ok(refused(
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "Too many sign-ins are under way. Try again in a few minutes.",
        ));
    }
    let mut resp = Redirect::to(&started.url).into_response();
    let secure = state.config.secure_cookies();
    if let Ok(v) =
        HeaderValue::from_str(&browser_cookie(&browser, db::oidc::LOGIN_TTL_SECS, secure))
    {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(resp)
}
