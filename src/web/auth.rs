//! First-run setup, sign-in and sign-out.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::page::Ctx;
use super::session::{self, ClientIp, DEVICE_TTL};
use super::urls;
use crate::AppState;
use crate::auth::attempt::{self, Refused};
use crate::auth::throttle::Key;
use crate::auth::{self as authz, tokens};
use crate::db::{
    self,
    audit::{Action, Outcome},
};
use crate::error::{AppError, AppResult};

#[derive(Template)]
#[template(path = "auth/setup.html")]
struct SetupPage<'a> {
    css: &'a str,
    js: &'a str,
    error: Option<String>,
    username: String,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage<'a> {
    css: &'a str,
    js: &'a str,
    error: Option<String>,
    username: String,
    next: String,
    /// the OpenID Connect provider's name while sign-in with it is on
    oidc: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SetupForm {
    pub setup_code: String,
    pub username: String,
    pub password: String,
    pub password_confirm: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    pub next: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    pub next: String,
}

pub(super) fn page(status: StatusCode, html: askama::Result<String>) -> Response {
    match html {
        Ok(h) => {
            let mut r = (status, Html(h)).into_response();
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!("template error: {e}");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

fn setup_page(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    username: String,
) -> Response {
    let p = SetupPage {
        css: &state.assets.css,
        js: &state.assets.js,
        error,
        username,
    };
    page(status, p.render())
}

pub(super) fn login_page(
    state: &AppState,
    status: StatusCode,
    error: Option<String>,
    username: String,
    next: String,
) -> Response {
    let p = LoginPage {
        css: &state.assets.css,
        js: &state.assets.js,
        error,
        username,
        next,
        oidc: state.oidc.link(),
    };
    page(status, p.render())
}

pub(super) fn with_retry_after(resp: Response, wait: Duration) -> Response {
    let mut resp = resp;
    if let Ok(v) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
        resp.headers_mut().insert(header::RETRY_AFTER, v);
    }
    resp
}

/// The status and sentence for an attempt refused before any work.
pub fn refusal(r: Refused, what: &str) -> (StatusCode, String) {
    match r {
        Refused::Busy => (
            StatusCode::SERVICE_UNAVAILABLE,
            "berth is busy checking other passwords. Try again in a moment.".to_string(),
        ),
        Refused::Throttled(wait) => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many {what}. Wait {} seconds, then try again.",
                wait.as_secs()
            ),
        ),
    }
}

/// A refused attempt's page with its status and Retry-After.
fn refused_page(
    r: Refused,
    what: &str,
    render: impl FnOnce(StatusCode, String) -> Response,
) -> Response {
    let (status, msg) = refusal(r, what);
    with_retry_after(render(status, msg), r.retry_after())
}

pub(super) async fn audit_anon(
    state: &AppState,
    username: Option<&str>,
    ip: Option<&str>,
    action: Action,
    outcome: Outcome,
    detail: &str,
) {
    let entry = db::audit::Entry {
        username,
        ip,
        action,
        target: username,
        outcome,
        detail: Some(detail),
    };
    if let Err(e) = db::audit::record(&state.db, &entry).await {
        tracing::error!("cannot write audit log entry {action}: {e}");
    }
}

pub async fn setup_form(State(state): State<AppState>) -> Response {
    if !state.needs_setup() {
        return Redirect::to(urls::LOGIN).into_response();
    }
    setup_page(&state, StatusCode::OK, None, String::new())
}

pub async fn setup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<SetupForm>,
) -> AppResult<Response> {
    if !state.needs_setup() {
        return Ok(Redirect::to(urls::LOGIN).into_response());
    }
    // sizes first: nothing long is checked, stored or echoed
    if authz::username_too_long(f.username.trim())
        || f.setup_code.len() > 64
        || authz::password_too_long(&f.password)
        || authz::password_too_long(&f.password_confirm)
    {
        let msg = "The user name must have 1 to 64 characters and the password at most 1024.";
        return Ok(setup_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg.into()),
            String::new(),
        ));
    }
    let username = f.username.trim().to_string();
    let key = Key::user("\u{0}setup");
    let mut attempt = match attempt::begin(&state.passwords, &state.throttle, &key) {
        Ok(a) => a,
        Err(r) => {
            return Ok(refused_page(r, "wrong setup codes", |status, msg| {
                setup_page(&state, status, Some(msg), username)
            }));
        }
    };
    if !state.setup.check(&f.setup_code) {
        attempt.failed();
        audit_anon(
            &state,
            Some(&username),
            ip.as_deref(),
            Action::AuthSetup,
            Outcome::Failed,
            "wrong setup code",
        )
        .await;
        let msg = "That setup code is not right. Copy it from berth's log: the line that contains \"setup code:\".";
        return Ok(setup_page(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(msg.into()),
            username,
        ));
    }
    attempt.succeeded();
    if let Err(m) = authz::check_username(&username)
        .and_then(|_| authz::check_new_password(&username, &f.password, &f.password_confirm))
    {
        return Ok(setup_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(m.into()),
            username,
        ));
    }
    let hash = attempt.hash(f.password).await.map_err(AppError::Internal)?;
    drop(attempt);
    let Some(user_id) = db::users::create_first_admin(&state.db, &username, &hash).await? else {
        // someone else finished setup a moment ago
        return Ok(Redirect::to(urls::LOGIN).into_response());
    };
    state.setup_done();
    audit_anon(
        &state,
        Some(&username),
        ip.as_deref(),
        Action::AuthSetup,
        Outcome::Ok,
        "admin account created",
    )
    .await;
    tracing::info!("setup complete: admin {username:?} created");
    sign_in(
        &state,
        user_id,
        &username,
        ip.as_deref(),
        &headers,
        None,
        urls::DASHBOARD,
    )
    .await
}

pub async fn login_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    if state.needs_setup() {
        return Ok(Redirect::to(urls::SETUP).into_response());
    }
    if session::current(&state, &headers).await?.is_some() {
        return Ok(Redirect::to(urls::safe_next(&q.next)).into_response());
    }
    Ok(login_page(
        &state,
        StatusCode::OK,
        None,
        String::new(),
        // kept for the form only when it could be followed
        urls::safe_next(&q.next).to_string(),
    ))
}

pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> AppResult<Response> {
    if state.needs_setup() {
        return Ok(Redirect::to(urls::SETUP).into_response());
    }
    // sizes first: a name longer than any account's is not looked up, audited or echoed
    let username = f.username.trim();
    let username = if authz::username_too_long(username) {
        ""
    } else {
        username
    }
    .to_string();
    let next = if f.next.len() > urls::MAX_NEXT_LEN {
        String::new()
    } else {
        f.next
    };
    if username.is_empty() || f.password.is_empty() || authz::password_too_long(&f.password) {
        let msg = "Enter your user name and password.";
        return Ok(login_page(
            &state,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg.into()),
            username,
            next,
        ));
    }

    // A browser that signed in as this user before is throttled under its own key.
    let device_name = session::device_cookie_name(state.config.secure_cookies());
    let device_hash = session::cookie(&headers, device_name)
        .filter(|t| !t.is_empty() && t.len() < 200)
        .map(tokens::hash_token);
    let mut key = Key::user(&username);
    if let Some(h) = &device_hash
        && let Some(owner) = db::devices::owner(&state.db, h, DEVICE_TTL).await?
        && owner.eq_ignore_ascii_case(&username)
    {
        key = Key::Device(h.iter().map(|b| format!("{b:02x}")).collect());
    }

    // checked and counted in one step, before the password is looked at
    let mut attempt = match attempt::begin(&state.passwords, &state.throttle, &key) {
        Ok(a) => a,
        Err(r) => {
            if matches!(r, Refused::Throttled(_)) {
                audit_anon(
                    &state,
                    Some(&username),
                    ip.as_deref(),
                    Action::AuthLogin,
                    Outcome::Denied,
                    "throttled",
                )
                .await;
            }
            return Ok(refused_page(r, "failed sign-ins", |status, msg| {
                login_page(&state, status, Some(msg), username, next)
            }));
        }
    };
    let user = db::users::by_name(&state.db, &username).await?;
    let ok = attempt
        .verify(f.password, user.as_ref().map(|u| u.password_hash.clone()))
        .await;
    let Some(user) = user.filter(|_| ok) else {
        attempt.failed();
        drop(attempt);
        audit_anon(
            &state,
            Some(&username),
            ip.as_deref(),
            Action::AuthLogin,
            Outcome::Failed,
            "wrong user name or password",
        )
        .await;
        let msg = "Wrong user name or password.";
        return Ok(login_page(
            &state,
            StatusCode::UNAUTHORIZED,
            Some(msg.into()),
            username,
            next,
        ));
    };
    attempt.succeeded();
    drop(attempt);
    let next = urls::safe_next(&next).to_string();
    // an account with TOTP on gets no session yet: its code comes first
    if let db::totp::Status::On { .. } = db::totp::status(&state.db, user.id).await? {
        audit_anon(
            &state,
            Some(&user.username),
            ip.as_deref(),
            Action::AuthLogin,
            Outcome::Ok,
            "password right, one-time code asked",
        )
        .await;
        return super::second_step::second_step(&state, user.id, &next, device_hash).await;
    }
    audit_anon(
        &state,
        Some(&user.username),
        ip.as_deref(),
        Action::AuthLogin,
        Outcome::Ok,
        "signed in",
    )
    .await;
    sign_in(
        &state,
        user.id,
        &user.username,
        ip.as_deref(),
        &headers,
        device_hash,
        &next,
    )
    .await
}

/// Starts a session, remembers the browser as trusted, and redirects (the password login's
/// and the OpenID Connect sign-in's one way in).
pub(super) async fn sign_in(
    state: &AppState,
    user_id: i64,
    username: &str,
    ip: Option<&str>,
    headers: &HeaderMap,
    known_device: Option<Vec<u8>>,
    next: &str,
) -> AppResult<Response> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let token = session::start(state, user_id, ip, ua).await?;
    let secure = state.config.secure_cookies();
    let mut resp = Redirect::to(next).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&session::session_cookie(&token, secure)) {
        h.append(header::SET_COOKIE, v);
    }
    // keep the device token this browser has if it belongs to this user, else issue one
    let reuse = match &known_device {
        Some(hash) => db::devices::owner(&state.db, hash, DEVICE_TTL)
            .await?
            .is_some_and(|o| o.eq_ignore_ascii_case(username)),
        None => false,
    };
    if let (true, Some(hash)) = (reuse, &known_device) {
        db::devices::insert(&state.db, hash, user_id).await?;
    } else {
        let device = tokens::random_token(32);
        db::devices::insert(&state.db, &tokens::hash_token(&device), user_id).await?;
        if let Ok(v) = HeaderValue::from_str(&session::device_cookie(&device, secure)) {
            h.append(header::SET_COOKIE, v);
        }
    }
    Ok(resp)
}

pub async fn logout(ctx: Ctx) -> AppResult<Response> {
    db::sessions::delete(&ctx.state.db, &ctx.session.id_hash).await?;
    ctx.audit(Action::AuthLogout, &ctx.session.username, Outcome::Ok, None)
        .await;
    let mut resp = Redirect::to(urls::LOGIN).into_response();
    if let Ok(v) = HeaderValue::from_str(&session::clear_session_cookie(
        ctx.state.config.secure_cookies(),
    )) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}
